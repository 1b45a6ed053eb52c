package chdb

import (
	"strconv"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/internal/rowbinary"
	"github.com/shopspring/decimal"
)

// Row encoders: one per table, writing columns in exactly the order of the
// chsql table (layout_test.go checks them against chsql). Times go through
// DateTime, which stores whole seconds as the ledger promises. Validation has
// already refused out-of-range values; the errors here are a second line.

// rowErr names the record and field an encoder could not write.
func rowErr(record, id, field string, err error) error {
	return &ledger.RecordError{Kind: ledger.ErrOutOfBounds, Record: record, ID: id, Field: field, Detail: err.Error()}
}

// fields collects the first encoding error of a row, so encoders stay flat.
type fields struct {
	e          *rowbinary.Encoder
	record, id string
	err        error
}

func (f *fields) dec(field string, d decimal.Decimal, scale int32) {
	if err := f.e.Decimal128(d, scale); err != nil && f.err == nil {
		f.err = rowErr(f.record, f.id, field, err)
	}
}

// ratedDec is dec for a field of the i-th carried rating; the field's name is built only on
// failure, not for every row.
func (f *fields) ratedDec(i int, field string, d decimal.Decimal, scale int32) {
	if err := f.e.Decimal128(d, scale); err != nil && f.err == nil {
		f.err = rowErr(f.record, f.id, "rated["+itoa(i)+"]."+field, err)
	}
}

func (f *fields) time(field string, t time.Time) {
	if err := f.e.DateTime(t); err != nil && f.err == nil {
		f.err = rowErr(f.record, f.id, field, err)
	}
}

func encodeUsage(e *rowbinary.Encoder, u *ledger.Usage) error {
	f := fields{e: e, record: "usage", id: u.Key()}
	e.String(u.Source)
	e.String(u.EventID)
	e.String(u.Account)
	e.String(u.Subscription)
	e.String(u.PlanVersion)
	e.String(u.PricingGroup)
	e.Strings(u.Chain)
	e.String(u.Subject)
	e.String(u.Meter)
	f.dec("quantity", u.Quantity, ledger.QuantityScale)
	f.time("event_time", u.EventTime)
	f.time("ingest_time", u.IngestTime)
	e.ArrayLen(len(u.Attributes))
	for i := range u.Attributes {
		e.String(u.Attributes[i].Key)
	}
	e.ArrayLen(len(u.Attributes))
	for i := range u.Attributes {
		e.String(u.Attributes[i].Value)
	}
	// The carried rated deltas, one array per field (chsql.UsageTable's rated_* columns).
	n := len(u.Rated)
	e.ArrayLen(n)
	for i := range u.Rated {
		e.String(u.Rated[i].ID)
	}
	e.ArrayLen(n)
	for i := range u.Rated {
		e.String(u.Rated[i].Charge)
	}
	e.ArrayLen(n)
	for i := range u.Rated {
		f.ratedDec(i, "quantity", u.Rated[i].Quantity, ledger.QuantityScale)
	}
	e.ArrayLen(n)
	for i := range u.Rated {
		f.ratedDec(i, "amount", u.Rated[i].Amount, ledger.AmountScale)
	}
	e.ArrayLen(n)
	for i := range u.Rated {
		e.String(u.Rated[i].Currency)
	}
	return f.err
}

func encodeRated(e *rowbinary.Encoder, r *ledger.RatedDelta) error {
	f := fields{e: e, record: "rated", id: r.ID}
	e.String(r.ID)
	e.UInt64(r.Version)
	e.String(r.Source)
	e.String(r.EventID)
	e.String(r.Account)
	e.String(r.PricingGroup)
	e.String(r.Subscription)
	e.String(r.PlanVersion)
	e.String(r.Charge)
	e.String(r.Meter)
	f.time("event_time", r.EventTime)
	f.dec("quantity", r.Quantity, ledger.QuantityScale)
	f.dec("amount", r.Amount, ledger.AmountScale)
	e.String(r.Currency)
	return f.err
}

