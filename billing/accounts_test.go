package billing_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/billing/billingtest"
)

var stT0 = billingtest.Day(2026, 1, 1)

func TestCreateAccountErrors(t *testing.T) {
	ok := billing.Account{ID: "N", Kind: billing.KindCustomer, Parent: "R", Name: "New", Currency: "EUR", TaxJurisdiction: "DE"}
	tests := []struct {
		name   string
		edit   func(a *billing.Account)
		kind   error
		substr string
	}{
		{"duplicate id", func(a *billing.Account) { a.ID = "C" }, billing.ErrConflict, "account C: id"},
		{"missing id", func(a *billing.Account) { a.ID = "" }, billing.ErrInvalid, "id: required"},
		{"id with a colon", func(a *billing.Account) { a.ID = "a:b" }, billing.ErrInvalid, `"a:b"`},
		{"unknown parent", func(a *billing.Account) { a.Parent = "R9" }, billing.ErrNotFound, "account N: parent: R9 not found"},
		{"customer without parent", func(a *billing.Account) { a.Parent = "" }, billing.ErrInvalid, "parent: required"},
		{"customer under a customer", func(a *billing.Account) { a.Parent = "C" }, billing.ErrInvalid, "parent: customer C cannot sell"},
		{"reseller under a vendor", func(a *billing.Account) { a.Kind, a.Parent = billing.KindReseller, "V" }, billing.ErrInvalid, "parent: vendor V cannot sell to a reseller"},
		{"distributor under a reseller", func(a *billing.Account) { a.Kind = billing.KindDistributor }, billing.ErrInvalid, "parent: reseller R"},
		{"vendor with a parent", func(a *billing.Account) { a.Kind, a.Parent = billing.KindVendor, "V" }, billing.ErrInvalid, "a vendor has no parent"},
		{"unknown kind", func(a *billing.Account) { a.Kind = "partner" }, billing.ErrInvalid, "kind"},
		{"lower-case currency", func(a *billing.Account) { a.Currency = "eur" }, billing.ErrInvalid, "currency"},
		{"unknown currency", func(a *billing.Account) { a.Currency = "XYZ" }, billing.ErrInvalid, "currency"},
		{"billing day 29", func(a *billing.Account) { a.BillingDay = 29 }, billing.ErrInvalid, "billing_day"},
		{"negative billing day", func(a *billing.Account) { a.BillingDay = -1 }, billing.ErrInvalid, "billing_day"},
		{"negative payment terms", func(a *billing.Account) { a.PaymentTermsDays = -1 }, billing.ErrInvalid, "payment_terms_days"},
		{"no name", func(a *billing.Account) { a.Name = " " }, billing.ErrInvalid, "name"},
		{"no tax jurisdiction", func(a *billing.Account) { a.TaxJurisdiction = "" }, billing.ErrInvalid, "tax_jurisdiction"},
		{"bad contact e-mail", func(a *billing.Account) {
			a.Contacts = []billing.Contact{{Name: "x", Email: "a@b"}, {Name: "y", Email: "nope"}}
		}, billing.ErrInvalid, "contacts[1].email"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := billingtest.NewLog(t, billingtest.Catalog(t))
			l.Channel(stT0)
			before := stSnapshot(l.State)
			a := ok
			tt.edit(&a)
			evs, err := l.CreateAccount(a, stT0, "test")
			if !errors.Is(err, tt.kind) || !strings.Contains(err.Error(), tt.substr) {
				t.Fatalf("err = %v, want %v containing %q", err, tt.kind, tt.substr)
			}
			if evs != nil || !reflect.DeepEqual(before, stSnapshot(l.State)) {
				t.Fatalf("a failed command changed something: %d events", len(evs))
			}
		})
	}
}

