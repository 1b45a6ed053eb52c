package billing

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/shopspring/decimal"
)

// Statement is a channel partner's commission statement for a period: every customer line the
// partner sold or took a share of, with what it sold the line at (Retail), what it paid up the
// chain (Cost) and what it keeps (Margin), and totals per plan, per customer and per currency.
// Built from the journal, so its totals are the journal's: Σ Retail = the partner's revenue
// credits in the period, Σ Cost = its cost_of_sales debits.
type Statement struct {
	Partner    Party            `json:"partner"`
	Period     Period           `json:"period"`
	Rows       []StatementRow   `json:"rows"`
	ByPlan     []StatementTotal `json:"by_plan"`
	ByCustomer []StatementTotal `json:"by_customer"`
	Totals     []StatementTotal `json:"totals"` // one per currency
}

// StatementRow is one customer line as the partner sees it. A void row takes back an earlier
// row (its amounts negated); a credit note's rows are negative.
type StatementRow struct {
	Time         time.Time       `json:"time"`
	DocumentID   string          `json:"document_id"`
	Document     string          `json:"document"` // the number
	Kind         DocumentKind    `json:"kind"`
	Void         bool            `json:"void,omitempty"`
	Issuer       string          `json:"issuer"`
	Customer     string          `json:"customer"`
	CustomerName string          `json:"customer_name"`
	Line         int             `json:"line"`
	LineKind     LineKind        `json:"line_kind"`
	PlanID       string          `json:"plan_id,omitempty"`
	ChargeID     string          `json:"charge_id,omitempty"`
	Description  string          `json:"description"`
	Currency     string          `json:"currency"`
	Retail       decimal.Decimal `json:"retail"`
	Cost         decimal.Decimal `json:"cost"`
	Margin       decimal.Decimal `json:"margin"`
	// Negative flags a line the partner sold below its cost.
	Negative bool `json:"negative,omitempty"`
}

// StatementTotal sums rows by a key (a plan id, a customer id; "" for the grand total).
type StatementTotal struct {
	Key      string          `json:"key"`
	Name     string          `json:"name,omitempty"`
	Currency string          `json:"currency"`
	Lines    int             `json:"lines"`
	Retail   decimal.Decimal `json:"retail"`
	Cost     decimal.Decimal `json:"cost"`
	Margin   decimal.Decimal `json:"margin"`
}

// rowKey identifies a row: a document line, as issued or as voided.
type rowKey struct {
	doc  string
	line int
	void bool
}

