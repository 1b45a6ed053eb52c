package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/rating"
)

// printPayments prints the payments: the story's ones in full, the customers paying in full in
// one line.
func printPayments(w io.Writer, m *demoMonth) {
	fmt.Fprintf(w, "\nPayments (billing.RecordPayment, the payment id as idempotency key; oldest invoice first):\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  DAY\tACCOUNT\tAS\tAMOUNT\tALLOCATED TO\tCREDIT LEFT")
	inFull, count := 0, map[string]int{}
	for _, p := range m.paid {
		count[p.day.Format(time.DateOnly)]++
		cur, _ := rating.LookupCurrency(p.pay.Currency)
		if p.role == "in full" {
			inFull++
			continue
		}
		var to []string
		for _, a := range p.pay.Allocations {
			paid := ""
			if a.Settled {
				paid = " (paid)"
			}
			to = append(to, a.Number+paid)
		}
		role := p.role
		if p.role == "sent twice" && m.replayed != nil {
			role = fmt.Sprintf("sent twice (2nd: %s, recorded once)", m.replayed.ID)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s %s\t%s\t%s\n", p.day.Format(time.DateOnly), p.pay.Account, role,
			p.pay.Amount.StringFixed(cur.MinorUnits), p.pay.Currency, strings.Join(to, ", "), p.pay.Unallocated.StringFixed(cur.MinorUnits))
	}
	tw.Flush()
	if inFull > 0 {
		fmt.Fprintf(w, "  … and %d more customers paid in full on %s\n", inFull, m.issued.AddDate(0, 0, demoPayAfterIssue).Format(time.DateOnly))
	}
}

// printDunning prints the dunning timeline: day → step → account, from the records the runs
// reported (the ledger's dunning events).
func printDunning(w io.Writer, m *demoMonth) {
	fmt.Fprintf(w, "\nDunning, run daily at 06:00 from %s to %s (due %s; reminder −3, +1, +7, +14 days, suspension +21):\n",
		m.issued.Format(time.DateOnly), m.due.AddDate(0, 0, demoDunningDays).Format(time.DateOnly), m.due.Format(time.DateOnly))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  DAY\tSTEP\tACCOUNT\tINVOICE\tNOTE")
	for _, r := range m.dunning {
		step := r.Step
		if step == "" {
			step = r.Type
		}
		note := ""
		switch r.Type {
		case billing.EventSuspended, billing.EventResumed:
			note = r.Type + " " + strings.Join(r.Subscriptions, ", ")
		case billing.EventDunningClosed:
			note = r.Reason
		case billing.EventStepSkipped:
			note = "skipped: " + r.Reason
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", r.At.Format(time.DateOnly), step, r.Buyer, r.Number, note)
	}
	tw.Flush()
	fmt.Fprintf(w, "  never pays: %s · pays half, then the rest at +%d: %s · pays at +%d, after suspension: %s\n",
		orNone(m.roles.never), demoPartialRestDay, orNone(m.roles.partial), demoLatePayDay, orNone(m.roles.late))
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
