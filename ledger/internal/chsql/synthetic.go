package chsql

import (
	"strconv"
	"time"
)

// SyntheticUsageSQL generates rows usage rows inside the server (INSERT ... SELECT from
// numbers()), for benchmarks and load tests of 10M+ rows that would take minutes to send row by
// row. Row n belongs to account "acct-<n mod accounts>", meter "meter-<n/accounts mod 4>", has
// quantity n mod 1000 and an event time spread over days days from from; half the rows carry
// region=eu, half region=us.
func SyntheticUsageSQL(db string, rows uint64, accounts int, from time.Time, days int) string {
	acc := strconv.Itoa(accounts)
	span := strconv.Itoa(days * 86400)
	// The first 14 columns only: synthetic rows carry no rated deltas (the rated_* arrays default
	// to empty).
	return "INSERT INTO " + UsageTable().Qualified(db) + " (" + usageTableV1().ColumnNames() + ") SELECT " +
		"'synthetic', toString(number), concat('acct-', toString(number % " + acc + ")), '', '', '', emptyArrayString(), '', " +
		"concat('meter-', toString(intDiv(number, " + acc + ") % 4)), toDecimal128(number % 1000, 12), " +
		"toDateTime(" + strconv.FormatInt(from.Unix(), 10) + " + (number * 7919) % " + span + ", 'UTC') AS t, t, " +
		"['region'], [if(number % 2 = 0, 'eu', 'us')] FROM numbers(" + Uint(rows) + ")"
}
