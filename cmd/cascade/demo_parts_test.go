package main

import (
	"context"
	"strings"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/ledgertest"
	"github.com/cascade-billing/cascade/mediation"
	"github.com/cascade-billing/cascade/mediation/kafka"
	"github.com/cascade-billing/cascade/rating"
)

// The tests of this file are in package main: the demo's parts are unexported.

func TestDemoDirectoryLookup(t *testing.T) {
	cat, err := rating.LoadFile(exampleCatalog)
	if err != nil {
		t.Fatal(err)
	}
	oct := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	customers, _, err := demoCustomers(cat, 2, oct)
	if err != nil {
		t.Fatal(err)
	}
	dir := newDemoDirectory(customers)
	c := customers[0]
	meter := c.Charges[0].Meter
	tests := []struct {
		name           string
		subject, meter string
		at             time.Time
		ok             bool
		start          time.Time
	}{
		{"first second of the month", c.ID, meter, oct, true, oct},
		{"last second of the month", c.ID, meter, oct.AddDate(0, 1, 0).Add(-time.Second), true, oct},
		{"next month", c.ID, meter, oct.AddDate(0, 1, 0), true, oct.AddDate(0, 1, 0)},
		{"another zone, same instant", c.ID, meter, oct.In(time.FixedZone("UTC-5", -5*3600)), true, oct},
		{"unknown subject", "cust-999", meter, oct, false, time.Time{}},
		{"meter the plan does not price", c.ID, "gpu_seconds", oct, false, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, ok := dir.Lookup(tt.subject, tt.meter, tt.at)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			if e.Account != c.ID || e.PlanID != c.Plan.ID || e.PlanVersion != c.Plan.Version || e.PricingGroup != "" {
				t.Errorf("enrichment %+v does not bill %s under %s v%d", e, c.ID, c.Plan.ID, c.Plan.Version)
			}
			if !e.PeriodStart.Equal(tt.start) || !e.PeriodEnd.Equal(tt.start.AddDate(0, 1, 0)) {
				t.Errorf("period [%s, %s), want the calendar month from %s", e.PeriodStart, e.PeriodEnd, tt.start)
			}
		})
	}
}

func TestCheckRejects(t *testing.T) {
	period := ledger.Period{From: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	cut, negative := `{"specversion":"1.0","id":"bad-1",`, `{"id":"bad-2","data":{"quantity":-1}}`
	want := demoExpected{bad: map[string]demoBad{cut: badJSON, negative: badNegative}}
	dead := func(raw, reason string) kafkago.Message {
		return kafkago.Message{Value: []byte(raw), Headers: []kafkago.Header{{Key: kafka.HeaderReason, Value: []byte(reason)}}}
	}
	tests := []struct {
		name       string
		dead       []kafkago.Message
		stored     []ledger.Reject
		edge, pipe int
		ok         bool
		detail     string
	}{
		{"both dead-lettered", []kafkago.Message{dead(cut, "decode"), dead(negative, "bad_quantity")}, nil, 2, 0, true, "bad_quantity 1, decode 1"},
		{"one in the ledger's rejects", []kafkago.Message{dead(cut, "decode")},
			[]ledger.Reject{{Topic: "usage.raw", Offset: 7, At: period.To, Reason: "bad_quantity", Original: []byte(negative)}}, 1, 1, true, "1 ledger rejects"},
		{"one missing", []kafkago.Message{dead(cut, "decode")}, nil, 1, 0, false, "not rejected"},
		{"wrong reason", []kafkago.Message{dead(cut, "decode"), dead(negative, "too_old")}, nil, 2, 0, false, `rejected as "too_old"`},
		{"a good record rejected too", []kafkago.Message{dead(cut, "decode"), dead(negative, "bad_quantity")}, nil, 3, 0, false, "3 records rejected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := ledgertest.NewMemStore()
			if err := store.WriteRejects(context.Background(), tt.stored); err != nil {
				t.Fatal(err)
			}
			flow := &demoFlow{rejected: tt.edge, deadLetters: tt.dead,
				pipeline: mediation.Snapshot{Rejected: map[string]int64{"bad_quantity": int64(tt.pipe)}}}
			c, err := checkRejects(context.Background(), store, period, want, flow)
			if err != nil {
				t.Fatal(err)
			}
			if c.ok != tt.ok || !strings.Contains(c.detail, tt.detail) {
				t.Errorf("ok = %v (%s), want %v and %q", c.ok, c.detail, tt.ok, tt.detail)
			}
		})
	}
}
