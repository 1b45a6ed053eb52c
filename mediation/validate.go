package mediation

import (
	"errors"
	"fmt"
	"time"

	"github.com/cascade-billing/cascade/rating"
)

// Defaults of the time checks.
const (
	// DefaultClockSkew is how far in the future an event may claim to be: producers' clocks drift.
	DefaultClockSkew = 5 * time.Minute
	// DefaultLateWindow is how old an event may be; it must not exceed the dedup window, or a
	// late duplicate could arrive after its original was forgotten.
	DefaultLateWindow = 35 * 24 * time.Hour
)

// ValidatorConfig configures a Validator.
type ValidatorConfig struct {
	Catalog    *rating.Catalog
	LateWindow time.Duration // zero: DefaultLateWindow
	ClockSkew  time.Duration // zero: DefaultClockSkew
}

// Validate checks the configuration and fills in defaults.
func (c *ValidatorConfig) Validate() error {
	if c.Catalog == nil {
		return errors.New("validator config: catalog is required")
	}
	if c.LateWindow < 0 || c.ClockSkew < 0 {
		return fmt.Errorf("validator config: late window %s and clock skew %s must not be negative", c.LateWindow, c.ClockSkew)
	}
	if c.LateWindow == 0 {
		c.LateWindow = DefaultLateWindow
	}
	if c.ClockSkew == 0 {
		c.ClockSkew = DefaultClockSkew
	}
	return nil
}

// Validator applies the checks decoding cannot: the meter exists, the quantity's sign is
// allowed by it, and the event time is neither too old nor in the future. Safe for concurrent
// use (it only reads the immutable catalog).
type Validator struct {
	cfg ValidatorConfig
}

// NewValidator returns a Validator.
func NewValidator(cfg ValidatorConfig) (*Validator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Validator{cfg: cfg}, nil
}

// Validate checks rec against the catalog and the clock reading now (taken once per batch, so
// every record of a batch is judged against the same instant), returning
// a *RecordError with a reason code, or nil. It returns the record's meter for later stages.
func (v *Validator) Validate(rec *Record, now time.Time) (*rating.Meter, error) {
	m, ok := v.cfg.Catalog.Meter(rec.Type)
	if !ok {
		return nil, &RecordError{Reason: ReasonUnknownMeter, Field: "type", ID: rec.ID, Detail: `no meter "` + clip(rec.Type) + `" in the catalog`}
	}
	if rec.Quantity.Sign() < 0 && !m.AllowCredits {
		return nil, &RecordError{Reason: ReasonBadQuantity, Field: "data.quantity", ID: rec.ID,
			Detail: "negative quantity " + rec.Quantity.String() + ` for meter "` + m.ID + `", which does not allow credits`}
	}
	if rec.Time.Before(now.Add(-v.cfg.LateWindow)) {
		return nil, &RecordError{Reason: ReasonTooOld, Field: "time", ID: rec.ID,
			Detail: rec.Time.Format(time.RFC3339Nano) + " is older than the late window " + v.cfg.LateWindow.String()}
	}
	if rec.Time.After(now.Add(v.cfg.ClockSkew)) {
		return nil, &RecordError{Reason: ReasonInFuture, Field: "time", ID: rec.ID,
			Detail: rec.Time.Format(time.RFC3339Nano) + " is more than " + v.cfg.ClockSkew.String() + " in the future"}
	}
	return m, nil
}
