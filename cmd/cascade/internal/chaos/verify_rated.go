package chaos

import (
	"context"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/clickhouse"
	"github.com/cascade-billing/cascade/rating"
)

// checkRated reads each customer's rated deltas as billing does (RatedTotals over the month)
// and compares them with the stream: the quantity and event count of charge calls must be the
// good records', and the exact amount the catalog's quote for the customer's total (the deltas
// of any order and split of a period's events sum to it, DESIGN.md invariant 2). A delta
// written twice, or rated from a running total a replay double-counted, shows here even where
// an invoice prices the usage rows instead.
func checkRated(ctx context.Context, store *clickhouse.Store, st *Stream, month ledger.Period, res *Result) error {
	cat, err := rating.Load("chaos", []byte(Catalog))
	if err != nil {
		return fmt.Errorf("load the catalog: %w", err)
	}
	events := map[string]uint64{}
	for _, e := range st.Events {
		events[e.Account]++
	}
	for _, cust := range st.Customers {
		want := st.Totals[UsageKey{Account: cust, Meter: Meter}]
		quote, err := cat.Quote(rating.QuoteInput{PlanID: "std", At: month.From, Usage: map[string]decimal.Decimal{Meter: want}})
		if err != nil {
			return fmt.Errorf("quote %s for %s: %w", want, cust, err)
		}
		exact := decimal.Zero
		for _, l := range quote.Lines {
			if l.ChargeID == Meter {
				exact = exact.Add(l.Exact)
			}
		}
		rows, err := store.RatedTotals(ctx, ledger.UsageQuery{Account: cust, Period: month})
		if err != nil {
			return fmt.Errorf("rated totals of %s: %w", cust, err)
		}
		got := ledger.RatedTotal{Quantity: decimal.Zero, Amount: decimal.Zero}
		for _, r := range rows {
			if r.Charge == Meter {
				got = r
			}
		}
		switch {
		case got.Events > events[cust] || got.Quantity.GreaterThan(want) || got.Amount.GreaterThan(exact):
			res.Doubled++
			res.problem("doubled: %s rated %d events, %s calls, %s EUR; want %d, %s, %s", cust, got.Events, got.Quantity, got.Amount, events[cust], want, exact)
		case got.Events < events[cust] || got.Quantity.LessThan(want) || got.Amount.LessThan(exact):
			res.Lost++
			res.problem("lost: %s rated %d events, %s calls, %s EUR; want %d, %s, %s", cust, got.Events, got.Quantity, got.Amount, events[cust], want, exact)
		}
	}
	return nil
}
