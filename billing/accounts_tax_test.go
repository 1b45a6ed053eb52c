package billing_test

// An account's tax_jurisdiction must be a jurisdiction of the tax rules when it is entered
// (create, update), since every invoice of a buyer without a rule fails in every cycle; history
// recorded before the rules lost a jurisdiction still loads (session 5, H1).

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/billing/billingtest"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/ledgertest"
)

// taxRulesWithout returns the test tax rules (testdata/taxes.yaml) less some jurisdictions:
// the rules after finance removed them, the way a buyer becomes untaxable in real life.
func taxRulesWithout(t *testing.T, codes ...string) *billing.TaxRules {
	t.Helper()
	rules, err := billing.LoadTaxRules("testdata/taxes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out := &billing.TaxRules{Jurisdictions: maps.Clone(rules.Jurisdictions)}
	for _, c := range codes {
		if _, ok := out.Jurisdictions[c]; !ok {
			t.Fatalf("testdata/taxes.yaml has no %s to remove", c)
		}
		delete(out.Jurisdictions, c)
	}
	return out
}

// reopenWithTaxes restarts the world's Service on its ledger with other tax rules (a restart
// after the tax rules file changed) and loads it.
func reopenWithTaxes(w *svcWorld, taxes *billing.TaxRules) error {
	w.t.Helper()
	svc, err := billing.New(billing.Config{Store: w.store, Catalog: w.cat, Taxes: taxes,
		CatalogVersion: "test-1", Now: w.clock.Now, BatchSize: 2})
	if err != nil {
		w.t.Fatal(err)
	}
	if err := svc.Load(context.Background()); err != nil {
		return err
	}
	w.svc = svc
	return nil
}

// accountOf reads an account from the Service's state (a copy; nil when absent).
func accountOf(w *svcWorld, id string) *billing.Account {
	w.t.Helper()
	var out *billing.Account
	if err := w.svc.View(func(st *billing.State) error {
		if a, ok := st.Account(id); ok {
			cp := *a
			out = &cp
		}
		return nil
	}); err != nil {
		w.t.Fatal(err)
	}
	return out
}

func eventCount(t *testing.T, store billing.Store) int {
	t.Helper()
	evs, err := store.Events(context.Background(), ledger.EventQuery{})
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

func TestCreateAccountTaxJurisdictionMustBeInTheRules(t *testing.T) {
	tests := []struct {
		code   string
		substr string // "" : accepted
	}{
		{"DE", ""},
		{"US-CA", ""},
		{"XX", `account N: tax_jurisdiction: "XX" is not in the tax rules (known: DE, FR, GB, JP, US-CA)`},
		{"de", `tax_jurisdiction: "de" is not in the tax rules`},
		{" DE", `tax_jurisdiction: " DE" is not in the tax rules`},
		{"US", `tax_jurisdiction: "US" is not in the tax rules`},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			w := newSvcWorld(t, ledgertest.NewMemStore())
			w.channel(0)
			before := eventCount(t, w.store)
			err := w.svc.Do(context.Background(), svcAccount(billing.Account{ID: "N", Kind: billing.KindCustomer,
				Parent: "R", Name: "New", Currency: "EUR", TaxJurisdiction: tt.code}))
			created := accountOf(w, "N") != nil
			if tt.substr == "" {
				if err != nil || !created {
					t.Fatalf("create with %q: %v (created %v), want it accepted", tt.code, err, created)
				}
				return
			}
			if !errors.Is(err, billing.ErrInvalid) || !strings.Contains(err.Error(), tt.substr) {
				t.Fatalf("err = %v, want ErrInvalid containing %q", err, tt.substr)
			}
			if after := eventCount(t, w.store); created || after != before {
				t.Fatalf("refused create recorded something: account present %v, events %d → %d", created, before, after)
			}
		})
	}
}

func TestUpdateAccountTaxJurisdictionMustBeInTheRules(t *testing.T) {
	base := billing.Account{ID: "N", Kind: billing.KindCustomer, Parent: "R", Name: "New", Currency: "EUR", TaxJurisdiction: "GB"}
	tests := []struct {
		name   string
		rules  []string // jurisdictions removed from the rules before the update (after the create)
		code   string
		substr string // "" : accepted
	}{
		{"to a known code", nil, "DE", ""},
		{"to an unknown code", nil, "XX", `account N: tax_jurisdiction: "XX" is not in the tax rules`},
		{"keeping a code the rules lost", []string{"GB"}, "GB", `account N: tax_jurisdiction: "GB" is not in the tax rules (known: DE, FR, JP, US-CA)`},
		{"away from a code the rules lost", []string{"GB"}, "FR", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newSvcWorld(t, ledgertest.NewMemStore())
			w.channel(0)
			w.do(svcAccount(base))
			if err := reopenWithTaxes(w, taxRulesWithout(t, tt.rules...)); err != nil {
				t.Fatal(err)
			}
			before := eventCount(t, w.store)
			upd := base
			upd.Name, upd.TaxJurisdiction = "Renamed", tt.code
			err := w.svc.Do(context.Background(), svcUpdate(upd))
			got := accountOf(w, "N")
			if tt.substr == "" {
				if err != nil || got.TaxJurisdiction != tt.code {
					t.Fatalf("update to %q: %v (jurisdiction now %q), want it accepted", tt.code, err, got.TaxJurisdiction)
				}
				return
			}
			if !errors.Is(err, billing.ErrInvalid) || !strings.Contains(err.Error(), tt.substr) {
				t.Fatalf("err = %v, want ErrInvalid containing %q", err, tt.substr)
			}
			if after := eventCount(t, w.store); after != before || !reflect.DeepEqual(*got, base) {
				t.Fatalf("refused update changed something: events %d → %d, account %+v", before, after, *got)
			}
		})
	}
}

