package mediation

import (
	"context"
	"time"
)

// Dedup defaults.
const (
	// DefaultDedupWindow is how long an event id is remembered, by event time: a month-long
	// billing period plus a few days of producer retries.
	DefaultDedupWindow = 35 * 24 * time.Hour
	// DefaultDedupBucket is the width of one time bucket; a bucket is forgotten whole once
	// all of it is older than the window.
	DefaultDedupBucket = 24 * time.Hour
)

// DedupLoader rebuilds one partition's dedup state after a restart or a rebalance, from the
// usage rows the ledger holds for it (the ledger adapter implements it; mediationtest has a
// fake). It calls add for every usage row id whose event time is at or after since.
type DedupLoader interface {
	LoadSeen(ctx context.Context, topic string, partition int, since time.Time, add func(id ID, at time.Time)) error
}

// DedupSet remembers the usage ids of one partition for a window of event time. It is exact:
// a lookup finds an id whatever the time of the duplicate, because the index is one table; the
// time buckets only say when each id is forgotten, so expiry costs the size of the expired
// bucket, never a scan of the whole set. Not safe for concurrent use (one per partition).
type DedupSet struct {
	window, width time.Duration
	seen          *idTable          // id → bucket number (event time / width): 4 bytes, not 8, per id
	buckets       map[int32]*idList // bucket number → its ids, for expiry
	oldest        int32             // no bucket below this number is held
	sink          byte              // what Prefetch read, kept so the loads are not optimised away
}

// NewDedupSet returns an empty set; zero window or width take the defaults.
func NewDedupSet(window, width time.Duration) *DedupSet {
	if window <= 0 {
		window = DefaultDedupWindow
	}
	if width <= 0 {
		width = DefaultDedupBucket
	}
	width = max(width, MinDedupBucket)
	return &DedupSet{window: window, width: width, seen: newIDTable(), buckets: map[int32]*idList{}}
}

// MinDedupBucket is the narrowest bucket: bucket numbers are int32 counts of buckets since
// 1970, which at one hour reach year 246,000 and keep the per-id cost at 4 bytes.
const MinDedupBucket = time.Hour

func (s *DedupSet) bucket(t time.Time) int32 { return int32(t.Unix() / int64(s.width/time.Second)) }

// Contains reports whether id is remembered.
func (s *DedupSet) Contains(id ID) bool {
	_, ok := s.seen.get(id)
	return ok
}

// Prefetch loads the table slots of ids into the CPU cache ahead of Contains and Add: the misses
// of a batch overlap instead of costing one memory round trip per record.
func (s *DedupSet) Prefetch(ids []ID) { s.sink ^= s.seen.touch(ids) }

// Add remembers id for an event at time at; false when it was already remembered.
func (s *DedupSet) Add(id ID, at time.Time) bool {
	if _, ok := s.seen.get(id); ok {
		return false
	}
	s.insert(id, at)
	return true
}

// insert remembers an id known to be absent (the pipeline checked with Contains), saving the
// second map lookup Add would make.
func (s *DedupSet) insert(id ID, at time.Time) {
	b := s.bucket(at)
	s.seen.put(id, b)
	l := s.buckets[b]
	if l == nil {
		l = &idList{}
		s.buckets[b] = l
	}
	l.push(id)
}

// Remove forgets id; the pipeline uses it to undo a batch whose sink write failed.
func (s *DedupSet) Remove(id ID) {
	b, ok := s.seen.get(id)
	if !ok {
		return
	}
	s.seen.del(id)
	if l := s.buckets[b]; l != nil {
		l.remove(id)
	}
}

// Expire forgets every bucket lying wholly before now − window.
func (s *DedupSet) Expire(now time.Time) {
	limit := s.bucket(now.Add(-s.window)) // buckets < limit end before the window starts
	if limit <= s.oldest {
		return
	}
	for b, l := range s.buckets {
		if b >= limit {
			continue
		}
		for _, c := range l.chunks {
			for _, id := range c {
				s.seen.del(id)
			}
		}
		delete(s.buckets, b)
	}
	s.oldest = limit
}

// Len is the number of remembered ids.
func (s *DedupSet) Len() int { return s.seen.len() }

// idChunk is the number of ids per chunk of a bucket's list: 64 KiB, large enough that the
// chunk headers cost nothing per id, small enough that a new chunk is a cheap allocation.
const idChunk = 4096

// idList holds a bucket's ids in fixed-size chunks, so growing never copies the ids already
// held (a plain slice of millions of ids would be copied on every doubling) and the slack is at
// most one chunk.
type idList struct {
	chunks [][]ID
}

func (l *idList) push(id ID) {
	if n := len(l.chunks); n == 0 || len(l.chunks[n-1]) == idChunk {
		l.chunks = append(l.chunks, make([]ID, 0, idChunk))
	}
	last := &l.chunks[len(l.chunks)-1]
	*last = append(*last, id)
}

// remove deletes id, searching from the newest (undo removes the ids a batch just added) and
// filling the hole with the newest id: order within a bucket does not matter.
func (l *idList) remove(id ID) {
	for ci := len(l.chunks) - 1; ci >= 0; ci-- {
		c := l.chunks[ci]
		for i := len(c) - 1; i >= 0; i-- {
			if c[i] != id {
				continue
			}
			last := &l.chunks[len(l.chunks)-1]
			c[i] = (*last)[len(*last)-1]
			*last = (*last)[:len(*last)-1]
			if len(*last) == 0 {
				l.chunks = l.chunks[:len(l.chunks)-1]
			}
			return
		}
	}
}
