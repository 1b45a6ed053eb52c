package main

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/rating"
)

// demoRoles are the customers whose month after the invoices tells a story; every other
// customer pays its invoices in full four days after they were issued.
type demoRoles struct {
	never   string // never pays: every reminder, then suspension
	partial string // pays half at once, the rest ten days after the due date (reminders stop)
	late    string // pays after it was suspended (its service is resumed)
	over    string // pays more than it owes: the rest is its account credit
	replay  string // its payment is reported twice (a provider retrying): applied once
}

// Timing of the month after the invoices, relative to the invoices' issue and due dates.
const (
	demoPayAfterIssue   = 4  // days after the issue: most customers pay
	demoPartialRestDay  = 10 // days after the due date: the partial payer pays the rest
	demoLatePayDay      = 23 // days after the due date: the late payer pays (after suspension at +21)
	demoPartnersPayDays = 7  // days after the close: the partners pay their wholesale invoices
	demoDunningDays     = 25 // the clock runs to the due date + this
	demoOverpayMinor    = 5000
)

// demoDunningPolicy is the schedule of examples/cascade.yaml: reminder −3, +1, +7, +14 days
// around the due date, suspension at +21.
func demoDunningPolicy() billing.DunningPolicy {
	return billing.DunningPolicy{Steps: billing.DefaultDunningSteps(), Actor: "demo-dunning"}
}

// rolesOf picks the story's customers among those who owe something after the cycle (a small
// month can leave an invoice at zero): from the end of the list the non-payers, from the start
// the over-payer and the replayed payment. With few customers some roles stay empty.
func rolesOf(svc *billing.Service, customers []demoCustomer) demoRoles {
	var owing []string
	for _, c := range customers {
		if svc.Balance(c.ID).Due.IsPositive() {
			owing = append(owing, c.ID)
		}
	}
	n := len(owing)
	taken := map[int]bool{}
	pick := func(i int) string {
		if i < 0 || i >= n || taken[i] {
			return ""
		}
		taken[i] = true
		return owing[i]
	}
	r := demoRoles{}
	r.never, r.partial, r.late, r.over, r.replay = pick(n-1), pick(n-2), pick(n-3), pick(0), pick(1)
	return r
}

// demoPaid is one payment the demo recorded, as billing returned it.
type demoPaid struct {
	day  time.Time
	role string
	pay  *billing.Payment
}

// demoMonth is what happened on the clock after the invoices: payments, every dunning run,
// the wholesale close.
type demoMonth struct {
	roles     demoRoles
	issued    time.Time // the customer invoices' issue day
	due       time.Time // their due day
	closeAt   time.Time
	paid      []demoPaid
	replayed  *billing.Payment // the second report of the replayed payment
	dunning   []billing.DunningRecord
	runs      int
	rerunAdds int // records added by re-running a day: must stay 0
	close     billing.WholesaleReport
	reclose   billing.WholesaleReport
	sent      map[string]decimal.Decimal // currency → Σ the amounts of the distinct payments sent
}

// runDemoMonth advances the billing clock day by day, from the customer invoices' issue day to
// 25 days after their due date. Each day at 06:00 (the dunning cron of examples/cascade.yaml) it
// records the payments that arrived that day, closes the issue month once it has ended
// (RunWholesale: pooled tiers, wholesale invoices) and runs dunning twice — the second run must
// record nothing.
func runDemoMonth(ctx context.Context, b *demoBilled, customers []demoCustomer, progress func(string, ...any)) (*demoMonth, error) {
	m := &demoMonth{roles: rolesOf(b.svc, customers), sent: map[string]decimal.Decimal{}}
	for _, inv := range b.invoices {
		if inv.Buyer.Kind == billing.KindCustomer && (m.due.IsZero() || inv.DueAt.After(m.due)) {
			m.issued, m.due = demoDay(inv.IssuedAt), demoDay(inv.DueAt)
		}
	}
	if m.due.IsZero() {
		return nil, fmt.Errorf("the cycle issued no customer invoice: %w", billing.ErrNotFound)
	}
	policy := demoDunningPolicy()
	end := m.due.AddDate(0, 0, demoDunningDays)
	closed := false
	for day := m.issued; !day.After(end); day = day.AddDate(0, 0, 1) {
		at := day.Add(6 * time.Hour)
		b.clock.t = at
		if err := m.payments(ctx, b, customers, day); err != nil {
			return nil, err
		}
		if !closed && !at.Before(b.issueMonth.To) {
			closed = true
			m.closeAt = at
			progress("demo: %s: closing %s: pooled tiers, wholesale invoices", day.Format(time.DateOnly), b.issueMonth.From.Format("2006-01"))
			var err error
			if m.close, err = b.svc.RunWholesale(ctx, b.issueMonth); err != nil {
				return nil, fmt.Errorf("wholesale close of %s: %w", b.issueMonth.From.Format("2006-01"), err)
			}
			if m.reclose, err = b.svc.RunWholesale(ctx, b.issueMonth); err != nil {
				return nil, fmt.Errorf("wholesale close of %s, re-run: %w", b.issueMonth.From.Format("2006-01"), err)
			}
		}
		rep, err := b.svc.RunDunning(ctx, at, policy)
		if err != nil {
			return nil, fmt.Errorf("dunning on %s: %w", day.Format(time.DateOnly), err)
		}
		again, err := b.svc.RunDunning(ctx, at, policy)
		if err != nil {
			return nil, fmt.Errorf("dunning on %s, re-run: %w", day.Format(time.DateOnly), err)
		}
		m.runs += 2
		m.dunning = append(m.dunning, rep.Records...)
		m.rerunAdds += len(again.Records)
		if day.Day() == 1 || day.Equal(end) {
			progress("demo: dunning day by day: %s (%d steps so far)", day.Format(time.DateOnly), len(m.dunning))
		}
	}
	if !closed {
		return nil, fmt.Errorf("the clock never reached the end of %s: nothing closed: %w", b.issueMonth.From.Format("2006-01"), billing.ErrConflict)
	}
	return m, nil
}

