package ledger

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
)

// DeterministicID derives an id from the natural key of what it identifies, so a replay
// produces the same id. It is kind + "_" + 128 bits of SHA-256 over the length-prefixed parts:
// length prefixes keep ("ab","c") and ("a","bc") apart, and 128 bits keep collisions negligible
// at billions of rows (a 64-bit hash would not).
func DeterministicID(kind string, parts ...string) string {
	h := sha256.New()
	var n [8]byte
	for _, p := range parts {
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write([]byte(p))
	}
	sum := h.Sum(nil)
	return kind + "_" + hex.EncodeToString(sum[:16])
}
