package connector

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"
)

// keyring authenticates API keys against their configured SHA-256 hashes.
type keyring struct {
	hashes  [][32]byte
	vendors []string
}

func newKeyring(keys map[string]string) *keyring {
	k := &keyring{}
	for h, vendor := range keys {
		var sum [32]byte
		b, _ := hex.DecodeString(h) // checked by Config.Validate
		copy(sum[:], b)
		k.hashes = append(k.hashes, sum)
		k.vendors = append(k.vendors, vendor)
	}
	return k
}

// vendor returns the vendor the request's bearer key authenticates. Every configured hash is
// compared in constant time and the loop never stops early, so the time taken says nothing
// about which key, or how much of one, matched.
func (k *keyring) vendor(r *http.Request) (string, bool) {
	scheme, key, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	key = strings.TrimSpace(key)
	if key == "" {
		return "", false
	}
	sum := sha256.Sum256([]byte(key))
	found := -1
	for i := range k.hashes {
		if subtle.ConstantTimeCompare(sum[:], k.hashes[i][:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return "", false
	}
	return k.vendors[found], true
}
