package ledgertest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/ledger"
)

func testRatedVersions(t *testing.T, s ledger.Store, _ Options) {
	c := ctx(t)
	base := ledger.RatedDelta{Source: "s", EventID: "e1", Account: "ACME", PricingGroup: "pool-1", Charge: "api", Meter: "api_calls",
		EventTime: day0().Add(time.Hour), Currency: "EUR", Subscription: "S1"}
	var rows []ledger.RatedDelta
	// Versions arrive out of order: 3, 1, 2. Version 3 must win.
	for _, v := range []uint64{3, 1, 2} {
		r := base
		r.ID = ledger.DeterministicID("rated", "s", "e1", "api")
		r.Version = v
		r.Quantity = dec(fmt.Sprint(10 * v))
		r.Amount = dec(fmt.Sprintf("%d.123456789012345678", v))
		rows = append(rows, r)
	}
	for _, r := range rows {
		must(t, s.WriteRated(c, []ledger.RatedDelta{r}), "write version")
	}
	other := base
	other.ID, other.Version, other.Charge, other.Quantity, other.Amount = "other", 1, "storage", dec("1"), dec("0.5")
	other.Subscription = "S2"
	must(t, s.WriteRated(c, []ledger.RatedDelta{other, other}), "write other")
	// One subscription's deltas only.
	got, err := s.RatedTotals(c, ledger.UsageQuery{Account: "ACME", Subscription: "S2", Period: month()})
	must(t, err, "rated totals of one subscription")
	if len(got) != 1 || got[0].Charge != "storage" || !got[0].Amount.Equal(other.Amount) {
		t.Errorf("rated totals of subscription S2: %+v, want storage %s only", got, other.Amount)
	}
	for _, q := range []ledger.UsageQuery{{Account: "ACME", Period: month()}, {PricingGroup: "pool-1", Period: month()}} {
		got, err := s.RatedTotals(c, q)
		must(t, err, "rated totals")
		if len(got) != 2 || got[0].Charge != "api" || !got[0].Amount.Equal(rows[0].Amount) || !got[0].Quantity.Equal(rows[0].Quantity) ||
			got[0].Events != 1 || got[1].Charge != "storage" || !got[1].Amount.Equal(other.Amount) || got[1].Events != 1 {
			t.Errorf("rated totals %+v: want api = version 3 (%s) once, storage = %s once", got, rows[0].Amount, other.Amount)
		}
	}
}

func sampleDocument(id string, version uint64, status ledger.DocumentStatus, lines int) ledger.Document {
	d := ledger.Document{
		ID: id, Version: version, Kind: ledger.KindInvoice, Issuer: "V", Account: "ACME", Currency: "BHD",
		PeriodStart: day0(), PeriodEnd: day0().AddDate(0, 1, 0), Status: status,
		Subtotal: dec("100.125"), Tax: dec("10.013"), Total: dec("110.138"), ChangedAt: day0().Add(time.Duration(version) * time.Hour), Actor: "billing",
	}
	if status != ledger.StatusDraft {
		d.Number = "V-2026-" + id
		d.IssuedAt = day0().AddDate(0, 1, 1)
	}
	for i := 0; i < lines; i++ {
		d.Lines = append(d.Lines, ledger.DocumentLine{LineNo: uint32(i + 1), Description: fmt.Sprintf("line %d v%d", i+1, version),
			Charge: "api", Meter: "api_calls", Quantity: dec("1234.5"), UnitPrice: dec("0.000123456789012345"),
			Amount: dec(fmt.Sprintf("%d.125", 50+i)), TaxAmount: dec("5.006")})
	}
	return d
}

func sameDocument(a, b ledger.Document) bool {
	return a.ID == b.ID && a.Version == b.Version && a.Kind == b.Kind && a.Number == b.Number && a.Issuer == b.Issuer &&
		a.Account == b.Account && a.Currency == b.Currency && a.PeriodStart.Equal(b.PeriodStart) && a.PeriodEnd.Equal(b.PeriodEnd) &&
		a.IssuedAt.Equal(b.IssuedAt) && a.Status == b.Status && a.Subtotal.Equal(b.Subtotal) && a.Tax.Equal(b.Tax) &&
		a.Total.Equal(b.Total) && a.RefersTo == b.RefersTo && a.ChangedAt.Equal(b.ChangedAt) && a.Actor == b.Actor
}

