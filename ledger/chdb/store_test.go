package chdb_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/chdb"
	"github.com/shopspring/decimal"
)

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name    string
		cfg     chdb.Config
		wantErr string
	}{
		{"defaults", chdb.Config{Path: "/tmp/x"}, ""},
		{"no path", chdb.Config{}, "path: is required"},
		{"bad database", chdb.Config{Path: "/tmp/x", Database: "a-b"}, "database:"},
		{"database starting with digit", chdb.Config{Path: "/tmp/x", Database: "1a"}, "database:"},
		{"negative chunk", chdb.Config{Path: "/tmp/x", ChunkRows: -1}, "chunk_rows:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.cfg.Validate()
			if c.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				if c.cfg.Database != chdb.DefaultDatabase || c.cfg.ChunkRows != chdb.DefaultChunkRows || c.cfg.Logger == nil || c.cfg.Clock == nil {
					t.Fatalf("defaults not filled: %+v", c.cfg)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("Validate() = %v, want error containing %q", err, c.wantErr)
			}
		})
	}
}

func TestUsageDuplicatesCollapseAcrossChunks(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name      string
		rows      int
		chunkRows int
	}{
		{"one chunk", 50, 0},
		{"several chunks", 1000, 128},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sharedDir(t)
			chunks := t.TempDir()
			s, err := chdb.New(chdb.Config{Path: shared.dir, Database: "dup_" + strings.ReplaceAll(c.name, " ", "_"),
				ChunkRows: c.chunkRows, TempDir: chunks})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			rows := fixtureUsage(c.rows)
			// Write everything, then a replay of a middle slice, as a crash-and-retry would.
			if err := s.WriteUsage(ctx, rows); err != nil {
				t.Fatal(err)
			}
			if err := s.WriteUsage(ctx, rows[c.rows/3:c.rows/2]); err != nil {
				t.Fatal(err)
			}
			got, err := s.UsageTotals(ctx, ledger.UsageQuery{Account: "ACME", Period: month})
			if err != nil {
				t.Fatal(err)
			}
			assertTotals(t, got, expectedTotals(rows))
			if left, err := os.ReadDir(chunks); err != nil || len(left) != 0 {
				t.Errorf("chunk files left behind in %s: %v %v", chunks, left, err)
			}
		})
	}
}

func assertTotals(t *testing.T, got, want []ledger.UsageTotal) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d meters %+v, want %d %+v", len(got), got, len(want), want)
	}
	for i := range want {
		if got[i].Meter != want[i].Meter || !got[i].Quantity.Equal(want[i].Quantity) || got[i].Events != want[i].Events {
			t.Errorf("meter %d: got %s %s %d, want %s %s %d", i, got[i].Meter, got[i].Quantity, got[i].Events,
				want[i].Meter, want[i].Quantity, want[i].Events)
		}
	}
}

func TestConsumptionGroupsByAttributeWithOddBytes(t *testing.T) {
	ctx := context.Background()
	s := openFresh(t)
	defer s.Close()
	rows := fixtureUsage(200)
	if err := s.WriteUsage(ctx, rows); err != nil {
		t.Fatal(err)
	}
	for _, groupBy := range []string{"", "region", "tab\tkey", "absent"} {
		got, err := s.Consumption(ctx, ledger.ConsumptionQuery{Account: "ACME", Period: month, GroupBy: groupBy})
		if err != nil {
			t.Fatalf("group by %q: %v", groupBy, err)
		}
		want := map[[3]string]decimal.Decimal{}
		for _, u := range rows {
			g := ""
			for _, a := range u.Attributes {
				if a.Key == groupBy {
					g = a.Value
				}
			}
			day := u.EventTime.UTC().Truncate(24 * time.Hour).Format(time.DateOnly)
			k := [3]string{day, u.Meter, g}
			want[k] = want[k].Add(u.Quantity)
		}
		if len(got) != len(want) {
			t.Fatalf("group by %q: %d rows, want %d", groupBy, len(got), len(want))
		}
		for _, r := range got {
			k := [3]string{r.Day.Format(time.DateOnly), r.Meter, r.Group}
			if w, ok := want[k]; !ok || !w.Equal(r.Quantity) {
				t.Errorf("group by %q: row %v = %s, want %s (present %v)", groupBy, k, r.Quantity, w, ok)
			}
		}
	}
}

