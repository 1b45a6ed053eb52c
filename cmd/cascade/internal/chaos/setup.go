package chaos

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// SetupChannel creates, over POST /v1/accounts and POST /v1/subscriptions with the admin key,
// the channel v1 → d1 (10 % margin) → r1 and r2 (20 %), and each customer (billing day 1, DE,
// EUR) under r1 or r2 in turn, subscribed to plan std from start. It is done once per
// scenario: the accounts live in the scenario's ledger.
func SetupChannel(tb testing.TB, in *Instance, customers []string, start time.Time) {
	tb.Helper()
	accounts := []string{
		`{"id":"v1","kind":"vendor","name":"Vendor One","currency":"EUR","tax_jurisdiction":"DE"}`,
		`{"id":"d1","kind":"distributor","parent":"v1","name":"Dist","currency":"EUR","tax_jurisdiction":"DE","margin_percent":"10"}`,
		`{"id":"r1","kind":"reseller","parent":"d1","name":"Reseller One","currency":"EUR","tax_jurisdiction":"DE","margin_percent":"20"}`,
		`{"id":"r2","kind":"reseller","parent":"d1","name":"Reseller Two","currency":"EUR","tax_jurisdiction":"DE","margin_percent":"20"}`,
	}
	for i, c := range customers {
		accounts = append(accounts, fmt.Sprintf(`{"id":%q,"kind":"customer","parent":"r%d","name":"Customer %s","currency":"EUR","tax_jurisdiction":"DE","billing_day":1,"payment_terms_days":30}`,
			c, 1+i%2, c))
	}
	for _, a := range accounts {
		in.Call(tb, "POST", "/v1/accounts", "admin", []byte(a), http.StatusCreated, nil)
	}
	for _, c := range customers {
		body := fmt.Sprintf(`{"id":"sub-%s","account":%q,"plan_id":"std","start":%q}`, c, c, start.UTC().Format(time.RFC3339))
		in.Call(tb, "POST", "/v1/subscriptions", "admin", []byte(body), http.StatusCreated, nil)
	}
}
