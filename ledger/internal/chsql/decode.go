package chsql

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/shopspring/decimal"
)

// decoder reads one row of String columns, remembering the first error with its position.
type decoder struct {
	query string
	row   int
	col   int
	cells []string
	err   error
}

func (d *decoder) next() string {
	if d.col >= len(d.cells) {
		d.fail(fmt.Errorf("row has %d columns", len(d.cells)))
		d.col++
		return ""
	}
	s := d.cells[d.col]
	d.col++
	return s
}

func (d *decoder) fail(err error) {
	if d.err == nil {
		d.err = fmt.Errorf("chsql: decode %s row %d column %d: %w", d.query, d.row, d.col, err)
	}
}

func (d *decoder) str() string { return d.next() }

func (d *decoder) dec() decimal.Decimal {
	s := d.next()
	v, err := decimal.NewFromString(s)
	if err != nil {
		d.fail(err)
	}
	return v
}

func (d *decoder) u64() uint64 {
	v, err := strconv.ParseUint(d.next(), 10, 64)
	if err != nil {
		d.fail(err)
	}
	return v
}

func (d *decoder) i64() int64 {
	v, err := strconv.ParseInt(d.next(), 10, 64)
	if err != nil {
		d.fail(err)
	}
	return v
}

// unix reads Unix seconds; 0 (the DateTime default) decodes as the zero time, which is how an
// unset optional time (a draft's issued_at) round-trips.
func (d *decoder) unix() time.Time {
	v := d.i64()
	if v == 0 {
		return time.Time{}
	}
	return time.Unix(v, 0).UTC()
}

func (d *decoder) bytes() []byte {
	b, err := hex.DecodeString(d.next())
	if err != nil {
		d.fail(err)
	}
	return b
}

// decodeRows runs fn once per row with a fresh decoder and stops at the first error.
func decodeRows[T any](query string, rows [][]string, fn func(d *decoder) T) ([]T, error) {
	out := make([]T, 0, len(rows))
	for i, cells := range rows {
		d := decoder{query: query, row: i, cells: cells}
		v := fn(&d)
		if d.err != nil {
			return nil, d.err
		}
		out = append(out, v)
	}
	return out, nil
}

// DecodeUsageTotals decodes the rows of UsageTotals.
func DecodeUsageTotals(rows [][]string) ([]ledger.UsageTotal, error) {
	return decodeRows("usage totals", rows, func(d *decoder) ledger.UsageTotal {
		return ledger.UsageTotal{Meter: d.str(), Quantity: d.dec(), Events: d.u64()}
	})
}

// DecodeConsumption decodes the rows of Consumption.
func DecodeConsumption(rows [][]string) ([]ledger.ConsumptionRow, error) {
	return decodeRows("consumption", rows, func(d *decoder) ledger.ConsumptionRow {
		return ledger.ConsumptionRow{Day: d.unix(), Meter: d.str(), Group: d.str(), Quantity: d.dec(), Events: d.u64()}
	})
}

// DecodeRatedTotals decodes the rows of RatedTotals.
func DecodeRatedTotals(rows [][]string) ([]ledger.RatedTotal, error) {
	return decodeRows("rated totals", rows, func(d *decoder) ledger.RatedTotal {
		return ledger.RatedTotal{Charge: d.str(), Currency: d.str(), Quantity: d.dec(), Amount: d.dec(), Events: d.u64()}
	})
}

// DecodeBalances decodes the rows of Balances.
func DecodeBalances(rows [][]string) ([]ledger.Balance, error) {
	return decodeRows("balances", rows, func(d *decoder) ledger.Balance {
		return ledger.Balance{Account: d.str(), Currency: d.str(), Amount: d.dec()}
	})
}

