package rating

// percentFixed is the fast form of a percentage model's parameters.
type percentFixed struct {
	percent  Fixed
	bands    []fixedBand // nil without tiers
	min, max Fixed
	hasMin   bool
	hasMax   bool
}

// percentDiv turns slice × percent (both scaled by 10^9) into a Fixed fee: /10^9 for the scale and
// /100 for the percent.
const percentDiv = fixedOne * 100

// newPercentFixed converts m's parameters; ok=false leaves m without a fast form.
func newPercentFixed(m *percentageModel) (percentFixed, bool) {
	var pf percentFixed
	var ok bool
	if pf.percent, ok = FixedFromDecimal(m.percent); !ok {
		return pf, false
	}
	if len(m.bands) > 0 {
		if pf.bands = newFixedBands(m.bands); pf.bands == nil {
			return pf, false
		}
	}
	if m.min != nil {
		if pf.min, ok = FixedFromDecimal(*m.min); !ok {
			return pf, false
		}
		pf.hasMin = true
	}
	if m.max != nil {
		if pf.max, ok = FixedFromDecimal(*m.max); !ok {
			return pf, false
		}
		pf.hasMax = true
	}
	return pf, true
}

// DeltaFixed is Delta in Fixed arithmetic, for before ≥ 0 and q ≥ 0: the fee of a transaction of
// amount q after `before` was transacted in the period.
func (m *percentageModel) DeltaFixed(before, q Fixed) (Fixed, bool) {
	f := &m.fx
	if !m.fast || before < 0 || q < 0 {
		return 0, false
	}
	if q == 0 {
		return 0, true
	}
	var pct, fees Fixed
	var ok bool
	if f.bands == nil {
		if pct, ok = mulDiv(q, f.percent, percentDiv); !ok {
			return 0, false
		}
	} else {
		after, ok := AddFixed(before, q)
		if !ok {
			return 0, false
		}
		for i := range f.bands {
			b := &f.bands[i]
			if b.bounded && b.upper <= before {
				continue
			}
			if after <= b.lower {
				break
			}
			lo, hi := max(before, b.lower), after
			if b.bounded && b.upper < hi {
				hi = b.upper
			}
			part, ok := mulDiv(hi-lo, b.unit, percentDiv)
			if !ok {
				return 0, false
			}
			if pct, ok = AddFixed(pct, part); !ok {
				return 0, false
			}
			if before <= b.lower {
				if fees, ok = AddFixed(fees, b.fee); !ok {
					return 0, false
				}
			}
		}
	}
	if f.hasMin && pct < f.min {
		pct = f.min
	}
	if f.hasMax && pct > f.max {
		pct = f.max
	}
	return AddFixed(pct, fees)
}