// TestLoadKeepsAccountsWithUnknownJurisdiction: history is never refused. An account written
// with a code the rules never had (an old ledger) and one whose code the rules dropped both
// load as recorded, and commands on other accounts still work.
func TestLoadKeepsAccountsWithUnknownJurisdiction(t *testing.T) {
	w := newSvcWorld(t, ledgertest.NewMemStore())
	w.channel(0)
	w.do(svcAccount(billing.Account{ID: "G", Kind: billing.KindCustomer, Parent: "R", Name: "Gee", Currency: "EUR", TaxJurisdiction: "GB"}))
	// The old ledger: an event written before the check existed (a State without tax rules
	// builds it, as the service did then).
	old := billing.NewState(w.cat)
	for _, a := range []billing.Account{
		{ID: "V0", Kind: billing.KindVendor, Name: "Old vendor", Currency: "EUR", TaxJurisdiction: "XX"},
	} {
		evs, err := old.CreateAccount(a, billingtest.Day(2026, 1, 1), "test")
		if err != nil {
			t.Fatalf("a state without tax rules refused %s: %v", a.ID, err)
		}
		if err := w.store.WriteEvents(context.Background(), evs); err != nil {
			t.Fatal(err)
		}
	}
	if err := reopenWithTaxes(w, taxRulesWithout(t, "GB")); err != nil {
		t.Fatalf("load with accounts the tax rules do not know: %v", err)
	}
	for id, want := range map[string]string{"G": "GB", "V0": "XX"} {
		if a := accountOf(w, id); a == nil || a.TaxJurisdiction != want {
			t.Errorf("account %s after load: %+v, want jurisdiction %s", id, a, want)
		}
	}
	w.do(svcAccount(billing.Account{ID: "N", Kind: billing.KindCustomer, Parent: "R", Name: "New", Currency: "EUR", TaxJurisdiction: "FR"}))
	if accountOf(w, "N") == nil {
		t.Error("an account with a known code was not created after the load")
	}
}

// TestStateWithoutTaxRulesOnlyRequiresAJurisdiction: a State given no tax rules (unit tests of
// the state alone) keeps the non-empty check only; UseTaxRules turns the rule check on.
func TestStateWithoutTaxRulesOnlyRequiresAJurisdiction(t *testing.T) {
	a := billing.Account{ID: "N", Kind: billing.KindCustomer, Parent: "R", Name: "New", Currency: "EUR", TaxJurisdiction: "XX"}
	tests := []struct {
		name  string
		rules *billing.TaxRules
		want  error
	}{
		{"no rules", nil, nil},
		{"with rules", taxRulesWithout(t), billing.ErrInvalid},
		{"with empty rules", &billing.TaxRules{}, billing.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := billingtest.NewLog(t, billingtest.Catalog(t))
			l.Channel(stT0)
			l.UseTaxRules(tt.rules)
			_, err := l.CreateAccount(a, stT0, "test")
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestUnknownJurisdictionMessageWithManyRules: with many jurisdictions the error lists the
// first few and the count, not the whole rules file.
func TestUnknownJurisdictionMessageWithManyRules(t *testing.T) {
	rules := &billing.TaxRules{Jurisdictions: map[string]billing.TaxJurisdiction{}}
	for i := range 30 {
		code := fmt.Sprintf("U%c-%d", 'A'+i%26, i)
		rules.Jurisdictions[code] = billing.TaxJurisdiction{Code: code, Name: "Tax"}
	}
	l := billingtest.NewLog(t, billingtest.Catalog(t))
	l.UseTaxRules(rules)
	_, err := l.CreateAccount(billing.Account{ID: "V", Kind: billing.KindVendor, Name: "V", Currency: "EUR", TaxJurisdiction: "DE"}, stT0, "test")
	if !errors.Is(err, billing.ErrInvalid) || !strings.Contains(err.Error(), `"DE" is not in the tax rules (30 jurisdictions known, e.g. `) {
		t.Fatalf("err = %v, want the count of known jurisdictions", err)
	}
	if n := len(regexp.MustCompile(`U[A-Z]-[0-9]+`).FindAllString(err.Error(), -1)); n == 0 || n > 12 {
		t.Errorf("the message lists %d codes, want 1 to 12: %v", n, err)
	}
}
