package ledger

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Transaction is one double-entry journal transaction. It is immutable: a correction is a new
// transaction that reverses the old one. Its ID is deterministic (derived from what caused it,
// e.g. the invoice id and purpose), so writing it twice stores it once.
type Transaction struct {
	ID          string
	Time        time.Time // booking time; balances "as of" compare against it
	Kind        string    // invoice, payment, credit_note, revenue_split, ...
	Description string
	Entries     []Entry
}

// Entry is one leg of a transaction. Positive amounts debit the account, negative credit it.
type Entry struct {
	// Account is a three-part code "kind:id:role", e.g. customer:ACME:receivable,
	// reseller:R1:revenue, tax:DE:payable. The first two parts name the party.
	Account   string
	Amount    decimal.Decimal // Decimal(38, 18); normally already rounded to the currency's minor unit
	Currency  string
	InvoiceID string // optional references to what the entry is about
	LineID    string
	EventID   string
}

// Party returns the party part of an account code: "reseller:R1" for "reseller:R1:revenue".
func Party(account string) string {
	if i := strings.LastIndexByte(account, ':'); i >= 0 {
		return account[:i]
	}
	return account
}

// Validate checks the transaction before anything is written: identity, account codes, bounds,
// and that entries sum to zero per currency (an unbalanced transaction is ErrUnbalanced).
func (t *Transaction) Validate() error {
	v := validator{record: "transaction", id: t.ID}
	v.required("id", t.ID)
	v.required("kind", t.Kind)
	v.time("time", t.Time)
	if len(t.Entries) < 2 {
		v.fail(ErrInvalid, "entries", fmt.Sprintf("has %d entries, a transaction needs at least 2", len(t.Entries)))
	}
	sums := make(map[string]decimal.Decimal, 2)
	for i, e := range t.Entries {
		field := "entries[" + itoa(i) + "]"
		if parts := strings.Split(e.Account, ":"); len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
			v.fail(ErrInvalid, field+".account", fmt.Sprintf("account code %q is not kind:id:role", e.Account))
		}
		v.decimal(field+".amount", e.Amount, AmountScale)
		v.currency(field+".currency", e.Currency)
		sums[e.Currency] = sums[e.Currency].Add(e.Amount)
	}
	if v.err == nil {
		currencies := make([]string, 0, len(sums))
		for c, s := range sums {
			if !s.IsZero() {
				currencies = append(currencies, c)
			}
		}
		sort.Strings(currencies)
		for _, c := range currencies {
			v.fail(ErrUnbalanced, "entries", fmt.Sprintf("%s entries sum to %s, not 0", c, sums[c].String()))
		}
	}
	return v.result()
}
