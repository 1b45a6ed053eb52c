package billing

import "errors"

// Error kinds, checked with errors.Is. Every error wraps one of them with the field path or the
// ids involved, e.g. `change plan of subscription S1: plan "api-eur" is in EUR, the account pays
// in JPY: currency mismatch`.
var (
	// ErrNotFound: an unknown account, subscription, plan, invoice...
	ErrNotFound = errors.New("not found")
	// ErrInvalid: a command or input with a missing or malformed field.
	ErrInvalid = errors.New("invalid")
	// ErrConflict: the command does not fit the current state (cancel a cancelled subscription,
	// void a paid invoice, an id that already exists).
	ErrConflict = errors.New("conflict")
	// ErrCurrencyMismatch: a plan, price list or document in another currency than the account's.
	ErrCurrencyMismatch = errors.New("currency mismatch")
	// ErrBackdated: a change dated before the last issued invoice that covers it.
	ErrBackdated = errors.New("backdated before an issued invoice")
	// ErrUnsupported: something the engine does not do yet; the message says what.
	ErrUnsupported = errors.New("unsupported")
)
