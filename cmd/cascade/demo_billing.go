package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/rating"
)

// demoBilled is the month as billing closed it: the issued invoices and the cycle reports, and
// the Service and its clock the rest of the month (payments, dunning, the close) runs on.
type demoBilled struct {
	invoices     []*billing.Invoice // issued, by issuer then number
	first, rerun billing.CycleReport
	statements   []*billing.Statement // the resellers' and distributors' commission statements
	issueMonth   billing.Period
	svc          *billing.Service
	clock        *demoClock
}

// demoClock is the demo's billing clock: set before each step, read by the Service.
type demoClock struct{ t time.Time }

func (c *demoClock) now() time.Time { return c.t }

// demoBuyLists are the example catalog's buy price lists per channel level: what a distributor
// pays the vendor and a reseller its distributor (the revenue split down the chain).
var demoBuyLists = map[string]string{"distributor": "eurodist", "reseller": "resellers"}

// demoInvoiced are the partners whose parent invoices them at the close (settlement "invoice"):
// the distributor and one reseller; the other reseller settles by self-billing (its statement).
var demoInvoiced = map[string]bool{"eurodist": true, "devhaus": true}

// demoAccountKinds maps the chain's "kind:id" prefixes to account kinds.
var demoAccountKinds = map[string]billing.AccountKind{
	"vendor": billing.KindVendor, "distributor": billing.KindDistributor, "reseller": billing.KindReseller,
}

// runDemoBilling closes the month with the product's billing on the same ledger: the channel and
// the customers' subscriptions become billing events, one invoice cycle issues every invoice due
// at the month's end (the in-advance invoices of the 1st and the month-end ones), and a second
// cycle must issue nothing.
func runDemoBilling(ctx context.Context, store ledger.Store, cat *rating.Catalog, catalogVersion string,
	taxes *billing.TaxRules, customers []demoCustomer, period ledger.Period) (*demoBilled, error) {
	clock := &demoClock{t: period.From.Add(-time.Hour)}
	svc, err := billing.New(billing.Config{Store: store, Catalog: cat, CatalogVersion: catalogVersion, Taxes: taxes, Now: clock.now})
	if err != nil {
		return nil, err
	}
	if err := svc.Load(ctx); err != nil {
		return nil, err
	}
	if err := svc.Do(ctx, demoCommands(customers, period.From)...); err != nil {
		return nil, fmt.Errorf("set up the demo's accounts and subscriptions: %w", err)
	}
	clock.t = period.To.Add(24 * time.Hour) // the daily run after the month, past the grace
	out := &demoBilled{svc: svc, clock: clock}
	if out.first, err = svc.RunCycle(ctx, period.To); err != nil {
		return nil, err
	}
	if out.rerun, err = svc.RunCycle(ctx, period.To); err != nil {
		return nil, err
	}
	out.invoices = svc.Invoices(billing.InvoiceFilter{Kind: billing.DocInvoice})
	// Commission statements cover what was posted in a month: the cycle ran the day after the
	// month, so its invoices are in the next month's statements.
	from := time.Date(clock.t.Year(), clock.t.Month(), 1, 0, 0, 0, 0, time.UTC)
	out.issueMonth = billing.Period{From: from, To: from.AddDate(0, 1, 0)}
	sort.SliceStable(out.invoices, func(i, j int) bool {
		a, b := out.invoices[i], out.invoices[j]
		return a.Issuer.ID < b.Issuer.ID || a.Issuer.ID == b.Issuer.ID && a.Number < b.Number
	})
	return out, nil
}

// demoCommands creates the chain's accounts and one subscription per customer from the month's
// first day, billed on the 1st. Customers pay in their plan's currency; euro customers alternate
// between Germany and France, and every fourth French one is a business with a VAT id (reverse
// charge, as its reseller invoices from Germany).
func demoCommands(customers []demoCustomer, start time.Time) []billing.Command {
	account := func(a billing.Account) billing.Command {
		return func(st *billing.State, at time.Time) ([]ledger.Event, error) { return st.CreateAccount(a, at, "demo") }
	}
	var cmds []billing.Command
	seen := map[string]bool{}
	for _, c := range customers {
		parent := ""
		for _, link := range c.Chain {
			kind, id, _ := strings.Cut(link, ":")
			if !seen[id] {
				seen[id] = true
				a := billing.Account{ID: id, Kind: demoAccountKinds[kind], Parent: parent, Name: demoName(id),
					BuyPriceList: demoBuyLists[kind], PaymentTermsDays: 14,
					Currency: "EUR", TaxJurisdiction: "DE", TaxID: "DE" + strconv.Itoa(100000000+len(seen)),
					Address:  "Friedrichstraße " + strconv.Itoa(len(seen)) + ", Berlin",
					Contacts: []billing.Contact{{Name: "Finance", Email: "finance@" + id + ".example", Role: "billing"}}}
				if demoInvoiced[id] {
					a.Settlement = billing.SettlementInvoice
				}
				cmds = append(cmds, account(a))
			}
			parent = id
		}
	}
	noTrial := 0
	for i, c := range customers {
		a := billing.Account{ID: c.ID, Kind: billing.KindCustomer, Parent: parentOf(c), Name: "Customer " + c.ID[5:],
			Currency: c.Plan.Currency.Code, BillingDay: 1, PaymentTermsDays: 30, TaxJurisdiction: "DE",
			Contacts: []billing.Contact{{Name: "Accounts payable", Email: c.ID + "@example.com", Role: "billing"}}}
		switch {
		case a.Currency == "JPY":
			a.TaxJurisdiction, a.PricingGroup = "JP", "jp-enterprise"
		case i%2 == 1:
			a.TaxJurisdiction = "FR"
			if i%8 == 3 {
				a.TaxID = "FR" + strconv.Itoa(40000000000+i)
			}
		}
		sub := billing.NewSubscription{ID: "sub-" + c.ID, Account: c.ID, PlanID: c.Plan.ID, Start: start, TrialDays: &noTrial}
		cmds = append(cmds, account(a), func(st *billing.State, at time.Time) ([]ledger.Event, error) {
			return st.CreateSubscription(sub, at, "demo")
		})
	}
	return cmds
}

