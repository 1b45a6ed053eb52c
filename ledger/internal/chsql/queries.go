package chsql

import (
	"strconv"
	"strings"

	"github.com/cascade-billing/cascade/ledger"
)

// Query is a SELECT with Columns result columns; the matching Decode* function turns its rows,
// as text, into domain values. Every column is a String except those marked in Decimal, which
// are Decimal columns: ClickHouse 18.16's toString(Decimal128) corrupts values of more than
// about 20 digits, so decimals travel in their own type and each adapter renders them as text
// (the server adapter scans them into decimal.Decimal; chdb's text output is already exact).
type Query struct {
	SQL     string
	Columns int
	Decimal []bool
}

// decimals returns a Decimal mask of n columns with the given positions set.
func decimals(n int, positions ...int) []bool {
	m := make([]bool, n)
	for _, p := range positions {
		m[p] = true
	}
	return m
}

// where joins conditions with AND.
type where []string

func (w *where) add(cond string) { *w = append(*w, cond) }

func (w where) String() string {
	if len(w) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w, " AND ")
}

func (w *where) period(column string, p ledger.Period) {
	w.add(column + " >= " + Time(p.From))
	w.add(column + " < " + Time(p.To))
}

func (w *where) usageScope(q ledger.UsageQuery) {
	if q.Account != "" {
		w.add("account = " + String(q.Account))
	} else {
		w.add("pricing_group = " + String(q.PricingGroup))
	}
	w.period("event_time", q.Period)
	if len(q.Meters) > 0 {
		w.add("meter IN " + Strings(q.Meters))
	}
	if q.Subscription != "" {
		w.add("subscription = " + String(q.Subscription))
	}
}

// UsageTotals sums quantities per meter. FINAL collapses rows of the same (source, event_id);
// all filters are on ORDER BY columns, so filtering before the merge (18.16 moves WHERE to
// PREWHERE) cannot separate duplicates.
func UsageTotals(db string, q ledger.UsageQuery) Query {
	var w where
	w.usageScope(q)
	return Query{Columns: 3, Decimal: decimals(3, 1), SQL: "SELECT meter, sum(quantity), toString(count()) FROM " +
		UsageTable().Qualified(db) + " FINAL" + w.String() + " GROUP BY meter ORDER BY meter"}
}

// Consumption sums one account's quantities per UTC day, meter and optional attribute value.
func Consumption(db string, q ledger.ConsumptionQuery) Query {
	var w where
	w.add("account = " + String(q.Account))
	w.period("event_time", q.Period)
	if len(q.Meters) > 0 {
		w.add("meter IN " + Strings(q.Meters))
	}
	group := "''"
	if q.GroupBy != "" {
		group = "attr_values[indexOf(attr_keys, " + String(q.GroupBy) + ")]"
	}
	return Query{Columns: 5, Decimal: decimals(5, 3), SQL: "SELECT toString(toUnixTimestamp(toStartOfDay(event_time))) AS day_, meter, " + group +
		" AS group_, sum(quantity), toString(count()) FROM " + UsageTable().Qualified(db) + " FINAL" + w.String() +
		" GROUP BY day_, meter, group_ ORDER BY day_, meter, group_"}
}

// ratedDeltas is a subquery over every stored rated delta, as columns cols (rated-table
// names), filtered by w: the rated table's rows (FINAL: the latest version of each id) and the
// deltas carried in usage rows (FINAL collapses replays of the row; ARRAY JOIN drops rows
// without deltas). A delta written through WriteRated under a carried delta's id replaces it
// (a re-rating): the NOT IN leaves such carried deltas out. Measured on 18.16 over ~1M deltas,
// this costs the server about what the rated table alone did; grouping both sides by id with
// argMax took twice as long. Every filter column is a deterministic function of the identity
// on both sides, so filtering before the collapse cannot separate copies.
func ratedDeltas(db string, w where, cols ...string) string {
	fromUsage := make([]string, len(cols))
	joined := []string{"rated_id"}
	for i, c := range cols {
		switch c {
		case "id", "charge", "quantity", "amount", "currency":
			fromUsage[i] = "rated_" + c + " AS " + c
			if c != "id" {
				joined = append(joined, "rated_"+c)
			}
		default:
			fromUsage[i] = c
		}
	}
	carried := append(where{}, w...)
	carried.add("rated_id NOT IN (SELECT id FROM " + RatedTable().Qualified(db) + w.String() + ")")
	return "(SELECT " + strings.Join(cols, ", ") + " FROM " + RatedTable().Qualified(db) + " FINAL" + w.String() +
		" UNION ALL SELECT " + strings.Join(fromUsage, ", ") + " FROM " + UsageTable().Qualified(db) + " FINAL ARRAY JOIN " +
		strings.Join(joined, ", ") + carried.String() + ")"
}