func TestRatedLatestVersionWins(t *testing.T) {
	ctx := context.Background()
	s := openFresh(t)
	defer s.Close()
	base := ledger.RatedDelta{ID: "r1", Source: "vendor-a", EventID: "e1", Account: "ACME", Charge: "api", Meter: "api_calls",
		EventTime: month.From.Add(time.Hour), Quantity: decimal.New(3, 0), Currency: "EUR"}
	v1, v2 := base, base
	v1.Version, v1.Amount = 1, decimal.RequireFromString("0.300000000000000001")
	v2.Version, v2.Amount = 2, decimal.RequireFromString("-12345678901234567890.123456789012345678")
	// Newest first, then the older version again: the version decides, not write order.
	if err := s.WriteRated(ctx, []ledger.RatedDelta{v2}); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteRated(ctx, []ledger.RatedDelta{v1}); err != nil {
		t.Fatal(err)
	}
	got, err := s.RatedTotals(ctx, ledger.UsageQuery{Account: "ACME", Period: month})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !got[0].Amount.Equal(v2.Amount) || got[0].Events != 1 || !got[0].Quantity.Equal(base.Quantity) {
		t.Fatalf("got %+v, want one total of amount %s", got, v2.Amount)
	}
}

func TestJournalBalancesAndUnbalancedWritesNothing(t *testing.T) {
	ctx := context.Background()
	s := openFresh(t)
	defer s.Close()
	good := fixtureTx("tx-1", "119.297500000000000001")
	bad := fixtureTx("tx-2", "5")
	bad.Entries[1].Amount = decimal.RequireFromString("-4.99")
	err := s.WriteTransactions(ctx, []ledger.Transaction{good, bad})
	if !errors.Is(err, ledger.ErrUnbalanced) || !strings.Contains(err.Error(), "tx-2") {
		t.Fatalf("unbalanced write: err = %v, want ErrUnbalanced naming tx-2", err)
	}
	if bal, err := s.Balances(ctx, ledger.BalanceQuery{AsOf: month.To}); err != nil || len(bal) != 0 {
		t.Fatalf("after refused write: balances %+v, %v; want none", bal, err)
	}
	for i := 0; i < 2; i++ { // the second write is a replay
		if err := s.WriteTransactions(ctx, []ledger.Transaction{good}); err != nil {
			t.Fatal(err)
		}
	}
	bal, err := s.Balances(ctx, ledger.BalanceQuery{AccountPrefix: "customer:ACME:", AsOf: month.To})
	if err != nil {
		t.Fatal(err)
	}
	if len(bal) != 1 || !bal[0].Amount.Equal(good.Entries[0].Amount) || bal[0].Currency != "EUR" {
		t.Fatalf("balances = %+v, want one EUR balance of %s", bal, good.Entries[0].Amount)
	}
	lines, err := s.Journal(ctx, ledger.JournalQuery{Party: "vendor:V", Period: month})
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 1 || lines[0].Description != good.Description || lines[0].Index != 1 || !lines[0].Amount.Equal(good.Entries[1].Amount) {
		t.Fatalf("journal = %+v", lines)
	}
}

func TestDocumentsLatestVersionKeepsLines(t *testing.T) {
	ctx := context.Background()
	s := openFresh(t)
	defer s.Close()
	draft, issued, paid := fixtureDoc(1, ledger.StatusDraft, 2), fixtureDoc(2, ledger.StatusIssued, 3), fixtureDoc(3, ledger.StatusPaid, 0)
	if err := s.WriteDocuments(ctx, []ledger.Document{paid, draft, issued}); err != nil {
		t.Fatal(err)
	}
	docs, err := s.Documents(ctx, ledger.DocumentQuery{Account: "ACME"})
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 1 || docs[0].Version != 3 || docs[0].Status != ledger.StatusPaid || !docs[0].Total.Equal(paid.Total) ||
		!docs[0].IssuedAt.Equal(paid.IssuedAt) || docs[0].Number != paid.Number {
		t.Fatalf("documents = %+v", docs)
	}
	if old, err := s.Documents(ctx, ledger.DocumentQuery{Status: ledger.StatusDraft}); err != nil || len(old) != 0 {
		t.Fatalf("draft filter matched a superseded version: %+v %v", old, err)
	}
	lines, err := s.DocumentLines(ctx, "inv-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != len(issued.Lines) || lines[2].Description != issued.Lines[2].Description || !lines[2].UnitPrice.Equal(issued.Lines[2].UnitPrice) {
		t.Fatalf("lines = %+v, want the issued version's %d lines", lines, len(issued.Lines))
	}
}

