package soak

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// ErrLoad says the load generator met an answer it cannot account for (a rejected record, an
// unexpected status), so the soak's count check could not hold.
var ErrLoad = errors.New("soak: load")

// Source is the CloudEvents source of every record the load sends.
const Source = "v1/soak"

// Load posts usage to POST /v1/usage as NDJSON batches from several concurrent clients. Each
// record has a new id (s-1, s-2, …), quantity 1 and the current time, for one of Subjects in
// turn. A batch is posted until the connector answers 200 for it (a 503 or a broken connection
// is retried with the same ids), so every record generated ends up accepted exactly once, or
// counted as a duplicate of its own earlier copy.
type Load struct {
	Base     string           // http://host:port of the service
	Subjects []string         // customer account ids
	Batch    int              // records per request
	Clients  int              // concurrent requests
	Now      func() time.Time // event times
	HTTP     *http.Client     // default: a client keeping Clients connections alive

	seq       atomic.Int64 // records generated (the last id used)
	sent      atomic.Int64 // records posted, retries included
	accepted  atomic.Int64
	duplicate atomic.Int64
	retries   atomic.Int64
	errMu     sync.Mutex
	err       error // the first unaccountable answer

	paceMu sync.Mutex
	next   time.Time // when the next paced batch may go
}

// Counts is what the load did so far.
type Counts struct {
	Generated, Sent, Accepted, Duplicate, Retries int64
}

// Counts returns the counters.
func (l *Load) Counts() Counts {
	return Counts{Generated: l.seq.Load(), Sent: l.sent.Load(), Accepted: l.accepted.Load(),
		Duplicate: l.duplicate.Load(), Retries: l.retries.Load()}
}

// Err is the first unaccountable answer, if any.
func (l *Load) Err() error {
	l.errMu.Lock()
	defer l.errMu.Unlock()
	return l.err
}

// Run posts batches from l.Clients goroutines until ctx ends, at rate records per second in
// all (rate <= 0: as fast as the service answers). A batch in flight when ctx ends is still
// posted until it is answered (for up to a minute), so no generated record is left unresolved.
func (l *Load) Run(ctx context.Context, rate float64) error {
	if l.HTTP == nil {
		l.HTTP = &http.Client{Timeout: 60 * time.Second,
			Transport: &http.Transport{MaxIdleConnsPerHost: l.Clients, MaxIdleConns: l.Clients}}
	}
	l.paceMu.Lock()
	l.next = time.Now()
	l.paceMu.Unlock()
	var wg sync.WaitGroup
	for range l.Clients {
		wg.Go(func() {
			var body bytes.Buffer
			for ctx.Err() == nil {
				if rate > 0 && !l.pace(ctx, rate) {
					return
				}
				l.fill(&body)
				if err := l.post(body.Bytes()); err != nil {
					l.fail(err)
					return
				}
			}
		})
	}
	wg.Wait()
	return l.Err()
}

// pace waits for this batch's slot; false when ctx ended first. A client that fell behind by
// more than a second does not burst to catch up: the rate is a ceiling, not a debt.
func (l *Load) pace(ctx context.Context, rate float64) bool {
	l.paceMu.Lock()
	now := time.Now()
	at := l.next
	if at.Before(now.Add(-time.Second)) {
		at = now
	}
	l.next = at.Add(time.Duration(float64(l.Batch) / rate * float64(time.Second)))
	l.paceMu.Unlock()
	t := time.NewTimer(time.Until(at))
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// fill writes the next Batch records into body.
func (l *Load) fill(body *bytes.Buffer) {
	body.Reset()
	last := l.seq.Add(int64(l.Batch))
	at := l.Now().UTC().Truncate(time.Second).Format(time.RFC3339)
	for n := last - int64(l.Batch) + 1; n <= last; n++ {
		subject := l.Subjects[int(n)%len(l.Subjects)]
		fmt.Fprintf(body, `{"specversion":"1.0","id":"s-%d","source":%q,"type":%q,"subject":%q,"time":%q,"data":{"quantity":1}}`+"\n",
			n, Source, Meter, subject, at)
	}
}

// post sends one batch until it is answered 200, for up to a minute.
func (l *Load) post(body []byte) error {
	deadline := time.Now().Add(time.Minute)
	for {
		l.sent.Add(int64(l.Batch))
		status, wait, ans, err := l.send(body)
		switch {
		case err == nil && status == http.StatusOK:
			if ans.Rejected > 0 || ans.Accepted+ans.Duplicate != l.Batch {
				return fmt.Errorf("%w: a batch of %d records was answered %d accepted, %d duplicate, %d rejected",
					ErrLoad, l.Batch, ans.Accepted, ans.Duplicate, ans.Rejected)
			}
			l.accepted.Add(int64(ans.Accepted))
			l.duplicate.Add(int64(ans.Duplicate))
			return nil
		case err == nil && status != http.StatusServiceUnavailable:
			return fmt.Errorf("%w: POST /v1/usage answered HTTP %d", ErrLoad, status)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: a batch was not accepted within a minute (last: HTTP %d, %v)", ErrLoad, status, err)
		}
		l.retries.Add(1)
		time.Sleep(wait)
	}
}

// answer is the part of the connector's 200 answer the load checks.
type answer struct {
	Accepted, Rejected, Duplicate int
}

// send posts body once; wait is how long to wait before a retry (the Retry-After of a 503).
func (l *Load) send(body []byte) (status int, wait time.Duration, ans answer, err error) {
	wait = 500 * time.Millisecond
	req, err := http.NewRequest("POST", l.Base+"/v1/usage", bytes.NewReader(body))
	if err != nil {
		return 0, wait, ans, err
	}
	req.Header.Set("Authorization", "Bearer "+VendorKey)
	req.Header.Set("Content-Type", "application/x-ndjson")
	res, err := l.HTTP.Do(req)
	if err != nil {
		return 0, wait, ans, err
	}
	defer res.Body.Close()
	if s, perr := strconv.Atoi(res.Header.Get("Retry-After")); perr == nil && s > 0 {
		wait = time.Duration(s) * time.Second
	}
	if res.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, res.Body)
		return res.StatusCode, wait, ans, nil
	}
	if err := json.NewDecoder(res.Body).Decode(&ans); err != nil {
		return 0, wait, ans, fmt.Errorf("decode the connector's answer: %w", err)
	}
	return res.StatusCode, wait, ans, nil
}

func (l *Load) fail(err error) {
	l.errMu.Lock()
	defer l.errMu.Unlock()
	if l.err == nil {
		l.err = err
	}
}