func parentOf(c demoCustomer) string {
	_, id, _ := strings.Cut(c.Chain[len(c.Chain)-1], ":")
	return id
}

func demoName(id string) string {
	if id == "" {
		return id
	}
	return strings.ToUpper(id[:1]) + id[1:]
}

// checkBilling is what finance checks after a cycle: every customer got exactly one invoice
// closing the month; numbers run without gaps per issuer; the re-run issued nothing; the journal
// balances; and each usage line of the issued invoices equals the sum of the deltas mediation
// rated for it (invariant 2, this time on the real invoices).
func checkBilling(ctx context.Context, store ledger.Store, cat *rating.Catalog, customers []demoCustomer, period ledger.Period, b *demoBilled) ([]demoCheck, error) {
	closing := map[string]int{}
	series := map[string][]int{}
	for _, inv := range b.invoices {
		if inv.Period.To.Equal(period.To) {
			closing[inv.Buyer.ID]++
		}
		if i := strings.LastIndexByte(inv.Number, '-'); i >= 0 {
			n, _ := strconv.Atoi(inv.Number[i+1:])
			series[inv.Issuer.ID] = append(series[inv.Issuer.ID], n)
		}
	}
	var notOne, gaps, usageMismatch []string
	for _, c := range customers {
		if closing[c.ID] != 1 {
			notOne = append(notOne, fmt.Sprintf("%s has %d", c.ID, closing[c.ID]))
		}
	}
	for issuer, ns := range series {
		sort.Ints(ns)
		for i, n := range ns {
			if n != i+1 {
				gaps = append(gaps, fmt.Sprintf("%s: number %d at position %d", issuer, n, i+1))
				break
			}
		}
	}
	lines := 0
	for _, c := range customers {
		rated, err := store.RatedTotals(ctx, ledger.UsageQuery{Account: c.ID, Period: period})
		if err != nil {
			return nil, fmt.Errorf("rated totals of %s: %w", c.ID, err)
		}
		sums := map[string]decimal.Decimal{}
		for _, r := range rated {
			sums[r.Charge] = r.Amount
		}
		metered := map[string]bool{} // the charges rated by deltas (not unique_count: rated at close)
		for _, ch := range c.Charges {
			m, _ := cat.Meter(ch.Meter)
			metered[ch.ID] = m.Aggregation != rating.AggUniqueCount
		}
		for _, inv := range b.invoices {
			if inv.Buyer.ID != c.ID || !inv.Period.To.Equal(period.To) {
				continue
			}
			for _, l := range inv.Lines {
				if l.Kind != billing.LineUsage || !metered[l.ChargeID] {
					continue
				}
				lines++
				if want := sums[l.ChargeID]; !l.Exact.Equal(want) {
					usageMismatch = append(usageMismatch, fmt.Sprintf("%s %s/%s: invoice %s, Σ deltas %s", inv.Number, c.ID, l.ChargeID, l.Exact, want))
				}
			}
		}
	}
	balance, err := journalBalance(ctx, store, b.invoices)
	if err != nil {
		return nil, err
	}
	issued := 0
	for _, ns := range series {
		issued += len(ns)
	}
	return []demoCheck{
		{
			name:   "billing: one invoice closing the month per customer",
			ok:     len(notOne) == 0,
			detail: mismatchDetail(notOne, fmt.Sprintf("%d customers, %d invoices issued in all", len(customers), issued)),
		},
		{
			name:   "invoice numbers are gap-free per issuer",
			ok:     len(gaps) == 0 && issued == len(b.invoices),
			detail: mismatchDetail(gaps, fmt.Sprintf("%d issuers", len(series))),
		},
		{
			name:   "re-running the cycle issues nothing",
			ok:     b.rerun.Invoices == 0 && b.first.Invoices == len(b.invoices),
			detail: fmt.Sprintf("first run %d invoices, re-run %d", b.first.Invoices, b.rerun.Invoices),
		},
		balance,
		{
			name:   "Σ rated deltas = usage on the issued invoices, exactly (invariant 2)",
			ok:     len(usageMismatch) == 0 && lines > 0,
			detail: mismatchDetail(usageMismatch, fmt.Sprintf("%d usage lines", lines)),
		},
	}, nil
}

