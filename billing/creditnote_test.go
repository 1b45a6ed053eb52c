package billing_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

var lcCreditAt = lcIssuedAt.Add(72 * time.Hour)

func TestCreditNoteFull(t *testing.T) {
	for _, mk := range []func(testing.TB) *billing.Invoice{lcEUR, lcMultiJurisdiction, lcJPY} {
		inv := mk(t)
		t.Run(inv.ID, func(t *testing.T) {
			cn, err := billing.NewCreditNote(inv, billing.CreditNoteRequest{ID: "cn1", Reason: "cancelled", Full: true}, lcCreditAt)
			if err != nil {
				t.Fatal(err)
			}
			if cn.Kind != billing.DocCreditNote || cn.Status != billing.StatusDraft || cn.RefersTo != inv.ID || cn.Number != "" ||
				cn.Currency != inv.Currency || cn.Buyer != inv.Buyer || cn.Issuer != inv.Issuer {
				t.Fatalf("credit note header: %+v", cn)
			}
			if !cn.Total.Equal(inv.Total.Neg()) || !cn.Subtotal.Equal(inv.Subtotal.Neg()) || !cn.Tax.Equal(inv.Tax.Neg()) {
				t.Fatalf("totals %s/%s/%s, want the invoice's %s/%s/%s negated", cn.Subtotal, cn.Tax, cn.Total, inv.Subtotal, inv.Tax, inv.Total)
			}
			if len(cn.Lines) != len(inv.Lines) {
				t.Fatalf("%d lines, want %d", len(cn.Lines), len(inv.Lines))
			}
			for i, l := range cn.Lines {
				o := inv.Lines[i]
				if l.Kind != billing.LineCredit || l.No != i+1 || l.Ref != fmt.Sprint(o.No) || !l.TaxRate.Equal(o.TaxRate) ||
					!l.Net.Equal(o.Net.Neg()) || !l.Tax.Equal(o.Tax.Neg()) || !l.Gross.Equal(o.Gross.Neg()) || !l.Amount.Equal(o.Amount.Neg()) {
					t.Errorf("line %d = %+v, want the negation of %+v", i, l, o)
				}
			}
			if len(cn.Taxes) != len(inv.Taxes) {
				t.Fatalf("taxes %+v, want one per invoice summary", cn.Taxes)
			}
			for i, ts := range cn.Taxes {
				o := inv.Taxes[i]
				if ts.Jurisdiction != o.Jurisdiction || !ts.Rate.Equal(o.Rate) || !ts.Net.Equal(o.Net.Neg()) || !ts.Tax.Equal(o.Tax.Neg()) {
					t.Errorf("tax summary %d = %+v, want the negation of %+v", i, ts, o)
				}
			}
			if err := billing.CheckTotals(cn); err != nil {
				t.Errorf("the credit note does not add up: %v", err)
			}
			if !strings.Contains(cn.Notes[0], inv.Number) || !strings.Contains(cn.Notes[0], "cancelled") {
				t.Errorf("notes %q must name the invoice and the reason", cn.Notes)
			}
		})
	}
}

func TestCreditNotePartialTaxPerLine(t *testing.T) {
	tests := []struct {
		name           string
		inv            func(testing.TB) *billing.Invoice
		line           int
		amount         string
		net, tax, amnt string // expected credit line (positive); amnt = the priced amount
	}{
		// 50.00 × 19/119 = 7.983… → 7.98; the line's prices are net, so Amount = −net.
		{"EUR 19%", lcEUR, 1, "50.00", "42.02", "7.98", "42.02"},
		// 5.00 × 7/107 = 0.3271… → 0.33
		{"EUR 7%", lcEUR, 3, "5.00", "4.67", "0.33", "4.67"},
		// 300 × 10/110 = 27.27… → 27 yen; the line's prices include the tax, so Amount = −gross.
		{"JPY 10% inclusive", lcJPY, 1, "300", "273", "27", "300"},
		// 1 × 10/110 = 0.09 → 0 yen
		{"JPY 1 yen", lcJPY, 2, "1", "1", "0", "1"},
		// reverse charge / 0 %: all net
		{"EUR 0%", lcMultiJurisdiction, 3, "12.34", "12.34", "0", "12.34"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := tt.inv(t)
			req := billing.CreditNoteRequest{ID: "cn", Invoice: inv.ID, Reason: "goodwill",
				Lines: []billing.CreditLine{{LineNo: tt.line, Amount: lcDec(t, tt.amount)}}}
			cn, err := billing.NewCreditNote(inv, req, lcCreditAt)
			if err != nil {
				t.Fatal(err)
			}
			if len(cn.Lines) != 1 {
				t.Fatalf("%d lines", len(cn.Lines))
			}
			l := cn.Lines[0]
			if !l.Gross.Equal(lcDec(t, tt.amount).Neg()) || !l.Net.Equal(lcDec(t, tt.net).Neg()) || !l.Tax.Equal(lcDec(t, tt.tax).Neg()) ||
				!l.Amount.Equal(lcDec(t, tt.amnt).Neg()) {
				t.Errorf("line net %s tax %s gross %s amount %s; want -%s -%s -%s -%s", l.Net, l.Tax, l.Gross, l.Amount, tt.net, tt.tax, tt.amount, tt.amnt)
			}
			if !l.Quantity.IsZero() {
				t.Errorf("a partial credit printed quantity %s", l.Quantity)
			}
			if err := billing.CheckTotals(cn); err != nil {
				t.Errorf("does not add up: %v", err)
			}
		})
	}
}