// DecodeJournal decodes the rows of Journal.
func DecodeJournal(rows [][]string) ([]ledger.JournalLine, error) {
	return decodeRows("journal", rows, func(d *decoder) ledger.JournalLine {
		var l ledger.JournalLine
		l.TxID = d.str()
		l.Index = uint32(d.u64())
		l.Time = d.unix()
		l.Kind = d.str()
		l.Description = d.str()
		l.Account = d.str()
		l.Amount = d.dec()
		l.Currency = d.str()
		l.InvoiceID = d.str()
		l.LineID = d.str()
		l.EventID = d.str()
		return l
	})
}

// DecodeDocuments decodes the rows of Documents (headers only).
func DecodeDocuments(rows [][]string) ([]ledger.Document, error) {
	return decodeRows("documents", rows, func(d *decoder) ledger.Document {
		var doc ledger.Document
		doc.ID = d.str()
		doc.Version = d.u64()
		doc.Kind = ledger.DocumentKind(d.str())
		doc.Number = d.str()
		doc.Issuer = d.str()
		doc.Account = d.str()
		doc.Currency = d.str()
		doc.PeriodStart = d.unix()
		doc.PeriodEnd = d.unix()
		doc.IssuedAt = d.unix()
		doc.Status = ledger.DocumentStatus(d.str())
		doc.Subtotal = d.dec()
		doc.Tax = d.dec()
		doc.Total = d.dec()
		doc.RefersTo = d.str()
		doc.ChangedAt = d.unix()
		doc.Actor = d.str()
		return doc
	})
}

// DecodeDocumentLines decodes the rows of DocumentLines.
func DecodeDocumentLines(rows [][]string) ([]ledger.DocumentLine, error) {
	return decodeRows("document lines", rows, func(d *decoder) ledger.DocumentLine {
		return ledger.DocumentLine{LineNo: uint32(d.u64()), Description: d.str(), Charge: d.str(), Meter: d.str(),
			Quantity: d.dec(), UnitPrice: d.dec(), Amount: d.dec(), TaxAmount: d.dec()}
	})
}

// DecodeRejectCounts decodes the rows of RejectCounts.
func DecodeRejectCounts(rows [][]string) ([]ledger.RejectCount, error) {
	return decodeRows("reject counts", rows, func(d *decoder) ledger.RejectCount {
		return ledger.RejectCount{Reason: d.str(), Count: d.u64()}
	})
}

// DecodeRejects decodes the rows of Rejects.
func DecodeRejects(rows [][]string) ([]ledger.Reject, error) {
	return decodeRows("rejects", rows, func(d *decoder) ledger.Reject {
		return ledger.Reject{Topic: d.str(), Partition: int32(d.i64()), Offset: d.i64(), At: d.unix(), Reason: d.str(),
			Detail: d.str(), Source: d.str(), EventID: d.str(), Original: d.bytes()}
	})
}

// DecodeAudit decodes the rows of Audit.
func DecodeAudit(rows [][]string) ([]ledger.AuditEntry, error) {
	return decodeRows("audit", rows, func(d *decoder) ledger.AuditEntry {
		return ledger.AuditEntry{ID: d.str(), At: d.unix(), Actor: d.str(), Action: d.str(), Object: d.str(),
			Origin: d.str(), Detail: d.str()}
	})
}

// DecodeScanUsage decodes the rows of ScanUsage.
func DecodeScanUsage(rows [][]string) ([]ledger.UsageRef, error) {
	return decodeRows("scan usage", rows, func(d *decoder) ledger.UsageRef {
		return ledger.UsageRef{Source: d.str(), EventID: d.str(), Subject: d.str(), Meter: d.str(), Account: d.str(),
			PricingGroup: d.str(), EventTime: d.unix()}
	})
}

// DecodeScanRated decodes the rows of ScanRated.
func DecodeScanRated(rows [][]string) ([]ledger.RatedRef, error) {
	return decodeRows("scan rated", rows, func(d *decoder) ledger.RatedRef {
		return ledger.RatedRef{ID: d.str(), Source: d.str(), EventID: d.str(), Charge: d.str(), EventTime: d.unix(), Quantity: d.dec()}
	})
}
