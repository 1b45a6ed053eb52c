package mediation

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
)

// idTable is the dedup index: an open-addressing hash set of ids (linear probing, backward-shift
// deletion, so no tombstones), each with its expiry bucket number.
//
// Why not a Go map: at millions of ids every lookup is a cache miss, and a Go map's lookup is a
// chain of dependent loads (directory, table, group) the pipeline cannot overlap. Here an id's
// home slot is one computed index into one flat array, so the pipeline touches the home slots of
// a whole batch in a tight, branch-free loop (touch) — the misses overlap — before the per-record
// work looks them up again from cache. Measured in BenchmarkPipeline (docs/usage-records.md).
//
// Keys and bucket numbers live in separate arrays so a probe scans 16-byte keys, four per
// cache line. The zero ID marks an empty slot; the one real id that is zero (a 2^-128 chance for
// a hashed id) is kept aside in hasZero. Not safe for concurrent use.
type idTable struct {
	keys    []ID
	buckets []int32
	mask    uint64
	n       int // ids held, including the zero id
	// seed0 and seed1 make slot positions unpredictable per table: ids are FNV hashes of
	// vendor-chosen strings, so fixed positions would let a vendor craft ids that all probe
	// the same cluster.
	seed0, seed1 uint64
	hasZero      bool
	zeroBucket   int32
}

// minTableSlots is the smallest table: 4 KiB of keys.
const minTableSlots = 256

func newIDTable() *idTable {
	t := &idTable{seed0: rand.Uint64() | 1, seed1: rand.Uint64() | 1}
	t.alloc(minTableSlots)
	return t
}

func (t *idTable) alloc(slots int) {
	t.keys = make([]ID, slots)
	t.buckets = make([]int32, slots)
	t.mask = uint64(slots - 1)
}

// home is id's first slot: a multiply-fold of both halves of the id with the table's seeds.
func (t *idTable) home(id *ID) uint64 {
	hi, lo := bits.Mul64(binary.LittleEndian.Uint64(id[:8])^t.seed0, binary.LittleEndian.Uint64(id[8:])^t.seed1)
	return (hi ^ lo) & t.mask
}

// touch loads the home slots of ids (key and bucket number), without branching on what it
// finds, so the CPU overlaps the cache misses; the lookups that follow then hit the cache.
// It returns a value only so the loads are not optimised away.
func (t *idTable) touch(ids []ID) byte {
	var acc byte
	for i := range ids {
		h := t.home(&ids[i])
		acc ^= t.keys[h][0] ^ byte(t.buckets[h])
	}
	return acc
}

// get returns id's bucket number and whether id is held.
func (t *idTable) get(id ID) (int32, bool) {
	if id == (ID{}) {
		return t.zeroBucket, t.hasZero
	}
	for i := t.home(&id); ; i = (i + 1) & t.mask {
		switch t.keys[i] {
		case id:
			return t.buckets[i], true
		case ID{}:
			return 0, false
		}
	}
}

// put adds id, which must not be held, with bucket number b.
func (t *idTable) put(id ID, b int32) {
	if id == (ID{}) {
		t.hasZero, t.zeroBucket = true, b
		t.n++
		return
	}
	if (t.n+1)*4 > len(t.keys)*3 { // keep the load at most 3/4: short probes for absent ids
		t.grow()
	}
	t.place(id, b)
	t.n++
}

// place writes id into the first free slot from its home.
func (t *idTable) place(id ID, b int32) {
	i := t.home(&id)
	for t.keys[i] != (ID{}) {
		i = (i + 1) & t.mask
	}
	t.keys[i], t.buckets[i] = id, b
}

// grow doubles the table. It rehashes every id at once: at ten million ids that is a pause of
// the order of a second for the one partition that crosses the threshold, once per doubling.
func (t *idTable) grow() {
	keys, buckets := t.keys, t.buckets
	t.alloc(2 * len(keys))
	for i := range keys {
		if keys[i] != (ID{}) {
			t.place(keys[i], buckets[i])
		}
	}
}

// del removes id if held, shifting later members of its cluster back so that every id stays
// reachable from its home without tombstones.
func (t *idTable) del(id ID) bool {
	if id == (ID{}) {
		if !t.hasZero {
			return false
		}
		t.hasZero = false
		t.n--
		return true
	}
	i := t.home(&id)
	for t.keys[i] != id {
		if t.keys[i] == (ID{}) {
			return false
		}
		i = (i + 1) & t.mask
	}
	// i is the hole. Move back each following id whose home is not in (hole, j], i.e. one
	// that would become unreachable if the hole stayed empty.
	for j := (i + 1) & t.mask; t.keys[j] != (ID{}); j = (j + 1) & t.mask {
		h := t.home(&t.keys[j])
		if (j-h)&t.mask >= (j-i)&t.mask {
			t.keys[i], t.buckets[i] = t.keys[j], t.buckets[j]
			i = j
		}
	}
	t.keys[i], t.buckets[i] = ID{}, 0
	t.n--
	return true
}

// len is the number of ids held.
func (t *idTable) len() int { return t.n }
