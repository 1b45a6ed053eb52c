package chaos

import (
	"fmt"
	"sync"
)

// Summary collects what every suite of the package did, for the one line `make chaos` greps:
//
//	chaos: kills=K outages=O records=N lost=L doubled=D identity=ok|FAIL invoices=identical|DIFFERENT
//
// TestMain owns one (a variable of the test package) and prints it after m.Run; suites add to
// it from any goroutine.
type Summary struct {
	mu        sync.Mutex
	kills     int
	outages   int
	records   int
	lost      int
	doubled   int
	identity  bool
	invoices  bool
	results   int // Results added
	compared  int // invoice comparisons added
	failNotes []string
}

// NewSummary returns an empty summary: identity ok and invoices identical until a suite says
// otherwise.
func NewSummary() *Summary { return &Summary{identity: true, invoices: true} }

// AddKills counts SIGKILLs of service processes (the test's own and the fault hook's).
func (s *Summary) AddKills(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kills += n
}

// AddOutages counts outages (ClickHouse paused or stopped, broker errors).
func (s *Summary) AddOutages(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.outages += n
}

// AddResult adds a verified scenario's records, losses, doubles and identity.
func (s *Summary) AddResult(name string, r Result) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.results++
	s.records += r.Records
	s.lost += r.Lost
	s.doubled += r.Doubled
	if !r.Identity {
		s.identity = false
	}
	if !r.OK() {
		s.failNotes = append(s.failNotes, fmt.Sprintf("%s: %s", name, r))
	}
}

// AddInvoices adds an invoice comparison (CompareInvoices and CheckNumbering's problems; none
// means identical).
func (s *Summary) AddInvoices(name string, problems []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.compared++
	if len(problems) > 0 {
		s.invoices = false
		s.failNotes = append(s.failNotes, fmt.Sprintf("%s: invoices: %v", name, problems))
	}
}

// Line is the summary line.
func (s *Summary) Line() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	identity, invoices := "ok", "identical"
	if !s.identity {
		identity = "FAIL"
	}
	if !s.invoices {
		invoices = "DIFFERENT"
	}
	return fmt.Sprintf("chaos: kills=%d outages=%d records=%d lost=%d doubled=%d identity=%s invoices=%s",
		s.kills, s.outages, s.records, s.lost, s.doubled, identity, invoices)
}

// Failed says whether the package must fail: anything lost or doubled, the identity broken,
// or invoices different.
func (s *Summary) Failed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lost > 0 || s.doubled > 0 || !s.identity || !s.invoices
}

// Notes returns the failing scenarios' details, for the log above the summary line.
func (s *Summary) Notes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.failNotes...)
}

// Checked says how many verified scenarios and invoice comparisons were added: a run that
// checked nothing must not print a reassuring line unnoticed.
func (s *Summary) Checked() (results, comparisons int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.results, s.compared
}
