package mediation

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/cascade-billing/cascade/rating"
)

// Config configures a Pipeline.
type Config struct {
	Catalog   *rating.Catalog
	Directory Directory
	Sink      Sink
	// Seen and Totals rebuild a partition's state when it is assigned; nil starts it empty
	// (tests, or a deployment whose ledger adapter does not offer it yet).
	Seen   DedupLoader
	Totals TotalsLoader
	// DedupWindow is how long ids are remembered, by event time (zero: DefaultDedupWindow);
	// DedupBucket the width of the buckets that expire whole (zero: DefaultDedupBucket).
	DedupWindow, DedupBucket time.Duration
	// LateWindow is the oldest event time accepted (zero: DefaultLateWindow); it must not
	// exceed DedupWindow. ClockSkew is the allowance into the future (zero: DefaultClockSkew).
	LateWindow, ClockSkew time.Duration
	// Bounds are the decimals the sink can store (zero: DefaultBounds, the ledger's).
	Bounds Bounds
	Logger *slog.Logger     // nil: slog.Default()
	Now    func() time.Time // nil: time.Now
}

// Validate checks the configuration and fills in defaults.
func (c *Config) Validate() error {
	switch {
	case c.Catalog == nil:
		return errors.New("mediation config: catalog is required")
	case c.Directory == nil:
		return errors.New("mediation config: directory is required")
	case c.Sink == nil:
		return errors.New("mediation config: sink is required")
	case c.DedupWindow < 0 || c.DedupBucket < 0 || c.LateWindow < 0 || c.ClockSkew < 0:
		return errors.New("mediation config: windows must not be negative")
	}
	if c.DedupWindow == 0 {
		c.DedupWindow = DefaultDedupWindow
	}
	if c.DedupBucket == 0 {
		c.DedupBucket = DefaultDedupBucket
	}
	if c.LateWindow == 0 {
		c.LateWindow = min(DefaultLateWindow, c.DedupWindow)
	}
	if c.ClockSkew == 0 {
		c.ClockSkew = DefaultClockSkew
	}
	if c.LateWindow > c.DedupWindow {
		return fmt.Errorf("mediation config: late window %s exceeds dedup window %s: a late duplicate could arrive after its original was forgotten", c.LateWindow, c.DedupWindow)
	}
	if c.Bounds == (Bounds{}) {
		c.Bounds = DefaultBounds
	}
	if c.Bounds.QuantityScale < 0 || c.Bounds.AmountScale < 0 || c.Bounds.Precision <= max(c.Bounds.QuantityScale, c.Bounds.AmountScale) {
		return fmt.Errorf("mediation config: bounds %+v: want 0 ≤ scales < precision", c.Bounds)
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}
