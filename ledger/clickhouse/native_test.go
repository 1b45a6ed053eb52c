package clickhouse

import (
	"bytes"
	"fmt"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/ch-go/proto"
	"github.com/ClickHouse/clickhouse-go/v2/lib/column"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/internal/chsql"
	"github.com/shopspring/decimal"
)

// freshColumns makes empty driver columns of t's types, as PrepareBatch does from the
// server's header.
func freshColumns(t *testing.T, tab chsql.Table) []column.Interface {
	t.Helper()
	cols := make([]column.Interface, len(tab.Columns))
	for i, c := range tab.Columns {
		col, err := column.Type(c.Type).Column(c.Name, time.UTC)
		if err != nil {
			t.Fatalf("column %s %s: %v", c.Name, c.Type, err)
		}
		cols[i] = col
	}
	return cols
}

// appendTo appends String columns as the batch does.
func appendTo(cols []column.Interface) func(int, []string) error {
	return func(i int, strs []string) error {
		_, err := cols[i].Append(strs)
		return err
	}
}

// wire is what the driver sends for cols: each column's Native encoding, in order.
func wire(cols []column.Interface) []byte {
	var buf proto.Buffer
	for _, c := range cols {
		c.Encode(&buf)
	}
	return buf.Buf
}

// driverUsage fills cols the driver's own way, row by row through AppendRow: the reference
// the Native block must match byte for byte.
func driverUsage(t *testing.T, cols []column.Interface, rows []ledger.Usage) {
	t.Helper()
	for _, u := range rows {
		var keys, values, ids, charges, currencies []string
		var qtys, amounts []decimal.Decimal
		for _, a := range u.Attributes {
			keys, values = append(keys, a.Key), append(values, a.Value)
		}
		for _, r := range u.Rated {
			ids, charges, currencies = append(ids, r.ID), append(charges, r.Charge), append(currencies, r.Currency)
			qtys, amounts = append(qtys, r.Quantity), append(amounts, r.Amount)
		}
		chain := u.Chain
		if chain == nil {
			chain = []string{}
		}
		vals := []any{u.Source, u.EventID, u.Account, u.Subscription, u.PlanVersion, u.PricingGroup, chain,
			u.Subject, u.Meter, u.Quantity, chsql.StoredTime(u.EventTime), chsql.StoredTime(u.IngestTime),
			orEmpty(keys), orEmpty(values), orEmpty(ids), orEmpty(charges), orEmptyDec(qtys), orEmptyDec(amounts), orEmpty(currencies)}
		for i, v := range vals {
			if err := cols[i].AppendRow(v); err != nil {
				t.Fatalf("driver AppendRow column %d (%T): %v", i, v, err)
			}
		}
	}
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func orEmptyDec(s []decimal.Decimal) []decimal.Decimal {
	if s == nil {
		return []decimal.Decimal{}
	}
	return s
}

// randomDecimal is a value that fits Decimal(38, scale) exactly: small and large
// coefficients (beyond 64 bits), negative ones, zero.
func randomDecimal(rng *rand.Rand, scale int32) decimal.Decimal {
	exp := -rng.Int32N(scale + 1)
	switch rng.IntN(5) {
	case 0:
		return decimal.Zero
	case 1: // beyond int64, within 38 digits once scaled
		digits := 19 + rng.IntN(38-19-int(scale)+int(-exp)+1)
		var sb strings.Builder
		sb.WriteByte(byte('1' + rng.IntN(9)))
		for range digits - 1 {
			sb.WriteByte(byte('0' + rng.IntN(10)))
		}
		c, _ := new(big.Int).SetString(sb.String(), 10)
		if rng.IntN(2) == 0 {
			c.Neg(c)
		}
		return decimal.NewFromBigInt(c, exp)
	default:
		return decimal.New(rng.Int64N(1<<62)-1<<61, exp)
	}
}

func randomString(rng *rand.Rand) string {
	alphabet := []string{"a", "Z", "9", "-", " ", "é", "€", "\x00", "\n", strings.Repeat("x", 130)}
	var sb strings.Builder
	for range rng.IntN(6) {
		sb.WriteString(alphabet[rng.IntN(len(alphabet))])
	}
	return sb.String()
}

func randomUsage(rng *rand.Rand, n int) []ledger.Usage {
	rows := make([]ledger.Usage, n)
	for i := range rows {
		u := &rows[i]
		u.Source, u.EventID, u.Subject, u.Meter = randomString(rng), fmt.Sprintf("ev-%d", i), randomString(rng), randomString(rng)
		u.Account, u.Subscription, u.PlanVersion, u.PricingGroup = randomString(rng), randomString(rng), randomString(rng), randomString(rng)
		u.Quantity = randomDecimal(rng, ledger.QuantityScale)
		if rng.IntN(5) > 0 {
			u.EventTime = time.Unix(rng.Int64N(1<<32-1), rng.Int64N(1e9)).In(time.FixedZone("X", 3600))
		}
		u.IngestTime = time.Unix(rng.Int64N(1<<32-1), 0)
		for range rng.IntN(4) {
			u.Chain = append(u.Chain, randomString(rng))
		}
		for range rng.IntN(3) {
			u.Attributes = append(u.Attributes, ledger.Attribute{Key: randomString(rng), Value: randomString(rng)})
		}
		for j := range rng.IntN(4) {
			u.Rated = append(u.Rated, ledger.Rating{ID: fmt.Sprintf("r-%d-%d", i, j), Charge: randomString(rng),
				Quantity: randomDecimal(rng, ledger.QuantityScale), Amount: randomDecimal(rng, ledger.AmountScale), Currency: "EUR"})
		}
	}
	return rows
}

// The Native block sends exactly the bytes the driver's own Append would have sent, for rows
// of every shape: empty and long strings, empty arrays, zero and non-UTC times, negative and
// 38-digit decimals, several parts.
func TestUsageBlockMatchesDriver(t *testing.T) {
	tab := chsql.UsageTable()
	rng := rand.New(rand.NewPCG(7, 11))
	for trial := range 200 {
		var parts [][]ledger.Usage
		var all []ledger.Usage
		for range 1 + rng.IntN(3) {
			rows := randomUsage(rng, rng.IntN(30))
			parts, all = append(parts, rows), append(all, rows...)
		}
		if len(all) == 0 {
			continue
		}
		want := freshColumns(t, tab)
		driverUsage(t, want, all)
		got := freshColumns(t, tab)
		if err := usageBlock(parts).decode(got, appendTo(got)); err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
		if w, g := wire(want), wire(got); !bytes.Equal(w, g) {
			for i := range want {
				if cw, cg := wire(want[i:i+1]), wire(got[i:i+1]); !bytes.Equal(cw, cg) {
					t.Fatalf("trial %d: column %s differs from the driver's:\n got %x\nwant %x", trial, tab.Columns[i].Name, cg, cw)
				}
			}
			t.Fatalf("trial %d: blocks differ", trial)
		}
	}
}

// A value the column cannot hold exactly is refused, naming the column and row, instead of
// being truncated as the driver would.
func TestUsageBlockRefusesInexactDecimal(t *testing.T) {
	rows := randomUsage(rand.New(rand.NewPCG(1, 2)), 3)
	rows[2].Rated = []ledger.Rating{{ID: "r", Charge: "c", Currency: "EUR", Quantity: decimal.New(1, 0),
		Amount: decimal.New(1, -19)}} // 19 fraction digits; the column keeps 18
	cols := freshColumns(t, chsql.UsageTable())
	err := usageBlock([][]ledger.Usage{rows}).decode(cols, appendTo(cols))
	if err == nil || !strings.Contains(err.Error(), "usage.rated_amount (Array(Decimal(38, 18))), row 2") {
		t.Fatalf("err = %v, want one naming the rated_amount column's type and row 2", err)
	}
}

// A server whose column has another type than the ledger writes is refused before anything is
// decoded.
func TestUsageBlockRefusesOtherSchema(t *testing.T) {
	tab := chsql.UsageTable()
	other := tab
	other.Columns = append([]chsql.Column(nil), tab.Columns...)
	other.Columns[9].Type = "Decimal(38, 10)" // quantity
	cols := freshColumns(t, other)
	err := usageBlock([][]ledger.Usage{randomUsage(rand.New(rand.NewPCG(3, 4)), 2)}).decode(cols, appendTo(cols))
	if err == nil || !strings.Contains(err.Error(), "usage.quantity is Decimal(38, 10) on the server") {
		t.Fatalf("err = %v, want the quantity column's type named", err)
	}
}
