package billing

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/rating"
)

// maxIDLen bounds account and subscription ids: they end up in aggregate names, invoice ids
// and, through the numbering pattern, in printed invoice numbers.
const maxIDLen = 64

// validID checks an account or subscription id: 1..64 of A-Z a-z 0-9 . _ -, so that it is safe
// in aggregate names ("account:<id>"), file names and invoice numbers.
func validStateID(what, id string) error {
	if id == "" {
		return fmt.Errorf("%s: required: %w", what, ErrInvalid)
	}
	if len(id) > maxIDLen {
		return fmt.Errorf("%s %q: longer than %d characters: %w", what, id, maxIDLen, ErrInvalid)
	}
	for _, r := range id {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-'
		if !ok {
			return fmt.Errorf("%s %q: want letters, digits, '.', '_' or '-': %w", what, id, ErrInvalid)
		}
	}
	return nil
}

// CreateAccount validates a new account and returns its "created" event.
func (s *State) CreateAccount(a Account, at time.Time, actor string) ([]ledger.Event, error) {
	if err := validStateID("account: id", a.ID); err != nil {
		return nil, err
	}
	if _, ok := s.accounts[a.ID]; ok {
		return nil, fmt.Errorf("account %s: id: already exists: %w", a.ID, ErrConflict)
	}
	if err := s.validateAccount(&a); err != nil {
		return nil, err
	}
	ev, err := newStateEvent(AccountAggregate+a.ID, 1, EventCreated, at, at, actor, a)
	if err != nil {
		return nil, fmt.Errorf("account %s: %w", a.ID, err)
	}
	return []ledger.Event{ev}, nil
}

// UpdateAccount replaces an account's fields and returns its "updated" event (none when
// nothing changed). The kind never changes (the channel below it relies on it), and neither
// does the currency once the account has subscriptions: they bill in it. Every field is checked
// again, so an account whose jurisdiction the tax rules have lost is updated only together with
// a jurisdiction they have (UseTaxRules).
func (s *State) UpdateAccount(a Account, at time.Time, actor string) ([]ledger.Event, error) {
	old, ok := s.accounts[a.ID]
	if !ok {
		return nil, fmt.Errorf("account %s: %w", a.ID, ErrNotFound)
	}
	if a.Kind != old.Kind {
		return nil, fmt.Errorf("account %s: kind: cannot change from %s to %s: %w", a.ID, old.Kind, a.Kind, ErrConflict)
	}
	if a.Currency != old.Currency && len(s.subsOf[a.ID]) > 0 {
		return nil, fmt.Errorf("account %s: currency: cannot change from %s to %s, it has %d subscriptions: %w",
			a.ID, old.Currency, a.Currency, len(s.subsOf[a.ID]), ErrConflict)
	}
	if err := s.validateAccount(&a); err != nil {
		return nil, err
	}
	if reflect.DeepEqual(*old, a) {
		return nil, nil
	}
	ev, err := newStateEvent(AccountAggregate+a.ID, s.accountSeq[a.ID]+1, EventUpdated, at, at, actor, a)
	if err != nil {
		return nil, fmt.Errorf("account %s: %w", a.ID, err)
	}
	return []ledger.Event{ev}, nil
}

// UseTaxRules makes account commands (CreateAccount, UpdateAccount) refuse a tax_jurisdiction
// that r has no rule for. Without it every invoice of such a buyer would fail in every cycle
// (Treatment refuses an unknown jurisdiction), and finance would learn it at cycle time rather
// than at data entry. The Service calls it on every load with its Config.Taxes. A State without
// tax rules (r nil, as in unit tests of the state alone) only checks the code is non-empty.
//
// Replaying events (Apply) never checks: an account recorded with a jurisdiction the rules no
// longer have still loads, and the cycle fails only that buyer, naming it.
func (s *State) UseTaxRules(r *TaxRules) { s.taxes = r }

// maxKnownListed bounds how many known jurisdiction codes an error lists: enough for the usual
// rules file, short enough to read in one API error message.
const maxKnownListed = 12

