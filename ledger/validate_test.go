package ledger_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/shopspring/decimal"
)

func validUsage() ledger.Usage {
	at := time.Date(2026, 11, 5, 12, 0, 0, 0, time.UTC)
	return ledger.Usage{Source: "s", EventID: "e", Meter: "m", Account: "A", Quantity: decimal.RequireFromString("1.5"), EventTime: at, IngestTime: at}
}

func TestUsageValidate(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(u *ledger.Usage)
		kind   error // nil: valid
		field  string
	}{
		{"valid", func(*ledger.Usage) {}, nil, ""},
		{"26 integer and 12 fraction digits", func(u *ledger.Usage) {
			u.Quantity = decimal.RequireFromString("99999999999999999999999999.999999999999")
		}, nil, ""},
		{"trailing zeros past the scale", func(u *ledger.Usage) { u.Quantity = decimal.RequireFromString("1.50000000000000000") }, nil, ""},
		{"negative", func(u *ledger.Usage) { u.Quantity = decimal.RequireFromString("-3.25") }, nil, ""},
		{"27 integer digits", func(u *ledger.Usage) {
			u.Quantity = decimal.RequireFromString("100000000000000000000000000")
		}, ledger.ErrOutOfBounds, "quantity"},
		{"13 fraction digits", func(u *ledger.Usage) { u.Quantity = decimal.RequireFromString("0.0000000000001") }, ledger.ErrOutOfBounds, "quantity"},
		{"huge exponent", func(u *ledger.Usage) { u.Quantity = decimal.New(1, 40) }, ledger.ErrOutOfBounds, "quantity"},
		{"missing source", func(u *ledger.Usage) { u.Source = "" }, ledger.ErrInvalid, "source"},
		{"missing event id", func(u *ledger.Usage) { u.EventID = "" }, ledger.ErrInvalid, "event_id"},
		{"missing meter", func(u *ledger.Usage) { u.Meter = "" }, ledger.ErrInvalid, "meter"},
		{"missing account", func(u *ledger.Usage) { u.Account = "" }, ledger.ErrInvalid, "account"},
		{"zero event time", func(u *ledger.Usage) { u.EventTime = time.Time{} }, ledger.ErrOutOfBounds, "event_time"},
		{"before epoch", func(u *ledger.Usage) { u.EventTime = time.Unix(-1, 0) }, ledger.ErrOutOfBounds, "event_time"},
		{"after 2106", func(u *ledger.Usage) { u.IngestTime = time.Unix(1<<32, 0) }, ledger.ErrOutOfBounds, "ingest_time"},
		{"last storable second", func(u *ledger.Usage) { u.EventTime = time.Unix(1<<32-1, 0) }, nil, ""},
		{"empty attribute key", func(u *ledger.Usage) { u.Attributes = []ledger.Attribute{{Key: "a"}, {Value: "x"}} }, ledger.ErrInvalid, "attributes[1].key"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u := validUsage()
			tc.mutate(&u)
			err := u.Validate()
			if tc.kind == nil {
				if err != nil {
					t.Fatalf("valid row refused: %v", err)
				}
				return
			}
			var re *ledger.RecordError
			if !errors.Is(err, tc.kind) || !errors.As(err, &re) || re.Field != tc.field || re.ID != u.Key() {
				t.Fatalf("error %v: want kind %v on field %q of %s", err, tc.kind, tc.field, u.Key())
			}
			if !strings.Contains(err.Error(), tc.field) || !strings.Contains(err.Error(), `"`+u.Key()+`"`) {
				t.Errorf("message %q does not name field and id", err)
			}
		})
	}
}