// RatedTotals sums rated deltas per charge and currency, latest version of each id.
func RatedTotals(db string, q ledger.UsageQuery) Query {
	var w where
	w.usageScope(q)
	return Query{Columns: 5, Decimal: decimals(5, 2, 3), SQL: "SELECT charge, currency, sum(quantity), sum(amount), toString(count()) FROM " +
		ratedDeltas(db, w, "charge", "currency", "quantity", "amount") + " GROUP BY charge, currency ORDER BY charge, currency"}
}

// Balances sums journal entries booked at or before AsOf per account code and currency.
func Balances(db string, q ledger.BalanceQuery) Query {
	var w where
	w.add("tx_time <= " + Time(q.AsOf))
	if q.AccountPrefix != "" {
		w.add("substring(account, 1, " + strconv.Itoa(len(q.AccountPrefix)) + ") = " + String(q.AccountPrefix))
	}
	return Query{Columns: 3, Decimal: decimals(3, 2), SQL: "SELECT account, currency, sum(amount) FROM " + JournalTable().Qualified(db) +
		" FINAL" + w.String() + " GROUP BY account, currency ORDER BY account, currency"}
}

// Journal lists a party's entries in a period.
func Journal(db string, q ledger.JournalQuery) Query {
	var w where
	w.add("party = " + String(q.Party))
	w.period("tx_time", q.Period)
	return Query{Columns: 11, Decimal: decimals(11, 6), SQL: "SELECT tx_id, toString(entry_index), toString(toUnixTimestamp(tx_time)), kind, description, " +
		"account, amount, currency, invoice_id, line_id, event_id FROM " + JournalTable().Qualified(db) + " FINAL" +
		w.String() + " ORDER BY tx_time, tx_id, entry_index"}
}

// Documents lists the latest version of each matching document. It uses argMax rather than
// FINAL: status is not a key column, and filtering before the merge could pick an old version.
func Documents(db string, q ledger.DocumentQuery) Query {
	var w where
	if q.Status != "" {
		w.add("status_ = " + String(string(q.Status)))
	}
	if q.Kind != "" {
		w.add("kind_ = " + String(string(q.Kind)))
	}
	if q.Account != "" {
		w.add("account_ = " + String(q.Account))
	}
	if q.Issuer != "" {
		w.add("issuer_ = " + String(q.Issuer))
	}
	latest := func(col string) string { return "argMax(" + col + ", version) AS " + col + "_" }
	latestTime := func(col string) string {
		return "toString(toUnixTimestamp(argMax(" + col + ", version))) AS " + col + "_"
	}
	inner := strings.Join([]string{
		"id", "toString(max(version)) AS version_", latest("kind"), latest("number"), latest("issuer"), latest("account"),
		latest("currency"), latestTime("period_start"), latestTime("period_end"), latestTime("issued_at"), latest("status"),
		latest("subtotal"), latest("tax"), latest("total"), latest("refers_to"), latestTime("changed_at"),
		latest("actor"),
	}, ", ")
	return Query{Columns: 17, Decimal: decimals(17, 11, 12, 13), SQL: "SELECT id, version_, kind_, number_, issuer_, account_, currency_, period_start_, period_end_, " +
		"issued_at_, status_, subtotal_, tax_, total_, refers_to_, changed_at_, actor_ FROM (SELECT " + inner + " FROM " +
		DocumentsTable().Qualified(db) + " GROUP BY id)" + w.String() + " ORDER BY id"}
}

