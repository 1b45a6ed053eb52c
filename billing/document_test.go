package billing_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

func TestToDocument(t *testing.T) {
	for _, inv := range []*billing.Invoice{lcEUR(t), lcJPY(t), lcFullCredit(t, lcMultiJurisdiction(t))} {
		t.Run(inv.ID, func(t *testing.T) {
			changed := lcIssuedAt.Add(time.Minute)
			d := billing.ToDocument(inv, 3, changed, "cycle")
			if err := d.Validate(); err != nil {
				t.Fatalf("ledger refuses the document: %v", err)
			}
			if d.ID != inv.ID || d.Version != 3 || string(d.Kind) != string(inv.Kind) || d.Number != inv.Number ||
				d.Issuer != "R1" || d.Account != "ACME" || d.Currency != inv.Currency || string(d.Status) != string(inv.Status) ||
				!d.PeriodStart.Equal(inv.Period.From) || !d.PeriodEnd.Equal(inv.Period.To) || !d.IssuedAt.Equal(inv.IssuedAt) ||
				d.RefersTo != inv.RefersTo || !d.ChangedAt.Equal(changed) || d.Actor != "cycle" {
				t.Fatalf("document header %+v", d)
			}
			if !d.Subtotal.Equal(inv.Subtotal) || !d.Tax.Equal(inv.Tax) || !d.Total.Equal(inv.Total) {
				t.Errorf("totals %s %s %s", d.Subtotal, d.Tax, d.Total)
			}
			amount, tax := decimal.Zero, decimal.Zero
			for i, l := range d.Lines {
				if int(l.LineNo) != inv.Lines[i].No || l.Description != inv.Lines[i].Description || !l.Quantity.Equal(inv.Lines[i].Quantity) {
					t.Errorf("line %d: %+v", i, l)
				}
				amount, tax = amount.Add(l.Amount), tax.Add(l.TaxAmount)
			}
			if !amount.Equal(d.Subtotal) || !tax.Equal(d.Tax) {
				t.Errorf("Σ line amount %s tax %s, want subtotal %s tax %s (SQL sums must match the header)", amount, tax, d.Subtotal, d.Tax)
			}
		})
	}
}

// lcRich is an invoice with every field set, tiers included, for the round trip.
func lcRich(t testing.TB) *billing.Invoice {
	inv := lcEUR(t)
	inv.Lines[1].Parts = []rating.Part{
		{Description: "tier 1 (0 < q ≤ 100)", Quantity: lcDec(t, "100"), UnitPrice: lcDec(t, "0.10"), Amount: lcDec(t, "10.0")},
		{Description: "tier 2", Quantity: lcDec(t, "233.3"), UnitPrice: lcDec(t, "0.1"), Amount: lcDec(t, "23.33000000000000001")},
	}
	inv.Lines[1].Meter, inv.Lines[1].Subscription, inv.Lines[1].PlanID, inv.Lines[1].PlanVersion = "api_calls", "S1", "api-eur", 2
	inv.Lines[1].Exact = lcDec(t, "33.330000000000000010")
	inv.Lines[3].Ref = "SPRING26"
	inv.Notes = []string{"Reverse charge: the recipient is liable for VAT."}
	inv.Catalog = "catalog-2026-02"
	inv.Issuer.Email, inv.Buyer.TaxID, inv.Buyer.Address = "billing@r1.example", "DE123456789", "Hauptstr. 1\n10115 Berlin"
	inv.Credited = lcDec(t, "10.00")
	return inv
}

func TestSnapshotRoundTrip(t *testing.T) {
	for _, inv := range []*billing.Invoice{lcRich(t), lcJPY(t), lcFullCredit(t, lcEUR(t)), lcInvoice(t, "draft", "EUR")} {
		t.Run(inv.ID, func(t *testing.T) {
			at := lcIssuedAt.Add(time.Second)
			ev, err := billing.SnapshotEvent(inv, 2, at, "cli")
			if err != nil {
				t.Fatal(err)
			}
			if ev.Aggregate != "document:"+inv.ID || ev.Seq != 2 || ev.Type != string(inv.Status) || ev.Actor != "cli" || !ev.At.Equal(at) {
				t.Fatalf("event %s type %s actor %s at %s", ev.Key(), ev.Type, ev.Actor, ev.At)
			}
			if !strings.Contains(string(ev.Data), `"total":"`) {
				t.Errorf("decimals must be JSON strings: %.200s", ev.Data)
			}
			back, err := billing.InvoiceFromEvent(ev)
			if err != nil {
				t.Fatal(err)
			}
			again, err := json.Marshal(back)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again, ev.Data) {
				t.Fatalf("round trip changed the document:\n%s\n%s", ev.Data, again)
			}
			// Value equality field by field (decimals compare by value, times by instant).
			if !lcSameInvoice(inv, back) {
				t.Fatalf("round trip differs:\n%+v\n%+v", inv, back)
			}
		})
	}
}

