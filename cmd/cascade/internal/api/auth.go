package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Role is what an API key may do.
type Role string

// The roles. Partner roles (vendor, distributor, reseller) act for one partner account and see
// its subtree of the channel; finance, analyst and admin see every account (finance moves
// money, analyst only reads, admin also moderates the catalog and manages accounts).
const (
	RoleVendor      Role = "vendor"
	RoleDistributor Role = "distributor"
	RoleReseller    Role = "reseller"
	RoleFinance     Role = "finance"
	RoleAnalyst     Role = "analyst"
	RoleAdmin       Role = "admin"
)

// Roles lists every role, for validation and docs.
func Roles() []Role {
	return []Role{RoleVendor, RoleDistributor, RoleReseller, RoleFinance, RoleAnalyst, RoleAdmin}
}

// IsPartner says whether the role is scoped to a partner account.
func (r Role) IsPartner() bool {
	return r == RoleVendor || r == RoleDistributor || r == RoleReseller
}

// Principal is who a request acts as: the key's name (for audit and logs), its role and, for a
// partner role, the partner account id.
type Principal struct {
	Name    string
	Role    Role
	Partner string
}

// Actor is the string written as the actor of ledger events the request causes.
func (p Principal) Actor() string {
	if p.Partner != "" {
		return "api:" + p.Name + "@" + p.Partner
	}
	return "api:" + p.Name
}

// Key is one configured API key: never the key itself, only its SHA-256 (64 hex digits).
type Key struct {
	Name    string `yaml:"name" json:"name"`
	SHA256  string `yaml:"sha256" json:"sha256"`
	Role    Role   `yaml:"role" json:"role"`
	Partner string `yaml:"partner,omitempty" json:"partner,omitempty"`
}

// Keyring authenticates bearer keys against their configured hashes.
type Keyring struct {
	hashes [][32]byte
	keys   []Key
}

// NewKeyring checks every key (name, hash, role, partner for partner roles, no duplicate
// hash or name) and reports all problems, each with its index.
func NewKeyring(keys []Key) (*Keyring, error) {
	k := &Keyring{}
	var problems []string
	names := map[string]bool{}
	seen := map[[32]byte]bool{}
	for i, key := range keys {
		at := fmt.Sprintf("api_keys[%d]", i)
		var sum [32]byte
		b, err := hex.DecodeString(key.SHA256)
		switch {
		case key.Name == "":
			problems = append(problems, at+".name: required")
		case names[key.Name]:
			problems = append(problems, fmt.Sprintf("%s.name: %q used twice", at, key.Name))
		}
		names[key.Name] = true
		if err != nil || len(b) != 32 {
			problems = append(problems, at+".sha256: want the key's SHA-256 as 64 hex digits")
		} else {
			copy(sum[:], b)
			if seen[sum] {
				problems = append(problems, at+".sha256: the same key is configured twice")
			}
			seen[sum] = true
		}
		if !slices.Contains(Roles(), key.Role) {
			problems = append(problems, fmt.Sprintf("%s.role: %q is not one of %v", at, key.Role, Roles()))
		} else if key.Role.IsPartner() && key.Partner == "" {
			problems = append(problems, fmt.Sprintf("%s.partner: required for role %s", at, key.Role))
		} else if !key.Role.IsPartner() && key.Partner != "" {
			problems = append(problems, fmt.Sprintf("%s.partner: role %s is not scoped to a partner", at, key.Role))
		}
		k.hashes = append(k.hashes, sum)
		k.keys = append(k.keys, key)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("api keys: %s", strings.Join(problems, "; "))
	}
	return k, nil
}

// Authenticate returns the principal of the request's bearer key. Every hash is compared in
// constant time and the loop never stops early.
func (k *Keyring) Authenticate(r *http.Request) (Principal, bool) {
	scheme, key, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return Principal{}, false
	}
	key = strings.TrimSpace(key)
	if key == "" {
		return Principal{}, false
	}
	sum := sha256.Sum256([]byte(key))
	found := -1
	for i := range k.hashes {
		if subtle.ConstantTimeCompare(sum[:], k.hashes[i][:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return Principal{}, false
	}
	c := k.keys[found]
	return Principal{Name: c.Name, Role: c.Role, Partner: c.Partner}, true
}

// VendorKeys returns the vendor keys as the connector wants them (hash → vendor id), so one
// key file configures both the API and POST /v1/usage.
func (k *Keyring) VendorKeys() map[string]string {
	out := map[string]string{}
	for _, c := range k.keys {
		if c.Role == RoleVendor {
			out[strings.ToLower(c.SHA256)] = c.Partner
		}
	}
	return out
}