// DocumentLines returns the lines of the latest version of a document that has lines.
func DocumentLines(db string, documentID string) Query {
	t := DocumentLinesTable().Qualified(db)
	id := String(documentID)
	return Query{Columns: 8, Decimal: decimals(8, 4, 5, 6, 7), SQL: "SELECT toString(line_no), description, charge, meter, quantity, unit_price, " +
		"amount, tax_amount FROM " + t + " FINAL WHERE document_id = " + id +
		" AND version = (SELECT max(version) FROM " + t + " WHERE document_id = " + id + ") ORDER BY line_no"}
}

func rejectWhere(q ledger.RejectQuery) where {
	var w where
	w.period("at", q.Period)
	if q.Reason != "" {
		w.add("reason = " + String(q.Reason))
	}
	if q.Source != "" {
		// substring, not startsWith: the schema works on ClickHouse 18.16 too.
		prefix := q.Source + "/"
		w.add("(source = " + String(q.Source) + " OR substring(source, 1, " + strconv.Itoa(len(prefix)) + ") = " + String(prefix) + ")")
	}
	return w
}

// RejectCounts counts distinct rejected records per reason.
func RejectCounts(db string, q ledger.RejectQuery) Query {
	return Query{Columns: 2, SQL: "SELECT reason, toString(count()) FROM " + RejectsTable().Qualified(db) + " FINAL" +
		rejectWhere(q).String() + " GROUP BY reason ORDER BY reason"}
}

// Rejects lists rejected records; the original bytes come back hex-encoded so that any bytes
// survive every output format.
func Rejects(db string, q ledger.RejectQuery) Query {
	limit := ""
	if q.Limit > 0 {
		limit = " LIMIT " + strconv.Itoa(q.Limit)
	}
	return Query{Columns: 9, SQL: "SELECT topic, toString(kafka_partition), toString(kafka_offset), toString(toUnixTimestamp(at)), " +
		"reason, detail, source, event_id, hex(original) FROM " + RejectsTable().Qualified(db) + " FINAL" + rejectWhere(q).String() +
		" ORDER BY at, topic, kafka_partition, kafka_offset" + limit}
}

// Audit lists audit entries in a period, optionally of one object.
func Audit(db string, q ledger.AuditQuery) Query {
	var w where
	w.period("at", q.Period)
	if q.Object != "" {
		w.add("object = " + String(q.Object))
	}
	return Query{Columns: 7, SQL: "SELECT id, toString(toUnixTimestamp(at)), actor, action, object, origin, detail FROM " +
		AuditTable().Qualified(db) + " FINAL" + w.String() + " ORDER BY at, id"}
}

// ScanUsage lists usage identities and ownership from q.Since on. FINAL collapses rows of the
// same (source, event_id); event_time is an ORDER BY column, a deterministic function of the
// identity, so the filter cannot separate duplicates.
func ScanUsage(db string, q ledger.ScanQuery) Query {
	return Query{Columns: 7, SQL: "SELECT source, event_id, subject, meter, account, pricing_group, toString(toUnixTimestamp(event_time)) FROM " +
		UsageTable().Qualified(db) + " FINAL WHERE event_time >= " + Time(q.Since) + " ORDER BY event_time, source, event_id"}
}

// ScanRated lists rated deltas from q.Since on, the latest version of each id, from both the
// rated table and the usage rows (ratedDeltas).
func ScanRated(db string, q ledger.ScanQuery) Query {
	w := where{"event_time >= " + Time(q.Since)}
	return Query{Columns: 6, Decimal: decimals(6, 5), SQL: "SELECT id, source, event_id, charge, toString(toUnixTimestamp(event_time)), quantity FROM " +
		ratedDeltas(db, w, "id", "source", "event_id", "charge", "event_time", "quantity") + " ORDER BY event_time, id"}
}