func TestAccountsAndChannel(t *testing.T) {
	l := billingtest.NewLog(t, billingtest.Catalog(t))
	l.Channel(stT0)
	l.Must(l.CreateAccount(billing.Account{ID: "DC", Kind: billing.KindCustomer, Parent: "D", Name: "Direct", Currency: "USD", TaxJurisdiction: "US-CA"}, stT0, "test"))
	l.Must(l.CreateAccount(billing.Account{ID: "VC", Kind: billing.KindCustomer, Parent: "V", Name: "Vendor direct", Currency: "JPY", TaxJurisdiction: "JP"}, stT0, "test"))

	chains := map[string]string{
		"C":  "vendor:V distributor:D reseller:R customer:C",
		"DC": "vendor:V distributor:D customer:DC",
		"VC": "vendor:V customer:VC",
		"R":  "vendor:V distributor:D reseller:R",
		"V":  "vendor:V",
	}
	for id, want := range chains {
		got, err := l.Chain(id)
		if err != nil || strings.Join(got, " ") != want {
			t.Errorf("Chain(%s) = %v, %v; want %s", id, got, err, want)
		}
	}
	issuers := map[string]string{"C": "R", "DC": "D", "VC": "V", "R": "D", "D": "V"}
	for buyer, want := range issuers {
		got, err := l.Issuer(buyer)
		if err != nil || got.ID != want {
			t.Errorf("Issuer(%s) = %v, %v; want %s", buyer, got, err, want)
		}
	}
	if _, err := l.Issuer("V"); !errors.Is(err, billing.ErrInvalid) {
		t.Errorf("Issuer(vendor) err = %v, want ErrInvalid", err)
	}
	if _, err := l.Issuer("nobody"); !errors.Is(err, billing.ErrNotFound) {
		t.Errorf("Issuer(unknown) err = %v, want ErrNotFound", err)
	}
	if _, err := l.Chain("nobody"); !errors.Is(err, billing.ErrNotFound) {
		t.Errorf("Chain(unknown) err = %v, want ErrNotFound", err)
	}
	var ids []string
	for _, a := range l.Accounts() {
		ids = append(ids, a.ID)
	}
	if strings.Join(ids, ",") != "C,D,DC,K,R,V,VC" {
		t.Errorf("Accounts() order = %v", ids)
	}
}

func TestUpdateAccount(t *testing.T) {
	l := billingtest.NewLog(t, billingtest.Catalog(t))
	l.Channel(stT0)
	l.Must(l.CreateAccount(billing.Account{ID: "R2", Kind: billing.KindReseller, Parent: "D", Name: "Other", Currency: "EUR", TaxJurisdiction: "DE"}, stT0, "test"))
	c, _ := l.Account("C")

	// The customer moves to another reseller and gets a billing contact: one event, seq 2.
	moved := *c
	moved.Parent = "R2"
	moved.Contacts = []billing.Contact{{Name: "Ann", Email: "ann@example.com", Role: "billing"}}
	evs := l.Must(l.UpdateAccount(moved, stT0, "test"))
	if len(evs) != 1 || evs[0].Seq != 2 || evs[0].Type != billing.EventUpdated {
		t.Fatalf("update events = %+v", evs)
	}
	if iss, _ := l.Issuer("C"); iss.ID != "R2" {
		t.Fatalf("issuer after move = %s, want R2", iss.ID)
	}
	// The same account again changes nothing and writes nothing.
	if evs, err := l.UpdateAccount(moved, stT0, "test"); err != nil || evs != nil {
		t.Fatalf("no-op update = %v, %v", evs, err)
	}
	// Currency may change before the first subscription, not after.
	k, _ := l.Account("K")
	usd := *k
	usd.Currency = "USD"
	if evs, err := l.UpdateAccount(usd, stT0, "test"); err != nil || len(evs) != 1 {
		t.Fatalf("currency change without subscriptions = %v, %v", evs, err)
	}
	l.Must(l.CreateSubscription(billing.NewSubscription{ID: "S1", Account: "C", PlanID: "basic", Start: stT0}, stT0, "test"))
	c, _ = l.Account("C")

	tests := []struct {
		name string
		edit func(a *billing.Account)
		kind error
	}{
		{"currency with subscriptions", func(a *billing.Account) { a.Currency = "USD" }, billing.ErrConflict},
		{"kind", func(a *billing.Account) { a.Kind = billing.KindReseller; a.Parent = "D" }, billing.ErrConflict},
		{"unknown account", func(a *billing.Account) { a.ID = "nobody" }, billing.ErrNotFound},
		{"parent of the wrong kind", func(a *billing.Account) { a.Parent = "K" }, billing.ErrInvalid},
		{"bad billing day", func(a *billing.Account) { a.BillingDay = 31 }, billing.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := stSnapshot(l.State)
			a := *c
			tt.edit(&a)
			evs, err := l.UpdateAccount(a, stT0, "test")
			if !errors.Is(err, tt.kind) || evs != nil {
				t.Fatalf("err = %v (events %d), want %v", err, len(evs), tt.kind)
			}
			if !reflect.DeepEqual(before, stSnapshot(l.State)) {
				t.Fatal("a failed command changed something")
			}
		})
	}
}

