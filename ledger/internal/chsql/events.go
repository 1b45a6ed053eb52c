package chsql

import (
	"slices"
	"strings"

	"github.com/cascade-billing/cascade/ledger"
)

// EventsTable holds state events (ledger.Event), one row per (aggregate, seq). Not partitioned:
// rows only collapse within a partition, and an aggregate's events span years. data keeps the
// payload's bytes exactly (a String is a byte string in ClickHouse).
func EventsTable() Table {
	return Table{Name: "events", Columns: []Column{
		{"aggregate", "String"}, {"seq", "UInt64"}, {"type", "String"}, {"at", typeTime},
		{"recorded_at", typeTime}, {"actor", "String"}, {"data", "String"},
	}, Engine: "ENGINE = ReplacingMergeTree() ORDER BY (aggregate, seq)"}
}

// Events lists the events whose aggregate starts with q.AggregatePrefix, one per identity
// (FINAL), sorted by (aggregate, seq). The prefix is both a key range (so the primary index
// skips other aggregates) and a startsWith test (exact on any bytes); aggregate is the first
// key column, so the filter cannot separate duplicates. data comes back hex-encoded so that any
// bytes survive every output format.
func Events(db string, q ledger.EventQuery) Query {
	var w where
	if p := q.AggregatePrefix; p != "" {
		w.add("aggregate >= " + String(p))
		if next, ok := prefixEnd(p); ok {
			w.add("aggregate < " + String(next))
		}
		w.add("startsWith(aggregate, " + String(p) + ")")
	}
	return Query{Columns: 7, SQL: "SELECT aggregate, toString(seq), type, toString(toUnixTimestamp(at)), " +
		"toString(toUnixTimestamp(recorded_at)), actor, hex(data) FROM " + EventsTable().Qualified(db) + " FINAL" +
		w.String() + " ORDER BY aggregate, seq"}
}

// prefixEnd returns the smallest string greater than every string with prefix p (bytewise, as
// ClickHouse compares String): p with its last byte below 0xFF incremented and the rest cut.
// ok is false when p is all 0xFF bytes, which has no upper bound.
func prefixEnd(p string) (string, bool) {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xFF {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}

// DecodeEvents decodes the rows of Events.
func DecodeEvents(rows [][]string) ([]ledger.Event, error) {
	return decodeRows("events", rows, func(d *decoder) ledger.Event {
		return ledger.Event{Aggregate: d.str(), Seq: d.u64(), Type: d.str(), At: d.unix(), RecordedAt: d.unix(),
			Actor: d.str(), Data: d.bytes()}
	})
}

// maxAccountsLiteral bounds the bytes of one query's account list. ClickHouse refuses queries
// longer than max_query_size (256 KiB by default, on 18.16 and 26.x alike); half of it leaves
// room for the rest of the statement and any account name.
const maxAccountsLiteral = 128 << 10

// PeriodUsage returns the bulk period read as one query, or several when q.Accounts is too long
// for one statement. Accounts are deduplicated and sorted and each query takes a contiguous
// run of them, so the answers, concatenated in order, are sorted by (account, subscription,
// meter) as a whole, and no account is in two answers.
//
// Duplicates collapse in the inner GROUP BY over the usage table's whole sort key (what FINAL
// would merge), and it runs after WHERE on purpose: with IngestedBefore, a redelivered event
// counts if any copy was ingested before the cut (it was known then). With FINAL, both 18.16
// and 26.5 filtered after the merge and dropped such an event (conformance case
// period_usage/ingested_before). The latest quantity is the one of the greatest (event_time,
// event_id, source): source only breaks ties.
func PeriodUsage(db string, q ledger.PeriodUsageQuery) []Query {
	var w where
	w.period("event_time", q.Period)
	if !q.IngestedBefore.IsZero() {
		w.add("ingest_time < " + Time(q.IngestedBefore))
	}
	unique, attrs := "toString(toUInt64(0))", ""
	if len(q.UniqueBy) > 0 {
		// The attribute's value when the row's meter counts one, else '' (not counted);
		// arrayElement with index 0 (attribute missing) is '' too.
		meters := make([]string, 0, len(q.UniqueBy))
		for m := range q.UniqueBy {
			meters = append(meters, m)
		}
		slices.Sort(meters)
		var b strings.Builder
		b.WriteString("multiIf(")
		for _, m := range meters {
			b.WriteString("meter = " + String(m) + ", v_[indexOf(k_, " + String(q.UniqueBy[m]) + ")], ")
		}
		b.WriteString("'')")
		unique = "toString(uniqExactIf(" + b.String() + ", " + b.String() + " != ''))"
		attrs = ", any(attr_keys) AS k_, any(attr_values) AS v_"
	}
	build := func(w where) Query {
		return Query{Columns: 8, Decimal: decimals(8, 3, 4, 5), SQL: "SELECT account, sub_, meter, sum(qty_), max(qty_), " +
			"argMax(qty_, tuple(event_time, event_id, source)), toString(count()), " + unique + " FROM (SELECT account, meter, event_time, " +
			"source, event_id, any(subscription) AS sub_, any(quantity) AS qty_" + attrs + " FROM " + UsageTable().Qualified(db) +
			w.String() + " GROUP BY account, meter, event_time, source, event_id) GROUP BY account, sub_, meter " +
			"ORDER BY account, sub_, meter"}
	}
	if len(q.Accounts) == 0 {
		return []Query{build(w)}
	}
	var out []Query
	for _, chunk := range accountChunks(q.Accounts, maxAccountsLiteral) {
		// The run's bounds as a key range as well: the primary index (account first) then
		// skips the other runs' granules on every version, whatever it makes of a large IN.
		cw := append(append(where{}, w...), "account >= "+String(chunk[0]), "account <= "+String(chunk[len(chunk)-1]),
			"account IN "+Strings(chunk))
		out = append(out, build(cw))
	}
	return out
}

// accountChunks sorts and deduplicates accounts and splits them into runs whose quoted list
// stays within limit bytes (a single longer account still gets its own run).
func accountChunks(accounts []string, limit int) [][]string {
	sorted := append([]string(nil), accounts...)
	slices.Sort(sorted)
	var (
		out  [][]string
		cur  []string
		size int
	)
	for i, a := range sorted {
		if i > 0 && a == sorted[i-1] {
			continue
		}
		n := len(String(a)) + 2 // the literal and ", "
		if len(cur) > 0 && size+n > limit {
			out = append(out, cur)
			cur, size = nil, 0
		}
		cur = append(cur, a)
		size += n
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// DecodePeriodUsage decodes the rows of PeriodUsage.
func DecodePeriodUsage(rows [][]string) ([]ledger.AccountUsage, error) {
	return decodeRows("period usage", rows, func(d *decoder) ledger.AccountUsage {
		return ledger.AccountUsage{Account: d.str(), Subscription: d.str(), Meter: d.str(), Quantity: d.dec(), Max: d.dec(),
			Latest: d.dec(), Events: d.u64(), Unique: d.u64()}
	})
}
