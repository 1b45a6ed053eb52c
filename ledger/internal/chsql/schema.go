package chsql

import (
	"strings"
	"time"
)

// Column is one column of a ledger table, in insert order.
type Column struct {
	Name string
	Type string
}

// Table describes a table adapters insert into: the column order of InsertSQL and Structure is
// the order adapters must send values in.
type Table struct {
	Name    string
	Columns []Column
	// Engine is everything after the column list in CREATE TABLE.
	Engine string
}

// Decimal and time column types, chosen in ledger/bounds.go.
const (
	typeQuantity = "Decimal(38, 12)"
	typeAmount   = "Decimal(38, 18)"
	typeTime     = "DateTime('UTC')"
)

// The ledger's tables. Identity columns are the last columns of ORDER BY in each
// ReplacingMergeTree, so rows with the same identity collapse under FINAL; every other ORDER BY
// column is a deterministic function of the identity (a replay writes the same values).

// UsageTable holds accepted usage, one row per (source, event_id), with the rated deltas the
// event adds carried in the same row (ledger.Usage.Rated): parallel arrays, one element per
// delta, added by migration 3.
func UsageTable() Table {
	t := usageTableV1()
	t.Columns = append(t.Columns, usageRatedColumns()...)
	return t
}

// usageTableV1 is the usage table as migration 1 creates it (frozen: later columns come
// through their own migrations, so an old ledger and a new one end up alike).
func usageTableV1() Table {
	return Table{Name: "usage", Columns: []Column{
		{"source", "String"}, {"event_id", "String"}, {"account", "String"}, {"subscription", "String"},
		{"plan_version", "String"}, {"pricing_group", "String"}, {"chain", "Array(String)"},
		{"subject", "String"}, {"meter", "String"}, {"quantity", typeQuantity},
		{"event_time", typeTime}, {"ingest_time", typeTime},
		{"attr_keys", "Array(String)"}, {"attr_values", "Array(String)"},
	}, Engine: "ENGINE = ReplacingMergeTree() PARTITION BY toYYYYMM(event_time) ORDER BY (account, meter, event_time, source, event_id)"}
}

// usageRatedColumns are the usage row's rated deltas (ledger.Rating, in order): everything
// else of such a delta is the row's own, and its version is ledger.RatingVersion.
func usageRatedColumns() []Column {
	return []Column{
		{"rated_id", "Array(String)"}, {"rated_charge", "Array(String)"},
		{"rated_quantity", "Array(" + typeQuantity + ")"}, {"rated_amount", "Array(" + typeAmount + ")"},
		{"rated_currency", "Array(String)"},
	}
}

// RatedTable holds rated deltas; the highest version of an id wins.
func RatedTable() Table {
	return Table{Name: "rated", Columns: []Column{
		{"id", "String"}, {"version", "UInt64"}, {"source", "String"}, {"event_id", "String"},
		{"account", "String"}, {"pricing_group", "String"}, {"subscription", "String"},
		{"plan_version", "String"}, {"charge", "String"}, {"meter", "String"},
		{"event_time", typeTime}, {"quantity", typeQuantity}, {"amount", typeAmount}, {"currency", "String"},
	}, Engine: "ENGINE = ReplacingMergeTree(version) PARTITION BY toYYYYMM(event_time) ORDER BY (account, charge, event_time, id)"}
}

// JournalTable holds journal entries, one row per (tx_id, entry_index).
func JournalTable() Table {
	return Table{Name: "journal", Columns: []Column{
		{"tx_id", "String"}, {"entry_index", "UInt32"}, {"tx_time", typeTime}, {"kind", "String"},
		{"description", "String"}, {"account", "String"}, {"party", "String"}, {"amount", typeAmount},
		{"currency", "String"}, {"invoice_id", "String"}, {"line_id", "String"}, {"event_id", "String"},
	}, Engine: "ENGINE = ReplacingMergeTree() PARTITION BY toYYYYMM(tx_time) ORDER BY (party, account, currency, tx_time, tx_id, entry_index)"}
}

