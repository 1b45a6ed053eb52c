package mediation_test

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/mediation"
)

func idN(n uint64) mediation.ID {
	var id mediation.ID
	binary.BigEndian.PutUint64(id[:8], n*0x9e3779b97f4a7c15)
	binary.BigEndian.PutUint64(id[8:], n)
	return id
}

func TestDedupSet(t *testing.T) {
	day := 24 * time.Hour
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	s := mediation.NewDedupSet(3*day, day)
	tests := []struct {
		op   string // add, has, expire, remove
		id   uint64
		at   time.Time
		want bool
	}{
		{"add", 1, t0.Add(time.Hour), true},
		{"add", 1, t0.Add(5 * day), false}, // same id, different time: still a duplicate
		{"add", 2, t0.Add(day + time.Hour), true},
		{"has", 1, time.Time{}, true},
		{"expire", 0, t0.Add(3*day + 23*time.Hour), false}, // day 0 not yet wholly before now−3d
		{"has", 1, time.Time{}, true},
		{"expire", 0, t0.Add(4 * day), false}, // day 0 now wholly out of the window
		{"has", 1, time.Time{}, false},
		{"has", 2, time.Time{}, true},
		{"remove", 2, time.Time{}, false},
		{"has", 2, time.Time{}, false},
		{"add", 2, t0.Add(day + time.Hour), true},
	}
	for i, tt := range tests {
		var got bool
		switch tt.op {
		case "add":
			got = s.Add(idN(tt.id), tt.at)
		case "has":
			got = s.Contains(idN(tt.id))
		case "expire":
			s.Expire(tt.at)
		case "remove":
			s.Remove(idN(tt.id))
		}
		if got != tt.want {
			t.Fatalf("step %d %s(%d) = %v, want %v", i, tt.op, tt.id, got, tt.want)
		}
	}
	if s.Len() != 1 {
		t.Fatalf("Len = %d, want 1", s.Len())
	}
}

// BenchmarkDedupMemory measures the heap one remembered id costs (map entry plus its place in
// its expiry bucket), spread over a 35-day window, and the cost of a lookup-and-add.
func BenchmarkDedupMemory(b *testing.B) {
	for _, n := range []int{1_000_000, 10_000_000} {
		if testing.Short() && n > 1_000_000 {
			continue
		}
		b.Run(fmt.Sprintf("ids=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
			step := 35 * 24 * time.Hour / time.Duration(n)
			for i := 0; i < b.N; i++ {
				runtime.GC()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				s := mediation.NewDedupSet(0, 0)
				start := time.Now()
				for j := 0; j < n; j++ {
					id := idN(uint64(j))
					if !s.Contains(id) {
						s.Add(id, t0.Add(time.Duration(j)*step))
					}
				}
				elapsed := time.Since(start)
				runtime.GC()
				runtime.ReadMemStats(&after)
				b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(n), "bytes/id")
				b.ReportMetric(float64(elapsed.Nanoseconds())/float64(n), "ns/id")
				runtime.KeepAlive(s)
			}
		})
	}
}

// TestDedupSetModel drives a DedupSet and a plain map model with random adds, removes and
// expiries over buckets holding several chunks of ids, and checks they always agree.
func TestDedupSetModel(t *testing.T) {
	hour := time.Hour
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	s := mediation.NewDedupSet(48*hour, hour)
	model := map[uint64]time.Time{}
	now := t0.Add(48 * hour)
	var next uint64
	for step := 0; step < 60000; step++ {
		switch op := (step * 7919) % 10; {
		case op < 7:
			next++
			at := now.Add(-time.Duration(next%47) * hour)
			if !s.Add(idN(next), at) {
				t.Fatalf("step %d: new id %d reported present", step, next)
			}
			model[next] = at
		case op < 9 && next > 0:
			id := next - uint64(step%5) // recent ids, like an undo
			s.Remove(idN(id))
			delete(model, id)
		default:
			now = now.Add(20 * time.Minute)
			s.Expire(now)
			for id, at := range model {
				// A bucket goes once it ends at or before the window's start, in whole buckets.
				if end := at.Truncate(hour).Add(hour); !end.After(now.Add(-48 * hour).Truncate(hour)) {
					delete(model, id)
				}
			}
		}
		if s.Len() != len(model) {
			t.Fatalf("step %d: Len %d, model %d", step, s.Len(), len(model))
		}
	}
	for id := uint64(1); id <= next; id++ {
		if _, want := model[id]; s.Contains(idN(id)) != want {
			t.Fatalf("id %d: Contains %v, model %v", id, !want, want)
		}
	}
}

// TestDedupSetRemoveKeepsOthers removes ids out of the middle of probe clusters (a growing
// table at up to 3/4 load has many) and checks after each round that every other id is still
// found and every removed one is not — including the all-zero id, which the table keeps aside.
func TestDedupSetRemoveKeepsOthers(t *testing.T) {
	at := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	for _, n := range []uint64{100, 191, 5000} { // 191 of 256 slots is the fullest before growth
		s := mediation.NewDedupSet(0, 0)
		held := map[uint64]bool{}
		for i := uint64(0); i < n; i++ { // idN(0) is the zero id
			if !s.Add(idN(i), at) {
				t.Fatalf("n=%d: new id %d reported present", n, i)
			}
			held[i] = true
		}
		for round := uint64(0); round < 4; round++ {
			for i := round; i < n; i += 3 + round {
				s.Remove(idN(i))
				delete(held, i)
			}
			for i := uint64(0); i < n; i++ {
				if s.Contains(idN(i)) != held[i] {
					t.Fatalf("n=%d round %d: Contains(%d) = %v, want %v", n, round, i, !held[i], held[i])
				}
			}
			if s.Len() != len(held) {
				t.Fatalf("n=%d round %d: Len %d, want %d", n, round, s.Len(), len(held))
			}
		}
		for i := uint64(0); i < n; i++ { // re-adding works after removals
			if got := s.Add(idN(i), at); got == held[i] {
				t.Fatalf("n=%d: re-Add(%d) = %v with the id held: %v", n, i, got, held[i])
			}
		}
	}
}