func TestCreditNoteRefuses(t *testing.T) {
	line := func(no int, amount string) []billing.CreditLine {
		return []billing.CreditLine{{LineNo: no, Amount: decimal.RequireFromString(amount)}}
	}
	tests := []struct {
		name string
		inv  func(testing.TB) *billing.Invoice
		req  billing.CreditNoteRequest
		kind error
	}{
		{"no id", lcEUR, billing.CreditNoteRequest{Reason: "r", Full: true}, billing.ErrInvalid},
		{"no reason", lcEUR, billing.CreditNoteRequest{ID: "c", Full: true}, billing.ErrInvalid},
		{"other invoice", lcEUR, billing.CreditNoteRequest{ID: "c", Invoice: "inv-x", Reason: "r", Full: true}, billing.ErrInvalid},
		{"full and lines", lcEUR, billing.CreditNoteRequest{ID: "c", Reason: "r", Full: true, Lines: line(1, "1.00")}, billing.ErrInvalid},
		{"nothing asked", lcEUR, billing.CreditNoteRequest{ID: "c", Reason: "r"}, billing.ErrInvalid},
		{"unknown line", lcEUR, billing.CreditNoteRequest{ID: "c", Reason: "r", Lines: line(9, "1.00")}, billing.ErrNotFound},
		{"negative amount", lcEUR, billing.CreditNoteRequest{ID: "c", Reason: "r", Lines: line(1, "-1.00")}, billing.ErrInvalid},
		{"zero amount", lcEUR, billing.CreditNoteRequest{ID: "c", Reason: "r", Lines: line(1, "0")}, billing.ErrInvalid},
		{"sub-cent amount", lcEUR, billing.CreditNoteRequest{ID: "c", Reason: "r", Lines: line(1, "1.005")}, billing.ErrInvalid},
		{"fractional yen", lcJPY, billing.CreditNoteRequest{ID: "c", Reason: "r", Lines: line(1, "10.5")}, billing.ErrInvalid},
		{"line twice", lcEUR, billing.CreditNoteRequest{ID: "c", Reason: "r", Lines: append(line(1, "1.00"), line(1, "1.00")...)}, billing.ErrInvalid},
		{"over-credit a line", lcEUR, billing.CreditNoteRequest{ID: "c", Reason: "r", Lines: line(1, "119.01")}, billing.ErrConflict},
		{"over-credit a yen line", lcJPY, billing.CreditNoteRequest{ID: "c", Reason: "r", Lines: line(2, "556")}, billing.ErrConflict},
		{"credit a discount line", lcEUR, billing.CreditNoteRequest{ID: "c", Reason: "r", Lines: line(4, "1.00")}, billing.ErrConflict},
		// Lines 1–3 in full are 169.37, more than the invoice's 157.47 (the discount line).
		{"over-credit the invoice", lcEUR, billing.CreditNoteRequest{ID: "c", Reason: "r", Lines: append(append(line(1, "119.00"), line(2, "39.66")...), line(3, "10.71")...)}, billing.ErrConflict},
		{"draft invoice", func(t testing.TB) *billing.Invoice {
			return lcInvoice(t, "d", "EUR", lcLineSpec{billing.LineUsage, "1.00", "19", false, "DE"})
		}, billing.CreditNoteRequest{ID: "c", Reason: "r", Full: true}, billing.ErrConflict},
		{"void invoice", func(t testing.TB) *billing.Invoice {
			inv := lcEUR(t)
			if err := inv.Void(lcCreditAt); err != nil {
				t.Fatal(err)
			}
			return inv
		}, billing.CreditNoteRequest{ID: "c", Reason: "r", Full: true}, billing.ErrConflict},
		{"a credit note", func(t testing.TB) *billing.Invoice {
			inv := lcEUR(t)
			inv.Kind = billing.DocCreditNote
			return inv
		}, billing.CreditNoteRequest{ID: "c", Reason: "r", Full: true}, billing.ErrConflict},
		{"credited but no prior notes given", func(t testing.TB) *billing.Invoice {
			inv := lcEUR(t)
			inv.Credited = decimal.RequireFromString("10.00")
			return inv
		}, billing.CreditNoteRequest{ID: "c", Reason: "r", Lines: line(1, "1.00")}, billing.ErrConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cn, err := billing.NewCreditNote(tt.inv(t), tt.req, lcCreditAt)
			if !errors.Is(err, tt.kind) || cn != nil {
				t.Fatalf("NewCreditNote = %v, %v; want %v", cn, err, tt.kind)
			}
		})
	}
}

