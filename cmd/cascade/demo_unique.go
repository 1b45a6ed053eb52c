package main

import (
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/rating"
)

// checkUniqueLines checks the unique_count lines of the issued invoices. Mediation does not rate
// them event by event (a distinct count is only known at the period's close), so there are no
// deltas to compare with: the line's quantity must be the number of distinct values the vendor
// sent, and its amount the charge's price of that count.
func checkUniqueLines(cat *rating.Catalog, customers []demoCustomer, period ledger.Period, want demoExpected, b *demoBilled) demoCheck {
	var bad []string
	lines := 0
	for _, c := range customers {
		for _, ch := range c.Charges {
			m, _ := cat.Meter(ch.Meter)
			if m.Aggregation != rating.AggUniqueCount {
				continue
			}
			sent := decimal.NewFromUint64(distinct(want.users[c.ID+"/"+ch.Meter], m.Attribute))
			price := ch.Model.Price(sent)
			found := 0
			for _, inv := range b.invoices {
				if inv.Buyer.ID != c.ID || !inv.Period.To.Equal(period.To) {
					continue
				}
				for _, l := range inv.Lines {
					if l.Kind != billing.LineUsage || l.ChargeID != ch.ID {
						continue
					}
					found++
					if !l.Quantity.Equal(sent) || !l.Exact.Equal(price) {
						bad = append(bad, fmt.Sprintf("%s %s/%s: %s users for %s, sent %s distinct (price %s)", inv.Number, c.ID, ch.ID, l.Quantity, l.Exact, sent, price))
					}
				}
			}
			lines += found
			if found != 1 {
				bad = append(bad, fmt.Sprintf("%s/%s: %d invoice lines, want 1", c.ID, ch.ID, found))
			}
		}
	}
	return demoCheck{
		name:   "unique_count lines (rated at close) = distinct values sent, priced by the plan",
		ok:     len(bad) == 0 && lines > 0,
		detail: mismatchDetail(bad, fmt.Sprintf("%d lines", lines)),
	}
}
