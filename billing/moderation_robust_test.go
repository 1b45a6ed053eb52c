package billing_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/billing/billingtest"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/ledgertest"
	"github.com/cascade-billing/cascade/rating"
)

// modDay is the clock of the moderation tests that build their own world.
var modDay = billingtest.Day(2026, 9, 20)

// modFailingEvents fails the next WriteEvents call once armed, like a ledger that goes away.
type modFailingEvents struct {
	*ledgertest.MemStore
	mu    sync.Mutex
	armed bool
}

func (f *modFailingEvents) WriteEvents(ctx context.Context, evs []ledger.Event) error {
	f.mu.Lock()
	fail := f.armed
	f.armed = false
	f.mu.Unlock()
	if fail {
		return ledger.ErrUnavailable
	}
	return f.MemStore.WriteEvents(ctx, evs)
}

// TestModerationFailedWriteChangesNothing: a draft or an approval whose event is not written
// leaves no draft and publishes nothing; the next command works on what the ledger holds.
func TestModerationFailedWriteChangesNothing(t *testing.T) {
	cat, err := rating.Load("mod", []byte(modCatalog))
	if err != nil {
		t.Fatal(err)
	}
	fs := &modFailingEvents{MemStore: ledgertest.NewMemStore()}
	w := &svcWorld{t: t, store: fs, clock: &svcClock{}, cat: cat}
	w.clock.Set(modDay)
	w.svc = w.open()
	ctx := context.Background()

	fs.armed = true
	if _, err := w.svc.DraftCatalog(ctx, "V", []byte(modDraft), "v"); !errors.Is(err, ledger.ErrUnavailable) {
		t.Fatalf("draft on a failing ledger: err = %v", err)
	}
	if n := len(w.svc.CatalogDrafts("", "")); n != 0 {
		t.Fatalf("%d drafts after a failed write, want 0", n)
	}
	d, err := w.svc.DraftCatalog(ctx, "V", []byte(modDraft), "v")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.SubmitCatalogDraft(ctx, d.ID, "V", "v"); err != nil {
		t.Fatal(err)
	}
	fs.armed = true
	if _, err := w.svc.ApproveCatalogDraft(ctx, d.ID, "admin"); !errors.Is(err, ledger.ErrUnavailable) {
		t.Fatalf("approve on a failing ledger: err = %v", err)
	}
	if _, ok := w.svc.Catalog().PlanVersion("vision-std", 1); ok {
		t.Fatal("a failed approval published the draft")
	}
	if got, _ := w.svc.CatalogDraft(d.ID); got.Status != billing.DraftSubmitted {
		t.Fatalf("draft is %s after a failed approval, want submitted", got.Status)
	}
	if _, err := w.svc.ApproveCatalogDraft(ctx, d.ID, "admin"); err != nil {
		t.Fatalf("approve again once the ledger is back: %v", err)
	}
	if _, ok := w.svc.Catalog().PlanVersion("vision-std", 1); !ok {
		t.Fatal("approval did not publish")
	}
}

// TestModerationLoadRefusesADraftThatNoLongerMerges: when the configured catalog changes so
// that an approved draft collides with it, Load fails naming the draft rather than silently
// dropping plans that may be subscribed.
func TestModerationLoadRefusesADraftThatNoLongerMerges(t *testing.T) {
	w := newCatalogWorld(t, "mod", modCatalog)
	ctx := context.Background()
	d, err := w.svc.DraftCatalog(ctx, "V", []byte(modDraft), "v")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.SubmitCatalogDraft(ctx, d.ID, "V", "v"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.ApproveCatalogDraft(ctx, d.ID, "admin"); err != nil {
		t.Fatal(err)
	}
	changed, err := rating.Load("mod2", []byte(modCatalog+"  - {id: vision-std, product: p1, currency: EUR, charges: [{id: b, type: recurring, model: flat, amount: 1}]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	taxes, err := billing.LoadTaxRules("testdata/taxes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := billing.New(billing.Config{Store: w.store, Catalog: changed, Taxes: taxes, Now: w.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	err = svc.Load(ctx)
	if !errors.Is(err, billing.ErrConflict) || !strings.Contains(err.Error(), d.ID) || !strings.Contains(err.Error(), "vision-std") {
		t.Fatalf("Load = %v, want a conflict naming draft %s and plan vision-std", err, d.ID)
	}
}

// TestModerationConcurrentApprovalsAndReads: approvals of many vendors' drafts race with
// readers of the published catalog (run with -race); every approved plan ends up published
// once and the published order has no gap.
func TestModerationConcurrentApprovalsAndReads(t *testing.T) {
	w := newCatalogWorld(t, "mod", modCatalog)
	ctx := context.Background()
	const n = 8
	ids := make([]string, n)
	for i := range n {
		doc := strings.NewReplacer("vision", fmt.Sprintf("vision%d", i), "images", fmt.Sprintf("images%d", i)).Replace(modDraft)
		d, err := w.svc.DraftCatalog(ctx, "V", []byte(doc), "v")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.SubmitCatalogDraft(ctx, d.ID, "V", "v"); err != nil {
			t.Fatal(err)
		}
		ids[i] = d.ID
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() { // a reader, as the API and the mediation hooks read
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
				_ = len(w.svc.Catalog().Plans)
				_ = w.svc.CatalogVersion()
			}
		}
	}()
	var approvals sync.WaitGroup
	for _, id := range ids {
		approvals.Add(1)
		go func() {
			defer approvals.Done()
			if _, err := w.svc.ApproveCatalogDraft(ctx, id, "admin"); err != nil {
				t.Error(err)
			}
		}()
	}
	approvals.Wait()
	close(stop)
	wg.Wait()
	seen := map[int]bool{}
	for _, d := range w.svc.CatalogDrafts("V", billing.DraftApproved) {
		seen[d.Published] = true
	}
	for i := 1; i <= n; i++ {
		if !seen[i] {
			t.Errorf("published order has no #%d: %v", i, seen)
		}
		if _, ok := w.svc.Catalog().PlanVersion(fmt.Sprintf("vision%d-std", i-1), 1); !ok {
			t.Errorf("vision%d-std not published", i-1)
		}
	}
	if v := w.svc.CatalogVersion(); v != fmt.Sprintf("test-1+drafts.%d", n) {
		t.Errorf("catalog version %q", v)
	}
}

// modNoConsumption is a billing Store without the consumption read.
type modNoConsumption struct{ billing.Store }

func TestConsumptionNeedsAConsumptionReader(t *testing.T) {
	w := newSvcWorld(t, modNoConsumption{ledgertest.NewMemStore()})
	w.channel(1)
	_, err := w.svc.Consumption(context.Background(), billing.ConsumptionQuery{Account: "K1",
		Period: billing.Period{From: modDay, To: modDay.AddDate(0, 1, 0)}})
	if !errors.Is(err, billing.ErrUnsupported) {
		t.Fatalf("err = %v, want unsupported", err)
	}
}
