package soak_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/cascade-billing/cascade/cmd/cascade/internal/soak"
)

func TestParseMetrics(t *testing.T) {
	raw, err := os.ReadFile("testdata/metrics.txt")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		body    string
		want    soak.Metrics
		missing string // a metric the error must name
	}{
		{name: "a real /metrics", body: string(raw), want: soak.Metrics{Goroutines: 45, HeapAlloc: 137664512,
			Consumed: 1649500, Accepted: 1649480, Duplicate: 15, Rejected: 5, SinkFailed: 2}},
		{name: "goroutines missing", body: strings.ReplaceAll(string(raw), "go_goroutines", "go_threads"), missing: "go_goroutines"},
		{name: "empty", body: "", missing: "cascade_mediation_accepted_total"},
		{name: "not a number", body: "go_goroutines many\n", missing: "many"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := soak.ParseMetrics(strings.NewReader(tt.body))
			if tt.missing != "" {
				if !errors.Is(err, soak.ErrSample) || !strings.Contains(err.Error(), tt.missing) {
					t.Fatalf("error %v, want ErrSample naming %s", err, tt.missing)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("ParseMetrics = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestReadRSS(t *testing.T) {
	rss, err := soak.ReadRSS(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// A Go test binary is resident for at least a megabyte and far less than 10 GB.
	if rss < 1<<20 || rss > 10<<30 {
		t.Errorf("ReadRSS(self) = %d bytes, not a plausible test process", rss)
	}
	if _, err := soak.ReadRSS(1 << 30); !errors.Is(err, soak.ErrSample) {
		t.Errorf("ReadRSS of a pid that cannot exist: %v, want ErrSample", err)
	}
}

func TestSampleLine(t *testing.T) {
	s := soak.Sample{Minute: 3, RSS: 250 << 20, Goroutines: 44, HeapAlloc: 120 << 20, Retained: 60 << 20, Sent: 1000, Accepted: 990, Mediated: 980, Lag: 10}
	want := "soak: minute=3 rss_mb=250.0 goroutines=44 heap_mb=120.0 dedup_mb=60.0 sent=1000 accepted=990 mediated=980 lag=10"
	if got := s.Line(); got != want {
		t.Errorf("Line:\n got %s\nwant %s", got, want)
	}
}
