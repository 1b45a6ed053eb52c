package billing

import (
	"fmt"
	"time"

	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// InvoiceSplit is how one customer document's net amount is shared down the chain: for every
// line, what each level sold it at, what it paid the level above, and the margin it keeps. The
// margins of a line sum exactly to its net (invariant 5). Tax belongs to the issuer and is not
// split.
type InvoiceSplit struct {
	InvoiceID string       `json:"invoice_id"`
	Number    string       `json:"number"`
	Kind      DocumentKind `json:"kind"`
	Currency  string       `json:"currency"`
	IssuedAt  time.Time    `json:"issued_at"`
	Buyer     Party        `json:"buyer"`
	// Levels are the parties sharing the lines, the issuer first, each one paying the next; the
	// last keeps what reaches it (the vendor, or the first level without channel terms).
	Levels []Party     `json:"levels"`
	Lines  []SplitLine `json:"lines"`
}

// SplitLine is one document line shared across the levels.
type SplitLine struct {
	No           int             `json:"no"`
	Kind         LineKind        `json:"kind"`
	Subscription string          `json:"subscription,omitempty"`
	PlanID       string          `json:"plan_id,omitempty"`
	ChargeID     string          `json:"charge_id,omitempty"`
	Description  string          `json:"description"`
	Net          decimal.Decimal `json:"net"`
	Shares       []Share         `json:"shares"` // one per level, in Levels' order
}

// Share is one level's part of a line. Margin = Sells − Cost; a level's Cost is the next
// level's Sells.
type Share struct {
	Sells  decimal.Decimal `json:"sells"`
	Cost   decimal.Decimal `json:"cost"`
	Margin decimal.Decimal `json:"margin"`
	Basis  string          `json:"basis"`
	// Negative flags a level that sells the line below its cost (its margin has the opposite
	// sign of what it sells at). It is allowed — a price list can undercut a buy list — and
	// shown on the statement, never clamped: clamping would move money between parties.
	Negative bool `json:"negative,omitempty"`
}

// SplitInput is what Split needs: an issued customer document and the chain above it.
type SplitInput struct {
	Invoice *Invoice
	// Levels are the issuer and its parents up to the vendor, as they stood at the invoice's
	// boundary (their channel terms then).
	Levels  []*Account
	Catalog *rating.Catalog
	// SellPriceList is the customer's price list the invoice was priced with ("" for none): a
	// prorated fee's cost is the buy price scaled like the sold price.
	SellPriceList string
	// Platform, when set, takes its fee from every line before the last level's share
	// (Config.PlatformFee; platform.go).
	Platform *PlatformLevel
}

// Split shares every line of an issued customer invoice down the chain. Pure: the same input
// gives the same split. Each level with channel terms pays the next one its cost: the line
// re-priced with its buy price list (same plan, charge and quantity, rounded once like an
// invoice line), or what it sells at × (1 − margin %). Lines that cannot be re-priced one by one
// — discounts, coupons, commitment true-ups, pooled and per-transaction usage, late-usage
// adjustments — are spread like the subscription's re-priced lines on the invoice (largest
// remainder), else like the whole invoice's, else kept by the issuer. The split stops at the
// first level without terms, which keeps the rest — less the platform's fee when in.Platform is
// set (platform.go). Pooled wholesale tiers are not priced here: a pooled line is costed alone
// and settled with its period (split_pool.go). Credit notes: SplitCredit.
func Split(in SplitInput) (*InvoiceSplit, error) {
	sp, _, err := splitWithTerms(in)
	return sp, err
}

// splitWithTerms is Split, also returning each paying level's resolved terms (the pooled
// settlement re-prices lines with them).
func splitWithTerms(in SplitInput) (*InvoiceSplit, []channelTerms, error) {
	inv := in.Invoice
	if inv.Kind != DocInvoice {
		return nil, nil, fmt.Errorf("split %s %s: only invoices are split this way (credit notes: SplitCredit): %w", inv.Kind, inv.ID, ErrInvalid)
	}
	sp, terms, err := newSplit(inv, in.Levels, in.Catalog)
	if err != nil {
		return nil, nil, err
	}
	if in.Platform != nil {
		sp.Levels = append(sp.Levels, in.Platform.Party)
		terms = append(terms, channelTerms{platform: true, margin: in.Platform.Percent})
	}
	cur, err := currencyOf(inv)
	if err != nil {
		return nil, nil, fmt.Errorf("split %s: %w", inv.ID, err)
	}
	var sell *rating.PriceList
	if in.SellPriceList != "" {
		var ok bool
		if sell, ok = in.Catalog.PriceList(in.SellPriceList); !ok {
			return nil, nil, fmt.Errorf("split %s: sell price list %q: %w", inv.ID, in.SellPriceList, ErrNotFound)
		}
	}
	pr := linePricer{cat: in.Catalog, cur: cur, sell: sell, terms: terms}
	costs := make([][]decimal.Decimal, len(inv.Lines)) // nil: spread later
	for i := range inv.Lines {
		if costs[i], err = pr.costs(&inv.Lines[i]); err != nil {
			return nil, nil, fmt.Errorf("split %s lines[%d] (%s): %w", inv.Number, i, inv.Lines[i].Description, err)
		}
	}
	refs := newReferences(inv.Lines, costs)
	for i := range inv.Lines {
		l := &inv.Lines[i]
		basis := make([]string, len(terms))
		if costs[i] != nil {
			for j, t := range terms {
				basis[j] = t.basis()
			}
		} else {
			var b string
			costs[i], b, err = refs.spread(l, cur, len(terms))
			if err != nil {
				return nil, nil, fmt.Errorf("split %s lines[%d]: %w", inv.Number, i, err)
			}
			for j := range basis {
				basis[j] = b
			}
		}
		sp.Lines = append(sp.Lines, splitLine(l, costs[i], basis))
	}
	return sp, terms, nil
}

// newSplit starts a split: the levels down to the first without terms, their terms resolved.
func newSplit(inv *Invoice, levels []*Account, cat *rating.Catalog) (*InvoiceSplit, []channelTerms, error) {
	if len(levels) == 0 || levels[0].ID != inv.Issuer.ID {
		return nil, nil, fmt.Errorf("split %s: levels must start at the issuer %s: %w", inv.ID, inv.Issuer.ID, ErrInvalid)
	}
	if inv.Buyer.Kind != KindCustomer {
		return nil, nil, fmt.Errorf("split %s: buyer %s is a %s; only customer documents are split: %w", inv.ID, inv.Buyer.ID, inv.Buyer.Kind, ErrInvalid)
	}
	sp := &InvoiceSplit{InvoiceID: inv.ID, Number: inv.Number, Kind: inv.Kind, Currency: inv.Currency, IssuedAt: inv.IssuedAt, Buyer: inv.Buyer}
	var terms []channelTerms
	for i, a := range levels {
		if i > 0 && levels[i-1].Parent != a.ID {
			return nil, nil, fmt.Errorf("split %s: levels[%d] is %s, but %s's parent is %s: %w", inv.ID, i, a.ID, levels[i-1].ID, levels[i-1].Parent, ErrInvalid)
		}
		sp.Levels = append(sp.Levels, PartyOf(a))
		if !HasChannelTerms(a) {
			if err := ValidateChannelTerms(a, cat); err != nil {
				return nil, nil, fmt.Errorf("split %s: %w", inv.ID, err)
			}
			break
		}
		t, err := resolveTerms(a, cat)
		if err != nil {
			return nil, nil, fmt.Errorf("split %s: %w", inv.ID, err)
		}
		terms = append(terms, t)
	}
	return sp, terms, nil
}

// splitLine turns a line and its levels' costs (one per level with terms) into shares.
func splitLine(l *Line, costs []decimal.Decimal, basis []string) SplitLine {
	sl := SplitLine{No: l.No, Kind: l.Kind, Subscription: l.Subscription, PlanID: l.PlanID, ChargeID: l.ChargeID,
		Description: l.Description, Net: l.Net}
	sl.Shares = sharesOf(l.Net, costs, basis)
	return sl
}

// sharesOf derives every level's share of a line's net from the costs of the levels that pay
// the next one: the margins telescope, so they sum exactly to net whatever the costs are.
func sharesOf(net decimal.Decimal, costs []decimal.Decimal, basis []string) []Share {
	out := make([]Share, 0, len(costs)+1)
	sells := net
	for j := 0; j <= len(costs); j++ {
		sh := Share{Sells: sells, Cost: decimal.Zero, Basis: BasisIssuer}
		if j < len(costs) {
			sh.Cost, sh.Basis = costs[j], basis[j]
		} else if j > 0 {
			sh.Basis = basis[j-1]
		}
		sh.Margin = sh.Sells.Sub(sh.Cost)
		sh.Negative = sh.Margin.Sign() != 0 && sh.Margin.Sign() != sh.Sells.Sign()
		out = append(out, sh)
		sells = sh.Cost
	}
	return out
}

// linePricer prices one line's cost at every level with terms.
type linePricer struct {
	cat   *rating.Catalog
	cur   rating.Currency
	sell  *rating.PriceList
	terms []channelTerms
}

// costs returns each level's cost of the line, bottom up, or nil when a buy-list level cannot
// re-price it alone (the line is spread instead).
func (p *linePricer) costs(l *Line) ([]decimal.Decimal, error) {
	out := make([]decimal.Decimal, len(p.terms))
	sells := l.Net
	for j, t := range p.terms {
		if t.platform {
			out[j] = platformCost(l.Net, t.margin, p.cur)
		} else if t.buy == nil {
			keep := decimal.NewFromInt(100).Sub(t.margin)
			out[j] = p.cur.Round(sells.Mul(keep).Div(decimal.NewFromInt(100)), rating.RoundHalfUp)
		} else {
			c, ok, err := p.reprice(l, t.buy)
			if err != nil || !ok {
				return nil, err
			}
			out[j] = c
		}
		sells = out[j]
	}
	return out, nil
}

// reprice prices a line with a buy list: same plan version, charge and quantity. ok is false
// for a line that has no price of its own to re-price.
func (p *linePricer) reprice(l *Line, buy *rating.PriceList) (decimal.Decimal, bool, error) {
	switch l.Kind {
	case LineRecurring, LineOneTime, LineProrationCredit, LineUsage:
	default:
		return decimal.Zero, false, nil
	}
	plan, ok := p.cat.PlanVersion(l.PlanID, l.PlanVersion)
	if !ok {
		return decimal.Zero, false, fmt.Errorf("plan %q version %d: %w", l.PlanID, l.PlanVersion, ErrNotFound)
	}
	ch, ok := plan.Charge(l.ChargeID)
	if !ok {
		return decimal.Zero, false, fmt.Errorf("plan %q version %d: charge %q: %w", l.PlanID, l.PlanVersion, l.ChargeID, ErrNotFound)
	}
	cost := rating.ChargeModel(plan, ch, buy).Price(l.Quantity)
	if l.Kind == LineUsage {
		if ch.Pool != rating.PoolNone || PerTransaction(ch) {
			return decimal.Zero, false, nil // a share of a group, or a sum of per-event fees: spread
		}
		return p.cur.Round(cost, plan.Rounding), true, nil
	}
	// A fee: the buy price scaled like the sold one (proration, sign of a credit).
	sold := rating.ChargeModel(plan, ch, p.sell).Price(l.Quantity)
	switch {
	case !sold.IsZero():
		cost = cost.Mul(l.Exact).DivRound(sold, 18)
	case l.Kind == LineProrationCredit:
		cost = cost.Neg()
	}
	return p.cur.Round(cost, plan.Rounding), true, nil
}
