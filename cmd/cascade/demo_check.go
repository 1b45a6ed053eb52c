package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/mediation/kafka"
	"github.com/cascade-billing/cascade/rating"
)

// demoCheck is one reconciliation check: a named invariant and whether it held.
type demoCheck struct {
	name   string
	ok     bool
	detail string
}

// demoInvoice is a customer's month as re-rated from the ledger's quantities.
type demoInvoice struct {
	customer demoCustomer
	quote    *rating.Quote
}

// demoExpected is what the ledger must hold, computed from the generated month alone.
type demoExpected struct {
	quantity map[string]decimal.Decimal // customer/meter → Σ distinct valid quantities
	max      map[string]decimal.Decimal // customer/meter → the largest one
	users    map[string]map[string]bool // customer/meter → the distinct values of every attribute
	meters   map[string]int             // customer → how many meters it used
	distinct int                        // distinct valid events
	bad      map[string]demoBad         // a bad record's bytes → its kind
}

func expectedOf(events []demoEvent) demoExpected {
	x := demoExpected{quantity: map[string]decimal.Decimal{}, max: map[string]decimal.Decimal{}, users: map[string]map[string]bool{},
		meters: map[string]int{}, bad: map[string]demoBad{}}
	for _, ev := range events {
		switch {
		case ev.bad != badNone:
			x.bad[string(ev.raw)] = ev.bad
		case !ev.dup:
			x.distinct++
			k := ev.usage.Account + "/" + ev.usage.Meter
			if _, ok := x.quantity[k]; !ok {
				x.meters[ev.usage.Account]++
			}
			x.quantity[k] = x.quantity[k].Add(ev.usage.Quantity)
			x.max[k] = decimal.Max(x.max[k], ev.usage.Quantity)
			if x.users[k] == nil {
				x.users[k] = map[string]bool{}
			}
			for _, a := range ev.usage.Attributes {
				x.users[k][a.Key+"="+a.Value] = true
			}
		}
	}
	return x
}