// checkJurisdiction reports a code the state's tax rules have no rule for, listing the known
// codes (or how many there are, when many) so the caller can pick the right one.
func (s *State) checkJurisdiction(code string) error {
	if s.taxes == nil {
		return nil
	}
	if _, ok := s.taxes.Jurisdictions[code]; ok {
		return nil
	}
	known := make([]string, 0, len(s.taxes.Jurisdictions))
	for k := range s.taxes.Jurisdictions {
		known = append(known, k)
	}
	sort.Strings(known)
	switch {
	case len(known) == 0:
		return fmt.Errorf("%q is not in the tax rules (they have no jurisdiction)", code)
	case len(known) > maxKnownListed:
		return fmt.Errorf("%q is not in the tax rules (%d jurisdictions known, e.g. %s, ...)",
			code, len(known), strings.Join(known[:maxKnownListed], ", "))
	}
	return fmt.Errorf("%q is not in the tax rules (known: %s)", code, strings.Join(known, ", "))
}

// maxPaymentTermsDays bounds payment terms (ten years, beyond any real terms). Unbounded terms
// put an invoice's due date past year 9999, where its snapshot does not encode: the invoice
// cycle then failed for every buyer and later requests answered 500 (found while fuzzing the
// API's bodies; cmd/cascade/internal/api TestFuzzFoundPaymentTermsBounded).
const maxPaymentTermsDays = 3650

// validateAccount checks every field but the id's uniqueness, naming the field in the error.
func (s *State) validateAccount(a *Account) error {
	fail := func(field, format string, kind error, args ...any) error {
		return fmt.Errorf("account %s: %s: %s: %w", a.ID, field, fmt.Sprintf(format, args...), kind)
	}
	if strings.TrimSpace(a.Name) == "" {
		return fail("name", "required", ErrInvalid)
	}
	if _, err := rating.LookupCurrency(a.Currency); err != nil {
		return fail("currency", "%v", ErrInvalid, err)
	}
	if a.BillingDay < 0 || a.BillingDay > 28 {
		return fail("billing_day", "%d: want 0 (anniversary) or 1..28", ErrInvalid, a.BillingDay)
	}
	if a.PaymentTermsDays < 0 || a.PaymentTermsDays > maxPaymentTermsDays {
		return fail("payment_terms_days", "%d: want 0 to %d", ErrInvalid, a.PaymentTermsDays, maxPaymentTermsDays)
	}
	if strings.TrimSpace(a.TaxJurisdiction) == "" {
		return fail("tax_jurisdiction", "required (taxes are computed per jurisdiction)", ErrInvalid)
	}
	if err := s.checkJurisdiction(a.TaxJurisdiction); err != nil {
		return fail("tax_jurisdiction", "%v", ErrInvalid, err)
	}
	if a.PriceList != "" {
		if s.cat == nil {
			return fail("price_list", "no catalog to check %q against", ErrInvalid, a.PriceList)
		}
		if _, ok := s.cat.PriceList(a.PriceList); !ok {
			return fail("price_list", "%q is not in the catalog", ErrNotFound, a.PriceList)
		}
	}
	// A pattern is checked here, not when the first number is drawn: a bad one would otherwise
	// be accepted and then halt the invoice cycle of every buyer the account issues to.
	for _, p := range []struct{ field, pattern string }{{"invoice_pattern", a.InvoicePattern}, {"credit_note_pattern", a.CreditNotePattern}} {
		if p.pattern == "" {
			continue // the default pattern
		}
		if err := ValidatePattern(p.pattern); err != nil {
			return fail(p.field, "%v", ErrInvalid, err)
		}
	}
	for i, c := range a.Contacts {
		if c.Email != "" && !strings.Contains(c.Email, "@") {
			return fail(fmt.Sprintf("contacts[%d].email", i), "%q is not an e-mail address", ErrInvalid, c.Email)
		}
	}
	return s.validateParent(a)
}