func testDocuments(t *testing.T, s ledger.Store, _ Options) {
	c := ctx(t)
	draft := sampleDocument("INV-1", 1, ledger.StatusDraft, 3)
	issued := sampleDocument("INV-1", 2, ledger.StatusIssued, 2) // re-rated: one line fewer
	paid := sampleDocument("INV-1", 3, ledger.StatusPaid, 0)     // status change only
	other := sampleDocument("INV-2", 1, ledger.StatusIssued, 1)
	credit := sampleDocument("CN-1", 1, ledger.StatusIssued, 1)
	credit.Kind, credit.RefersTo = ledger.KindCreditNote, "INV-2"
	// Out of order, and the issued version written twice.
	for _, batch := range [][]ledger.Document{{paid}, {draft, issued}, {issued, other, credit}} {
		must(t, s.WriteDocuments(c, batch), "write documents")
	}
	strip := func(d ledger.Document) ledger.Document { d.Lines = nil; return d }
	cases := []struct {
		q    ledger.DocumentQuery
		want []ledger.Document
	}{
		{ledger.DocumentQuery{}, []ledger.Document{strip(credit), strip(paid), strip(other)}},
		{ledger.DocumentQuery{Status: ledger.StatusIssued}, []ledger.Document{strip(credit), strip(other)}},
		{ledger.DocumentQuery{Status: ledger.StatusIssued, Kind: ledger.KindInvoice}, []ledger.Document{strip(other)}},
		{ledger.DocumentQuery{Status: ledger.StatusDraft}, nil},
		{ledger.DocumentQuery{Status: ledger.StatusPaid, Account: "ACME", Issuer: "V"}, []ledger.Document{strip(paid)}},
		{ledger.DocumentQuery{Account: "nobody"}, nil},
	}
	for _, tc := range cases {
		got, err := s.Documents(c, tc.q)
		must(t, err, "documents")
		if len(got) != len(tc.want) {
			t.Errorf("documents %+v: got %d %+v, want %d", tc.q, len(got), got, len(tc.want))
			continue
		}
		for i := range got {
			if !sameDocument(got[i], tc.want[i]) || len(got[i].Lines) != 0 {
				t.Errorf("documents %+v [%d]: got %+v, want %+v", tc.q, i, got[i], tc.want[i])
			}
		}
	}
	lines, err := s.DocumentLines(c, "INV-1")
	must(t, err, "lines")
	if len(lines) != len(issued.Lines) {
		t.Fatalf("lines of INV-1: %d, want the %d of version 2", len(lines), len(issued.Lines))
	}
	for i, l := range lines {
		w := issued.Lines[i]
		if l.LineNo != w.LineNo || l.Description != w.Description || l.Charge != w.Charge || l.Meter != w.Meter ||
			!l.Quantity.Equal(w.Quantity) || !l.UnitPrice.Equal(w.UnitPrice) || !l.Amount.Equal(w.Amount) || !l.TaxAmount.Equal(w.TaxAmount) {
			t.Errorf("line %d: got %+v, want %+v", i, l, w)
		}
	}
	none, err := s.DocumentLines(c, "missing")
	must(t, err, "lines of missing")
	if len(none) != 0 {
		t.Errorf("lines of a missing document: %+v", none)
	}
	bad := sampleDocument("INV-BAD", 1, ledger.StatusIssued, 1)
	bad.Lines[0].UnitPrice = dec("0.0000000000000000001")
	if err := s.WriteDocuments(c, []ledger.Document{bad}); !errors.Is(err, ledger.ErrOutOfBounds) {
		t.Errorf("unit price with 19 fraction digits: %v, want ErrOutOfBounds", err)
	}
}

