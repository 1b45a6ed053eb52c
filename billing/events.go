package billing

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// Event types of the account and subscription aggregates.
const (
	EventCreated      = "created"
	EventUpdated      = "updated"
	EventPlanChanged  = "plan_changed"
	EventSeatsChanged = "seats_changed"
	EventSuspended    = "suspended"
	EventResumed      = "resumed"
	EventCancelled    = "cancelled"
	EventActivated    = "activated"
	EventBilled       = "billed"
)

// Aggregate name prefixes of billing's state events.
const (
	AccountAggregate      = "account:"
	SubscriptionAggregate = "subscription:"
)

// SubscriptionEvent is one entry of a subscription's history: the ledger event's envelope and
// its decoded payload.
type SubscriptionEvent struct {
	Seq        uint64
	Type       string
	At         time.Time // when it takes effect
	RecordedAt time.Time
	Actor      string
	Change     SubscriptionChange
}

// SubscriptionChange is the JSON payload of every subscription event; each type fills the
// fields it needs. Everything Items needs is in the payloads (plan version, billing period,
// trial end, planned end), so replaying the events rebuilds the same subscription even after
// the catalog moved on.
type SubscriptionChange struct {
	Account       string           `json:"account,omitempty"`
	PlanID        string           `json:"plan_id,omitempty"`
	PlanVersion   int              `json:"plan_version,omitempty"`
	BillingPeriod *PeriodSpec      `json:"billing_period,omitempty"`
	Seats         *decimal.Decimal `json:"seats,omitempty"`
	Coupon        string           `json:"coupon,omitempty"`
	Start         *time.Time       `json:"start,omitempty"`
	TrialEnd      *time.Time       `json:"trial_end,omitempty"`
	End           *time.Time       `json:"end,omitempty"` // created: the term's end without renewal
	Term          Term             `json:"term,omitempty"`
	AutoRenew     bool             `json:"auto_renew,omitempty"`
	BillingDay    int              `json:"billing_day,omitempty"`
	Timing        Timing           `json:"timing,omitempty"`
	Prorate       bool             `json:"prorate,omitempty"`
	Boundary      *time.Time       `json:"boundary,omitempty"`
	Invoice       string           `json:"invoice,omitempty"`
}

// PeriodSpec is a billing period as stored in events ({"every":1,"unit":"month"}).
type PeriodSpec struct {
	Every int    `json:"every"`
	Unit  string `json:"unit"`
}

func periodSpecOf(bp rating.BillingPeriod) *PeriodSpec {
	return &PeriodSpec{Every: bp.Every, Unit: string(bp.Unit)}
}

func (p *PeriodSpec) billingPeriod() rating.BillingPeriod {
	if p == nil {
		return rating.BillingPeriod{}
	}
	return rating.BillingPeriod{Every: p.Every, Unit: rating.PeriodUnit(p.Unit)}
}

func instantPtr(t time.Time) *time.Time { t = t.UTC(); return &t }

func instantOf(p *time.Time) time.Time {
	if p == nil {
		return time.Time{}
	}
	return p.UTC()
}

func decimalPtr(d decimal.Decimal) *decimal.Decimal { return &d }

// newEvent builds one state event with a JSON payload.
func newStateEvent(aggregate string, seq uint64, typ string, effective, at time.Time, actor string, payload any) (ledger.Event, error) {
	data, err := json.Marshal(payload)
	if err != nil {
		return ledger.Event{}, fmt.Errorf("%s#%d: encode %s: %w", aggregate, seq, typ, err)
	}
	ev := ledger.Event{Aggregate: aggregate, Seq: seq, Type: typ, At: effective.UTC(), RecordedAt: at.UTC(),
		Actor: actor, Data: data}
	if err := ev.Validate(); err != nil {
		return ledger.Event{}, fmt.Errorf("%s: %w: %w", ev.Key(), err, ErrInvalid)
	}
	return ev, nil
}

// splitAggregate returns ("account", id) for "account:id".
func splitAggregate(aggregate string) (kind, id string) {
	kind, id, ok := strings.Cut(aggregate, ":")
	if !ok {
		return "", ""
	}
	return kind, id
}
