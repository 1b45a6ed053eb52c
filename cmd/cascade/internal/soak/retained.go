package soak

import (
	kafkago "github.com/segmentio/kafka-go"
)

// DedupModel computes how much memory mediation's dedup sets hold by design after n records of
// the load were mediated. Mediation remembers every usage id for its 35-day window, one set per
// raw-topic partition (docs/usage-records.md, Dedup), so under a load of new ids its memory grows
// until the window's first bucket expires — which no soak shorter than 35 days reaches. The
// soak judges what RSS grows beyond that.
//
// The model follows mediation/dedup_table.go and dedup.go: per set, a table of 16-byte keys and
// 4-byte bucket numbers whose slot count is the smallest power of two, at least 256, that keeps
// the load at most 3/4 (it doubles past that), plus 16 bytes per id in its expiry bucket. It
// must change if they do; a dedup-size gauge on /metrics would let the soak read it instead.
type DedupModel struct {
	// PartitionOf maps each subject index of the load (record n goes to Subjects[n%len]) to its
	// raw-topic partition.
	PartitionOf []int
	Partitions  int
}

// NewDedupModel places each subject on its partition as the service's producer does (kafka-go's
// FNV-1a Hash of the scope, which is the account id when no pricing group applies).
func NewDedupModel(subjects []string, partitions int) DedupModel {
	parts := make([]int, partitions)
	for i := range parts {
		parts[i] = i
	}
	m := DedupModel{PartitionOf: make([]int, len(subjects)), Partitions: partitions}
	for i, s := range subjects {
		m.PartitionOf[i] = (&kafkago.Hash{}).Balance(kafkago.Message{Key: []byte(s)}, parts...)
	}
	return m
}

// Bytes is the modelled size of every partition's dedup set after records 1..n were mediated.
func (m DedupModel) Bytes(n int64) int64 {
	if len(m.PartitionOf) == 0 || n <= 0 {
		return 0
	}
	ids := make([]int64, m.Partitions)
	s := int64(len(m.PartitionOf))
	for i, p := range m.PartitionOf {
		// records k in 1..n with k % s == i
		c := n / s
		if i > 0 && int64(i) <= n%s {
			c++
		}
		ids[p] += c
	}
	var total int64
	for _, k := range ids {
		slots := int64(256)
		for k*4 > slots*3 {
			slots *= 2
		}
		total += 20*slots + 16*k
	}
	return total
}
