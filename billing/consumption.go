package billing

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/shopspring/decimal"
)

// ConsumptionReader is the ledger read behind the consumption report. billing's Store does not
// require it (billing itself never reads per-day totals), so Consumption asks the configured
// store for it; every ledger.Store has it.
type ConsumptionReader interface {
	Consumption(ctx context.Context, q ledger.ConsumptionQuery) ([]ledger.ConsumptionRow, error)
}

// ConsumptionQuery selects one account's accepted usage over a period, optionally of one meter.
type ConsumptionQuery struct {
	Account string
	Period  Period
	Meter   string // "" = every meter with usage
}

// ConsumptionReport is an account's accepted usage per meter and UTC day: the quantities the
// invoice re-rates (invariant 1), so a customer or a partner can check a bill line by line.
type ConsumptionReport struct {
	Account  string
	Currency string // the account's billing currency, for the reader's context
	Period   Period
	Meters   []MeterConsumption // sorted by meter id
}

// MeterConsumption is one meter's period total and its daily breakdown; Total is the exact sum
// of Days.
type MeterConsumption struct {
	Meter  string
	Unit   string // from the published catalog; "" for a meter no longer in it
	Total  decimal.Decimal
	Events uint64
	Days   []DayQuantity // days with usage, ascending
}

// DayQuantity is the accepted quantity of one UTC day (Day is its 00:00:00 UTC).
type DayQuantity struct {
	Day      time.Time
	Quantity decimal.Decimal
}

// Validate checks the query's fields.
func (q *ConsumptionQuery) Validate() error {
	switch {
	case q.Account == "":
		return fmt.Errorf("consumption: account is required: %w", ErrInvalid)
	case q.Period.From.IsZero() || q.Period.To.IsZero():
		return fmt.Errorf("consumption of %s: period.from and period.to are required: %w", q.Account, ErrInvalid)
	case !q.Period.From.Before(q.Period.To):
		return fmt.Errorf("consumption of %s: period.from %s is not before period.to %s: %w",
			q.Account, q.Period.From.Format(time.RFC3339), q.Period.To.Format(time.RFC3339), ErrInvalid)
	}
	return nil
}

// Consumption reports an account's accepted usage per meter and day over a period. An unknown
// account is ErrNotFound; a requested meter without usage is reported with a zero total, so
// "nothing was used" is an answer and not an absence.
func (s *Service) Consumption(ctx context.Context, q ConsumptionQuery) (*ConsumptionReport, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	reader, ok := s.cfg.Store.(ConsumptionReader)
	if !ok {
		return nil, fmt.Errorf("consumption of %s: the configured store has no consumption read: %w", q.Account, ErrUnsupported)
	}
	var currency string
	err := s.View(func(st *State) error {
		acc, found := st.Account(q.Account)
		if !found {
			return fmt.Errorf("consumption: account %s: %w", q.Account, ErrNotFound)
		}
		currency = acc.Currency
		return nil
	})
	if err != nil {
		return nil, err
	}
	lq := ledger.ConsumptionQuery{Account: q.Account,
		Period: ledger.Period{From: q.Period.From.UTC(), To: q.Period.To.UTC()}}
	if q.Meter != "" {
		lq.Meters = []string{q.Meter}
	}
	rows, err := reader.Consumption(ctx, lq)
	if err != nil {
		return nil, fmt.Errorf("consumption of %s from %s to %s: %w", q.Account,
			q.Period.From.Format(time.RFC3339), q.Period.To.Format(time.RFC3339), err)
	}
	return s.consumptionReport(q, currency, rows), nil
}

// consumptionReport folds (day, meter) rows into per-meter totals. Rows are summed per day even
// though the ledger already answers one row per (day, meter) without GroupBy: the fold must not
// depend on that to stay exact.
func (s *Service) consumptionReport(q ConsumptionQuery, currency string, rows []ledger.ConsumptionRow) *ConsumptionReport {
	cat := s.Catalog()
	byMeter := map[string]*MeterConsumption{}
	days := map[string]map[int64]decimal.Decimal{}
	meter := func(id string) *MeterConsumption {
		m, ok := byMeter[id]
		if !ok {
			m = &MeterConsumption{Meter: id, Total: decimal.Zero}
			if mt, found := cat.Meter(id); found {
				m.Unit = mt.Unit
			}
			byMeter[id], days[id] = m, map[int64]decimal.Decimal{}
		}
		return m
	}
	if q.Meter != "" {
		meter(q.Meter)
	}
	for _, r := range rows {
		m := meter(r.Meter)
		m.Total = m.Total.Add(r.Quantity)
		m.Events += r.Events
		day := r.Day.UTC().Truncate(24 * time.Hour).Unix()
		d, ok := days[r.Meter][day]
		if !ok {
			d = decimal.Zero
		}
		days[r.Meter][day] = d.Add(r.Quantity)
	}
	rep := &ConsumptionReport{Account: q.Account, Currency: currency,
		Period: Period{From: q.Period.From.UTC(), To: q.Period.To.UTC()}, Meters: []MeterConsumption{}}
	for id, m := range byMeter {
		for day, qty := range days[id] {
			m.Days = append(m.Days, DayQuantity{Day: time.Unix(day, 0).UTC(), Quantity: qty})
		}
		sort.Slice(m.Days, func(i, j int) bool { return m.Days[i].Day.Before(m.Days[j].Day) })
		rep.Meters = append(rep.Meters, *m)
	}
	sort.Slice(rep.Meters, func(i, j int) bool { return rep.Meters[i].Meter < rep.Meters[j].Meter })
	return rep
}
