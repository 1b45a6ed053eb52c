package ledger

import (
	"fmt"
	"time"
)

// Validate checks that the period is set, ordered and storable.
func (p Period) Validate() error {
	if msg := checkTime(p.From); msg != "" {
		return fmt.Errorf("period.from: %s: %w", msg, ErrInvalid)
	}
	if msg := checkTime(p.To); msg != "" {
		return fmt.Errorf("period.to: %s: %w", msg, ErrInvalid)
	}
	if !p.From.Before(p.To) {
		return fmt.Errorf("period: from %s is not before to %s: %w", p.From.Format(time.RFC3339), p.To.Format(time.RFC3339), ErrInvalid)
	}
	return nil
}

// Validate checks that exactly one of Account and PricingGroup is set and the period is valid.
func (q UsageQuery) Validate() error {
	if (q.Account == "") == (q.PricingGroup == "") {
		return fmt.Errorf("usage query: exactly one of account and pricing_group must be set: %w", ErrInvalid)
	}
	return q.Period.Validate()
}

// Validate checks that the account and period are set.
func (q ConsumptionQuery) Validate() error {
	if q.Account == "" {
		return fmt.Errorf("consumption query: account is required: %w", ErrInvalid)
	}
	return q.Period.Validate()
}

// Validate checks that AsOf is storable.
func (q BalanceQuery) Validate() error {
	if msg := checkTime(q.AsOf); msg != "" {
		return fmt.Errorf("balance query: as_of: %s: %w", msg, ErrInvalid)
	}
	return nil
}

// Validate checks that the party and period are set.
func (q JournalQuery) Validate() error {
	if q.Party == "" {
		return fmt.Errorf("journal query: party is required: %w", ErrInvalid)
	}
	return q.Period.Validate()
}

// Validate checks the period and limit.
func (q RejectQuery) Validate() error {
	if q.Limit < 0 {
		return fmt.Errorf("reject query: limit %d is negative: %w", q.Limit, ErrInvalid)
	}
	return q.Period.Validate()
}

// Validate checks the period.
func (q AuditQuery) Validate() error { return q.Period.Validate() }
