package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/ledger"
)

// checkPayments is what finance checks after the payments: every payment's money is allocated
// or held as credit; the replayed payment was applied once; an invoice is paid exactly when its
// allocations reach its total; and the journal agrees — cash received = payments, receivables
// = invoiced − allocated, credit = what the payments left unallocated, every currency at zero.
func checkPayments(ctx context.Context, store ledger.Store, b *demoBilled, m *demoMonth) ([]demoCheck, error) {
	received, allocated, credit := map[string]decimal.Decimal{}, map[string]decimal.Decimal{}, map[string]decimal.Decimal{}
	byInvoice := map[string]decimal.Decimal{}
	var bad []string
	recorded := 0
	for _, acc := range demoAccountsOf(b) {
		for _, p := range b.svc.Payments(acc) {
			recorded++
			received[p.Currency] = received[p.Currency].Add(p.Amount)
			credit[p.Currency] = credit[p.Currency].Add(p.Unallocated)
			for _, a := range p.Allocations {
				allocated[p.Currency] = allocated[p.Currency].Add(a.Amount)
				byInvoice[a.Invoice] = byInvoice[a.Invoice].Add(a.Amount)
			}
		}
	}
	for _, cur := range sortedKeys(received) {
		if !received[cur].Equal(allocated[cur].Add(credit[cur])) || !received[cur].Equal(m.sent[cur]) {
			bad = append(bad, fmt.Sprintf("%s: sent %s, recorded %s, allocated %s + credit %s", cur, m.sent[cur], received[cur], allocated[cur], credit[cur]))
		}
	}
	if recorded != len(m.paid) {
		bad = append(bad, fmt.Sprintf("%d payments recorded, %d distinct ones sent", recorded, len(m.paid)))
	}
	if m.roles.replay != "" {
		first := findPaid(m, "sent twice")
		if first == nil || m.replayed == nil || m.replayed.ID != first.ID || len(b.svc.Payments(m.roles.replay)) != 1 {
			bad = append(bad, fmt.Sprintf("the payment of %s reported twice is not recorded once", m.roles.replay))
		}
	}
	if m.roles.over != "" {
		if p := findPaid(m, "overpays"); p == nil || !b.svc.Balance(m.roles.over).Credit.Equal(p.Unallocated) || !p.Unallocated.IsPositive() {
			bad = append(bad, fmt.Sprintf("the overpayment of %s is not its account credit", m.roles.over))
		}
	}
	paid, notPaid := 0, []string{}
	for _, inv := range b.svc.Invoices(billing.InvoiceFilter{Kind: billing.DocInvoice}) {
		// An invoice of nothing stays issued: there is nothing to pay.
		full := byInvoice[inv.ID].Equal(inv.Total) && inv.Total.IsPositive()
		if full != (inv.Status == billing.StatusPaid) || byInvoice[inv.ID].GreaterThan(inv.Total) {
			notPaid = append(notPaid, fmt.Sprintf("%s: allocated %s of %s, status %s", inv.Number, byInvoice[inv.ID], inv.Total, inv.Status))
		}
		if inv.Status == billing.StatusPaid {
			paid++
		}
	}
	journal, err := paymentJournal(ctx, store, b, received, allocated, credit)
	if err != nil {
		return nil, err
	}
	parts := []string{}
	for _, cur := range sortedKeys(received) {
		parts = append(parts, fmt.Sprintf("%s %s = allocated %s + credit %s", cur, received[cur], allocated[cur], credit[cur]))
	}
	return []demoCheck{
		{
			name:   "payments: Σ received = Σ allocated + account credit; a payment reported twice is applied once",
			ok:     len(bad) == 0 && recorded > 0,
			detail: mismatchDetail(bad, fmt.Sprintf("%d payments: %s", recorded, strings.Join(parts, ", "))),
		},
		{
			name:   "an invoice is paid exactly when its allocations reach its total",
			ok:     len(notPaid) == 0 && paid > 0,
			detail: mismatchDetail(notPaid, fmt.Sprintf("%d invoices paid", paid)),
		},
		journal,
	}, nil
}