// sameInvoice compares by JSON of a normalised copy and by a few exact decimal checks.
func lcSameInvoice(a, b *billing.Invoice) bool {
	if a.ID != b.ID || a.Number != b.Number || !a.Total.Equal(b.Total) || !a.Credited.Equal(b.Credited) ||
		!a.IssuedAt.Equal(b.IssuedAt) || !a.DueAt.Equal(b.DueAt) || len(a.Lines) != len(b.Lines) || !reflect.DeepEqual(a.Notes, b.Notes) {
		return false
	}
	for i := range a.Lines {
		x, y := a.Lines[i], b.Lines[i]
		if !x.Exact.Equal(y.Exact) || !x.Gross.Equal(y.Gross) || len(x.Parts) != len(y.Parts) || x.Ref != y.Ref {
			return false
		}
		for j := range x.Parts {
			if !x.Parts[j].Amount.Equal(y.Parts[j].Amount) || x.Parts[j].Description != y.Parts[j].Description {
				return false
			}
		}
	}
	return true
}

func TestInvoiceFromEventRefuses(t *testing.T) {
	good, err := billing.SnapshotEvent(lcEUR(t), 1, lcIssuedAt, "t")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		mutate func(ev *ledger.Event)
	}{
		{"other aggregate", func(ev *ledger.Event) { ev.Aggregate = "series:R1:invoice" }},
		{"other document", func(ev *ledger.Event) { ev.Aggregate = "document:inv-other" }},
		{"type is not the status", func(ev *ledger.Event) { ev.Type = "paid" }},
		{"broken json", func(ev *ledger.Event) { ev.Data = ev.Data[:len(ev.Data)/2] }},
		{"float where a decimal was", func(ev *ledger.Event) {
			ev.Data = bytes.Replace(ev.Data, []byte(`"total":"157.47"`), []byte(`"total":{"x":1}`), 1)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := good
			ev.Data = append([]byte(nil), good.Data...)
			tt.mutate(&ev)
			if inv, err := billing.InvoiceFromEvent(ev); !errors.Is(err, billing.ErrInvalid) || inv != nil {
				t.Fatalf("InvoiceFromEvent = %v, %v; want ErrInvalid", inv, err)
			}
		})
	}
}

func TestSnapshotEventRefuses(t *testing.T) {
	inv := lcEUR(t)
	if _, err := billing.SnapshotEvent(inv, 0, lcIssuedAt, "t"); !errors.Is(err, billing.ErrInvalid) {
		t.Errorf("seq 0: %v, want ErrInvalid", err)
	}
	inv.ID = ""
	if _, err := billing.SnapshotEvent(inv, 1, lcIssuedAt, "t"); !errors.Is(err, billing.ErrInvalid) {
		t.Errorf("no id: %v, want ErrInvalid", err)
	}
}

// FuzzInvoiceFromEvent: the decoder never panics, and whatever it accepts re-encodes to a
// snapshot it reads back identically.
func FuzzInvoiceFromEvent(f *testing.F) {
	for _, inv := range []*billing.Invoice{lcRich(f), lcJPY(f)} {
		ev, err := billing.SnapshotEvent(inv, 1, lcIssuedAt, "t")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(ev.Type, ev.Data)
	}
	f.Add("issued", []byte(`{"id":"inv-eur","status":"issued","total":"1e400"}`))
	f.Fuzz(func(t *testing.T, typ string, data []byte) {
		ev := ledger.Event{Aggregate: "document:inv-eur", Seq: 1, Type: typ, At: lcIssuedAt, RecordedAt: lcIssuedAt, Data: data}
		inv, err := billing.InvoiceFromEvent(ev)
		if err != nil {
			return
		}
		ev2, err := billing.SnapshotEvent(inv, 1, lcIssuedAt, "t")
		if err != nil {
			return // e.g. a status the snapshot refuses
		}
		back, err := billing.InvoiceFromEvent(ev2)
		if err != nil {
			t.Fatalf("re-encoded snapshot unreadable: %v", err)
		}
		again, _ := json.Marshal(back)
		if !bytes.Equal(again, ev2.Data) {
			t.Fatalf("second round trip differs:\n%s\n%s", ev2.Data, again)
		}
	})
}
