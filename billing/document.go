package billing

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/cascade-billing/cascade/ledger"
)

// DocumentAggregate is the ledger aggregate holding a document's snapshots.
func DocumentAggregate(id string) string { return "document:" + id }

// ToDocument is the ledger's queryable record of one version of a document: status, parties
// and totals, and its lines with their net amount (Amount) and tax (TaxAmount), so that Σ
// Amount = Subtotal and Σ TaxAmount = Tax in SQL. The full document is the snapshot event.
// Lines are always included; a caller writing a status-only version may drop them (the ledger
// keeps the lines of the latest version that had them).
func ToDocument(inv *Invoice, version uint64, changedAt time.Time, actor string) ledger.Document {
	d := ledger.Document{
		ID: inv.ID, Version: version, Kind: ledger.DocumentKind(inv.Kind), Number: inv.Number,
		Issuer: inv.Issuer.ID, Account: inv.Buyer.ID, Currency: inv.Currency,
		PeriodStart: inv.Period.From, PeriodEnd: inv.Period.To, IssuedAt: inv.IssuedAt,
		Status: ledger.DocumentStatus(inv.Status), Subtotal: inv.Subtotal, Tax: inv.Tax, Total: inv.Total,
		RefersTo: inv.RefersTo, ChangedAt: changedAt.UTC(), Actor: actor,
		Lines: make([]ledger.DocumentLine, len(inv.Lines)),
	}
	for i, l := range inv.Lines {
		d.Lines[i] = ledger.DocumentLine{
			LineNo: uint32(l.No), Description: l.Description, Charge: l.ChargeID, Meter: l.Meter,
			Quantity: l.Quantity, UnitPrice: l.UnitPrice, Amount: l.Net, TaxAmount: l.Tax,
		}
	}
	return d
}

// SnapshotEvent records the whole document (lines, tiers, parties, taxes) as an event of the
// aggregate "document:<id>" typed by its status, so an issued invoice renders identically
// forever, whatever the catalog or the accounts become. Decimals are JSON strings (exact).
func SnapshotEvent(inv *Invoice, seq uint64, at time.Time, actor string) (ledger.Event, error) {
	if inv.ID == "" || inv.Status == "" {
		return ledger.Event{}, fmt.Errorf("snapshot of document %q: id and status are required: %w", inv.ID, ErrInvalid)
	}
	data, err := json.Marshal(inv)
	if err != nil {
		return ledger.Event{}, fmt.Errorf("snapshot of %s %s: %v: %w", inv.Kind, inv.ID, err, ErrInvalid)
	}
	ev := ledger.Event{
		Aggregate: DocumentAggregate(inv.ID), Seq: seq, Type: string(inv.Status),
		At: at.UTC(), RecordedAt: at.UTC(), Actor: actor, Data: data,
	}
	if err := ev.Validate(); err != nil {
		return ledger.Event{}, fmt.Errorf("snapshot of %s %s: %w: %w", inv.Kind, inv.ID, ErrInvalid, err)
	}
	return ev, nil
}

// InvoiceFromEvent reads a snapshot back. It refuses an event of another aggregate, or whose
// type is not the status of the document it carries (a snapshot that contradicts itself).
func InvoiceFromEvent(ev ledger.Event) (*Invoice, error) {
	id, ok := strings.CutPrefix(ev.Aggregate, "document:")
	if !ok || id == "" {
		return nil, fmt.Errorf("document snapshot %s: not a document:<id> aggregate: %w", ev.Key(), ErrInvalid)
	}
	var inv Invoice
	if err := json.Unmarshal(ev.Data, &inv); err != nil {
		return nil, fmt.Errorf("document snapshot %s: %v: %w", ev.Key(), err, ErrInvalid)
	}
	switch {
	case inv.ID != id:
		return nil, fmt.Errorf("document snapshot %s: carries document %q: %w", ev.Key(), inv.ID, ErrInvalid)
	case string(inv.Status) != ev.Type:
		return nil, fmt.Errorf("document snapshot %s: type %q but status %q: %w", ev.Key(), ev.Type, inv.Status, ErrInvalid)
	}
	return &inv, nil
}