// journalRow is one entry with its transaction, the journal table's grain.
type journalRow struct {
	tx    *ledger.Transaction
	index int
}

func encodeJournal(e *rowbinary.Encoder, r *journalRow) error {
	t, en := r.tx, &r.tx.Entries[r.index]
	f := fields{e: e, record: "transaction", id: t.ID}
	e.String(t.ID)
	e.UInt32(uint32(r.index))
	f.time("time", t.Time)
	e.String(t.Kind)
	e.String(t.Description)
	e.String(en.Account)
	e.String(ledger.Party(en.Account))
	f.dec("entries["+itoa(r.index)+"].amount", en.Amount, ledger.AmountScale)
	e.String(en.Currency)
	e.String(en.InvoiceID)
	e.String(en.LineID)
	e.String(en.EventID)
	return f.err
}

func encodeDocument(e *rowbinary.Encoder, d *ledger.Document) error {
	f := fields{e: e, record: "document", id: d.ID}
	e.String(d.ID)
	e.UInt64(d.Version)
	e.String(string(d.Kind))
	e.String(d.Number)
	e.String(d.Issuer)
	e.String(d.Account)
	e.String(d.Currency)
	f.time("period_start", d.PeriodStart)
	f.time("period_end", d.PeriodEnd)
	f.time("issued_at", d.IssuedAt)
	e.String(string(d.Status))
	f.dec("subtotal", d.Subtotal, ledger.AmountScale)
	f.dec("tax", d.Tax, ledger.AmountScale)
	f.dec("total", d.Total, ledger.AmountScale)
	e.String(d.RefersTo)
	f.time("changed_at", d.ChangedAt)
	e.String(d.Actor)
	return f.err
}

// lineRow is one line of one document version.
type lineRow struct {
	doc   *ledger.Document
	index int
}

func encodeLine(e *rowbinary.Encoder, r *lineRow) error {
	d, l := r.doc, &r.doc.Lines[r.index]
	field := "lines[" + itoa(r.index) + "]"
	f := fields{e: e, record: "document", id: d.ID}
	e.String(d.ID)
	e.UInt64(d.Version)
	e.UInt32(l.LineNo)
	e.String(l.Description)
	e.String(l.Charge)
	e.String(l.Meter)
	f.dec(field+".quantity", l.Quantity, ledger.QuantityScale)
	f.dec(field+".unit_price", l.UnitPrice, ledger.AmountScale)
	f.dec(field+".amount", l.Amount, ledger.AmountScale)
	f.dec(field+".tax_amount", l.TaxAmount, ledger.AmountScale)
	return f.err
}

func encodeDocumentEvent(e *rowbinary.Encoder, d *ledger.Document) error {
	f := fields{e: e, record: "document", id: d.ID}
	e.String(d.ID)
	e.UInt64(d.Version)
	e.String(string(d.Status))
	f.time("changed_at", d.ChangedAt)
	e.String(d.Actor)
	return f.err
}

func encodeReject(e *rowbinary.Encoder, r *ledger.Reject) error {
	f := fields{e: e, record: "reject", id: r.Key()}
	e.String(r.Topic)
	e.Int32(r.Partition)
	e.Int64(r.Offset)
	f.time("at", r.At)
	e.String(r.Reason)
	e.String(r.Detail)
	e.String(r.Source)
	e.String(r.EventID)
	e.Blob(r.Original)
	return f.err
}

func encodeAudit(e *rowbinary.Encoder, a *ledger.AuditEntry) error {
	f := fields{e: e, record: "audit", id: a.ID}
	e.String(a.ID)
	f.time("at", a.At)
	e.String(a.Actor)
	e.String(a.Action)
	e.String(a.Object)
	e.String(a.Origin)
	e.String(a.Detail)
	return f.err
}

func itoa(i int) string { return strconv.Itoa(i) }
