package billing

import (
	"fmt"

	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// PlatformFee is the marketplace operator's cut (Config.PlatformFee): Percent of every customer
// line's net, taken before the vendor's share. In the split it is one more level after the
// chain: the level that keeps the rest (the vendor, or the first level without channel terms)
// pays the platform its fee, so the vendor's margin is what is left after it and the shares
// still sum exactly to the line. Posted like any level's cost (cost_of_sales of the payer,
// revenue of the platform, channel payable/receivable between them).
type PlatformFee struct {
	// Account is the platform operator's billing account (any kind but customer); it must
	// exist when a document is split.
	Account string
	// Percent of each line's net, 0 to 100.
	Percent decimal.Decimal
}

// Validate checks the percent; the account is looked up when a document is split.
func (f *PlatformFee) Validate() error {
	switch {
	case f.Account == "":
		return fmt.Errorf("platform_fee.account: required: %w", ErrInvalid)
	case f.Percent.IsNegative() || f.Percent.GreaterThan(decimal.NewFromInt(100)):
		return fmt.Errorf("platform_fee.percent: %s: must be between 0 and 100: %w", f.Percent.String(), ErrInvalid)
	}
	return nil
}

// PlatformLevel is the platform as a level of one split: its party and fee percent.
type PlatformLevel struct {
	Party   Party
	Percent decimal.Decimal
}

// platformCost is the fee on one line: the net split by largest remainder into (100 − p) and p
// parts (rating.Allocate), so the fee and what remains add up to the net exactly, and a credit
// line's fee mirrors its charge's.
func platformCost(net, percent decimal.Decimal, cur rating.Currency) decimal.Decimal {
	hundred := decimal.NewFromInt(100)
	parts, err := rating.Allocate(net, []decimal.Decimal{hundred.Sub(percent), percent}, cur)
	if err != nil { // only for a net not in the minor unit, which CheckTotals rules out
		return cur.Round(net.Mul(percent).Div(hundred), rating.RoundHalfUp)
	}
	return parts[1]
}

// platformLevel resolves Config.PlatformFee for a split at t: nil when no fee is configured.
// Called with the lock held.
func (s *Service) platformLevel(inv *Invoice) (*PlatformLevel, error) {
	f := s.cfg.PlatformFee
	if f == nil {
		return nil, nil
	}
	if err := f.Validate(); err != nil {
		return nil, fmt.Errorf("split of %s: %w", inv.Number, err)
	}
	a, ok := s.state.AccountAt(f.Account, inv.Boundary)
	if !ok {
		if a, ok = s.state.Account(f.Account); !ok {
			return nil, fmt.Errorf("split of %s: platform_fee.account %q: %w", inv.Number, f.Account, ErrNotFound)
		}
	}
	if a.Kind == KindCustomer {
		return nil, fmt.Errorf("split of %s: platform_fee.account %q is a customer: %w", inv.Number, f.Account, ErrInvalid)
	}
	return &PlatformLevel{Party: PartyOf(a), Percent: f.Percent}, nil
}