// issueCredit runs a credit note through the lifecycle the Service uses: build, issue, record.
func lcIssueCredit(t *testing.T, inv *billing.Invoice, req billing.CreditNoteRequest, prior []*billing.Invoice) *billing.Invoice {
	t.Helper()
	cn, err := billing.NewCreditNote(inv, req, lcCreditAt, prior...)
	if err != nil {
		t.Fatalf("credit note %s: %v", req.ID, err)
	}
	if err := cn.Issue("CN-"+req.ID, lcCreditAt, 0); err != nil {
		t.Fatal(err)
	}
	if err := inv.AddCredit(cn); err != nil {
		t.Fatal(err)
	}
	return cn
}

// Property: however an invoice is credited in pieces, the credit notes add up to it to the cent,
// line by line (net, tax, gross), and nothing more can be credited afterwards.
func TestCreditNotesAddUpToTheInvoice(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 7))
	for round := 0; round < 50; round++ {
		for _, mk := range []func(testing.TB) *billing.Invoice{lcEUR, lcMultiJurisdiction, lcJPY} {
			inv := mk(t)
			cur, err := rating.LookupCurrency(inv.Currency)
			if err != nil {
				t.Fatal(err)
			}
			unit := decimal.New(1, -cur.MinorUnits)
			var prior []*billing.Invoice
			for k := 0; k < 3; k++ { // three partial notes of random amounts per positive line
				var lines []billing.CreditLine
				for _, l := range inv.Lines {
					units := l.Gross.Div(unit).IntPart() / 4
					if units > 0 {
						lines = append(lines, billing.CreditLine{LineNo: l.No, Amount: unit.Mul(decimal.NewFromInt(1 + rng.Int64N(units)))})
					}
				}
				if len(lines) == 0 {
					continue
				}
				prior = append(prior, lcIssueCredit(t, inv, billing.CreditNoteRequest{ID: fmt.Sprintf("p%d", k), Reason: "r", Lines: lines}, prior))
			}
			prior = append(prior, lcIssueCredit(t, inv, billing.CreditNoteRequest{ID: "rest", Reason: "r", Full: true}, prior))

			if !inv.Credited.Equal(inv.Total) {
				t.Fatalf("%s round %d: credited %s of %s", inv.ID, round, inv.Credited, inv.Total)
			}
			for _, l := range inv.Lines {
				net, tax, gross := l.Net, l.Tax, l.Gross
				for _, cn := range prior {
					for _, c := range cn.Lines {
						if c.Ref == fmt.Sprint(l.No) {
							net, tax, gross = net.Add(c.Net), tax.Add(c.Tax), gross.Add(c.Gross)
						}
					}
				}
				if !net.IsZero() || !tax.IsZero() || !gross.IsZero() {
					t.Fatalf("%s round %d line %d: left net %s tax %s gross %s", inv.ID, round, l.No, net, tax, gross)
				}
			}
			_, err = billing.NewCreditNote(inv, billing.CreditNoteRequest{ID: "more", Reason: "r", Full: true}, lcCreditAt, prior...)
			if !errors.Is(err, billing.ErrConflict) {
				t.Fatalf("%s: crediting a fully credited invoice: %v, want ErrConflict", inv.ID, err)
			}
		}
	}
}

