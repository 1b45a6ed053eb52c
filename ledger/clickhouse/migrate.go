package clickhouse

import (
	"context"
	"errors"
	"fmt"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/cascade-billing/cascade/ledger/internal/chsql"
)

// Server error codes that mean another process created the object first: concurrent
// CREATE ... IF NOT EXISTS can still race on old servers, and the object is there either way.
const (
	codeTableAlreadyExists    = 57
	codeDatabaseAlreadyExists = 82
	codeColumnAlreadyExists   = 44 // ILLEGAL_COLUMN: "Cannot add column …: column with this name already exists"
)

// migrate creates the database and migrations table, then applies and records every migration
// not yet recorded. Each statement is idempotent, so two processes starting at once, or one that
// died between applying and recording, converge on the same schema.
func (s *Store) migrate(ctx context.Context) error {
	db := s.cfg.Database
	for _, stmt := range chsql.Bootstrap(db) {
		if err := s.execDDL(ctx, stmt); err != nil {
			return err
		}
	}
	rows, err := s.query(ctx, chsql.Query{SQL: chsql.AppliedMigrationsSQL(db), Columns: 1})
	if err != nil {
		return fmt.Errorf("read applied migrations: %w", err)
	}
	applied := make(map[string]bool, len(rows))
	for _, r := range rows {
		applied[r[0]] = true
	}
	for _, m := range chsql.Migrations(db) {
		if applied[chsql.Uint(uint64(m.Version))] {
			continue
		}
		for i, stmt := range m.Statements {
			if err := s.execDDL(ctx, stmt); err != nil {
				return fmt.Errorf("migration %d (%s) statement %d: %w", m.Version, m.Name, i, err)
			}
		}
		for _, c := range m.AddColumns {
			if err := s.addColumn(ctx, c); err != nil {
				return fmt.Errorf("migration %d (%s) column %s.%s: %w", m.Version, m.Name, c.Table.Name, c.Column.Name, err)
			}
		}
		if err := s.conn.Exec(ctx, chsql.RecordMigrationSQL(db, m, s.cfg.Clock())); err != nil {
			return fmt.Errorf("record migration %d: %w", m.Version, classify(err))
		}
		s.cfg.Logger.Info("ledger migration applied", "database", db, "version", m.Version, "name", m.Name)
	}
	return nil
}

// addColumn adds a column unless the table has it (18.16 has no ADD COLUMN IF NOT EXISTS); a
// concurrent start that added it first makes the ALTER fail with "already exists", ignored.
func (s *Store) addColumn(ctx context.Context, c chsql.TableColumn) error {
	rows, err := s.query(ctx, chsql.Query{SQL: c.ColumnExistsSQL(s.cfg.Database), Columns: 1})
	if err != nil {
		return fmt.Errorf("look up the column: %w", err)
	}
	if len(rows) == 1 && rows[0][0] == "1" {
		return nil
	}
	err = s.conn.Exec(ctx, c.AddColumnSQL(s.cfg.Database))
	var ex *ch.Exception
	if errors.As(err, &ex) && ex.Code == codeColumnAlreadyExists {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: %w", c.AddColumnSQL(s.cfg.Database), classify(err))
	}
	return nil
}

func (s *Store) execDDL(ctx context.Context, stmt string) error {
	err := s.conn.Exec(ctx, stmt)
	var ex *ch.Exception
	if errors.As(err, &ex) && (ex.Code == codeTableAlreadyExists || ex.Code == codeDatabaseAlreadyExists) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: %w", stmt, classify(err))
	}
	return nil
}

// AppliedMigrations returns the recorded schema versions, ascending and without duplicates
// (two processes may both have recorded one).
func AppliedMigrations(ctx context.Context, s *Store) ([]uint32, error) {
	rows, err := s.query(ctx, chsql.Query{SQL: chsql.AppliedMigrationsSQL(s.cfg.Database), Columns: 1})
	if err != nil {
		return nil, fmt.Errorf("ledger/clickhouse: applied migrations: %w", err)
	}
	out := make([]uint32, 0, len(rows))
	for _, r := range rows {
		var v uint32
		if _, err := fmt.Sscan(r[0], &v); err != nil {
			return nil, fmt.Errorf("ledger/clickhouse: applied migrations: version %q: %w", r[0], err)
		}
		out = append(out, v)
	}
	return out, nil
}
