package billing_test

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/billing/billingtest"
	"github.com/cascade-billing/cascade/ledger/clickhouse"
	"github.com/cascade-billing/cascade/ledger/clickhouse/clickhousetest"
)

// TestStatementOnClickHouse bills the split world on a private ClickHouse server, the
// production backend, and checks its statements equal those built on the in-memory ledger,
// line for line (the same journal reads back the same way).
func TestStatementOnClickHouse(t *testing.T) {
	if testing.Short() && os.Getenv("CI") != "true" { // under CI a real component never skips
		t.Skip("starts a ClickHouse server")
	}
	srv := clickhousetest.Start(t)
	store, err := clickhouse.New(clickhouse.Config{Addr: srv.Addr, Database: "split_test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	onCH, inMem := splitWorldOn(t, store), splitWorld(t)
	onCH.svc = onCH.open() // a restart: the documents come back from the server's events
	period := billing.Period{From: billingtest.Day(2026, 10, 1), To: billingtest.Day(2026, 12, 1)}
	for _, partner := range []string{"R", "D", "R2", "D2"} {
		var got, want bytes.Buffer
		for _, x := range []struct {
			w   *svcWorld
			out *bytes.Buffer
		}{{onCH, &got}, {inMem, &want}} {
			st, err := x.w.svc.Statement(context.Background(), partner, period)
			if err != nil {
				t.Fatal(err)
			}
			if err := billing.RenderStatementJSON(x.out, st); err != nil {
				t.Fatal(err)
			}
		}
		if got.Len() < 200 || !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("%s: the statement on ClickHouse differs from the in-memory one:\n%s\n---\n%s", partner, got.String(), want.String())
		}
	}
}