func TestRejectsKeepOriginalBytes(t *testing.T) {
	ctx := context.Background()
	s := openFresh(t)
	defer s.Close()
	orig := []byte{0, 1, 2, '\'', '\\', '\n', 0xff, 0xfe}
	r := ledger.Reject{Topic: "usage.raw", Partition: 3, Offset: 1 << 40, At: month.From.Add(time.Minute), Reason: "bad_json",
		Detail: "unexpected byte 0xff", Original: orig}
	if err := s.WriteRejects(ctx, []ledger.Reject{r, r}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Rejects(ctx, ledger.RejectQuery{Period: month})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !bytes.Equal(got[0].Original, orig) || got[0].Offset != r.Offset || got[0].Partition != r.Partition {
		t.Fatalf("rejects = %+v, want one with original %x", got, orig)
	}
	counts, err := s.RejectCounts(ctx, ledger.RejectQuery{Period: month})
	if err != nil || len(counts) != 1 || counts[0].Count != 1 {
		t.Fatalf("reject counts = %+v, %v", counts, err)
	}
}

func TestAuditRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := openFresh(t)
	defer s.Close()
	a := ledger.AuditEntry{ID: "cmd-1", At: month.From.Add(time.Hour), Actor: "alice", Action: "invoice.void",
		Object: "invoice:inv-1", Origin: "api 10.0.0.7", Detail: "customer request"}
	if err := s.WriteAudit(ctx, []ledger.AuditEntry{a, a}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Audit(ctx, ledger.AuditQuery{Object: a.Object, Period: month})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != a {
		t.Fatalf("audit = %+v, want [%+v]", got, a)
	}
}

func TestInvalidRecordWritesNothingAndNamesField(t *testing.T) {
	ctx := context.Background()
	s := openFresh(t)
	defer s.Close()
	rows := fixtureUsage(3)
	rows[2].Quantity = decimal.RequireFromString("0.0000000000001") // 13 fraction digits
	err := s.WriteUsage(ctx, rows)
	var re *ledger.RecordError
	if !errors.As(err, &re) || !errors.Is(err, ledger.ErrOutOfBounds) || re.Field != "quantity" || re.ID != rows[2].Key() {
		t.Fatalf("err = %v, want ErrOutOfBounds on %s quantity", err, rows[2].Key())
	}
	got, err := s.UsageTotals(ctx, ledger.UsageQuery{Account: "ACME", Period: month})
	if err != nil || len(got) != 0 {
		t.Fatalf("after refused write: %+v, %v; want nothing", got, err)
	}
}

func TestClosedStore(t *testing.T) {
	s := openFresh(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); !errors.Is(err, ledger.ErrClosed) {
		t.Errorf("second Close = %v, want ErrClosed", err)
	}
	if err := s.WriteUsage(context.Background(), fixtureUsage(1)); !errors.Is(err, ledger.ErrClosed) {
		t.Errorf("WriteUsage after Close = %v, want ErrClosed", err)
	}
	if _, err := s.Audit(context.Background(), ledger.AuditQuery{Period: month}); !errors.Is(err, ledger.ErrClosed) {
		t.Errorf("Audit after Close = %v, want ErrClosed", err)
	}
}

func TestSecondPathInSameProcessRefused(t *testing.T) {
	sharedDir(t)
	other := t.TempDir()
	_, err := chdb.New(chdb.Config{Path: other})
	if !errors.Is(err, chdb.ErrOtherPath) || !strings.Contains(err.Error(), other) || !strings.Contains(err.Error(), shared.dir) {
		t.Fatalf("New on a second path = %v, want ErrOtherPath naming both paths", err)
	}
}

func TestStoresShareOneEngine(t *testing.T) {
	ctx := context.Background()
	sharedDir(t)
	a, err := chdb.New(chdb.Config{Path: shared.dir, Database: "shared_engine"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := chdb.New(chdb.Config{Path: shared.dir, Database: "shared_engine"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	rows := fixtureUsage(10)
	if err := a.WriteUsage(ctx, rows); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	// Closing one Store must not stop the engine under the other.
	got, err := b.UsageTotals(ctx, ledger.UsageQuery{Account: "ACME", Period: month})
	if err != nil {
		t.Fatal(err)
	}
	assertTotals(t, got, expectedTotals(rows))
}

func TestCanceledContextWritesNothing(t *testing.T) {
	s := openFresh(t)
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.WriteUsage(ctx, fixtureUsage(5)); !errors.Is(err, context.Canceled) {
		t.Fatalf("WriteUsage with canceled ctx = %v, want context.Canceled", err)
	}
	if _, err := s.UsageTotals(ctx, ledger.UsageQuery{Account: "ACME", Period: month}); !errors.Is(err, context.Canceled) {
		t.Fatalf("UsageTotals with canceled ctx = %v, want context.Canceled", err)
	}
	got, err := s.UsageTotals(context.Background(), ledger.UsageQuery{Account: "ACME", Period: month})
	if err != nil || len(got) != 0 {
		t.Fatalf("after canceled write: %+v, %v; want nothing", got, err)
	}
}

func TestCloseDuringWrites(t *testing.T) {
	s := openFresh(t)
	ctx := context.Background()
	rows := fixtureUsage(200)
	errs := make(chan error, 8)
	for w := 0; w < cap(errs); w++ {
		go func() { errs <- s.WriteUsage(ctx, rows) }()
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for w := 0; w < cap(errs); w++ {
		// A write either finished before Close (nil) or saw the Store closed.
		if err := <-errs; err != nil && !errors.Is(err, ledger.ErrClosed) {
			t.Errorf("write racing Close: %v, want nil or ErrClosed", err)
		}
	}
}
