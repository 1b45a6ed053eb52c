package clickhouse

import (
	"context"
	"fmt"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/internal/chsql"
	"github.com/shopspring/decimal"
)

// The hot path's writes: usage rows (with the rated deltas they carry) and rated deltas.

// WriteUsage implements ledger.Writer. A write of BatchSize rows or more is sent on its own,
// in chunks; smaller ones go through the group commit (group.go), together with what other
// goroutines write at the same moment.
func (s *Store) WriteUsage(ctx context.Context, rows []ledger.Usage) error {
	if err := ledger.ValidateUsage(rows); err != nil {
		return err
	}
	var err error
	if len(rows) >= s.cfg.BatchSize {
		err = parallelChunks(rows, s.cfg.BatchSize, s.cfg.InsertParallelism, func(rows []ledger.Usage) error {
			return s.insertUsage(ctx, [][]ledger.Usage{rows})
		})
	} else {
		err = s.usage.write(ctx, rows)
	}
	if err != nil {
		return fmt.Errorf("ledger/clickhouse: write %d usage rows to %s: %w", len(rows), s.cfg.Addr, err)
	}
	return nil
}

// insertUsage sends every part's rows in one INSERT.
func (s *Store) insertUsage(ctx context.Context, parts [][]ledger.Usage) error {
	n, nattrs, nrated := 0, 0, 0
	for _, rows := range parts {
		n += len(rows)
		for i := range rows {
			nattrs += len(rows[i].Attributes)
			nrated += len(rows[i].Rated)
		}
	}
	var (
		source, eventID, account, subscription    = make([]string, 0, n), make([]string, 0, n), make([]string, 0, n), make([]string, 0, n)
		planVersion, pricingGroup, subject, meter = make([]string, 0, n), make([]string, 0, n), make([]string, 0, n), make([]string, 0, n)
		chain, attrKeys, attrValues               = make([][]string, 0, n), make([][]string, 0, n), make([][]string, 0, n)
		quantity                                  = make([]decimal.Decimal, 0, n)
		eventTime, ingestTime                     = make([]time.Time, 0, n), make([]time.Time, 0, n)
		ratedID, ratedCharge, ratedCurrency       = make([][]*string, 0, n), make([][]*string, 0, n), make([][]*string, 0, n)
		ratedQuantity, ratedAmount                = make([][]*decimal.Decimal, 0, n), make([][]*decimal.Decimal, 0, n)
	)
	// All rows' attributes and rated deltas share a few backing arrays: a few allocations per
	// INSERT instead of a few per row. The rated arrays hold pointers into the rows: the
	// driver's per-element AppendRow boxes each element, which allocates for a string or a
	// decimal value but not for a pointer.
	keys, values := make([]string, 0, nattrs), make([]string, 0, nattrs)
	rIDs, rCharges, rCurrencies := make([]*string, 0, nrated), make([]*string, 0, nrated), make([]*string, 0, nrated)
	rQuantities, rAmounts := make([]*decimal.Decimal, 0, nrated), make([]*decimal.Decimal, 0, nrated)
	noChain := []string{}
	for _, rows := range parts {
		for i := range rows {
			u := &rows[i]
			source, eventID, account, subscription = append(source, u.Source), append(eventID, u.EventID),
				append(account, u.Account), append(subscription, u.Subscription)
			planVersion, pricingGroup, subject, meter = append(planVersion, u.PlanVersion), append(pricingGroup, u.PricingGroup),
				append(subject, u.Subject), append(meter, u.Meter)
			c := u.Chain
			if c == nil {
				c = noChain
			}
			chain = append(chain, c)
			quantity = append(quantity, u.Quantity)
			eventTime, ingestTime = append(eventTime, chsql.StoredTime(u.EventTime)), append(ingestTime, chsql.StoredTime(u.IngestTime))
			start := len(keys)
			for _, a := range u.Attributes {
				keys, values = append(keys, a.Key), append(values, a.Value)
			}
			attrKeys, attrValues = append(attrKeys, keys[start:len(keys):len(keys)]), append(attrValues, values[start:len(values):len(values)])
			start = len(rIDs)
			for j := range u.Rated {
				r := &u.Rated[j]
				rIDs, rCharges, rCurrencies = append(rIDs, &r.ID), append(rCharges, &r.Charge), append(rCurrencies, &r.Currency)
				rQuantities, rAmounts = append(rQuantities, &r.Quantity), append(rAmounts, &r.Amount)
			}
			end := len(rIDs)
			ratedID, ratedCharge, ratedCurrency = append(ratedID, rIDs[start:end:end]), append(ratedCharge, rCharges[start:end:end]),
				append(ratedCurrency, rCurrencies[start:end:end])
			ratedQuantity, ratedAmount = append(ratedQuantity, rQuantities[start:end:end]), append(ratedAmount, rAmounts[start:end:end])
		}
	}
	return s.insert(ctx, chsql.UsageTable(), []any{source, eventID, account, subscription, planVersion, pricingGroup,
		chain, subject, meter, quantity, eventTime, ingestTime, attrKeys, attrValues,
		ratedID, ratedCharge, ratedQuantity, ratedAmount, ratedCurrency})
}

