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

// insertUsage sends every part's rows in one INSERT (native.go).
func (s *Store) insertUsage(ctx context.Context, parts [][]ledger.Usage) error {
	b := usageBlock(parts)
	return s.send(ctx, b.table, b.load)
}

// The usage table's columns (chsql.UsageTable), by position.
const (
	usageSource = iota
	usageEventID
	usageAccount
	usageSubscription
	usagePlanVersion
	usagePricingGroup
	usageChain
	usageSubject
	usageMeter
	usageQuantity
	usageEventTime
	usageIngestTime
	usageAttrKeys
	usageAttrValues
	usageRatedID
	usageRatedCharge
	usageRatedQuantity
	usageRatedAmount
	usageRatedCurrency
	usageColumns
)

// usageBlock lays out every part's rows as the usage table's columns, in one pass.
func usageBlock(parts [][]ledger.Usage) *block {
	n := 0
	for _, rows := range parts {
		n += len(rows)
	}
	b := newBlock(chsql.UsageTable(), n)
	c := b.cols[:usageColumns]
	for _, rows := range parts {
		for i := range rows {
			u, row := &rows[i], b.rows
			c[usageSource].str(u.Source)
			c[usageEventID].str(u.EventID)
			c[usageAccount].str(u.Account)
			c[usageSubscription].str(u.Subscription)
			c[usagePlanVersion].str(u.PlanVersion)
			c[usagePricingGroup].str(u.PricingGroup)
			c[usageChain].strings(u.Chain)
			c[usageSubject].str(u.Subject)
			c[usageMeter].str(u.Meter)
			c[usageQuantity].decimal(row, u.Quantity, ledger.QuantityScale)
			c[usageEventTime].time(row, u.EventTime)
			c[usageIngestTime].time(row, u.IngestTime)
			c[usageAttrKeys].array(len(u.Attributes))
			c[usageAttrValues].array(len(u.Attributes))
			for _, a := range u.Attributes {
				c[usageAttrKeys].values.String(a.Key)
				c[usageAttrValues].values.String(a.Value)
			}
			for k := usageRatedID; k <= usageRatedCurrency; k++ {
				c[k].array(len(u.Rated))
			}
			for j := range u.Rated {
				r := &u.Rated[j]
				c[usageRatedID].values.String(r.ID)
				c[usageRatedCharge].values.String(r.Charge)
				c[usageRatedQuantity].decimal(row, r.Quantity, ledger.QuantityScale)
				c[usageRatedAmount].decimal(row, r.Amount, ledger.AmountScale)
				c[usageRatedCurrency].values.String(r.Currency)
			}
			b.endRow()
		}
	}
	return b
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