func testRejects(t *testing.T, s ledger.Store, _ Options) {
	c := ctx(t)
	var rows []ledger.Reject
	reasons := []string{"bad_json", "unknown_meter", "bad_json", "negative_quantity", "bad_json"}
	for i, reason := range reasons {
		rows = append(rows, ledger.Reject{Topic: "usage.raw", Partition: int32(i % 2), Offset: int64(100 + i),
			At: day0().Add(time.Duration(i) * time.Minute), Reason: reason, Detail: "detail " + reason,
			Source: "vendor-a", EventID: fmt.Sprint("e", i),
			Original: append([]byte(`{"q":'x\`), byte(i), 0xff, 0x00, '}')})
	}
	must(t, s.WriteRejects(c, rows), "write")
	must(t, s.WriteRejects(c, rows[:2]), "redelivery")
	counts, err := s.RejectCounts(c, ledger.RejectQuery{Period: month()})
	must(t, err, "counts")
	want := map[string]uint64{}
	for _, r := range rows {
		want[r.Reason]++
	}
	if len(counts) != len(want) {
		t.Fatalf("reject counts %+v, want %v", counts, want)
	}
	for _, rc := range counts {
		if rc.Count != want[rc.Reason] {
			t.Errorf("reason %s: %d, want %d", rc.Reason, rc.Count, want[rc.Reason])
		}
	}
	got, err := s.Rejects(c, ledger.RejectQuery{Reason: "bad_json", Period: month(), Limit: 2})
	must(t, err, "list")
	if len(got) != 2 {
		t.Fatalf("listing with limit 2: %d rows", len(got))
	}
	for i, g := range got {
		w := rows[[]int{0, 2}[i]]
		if g.Topic != w.Topic || g.Partition != w.Partition || g.Offset != w.Offset || !g.At.Equal(w.At) || g.Reason != w.Reason ||
			g.Detail != w.Detail || g.Source != w.Source || g.EventID != w.EventID || !bytes.Equal(g.Original, w.Original) {
			t.Errorf("reject %d: got %+v, want %+v", i, g, w)
		}
	}
	all, err := s.Rejects(c, ledger.RejectQuery{Period: month()})
	must(t, err, "list all")
	if len(all) != len(rows) {
		t.Errorf("listing: %d rejects, want %d (redelivery must collapse)", len(all), len(rows))
	}
	// Source selects one source and its sub-sources ("vendor-a/eu"), not a longer name
	// sharing its prefix ("vendor-ab").
	var more []ledger.Reject
	for i, src := range []string{"vendor-a/eu", "vendor-ab", "vendor-b", "vendor-a/"} {
		more = append(more, ledger.Reject{Topic: "usage.raw", Partition: 3, Offset: int64(500 + i), At: day0().Add(time.Hour),
			Reason: "bad_json", Source: src, Original: []byte("{")})
	}
	must(t, s.WriteRejects(c, more), "write sources")
	of, err := s.Rejects(c, ledger.RejectQuery{Source: "vendor-a", Period: month()})
	must(t, err, "list by source")
	var sources []string
	for _, r := range of {
		sources = append(sources, r.Source)
	}
	if len(of) != len(rows)+2 || slices.Contains(sources, "vendor-ab") || !slices.Contains(sources, "vendor-a/eu") || !slices.Contains(sources, "vendor-a/") {
		t.Errorf("rejects of source vendor-a: %v; want the %d of vendor-a, vendor-a/eu and vendor-a/", sources, len(rows))
	}
}

func testAudit(t *testing.T, s ledger.Store, _ Options) {
	c := ctx(t)
	rows := []ledger.AuditEntry{
		{ID: "a2", At: day0().Add(2 * time.Hour), Actor: "alice", Action: "invoice.void", Object: "invoice:INV-1", Origin: "api 10.0.0.7", Detail: "duplicate"},
		{ID: "a1", At: day0().Add(time.Hour), Actor: "scheduler", Action: "invoice.issue", Object: "invoice:INV-1", Origin: "scheduler"},
		{ID: "a3", At: day0().Add(3 * time.Hour), Actor: "bob", Action: "plan.publish", Object: "plan:pro", Origin: "cli"},
	}
	must(t, s.WriteAudit(c, rows), "write")
	must(t, s.WriteAudit(c, rows[:1]), "retry")
	got, err := s.Audit(c, ledger.AuditQuery{Object: "invoice:INV-1", Period: month()})
	must(t, err, "audit")
	if len(got) != 2 || got[0] != rows[1] || got[1] != rows[0] {
		t.Errorf("audit of invoice:INV-1: %+v, want a1 then a2", got)
	}
	all, err := s.Audit(c, ledger.AuditQuery{Period: month()})
	must(t, err, "audit all")
	if len(all) != 3 {
		t.Errorf("audit: %d entries, want 3", len(all))
	}
}

func testEmpty(t *testing.T, s ledger.Store, _ Options) {
	c := ctx(t)
	checks := []struct {
		name string
		run  func() (int, error)
	}{
		{"usage totals", func() (int, error) {
			r, err := s.UsageTotals(c, ledger.UsageQuery{Account: "A", Period: month()})
			return len(r), err
		}},
		{"consumption", func() (int, error) {
			r, err := s.Consumption(c, ledger.ConsumptionQuery{Account: "A", Period: month(), GroupBy: "region"})
			return len(r), err
		}},
		{"rated totals", func() (int, error) {
			r, err := s.RatedTotals(c, ledger.UsageQuery{PricingGroup: "g", Period: month()})
			return len(r), err
		}},
		{"balances", func() (int, error) { r, err := s.Balances(c, ledger.BalanceQuery{AsOf: day0()}); return len(r), err }},
		{"journal", func() (int, error) {
			r, err := s.Journal(c, ledger.JournalQuery{Party: "reseller:R1", Period: month()})
			return len(r), err
		}},
		{"documents", func() (int, error) { r, err := s.Documents(c, ledger.DocumentQuery{}); return len(r), err }},
		{"document lines", func() (int, error) { r, err := s.DocumentLines(c, "x"); return len(r), err }},
		{"reject counts", func() (int, error) {
			r, err := s.RejectCounts(c, ledger.RejectQuery{Period: month()})
			return len(r), err
		}},
		{"rejects", func() (int, error) { r, err := s.Rejects(c, ledger.RejectQuery{Period: month()}); return len(r), err }},
		{"audit", func() (int, error) { r, err := s.Audit(c, ledger.AuditQuery{Period: month()}); return len(r), err }},
		{"events", func() (int, error) { r, err := s.Events(c, ledger.EventQuery{}); return len(r), err }},
		{"events with prefix", func() (int, error) {
			r, err := s.Events(c, ledger.EventQuery{AggregatePrefix: "account:"})
			return len(r), err
		}},
		{"period usage", func() (int, error) {
			r, err := s.PeriodUsage(c, ledger.PeriodUsageQuery{Period: month()})
			return len(r), err
		}},
		{"period usage of accounts", func() (int, error) {
			r, err := s.PeriodUsage(c, ledger.PeriodUsageQuery{Period: month(), Accounts: []string{"A", "B"}, IngestedBefore: day0()})
			return len(r), err
		}},
	}
	for _, ch := range checks {
		n, err := ch.run()
		if err != nil || n != 0 {
			t.Errorf("%s on an empty store: %d rows, error %v", ch.name, n, err)
		}
	}
	// Empty writes are no-ops, not errors.
	must(t, s.WriteUsage(c, nil), "empty usage write")
	must(t, s.WriteTransactions(c, nil), "empty transactions write")
	must(t, s.WriteDocuments(c, nil), "empty documents write")
	must(t, s.WriteEvents(c, nil), "empty events write")
	// Invalid queries are refused before reaching storage.
	if _, err := s.UsageTotals(c, ledger.UsageQuery{Period: month()}); !errors.Is(err, ledger.ErrInvalid) {
		t.Errorf("usage query without account or group: %v, want ErrInvalid", err)
	}
	if _, err := s.Journal(c, ledger.JournalQuery{Party: "p", Period: ledger.Period{From: day0(), To: day0()}}); !errors.Is(err, ledger.ErrInvalid) {
		t.Errorf("empty period: %v, want ErrInvalid", err)
	}
	if _, err := s.PeriodUsage(c, ledger.PeriodUsageQuery{Accounts: []string{"A"}}); !errors.Is(err, ledger.ErrInvalid) {
		t.Errorf("period usage without a period: %v, want ErrInvalid", err)
	}
}

func testClosed(t *testing.T, s ledger.Store, _ Options) {
	c := ctx(t)
	must(t, s.Close(), "close")
	if err := s.WriteUsage(c, []ledger.Usage{usageRow("s", "e", "A", "m", "1", day0())}); !errors.Is(err, ledger.ErrClosed) {
		t.Errorf("write after close: %v, want ErrClosed", err)
	}
	if _, err := s.UsageTotals(c, ledger.UsageQuery{Account: "A", Period: month()}); !errors.Is(err, ledger.ErrClosed) {
		t.Errorf("read after close: %v, want ErrClosed", err)
	}
	if err := s.WriteEvents(c, []ledger.Event{event("account:A", 1, "{}")}); !errors.Is(err, ledger.ErrClosed) {
		t.Errorf("event write after close: %v, want ErrClosed", err)
	}
	if _, err := s.Events(c, ledger.EventQuery{}); !errors.Is(err, ledger.ErrClosed) {
		t.Errorf("event read after close: %v, want ErrClosed", err)
	}
	if _, err := s.PeriodUsage(c, ledger.PeriodUsageQuery{Period: month()}); !errors.Is(err, ledger.ErrClosed) {
		t.Errorf("period usage after close: %v, want ErrClosed", err)
	}
}
