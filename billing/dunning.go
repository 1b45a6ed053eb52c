package billing

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"sync"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/shopspring/decimal"
)

// dunningRuntime is the Service's dunning and outbox state: only a lock. Everything dunning
// knows is in the ledger (dunning:<invoice> and outbox:<id> events, read at each run), so a
// restarted process continues exactly where the last one stopped.
type dunningRuntime struct {
	// mu serialises RunDunning and the outbox enqueues, so two runs in one process never take
	// the same step twice. It is taken before the Service's own lock, never after.
	mu sync.Mutex
}

// DunningAction is what a dunning step does.
type DunningAction string

// The dunning actions.
const (
	// DunningRemind queues a reminder notification.
	DunningRemind DunningAction = "reminder"
	// DunningSuspend suspends the buyer's running subscriptions (State.Suspend) and queues a
	// suspension notice. Only what dunning suspended is resumed when the buyer has paid.
	DunningSuspend DunningAction = "suspend"
)

// DunningStep is one step of a schedule: Days after the invoice's due date (negative: before).
type DunningStep struct {
	// Name identifies the step in the ledger ("reminder+7"): a step is taken once per invoice
	// and name, so renaming a step in a running schedule would take it again.
	Name   string
	Days   int
	Action DunningAction
}

// DunningPolicy is the dunning configuration. It is passed to each run rather than fixed in the
// Service, so a configuration reload changes the next run without a restart.
type DunningPolicy struct {
	// Steps is the default schedule, in ascending Days.
	Steps []DunningStep
	// Accounts overrides the schedule per buyer account id (credit terms agreed with one
	// customer); an empty, non-nil schedule exempts the buyer from dunning.
	Accounts map[string][]DunningStep
	// Actor names the runs in events and audit entries (default "dunning").
	Actor string
}

// DefaultDunningSteps is the usual schedule: a reminder 3 days before the due date, reminders
// 1, 7 and 14 days after it, and suspension at 21 days.
func DefaultDunningSteps() []DunningStep {
	return []DunningStep{
		{Name: "reminder-3", Days: -3, Action: DunningRemind},
		{Name: "reminder+1", Days: 1, Action: DunningRemind},
		{Name: "reminder+7", Days: 7, Action: DunningRemind},
		{Name: "reminder+14", Days: 14, Action: DunningRemind},
		{Name: "suspend+21", Days: 21, Action: DunningSuspend},
	}
}

var stepName = regexp.MustCompile(`^[A-Za-z0-9._+-]{1,64}$`)

// Validate checks every schedule; errors name the field path (accounts[K1][2].days).
func (p DunningPolicy) Validate() error {
	if err := validateSteps("steps", p.Steps); err != nil {
		return err
	}
	ids := make([]string, 0, len(p.Accounts))
	for id := range p.Accounts {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if err := validateSteps(fmt.Sprintf("accounts[%s]", id), p.Accounts[id]); err != nil {
			return err
		}
	}
	return nil
}

func validateSteps(path string, steps []DunningStep) error {
	seen := map[string]bool{}
	for i, st := range steps {
		at := fmt.Sprintf("dunning policy: %s[%d]", path, i)
		switch {
		case !stepName.MatchString(st.Name):
			return fmt.Errorf("%s.name: %q: want 1-64 of A-Z a-z 0-9 . _ + -: %w", at, st.Name, ErrInvalid)
		case seen[st.Name]:
			return fmt.Errorf("%s.name: %q appears twice: %w", at, st.Name, ErrInvalid)
		case st.Action != DunningRemind && st.Action != DunningSuspend:
			return fmt.Errorf("%s.action: %q: want reminder or suspend: %w", at, st.Action, ErrInvalid)
		case st.Action == DunningSuspend && st.Days <= 0:
			// Suspending a buyer who is not overdue would punish a customer who did nothing wrong.
			return fmt.Errorf("%s.days: %d: suspension must come after the due date: %w", at, st.Days, ErrInvalid)
		case i > 0 && st.Days <= steps[i-1].Days:
			return fmt.Errorf("%s.days: %d: not after the previous step's %d: %w", at, st.Days, steps[i-1].Days, ErrInvalid)
		}
		seen[st.Name] = true
	}
	return nil
}

func (p DunningPolicy) stepsFor(buyer string) []DunningStep {
	if steps, ok := p.Accounts[buyer]; ok {
		return steps
	}
	return p.Steps
}

func (p DunningPolicy) actor() string {
	if p.Actor == "" {
		return "dunning"
	}
	return p.Actor
}

