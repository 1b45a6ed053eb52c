package mediation

import "sync/atomic"

// Counters are the pipeline's running counts, updated only when a batch's sink write
// succeeded, so Consumed = Accepted + Duplicate + Σ Rejected holds at every instant
// (DESIGN.md invariant 3). Safe for concurrent use.
type Counters struct {
	consumed, accepted, duplicate atomic.Int64
	lateClosed                    atomic.Int64
	rejected                      [len(reasons)]atomic.Int64
	batches, failed               atomic.Int64
}

// Snapshot is a consistent-enough copy of the counters for reporting (each field is read
// atomically; between fields a concurrent batch may land).
type Snapshot struct {
	Consumed, Accepted, Duplicate int64
	// LateClosedPeriod counts accepted records (already in Accepted) whose billing period was
	// closed: billed as adjustments on the next invoice, so finance wants to see them rise.
	LateClosedPeriod int64
	// Rejected counts by reason code.
	Rejected map[string]int64
	// Batches is the number of batches written; Failed the number whose sink write failed.
	Batches, Failed int64
}

// RejectedTotal sums the rejects over all reasons.
func (s Snapshot) RejectedTotal() int64 {
	var n int64
	for _, v := range s.Rejected {
		n += v
	}
	return n
}

func (c *Counters) add(b *Batch) {
	c.consumed.Add(int64(b.Consumed))
	c.accepted.Add(int64(len(b.Usage)))
	c.duplicate.Add(int64(b.Duplicates))
	c.lateClosed.Add(int64(b.LateClosed))
	for i := range b.Rejected {
		c.rejected[reasonIndex(b.Rejected[i].Reason)].Add(1)
	}
	c.batches.Add(1)
}

// Snapshot copies the counters.
func (c *Counters) Snapshot() Snapshot {
	s := Snapshot{Consumed: c.consumed.Load(), Accepted: c.accepted.Load(), Duplicate: c.duplicate.Load(),
		LateClosedPeriod: c.lateClosed.Load(),
		Rejected:         map[string]int64{}, Batches: c.batches.Load(), Failed: c.failed.Load()}
	for i, r := range reasons {
		if n := c.rejected[i].Load(); n > 0 {
			s.Rejected[r] = n
		}
	}
	return s
}