// reconcile reads the month back from the ledger, re-rates it from the stored quantities
// (DESIGN.md invariant 1) and checks the flow's counts, the ledger against the generated month
// and every bad record against the dead letters and the ledger's rejects.
func reconcile(ctx context.Context, store ledger.Store, cat *rating.Catalog, customers []demoCustomer,
	period ledger.Period, events []demoEvent, flow *demoFlow) ([]demoCheck, []demoInvoice, error) {
	want := expectedOf(events)
	var invoices []demoInvoice
	var ledgerEvents uint64
	var qtyMismatch, deltaMismatch []string
	lines := 0
	aggs, err := periodAggregates(ctx, store, cat, customers, period)
	if err != nil {
		return nil, nil, err
	}
	for _, c := range customers {
		totals, err := store.UsageTotals(ctx, ledger.UsageQuery{Account: c.ID, Period: period})
		if err != nil {
			return nil, nil, fmt.Errorf("usage totals of %s: %w", c.ID, err)
		}
		usage := map[string]decimal.Decimal{}
		for _, t := range totals {
			ledgerEvents += t.Events
			usage[t.Meter] = t.Quantity
			if w := want.quantity[c.ID+"/"+t.Meter]; !t.Quantity.Equal(w) {
				qtyMismatch = append(qtyMismatch, fmt.Sprintf("%s/%s ledger %s, sent %s", c.ID, t.Meter, t.Quantity, w))
			}
		}
		for meter := range usage {
			k := c.ID + "/" + meter
			m, _ := cat.Meter(meter)
			switch a := aggs[k]; m.Aggregation {
			case rating.AggMax:
				if usage[meter] = a.Max; !a.Max.Equal(want.max[k]) {
					qtyMismatch = append(qtyMismatch, fmt.Sprintf("%s max ledger %s, sent %s", k, a.Max, want.max[k]))
				}
			case rating.AggUniqueCount:
				sent := distinct(want.users[k], m.Attribute)
				if usage[meter] = decimal.NewFromUint64(a.Unique); a.Unique != sent {
					qtyMismatch = append(qtyMismatch, fmt.Sprintf("%s distinct %s: ledger %d, sent %d", k, m.Attribute, a.Unique, sent))
				}
			}
		}
		if len(totals) != want.meters[c.ID] {
			qtyMismatch = append(qtyMismatch, fmt.Sprintf("%s: ledger has %d meters, sent %d", c.ID, len(totals), want.meters[c.ID]))
		}
		rated, err := store.RatedTotals(ctx, ledger.UsageQuery{Account: c.ID, Period: period})
		if err != nil {
			return nil, nil, fmt.Errorf("rated totals of %s: %w", c.ID, err)
		}
		ratedBy := map[string]decimal.Decimal{}
		for _, r := range rated {
			ratedBy[r.Charge] = r.Amount
		}
		q, err := cat.Quote(rating.QuoteInput{PlanID: c.Plan.ID, At: period.From, Usage: usage})
		if err != nil {
			return nil, nil, fmt.Errorf("re-rate %s: %w", c.ID, err)
		}
		for _, ch := range c.Charges {
			if m, _ := cat.Meter(ch.Meter); m.Aggregation == rating.AggUniqueCount {
				continue // rated at the period's close, not by deltas: checked on the invoices
			}
			line, ok := usageLine(q, ch.ID)
			lines++
			sum := ratedBy[ch.ID]
			if !ok || !line.Exact.Equal(sum) || !line.Amount.Equal(q.Currency.Round(sum, q.Rounding)) {
				deltaMismatch = append(deltaMismatch, fmt.Sprintf("%s/%s Σ deltas %s, invoice line %s", c.ID, ch.ID, sum, line.Exact))
			}
		}
		invoices = append(invoices, demoInvoice{customer: c, quote: q})
	}
	rejects, err := checkRejects(ctx, store, period, want, flow)
	if err != nil {
		return nil, nil, err
	}
	s := flow.pipeline
	checks := []demoCheck{
		{
			name:   "edge: sent = accepted + rejected + duplicate (connector replies)",
			ok:     flow.sent == len(events) && flow.sent == flow.accepted+flow.rejected+flow.duplicate,
			detail: fmt.Sprintf("%d = %d + %d + %d", flow.sent, flow.accepted, flow.rejected, flow.duplicate),
		},
		{
			name:   "pipeline: consumed = accepted + duplicate + rejected",
			ok:     s.Consumed == s.Accepted+s.Duplicate+s.RejectedTotal(),
			detail: fmt.Sprintf("%d = %d + %d + %d", s.Consumed, s.Accepted, s.Duplicate, s.RejectedTotal()),
		},
		{
			name:   "pipeline consumed what the connector accepted",
			ok:     s.Consumed == int64(flow.accepted),
			detail: fmt.Sprintf("consumed %d, accepted at the edge %d", s.Consumed, flow.accepted),
		},
		{
			name:   "ledger counts each accepted record once",
			ok:     ledgerEvents == uint64(s.Accepted) && s.Accepted == int64(want.distinct),
			detail: fmt.Sprintf("ledger %d events, pipeline accepted %d, distinct valid records sent %d", ledgerEvents, s.Accepted, want.distinct),
		},
		{
			name:   "ledger quantities = sent quantities, exactly",
			ok:     len(qtyMismatch) == 0,
			detail: mismatchDetail(qtyMismatch, "every customer and meter"),
		},
		{
			name:   "Σ rated deltas = invoiced usage, exactly (invariant 2)",
			ok:     len(deltaMismatch) == 0,
			detail: mismatchDetail(deltaMismatch, fmt.Sprintf("%d usage lines", lines)),
		},
		rejects,
	}
	return checks, invoices, nil
}

// periodAggregates reads the month's per-meter aggregates (max, distinct values) of every
// customer from the ledger in one query, by "account/meter".
func periodAggregates(ctx context.Context, store ledger.Store, cat *rating.Catalog, customers []demoCustomer,
	period ledger.Period) (map[string]ledger.AccountUsage, error) {
	q := ledger.PeriodUsageQuery{Period: period, UniqueBy: map[string]string{}}
	for _, c := range customers {
		q.Accounts = append(q.Accounts, c.ID)
	}
	for _, m := range cat.Meters {
		if m.Aggregation == rating.AggUniqueCount {
			q.UniqueBy[m.ID] = m.Attribute
		}
	}
	rows, err := store.PeriodUsage(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("period usage: %w", err)
	}
	out := make(map[string]ledger.AccountUsage, len(rows))
	for _, r := range rows {
		out[r.Account+"/"+r.Meter] = r
	}
	return out, nil
}

// distinct counts the values of one attribute among a meter's "key=value" pairs.
func distinct(pairs map[string]bool, attribute string) uint64 {
	n := uint64(0)
	for p := range pairs {
		if strings.HasPrefix(p, attribute+"=") {
			n++
		}
	}
	return n
}