// DunningReport says what one run did.
type DunningReport struct {
	At time.Time
	// Records lists every step this run recorded, in order (a re-run records nothing).
	Records []DunningRecord
	// Counts by record type.
	Reminders, Skipped, Suspensions, Resumptions, Closed int
	// Failed lists the invoices (or buyers, for a resumption) whose step failed; nothing of the
	// step was committed and the next run takes it again.
	Failed []DunningFailure
}

// DunningFailure is one step a run could not take.
type DunningFailure struct {
	Invoice, Buyer string
	Err            error
}

// AuditWriter is what dunning needs to write its audit trail; every ledger.Store is one.
type AuditWriter interface {
	WriteAudit(ctx context.Context, rows []ledger.AuditEntry) error
}

// RunDunning takes every dunning step due at now, for every issued invoice that is still owed:
// reminders and suspensions per the policy's schedule for the buyer, each recorded as an event
// of "dunning:<invoice id>" and taken exactly once, however often and in how many restarted
// processes RunDunning runs. A paid, void or fully credited invoice takes no further step. A
// buyer whose overdue invoices are all settled gets back what dunning suspended (and only that).
//
// Steps missed because no run happened on their day are not all sent late: of the steps due at
// once, only the last reminder is sent, earlier ones are recorded as skipped; suspensions always
// happen. A failed step is reported in Failed (the run goes on with the others) and the error
// wraps ErrIncomplete.
func (s *Service) RunDunning(ctx context.Context, now time.Time, policy DunningPolicy) (DunningReport, error) {
	if err := policy.Validate(); err != nil {
		return DunningReport{}, err
	}
	aw, ok := s.cfg.Store.(AuditWriter)
	if !ok {
		return DunningReport{}, fmt.Errorf("dunning: the store writes no audit entries (WriteAudit): %w", ErrUnsupported)
	}
	s.dun.mu.Lock()
	defer s.dun.mu.Unlock()
	// The ledger keeps seconds; suspensions are matched by their instant when resumed.
	now = now.UTC().Truncate(time.Second)
	r := &dunningRun{s: s, audit: aw, now: now, policy: policy, actor: policy.actor(), rep: DunningReport{At: now}}
	invs, err := s.dunningInvoices(ctx)
	if err != nil {
		return DunningReport{}, err
	}
	if r.logs, err = s.dunningLogs(ctx); err != nil {
		return DunningReport{}, err
	}
	r.balances = map[string]AccountBalance{}
	for i := range invs {
		inv := &invs[i]
		if err := r.invoice(ctx, inv); err != nil {
			r.rep.Failed = append(r.rep.Failed, DunningFailure{Invoice: inv.inv.ID, Buyer: inv.inv.Buyer.ID, Err: err})
		}
	}
	r.resumeAll(ctx, invs)
	if n := len(r.rep.Failed); n > 0 {
		f := r.rep.Failed[0]
		return r.rep, fmt.Errorf("dunning at %s: %d invoices or buyers failed, first invoice %q of %s: %w: %w",
			fmtInstant(now), n, f.Invoice, f.Buyer, f.Err, ErrIncomplete)
	}
	return r.rep, nil
}

// dunningInvoice is an invoice with its buyer as the state holds it now (for the current
// e-mail address), or as printed on the invoice when the account is gone.
type dunningInvoice struct {
	inv   *Invoice
	buyer Party
	// open is what the buyer still owes on it: total − credit notes − payments allocated;
	// filled in (fill) only for the invoices a run has to look at.
	open   decimal.Decimal
	filled bool
}

// dunningInvoices snapshots the invoices dunning looks at, by buyer, due date and id. Documents
// are replaced, never changed in place, so the pointers stay valid after the lock is released.
func (s *Service) dunningInvoices(ctx context.Context) ([]dunningInvoice, error) {
	var out []dunningInvoice
	err := s.viewRecovered(ctx, func(st *State) error {
		for _, inv := range s.docs {
			if inv.Kind != DocInvoice || inv.Status == StatusDraft {
				continue
			}
			buyer := inv.Buyer
			if acc, ok := st.Account(inv.Buyer.ID); ok {
				buyer = PartyOf(acc)
			}
			out = append(out, dunningInvoice{inv: inv, buyer: buyer})
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].inv, out[j].inv
		if a.Buyer.ID != b.Buyer.ID {
			return a.Buyer.ID < b.Buyer.ID
		}
		if !a.DueAt.Equal(b.DueAt) {
			return a.DueAt.Before(b.DueAt)
		}
		return a.ID < b.ID
	})
	return out, err
}

// viewRecovered is View after reloading the state if a failed write left it behind the ledger
// (a failed suspension of the previous run must not stop every later run).
func (s *Service) viewRecovered(ctx context.Context, fn func(st *State) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.recover(ctx); err != nil {
		return err
	}
	if err := s.ready(); err != nil {
		return err
	}
	return fn(s.state)
}

