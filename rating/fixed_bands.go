package rating

// fixedBand is a band in Fixed arithmetic, for the fast forms of the tiered models.
type fixedBand struct {
	lower, upper Fixed
	bounded      bool
	unit, fee    Fixed
}

// newFixedBands converts bands to Fixed; nil when any value does not fit exactly, in which case
// the model has no fast form and DeltaFixed always reports ok=false.
func newFixedBands(bands []band) []fixedBand {
	out := make([]fixedBand, len(bands))
	for i, b := range bands {
		vals, ok := fixedParams(b.lower, b.upper, b.unit, b.fee)
		if !ok {
			return nil
		}
		out[i] = fixedBand{lower: vals[0], upper: vals[1], bounded: b.bounded, unit: vals[2], fee: vals[3]}
	}
	return out
}

// reachedFixed returns the index of the band with lower < q ≤ upper, or -1 when q ≤ 0.
func reachedFixed(bands []fixedBand, q Fixed) int {
	if q <= 0 {
		return -1
	}
	for i := range bands {
		if !bands[i].bounded || q <= bands[i].upper {
			return i
		}
	}
	return len(bands) - 1
}
