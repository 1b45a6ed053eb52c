// Package chsql is the ClickHouse SQL shared by both ledger adapters (server and embedded):
// the schema and its migrations, the query builders and the decoders of their results, and
// literal quoting. It imports no driver, so ledger/clickhouse and ledger/chdb run exactly the
// same statements.
//
// Queries inline their values as quoted literals: ClickHouse 18.16 has no {name:Type} query
// parameters and chdb has no binding at all. Every value goes through the quoting functions
// here, never through string concatenation in an adapter. Every result column is text
// to the decoders (times as Unix seconds, decimals in their own type: see Query), so both adapters
// hand rows to the same decoders and decimals are parsed exactly.
package chsql

import (
	"strconv"
	"strings"
	"time"
)

// String quotes s as a ClickHouse string literal. Only the quote and the backslash need
// escaping; any other byte is taken literally inside single quotes.
func String(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\'' || c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	b.WriteByte('\'')
	return b.String()
}

// Strings quotes a list for an IN clause: ('a', 'b').
func Strings(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = String(s)
	}
	return "(" + strings.Join(q, ", ") + ")"
}

// Time renders t as a DateTime expression in UTC. 18.16 cannot compare a DateTime column with a
// bare date string, so every time literal is a full toDateTime call with the zone pinned.
func Time(t time.Time) string {
	return "toDateTime('" + t.UTC().Format("2006-01-02 15:04:05") + "', 'UTC')"
}

// Ident quotes an identifier (database name) with backquotes.
func Ident(s string) string {
	return "`" + strings.ReplaceAll(strings.ReplaceAll(s, "\\", "\\\\"), "`", "\\`") + "`"
}

// Uint renders an unsigned integer literal.
func Uint(n uint64) string { return strconv.FormatUint(n, 10) }
