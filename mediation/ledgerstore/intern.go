package ledgerstore

import (
	"slices"
	"strings"
)

// interner copies the strings of one batch that repeat from row to row (source, meter,
// account, subscription, plan, charge, attribute keys and values, channel chains) once per
// batch instead of once per row: the batch's strings point into buffers the pipeline reuses,
// so everything handed to the ledger must be a copy, and a copy per field per row was most of
// the adapter's allocations. Not safe for concurrent use: one per Write.
type interner struct {
	strs   map[string]string
	plans  map[planKey]string
	chains map[string][]string
}

type planKey struct {
	id      string
	version int
}

func newInterner() *interner {
	return &interner{strs: map[string]string{}, plans: map[planKey]string{}, chains: map[string][]string{}}
}

// str returns a copy of s that does not alias the batch, shared by equal values.
func (in *interner) str(s string) string {
	if s == "" {
		return ""
	}
	if c, ok := in.strs[s]; ok {
		return c
	}
	c := strings.Clone(s)
	in.strs[c] = c
	return c
}

// plan returns PlanVersion(id, version), built once per batch.
func (in *interner) plan(id string, version int) string {
	if p, ok := in.plans[planKey{id, version}]; ok {
		return p
	}
	p := PlanVersion(id, version)
	in.plans[planKey{in.str(id), version}] = p
	return p
}

// chain returns a copy of a channel chain, shared by the rows with the same chain. Ledger
// backends only read the rows they are given (MemStore copies the slice; the ClickHouse
// backends encode it during the call).
func (in *interner) chain(c []string) []string {
	if len(c) == 0 {
		return nil
	}
	key := strings.Join(c, "\x00")
	if v, ok := in.chains[key]; ok {
		return v
	}
	v := slices.Clone(c)
	for i := range v {
		v[i] = in.str(v[i])
	}
	in.chains[key] = v
	return v
}
