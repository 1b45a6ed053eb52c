package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/shopspring/decimal"
)

// fingerprint is what a refused request must leave as it was: the ledger's rows (events,
// documents, audit entries, rejects), its journal balance per account code, and billing's
// in-memory view (accounts, documents, payments, catalog drafts).
type fingerprint struct {
	events, documents, audit, rejects    int
	accounts, invoices, payments, drafts int
	balances                             string
}

// size grows with every successful write; the harness rebuilds a world that has grown too much.
func (f fingerprint) size() int { return f.events + f.documents + f.audit }

// diff names what changed from f to g ("" when nothing did).
func (f fingerprint) diff(g fingerprint) string {
	var out []string
	for _, c := range []struct {
		name string
		a, b int
	}{{"events", f.events, g.events}, {"documents", f.documents, g.documents}, {"audit entries", f.audit, g.audit},
		{"rejects", f.rejects, g.rejects}, {"accounts", f.accounts, g.accounts}, {"invoices", f.invoices, g.invoices},
		{"payments", f.payments, g.payments}, {"catalog drafts", f.drafts, g.drafts}} {
		if c.a != c.b {
			out = append(out, fmt.Sprintf("%s %d -> %d", c.name, c.a, c.b))
		}
	}
	if f.balances != g.balances {
		out = append(out, "journal balances "+f.balances+" -> "+g.balances)
	}
	return strings.Join(out, "; ")
}

// everything is the widest window the ledger's queries take.
var everything = ledger.Period{From: time.Unix(0, 0).UTC(), To: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)}

// fingerprint reads the world's state.
func (h *fuzzHarness) fingerprint(tb testing.TB) fingerprint {
	tb.Helper()
	ctx, st, svc := context.Background(), h.w.store, h.w.svc
	var f fingerprint
	evs, err := st.Events(ctx, ledger.EventQuery{})
	if err != nil {
		tb.Fatal(err)
	}
	docs, err := st.Documents(ctx, ledger.DocumentQuery{})
	if err != nil {
		tb.Fatal(err)
	}
	audit, err := st.Audit(ctx, ledger.AuditQuery{Period: everything})
	if err != nil {
		tb.Fatal(err)
	}
	rejects, err := st.Rejects(ctx, ledger.RejectQuery{Period: everything})
	if err != nil {
		tb.Fatal(err)
	}
	bals, err := st.Balances(ctx, ledger.BalanceQuery{AsOf: everything.To})
	if err != nil {
		tb.Fatal(err)
	}
	f.events, f.documents, f.audit, f.rejects = len(evs), len(docs), len(audit), len(rejects)
	var b strings.Builder
	for _, x := range bals {
		fmt.Fprintf(&b, "%s:%s=%s ", x.Account, x.Currency, x.Amount.String())
	}
	f.balances = b.String()
	var ids []string
	_ = svc.View(func(s *billing.State) error {
		for _, a := range s.Accounts() {
			ids = append(ids, a.ID)
		}
		return nil
	})
	sort.Strings(ids)
	f.accounts = len(ids)
	for _, id := range ids {
		f.payments += len(svc.Payments(id))
	}
	f.invoices = len(svc.Invoices(billing.InvoiceFilter{}))
	f.drafts = len(svc.CatalogDrafts("", ""))
	return f
}

// variants are a seed body, its truncations, and per top-level field a swap of the value's
// JSON type (a string for a number and back, null, an array for an object): the seed corpus the
// brief asks for, built from the valid bodies so it follows them when they change.
func variants(body string) []string {
	out := []string{body}
	for _, n := range []int{len(body) / 2, len(body) - 1} {
		if n > 0 && n < len(body) {
			out = append(out, body[:n])
		}
	}
	fields := topLevel(body)
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		swapped := map[string]json.RawMessage{}
		for k2, v := range fields {
			swapped[k2] = v
		}
		swapped[k] = swapType(fields[k])
		data, err := json.Marshal(swapped)
		if err == nil {
			out = append(out, string(data))
		}
	}
	return out
}

// swapType returns a value of another JSON type: a decimal string becomes the same digits as a
// JSON number (the float trap), any other string a number, a number a string, true/false a
// string, null a number, an array an object and an object an array.
func swapType(v json.RawMessage) json.RawMessage {
	s := strings.TrimSpace(string(v))
	switch {
	case s == "":
		return json.RawMessage(`null`)
	case s[0] == '"':
		var str string
		if json.Unmarshal(v, &str) == nil {
			if _, err := decimal.NewFromString(str); err == nil && str != "" {
				return json.RawMessage(str)
			}
		}
		return json.RawMessage(`1.005`)
	case s[0] == '[':
		return json.RawMessage(`{}`)
	case s[0] == '{':
		return json.RawMessage(`[]`)
	case s == "null":
		return json.RawMessage(`0`)
	}
	q, _ := json.Marshal(s)
	return q
}

// sameDecimal says whether two decimal strings are the same number ("2.5" and "2.50" are;
// "2.005" and "2.01" are not). A string that is no decimal is the same as nothing.
func sameDecimal(a, b string) bool {
	x, err1 := decimal.NewFromString(a)
	y, err2 := decimal.NewFromString(b)
	return err1 == nil && err2 == nil && x.Equal(y)
}
