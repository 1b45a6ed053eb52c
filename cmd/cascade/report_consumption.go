package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/cascade-billing/cascade/billing"
)

// runConsumption prints an account's accepted usage for a month, per meter and UTC day: the
// quantities its invoice re-rates, so a bill can be checked line by line. Read-only.
func runConsumption(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("report consumption", flag.ContinueOnError)
	var src ledgerSource
	src.register(fs, true)
	account := fs.String("account", "", "the account whose usage to report (required)")
	month := fs.String("period", "", "the month of usage, by event time, YYYY-MM (required)")
	meter := fs.String("meter", "", "only this meter (reported with a zero total if it has no usage)")
	format := fs.String("format", "table", "table, csv or json")
	_, help, err := parseFlags(e, fs, "usage: cascade report consumption --account A --period YYYY-MM [--meter M] [--format table|csv|json] (--data DIR | --config FILE)", args, 0)
	if help || err != nil {
		return err
	}
	from, perr := time.Parse("2006-01", *month)
	switch {
	case *account == "":
		return usagef("--account is required")
	case *month == "":
		return usagef("--period is required (YYYY-MM)")
	case perr != nil:
		return usagef("--period %q: want YYYY-MM", *month)
	}
	if err := oneOf("format", *format, "table", "csv", "json"); err != nil {
		return err
	}
	if err := src.check(fs); err != nil {
		return err
	}
	svc, store, err := src.openBilling(ctx, e)
	if err != nil {
		return err
	}
	defer store.Close()
	rep, err := svc.Consumption(ctx, billing.ConsumptionQuery{Account: *account, Meter: *meter,
		Period: billing.Period{From: from, To: from.AddDate(0, 1, 0)}})
	if err != nil {
		return billingUsageError(fmt.Errorf("--account %s: %w", *account, err))
	}
	switch *format {
	case "csv":
		return writeConsumptionCSV(e.stdout, rep)
	case "json":
		return writeConsumptionJSON(e.stdout, rep)
	}
	return writeConsumptionTable(e.stdout, rep)
}

// writeConsumptionTable prints each meter's days, then the totals per meter.
func writeConsumptionTable(w io.Writer, rep *billing.ConsumptionReport) error {
	fmt.Fprintf(w, "Consumption of %s (billed in %s), %s to %s, by event day (UTC)\n\n", rep.Account, rep.Currency,
		day(rep.Period.From), day(rep.Period.To.Add(-time.Nanosecond)))
	if len(rep.Meters) == 0 {
		fmt.Fprintln(w, "No usage was accepted in this period.")
		return nil
	}
	days := newTable("DAY", "METER", "QUANTITY>", "UNIT")
	for _, m := range rep.Meters {
		for _, d := range m.Days {
			days.add(day(d.Day), m.Meter, d.Quantity.String(), m.Unit)
		}
	}
	if err := days.write(w); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nTotal")
	totals := newTable("METER", "QUANTITY>", "UNIT", "EVENTS>", "DAYS>")
	for _, m := range rep.Meters {
		totals.add(m.Meter, m.Total.String(), m.Unit, fmt.Sprint(m.Events), fmt.Sprint(len(m.Days)))
	}
	return totals.write(w)
}

// writeConsumptionCSV writes one row per meter and day: the form a spreadsheet sums.
func writeConsumptionCSV(w io.Writer, rep *billing.ConsumptionReport) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"account", "meter", "unit", "day", "quantity"})
	for _, m := range rep.Meters {
		for _, d := range m.Days {
			_ = cw.Write([]string{rep.Account, m.Meter, m.Unit, day(d.Day), d.Quantity.String()})
		}
	}
	cw.Flush()
	return cw.Error()
}

// The JSON form is the API's (GET /v1/reports/consumption): exact decimal strings, days as
// YYYY-MM-DD.
type (
	consumptionJSON struct {
		Account  string                 `json:"account"`
		Currency string                 `json:"currency"`
		Period   billing.Period         `json:"period"`
		Meters   []meterConsumptionJSON `json:"meters"`
	}
	meterConsumptionJSON struct {
		Meter  string           `json:"meter"`
		Unit   string           `json:"unit,omitempty"`
		Total  string           `json:"total"`
		Events uint64           `json:"events"`
		Days   []dayQtyJSONView `json:"days"`
	}
	dayQtyJSONView struct {
		Day      string `json:"day"`
		Quantity string `json:"quantity"`
	}
)

func writeConsumptionJSON(w io.Writer, rep *billing.ConsumptionReport) error {
	out := consumptionJSON{Account: rep.Account, Currency: rep.Currency, Period: rep.Period, Meters: []meterConsumptionJSON{}}
	for _, m := range rep.Meters {
		mj := meterConsumptionJSON{Meter: m.Meter, Unit: m.Unit, Total: m.Total.String(), Events: m.Events, Days: []dayQtyJSONView{}}
		for _, d := range m.Days {
			mj.Days = append(mj.Days, dayQtyJSONView{Day: day(d.Day), Quantity: d.Quantity.String()})
		}
		out.Meters = append(out.Meters, mj)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}