// DocumentsTable holds document header versions; reads take argMax by version.
func DocumentsTable() Table {
	return Table{Name: "documents", Columns: []Column{
		{"id", "String"}, {"version", "UInt64"}, {"kind", "String"}, {"number", "String"},
		{"issuer", "String"}, {"account", "String"}, {"currency", "String"},
		{"period_start", typeTime}, {"period_end", typeTime}, {"issued_at", typeTime},
		{"status", "String"}, {"subtotal", typeAmount}, {"tax", typeAmount}, {"total", typeAmount},
		{"refers_to", "String"}, {"changed_at", typeTime}, {"actor", "String"},
	}, Engine: "ENGINE = ReplacingMergeTree(version) ORDER BY id"}
}

// DocumentLinesTable holds the lines of each document version.
func DocumentLinesTable() Table {
	return Table{Name: "document_lines", Columns: []Column{
		{"document_id", "String"}, {"version", "UInt64"}, {"line_no", "UInt32"},
		{"description", "String"}, {"charge", "String"}, {"meter", "String"},
		{"quantity", typeQuantity}, {"unit_price", typeAmount}, {"amount", typeAmount}, {"tax_amount", typeAmount},
	}, Engine: "ENGINE = ReplacingMergeTree() ORDER BY (document_id, version, line_no)"}
}

// DocumentEventsTable keeps every status change (one row per document version), which the
// documents table collapses away.
func DocumentEventsTable() Table {
	return Table{Name: "document_events", Columns: []Column{
		{"document_id", "String"}, {"version", "UInt64"}, {"status", "String"},
		{"at", typeTime}, {"actor", "String"},
	}, Engine: "ENGINE = ReplacingMergeTree() ORDER BY (document_id, version)"}
}

// RejectsTable holds rejected records by their Kafka position. Not partitioned by time:
// a redelivered record rejected later must still land in the same part range to collapse.
func RejectsTable() Table {
	return Table{Name: "rejects", Columns: []Column{
		{"topic", "String"}, {"kafka_partition", "Int32"}, {"kafka_offset", "Int64"}, {"at", typeTime},
		{"reason", "String"}, {"detail", "String"}, {"source", "String"}, {"event_id", "String"},
		{"original", "String"},
	}, Engine: "ENGINE = ReplacingMergeTree() ORDER BY (topic, kafka_partition, kafka_offset)"}
}

// AuditTable holds the audit log.
func AuditTable() Table {
	return Table{Name: "audit", Columns: []Column{
		{"id", "String"}, {"at", typeTime}, {"actor", "String"}, {"action", "String"},
		{"object", "String"}, {"origin", "String"}, {"detail", "String"},
	}, Engine: "ENGINE = ReplacingMergeTree() PARTITION BY toYYYYMM(at) ORDER BY (object, at, id)"}
}

// MigrationsTable records applied migrations. Two processes may both apply and record a
// version; the duplicate rows collapse.
func MigrationsTable() Table {
	return Table{Name: "schema_migrations", Columns: []Column{
		{"version", "UInt32"}, {"name", "String"}, {"applied_at", typeTime},
	}, Engine: "ENGINE = ReplacingMergeTree() ORDER BY version"}
}

// Qualified returns db.table with both parts quoted.
func (t Table) Qualified(db string) string { return Ident(db) + "." + Ident(t.Name) }

// ColumnNames returns "a, b, c".
func (t Table) ColumnNames() string {
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = c.Name
	}
	return strings.Join(names, ", ")
}

// Structure returns "a String, b UInt64, ..." as table functions (file, input) expect it.
func (t Table) Structure() string {
	parts := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		parts[i] = c.Name + " " + c.Type
	}
	return strings.Join(parts, ", ")
}

