package rating

import (
	"fmt"
	"sort"

	"github.com/shopspring/decimal"
)

// PoolMember is one account of a pricing group (pooled tiers) with its period quantity.
type PoolMember struct {
	ID       string
	Quantity decimal.Decimal
}

// PoolShare is a member's part of the group charge: its quantity and its allocated amount.
type PoolShare struct {
	ID       string
	Quantity decimal.Decimal
	Amount   decimal.Decimal
}

// PoolResult is the charge of a pricing group for one period.
type PoolResult struct {
	Total  decimal.Decimal // the group's total quantity
	Exact  decimal.Decimal // Price(Total), unrounded
	Amount decimal.Decimal // Exact rounded once, at the group line
	Shares []PoolShare     // sorted by member ID; amounts sum exactly to Amount
	Parts  []Part          // Explain(Total)
}

// PoolCharge prices a group as one customer: the group's total quantity reaches the tiers (three
// members of 400 reach a tier starting above 1000 that none reaches alone), the group amount is
// rounded once at the group line, and that amount is allocated to members pro rata to their
// quantities by largest remainder, ties to the lower member ID. The result does not depend on
// the order of members. If every member used nothing but the model still charges (flat), the
// amount is split equally.
func PoolCharge(m Model, members []PoolMember, c Currency, mode RoundingMode) (PoolResult, error) {
	if m == nil {
		return PoolResult{}, fmt.Errorf("pool charge: nil model")
	}
	sorted := make([]PoolMember, len(members))
	copy(sorted, members)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].ID < sorted[j].ID })

	total := decimal.Zero
	weights := make([]decimal.Decimal, len(sorted))
	anyUsage := false
	for i, mb := range sorted {
		if i > 0 && mb.ID == sorted[i-1].ID {
			return PoolResult{}, fmt.Errorf("pool charge: member %q appears twice; sum its quantities first", mb.ID)
		}
		if mb.Quantity.IsNegative() {
			return PoolResult{}, fmt.Errorf("pool charge: member %q: quantity %s is negative", mb.ID, mb.Quantity)
		}
		total = total.Add(mb.Quantity)
		weights[i] = mb.Quantity
		anyUsage = anyUsage || mb.Quantity.IsPositive()
	}
	if !anyUsage {
		for i := range weights {
			weights[i] = decimal.NewFromInt(1)
		}
	}
	exact := m.Price(total)
	amount := c.Round(exact, mode)
	amounts, err := Allocate(amount, weights, c)
	if err != nil {
		return PoolResult{}, fmt.Errorf("pool charge of %d members: %w", len(sorted), err)
	}
	shares := make([]PoolShare, len(sorted))
	for i, mb := range sorted {
		shares[i] = PoolShare{ID: mb.ID, Quantity: mb.Quantity, Amount: amounts[i]}
	}
	return PoolResult{Total: total, Exact: exact, Amount: amount, Shares: shares, Parts: m.Explain(total)}, nil
}