// stStateSnapshot is everything a State exposes, for "nothing changed" and replay comparisons.
type stStateSnapshot struct {
	Accounts []billing.Account
	Subs     []billing.Subscription
}

func stSnapshot(st *billing.State) stStateSnapshot {
	var s stStateSnapshot
	for _, a := range st.Accounts() {
		s.Accounts = append(s.Accounts, *a)
	}
	for _, sub := range st.Subscriptions() {
		s.Subs = append(s.Subs, *sub)
	}
	return s
}

// TestItemsUseTheBuyersPriceListAtTheBoundary: a price list given to the buyer after a boundary
// does not reprice that boundary's items, whenever the cycle computes them.
func TestItemsUseTheBuyersPriceListAtTheBoundary(t *testing.T) {
	l := stWorld(t)
	c, _ := l.Account("C")
	vip := *c
	vip.PriceList = "vip"
	l.Must(l.UpdateAccount(vip, stMar10.AddDate(0, 0, 20), "t")) // 30 March: between two boundaries
	missing := vip
	missing.PriceList = "gold"
	if _, err := l.UpdateAccount(missing, stMar10, "t"); !errors.Is(err, billing.ErrNotFound) || !strings.Contains(err.Error(), "price_list") {
		t.Fatalf("unknown price list: %v", err)
	}
	l.Must(l.CreateSubscription(billing.NewSubscription{ID: "S2", Account: "C", PlanID: "basic", Start: stMar10}, stMar10, "t"))
	sub, _ := l.Subscription("S2")
	for _, tc := range []struct {
		at   time.Time
		want string
	}{{stMar10, ""}, {stApr10, "vip"}} {
		_, items, err := l.Items(sub, tc.at)
		if err != nil || len(items) == 0 {
			t.Fatalf("items at %s: %v", tc.at, err)
		}
		for _, it := range items {
			if it.PriceList != tc.want {
				t.Fatalf("item %s at %s has price list %q, want %q", stLine(it), tc.at, it.PriceList, tc.want)
			}
		}
	}
	if a, _ := l.AccountAt("C", stMar10); a.PriceList != "" {
		t.Fatalf("AccountAt before the update has %q", a.PriceList)
	}
}

func TestStateWithoutCatalogRefusesInsteadOfPanicking(t *testing.T) {
	st := billing.NewState(nil)
	for _, a := range []billing.Account{
		{ID: "V", Kind: billing.KindVendor, Name: "V", Currency: "EUR", TaxJurisdiction: "DE"},
		{ID: "C", Kind: billing.KindCustomer, Parent: "V", Name: "C", Currency: "EUR", TaxJurisdiction: "DE"},
	} {
		evs, err := st.CreateAccount(a, stT0, "t")
		if err != nil {
			t.Fatal(err)
		}
		billingtest.Apply(t, st, evs)
	}
	if _, err := st.CreateSubscription(billing.NewSubscription{ID: "S", Account: "C", PlanID: "basic"}, stT0, "t"); !errors.Is(err, billing.ErrInvalid) {
		t.Fatalf("subscribe without a catalog: %v", err)
	}
	if _, _, ok := st.UsageSubscription("C", "calls", stT0); ok {
		t.Fatal("usage lookup without a catalog found something")
	}
}
