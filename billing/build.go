package billing

import (
	"fmt"
	"sort"

	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// Build prices one issuer → buyer invoice: a pure function of its input (invariant 7). The result
// is a draft (no number, Status draft), lines numbered 1.. in a stable order (by subscription
// id, then item order, then the quote's line order), totals = sums of rounded lines.
//
// Per subscription the lines come in the quote's order (docs/catalog.md, "Discount order"):
// each item's charge lines, each followed by its charge-level discounts; then plan-level
// discounts per plan version; then the coupon, one line per coupon period on the invoice; then
// the minimum-commitment true-ups. Taxes follow per line (docs/billing.md, "Invoices").
func Build(in InvoiceInput) (*Invoice, error) {
	if in.Issuer == nil || in.Buyer == nil || in.Catalog == nil || in.Taxes == nil {
		return nil, fmt.Errorf("build invoice %s: issuer, buyer, catalog and tax rules are required: %w", in.ID, ErrInvalid)
	}
	cur, err := rating.LookupCurrency(in.Buyer.Currency)
	if err != nil {
		return nil, fmt.Errorf("build invoice %s: buyer %s: %v: %w", in.ID, in.Buyer.ID, err, ErrInvalid)
	}
	tt, err := in.Taxes.Treatment(in.Issuer, in.Buyer)
	if err != nil {
		return nil, fmt.Errorf("build invoice %s: %w", in.ID, err)
	}
	b := &invoiceBuilder{in: in, cur: cur}
	subs, bySub := buildGroups(in.Items)
	for _, id := range subs {
		if id == "" {
			return nil, fmt.Errorf("build invoice %s: an item has no subscription id: %w", in.ID, ErrInvalid)
		}
		if err := b.subscription(id, bySub[id]); err != nil {
			return nil, fmt.Errorf("build invoice %s: subscription %s: %w", in.ID, id, err)
		}
	}
	inv := &Invoice{
		ID: in.ID, Kind: DocInvoice, Status: StatusDraft,
		Issuer: PartyOf(in.Issuer), Buyer: PartyOf(in.Buyer), Currency: cur.Code,
		Period: in.Period, Boundary: in.Boundary, Lines: make([]Line, 0, len(b.lines)),
		Subtotal: decimal.Zero, Tax: decimal.Zero, Total: decimal.Zero, Credited: decimal.Zero,
		Catalog: b.catalogVersion(),
	}
	for i := range b.lines {
		d := &b.lines[i]
		d.No = i + 1
		tt.apply(&d.Line, cur, d.mode)
		inv.Lines = append(inv.Lines, d.Line)
		inv.Subtotal = inv.Subtotal.Add(d.Net)
		inv.Tax = inv.Tax.Add(d.Tax)
		inv.Total = inv.Total.Add(d.Gross)
	}
	inv.Taxes = tt.summary(inv.Lines)
	if tt.ReverseCharge {
		inv.Notes = append(inv.Notes, ReverseChargeNote)
	}
	return inv, nil
}

// invoiceBuilder is one Build call's working state.
type invoiceBuilder struct {
	in    InvoiceInput
	cur   rating.Currency
	sub   string // the subscription being priced
	lines []pricedLine
}

// pricedLine is a line under construction with what the later steps need to know about its origin.
type pricedLine struct {
	Line
	mode   rating.RoundingMode
	plan   *rating.Plan
	item   *Item // the item the line prices (nil for plan-level, coupon and commitment lines)
	charge bool  // a priced charge line or its charge-level discount: the base of later steps
}

// buildGroups splits items by subscription, ids sorted, each keeping the items' order.
func buildGroups(items []Item) ([]string, map[string][]Item) {
	by := map[string][]Item{}
	var ids []string
	for _, it := range items {
		if _, ok := by[it.Subscription]; !ok {
			ids = append(ids, it.Subscription)
		}
		by[it.Subscription] = append(by[it.Subscription], it)
	}
	sort.Strings(ids)
	return ids, by
}

// subscription prices one subscription's items and adds its plan discounts, coupon and
// commitment lines.
func (b *invoiceBuilder) subscription(id string, items []Item) error {
	start := len(b.lines)
	b.sub = id
	for i := range items {
		it := &items[i]
		p, pl, err := b.plan(it)
		if err != nil {
			return fmt.Errorf("items[%d]: %w", i, err)
		}
		lines, err := b.price(it, p, pl)
		if err != nil {
			return fmt.Errorf("items[%d] (%s, plan %s v%d): %w", i, it.Kind, it.PlanID, it.PlanVersion, err)
		}
		b.lines = append(b.lines, lines...)
	}
	b.planDiscounts(start)
	if err := b.coupons(start, items); err != nil {
		return err
	}
	return b.commitments(start, items)
}

// plan resolves an item's plan version and price list and checks the currency.
func (b *invoiceBuilder) plan(it *Item) (*rating.Plan, *rating.PriceList, error) {
	p, ok := b.in.Catalog.PlanVersion(it.PlanID, it.PlanVersion)
	if !ok {
		return nil, nil, fmt.Errorf("plan %q version %d: %w", it.PlanID, it.PlanVersion, ErrNotFound)
	}
	if p.Currency.Code != b.cur.Code {
		return nil, nil, fmt.Errorf("plan %q version %d is in %s, buyer %s pays in %s: %w",
			p.ID, p.Version, p.Currency.Code, b.in.Buyer.ID, b.cur.Code, ErrCurrencyMismatch)
	}
	var pl *rating.PriceList
	if it.PriceList != "" {
		if pl, ok = b.in.Catalog.PriceList(it.PriceList); !ok {
			return nil, nil, fmt.Errorf("price list %q: %w", it.PriceList, ErrNotFound)
		}
	}
	return p, pl, nil
}

// catalogVersion names the catalog the invoice was priced with: the sorted plan versions it
// used, so the document says which prices it shows.
func (b *invoiceBuilder) catalogVersion() string {
	seen := map[string]bool{}
	var vs []string
	for _, d := range b.lines {
		if d.plan == nil {
			continue
		}
		v := fmt.Sprintf("%s@%d", d.plan.ID, d.plan.Version)
		if !seen[v] {
			seen[v] = true
			vs = append(vs, v)
		}
	}
	sort.Strings(vs)
	s := ""
	for i, v := range vs {
		if i > 0 {
			s += ","
		}
		s += v
	}
	return s
}

// sum adds the amounts of lines[from:] that pass keep (nil: all).
func (b *invoiceBuilder) sum(from int, keep func(*pricedLine) bool) decimal.Decimal {
	s := decimal.Zero
	for i := from; i < len(b.lines); i++ {
		if keep == nil || keep(&b.lines[i]) {
			s = s.Add(b.lines[i].Amount)
		}
	}
	return s
}
