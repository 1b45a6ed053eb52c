package billing

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// CreditNoteRequest asks to credit an invoice, fully or by line.
type CreditNoteRequest struct {
	ID      string // the credit note's id (deterministic: the caller derives it from the request)
	Invoice string // the invoice to credit; empty means the invoice passed to NewCreditNote
	Reason  string // printed on the note; required, since a credit note must say why
	// Full credits what remains of every line; Lines must then be empty.
	Full  bool
	Lines []CreditLine
}

// Fingerprint identifies what the request asks for (invoice, reason, full or which lines and
// amounts, in order), so a replay of its id can be told from a different request reusing it.
func (r CreditNoteRequest) Fingerprint() string {
	h := sha256.New()
	fmt.Fprintf(h, "%q|%q|%t", r.Invoice, r.Reason, r.Full)
	for _, l := range r.Lines {
		fmt.Fprintf(h, "|%d:%s", l.LineNo, l.Amount.String())
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// CreditLine credits part of one invoice line.
type CreditLine struct {
	LineNo int             // the invoice line's No
	Amount decimal.Decimal // gross amount to credit on that line: positive, in the currency's minor unit
}

// lineCredit is what earlier credit notes took back of one invoice line (negative amounts).
type lineCredit struct {
	net, tax, gross decimal.Decimal
}

// creditRounding rounds the tax share of a partial credit. The invoice does not record the
// plan's rounding mode, so the default of invariant 6 applies.
const creditRounding = rating.RoundHalfUp

// NewCreditNote builds a draft credit note for inv: Kind credit_note, RefersTo the invoice, one
// line of kind "credit" per credited invoice line, amounts negative. A credit line's Ref is the
// number of the invoice line it credits (how later credit notes know what is left of a line).
//
// The tax share of a partial line credit is re-computed at the original line's rate and rounded
// per line (tax = gross × rate ÷ (100 + rate), half-up), but never beyond the net or tax left of
// the line; a credit that takes the rest of a line takes exactly the rest of its net and tax, so
// all notes of an invoice add up to it to the cent. Nothing may credit more than what remains
// of a line, nor of the invoice (inv.Credited).
//
// prior are the credit notes already issued against inv (void and draft ones are ignored):
// their lines say what remains of each line. They must account for inv.Credited exactly, so a
// forgotten note cannot let a line be credited twice.
func NewCreditNote(inv *Invoice, req CreditNoteRequest, at time.Time, prior ...*Invoice) (*Invoice, error) {
	fail := func(kind error, format string, args ...any) error {
		return fmt.Errorf("credit note %s for invoice %s: %s: %w", req.ID, inv.ID, fmt.Sprintf(format, args...), kind)
	}
	switch {
	case req.ID == "":
		return nil, fail(ErrInvalid, "id is required")
	case req.Invoice != "" && req.Invoice != inv.ID:
		return nil, fail(ErrInvalid, "request names invoice %s", req.Invoice)
	case req.Reason == "":
		return nil, fail(ErrInvalid, "reason is required")
	case req.Full && len(req.Lines) > 0:
		return nil, fail(ErrInvalid, "full and lines are exclusive")
	case !req.Full && len(req.Lines) == 0:
		return nil, fail(ErrInvalid, "lines are required unless full")
	case inv.Kind != DocInvoice:
		return nil, fail(ErrConflict, "%s is a %s, only invoices are credited", inv.ID, inv.Kind)
	case inv.Status != StatusIssued && inv.Status != StatusPaid:
		return nil, fail(ErrConflict, "invoice is %s, only issued or paid invoices are credited", inv.Status)
	case at.Before(inv.IssuedAt):
		return nil, fail(ErrInvalid, "at %s is before the invoice was issued", at.UTC().Format(time.RFC3339))
	}
	cur, err := currencyOf(inv)
	if err != nil {
		return nil, err
	}
	done, err := priorCredits(inv, prior)
	if err != nil {
		return nil, fail(ErrConflict, "%v", err)
	}
	byNo := make(map[int]*Line, len(inv.Lines))
	for i := range inv.Lines {
		byNo[inv.Lines[i].No] = &inv.Lines[i]
	}

	var lines []Line
	if req.Full {
		for i := range inv.Lines {
			l := &inv.Lines[i]
			rest := remainder(l, done[l.No])
			if !rest.gross.IsZero() || !rest.net.IsZero() {
				lines = append(lines, creditLine(l, rest, done[l.No]))
			}
		}
	} else {
		// Credit lines follow the invoice's line order whatever the request's order.
		order := make([]int, len(req.Lines))
		for i := range order {
			order[i] = i
		}
		sort.SliceStable(order, func(a, b int) bool { return req.Lines[order[a]].LineNo < req.Lines[order[b]].LineNo })
		seen := make(map[int]bool, len(req.Lines))
		for _, i := range order {
			cl := req.Lines[i]
			field := fmt.Sprintf("lines[%d]", i)
			l, ok := byNo[cl.LineNo]
			switch {
			case !ok:
				return nil, fail(ErrNotFound, "%s.line_no: invoice has no line %d", field, cl.LineNo)
			case seen[cl.LineNo]:
				return nil, fail(ErrInvalid, "%s.line_no: line %d is credited twice in one request", field, cl.LineNo)
			case !cl.Amount.IsPositive():
				return nil, fail(ErrInvalid, "%s.amount: %s must be positive", field, cl.Amount.String())
			case !cur.IsRounded(cl.Amount):
				return nil, fail(ErrInvalid, "%s.amount: %s has more than %d decimals for %s", field, cl.Amount.String(), cur.MinorUnits, cur.Code)
			}
			seen[cl.LineNo] = true
			rest := remainder(l, done[l.No])
			switch c := cl.Amount.Cmp(rest.gross); {
			case c > 0:
				return nil, fail(ErrConflict, "%s.amount: %s exceeds the %s %s left of line %d", field, cl.Amount.String(), rest.gross.String(), cur.Code, l.No)
			case c == 0:
				lines = append(lines, creditLine(l, rest, done[l.No]))
			default:
				tax := cur.Round(cl.Amount.Mul(l.TaxRate).DivRound(l.TaxRate.Add(decimal.NewFromInt(100)), 18), creditRounding)
				part := lineCredit{net: cl.Amount.Sub(tax), tax: tax, gross: cl.Amount}
				// Rounding must never take back more net or more tax than the line has left
				// (many small credits each rounding the tax down would over-credit the net).
				if part.net.GreaterThan(rest.net) {
					part.net, part.tax = rest.net, cl.Amount.Sub(rest.net)
				} else if part.tax.GreaterThan(rest.tax) {
					part.net, part.tax = cl.Amount.Sub(rest.tax), rest.tax
				}
				lines = append(lines, creditLine(l, part, done[l.No]))
			}
		}
	}

	cn := &Invoice{
		ID: req.ID, Kind: DocCreditNote, Status: StatusDraft, Issuer: inv.Issuer, Buyer: inv.Buyer,
		Currency: inv.Currency, Period: inv.Period, Boundary: at.UTC(), RefersTo: inv.ID, Catalog: inv.Catalog,
		Subtotal: decimal.Zero, Tax: decimal.Zero, Total: decimal.Zero, Credited: decimal.Zero,
	}
	cn.Notes = append([]string{fmt.Sprintf("Credit note for invoice %s: %s", inv.Number, req.Reason)}, inv.Notes...)
	for i := range lines {
		lines[i].No = i + 1
		cn.Subtotal = cn.Subtotal.Add(lines[i].Net)
		cn.Tax = cn.Tax.Add(lines[i].Tax)
		cn.Total = cn.Total.Add(lines[i].Gross)
	}
	cn.Lines = lines
	if len(lines) == 0 || cn.Total.IsZero() && cn.Subtotal.IsZero() {
		return nil, fail(ErrConflict, "nothing is left to credit (%s of %s %s credited)", inv.Credited.String(), inv.Total.String(), cur.Code)
	}
	if left := inv.Total.Sub(inv.Credited); cn.Total.Neg().GreaterThan(left) {
		return nil, fail(ErrConflict, "credit of %s exceeds the %s %s left of the invoice", cn.Total.Neg().String(), left.String(), cur.Code)
	}
	cn.Taxes = creditTaxes(inv, lines)
	return cn, nil
}

// priorCredits sums, per invoice line, what the issued prior credit notes took back (a void
// note gave its credit back; a draft one never took any).
func priorCredits(inv *Invoice, prior []*Invoice) (map[int]lineCredit, error) {
	done := map[int]lineCredit{}
	total := decimal.Zero
	for _, cn := range prior {
		if cn.Status != StatusIssued {
			continue
		}
		if cn.Kind != DocCreditNote || cn.RefersTo != inv.ID {
			return nil, fmt.Errorf("prior %s %s does not refer to the invoice", cn.Kind, cn.ID)
		}
		for i, l := range cn.Lines {
			no, err := strconv.Atoi(l.Ref)
			if err != nil {
				return nil, fmt.Errorf("prior credit note %s lines[%d].ref %q names no invoice line", cn.ID, i, l.Ref)
			}
			d := done[no]
			done[no] = lineCredit{net: d.net.Add(l.Net), tax: d.tax.Add(l.Tax), gross: d.gross.Add(l.Gross)}
		}
		total = total.Add(cn.Total)
	}
	if !total.Neg().Equal(inv.Credited) {
		return nil, fmt.Errorf("the invoice records %s credited but the prior credit notes given credit %s", inv.Credited.String(), total.Neg().String())
	}
	return done, nil
}

// remainder is what is left of a line after earlier credits (done holds negative amounts).
func remainder(l *Line, done lineCredit) lineCredit {
	return lineCredit{net: l.Net.Add(done.net), tax: l.Tax.Add(done.tax), gross: l.Gross.Add(done.gross)}
}

// creditLine is the credit note line taking back c (positive amounts) of invoice line l.
func creditLine(l *Line, c lineCredit, done lineCredit) Line {
	out := Line{
		Kind: LineCredit, Description: "Credit: " + l.Description, Subscription: l.Subscription,
		PlanID: l.PlanID, PlanVersion: l.PlanVersion, ChargeID: l.ChargeID, Ref: strconv.Itoa(l.No),
		Meter: l.Meter, Window: l.Window, TaxRate: l.TaxRate,
		Quantity: decimal.Zero, Allowance: decimal.Zero, UnitPrice: decimal.Zero,
		Net: c.net.Neg(), Tax: c.tax.Neg(), Gross: c.gross.Neg(),
	}
	if done.gross.IsZero() && done.net.IsZero() && c.gross.Equal(l.Gross) && c.net.Equal(l.Net) {
		// The whole line: print what it was for.
		out.Quantity, out.UnitPrice = l.Quantity, l.UnitPrice
	}
	// The priced amount is gross where the line's prices included the tax, net otherwise.
	out.Amount = out.Net
	if l.Amount.Equal(l.Gross) && !l.Net.Equal(l.Gross) {
		out.Amount = out.Gross
	}
	out.Exact = out.Amount
	return out
}

// creditTaxes summarises the credit lines' taxes under the invoice's summaries of the same
// rate (jurisdiction, name and treatment are the invoice's), in the invoice's order. An untaxed
// line the invoice did not summarise is left out, as on the invoice.
func creditTaxes(inv *Invoice, lines []Line) []TaxSummary {
	sums := make([]*TaxSummary, len(inv.Taxes))
	for _, l := range lines {
		for i, ts := range inv.Taxes {
			if !ts.Rate.Equal(l.TaxRate) {
				continue
			}
			if sums[i] == nil {
				ts.Net, ts.Tax = decimal.Zero, decimal.Zero
				sums[i] = &ts
			}
			sums[i].Net = sums[i].Net.Add(l.Net)
			sums[i].Tax = sums[i].Tax.Add(l.Tax)
			break
		}
	}
	var out []TaxSummary
	for _, ts := range sums {
		if ts != nil {
			out = append(out, *ts)
		}
	}
	return out
}
