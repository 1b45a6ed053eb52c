package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/rating"
)

// demoStatements builds every partner's commission statement for the month the customer
// invoices were issued in, after the close (the pool settlement changed their costs).
func demoStatements(ctx context.Context, b *demoBilled) error {
	b.statements = nil
	err := b.svc.View(func(st *billing.State) error {
		for _, a := range st.Accounts() {
			if a.Kind == billing.KindReseller || a.Kind == billing.KindDistributor {
				b.statements = append(b.statements, &billing.Statement{Partner: billing.PartyOf(a)})
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i, st := range b.statements {
		if b.statements[i], err = b.svc.Statement(ctx, st.Partner.ID, b.issueMonth); err != nil {
			return fmt.Errorf("commission statement of %s: %w", st.Partner.ID, err)
		}
	}
	return nil
}

// wholesaleInvoices are the invoices the close issued, by number.
func wholesaleInvoices(b *demoBilled, m *demoMonth) []*billing.Invoice {
	var out []*billing.Invoice
	for _, id := range m.close.Issued {
		if inv, ok := b.svc.Invoice(id); ok {
			out = append(out, inv)
		}
	}
	slices.SortFunc(out, func(x, y *billing.Invoice) int { return strings.Compare(x.Number, y.Number) })
	return out
}

// checkWholesale checks the close: each partner settling by invoice got one wholesale invoice
// whose net equals its statement's cost, the others none; a re-run issued nothing; the pooled
// costs are an independent rating.PoolCharge of the period's lines.
func checkWholesale(b *demoBilled, m *demoMonth) ([]demoCheck, error) {
	cost := map[string]decimal.Decimal{}
	for _, st := range b.statements {
		for _, t := range st.Totals {
			cost[st.Partner.ID+" "+t.Currency] = cost[st.Partner.ID+" "+t.Currency].Add(t.Cost)
		}
	}
	var bad, parts []string
	got := map[string]bool{}
	for _, inv := range wholesaleInvoices(b, m) {
		k := inv.Buyer.ID + " " + inv.Currency
		got[k] = true
		if !demoInvoiced[inv.Buyer.ID] || !inv.Subtotal.Equal(cost[k]) {
			bad = append(bad, fmt.Sprintf("%s to %s: net %s, statement cost %s", inv.Number, inv.Buyer.ID, inv.Subtotal, cost[k]))
		}
		parts = append(parts, fmt.Sprintf("%s %s = %s's cost", inv.Number, inv.Subtotal.String(), inv.Buyer.ID))
	}
	for k, c := range cost {
		if id, _, _ := strings.Cut(k, " "); demoInvoiced[id] && c.IsPositive() && !got[k] {
			bad = append(bad, fmt.Sprintf("%s owes %s and got no wholesale invoice", id, c))
		}
	}
	if len(m.reclose.Issued) != 0 || m.reclose.AlreadyIssued != len(m.close.Issued) || m.reclose.Settled || !m.close.Settled {
		bad = append(bad, fmt.Sprintf("re-run issued %d, found %d issued, settled again %v", len(m.reclose.Issued), m.reclose.AlreadyIssued, m.reclose.Settled))
	}
	pools, err := checkPools(b, m)
	if err != nil {
		return nil, err
	}
	return []demoCheck{{
		name:   "wholesale invoices = each invoicing partner's statement cost; re-running the close issues nothing",
		ok:     len(bad) == 0 && len(m.close.Issued) > 0,
		detail: mismatchDetail(bad, strings.Join(parts, ", ")),
	}, pools}, nil
}

// checkPools re-prices every pool from the issued customer invoices alone: for each reseller
// whose buy list pools a charge, its lines of the period are one rating.PoolCharge (fed in
// reverse order: the result must not depend on it), and each line's settled cost (Service.Split
// after the close) must be that pool's share.
func checkPools(b *demoBilled, m *demoMonth) (demoCheck, error) {
	cat := b.svc.Catalog()
	type pool struct {
		model   rating.Model
		cur     rating.Currency
		mode    rating.RoundingMode
		members []rating.PoolMember
		cost    map[string]decimal.Decimal // member → settled cost
	}
	pools := map[string]*pool{}
	var keys []string
	for _, inv := range b.invoices {
		if inv.Buyer.Kind != billing.KindCustomer || !b.issueMonth.Contains(inv.IssuedAt) {
			continue
		}
		var list *rating.PriceList
		_ = b.svc.View(func(st *billing.State) error {
			if a, ok := st.Account(inv.Issuer.ID); ok && a.BuyPriceList != "" {
				list, _ = cat.PriceList(a.BuyPriceList)
			}
			return nil
		})
		if list == nil {
			continue
		}
		sp, err := b.svc.Split(inv.ID)
		if err != nil {
			return demoCheck{}, fmt.Errorf("split of %s: %w", inv.Number, err)
		}
		for _, l := range inv.Lines {
			if l.Kind != billing.LineUsage || !list.PooledEntry(l.PlanID, l.PlanVersion, l.ChargeID) {
				continue
			}
			plan, ok := cat.PlanVersion(l.PlanID, l.PlanVersion)
			var ch *rating.Charge
			if ok {
				ch, ok = plan.Charge(l.ChargeID)
			}
			if !ok {
				return demoCheck{}, fmt.Errorf("%s line %d: charge %s/%s: %w", inv.Number, l.No, l.PlanID, l.ChargeID, billing.ErrNotFound)
			}
			k := fmt.Sprintf("%s %s/%s %s", inv.Issuer.ID, l.PlanID, l.ChargeID, inv.Currency)
			p := pools[k]
			if p == nil {
				cur, _ := rating.LookupCurrency(inv.Currency)
				p = &pool{model: rating.ChargeModel(plan, ch, list), cur: cur, mode: plan.Rounding, cost: map[string]decimal.Decimal{}}
				pools[k] = p
				keys = append(keys, k)
			}
			id := fmt.Sprintf("%s#%d", inv.ID, l.No)
			p.members = append(p.members, rating.PoolMember{ID: id, Quantity: l.Quantity})
			for _, sl := range sp.Lines {
				if sl.No == l.No && len(sl.Shares) > 0 {
					p.cost[id] = sl.Shares[0].Cost // the issuer's cost: the first level's
				}
			}
		}
	}
	var bad, parts []string
	for _, k := range keys {
		p := pools[k]
		slices.Reverse(p.members)
		res, err := rating.PoolCharge(p.model, p.members, p.cur, p.mode)
		if err != nil {
			return demoCheck{}, fmt.Errorf("pool %s: %w", k, err)
		}
		for _, sh := range res.Shares {
			if !sh.Amount.Equal(p.cost[sh.ID]) {
				bad = append(bad, fmt.Sprintf("%s: line %s settled at %s, pool share %s", k, sh.ID, p.cost[sh.ID], sh.Amount))
			}
		}
		summary := false
		for _, s := range m.close.Pools {
			summary = summary || s.Payer.ID+" "+s.PlanID+"/"+s.ChargeID+" "+s.Currency == k && s.Amount.Equal(res.Amount) && s.Quantity.Equal(res.Total)
		}
		if !summary {
			bad = append(bad, fmt.Sprintf("%s: no settled pool of %s for %s", k, res.Amount, res.Total))
		}
		parts = append(parts, fmt.Sprintf("%s: %d lines, %s units → %s %s", k, len(res.Shares), res.Total.String(), res.Amount.StringFixed(p.cur.MinorUnits), p.cur.Code))
	}
	if len(keys) != len(m.close.Pools) {
		bad = append(bad, fmt.Sprintf("%d pools re-priced, the close settled %d", len(keys), len(m.close.Pools)))
	}
	return demoCheck{
		name:   "pooled tiers: each settled line cost = an independent rating.PoolCharge of the period, in any order",
		ok:     len(bad) == 0 && len(keys) > 0,
		detail: mismatchDetail(bad, strings.Join(parts, "; ")),
	}, nil
}

// printDemoClose prints the close: the settled pools and the wholesale invoices.
func printDemoClose(w io.Writer, b *demoBilled, m *demoMonth) {
	fmt.Fprintf(w, "\nClose of %s on %s (cascade's monthly job: pooled tiers settled, wholesale invoices issued):\n",
		b.issueMonth.From.Format("2006-01"), m.closeAt.Format(time.DateOnly))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  POOL OF\tCHARGE\tLINES\tQUANTITY\tSETTLED COST")
	for _, p := range m.close.Pools {
		c, _ := rating.LookupCurrency(p.Currency)
		fmt.Fprintf(tw, "  %s\t%s v%d / %s\t%d\t%s\t%s %s\n", p.Payer.ID, p.PlanID, p.PlanVersion, p.ChargeID, p.Lines, p.Quantity.String(),
			p.Amount.StringFixed(c.MinorUnits), p.Currency)
	}
	fmt.Fprintln(tw, "  WHOLESALE INVOICE\tFROM → TO\tLINES\tNET\tTOTAL WITH TAX")
	for _, inv := range wholesaleInvoices(b, m) {
		c, _ := rating.LookupCurrency(inv.Currency)
		fmt.Fprintf(tw, "  %s\t%s → %s\t%d\t%s %s\t%s %s\n", inv.Number, inv.Issuer.ID, inv.Buyer.ID, len(inv.Lines),
			inv.Subtotal.StringFixed(c.MinorUnits), inv.Currency, inv.Total.StringFixed(c.MinorUnits), inv.Currency)
	}
	tw.Flush()
}

// checkStatements compares each partner's commission statement with its journal: retail is what
// the partner booked as revenue, cost what it booked as cost of sales (its journal accounts
// sum over the month; nothing else is booked in the demo's ledger).
func checkStatements(ctx context.Context, store ledger.Store, b *demoBilled) (demoCheck, error) {
	var bad, parts []string
	for _, st := range b.statements {
		bal, err := store.Balances(ctx, ledger.BalanceQuery{AccountPrefix: string(st.Partner.Kind) + ":" + st.Partner.ID + ":",
			AsOf: b.issueMonth.To.Add(-time.Second)})
		if err != nil {
			return demoCheck{}, fmt.Errorf("journal of %s: %w", st.Partner.ID, err)
		}
		revenue, cost := map[string]decimal.Decimal{}, map[string]decimal.Decimal{}
		for _, x := range bal {
			switch {
			case strings.HasSuffix(x.Account, ":revenue"):
				revenue[x.Currency] = revenue[x.Currency].Sub(x.Amount) // a credit balance
			case strings.HasSuffix(x.Account, ":cost_of_sales"):
				cost[x.Currency] = cost[x.Currency].Add(x.Amount)
			}
		}
		for _, t := range st.Totals {
			if !t.Retail.Equal(revenue[t.Currency]) || !t.Cost.Equal(cost[t.Currency]) {
				bad = append(bad, fmt.Sprintf("%s %s: statement retail %s cost %s, journal revenue %s cost of sales %s",
					st.Partner.ID, t.Currency, t.Retail, t.Cost, revenue[t.Currency], cost[t.Currency]))
			}
			parts = append(parts, fmt.Sprintf("%s margin %s %s", st.Partner.ID, t.Margin.String(), t.Currency))
		}
	}
	return demoCheck{
		name:   "commission statements = the partners' journal (revenue, cost of sales)",
		ok:     len(bad) == 0 && len(parts) > 0,
		detail: mismatchDetail(bad, strings.Join(parts, ", ")),
	}, nil
}

// printStatements prints each partner's commission totals for the month the invoices were
// issued in (`cascade report commissions` prints the lines).
func printStatements(w io.Writer, b *demoBilled) {
	fmt.Fprintf(w, "\nCommission statements for %s (cascade report commissions --partner ID --period %s):\n",
		b.issueMonth.From.Format("2006-01"), b.issueMonth.From.Format("2006-01"))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  PARTNER\tKIND\tLINES\tRETAIL (NET)\tCOST\tMARGIN")
	for _, st := range b.statements {
		for _, t := range st.Totals {
			c, _ := rating.LookupCurrency(t.Currency)
			fmt.Fprintf(tw, "  %s\t%s\t%d\t%s %s\t%s %s\t%s %s\n", st.Partner.ID, st.Partner.Kind, t.Lines,
				t.Retail.StringFixed(c.MinorUnits), t.Currency, t.Cost.StringFixed(c.MinorUnits), t.Currency,
				t.Margin.StringFixed(c.MinorUnits), t.Currency)
		}
	}
	tw.Flush()
}