// fill sets what an invoice still owes, from the payments book (Service.Balance, one call per
// buyer and run, made only for invoices dunning has to look at): a partial payment lowers what a
// reminder asks for, and an invoice its payments cover is not dunned even before its status says
// paid. An invoice in a currency the buyer's balance does not track keeps total − credit notes.
func (r *dunningRun) fill(di *dunningInvoice) {
	if di.filled {
		return
	}
	di.filled, di.open = true, outstanding(di.inv)
	if di.inv.Status != StatusIssued {
		return
	}
	b, ok := r.balances[di.inv.Buyer.ID]
	if !ok {
		b = r.s.Balance(di.inv.Buyer.ID)
		r.balances[di.inv.Buyer.ID] = b
	}
	if b.Currency != di.inv.Currency {
		return
	}
	di.open = decimal.Zero
	for _, o := range b.Open {
		if o.ID == di.inv.ID {
			di.open = o.Open
		}
	}
}

// owes reports whether dunning applies to an invoice: issued (not paid or void) with money
// still owed. Call fill first.
func (di *dunningInvoice) owes() bool {
	inv := di.inv
	return inv.Kind == DocInvoice && inv.Status == StatusIssued && !inv.DueAt.IsZero() && di.open.IsPositive()
}

// data is the template data of a dunning notice: the amount asked for is what is still open.
func (di *dunningInvoice) data() (notifyData, error) {
	d, err := invoiceData(di.inv, di.buyer)
	if err != nil {
		return d, err
	}
	cur, err := currencyOf(di.inv)
	if err != nil {
		return d, err
	}
	d.Outstanding = di.open.StringFixed(cur.MinorUnits)
	return d, nil
}

// dunningRun is one RunDunning call's working state.
type dunningRun struct {
	s      *Service
	audit  AuditWriter
	now    time.Time
	policy DunningPolicy
	actor  string
	logs   map[string]*dunningLog
	rep    DunningReport
	// balances caches Service.Balance per buyer for the run.
	balances map[string]AccountBalance
}

// invoice takes the invoice's due steps, or closes its dunning once it is settled.
func (r *dunningRun) invoice(ctx context.Context, di *dunningInvoice) error {
	inv := di.inv
	log := r.log(inv.ID)
	steps := r.policy.stepsFor(inv.Buyer.ID)
	var due []DunningStep
	for _, st := range steps {
		if log.steps[st.Name] || (len(log.steps) > 0 && st.Days <= log.maxDays) || inv.DueAt.AddDate(0, 0, st.Days).After(r.now) {
			continue
		}
		due = append(due, st)
	}
	if len(due) == 0 && (len(log.steps) == 0 || log.closed) {
		return nil // nothing due and nothing to close: the daily steady state costs no balance
	}
	r.fill(di)
	if !di.owes() {
		if len(log.steps) == 0 || log.closed {
			return nil
		}
		reason := string(inv.Status)
		if inv.Status == StatusIssued {
			reason = "settled by credit notes or payments"
		}
		return r.record(ctx, *di, DunningRecord{Type: EventDunningClosed, Reason: reason}, nil)
	}
	for i, st := range due {
		var err error
		switch {
		case st.Action == DunningSuspend:
			err = r.suspend(ctx, *di, st)
		case i == len(due)-1:
			err = r.remind(ctx, *di, st, steps)
		default:
			err = r.record(ctx, *di, DunningRecord{Type: EventStepSkipped, Step: st.Name, Action: st.Action, Days: st.Days,
				Scheduled: inv.DueAt.AddDate(0, 0, st.Days), Reason: "superseded by " + due[len(due)-1].Name}, nil)
		}
		if err != nil {
			return fmt.Errorf("invoice %s (%s) step %s: %w", inv.ID, inv.Number, st.Name, err)
		}
	}
	return nil
}

// remind queues the reminder, then records the step.
func (r *dunningRun) remind(ctx context.Context, di dunningInvoice, st DunningStep, steps []DunningStep) error {
	d, err := di.data()
	if err != nil {
		return err
	}
	d.Step, d.Days = st.Name, st.Days
	for _, later := range steps {
		if later.Action == DunningSuspend && later.Days > st.Days {
			d.SuspendOn = day(di.inv.DueAt.AddDate(0, 0, later.Days))
			break
		}
	}
	e, err := renderNotification(NotifyReminder, "invoice:"+di.inv.ID, st.Name, di.buyer, d, r.now)
	if err != nil {
		return err
	}
	return r.record(ctx, di, DunningRecord{Type: EventReminderSent, Step: st.Name, Action: st.Action, Days: st.Days,
		Scheduled: di.inv.DueAt.AddDate(0, 0, st.Days), Notification: e.ID}, e)
}
