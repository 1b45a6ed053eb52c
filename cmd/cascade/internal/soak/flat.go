package soak

import (
	"errors"
	"fmt"
	"math"
)

// ErrNotFlat is what Verdict.Err wraps when memory or goroutines grew after warm-up.
var ErrNotFlat = errors.New("soak: not flat after warm-up")

// ErrTooShort says there were too few samples after warm-up to fit a slope: a soak that cannot
// be judged is not a pass.
var ErrTooShort = errors.New("soak: too few samples after warm-up")

// Sample is one minute's reading of the child process and the load.
type Sample struct {
	Minute     int   // minutes since the soak load started (1 = the end of the first minute)
	RSS        int64 // VmRSS of the child, bytes
	Goroutines int64 // go_goroutines from /metrics
	HeapAlloc  int64 // go_memstats_heap_alloc_bytes from /metrics
	Sent       int64 // records posted so far (retries included)
	Accepted   int64 // records the connector answered "accepted" for so far
	Mediated   int64 // cascade_mediation_accepted_total: records written to the ledger
	Lag        int64 // records on the raw topic not yet committed by the consumer group
	Retained   int64 // bytes the dedup sets hold by design after Mediated records (DedupModel)
}

// Limits say how much growth after warm-up still counts as flat.
type Limits struct {
	// Warmup samples are ignored: caches, connection pools and the runtime settle first.
	Warmup int
	// RSSPer10Min is the largest RSS slope allowed, in bytes per 10 minutes, beyond
	// RetainedFactor times the slope of the by-design retained state (Sample.Retained).
	RSSPer10Min float64
	// RetainedFactor is how much RSS each byte of retained state may cost: 2, because the Go
	// heap grows to twice its live size before a collection (GOGC=100), and a doubled dedup
	// table leaves its old half as garbage until then.
	RetainedFactor float64
	// GoroutineGrowth is the largest goroutine growth allowed across the judged samples, as
	// the fitted line predicts it (slope × span): a leak of one goroutine per request shows as
	// thousands, one a minute as the span in minutes, while a few goroutines in flight more or
	// less at one sample hardly tilt a line through 25.
	GoroutineGrowth float64
	// GoroutineSpread bounds max − min of the goroutine counts after warm-up: connection
	// goroutines come and go, a leak only comes.
	GoroutineSpread int64
	// LagMax bounds the consumer lag at every sample after warm-up: mediation must keep up.
	LagMax int64
}

// Verdict is Judge's answer.
type Verdict struct {
	Judged          []Sample // the samples after warm-up
	RSSSlope        float64  // bytes per 10 minutes
	RetainedSlope   float64  // bytes of by-design retained state per 10 minutes
	ExcessSlope     float64  // RSSSlope − RetainedFactor × RetainedSlope: the growth judged
	HeapSlope       float64  // bytes per 10 minutes (reported, not judged: GC timing makes it noisy)
	GoroutineSlope  float64  // goroutines per 10 minutes
	GoroutineGrowth float64  // goroutines gained across the judged span, by the fitted line
	GoroutineSpread int64
	MaxLag          int64
	Flat            bool
	Err             error // nil when Flat; else wraps ErrNotFlat or ErrTooShort with every reason
}

// Judge decides "flat after warm-up": it drops the first lim.Warmup samples, fits a
// least-squares line to each series of the rest (by minute) and compares the slopes, the
// goroutines' spread and the largest lag with lim. At least three samples must remain.
func Judge(samples []Sample, lim Limits) Verdict {
	var v Verdict
	if lim.Warmup < len(samples) {
		v.Judged = samples[lim.Warmup:]
	}
	if len(v.Judged) < 3 {
		v.Err = fmt.Errorf("%w: %d of %d samples remain after a warm-up of %d, want at least 3",
			ErrTooShort, len(v.Judged), len(samples), lim.Warmup)
		return v
	}
	x := make([]float64, len(v.Judged))
	rss, heap, gor, ret := make([]float64, len(x)), make([]float64, len(x)), make([]float64, len(x)), make([]float64, len(x))
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	for i, s := range v.Judged {
		x[i] = float64(s.Minute)
		rss[i], heap[i], gor[i], ret[i] = float64(s.RSS), float64(s.HeapAlloc), float64(s.Goroutines), float64(s.Retained)
		lo, hi = min(lo, s.Goroutines), max(hi, s.Goroutines)
		v.MaxLag = max(v.MaxLag, s.Lag)
	}
	v.RSSSlope = 10 * Slope(x, rss)
	v.HeapSlope = 10 * Slope(x, heap)
	v.GoroutineSlope = 10 * Slope(x, gor)
	v.RetainedSlope = 10 * Slope(x, ret)
	v.ExcessSlope = v.RSSSlope - lim.RetainedFactor*v.RetainedSlope
	v.GoroutineSpread = hi - lo
	v.GoroutineGrowth = v.GoroutineSlope / 10 * float64(v.Judged[len(v.Judged)-1].Minute-v.Judged[0].Minute)
	var why []error
	if v.ExcessSlope > lim.RSSPer10Min {
		why = append(why, fmt.Errorf("rss grows %.1f MB per 10 min, %.1f beyond %.0f × the dedup sets' %.1f (limit %.1f)",
			v.RSSSlope/mb, v.ExcessSlope/mb, lim.RetainedFactor, v.RetainedSlope/mb, lim.RSSPer10Min/mb))
	}
	if v.GoroutineGrowth > lim.GoroutineGrowth {
		why = append(why, fmt.Errorf("goroutines grow by %.1f over %d samples (%.2f per 10 min; limit %.1f)",
			v.GoroutineGrowth, len(v.Judged), v.GoroutineSlope, lim.GoroutineGrowth))
	}
	if v.GoroutineSpread > lim.GoroutineSpread {
		why = append(why, fmt.Errorf("goroutines range over %d..%d (spread limit %d)", lo, hi, lim.GoroutineSpread))
	}
	if v.MaxLag > lim.LagMax {
		why = append(why, fmt.Errorf("consumer lag reached %d records (limit %d): mediation does not keep up", v.MaxLag, lim.LagMax))
	}
	if len(why) > 0 {
		v.Err = fmt.Errorf("%w: %w", ErrNotFlat, errors.Join(why...))
		return v
	}
	v.Flat = true
	return v
}

// Slope is the least-squares slope of y over x (dy per unit of x); 0 when x has no spread.
func Slope(x, y []float64) float64 {
	n := float64(len(x))
	if n == 0 || len(y) != len(x) {
		return 0
	}
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx, my = mx/n, my/n
	var sxy, sxx float64
	for i := range x {
		sxy += (x[i] - mx) * (y[i] - my)
		sxx += (x[i] - mx) * (x[i] - mx)
	}
	if sxx == 0 {
		return 0
	}
	return sxy / sxx
}

// mb is a mebibyte as a float, for the printed figures.
const mb = 1 << 20
