package main

import (
	"encoding/json"
	"fmt"
	"time"
)

// printRunSummary prints the cycle's report on stdout: a headline, one row per issuer and
// currency, then every failure on a line of its own.
func printRunSummary(e *env, s *runSummary, format string) error {
	if format == "json" {
		return printRunJSON(e, s)
	}
	w := e.stdout
	if s.DryRun {
		fmt.Fprintf(w, "Dry run of the invoice cycle as of %s: %d invoice(s) would be issued; nothing was written.\n",
			s.AsOf.Format(time.RFC3339), s.Invoices)
	} else {
		fmt.Fprintf(w, "Invoice cycle as of %s: %d invoice(s) issued, %d already issued by an earlier run, %d empty boundaries, %d subscription(s) billed.\n",
			s.AsOf.Format(time.RFC3339), s.Invoices, s.AlreadyIssued, s.Empty, s.Subscriptions)
	}
	if len(s.Rows) > 0 {
		fmt.Fprintln(w)
		tb := newTable("ISSUER", "NAME", "INVOICES>", "NUMBERS", "NET>", "TAX>", "TOTAL>", "CUR")
		for _, r := range s.Rows {
			a, err := amountsOf(r.Currency, r.Net, r.Tax, r.Total)
			if err != nil {
				return err
			}
			tb.add(r.Issuer, r.Name, fmt.Sprint(r.Count), numberRange(r.First, r.Last), a[0], a[1], a[2], r.Currency)
		}
		if err := tb.write(w); err != nil {
			return err
		}
	}
	if len(s.Failures) > 0 {
		fmt.Fprintf(w, "\n%d failure(s): not issued; the next run tries them again.\n", len(s.Failures))
		for _, f := range s.Failures {
			fmt.Fprintf(w, "FAILED %s\n", f.describe())
		}
	}
	return nil
}

// describe names a failure in one line.
func (f runFailure) describe() string {
	if f.Issuer == "" {
		return fmt.Sprintf("account %s: %v", f.Buyer, f.Err)
	}
	return fmt.Sprintf("%s → %s at %s: %v", f.Issuer, f.Buyer, f.Boundary.UTC().Format(time.RFC3339), f.Err)
}

// numberRange shows the first and last number issued: "A-1…A-9", one number, or "-" (drafts).
func numberRange(first, last string) string {
	switch {
	case first == "":
		return "-"
	case first == last:
		return first
	}
	return first + "…" + last
}

// The JSON form of the report: amounts as strings at the currency's minor unit.
type (
	runJSON struct {
		AsOf          time.Time        `json:"as_of"`
		DryRun        bool             `json:"dry_run"`
		Invoices      int              `json:"invoices"`
		AlreadyIssued *int             `json:"already_issued,omitempty"`
		Empty         *int             `json:"empty,omitempty"`
		Subscriptions *int             `json:"subscriptions,omitempty"`
		Issuers       []runIssuerJSON  `json:"issuers"`
		Failures      []runFailureJSON `json:"failures"`
	}
	runIssuerJSON struct {
		Issuer   string `json:"issuer"`
		Name     string `json:"name"`
		Currency string `json:"currency"`
		Invoices int    `json:"invoices"`
		First    string `json:"first_number,omitempty"`
		Last     string `json:"last_number,omitempty"`
		Net      string `json:"net"`
		Tax      string `json:"tax"`
		Total    string `json:"total"`
	}
	runFailureJSON struct {
		Issuer   string     `json:"issuer,omitempty"`
		Buyer    string     `json:"buyer"`
		Boundary *time.Time `json:"boundary,omitempty"`
		Error    string     `json:"error"`
	}
)

func printRunJSON(e *env, s *runSummary) error {
	out := runJSON{AsOf: s.AsOf, DryRun: s.DryRun, Invoices: s.Invoices, Issuers: []runIssuerJSON{}, Failures: []runFailureJSON{}}
	if !s.DryRun {
		out.AlreadyIssued, out.Empty, out.Subscriptions = &s.AlreadyIssued, &s.Empty, &s.Subscriptions
	}
	for _, r := range s.Rows {
		a, err := amountsOf(r.Currency, r.Net, r.Tax, r.Total)
		if err != nil {
			return err
		}
		out.Issuers = append(out.Issuers, runIssuerJSON{Issuer: r.Issuer, Name: r.Name, Currency: r.Currency, Invoices: r.Count,
			First: r.First, Last: r.Last, Net: a[0], Tax: a[1], Total: a[2]})
	}
	for _, f := range s.Failures {
		fj := runFailureJSON{Issuer: f.Issuer, Buyer: f.Buyer, Error: f.Err.Error()}
		if f.Issuer != "" {
			b := f.Boundary.UTC()
			fj.Boundary = &b
		}
		out.Failures = append(out.Failures, fj)
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}