func TestCreditNoteAfterPartialRespectsTheRemainder(t *testing.T) {
	inv := lcEUR(t)
	first := lcIssueCredit(t, inv, billing.CreditNoteRequest{ID: "a", Reason: "r", Lines: []billing.CreditLine{{LineNo: 1, Amount: lcDec(t, "50.00")}}}, nil)
	// 69.00 is what is left of line 1 (119.00 − 50.00); one more cent is refused.
	_, err := billing.NewCreditNote(inv, billing.CreditNoteRequest{ID: "b", Reason: "r", Lines: []billing.CreditLine{{LineNo: 1, Amount: lcDec(t, "69.01")}}}, lcCreditAt, first)
	if !errors.Is(err, billing.ErrConflict) {
		t.Fatalf("over the remainder: %v, want ErrConflict", err)
	}
	rest, err := billing.NewCreditNote(inv, billing.CreditNoteRequest{ID: "b", Reason: "r", Lines: []billing.CreditLine{{LineNo: 1, Amount: lcDec(t, "69.00")}}}, lcCreditAt, first)
	if err != nil {
		t.Fatal(err)
	}
	// The rest takes exactly the rest of the line's net and tax: 100.00 − 42.02, 19.00 − 7.98.
	if l := rest.Lines[0]; !l.Net.Equal(lcDec(t, "-57.98")) || !l.Tax.Equal(lcDec(t, "-11.02")) {
		t.Errorf("rest of line 1: net %s tax %s", l.Net, l.Tax)
	}
	// A void prior note gives its credit back; the invoice must then say so too.
	if err := first.Void(lcCreditAt); err != nil {
		t.Fatal(err)
	}
	if _, err := billing.NewCreditNote(inv, billing.CreditNoteRequest{ID: "c", Reason: "r", Full: true}, lcCreditAt, first); !errors.Is(err, billing.ErrConflict) {
		t.Fatalf("void prior note not released on the invoice: %v, want ErrConflict", err)
	}
	if err := inv.RemoveCredit(first); err != nil {
		t.Fatal(err)
	}
	full, err := billing.NewCreditNote(inv, billing.CreditNoteRequest{ID: "c", Reason: "r", Full: true}, lcCreditAt, first)
	if err != nil || !full.Total.Equal(inv.Total.Neg()) {
		t.Fatalf("full credit after the void: %v, total %v", err, full)
	}
}

func TestAddCreditRefuses(t *testing.T) {
	inv := lcEUR(t)
	cn, err := billing.NewCreditNote(inv, billing.CreditNoteRequest{ID: "a", Reason: "r", Full: true}, lcCreditAt)
	if err != nil {
		t.Fatal(err)
	}
	if err := inv.AddCredit(cn); !errors.Is(err, billing.ErrConflict) {
		t.Errorf("adding a draft credit note: %v, want ErrConflict", err)
	}
	if err := cn.Issue("CN1", lcCreditAt, 0); err != nil {
		t.Fatal(err)
	}
	other := lcJPY(t)
	if err := other.AddCredit(cn); !errors.Is(err, billing.ErrConflict) {
		t.Errorf("adding a note of another invoice: %v, want ErrConflict", err)
	}
	if err := inv.AddCredit(cn); err != nil {
		t.Fatal(err)
	}
	if err := inv.AddCredit(cn); !errors.Is(err, billing.ErrConflict) || !inv.Credited.Equal(inv.Total) {
		t.Errorf("adding the same full note twice: %v, credited %s", err, inv.Credited)
	}
	if err := inv.RemoveCredit(cn); !errors.Is(err, billing.ErrConflict) {
		t.Errorf("releasing an issued note: %v, want ErrConflict", err)
	}
}

// Many tiny credits each round their tax down to 0; they must stop taking net once the line's
// net is used up, and still add up to the line exactly.
func TestTinyCreditsNeverOverCreditNetOrTax(t *testing.T) {
	inv := lcIssued(t, lcInvoice(t, "tiny", "EUR", lcLineSpec{billing.LineUsage, "1.00", "19", false, "DE"}), "N1") // 1.00 + 0.19
	var prior []*billing.Invoice
	net, tax := decimal.Zero, decimal.Zero
	for i := 0; i < 39; i++ { // 39 × 0.03 = 1.17; each 0.03 × 19/119 = 0.0048 → 0.00
		cn := lcIssueCredit(t, inv, billing.CreditNoteRequest{ID: fmt.Sprint("t", i), Reason: "r",
			Lines: []billing.CreditLine{{LineNo: 1, Amount: lcDec(t, "0.03")}}}, prior)
		prior = append(prior, cn)
		net, tax = net.Sub(cn.Lines[0].Net), tax.Sub(cn.Lines[0].Tax)
		if net.GreaterThan(lcDec(t, "1.00")) || tax.GreaterThan(lcDec(t, "0.19")) || cn.Lines[0].Net.IsPositive() || cn.Lines[0].Tax.IsPositive() {
			t.Fatalf("after %d credits: net %s tax %s credited (line: 1.00, 0.19); last line %+v", i+1, net, tax, cn.Lines[0])
		}
	}
	last := lcIssueCredit(t, inv, billing.CreditNoteRequest{ID: "last", Reason: "r", Full: true}, prior)
	net, tax = net.Sub(last.Lines[0].Net), tax.Sub(last.Lines[0].Tax)
	if !net.Equal(lcDec(t, "1.00")) || !tax.Equal(lcDec(t, "0.19")) || !inv.Credited.Equal(inv.Total) {
		t.Fatalf("credited net %s tax %s total %s, want the line's 1.00 0.19 and the invoice's %s", net, tax, inv.Credited, inv.Total)
	}
}
