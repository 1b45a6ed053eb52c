// Package ledger is Cascade's append-only record of what happened: accepted usage quantities,
// rated deltas, double-entry journal transactions, documents (invoices and credit notes),
// rejected records and the audit log.
//
// The package holds the domain types, their validation (including the bounds of the columns
// they are stored in), the Store interface that storage adapters implement, the query types
// and a generic batching writer. It imports no infrastructure: ClickHouse lives in
// ledger/clickhouse (server) and ledger/chdb (embedded), both built on the SQL in
// ledger/internal/chsql; ledger/ledgertest holds an in-memory Store and the conformance suite
// every Store must pass.
//
// Every row carries a deterministic identity, so a replay after a crash writes the same rows
// again and reads collapse them: writes are idempotent, reads never double count.
package ledger
