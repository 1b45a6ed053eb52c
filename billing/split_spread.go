package billing

import (
	"fmt"

	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// reference is a set of re-priced lines a line without a price of its own is spread like:
// their net and each level's cost.
type reference struct {
	net   decimal.Decimal
	costs []decimal.Decimal
}

func (r *reference) add(net decimal.Decimal, costs []decimal.Decimal) {
	if r.costs == nil {
		r.costs = make([]decimal.Decimal, len(costs))
		for j := range r.costs {
			r.costs[j] = decimal.Zero
		}
	}
	r.net = r.net.Add(net)
	for j, c := range costs {
		r.costs[j] = r.costs[j].Add(c)
	}
}

// references are an invoice's re-priced lines, to spread the others like.
type references struct {
	lines []pricedRef
}

type pricedRef struct {
	sub    string
	window Period
	net    decimal.Decimal
	costs  []decimal.Decimal
}

func newReferences(lines []Line, costs [][]decimal.Decimal) references {
	var r references
	for i, l := range lines {
		if costs[i] != nil {
			r.lines = append(r.lines, pricedRef{sub: l.Subscription, window: l.Window, net: l.Net, costs: costs[i]})
		}
	}
	return r
}

// spread prices a line that has no price of its own (discount, coupon, commitment, pooled or
// late usage) like the re-priced lines it most likely reduces: its subscription's lines whose
// window lies within its own (a coupon's billing period, a discount's charge window), else all
// its subscription's lines on the invoice, else all the invoice's; when none of these has a
// non-zero net, the issuer keeps the line (every cost zero).
func (r references) spread(l *Line, cur rating.Currency, levels int) ([]decimal.Decimal, string, error) {
	within := func(p pricedRef) bool {
		return p.sub == l.Subscription && !l.Window.From.IsZero() && !p.window.From.Before(l.Window.From) && !p.window.To.After(l.Window.To)
	}
	for _, match := range []func(pricedRef) bool{
		within,
		func(p pricedRef) bool { return p.sub == l.Subscription },
		func(pricedRef) bool { return true },
	} {
		var ref reference
		for _, p := range r.lines {
			if match(p) {
				ref.add(p.net, p.costs)
			}
		}
		if !ref.net.IsZero() {
			c, err := spreadLike(l.Net, ref.net, ref.costs, cur)
			return c, BasisProRata, err
		}
	}
	out := make([]decimal.Decimal, levels)
	for j := range out {
		out[j] = decimal.Zero
	}
	return out, BasisIssuer, nil
}

// spreadLike gives total the same shares as a reference (refNet with costs refCosts, one per
// paying level) and returns the costs. When every reference share has the sign of refNet (no
// negative margin), the shares are allocated by largest remainder (rating.Allocate), so a total
// equal to refNet gets exactly the reference's costs back and no cent is lost; otherwise each
// cost is scaled by total ÷ refNet and rounded once (the issuer's margin takes the rounding).
// Either way the margins sum exactly to total.
func spreadLike(total, refNet decimal.Decimal, refCosts []decimal.Decimal, cur rating.Currency) ([]decimal.Decimal, error) {
	if refNet.IsZero() {
		return nil, fmt.Errorf("spread %s: reference net is zero: %w", total.String(), ErrInvalid)
	}
	shares := make([]decimal.Decimal, len(refCosts)+1)
	sells := refNet
	sameSign := true
	for j := range shares {
		cost := decimal.Zero
		if j < len(refCosts) {
			cost = refCosts[j]
		}
		shares[j] = sells.Sub(cost)
		if shares[j].Sign() != 0 && shares[j].Sign() != refNet.Sign() {
			sameSign = false
		}
		sells = cost
	}
	out := make([]decimal.Decimal, len(refCosts))
	if sameSign {
		weights := make([]decimal.Decimal, len(shares))
		for j, s := range shares {
			weights[j] = s.Abs()
		}
		alloc, err := rating.Allocate(total, weights, cur)
		if err != nil {
			return nil, fmt.Errorf("spread %s: %w: %w", total.String(), ErrInvalid, err)
		}
		// Every share is a non-negative multiple of total ÷ refNet, so |shares| weigh it and
		// Allocate gives each the sign of total.
		sells := total
		for j := range out {
			out[j] = sells.Sub(alloc[j])
			sells = out[j]
		}
		return out, nil
	}
	for j, c := range refCosts {
		out[j] = cur.Round(total.Mul(c).DivRound(refNet, 18), rating.RoundHalfUp)
	}
	return out, nil
}

// SplitCredit shares a credit note like the invoice it credits: each credit line is spread like
// the invoice line it names (Ref), so a full credit takes back exactly the invoice's split, cent
// for cent. Partial credits are each allocated by largest remainder; several partial credits of
// one line may differ from its split by a cent per level (the last one is not forced to the
// remainder — noted in docs/billing.md).
func SplitCredit(note *Invoice, orig *InvoiceSplit) (*InvoiceSplit, error) {
	if note.Kind != DocCreditNote || note.RefersTo != orig.InvoiceID {
		return nil, fmt.Errorf("split credit note %s: must be a credit note of %s: %w", note.ID, orig.InvoiceID, ErrInvalid)
	}
	cur, err := currencyOf(note)
	if err != nil {
		return nil, fmt.Errorf("split credit note %s: %w", note.ID, err)
	}
	sp := &InvoiceSplit{InvoiceID: note.ID, Number: note.Number, Kind: note.Kind, Currency: note.Currency, IssuedAt: note.IssuedAt,
		Buyer: note.Buyer, Levels: orig.Levels}
	byNo := map[string]*SplitLine{}
	for i := range orig.Lines {
		byNo[fmt.Sprint(orig.Lines[i].No)] = &orig.Lines[i]
	}
	paying := len(orig.Levels) - 1
	for i := range note.Lines {
		l := &note.Lines[i]
		ol, ok := byNo[l.Ref]
		if !ok {
			return nil, fmt.Errorf("split credit note %s lines[%d]: ref %q names no line of %s: %w", note.Number, i, l.Ref, orig.Number, ErrInvalid)
		}
		basis := make([]string, paying)
		var costs []decimal.Decimal
		if ol.Net.IsZero() {
			costs = make([]decimal.Decimal, paying)
			for j := range costs {
				costs[j], basis[j] = decimal.Zero, BasisIssuer
			}
		} else {
			ref := make([]decimal.Decimal, paying)
			for j := range ref {
				ref[j] = ol.Shares[j].Cost
				basis[j] = BasisCredit
			}
			if costs, err = spreadLike(l.Net, ol.Net, ref, cur); err != nil {
				return nil, fmt.Errorf("split credit note %s lines[%d]: %w", note.Number, i, err)
			}
		}
		sl := splitLine(l, costs, basis)
		sl.PlanID, sl.ChargeID, sl.Subscription = ol.PlanID, ol.ChargeID, ol.Subscription
		sp.Lines = append(sp.Lines, sl)
	}
	return sp, nil
}