// BuildStatement builds a statement from the partner's journal lines of the period and a lookup
// of documents. Pure. Lines it reads: revenue on customer documents the partner issued
// (invoice, credit note, void postings: one entry per document, shared out to the document's
// lines by their net, which must add up to it), and the split's per-line revenue and
// cost_of_sales entries. Other entries (tax, receivables, channel balances) are not commission.
// A journal entry naming an unknown document, or a document whose lines do not add up to its
// entry, is ErrConflict: the statement would not equal the journal.
func BuildStatement(partner Party, period Period, journal []ledger.JournalLine, doc func(id string) (*Invoice, bool)) (*Statement, error) {
	st := &Statement{Partner: partner, Period: period}
	rows := map[rowKey]*StatementRow{}
	fail := func(l ledger.JournalLine, format string, args ...any) error {
		return fmt.Errorf("statement of %s: journal tx %s entry %d (%s): %s: %w", partner.ID, l.TxID, l.Index, l.Account,
			fmt.Sprintf(format, args...), ErrConflict)
	}
	row := func(l ledger.JournalLine, inv *Invoice, no int, void bool) (*StatementRow, error) {
		k := rowKey{inv.ID, no, void}
		if r, ok := rows[k]; ok {
			return r, nil
		}
		if no < 1 || no > len(inv.Lines) || inv.Lines[no-1].No != no {
			return nil, fail(l, "document %s has no line %d", inv.Number, no)
		}
		dl := inv.Lines[no-1]
		r := &StatementRow{Time: l.Time.UTC(), DocumentID: inv.ID, Document: inv.Number, Kind: inv.Kind, Void: void,
			Issuer: inv.Issuer.ID, Customer: inv.Buyer.ID, CustomerName: inv.Buyer.Name, Line: no, LineKind: dl.Kind,
			PlanID: dl.PlanID, ChargeID: dl.ChargeID, Description: dl.Description, Currency: l.Currency,
			Retail: decimal.Zero, Cost: decimal.Zero}
		rows[k] = r
		return r, nil
	}
	for _, l := range journal {
		_, _, role := splitCode(l.Account)
		if role != RoleRevenue && role != RoleCostOfSales {
			continue
		}
		inv, ok := doc(l.InvoiceID)
		if !ok {
			return nil, fail(l, "document %q not found", l.InvoiceID)
		}
		if inv.Buyer.Kind != KindCustomer {
			continue // a wholesale document between partners: not a customer line
		}
		switch l.Kind {
		case TxRevenueSplit, TxRevenueSplitVoid:
			no, err := strconv.Atoi(strings.TrimPrefix(l.LineID, "line:"))
			if err != nil || !strings.HasPrefix(l.LineID, "line:") {
				return nil, fail(l, "line id %q is not line:<no>", l.LineID)
			}
			r, err := row(l, inv, no, l.Kind == TxRevenueSplitVoid)
			if err != nil {
				return nil, err
			}
			if role == RoleRevenue {
				r.Retail = r.Retail.Sub(l.Amount)
			} else {
				r.Cost = r.Cost.Add(l.Amount)
			}
		case string(DocInvoice), string(DocCreditNote), TxVoid:
			if role != RoleRevenue || inv.Issuer.ID != partner.ID {
				continue
			}
			void := l.Kind == TxVoid
			sum := decimal.Zero
			for _, dl := range inv.Lines {
				r, err := row(l, inv, dl.No, void)
				if err != nil {
					return nil, err
				}
				net := dl.Net
				if void {
					net = net.Neg()
				}
				r.Retail = r.Retail.Add(net)
				sum = sum.Add(net)
			}
			if !sum.Equal(l.Amount.Neg()) {
				return nil, fail(l, "document %s lines net %s, the entry credits %s", inv.Number, sum.String(), l.Amount.Neg().String())
			}
		}
	}
	for _, r := range rows {
		r.Margin = r.Retail.Sub(r.Cost)
		r.Negative = r.Margin.Sign() != 0 && r.Margin.Sign() != r.Retail.Sign()
		st.Rows = append(st.Rows, *r)
	}
	sort.Slice(st.Rows, func(i, j int) bool {
		a, b := st.Rows[i], st.Rows[j]
		switch {
		case !a.Time.Equal(b.Time):
			return a.Time.Before(b.Time)
		case a.Document != b.Document:
			return a.Document < b.Document
		case a.DocumentID != b.DocumentID:
			return a.DocumentID < b.DocumentID
		case a.Line != b.Line:
			return a.Line < b.Line
		}
		return !a.Void && b.Void
	})
	st.ByPlan = totals(st.Rows, func(r StatementRow) (string, string) { return r.PlanID, "" })
	st.ByCustomer = totals(st.Rows, func(r StatementRow) (string, string) { return r.Customer, r.CustomerName })
	st.Totals = totals(st.Rows, func(StatementRow) (string, string) { return "", "" })
	return st, nil
}

// splitCode splits "kind:id:role".
func splitCode(code string) (kind, id, role string) {
	parts := strings.SplitN(code, ":", 3)
	if len(parts) != 3 {
		return "", "", ""
	}
	return parts[0], parts[1], parts[2]
}

// totals sums rows per (key, currency), sorted by key then currency.
func totals(rows []StatementRow, key func(StatementRow) (string, string)) []StatementTotal {
	type k struct{ key, cur string }
	at := map[k]int{}
	var out []StatementTotal
	for _, r := range rows {
		id, name := key(r)
		i, ok := at[k{id, r.Currency}]
		if !ok {
			i = len(out)
			at[k{id, r.Currency}] = i
			out = append(out, StatementTotal{Key: id, Name: name, Currency: r.Currency, Retail: decimal.Zero, Cost: decimal.Zero, Margin: decimal.Zero})
		}
		t := &out[i]
		t.Lines++
		t.Retail, t.Cost, t.Margin = t.Retail.Add(r.Retail), t.Cost.Add(r.Cost), t.Margin.Add(r.Margin)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Key != out[j].Key {
			return out[i].Key < out[j].Key
		}
		return out[i].Currency < out[j].Currency
	})
	return out
}