// paymentJournal checks the journal after the payments and the close: every currency sums to
// zero, the payers' cash clearing holds what was received, their credit accounts what was not
// allocated, and the receivables what is still owed (every invoice's total − allocations).
func paymentJournal(ctx context.Context, store ledger.Store, b *demoBilled, received, allocated, credit map[string]decimal.Decimal) (demoCheck, error) {
	bal, err := store.Balances(ctx, ledger.BalanceQuery{AsOf: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		return demoCheck{}, fmt.Errorf("journal balances: %w", err)
	}
	sum, cash, held, owed := map[string]decimal.Decimal{}, map[string]decimal.Decimal{}, map[string]decimal.Decimal{}, map[string]decimal.Decimal{}
	for _, x := range bal {
		sum[x.Currency] = sum[x.Currency].Add(x.Amount)
		switch {
		case strings.HasSuffix(x.Account, ":"+billing.RoleCashClearing):
			cash[x.Currency] = cash[x.Currency].Add(x.Amount)
		case strings.HasSuffix(x.Account, ":"+billing.RoleCredit):
			held[x.Currency] = held[x.Currency].Sub(x.Amount) // a credit balance
		case strings.HasSuffix(x.Account, ":"+billing.RoleReceivable):
			owed[x.Currency] = owed[x.Currency].Add(x.Amount)
		}
	}
	invoiced := map[string]decimal.Decimal{}
	for _, inv := range b.svc.Invoices(billing.InvoiceFilter{Kind: billing.DocInvoice}) {
		invoiced[inv.Currency] = invoiced[inv.Currency].Add(inv.Total)
	}
	var bad, parts []string
	for _, cur := range sortedKeys(invoiced) {
		want := invoiced[cur].Sub(allocated[cur])
		if !sum[cur].IsZero() || !cash[cur].Equal(received[cur]) || !held[cur].Equal(credit[cur]) || !owed[cur].Equal(want) {
			bad = append(bad, fmt.Sprintf("%s: journal sums to %s; cash %s (received %s), credit %s (unallocated %s), receivables %s (owed %s)",
				cur, sum[cur], cash[cur], received[cur], held[cur], credit[cur], owed[cur], want))
		}
		parts = append(parts, fmt.Sprintf("%s receivables %s = invoiced %s − paid %s", cur, owed[cur], invoiced[cur], allocated[cur]))
	}
	return demoCheck{
		name:   "journal after payments and the close: zero per currency; cash, credit and receivables as paid",
		ok:     len(bad) == 0 && len(invoiced) > 0,
		detail: mismatchDetail(bad, strings.Join(parts, ", ")),
	}, nil
}

func findPaid(m *demoMonth, role string) *billing.Payment {
	for _, p := range m.paid {
		if p.role == role {
			return p.pay
		}
	}
	return nil
}

// demoAccountsOf lists every buyer of an issued invoice: the accounts that may have paid.
func demoAccountsOf(b *demoBilled) []string {
	seen := map[string]bool{}
	for _, inv := range b.svc.Invoices(billing.InvoiceFilter{Kind: billing.DocInvoice}) {
		seen[inv.Buyer.ID] = true
	}
	return sortedKeys(seen)
}

// checkDunning checks the dunning timeline against the ledger: each step is one dunning event
// and one queued notification, re-running a day recorded nothing, the customer who never paid
// got every reminder and is suspended, and those who paid stopped being dunned (the one paid
// after its suspension has its service back).
func checkDunning(ctx context.Context, store ledger.Store, b *demoBilled, m *demoMonth) ([]demoCheck, error) {
	history, err := billing.DunningHistory(ctx, store, "")
	if err != nil {
		return nil, err
	}
	evs, err := store.Events(ctx, ledger.EventQuery{AggregatePrefix: billing.OutboxAggregate})
	if err != nil {
		return nil, fmt.Errorf("read the outbox: %w", err)
	}
	queued := map[string]int{}
	kinds := map[string]billing.NotificationKind{}
	for _, ev := range evs {
		if ev.Type != billing.EventQueued {
			continue
		}
		id := strings.TrimPrefix(ev.Aggregate, billing.OutboxAggregate)
		queued[id]++
		var e billing.OutboxEntry
		if err := json.Unmarshal(ev.Data, &e); err != nil {
			return nil, fmt.Errorf("outbox %s: %w", id, err)
		}
		kinds[id] = e.Kind
	}
	var bad []string
	if m.rerunAdds != 0 {
		bad = append(bad, fmt.Sprintf("re-running a day recorded %d more steps", m.rerunAdds))
	}
	if len(history) != len(m.dunning) {
		bad = append(bad, fmt.Sprintf("the runs reported %d records, the ledger holds %d", len(m.dunning), len(history)))
	}
	steps, notes := map[string]int{}, 0
	for _, r := range history {
		if r.Type == billing.EventResumed || r.Type == billing.EventDunningClosed {
			continue
		}
		k := r.Invoice + "/" + r.Step
		if steps[k]++; steps[k] > 1 {
			bad = append(bad, fmt.Sprintf("%s %s recorded twice", r.Number, r.Step))
		}
		if r.Type == billing.EventStepSkipped {
			continue
		}
		notes++
		want := billing.NotifyReminder
		if r.Action == billing.DunningSuspend {
			want = billing.NotifySuspension
		}
		if queued[r.Notification] != 1 || kinds[r.Notification] != want {
			bad = append(bad, fmt.Sprintf("%s %s: notification %q queued %d times as %q", r.Number, r.Step, r.Notification, queued[r.Notification], kinds[r.Notification]))
		}
	}
	dunningNotes := 0
	for id, k := range kinds {
		if k == billing.NotifyReminder || k == billing.NotifySuspension {
			dunningNotes += queued[id]
		}
	}
	if dunningNotes != notes {
		bad = append(bad, fmt.Sprintf("%d reminder and suspension notifications queued for %d steps", dunningNotes, notes))
	}
	stories, err := dunningStories(b, m, history)
	if err != nil {
		return nil, err
	}
	return append([]demoCheck{{
		name: "dunning: each step recorded and queued exactly once; re-running a day adds nothing",
		ok:   len(bad) == 0 && notes > 0,
		detail: mismatchDetail(bad, fmt.Sprintf("%d days, %d runs, %d records, %d notifications queued",
			m.runs/2, m.runs, len(history), notes)),
	}}, stories...), nil
}

// dunningStories checks what dunning did to the customers of the story.
func dunningStories(b *demoBilled, m *demoMonth, history []billing.DunningRecord) ([]demoCheck, error) {
	of := func(account string) (taken []string, closed, resumed bool) {
		for _, r := range history {
			if r.Buyer != account {
				continue
			}
			switch r.Type {
			case billing.EventDunningClosed:
				closed = true
			case billing.EventResumed:
				resumed = true
			case billing.EventReminderSent, billing.EventSuspended:
				taken = append(taken, r.Step)
			}
		}
		return taken, closed, resumed
	}
	end := b.clock.t
	suspended := map[string]bool{}
	err := b.svc.View(func(st *billing.State) error {
		for _, c := range []string{m.roles.never, m.roles.partial, m.roles.late} {
			if sub, ok := st.Subscription("sub-" + c); ok {
				suspended[c] = sub.Suspended(end)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var never, payers []string
	if m.roles.never != "" {
		taken, closed, _ := of(m.roles.never)
		all := []string{}
		for _, st := range demoDunningPolicy().Steps {
			all = append(all, st.Name)
		}
		if !slices.Equal(dedupe(taken), all) || closed || !suspended[m.roles.never] {
			never = append(never, fmt.Sprintf("%s: steps %v (want %v), closed %v, suspended %v", m.roles.never, dedupe(taken), all, closed, suspended[m.roles.never]))
		}
	}
	if m.roles.partial != "" {
		taken, closed, _ := of(m.roles.partial)
		for _, st := range demoDunningPolicy().Steps {
			if st.Days > demoPartialRestDay && slices.Contains(taken, st.Name) {
				payers = append(payers, fmt.Sprintf("%s paid at +%d but got %s", m.roles.partial, demoPartialRestDay, st.Name))
			}
		}
		if len(taken) == 0 || !closed || suspended[m.roles.partial] {
			payers = append(payers, fmt.Sprintf("%s: steps %v, closed %v, suspended %v", m.roles.partial, taken, closed, suspended[m.roles.partial]))
		}
	}
	if m.roles.late != "" {
		taken, closed, resumed := of(m.roles.late)
		if !slices.Contains(taken, "suspend+21") || !resumed || !closed || suspended[m.roles.late] {
			payers = append(payers, fmt.Sprintf("%s: steps %v, resumed %v, closed %v, suspended at the end %v", m.roles.late, taken, resumed, closed, suspended[m.roles.late]))
		}
	}
	return []demoCheck{
		{
			name:   "the customer who never pays got every reminder, then was suspended",
			ok:     len(never) == 0 && m.roles.never != "",
			detail: mismatchDetail(never, fmt.Sprintf("%s: reminder-3, +1, +7, +14, suspend+21; suspended on %s", m.roles.never, end.Format(time.DateOnly))),
		},
		{
			name:   "a payment stops the reminders and resumes what dunning suspended",
			ok:     len(payers) == 0 && m.roles.partial != "",
			detail: mismatchDetail(payers, fmt.Sprintf("%s paid at +%d: no later step; %s paid at +%d: resumed", m.roles.partial, demoPartialRestDay, m.roles.late, demoLatePayDay)),
		},
	}, nil
}

// dedupe keeps the first occurrence of each step (a customer with two invoices takes each step
// on both).
func dedupe(steps []string) []string {
	var out []string
	for _, s := range steps {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