// payments records the payments that arrive on day: each pays what its account owes then (all
// open invoices, oldest due first), except the partial payment (half) and the overpayment.
func (m *demoMonth) payments(ctx context.Context, b *demoBilled, customers []demoCustomer, day time.Time) error {
	type due struct{ account, role string }
	var today []due
	switch {
	case day.Equal(m.issued.AddDate(0, 0, demoPayAfterIssue)):
		for _, c := range customers {
			switch c.ID {
			case m.roles.never, m.roles.late:
			case m.roles.partial:
				today = append(today, due{c.ID, "partial"})
			case m.roles.over:
				today = append(today, due{c.ID, "overpays"})
			case m.roles.replay:
				today = append(today, due{c.ID, "sent twice"})
			default:
				today = append(today, due{c.ID, "in full"})
			}
		}
	case day.Equal(m.due.AddDate(0, 0, demoPartialRestDay)) && m.roles.partial != "":
		today = append(today, due{m.roles.partial, "the rest"})
	case day.Equal(m.due.AddDate(0, 0, demoLatePayDay)) && m.roles.late != "":
		today = append(today, due{m.roles.late, "after suspension"})
	case !m.closeAt.IsZero() && day.Equal(demoDay(m.closeAt).AddDate(0, 0, demoPartnersPayDays)):
		for _, id := range m.close.Issued {
			if inv, ok := b.svc.Invoice(id); ok {
				today = append(today, due{inv.Buyer.ID, "wholesale invoice"})
			}
		}
	}
	for _, d := range today {
		bal := b.svc.Balance(d.account)
		cur, err := rating.LookupCurrency(bal.Currency)
		if err != nil {
			return fmt.Errorf("payment of %s: %w", d.account, err)
		}
		amount := bal.Due
		switch d.role {
		case "partial":
			amount = cur.Round(bal.Due.Div(decimal.NewFromInt(2)), rating.RoundHalfUp)
		case "overpays":
			amount = bal.Due.Add(decimal.New(demoOverpayMinor, -int32(cur.MinorUnits)))
		}
		if !amount.IsPositive() {
			continue
		}
		in := billing.PaymentInput{ID: fmt.Sprintf("pay-%s-%s", d.account, day.Format("20060102")), Account: d.account,
			Amount: amount, Currency: bal.Currency, ReceivedAt: day.Add(5 * time.Hour), Method: "bank_transfer",
			Reference: "demo " + d.role}
		pay, err := b.svc.RecordPayment(ctx, in, "demo")
		if err != nil {
			return fmt.Errorf("payment %s of %s: %w", in.ID, d.account, err)
		}
		m.paid = append(m.paid, demoPaid{day: day, role: d.role, pay: pay})
		m.sent[in.Currency] = m.sent[in.Currency].Add(amount)
		if d.role == "sent twice" {
			// The provider reports the same payment again (a webhook retry): same id, same content.
			if m.replayed, err = b.svc.RecordPayment(ctx, in, "demo"); err != nil {
				return fmt.Errorf("payment %s of %s, reported again: %w", in.ID, d.account, err)
			}
		}
	}
	return nil
}

// demoDay is the UTC midnight starting t's day.
func demoDay(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}
