package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/ledgertest"
	"github.com/cascade-billing/cascade/rating"
)

// keptStore is a MemStore the command cannot close, so several runs read the same ledger.
type keptStore struct{ *ledgertest.MemStore }

func (keptStore) Close() error { return nil }

// reportLedger bills the example channel for October 2026 on a MemStore: nimbus → eurodist
// (buy list eurodist) → cloudshop (buy list resellers) → customer c1 on API Pro, invoiced in
// advance on 1 Oct and 1 Nov.
func reportLedger(t *testing.T) *ledgertest.MemStore {
	t.Helper()
	cat, err := rating.LoadFile(exampleCatalog)
	if err != nil {
		t.Fatal(err)
	}
	taxes, err := billing.LoadTaxRules(exampleTaxes)
	if err != nil {
		t.Fatal(err)
	}
	store := ledgertest.NewMemStore()
	now := time.Date(2026, 9, 30, 0, 0, 0, 0, time.UTC)
	svc, err := billing.New(billing.Config{Store: store, Catalog: cat, Taxes: taxes, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	acc := func(a billing.Account) billing.Command {
		a.Currency, a.TaxJurisdiction = "EUR", "DE"
		return func(st *billing.State, at time.Time) ([]ledger.Event, error) { return st.CreateAccount(a, at, "test") }
	}
	noTrial := 0
	err = svc.Do(context.Background(),
		acc(billing.Account{ID: "nimbus", Kind: billing.KindVendor, Name: "Nimbus"}),
		acc(billing.Account{ID: "eurodist", Kind: billing.KindDistributor, Parent: "nimbus", Name: "EuroDist", BuyPriceList: "eurodist"}),
		acc(billing.Account{ID: "cloudshop", Kind: billing.KindReseller, Parent: "eurodist", Name: "CloudShop", BuyPriceList: "resellers"}),
		acc(billing.Account{ID: "c1", Kind: billing.KindCustomer, Parent: "cloudshop", Name: "Customer One", BillingDay: 1}),
		func(st *billing.State, at time.Time) ([]ledger.Event, error) {
			return st.CreateSubscription(billing.NewSubscription{ID: "s1", Account: "c1", PlanID: "api-pro",
				Start: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), TrialDays: &noTrial}, at, "test")
		})
	if err != nil {
		t.Fatal(err)
	}
	for _, day := range []int{1, 2} {
		now = time.Date(2026, 10+time.Month(day-1), 1, 6, 0, 0, 0, time.UTC)
		if _, err := svc.RunCycle(context.Background(), now); err != nil {
			t.Fatal(err)
		}
	}
	return store
}

func TestReportCommissions(t *testing.T) {
	store := reportLedger(t)
	open := func(context.Context, *env, string) (ledger.Store, error) { return keptStore{store}, nil }
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		args = append([]string{"report", "commissions", "--catalog", exampleCatalog, "--taxes", exampleTaxes, "--data", t.TempDir()}, args...)
		code := runWith(context.Background(), args, &out, &errOut, open)
		return code, out.String(), errOut.String()
	}
	t.Run("csv", func(t *testing.T) {
		code, out, errOut := run("--partner", "cloudshop", "--period", "2026-10", "--format", "csv")
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		// The 1 Oct invoice: platform 49.00 bought at 41.65, seats 12.50 at retail (no entry),
		// onboarding 299.00 at retail.
		want := map[string][3]string{"platform": {"49.00", "41.65", "7.35"}, "seats": {"12.50", "12.50", "0.00"}}
		found := 0
		for _, r := range recs[1:] {
			if w, ok := want[r[10]]; ok {
				found++
				if got := [3]string{r[13], r[14], r[15]}; got != w {
					t.Errorf("%s: retail cost margin %v, want %v", r[10], got, w)
				}
			}
		}
		if found != len(want) || recs[0][0] != "time" {
			t.Errorf("found %d of %d charges in:\n%s", found, len(want), out)
		}
	})
	t.Run("distributor json", func(t *testing.T) {
		code, out, errOut := run("--partner", "eurodist", "--period", "2026-10", "--format", "json")
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		var st struct {
			Totals []struct{ Retail, Cost, Margin string }
		}
		if err := json.Unmarshal([]byte(out), &st); err != nil {
			t.Fatal(err)
		}
		// eurodist sells the platform at 41.65 and buys it at 34.30; the rest at plan prices.
		if len(st.Totals) != 1 || st.Totals[0].Margin != "7.35" {
			t.Errorf("totals %+v, want a 7.35 margin", st.Totals)
		}
	})
	t.Run("table", func(t *testing.T) {
		code, out, errOut := run("--partner", "cloudshop", "--period", "2026-10")
		if code != exitOK || !strings.Contains(out, "Commission statement") || !strings.Contains(out, "Per customer") {
			t.Fatalf("exit %d, stderr %s, out:\n%s", code, errOut, out)
		}
	})
	t.Run("empty month", func(t *testing.T) {
		code, out, _ := run("--partner", "cloudshop", "--period", "2027-01")
		if code != exitOK || !strings.Contains(out, "No customer lines") {
			t.Fatalf("exit %d, out:\n%s", code, out)
		}
	})
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no partner", []string{"--period", "2026-10"}, "--partner is required"},
		{"bad period", []string{"--partner", "cloudshop", "--period", "2026-13"}, "want YYYY-MM"},
		{"bad format", []string{"--partner", "cloudshop", "--period", "2026-10", "--format", "pdf"}, "--format"},
		{"unknown partner", []string{"--partner", "nobody", "--period", "2026-10"}, "not found"},
		{"customer", []string{"--partner", "c1", "--period", "2026-10"}, "not a channel partner"},
		{"missing data dir", []string{"--partner", "cloudshop", "--period", "2026-10", "--data", "/nonexistent/dir"}, "not a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := run(tc.args...)
			if code != exitUsage || !strings.Contains(errOut, tc.want) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
				t.Errorf("exit %d, stderr %q: want exit 2 and one line with %q", code, errOut, tc.want)
			}
		})
	}
}
