package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/ledgertest"
	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// invoiceLedger is the example channel (nimbus → eurodist → cloudshop) with two customers on
// api-pro from 1 October 2026 (c1 in Germany, c2 a French business), and October usage of
// api_calls for both, not yet invoiced: no cycle has run. It returns the usage written.
func invoiceLedger(t *testing.T) (*ledgertest.MemStore, []ledger.Usage) {
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
	ctx := context.Background()
	if err := svc.Load(ctx); err != nil {
		t.Fatal(err)
	}
	acc := func(a billing.Account) billing.Command {
		a.Currency = "EUR"
		if a.TaxJurisdiction == "" {
			a.TaxJurisdiction = "DE"
		}
		return func(st *billing.State, at time.Time) ([]ledger.Event, error) { return st.CreateAccount(a, at, "test") }
	}
	err = svc.Do(ctx,
		acc(billing.Account{ID: "nimbus", Kind: billing.KindVendor, Name: "Nimbus"}),
		acc(billing.Account{ID: "eurodist", Kind: billing.KindDistributor, Parent: "nimbus", Name: "EuroDist", BuyPriceList: "eurodist"}),
		acc(billing.Account{ID: "cloudshop", Kind: billing.KindReseller, Parent: "eurodist", Name: "CloudShop", BuyPriceList: "resellers"}),
		acc(billing.Account{ID: "c1", Kind: billing.KindCustomer, Parent: "cloudshop", Name: "Customer One", BillingDay: 1, PaymentTermsDays: 14}),
		acc(billing.Account{ID: "c2", Kind: billing.KindCustomer, Parent: "cloudshop", Name: "Client Deux", BillingDay: 1,
			TaxJurisdiction: "FR", TaxID: "FR12345678901"}),
		subscribe("s1", "c1"), subscribe("s2", "c2"))
	if err != nil {
		t.Fatal(err)
	}
	var usage []ledger.Usage
	for i := range 60 {
		account, subID := "c1", "s1"
		if i%3 == 0 {
			account, subID = "c2", "s2"
		}
		at := time.Date(2026, 10, 1+i%31, i%24, 0, 0, 0, time.UTC)
		usage = append(usage, ledger.Usage{Source: "test", EventID: fmt.Sprintf("ev-%d", i), Meter: "api_calls", Account: account,
			Subscription: subID, Quantity: decimal.New(int64(12345*(i+1)), -1), EventTime: at, IngestTime: at})
	}
	if err := store.WriteUsage(ctx, usage); err != nil {
		t.Fatal(err)
	}
	return store, usage
}

// subscribe puts an account on api-pro from 1 October 2026, without trial.
func subscribe(id, account string) billing.Command {
	noTrial := 0
	return func(st *billing.State, at time.Time) ([]ledger.Event, error) {
		return st.CreateSubscription(billing.NewSubscription{ID: id, Account: account, PlanID: "api-pro",
			Start: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), TrialDays: &noTrial}, at, "test")
	}
}

// cli runs commands against one in-memory ledger, as a person would one after another.
type cli struct {
	t     *testing.T
	store ledger.Store
	// opened counts ledger opens: commands that refuse bad input must not open it.
	opened int
}

func newCLI(t *testing.T, store ledger.Store) *cli {
	return &cli{t: t, store: keptStore{store.(*ledgertest.MemStore)}}
}

func (c *cli) open(context.Context, *env, string) (ledger.Store, error) {
	c.opened++
	return c.store, nil
}

// env is a command environment writing into buffers.
func (c *cli) env() (*env, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	return &env{stdout: &out, stderr: &errOut, log: slog.New(slog.DiscardHandler), openLedger: c.open}, &out, &errOut
}

// run runs the binary's command line with the example catalog and a data directory.
func (c *cli) run(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	full := append(append([]string(nil), args...), "--catalog", exampleCatalog, "--taxes", exampleTaxes, "--data", c.t.TempDir())
	code := runWith(context.Background(), full, &out, &errOut, c.open)
	return code, out.String(), errOut.String()
}

// runSQL runs `cascade sql` with a data directory (sql takes no catalog).
func (c *cli) runSQL(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	full := append(append([]string{"sql"}, args...), "--data", c.t.TempDir())
	code := runWith(context.Background(), full, &out, &errOut, c.open)
	return code, out.String(), errOut.String()
}

// exitCode is what main would exit with after a command function returned err.
func (c *cli) exitCode(e *env, name string, err error) int { return report(e, name, err) }
