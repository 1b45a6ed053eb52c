package ledger

import (
	"context"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Writer appends records. Every method validates the whole slice first and writes nothing if a
// record is invalid. When a method returns nil, the records are durable; when it returns an
// error, none of them may be assumed durable (some may be: writing them again is harmless,
// because reads collapse rows with the same identity). Times are stored truncated to the
// second (TruncateTime). Implementations are safe for concurrent use, and keep no slice they
// were given once the method returned (callers reuse them; the values in them may be kept).
type Writer interface {
	WriteUsage(ctx context.Context, rows []Usage) error
	WriteRated(ctx context.Context, rows []RatedDelta) error
	// WriteTransactions rejects the whole call, before writing, if any transaction does not
	// balance per currency.
	WriteTransactions(ctx context.Context, txs []Transaction) error
	WriteDocuments(ctx context.Context, docs []Document) error
	WriteRejects(ctx context.Context, rows []Reject) error
	WriteAudit(ctx context.Context, rows []AuditEntry) error
}

// Reader answers the ledger's queries. Every answer collapses duplicates (rows with the same
// identity count once) and takes the latest version of versioned records. Results are sorted
// as each method says, so equal data gives equal answers on every backend.
type Reader interface {
	// UsageTotals sums accepted quantities per meter (sorted by meter).
	UsageTotals(ctx context.Context, q UsageQuery) ([]UsageTotal, error)
	// Consumption sums quantities per day, meter and optional attribute (sorted by those).
	Consumption(ctx context.Context, q ConsumptionQuery) ([]ConsumptionRow, error)
	// RatedTotals sums rated deltas per charge and currency (sorted by charge, currency).
	RatedTotals(ctx context.Context, q UsageQuery) ([]RatedTotal, error)
	// Balances sums journal entries per account code and currency (sorted by both).
	Balances(ctx context.Context, q BalanceQuery) ([]Balance, error)
	// Journal lists a party's entries in a period (sorted by time, transaction, entry index).
	Journal(ctx context.Context, q JournalQuery) ([]JournalLine, error)
	// Documents lists the latest version of matching documents, without lines (sorted by id).
	Documents(ctx context.Context, q DocumentQuery) ([]Document, error)
	// DocumentLines returns the lines of the latest version of a document that has lines
	// (sorted by line number); empty if the document is unknown.
	DocumentLines(ctx context.Context, documentID string) ([]DocumentLine, error)
	// RejectCounts counts rejects per reason code (sorted by reason).
	RejectCounts(ctx context.Context, q RejectQuery) ([]RejectCount, error)
	// Rejects lists rejects with their original bytes (sorted by time, topic, partition, offset).
	Rejects(ctx context.Context, q RejectQuery) ([]Reject, error)
	// Audit lists audit entries (sorted by time, id).
	Audit(ctx context.Context, q AuditQuery) ([]AuditEntry, error)
}

// Store is the ledger: every backend (ClickHouse server, embedded chdb, the in-memory fake)
// implements it and passes ledgertest.RunConformance. The package that wires the program owns
// the Store and closes it. It includes the event log and the bulk period read so that one
// Store serves mediation and billing alike; code that needs only those declares the smaller
// interfaces.
type Store interface {
	Writer
	Reader
	EventLog
	PeriodUsageReader
	// Close releases connections. Calls after Close return ErrClosed.
	Close() error
}

// Period is a half-open time range [From, To). Both ends are required.
type Period struct {
	From time.Time
	To   time.Time
}

// UsageQuery selects usage (or rated deltas) of one account, or of one pricing group when
// PricingGroup is set instead, by event time.
type UsageQuery struct {
	Account      string
	PricingGroup string
	Period       Period
	Meters       []string // empty: all meters
	// Subscription narrows the answer to one subscription's records ("" = all): an account with
	// two subscriptions pricing the same charge has two separate totals.
	Subscription string
}

// UsageTotal is a meter's accepted quantity over a period, duplicates collapsed.
type UsageTotal struct {
	Meter    string
	Quantity decimal.Decimal
	Events   uint64
}

// ConsumptionQuery selects one customer's usage by event day. GroupBy names an attribute key
// to break totals down by (empty: no breakdown); events without it group under "".
type ConsumptionQuery struct {
	Account string
	Period  Period
	Meters  []string
	GroupBy string
}

// ConsumptionRow is one (day, meter, attribute value) total.
type ConsumptionRow struct {
	Day      time.Time // 00:00:00 UTC of the event day
	Meter    string
	Group    string // the GroupBy attribute's value; "" without GroupBy
	Quantity decimal.Decimal
	Events   uint64
}

// RatedTotal is the sum of rated deltas of one charge in one currency.
type RatedTotal struct {
	Charge   string
	Currency string
	Quantity decimal.Decimal
	Amount   decimal.Decimal
	Events   uint64
}

// BalanceQuery selects journal entries booked at or before AsOf, on account codes starting with
// AccountPrefix (empty: all accounts; "reseller:R1:" for one party).
type BalanceQuery struct {
	AccountPrefix string
	AsOf          time.Time
}

// Balance is an account code's balance in one currency.
type Balance struct {
	Account  string
	Currency string
	Amount   decimal.Decimal
}

// JournalQuery selects the entries of one party ("reseller:R1") booked in a period.
type JournalQuery struct {
	Party  string
	Period Period
}

// JournalLine is one stored journal entry with its transaction's header.
type JournalLine struct {
	TxID        string
	Index       uint32 // position of the entry in its transaction
	Time        time.Time
	Kind        string
	Description string
	Entry
}

// DocumentQuery selects documents by their latest status; empty fields match everything.
type DocumentQuery struct {
	Status  DocumentStatus
	Kind    DocumentKind
	Account string
	Issuer  string
}

// RejectQuery selects rejects by reject time, optionally of one reason; Limit caps listings
// (0: no cap).
type RejectQuery struct {
	Reason string
	// Source selects the rejects of one source: records whose source is Source or starts with
	// Source + "/" (a vendor's sub-sources); "" selects every source.
	Source string
	Period Period
	Limit  int
}

// MatchesSource says whether a reject's source is selected by q.Source.
func (q RejectQuery) MatchesSource(source string) bool {
	return q.Source == "" || source == q.Source || strings.HasPrefix(source, q.Source+"/")
}

// RejectCount is how many distinct records were rejected for a reason.
type RejectCount struct {
	Reason string
	Count  uint64
}

// AuditQuery selects audit entries by time, optionally of one object.
type AuditQuery struct {
	Object string
	Period Period
}
