package chaos_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// The source's log messages an outage must produce (mediation/kafka/partition.go).
const (
	msgRetrying     = "handle batch failed; retrying"
	msgAfterRetries = "batch handled after retries"
)

// retryLine is the part of a source's retry log line the outage checks read.
type retryLine struct {
	Msg         string        `json:"msg"`
	Partition   int           `json:"partition"`
	Generation  int           `json:"generation"`
	FirstOffset int64         `json:"first_offset"`
	Attempt     int           `json:"attempt"`
	RetryIn     time.Duration `json:"retry_in"` // slog's JSON writes a Duration as nanoseconds
}

// retries is what a service log excerpt says about the source's retries of failing batches.
type retries struct {
	// Failed counts failed attempts; BackedOff says that some batch's waits between attempts
	// grew (growing); Recovered counts batches handled after failed attempts.
	Failed    int
	BackedOff bool
	Recovered int
	batches   int
	longest   []time.Duration
}

func (r retries) String() string {
	return fmt.Sprintf("%d failed attempts over %d batches (longest: waits %v), %d batches handled after retries",
		r.Failed, r.batches, r.longest, r.Recovered)
}

// retryReport reads the retry lines of a service log excerpt (JSON lines; others are skipped).
func retryReport(log string) retries {
	type batch struct {
		partition, generation int
		first                 int64
	}
	waits := map[batch][]time.Duration{}
	var r retries
	for _, line := range strings.Split(log, "\n") {
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var l retryLine
		if json.Unmarshal([]byte(line), &l) != nil {
			continue
		}
		switch l.Msg {
		case msgRetrying:
			r.Failed++
			b := batch{l.Partition, l.Generation, l.FirstOffset}
			waits[b] = append(waits[b], l.RetryIn)
		case msgAfterRetries:
			r.Recovered++
		}
	}
	r.batches = len(waits)
	for _, w := range waits {
		if len(w) > len(r.longest) {
			r.longest = w
		}
		if growing(w) {
			r.BackedOff = true
		}
	}
	return r
}

// growing says whether a batch's waits between attempts doubled at least once and never shrank:
// the capped exponential backoff, not a busy loop.
func growing(waits []time.Duration) bool {
	grew := false
	for i := 1; i < len(waits); i++ {
		switch {
		case waits[i] < waits[i-1]:
			return false
		case waits[i] >= 2*waits[i-1]:
			grew = true
		}
	}
	return grew
}