func TestTransactionValidate(t *testing.T) {
	at := time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC)
	entry := func(acc, amt, cur string) ledger.Entry {
		return ledger.Entry{Account: acc, Amount: decimal.RequireFromString(amt), Currency: cur}
	}
	cases := []struct {
		name    string
		entries []ledger.Entry
		kind    error
		detail  string
	}{
		{"balanced", []ledger.Entry{entry("customer:A:receivable", "11.90", "EUR"), entry("reseller:R1:revenue", "-10", "EUR"), entry("tax:DE:payable", "-1.90", "EUR")}, nil, ""},
		{"balanced per currency", []ledger.Entry{entry("a:b:c", "1", "EUR"), entry("a:b:d", "-1", "EUR"), entry("a:b:c", "100", "JPY"), entry("a:b:d", "-100", "JPY")}, nil, ""},
		{"off by a cent", []ledger.Entry{entry("a:b:c", "1.01", "EUR"), entry("a:b:d", "-1", "EUR")}, ledger.ErrUnbalanced, "EUR entries sum to 0.01"},
		{"balanced only across currencies", []ledger.Entry{entry("a:b:c", "1", "EUR"), entry("a:b:d", "-1", "USD")}, ledger.ErrUnbalanced, "EUR entries sum to 1"},
		{"one entry", []ledger.Entry{entry("a:b:c", "0", "EUR")}, ledger.ErrInvalid, "at least 2"},
		{"two-part account", []ledger.Entry{entry("a:b", "1", "EUR"), entry("a:b:d", "-1", "EUR")}, ledger.ErrInvalid, "entries[0].account"},
		{"lower-case currency", []ledger.Entry{entry("a:b:c", "1", "eur"), entry("a:b:d", "-1", "eur")}, ledger.ErrInvalid, "entries[0].currency"},
		{"19 fraction digits", []ledger.Entry{entry("a:b:c", "0.0000000000000000001", "EUR"), entry("a:b:d", "-0.0000000000000000001", "EUR")}, ledger.ErrOutOfBounds, "entries[0].amount"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tx := ledger.Transaction{ID: "T1", Time: at, Kind: "invoice", Entries: tc.entries}
			err := tx.Validate()
			if tc.kind == nil {
				if err != nil {
					t.Fatalf("valid transaction refused: %v", err)
				}
				return
			}
			if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.detail) || !strings.Contains(err.Error(), "T1") {
				t.Fatalf("error %v: want %v mentioning %q and T1", err, tc.kind, tc.detail)
			}
		})
	}
}

func TestParty(t *testing.T) {
	for _, tc := range []struct{ account, party string }{
		{"reseller:R1:revenue", "reseller:R1"},
		{"customer:ACME:receivable", "customer:ACME"},
		{"plain", "plain"},
	} {
		if got := ledger.Party(tc.account); got != tc.party {
			t.Errorf("Party(%q) = %q, want %q", tc.account, got, tc.party)
		}
	}
}

func TestDeterministicID(t *testing.T) {
	a := ledger.DeterministicID("rated", "src", "ev-1", "api")
	if b := ledger.DeterministicID("rated", "src", "ev-1", "api"); a != b {
		t.Errorf("same parts gave %s and %s", a, b)
	}
	if !strings.HasPrefix(a, "rated_") || len(a) != len("rated_")+32 {
		t.Errorf("id %q is not kind_ + 128 bits of hex", a)
	}
	distinct := [][]string{{"ab", "c"}, {"a", "bc"}, {"abc"}, {"abc", ""}, {"", "abc"}}
	seen := map[string]int{}
	for i, parts := range distinct {
		id := ledger.DeterministicID("k", parts...)
		if j, ok := seen[id]; ok {
			t.Errorf("parts %q and %q share id %s", distinct[j], parts, id)
		}
		seen[id] = i
	}
}

func TestTruncateTime(t *testing.T) {
	in := time.Date(2026, 11, 5, 12, 0, 1, 999_999_999, time.FixedZone("CET", 3600))
	got := ledger.TruncateTime(in)
	if got.Location() != time.UTC || got.Nanosecond() != 0 || !got.Equal(in.Truncate(time.Second)) {
		t.Errorf("TruncateTime(%v) = %v", in, got)
	}
}

func FuzzTransactionValidate(f *testing.F) {
	f.Add("1.25", "-1.25", "EUR", "a:b:c")
	f.Add("1", "-0.999999999999999999", "JPY", "x:y")
	f.Fuzz(func(t *testing.T, a, b, currency, account string) {
		da, errA := decimal.NewFromString(a)
		db, errB := decimal.NewFromString(b)
		if errA != nil || errB != nil {
			return
		}
		tx := ledger.Transaction{ID: "F", Time: time.Unix(1e9, 0), Kind: "k", Entries: []ledger.Entry{
			{Account: account, Amount: da, Currency: currency}, {Account: "p:q:r", Amount: db, Currency: currency}}}
		err := tx.Validate()
		if err == nil && !da.Add(db).IsZero() {
			t.Fatalf("accepted unbalanced %s + %s", a, b)
		}
		if err != nil && !errors.Is(err, ledger.ErrInvalid) && !errors.Is(err, ledger.ErrUnbalanced) && !errors.Is(err, ledger.ErrOutOfBounds) {
			t.Fatalf("error of no kind: %v", err)
		}
	})
}

// BenchmarkValidateUsage measures the per-row cost the ledger adds before every write; it must
// stay far below the driver's ~2 µs per row.
func BenchmarkValidateUsage(b *testing.B) {
	for _, n := range []int{1000, 100_000} {
		b.Run("rows="+itoa(n), func(b *testing.B) {
			rows := make([]ledger.Usage, n)
			for i := range rows {
				rows[i] = validUsage()
				rows[i].Quantity = decimal.New(int64(i)*7919, -int32(i%13))
				rows[i].Attributes = []ledger.Attribute{{Key: "region", Value: "eu"}}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := ledger.ValidateUsage(rows); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

func itoa(n int) string { return decimal.NewFromInt(int64(n)).String() }
