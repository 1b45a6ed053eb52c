package mediation_test

import (
	"context"
	"testing"

	"github.com/cascade-billing/cascade/mediation"
	"github.com/cascade-billing/cascade/mediation/connector"
	"github.com/cascade-billing/cascade/mediation/mediationtest"
)

// TestRejectsNameTheirRecord: a reject carries the record's source and event id as far as the
// record decoded, so a vendor's dead letters can be found by event id.
func TestRejectsNameTheirRecord(t *testing.T) {
	ts := "2026-11-24T11:00:00Z"
	tests := []struct {
		name          string
		raw           []byte
		reason        string
		source, event string
	}{
		{"not JSON", []byte(`garbage`), mediation.ReasonDecode, "", ""},
		{"missing quantity", event("m1", "api_calls", "cust-a", ts, `{"count":3}`), mediation.ReasonMissingField, "acme-gw", "m1"},
		{"wrong id type", []byte(`{"specversion":"1.0","id":7,"source":"acme-gw"}`), mediation.ReasonDecode, "", ""},
		{"unknown meter", event("u1", "nope", "cust-a", ts, `{"quantity":1}`), mediation.ReasonUnknownMeter, "acme-gw", "u1"},
		{"unknown subject", event("s1", "api_calls", "cust-zz", ts, `{"quantity":1}`), mediation.ReasonUnknownSubject, "acme-gw", "s1"},
		{"too old", event("o1", "api_calls", "cust-a", "2026-09-01T00:00:00Z", `{"quantity":1}`), mediation.ReasonTooOld, "acme-gw", "o1"},
		{"negative total", event("n1", "adjustments", "cust-b", ts, `{"quantity":-1}`), mediation.ReasonNegativeTotal, "acme-gw", "n1"},
	}
	ledger := mediationtest.NewLedger()
	p, _ := newPipeline(t, ledger, ledger)
	raws := make([][]byte, len(tests))
	for i, tt := range tests {
		raws[i] = tt.raw
	}
	if err := p.Handle(context.Background(), messages(0, 0, raws...)); err != nil {
		t.Fatal(err)
	}
	got := ledger.Rejected()
	if len(got) != len(tests) {
		t.Fatalf("%d rejects, want %d", len(got), len(tests))
	}
	for i, tt := range tests {
		r := got[i]
		if r.Offset != int64(i) || r.Reason != tt.reason || r.Source != tt.source || r.EventID != tt.event {
			t.Errorf("%s: reject @%d %s source %q event %q, want @%d %s source %q event %q",
				tt.name, r.Offset, r.Reason, r.Source, r.EventID, i, tt.reason, tt.source, tt.event)
		}
	}
}

// TestConnectorReasonsListed: the HTTP connector's reason codes are mediation reason codes, so
// they have counter series and documentation like every other.
func TestConnectorReasonsListed(t *testing.T) {
	listed := map[string]bool{}
	for _, r := range mediation.Reasons() {
		if listed[r] {
			t.Errorf("reason %q listed twice", r)
		}
		listed[r] = true
	}
	for _, tt := range []struct{ connector, mediation string }{
		{connector.ReasonForeignMeter, mediation.ReasonForeignMeter},
		{connector.ReasonForeignSource, mediation.ReasonForeignSource},
	} {
		if tt.connector != tt.mediation || !listed[tt.connector] {
			t.Errorf("connector reason %q: mediation has %q, listed in Reasons: %v", tt.connector, tt.mediation, listed[tt.connector])
		}
	}
}

// TestUsageIDsAcrossSources: the pipeline's usage ids are UsageID(source, id) whatever the
// order of sources, within a batch and across batches whose buffers are reused (same event id
// from two producers is two records, not a duplicate).
func TestUsageIDsAcrossSources(t *testing.T) {
	rec := func(source, id string) []byte {
		return []byte(`{"specversion":"1.0","id":"` + id + `","source":"` + source +
			`","type":"api_calls","subject":"cust-a","time":"2026-11-24T11:00:00Z","data":{"quantity":1}}`)
	}
	batches := [][][]byte{
		// One record each: the second batch's source lands where the first's was decoded.
		{rec("acme-gw", "e1")},
		{rec("evil-gw", "e1")},
		{rec("acme-gw", "e2"), rec("beta-gw", "e1"), rec("acme-gw", "e3")},
		{rec("acme-gw", "e1"), rec("evil-gw", "e2")}, // e1 of acme-gw is a duplicate
	}
	ledger := mediationtest.NewLedger()
	p, _ := newPipeline(t, ledger, ledger)
	var off int64
	for _, b := range batches {
		if err := p.Handle(context.Background(), messages(0, off, b...)); err != nil {
			t.Fatal(err)
		}
		off += int64(len(b))
	}
	rows := ledger.Usage()
	if s := p.Counters().Snapshot(); s.Accepted != 6 || s.Duplicate != 1 || len(rows) != 6 {
		t.Fatalf("accepted %d, duplicate %d, rows %d; want 6, 1, 6", s.Accepted, s.Duplicate, len(rows))
	}
	for _, u := range rows {
		if want := mediation.UsageID(u.Source, u.Record.ID); u.ID != want {
			t.Errorf("row %s/%s: id %s, want UsageID %s", u.Source, u.Record.ID, u.ID, want)
		}
	}
}
