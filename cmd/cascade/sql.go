package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/cascade-billing/cascade/ledger"
)

// runSQL runs one read-only statement against the configured ledger and prints the answer.
// The statement is checked here (a refusal costs no ledger start) and again, and enforced, by
// the backend (ledger.SQL).
func runSQL(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("sql", flag.ContinueOnError)
	var src ledgerSource
	src.register(fs, false)
	format := fs.String("format", "table", "table, csv or json")
	rest, help, err := parseFlags(e, fs, "usage: cascade sql 'SELECT …' [--format table|csv|json] (--data DIR | --config FILE)\n\n"+
		"Runs one read-only statement ("+ledger.ReadOnlyKinds+") on the ledger's tables; FROM usage names the ledger's own table.", args, 1)
	if help || err != nil {
		return err
	}
	if len(rest) == 0 {
		return usagef("the statement is missing: cascade sql 'SELECT …'")
	}
	if err := oneOf("format", *format, "table", "csv", "json"); err != nil {
		return err
	}
	if _, err := ledger.CheckReadOnly(rest[0]); err != nil {
		return &usageError{err}
	}
	if err := src.check(fs); err != nil {
		return err
	}
	store, where, err := src.openStore(ctx, e)
	if err != nil {
		return err
	}
	defer store.Close()
	q, ok := store.(ledger.SQL)
	if !ok {
		return fmt.Errorf("%s does not run SQL (only the ClickHouse ledgers do)", where)
	}
	cols, rows, err := q.Query(ctx, rest[0])
	switch {
	case errors.Is(err, ledger.ErrNotReadOnly), errors.Is(err, ledger.ErrQuery):
		return &usageError{err}
	case err != nil:
		return fmt.Errorf("query %s: %w", where, err)
	}
	switch *format {
	case "csv":
		cw := csv.NewWriter(e.stdout)
		_ = cw.Write(cols)
		_ = cw.WriteAll(rows)
		return cw.Error()
	case "json":
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if rows == nil {
			rows = [][]string{}
		}
		if cols == nil {
			cols = []string{}
		}
		return enc.Encode(struct {
			Columns []string   `json:"columns"`
			Rows    [][]string `json:"rows"`
		}{cols, rows})
	}
	return writeSQLTable(e.stdout, cols, rows)
}

// writeSQLTable aligns the answer in columns; a tab or a line break inside a value is shown
// escaped (\t, \n) so every row stays one line.
func writeSQLTable(w io.Writer, cols []string, rows [][]string) error {
	if len(cols) == 0 {
		fmt.Fprintln(w, "(no result set)")
		return nil
	}
	esc := strings.NewReplacer("\\", "\\\\", "\t", "\\t", "\n", "\\n", "\r", "\\r")
	tb := newTable(cols...)
	for i := range tb.header {
		tb.header[i] = esc.Replace(cols[i]) // a column named "x>" is not a right-aligned one
	}
	for _, r := range rows {
		cells := make([]string, len(r))
		for i, c := range r {
			cells[i] = esc.Replace(c)
		}
		tb.add(cells...)
	}
	if err := tb.write(w); err != nil {
		return err
	}
	noun := "rows"
	if len(rows) == 1 {
		noun = "row"
	}
	fmt.Fprintf(w, "(%d %s)\n", len(rows), noun)
	return nil
}