// checkRejects finds every bad record, by its original bytes, in the edge's dead letters
// (usage.rejected) or the ledger's reject table, with a reason its kind allows, and checks that
// nothing else was rejected.
func checkRejects(ctx context.Context, store ledger.Store, period ledger.Period, want demoExpected, flow *demoFlow) (demoCheck, error) {
	found := map[string]string{} // original bytes → reason
	for _, m := range flow.deadLetters {
		reason := ""
		for _, h := range m.Headers {
			if h.Key == kafka.HeaderReason {
				reason = string(h.Value)
			}
		}
		found[string(m.Value)] = reason
	}
	stored, err := store.Rejects(ctx, ledger.RejectQuery{Period: ledger.Period{From: period.From, To: period.To.AddDate(0, 0, 1)}})
	if err != nil {
		return demoCheck{}, fmt.Errorf("ledger rejects: %w", err)
	}
	for _, r := range stored {
		found[string(r.Original)] = r.Reason
	}
	var problems []string
	byReason := map[string]int{}
	for raw, kind := range want.bad {
		reason, ok := found[raw]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("not rejected: %.60s", raw))
		case !slices.Contains(kind.reasons(), reason):
			problems = append(problems, fmt.Sprintf("rejected as %q, want one of %v: %.60s", reason, kind.reasons(), raw))
		default:
			byReason[reason]++
		}
	}
	rejected := int64(flow.rejected) + flow.pipeline.RejectedTotal()
	if rejected != int64(len(want.bad)) {
		problems = append(problems, fmt.Sprintf("%d records rejected (%d at the edge, %d in the pipeline), %d bad ones sent",
			rejected, flow.rejected, flow.pipeline.RejectedTotal(), len(want.bad)))
	}
	reasons := make([]string, 0, len(byReason))
	for r, n := range byReason {
		reasons = append(reasons, fmt.Sprintf("%s %d", r, n))
	}
	sort.Strings(reasons)
	return demoCheck{
		name: "every bad record is a dead letter or a ledger reject, with its reason",
		ok:   len(problems) == 0,
		detail: mismatchDetail(problems, fmt.Sprintf("%d bad records: %s (%d dead letters, %d ledger rejects)",
			len(want.bad), strings.Join(reasons, ", "), len(flow.deadLetters), len(stored))),
	}, nil
}

func usageLine(q *rating.Quote, charge string) (rating.QuoteLine, bool) {
	for _, l := range q.Lines {
		if l.Kind == rating.LineUsage && l.ChargeID == charge {
			return l, true
		}
	}
	return rating.QuoteLine{}, false
}

func mismatchDetail(m []string, all string) string {
	if len(m) == 0 {
		return all
	}
	more := ""
	if len(m) > 3 {
		more = fmt.Sprintf(" (+%d more)", len(m)-3)
		m = m[:3]
	}
	return strings.Join(m, "; ") + more
}

func printDemoSummary(w io.Writer, cfg demoConfig, invoices []demoInvoice, billed *demoBilled, month *demoMonth, checks []demoCheck, skipped []string, took time.Duration) {
	fmt.Fprintf(w, "\nCascade demo — %s, %d customers, POSTed to the connector, mediated through Kafka, re-rated from the embedded ledger\n\n", cfg.period.From.Format("January 2006"), len(invoices))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CUSTOMER\tRESELLER\tPLAN\tUSAGE LINES\tTOTAL")
	type key struct{ reseller, currency string }
	byReseller := map[key]decimal.Decimal{}
	for _, inv := range invoices {
		c, q := inv.customer, inv.quote
		reseller := c.Chain[len(c.Chain)-1]
		var usage []string
		for _, l := range q.Lines {
			if l.Kind == rating.LineUsage && !l.Quantity.IsZero() {
				usage = append(usage, fmt.Sprintf("%s %s", l.ChargeID, l.Amount.StringFixed(q.Currency.MinorUnits)))
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s v%d\t%s\t%s %s\n", c.ID, reseller, q.PlanID, q.Version, strings.Join(usage, ", "),
			q.Total.StringFixed(q.Currency.MinorUnits), q.Currency.Code)
		k := key{reseller, q.Currency.Code}
		byReseller[k] = byReseller[k].Add(q.Total)
	}
	tw.Flush()
	keys := make([]key, 0, len(byReseller))
	for k := range byReseller {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return keys[i].reseller+keys[i].currency < keys[j].reseller+keys[j].currency
	})
	fmt.Fprintln(w, "\nRetail re-rated per reseller from the ledger (what its customers owe, before the revenue split):")
	for _, k := range keys {
		cur, _ := rating.LookupCurrency(k.currency)
		fmt.Fprintf(w, "  %-22s %s %s\n", k.reseller, byReseller[k].StringFixed(cur.MinorUnits), k.currency)
	}
	if billed != nil {
		printInvoices(w, billed, cfg.period)
		printStatements(w, billed)
	}
	if billed != nil && month != nil {
		printPayments(w, month)
		printDunning(w, month)
		printDemoClose(w, billed, month)
	}
	if len(skipped) > 0 {
		fmt.Fprintf(w, "\nNo usage generated for these yet: %s\n", strings.Join(skipped, ", "))
	}
	fmt.Fprintln(w, "\nReconciliation checks:")
	for _, c := range checks {
		mark := "ok  "
		if !c.ok {
			mark = "FAIL"
		}
		fmt.Fprintf(w, "  [%s] %s — %s\n", mark, c.name, c.detail)
	}
	fmt.Fprintf(w, "\ndone in %s\n", took.Round(10*time.Millisecond))
}
