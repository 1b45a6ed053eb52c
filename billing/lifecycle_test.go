package billing_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/shopspring/decimal"
)

func TestIssueSetsNumberAndDueDate(t *testing.T) {
	inv := lcInvoice(t, "inv", "EUR", lcLineSpec{billing.LineRecurring, "10.00", "19", false, "DE"})
	at := time.Date(2026, 1, 31, 7, 0, 0, 0, time.FixedZone("CET", 3600))
	if err := inv.Issue("R1-2026-000001", at, 30); err != nil {
		t.Fatal(err)
	}
	if inv.Status != billing.StatusIssued || inv.Number != "R1-2026-000001" || !inv.IssuedAt.Equal(at) || inv.IssuedAt.Location() != time.UTC {
		t.Fatalf("issued: status %s number %q at %s", inv.Status, inv.Number, inv.IssuedAt)
	}
	if want := time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC); !inv.DueAt.Equal(want) {
		t.Errorf("DueAt = %s, want %s (30 days after issue)", inv.DueAt, want)
	}
	if inv.Overdue(inv.DueAt) || !inv.Overdue(inv.DueAt.Add(time.Second)) {
		t.Error("overdue must start just after the due date")
	}

	cn := lcInvoice(t, "cn", "EUR", lcLineSpec{billing.LineCredit, "-10.00", "19", false, "DE"})
	cn.Kind = billing.DocCreditNote
	if err := cn.Issue("R1-CN-2026-000001", at, 30); err != nil {
		t.Fatal(err)
	}
	if !cn.DueAt.IsZero() {
		t.Errorf("a credit note got a due date %s", cn.DueAt)
	}
}

func TestIssueRefusesBadInput(t *testing.T) {
	tests := []struct {
		name   string
		number string
		at     time.Time
		terms  int
	}{
		{"no number", "", lcIssuedAt, 14},
		{"no time", "N1", time.Time{}, 14},
		{"negative terms", "N1", lcIssuedAt, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := lcInvoice(t, "inv", "EUR", lcLineSpec{billing.LineRecurring, "10.00", "19", false, "DE"})
			before := *inv
			if err := inv.Issue(tt.number, tt.at, tt.terms); !errors.Is(err, billing.ErrInvalid) {
				t.Fatalf("Issue = %v, want ErrInvalid", err)
			}
			if !reflect.DeepEqual(*inv, before) {
				t.Error("a refused Issue changed the invoice")
			}
		})
	}
}

// TestLifecycleTransitions is the whole table: every operation from every state, allowed or
// refused with ErrConflict, and a refused one changes nothing.
func TestLifecycleTransitions(t *testing.T) {
	type op int
	const (
		issue op = iota
		pay
		void
	)
	opName := map[op]string{issue: "issue", pay: "pay", void: "void"}
	// setup builds the starting state.
	setups := map[string]func(t *testing.T) *billing.Invoice{
		"draft": func(t *testing.T) *billing.Invoice {
			return lcInvoice(t, "i", "EUR", lcLineSpec{billing.LineUsage, "5.00", "19", false, "DE"})
		},
		"issued": func(t *testing.T) *billing.Invoice { return lcEUR(t) },
		"paid": func(t *testing.T) *billing.Invoice {
			inv := lcEUR(t)
			if err := inv.MarkPaid(lcIssuedAt.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			return inv
		},
		"void": func(t *testing.T) *billing.Invoice {
			inv := lcEUR(t)
			if err := inv.Void(lcIssuedAt.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			return inv
		},
		"issued, partly credited": func(t *testing.T) *billing.Invoice {
			inv := lcEUR(t)
			inv.Credited = decimal.RequireFromString("10.00")
			return inv
		},
		"issued credit note": func(t *testing.T) *billing.Invoice {
			inv := lcEUR(t)
			inv.Kind = billing.DocCreditNote
			return inv
		},
	}
	tests := []struct {
		from string
		op   op
		to   billing.Status // "" = refused
	}{
		{"draft", issue, billing.StatusIssued},
		{"draft", pay, ""},
		{"draft", void, ""},
		{"issued", issue, ""},
		{"issued", pay, billing.StatusPaid},
		{"issued", void, billing.StatusVoid},
		{"paid", issue, ""},
		{"paid", pay, ""},
		{"paid", void, ""},
		{"void", issue, ""},
		{"void", pay, ""},
		{"void", void, ""},
		{"issued, partly credited", pay, billing.StatusPaid},
		{"issued, partly credited", void, ""},
		{"issued credit note", pay, ""},
		{"issued credit note", void, billing.StatusVoid},
	}
	at := lcIssuedAt.Add(24 * time.Hour)
	for _, tt := range tests {
		t.Run(tt.from+"/"+opName[tt.op], func(t *testing.T) {
			inv := setups[tt.from](t)
			before := *inv
			var err error
			switch tt.op {
			case issue:
				err = inv.Issue("N-1", at, 14)
			case pay:
				err = inv.MarkPaid(at)
			case void:
				err = inv.Void(at)
			}
			if tt.to == "" {
				if !errors.Is(err, billing.ErrConflict) {
					t.Fatalf("err = %v, want ErrConflict", err)
				}
				if !reflect.DeepEqual(*inv, before) {
					t.Error("a refused transition changed the invoice")
				}
				return
			}
			if err != nil || inv.Status != tt.to {
				t.Fatalf("err = %v, status %s; want %s", err, inv.Status, tt.to)
			}
		})
	}
}

func TestPayOrVoidBeforeIssueTimeIsInvalid(t *testing.T) {
	early := lcIssuedAt.Add(-time.Minute)
	if err := lcEUR(t).MarkPaid(early); !errors.Is(err, billing.ErrInvalid) {
		t.Errorf("MarkPaid before issue: %v, want ErrInvalid", err)
	}
	if err := lcEUR(t).Void(early); !errors.Is(err, billing.ErrInvalid) {
		t.Errorf("Void before issue: %v, want ErrInvalid", err)
	}
}
