package chaos

import (
	"fmt"
	"strconv"
	"time"
)

// Knobs size a run. `make test` runs the reduced default; CASCADE_CHAOS=full (`make chaos`) the
// full one. CASCADE_CHAOS_SEED replays a run: every random choice (the stream, kill moments)
// derives from Seed, which the suites log.
type Knobs struct {
	Full bool
	// Kills is how many SIGKILLs the test sends at random moments; SelfKills how many crashes
	// the fault hook causes right after a ledger write; CycleKills how many kills hit a cycle.
	Kills, SelfKills, CycleKills int
	// Outages and OutageLength are for the outage suite (ClickHouse paused or stopped).
	Outages      int
	OutageLength time.Duration
	// Chunk is how many records are produced between two kills.
	Chunk int
	Seed  uint64
}

// LoadKnobs reads CASCADE_CHAOS and CASCADE_CHAOS_SEED through getenv (os.Getenv in tests).
// An unknown mode or a malformed seed is an error, never a silent default.
func LoadKnobs(getenv func(string) string) (Knobs, error) {
	k := Knobs{Kills: 5, SelfKills: 2, CycleKills: 1, Outages: 1, OutageLength: 10 * time.Second, Chunk: 800}
	switch mode := getenv("CASCADE_CHAOS"); mode {
	case "", "reduced":
	case "full":
		k = Knobs{Full: true, Kills: 100, SelfKills: 10, CycleKills: 3, Outages: 10, OutageLength: 60 * time.Second, Chunk: 800}
	default:
		return k, fmt.Errorf("chaos: CASCADE_CHAOS=%q: want full, reduced or empty", mode)
	}
	k.Seed = uint64(time.Now().UnixNano())
	if s := getenv("CASCADE_CHAOS_SEED"); s != "" {
		seed, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return k, fmt.Errorf("chaos: CASCADE_CHAOS_SEED=%q: %w", s, err)
		}
		k.Seed = seed
	}
	return k, nil
}

// Records is the stream length the kill suite needs: a chunk per kill, plus one to finish.
func (k Knobs) Records() int { return (k.Kills + k.SelfKills + 1) * k.Chunk }
