package soak_test

import (
	"testing"

	"github.com/cascade-billing/cascade/cmd/cascade/internal/soak"
)

func TestDedupModel(t *testing.T) {
	one := soak.DedupModel{PartitionOf: []int{0}, Partitions: 1}
	tests := []struct {
		name  string
		model soak.DedupModel
		n     int64
		want  int64
	}{
		{"nothing mediated", one, 0, 0},
		{"the smallest table, full to 3/4", one, 192, 20*256 + 16*192},
		{"one more id doubles it", one, 193, 20*512 + 16*193},
		// docs/usage-records.md measures ≈ 58 bytes per id at 1M ids (BenchmarkDedupMemory).
		{"a million ids", one, 1_000_000, 20*(1<<21) + 16*1_000_000},
		// records 1..10 over subjects by k%3: index 0 gets 3, 1 gets 4, 2 gets 3; on partitions
		// 0, 1, 1 that is 3 and 7 ids, each in a smallest table.
		{"ids split by partition", soak.DedupModel{PartitionOf: []int{0, 1, 1}, Partitions: 2}, 10, 2*20*256 + 16*10},
		{"no subjects", soak.DedupModel{Partitions: 4}, 10, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.model.Bytes(tt.n); got != tt.want {
				t.Errorf("Bytes(%d) = %d, want %d", tt.n, got, tt.want)
			}
		})
	}
}

// TestNewDedupModel checks that subjects land on valid partitions and that the placement is
// the producer's hash, not an even spread: the same subjects always map the same way.
func TestNewDedupModel(t *testing.T) {
	subjects := []string{"c0000", "c0001", "c0002", "c0003", "c0004", "c0005", "c0006", "c0007"}
	a, b := soak.NewDedupModel(subjects, 4), soak.NewDedupModel(subjects, 4)
	used := map[int]bool{}
	for i, p := range a.PartitionOf {
		if p < 0 || p >= 4 || p != b.PartitionOf[i] {
			t.Fatalf("subject %s on partition %d (again: %d)", subjects[i], p, b.PartitionOf[i])
		}
		used[p] = true
	}
	if len(used) < 2 {
		t.Errorf("8 subjects all on one partition: %v", a.PartitionOf)
	}
}
