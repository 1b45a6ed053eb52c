package mediation

import (
	"encoding/binary"
	"encoding/hex"
	"math/bits"
)

// ID is a deterministic 128-bit row id. A usage row's id is derived from (source, event id) and
// a rated delta's from (source, event id, charge), so a redelivered or replayed record produces
// the same ids and the ledger collapses the copies (DESIGN.md invariant 4). It is also the dedup key.
type ID [16]byte

// String formats the id as 32 hex digits.
func (id ID) String() string { return hex.EncodeToString(id[:]) }

// UsageID is the id of the usage row of the event (source, id).
func UsageID(source, id string) ID {
	h := newFNV128()
	h.field(source)
	h.field(id)
	return h.sum()
}

// usageIDs computes usage ids, remembering the hash state after the last source: a partition's
// records mostly come from a few producers, so the source's bytes need not be hashed again for
// every record. Not safe for concurrent use (one per partition).
type usageIDs struct {
	source []byte // a copy: the record's strings live in buffers the next batch overwrites
	valid  bool
	state  fnv128
}

// id equals UsageID(source, id).
func (u *usageIDs) id(source, id string) ID {
	if !u.valid || b2s(u.source) != source {
		h := newFNV128()
		h.field(source)
		u.source, u.state, u.valid = append(u.source[:0], source...), h, true
	}
	h := u.state
	h.field(id)
	return h.sum()
}

// DeltaID is the id of the rated delta the event (source, id) adds to a charge.
func DeltaID(source, id, charge string) ID { return deltaIDFrom(UsageID(source, id), charge) }

// deltaIDFrom continues the usage id's hash with the charge: an FNV id is the hash state, so
// this equals DeltaID(source, id, charge) without hashing source and id again.
func deltaIDFrom(usage ID, charge string) ID {
	h := fnv128{binary.BigEndian.Uint64(usage[:8]), binary.BigEndian.Uint64(usage[8:])}
	h.field(charge)
	return h.sum()
}

// fnv128 is FNV-1a with 128-bit state (the hash/fnv algorithm, inlined so hashing allocates
// nothing and the ids stay stable across processes and Go versions).
type fnv128 struct{ hi, lo uint64 }

const (
	fnvOffsetHi = 0x6c62272e07bb0142
	fnvOffsetLo = 0x62b821756295c58d
	fnvPrimeLo  = 0x13b // the prime is 2^88 + 0x13b
	fnvPrimeSh  = 24    // 2^88 = 2^64 × 2^24
)

func newFNV128() fnv128 { return fnv128{fnvOffsetHi, fnvOffsetLo} }

// field hashes a length-prefixed string, so ("ab","c") and ("a","bc") differ.
func (h *fnv128) field(s string) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(s)))
	for _, c := range n {
		h.byte(c)
	}
	for i := 0; i < len(s); i++ {
		h.byte(s[i])
	}
}

func (h *fnv128) byte(c byte) {
	h.lo ^= uint64(c)
	// (hi·2^64 + lo) × (2^88 + 0x13b) mod 2^128
	s0, s1 := bits.Mul64(fnvPrimeLo, h.lo)
	s0 += h.lo<<fnvPrimeSh + fnvPrimeLo*h.hi
	h.hi, h.lo = s0, s1
}

func (h *fnv128) sum() ID {
	var id ID
	binary.BigEndian.PutUint64(id[:8], h.hi)
	binary.BigEndian.PutUint64(id[8:], h.lo)
	return id
}
