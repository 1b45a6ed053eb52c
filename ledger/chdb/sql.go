package chdb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/internal/chsql"
)

// Statically check the Store answers analysts' SQL.
var _ ledger.SQL = (*Store)(nil)

// sqlFormat is the answer format of Query: every value as JSON text, so decimals, 64-bit
// integers and dates arrive exactly as ClickHouse prints them, with the names and types ahead.
const sqlFormat = "JSONCompactStrings"

// Query implements ledger.SQL on the embedded engine. libchdb runs several statements given in
// one call, and a SETTINGS clause binds only the statement it ends, so read-only mode takes
// three steps: ledger.CheckReadOnly; then the engine's own parser must read the text as exactly
// one statement (formatQuerySingleLine refuses "Multi-statements are not allowed") whose
// normalised form, comments gone, passes the check again; only then the statement runs with
// SETTINGS readonly = 1, which makes the engine refuse any write, DDL, settings change or
// file() read it might still hold. Unqualified tables are the ledger's: the call switches the
// engine's current database to it in the same engine call as the statement (libchdb serialises
// calls on its connection, so the two run together; every other query of the package names its
// database, so the switch affects nothing else). The answer is read whole, as every read of the
// package is: a statement over millions of rows wants a LIMIT.
func (s *Store) Query(ctx context.Context, sql string) ([]string, [][]string, error) {
	stmt, err := ledger.CheckReadOnly(sql)
	if err != nil {
		return nil, nil, fmt.Errorf("chdb ledger: sql: %w", err)
	}
	return s.queryReadOnly(ctx, stmt)
}

// queryReadOnly is Query after ledger.CheckReadOnly: the engine's own checks, which must hold
// even for a statement the scanner misjudged (tests call it with unchecked text).
func (s *Store) queryReadOnly(ctx context.Context, stmt string) ([]string, [][]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("chdb ledger: sql: %w", err)
	}
	done, err := s.begin()
	if err != nil {
		return nil, nil, err
	}
	defer done()
	parsed, err := s.sess.Query("SELECT formatQuerySingleLine("+chsql.String(stmt)+") SETTINGS readonly = 1", sqlFormat)
	if err != nil {
		return nil, nil, sqlErr("parse", err)
	}
	_, norm, err := decodeSQLAnswer(parsed)
	if err != nil || len(norm) != 1 || len(norm[0]) != 1 {
		return nil, nil, fmt.Errorf("chdb ledger: sql: parse: unexpected answer %.200q (%v): %w", parsed, err, ledger.ErrQuery)
	}
	if _, err := ledger.CheckReadOnly(norm[0][0]); err != nil {
		return nil, nil, fmt.Errorf("chdb ledger: sql: as the engine reads it (%s): %w", norm[0][0], err)
	}
	// The newline ends any comment the statement might end in; CheckReadOnly has already cut
	// trailing comments, this is belt and braces.
	out, err := s.sess.Query("USE "+chsql.Ident(s.db)+"; "+stmt+"\nSETTINGS readonly = 1", sqlFormat)
	if err != nil {
		return nil, nil, sqlErr("run", err)
	}
	cols, rows, err := decodeSQLAnswer(out)
	if err != nil {
		return nil, nil, fmt.Errorf("chdb ledger: sql: %w", err)
	}
	return cols, rows, nil
}

// sqlErr classifies an engine error: a read-only refusal (code 164, READONLY) is
// ErrNotReadOnly, a closed store ErrClosed, anything else the statement's own fault (ErrQuery).
func sqlErr(step string, err error) error {
	msg := err.Error()
	switch {
	case errors.Is(engineErr(step, err), ledger.ErrClosed):
		return fmt.Errorf("chdb ledger: sql: %s: %w", step, ledger.ErrClosed)
	case strings.Contains(msg, "(READONLY)"):
		return fmt.Errorf("chdb ledger: sql: %s: %s: %w", step, firstLine(msg), ledger.ErrNotReadOnly)
	}
	return fmt.Errorf("chdb ledger: sql: %s: %s: %w", step, firstLine(msg), ledger.ErrQuery)
}

// firstLine keeps an engine message to one line (stack traces follow the first).
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// sqlAnswer is the part of a JSONCompactStrings answer Query reads.
type sqlAnswer struct {
	Meta []struct {
		Name string `json:"name"`
		Type string `json:"type"`
	} `json:"meta"`
	Data [][]*string `json:"data"`
}

// jsonStringsNull is how JSONCompactStrings writes a NULL of a Nullable column (the Pretty
// formats' symbol, as a string). A Nullable(String) holding that very text reads as NULL too.
const jsonStringsNull = "ᴺᵁᴸᴸ"

// decodeSQLAnswer reads a JSONCompactStrings answer into names and text rows, NULL as "NULL".
// An empty answer (a statement with no result set) is no columns and no rows.
func decodeSQLAnswer(out []byte) ([]string, [][]string, error) {
	if len(strings.TrimSpace(string(out))) == 0 {
		return nil, nil, nil
	}
	var a sqlAnswer
	if err := json.Unmarshal(out, &a); err != nil {
		return nil, nil, fmt.Errorf("decode the answer: %w", err)
	}
	cols := make([]string, len(a.Meta))
	for i, m := range a.Meta {
		cols[i] = m.Name
	}
	rows := make([][]string, 0, len(a.Data))
	for r, d := range a.Data {
		if len(d) != len(cols) {
			return nil, nil, fmt.Errorf("decode the answer: row %d has %d values for %d columns", r, len(d), len(cols))
		}
		row := make([]string, len(d))
		for i, v := range d {
			row[i] = "NULL"
			if v != nil && !(*v == jsonStringsNull && strings.Contains(a.Meta[i].Type, "Nullable(")) {
				row[i] = *v
			}
		}
		rows = append(rows, row)
	}
	return cols, rows, nil
}