// InsertSQL returns "INSERT INTO db.t (columns)", the statement the server adapter prepares a
// batch with (18.16 hangs on INSERT ... VALUES through Exec; batches are the way in).
func (t Table) InsertSQL(db string) string {
	return "INSERT INTO " + t.Qualified(db) + " (" + t.ColumnNames() + ")"
}

// CreateSQL returns the idempotent CREATE TABLE statement.
func (t Table) CreateSQL(db string) string {
	return "CREATE TABLE IF NOT EXISTS " + t.Qualified(db) + " (" + t.Structure() + ") " + t.Engine
}

// Migration is one schema version. Every statement must be idempotent (IF NOT EXISTS), so two
// processes starting at once, or a process that died between applying and recording, can apply
// it again safely.
type Migration struct {
	Version    uint32
	Name       string
	Statements []string
	// AddColumns are applied after Statements: each column is added unless the table already
	// has it (ColumnExistsSQL), since ClickHouse 18.16 has no ADD COLUMN IF NOT EXISTS. Two
	// processes racing may both try; the loser's "already exists" error is to be ignored.
	AddColumns []TableColumn
}

// TableColumn names a column of a table, for AddColumns.
type TableColumn struct {
	Table  Table
	Column Column
}

// AddColumnSQL returns the ALTER TABLE statement adding c.
func (c TableColumn) AddColumnSQL(db string) string {
	return "ALTER TABLE " + c.Table.Qualified(db) + " ADD COLUMN " + Ident(c.Column.Name) + " " + c.Column.Type
}

// ColumnExistsSQL returns a query answering one String column: "1" when the table has c, else "0".
func (c TableColumn) ColumnExistsSQL(db string) string {
	return "SELECT toString(count() > 0) FROM system.columns WHERE database = " + String(db) + " AND table = " +
		String(c.Table.Name) + " AND name = " + String(c.Column.Name)
}

// Migrations returns the schema's migrations in order. CreateDatabase and the migrations
// table come first and are not migrations themselves.
func Migrations(db string) []Migration {
	v1 := Migration{Version: 1, Name: "initial ledger tables"}
	for _, t := range []Table{usageTableV1(), RatedTable(), JournalTable(), DocumentsTable(), DocumentLinesTable(), DocumentEventsTable(), RejectsTable(), AuditTable()} {
		v1.Statements = append(v1.Statements, t.CreateSQL(db))
	}
	v2 := Migration{Version: 2, Name: "events table", Statements: []string{EventsTable().CreateSQL(db)}}
	v3 := Migration{Version: 3, Name: "rated deltas in the usage row"}
	for _, c := range usageRatedColumns() {
		v3.AddColumns = append(v3.AddColumns, TableColumn{Table: UsageTable(), Column: c})
	}
	return []Migration{v1, v2, v3}
}

// Bootstrap returns the statements that must run before migrations are read: the database and
// the migrations table.
func Bootstrap(db string) []string {
	return []string{"CREATE DATABASE IF NOT EXISTS " + Ident(db), MigrationsTable().CreateSQL(db)}
}

// AppliedMigrationsSQL lists applied versions (one String column).
func AppliedMigrationsSQL(db string) string {
	return "SELECT DISTINCT toString(version) FROM " + MigrationsTable().Qualified(db) + " ORDER BY version"
}

// RecordMigrationSQL records a migration as applied. It is an INSERT ... SELECT, which works
// through a plain query on both backends (no VALUES, which hangs 18.16 through Exec).
func RecordMigrationSQL(db string, m Migration, at time.Time) string {
	return "INSERT INTO " + MigrationsTable().Qualified(db) + " (version, name, applied_at) SELECT " +
		Uint(uint64(m.Version)) + ", " + String(m.Name) + ", " + Time(at)
}

// StoredTime converts a time to what a DateTime('UTC') column holds: UTC, whole seconds, and
// the zero time as the Unix epoch (DateTime's default), which decoders turn back into zero.
func StoredTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Unix(0, 0).UTC()
	}
	return t.UTC().Truncate(time.Second)
}