// journalBalance checks double entry over the whole journal: every currency sums to zero, and
// the buyers' receivables equal the invoices' totals.
func journalBalance(ctx context.Context, store ledger.Store, invoices []*billing.Invoice) (demoCheck, error) {
	bal, err := store.Balances(ctx, ledger.BalanceQuery{AsOf: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		return demoCheck{}, fmt.Errorf("journal balances: %w", err)
	}
	sum, receivable, billed := map[string]decimal.Decimal{}, map[string]decimal.Decimal{}, map[string]decimal.Decimal{}
	for _, b := range bal {
		sum[b.Currency] = sum[b.Currency].Add(b.Amount)
		if strings.HasSuffix(b.Account, ":receivable") {
			receivable[b.Currency] = receivable[b.Currency].Add(b.Amount)
		}
	}
	for _, inv := range invoices {
		billed[inv.Currency] = billed[inv.Currency].Add(inv.Total)
	}
	var bad, parts []string
	for _, cur := range sortedKeys(billed) {
		if !sum[cur].IsZero() || !receivable[cur].Equal(billed[cur]) {
			bad = append(bad, fmt.Sprintf("%s: journal sums to %s, receivables %s, invoiced %s", cur, sum[cur], receivable[cur], billed[cur]))
		}
		parts = append(parts, fmt.Sprintf("%s receivables %s = invoiced", cur, billed[cur].String()))
	}
	return demoCheck{
		name:   "journal balances to zero; receivables = invoice totals",
		ok:     len(bad) == 0 && len(billed) > 0,
		detail: mismatchDetail(bad, strings.Join(parts, ", ")),
	}, nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// printInvoices prints the issued invoices per issuer: how many, their number range and totals
// per currency, then every month-end invoice of the first issuer's first customer in full, the
// way a reseller's customer sees it.
func printInvoices(w io.Writer, b *demoBilled, period ledger.Period) {
	type group struct {
		count       int
		first, last string
		net, total  map[string]decimal.Decimal
	}
	groups := map[string]*group{}
	for _, inv := range b.invoices {
		g := groups[inv.Issuer.ID]
		if g == nil {
			g = &group{first: inv.Number, net: map[string]decimal.Decimal{}, total: map[string]decimal.Decimal{}}
			groups[inv.Issuer.ID] = g
		}
		g.count++
		g.last = inv.Number
		g.net[inv.Currency] = g.net[inv.Currency].Add(inv.Subtotal)
		g.total[inv.Currency] = g.total[inv.Currency].Add(inv.Total)
	}
	fmt.Fprintf(w, "\nInvoices issued by the cycle of %s (in advance on the 1st, usage in arrears at the month's end):\n", period.To.Format(time.DateOnly))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  ISSUER\tINVOICES\tNUMBERS\tNET\tTOTAL WITH TAX")
	for _, id := range sortedKeys(groups) {
		g := groups[id]
		var net, total []string
		for _, cur := range sortedKeys(g.total) {
			c, _ := rating.LookupCurrency(cur)
			net = append(net, g.net[cur].StringFixed(c.MinorUnits)+" "+cur)
			total = append(total, g.total[cur].StringFixed(c.MinorUnits)+" "+cur)
		}
		fmt.Fprintf(tw, "  %s\t%d\t%s … %s\t%s\t%s\n", id, g.count, g.first, g.last, strings.Join(net, ", "), strings.Join(total, ", "))
	}
	tw.Flush()
	for _, inv := range b.invoices {
		if !inv.Period.To.Equal(period.To) {
			continue
		}
		cur, _ := rating.LookupCurrency(inv.Currency)
		fmt.Fprintf(w, "\nOne of them — %s from %s to %s, due %s:\n", inv.Number, inv.Issuer.Name, inv.Buyer.Name, inv.DueAt.Format(time.DateOnly))
		for _, l := range inv.Lines {
			fmt.Fprintf(w, "  %3d  %-90s %12s\n", l.No, truncate(l.Description, 90), l.Amount.StringFixed(cur.MinorUnits))
		}
		for _, t := range inv.Taxes {
			fmt.Fprintf(w, "       %-90s %12s\n", fmt.Sprintf("%s on %s", t.Name, t.Net.StringFixed(cur.MinorUnits)), t.Tax.StringFixed(cur.MinorUnits))
		}
		fmt.Fprintf(w, "       %-90s %12s\n", "Total "+inv.Currency, inv.Total.StringFixed(cur.MinorUnits))
		break
	}
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