// WriteRated implements ledger.Writer, with the same group commit as WriteUsage.
func (s *Store) WriteRated(ctx context.Context, rows []ledger.RatedDelta) error {
	if err := ledger.ValidateRated(rows); err != nil {
		return err
	}
	var err error
	if len(rows) >= s.cfg.BatchSize {
		err = chunks(rows, s.cfg.BatchSize, func(rows []ledger.RatedDelta) error {
			return s.insertRated(ctx, [][]ledger.RatedDelta{rows})
		})
	} else {
		err = s.rated.write(ctx, rows)
	}
	if err != nil {
		return fmt.Errorf("ledger/clickhouse: write %d rated deltas to %s: %w", len(rows), s.cfg.Addr, err)
	}
	return nil
}

// insertRated sends every part's rows in one INSERT.
func (s *Store) insertRated(ctx context.Context, parts [][]ledger.RatedDelta) error {
	n := 0
	for _, rows := range parts {
		n += len(rows)
	}
	strs := func() []string { return make([]string, 0, n) }
	cols := struct {
		id, source, eventID, account, group, sub, plan, charge, meter, currency []string
		version                                                                 []uint64
		eventTime                                                               []time.Time
		qty, amount                                                             []decimal.Decimal
	}{id: strs(), source: strs(), eventID: strs(), account: strs(), group: strs(), sub: strs(), plan: strs(),
		charge: strs(), meter: strs(), currency: strs(), version: make([]uint64, 0, n), eventTime: make([]time.Time, 0, n),
		qty: make([]decimal.Decimal, 0, n), amount: make([]decimal.Decimal, 0, n)}
	for _, rows := range parts {
		for i := range rows {
			r := &rows[i]
			cols.id = append(cols.id, r.ID)
			cols.version = append(cols.version, r.Version)
			cols.source = append(cols.source, r.Source)
			cols.eventID = append(cols.eventID, r.EventID)
			cols.account = append(cols.account, r.Account)
			cols.group = append(cols.group, r.PricingGroup)
			cols.sub = append(cols.sub, r.Subscription)
			cols.plan = append(cols.plan, r.PlanVersion)
			cols.charge = append(cols.charge, r.Charge)
			cols.meter = append(cols.meter, r.Meter)
			cols.eventTime = append(cols.eventTime, chsql.StoredTime(r.EventTime))
			cols.qty = append(cols.qty, r.Quantity)
			cols.amount = append(cols.amount, r.Amount)
			cols.currency = append(cols.currency, r.Currency)
		}
	}
	return s.insert(ctx, chsql.RatedTable(), []any{cols.id, cols.version, cols.source, cols.eventID, cols.account,
		cols.group, cols.sub, cols.plan, cols.charge, cols.meter, cols.eventTime, cols.qty, cols.amount, cols.currency})
}
