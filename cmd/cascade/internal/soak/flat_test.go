package soak_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/cascade-billing/cascade/cmd/cascade/internal/soak"
)

// series builds minutes 1..n with RSS, goroutines, retained dedup bytes and lag from functions
// of the minute.
func series(n int, rss, gor, ret, lag func(m int) int64) []soak.Sample {
	out := make([]soak.Sample, n)
	for i := range out {
		m := i + 1
		out[i] = soak.Sample{Minute: m, RSS: rss(m), Goroutines: gor(m), Retained: ret(m), Lag: lag(m)}
	}
	return out
}

func constant(v int64) func(int) int64 { return func(int) int64 { return v } }

// linear grows by per each minute from base.
func linear(base, per int64) func(int) int64 { return func(m int) int64 { return base + int64(m)*per } }

const mib = 1 << 20

func TestJudge(t *testing.T) {
	lim := soak.Limits{Warmup: 5, RSSPer10Min: 8 * mib, RetainedFactor: 2, GoroutineGrowth: 8, GoroutineSpread: 8, LagMax: 1000}
	warm := func(after func(int) int64) func(int) int64 { // 50 MB per minute of warm-up, then after
		return func(m int) int64 {
			if m <= 5 {
				return int64(m) * 50 * mib
			}
			return after(m)
		}
	}
	tests := []struct {
		name     string
		samples  []soak.Sample
		flat     bool
		kind     error
		because  string // in the error
		rssSlope float64
	}{
		{name: "flat after warm-up", flat: true, rssSlope: 0,
			samples: series(30, warm(constant(300*mib)), constant(40), constant(0), constant(10))},
		{name: "noise within limits", flat: true,
			samples: series(30, func(m int) int64 { return 300*mib + int64(m%2)*3*mib }, func(m int) int64 { return 40 + int64(m%3) }, constant(0), constant(10))},
		{name: "rss leak of 1 MB a minute", kind: soak.ErrNotFlat, because: "rss grows", rssSlope: 10 * mib,
			samples: series(30, linear(300*mib, mib), constant(40), constant(0), constant(10))},
		{name: "growth within twice the dedup sets'", flat: true, rssSlope: 10 * mib,
			samples: series(30, linear(300*mib, mib), constant(40), linear(0, mib/2), constant(10))},
		{name: "growth beyond twice the dedup sets'", kind: soak.ErrNotFlat, because: "beyond 2 × the dedup sets'", rssSlope: 20 * mib,
			samples: series(30, linear(300*mib, 2*mib), constant(40), linear(0, mib/2), constant(10))},
		{name: "goroutine leak of one a minute", kind: soak.ErrNotFlat, because: "goroutines grow",
			samples: series(30, constant(300*mib), linear(40, 1), constant(0), constant(10))},
		{name: "goroutines swing wide", kind: soak.ErrNotFlat, because: "spread limit",
			samples: series(30, constant(300*mib), func(m int) int64 { return 40 + int64(m%2)*20 }, constant(0), constant(10))},
		{name: "consumer falls behind", kind: soak.ErrNotFlat, because: "does not keep up",
			samples: series(30, constant(300*mib), constant(40), constant(0), linear(0, 100))},
		{name: "warm-up leaves too little", kind: soak.ErrTooShort,
			samples: series(7, constant(300*mib), constant(40), constant(0), constant(10))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := soak.Judge(tt.samples, lim)
			if v.Flat != tt.flat {
				t.Fatalf("flat = %v, want %v (%v)", v.Flat, tt.flat, v.Err)
			}
			if tt.flat != (v.Err == nil) {
				t.Fatalf("flat %v with error %v", v.Flat, v.Err)
			}
			if tt.kind != nil && !errors.Is(v.Err, tt.kind) {
				t.Fatalf("error %v, want %v", v.Err, tt.kind)
			}
			if tt.because != "" && !strings.Contains(v.Err.Error(), tt.because) {
				t.Errorf("error %q does not say %q", v.Err, tt.because)
			}
			if tt.kind != soak.ErrTooShort && math.Abs(v.RSSSlope-tt.rssSlope) > 0.01*mib && tt.rssSlope != 0 {
				t.Errorf("rss slope %.2f MB/10min, want %.2f", v.RSSSlope/mib, tt.rssSlope/mib)
			}
		})
	}
}

func TestSlope(t *testing.T) {
	tests := []struct {
		name string
		x, y []float64
		want float64
	}{
		{"exact line", []float64{1, 2, 3, 4}, []float64{3, 5, 7, 9}, 2},
		{"falling", []float64{1, 2, 3}, []float64{9, 6, 3}, -3},
		{"noise around flat", []float64{1, 2, 3, 4}, []float64{5, 6, 5, 6}, 0.2},
		{"one point", []float64{1}, []float64{5}, 0},
		{"no spread in x", []float64{2, 2}, []float64{1, 9}, 0},
		{"mismatched lengths", []float64{1, 2}, []float64{1}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := soak.Slope(tt.x, tt.y); math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("Slope = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSummary(t *testing.T) {
	s := series(8, linear(100*mib, mib), constant(40), constant(0), constant(0))
	v := soak.Judge(s, soak.Limits{Warmup: 2, RSSPer10Min: 20 * mib, GoroutineGrowth: 8, GoroutineSpread: 8, LagMax: 10})
	got := v.Summary(8, 5324.4, s)
	want := "soak: minutes=8 rate=5324/s rss_mb=103.0..108.0 (slope 10.0 MB/10min) goroutines=40..40 flat=yes"
	if got != want {
		t.Errorf("Summary:\n got %s\nwant %s", got, want)
	}
}
