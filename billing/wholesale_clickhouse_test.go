package billing_test

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/ledger/clickhouse"
	"github.com/cascade-billing/cascade/ledger/clickhouse/clickhousetest"
	"github.com/cascade-billing/cascade/ledger/ledgertest"
)

// TestPooledWholesaleChainOnClickHouse closes the pooled chain's November on a private
// ClickHouse server and expects what the in-memory ledger gives: the same wholesale invoices
// and statements, byte for byte, after a restart that rebuilds the settlement from the server's
// events; a second close adds nothing.
func TestPooledWholesaleChainOnClickHouse(t *testing.T) {
	if testing.Short() && os.Getenv("CI") != "true" { // under CI a real component never skips
		t.Skip("starts a ClickHouse server")
	}
	srv := clickhousetest.Start(t)
	store, err := clickhouse.New(clickhouse.Config{Addr: srv.Addr, Database: "wholesale_test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	ctx := context.Background()
	onCH, inMem := poolWorld(t, store, nil), poolWorld(t, ledgertest.NewMemStore(), nil)
	runWholesale(t, onCH)
	runWholesale(t, inMem)
	onCH.svc = onCH.open()
	if again := runWholesale(t, onCH); len(again.Issued) != 0 || again.Settled {
		t.Errorf("second close on ClickHouse: %+v, want nothing new", again)
	}
	render := func(w *svcWorld) []byte {
		var b bytes.Buffer
		for _, buyer := range []string{"R", "D"} {
			if err := billing.RenderJSON(&b, wholesaleInvoice(t, w.svc, buyer)); err != nil {
				t.Fatal(err)
			}
			st, err := w.svc.Statement(ctx, buyer, november)
			if err != nil {
				t.Fatal(err)
			}
			if err := billing.RenderStatementJSON(&b, st); err != nil {
				t.Fatal(err)
			}
		}
		return b.Bytes()
	}
	if got, want := render(onCH), render(inMem); len(got) < 500 || !bytes.Equal(got, want) {
		t.Errorf("ClickHouse and in-memory differ:\n%s\n---\n%s", got, want)
	}
	if got := journalState(t, onCH.store); got != journalState(t, inMem.store) {
		t.Errorf("journal balances differ:\n%s\n---\n%s", got, journalState(t, inMem.store))
	}
	rows, err := onCH.svc.Audit(ctx, billing.AuditQuery{Account: "R", From: november.From, To: november.To.AddDate(0, 1, 0)})
	if err != nil || len(rows) == 0 {
		t.Errorf("audit of R on ClickHouse: %d rows, %v", len(rows), err)
	}
}
