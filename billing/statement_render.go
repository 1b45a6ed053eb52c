package billing

import (
	"embed"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"time"

	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

//go:embed templates/statement.html
var statementTemplate embed.FS

// statementAmount prints an amount with exactly its currency's minor digits ("49.00", JPY
// "3000"), the way invoices print them; statement amounts are already rounded.
func statementAmount(d decimal.Decimal, currency string) (string, error) {
	cur, err := rating.LookupCurrency(currency)
	if err != nil {
		return "", fmt.Errorf("currency %q: %v: %w", currency, err, ErrInvalid)
	}
	if !cur.IsRounded(d) {
		return "", fmt.Errorf("amount %s is finer than %s's minor unit: %w", d.String(), currency, ErrInvalid)
	}
	return d.StringFixed(cur.MinorUnits), nil
}

type jsonStatementRow struct {
	Time         time.Time    `json:"time"`
	Document     string       `json:"document"`
	DocumentID   string       `json:"document_id"`
	Kind         DocumentKind `json:"kind"`
	Void         bool         `json:"void,omitempty"`
	Issuer       string       `json:"issuer"`
	Customer     string       `json:"customer"`
	CustomerName string       `json:"customer_name"`
	Line         int          `json:"line"`
	LineKind     LineKind     `json:"line_kind"`
	PlanID       string       `json:"plan_id,omitempty"`
	ChargeID     string       `json:"charge_id,omitempty"`
	Description  string       `json:"description"`
	Currency     string       `json:"currency"`
	Retail       string       `json:"retail"`
	Cost         string       `json:"cost"`
	Margin       string       `json:"margin"`
	Negative     bool         `json:"negative,omitempty"`
}

type jsonStatementTotal struct {
	Key      string `json:"key"`
	Name     string `json:"name,omitempty"`
	Currency string `json:"currency"`
	Lines    int    `json:"lines"`
	Retail   string `json:"retail"`
	Cost     string `json:"cost"`
	Margin   string `json:"margin"`
}

type jsonStatement struct {
	Partner    Party                `json:"partner"`
	Period     Period               `json:"period"`
	Rows       []jsonStatementRow   `json:"rows"`
	ByPlan     []jsonStatementTotal `json:"by_plan"`
	ByCustomer []jsonStatementTotal `json:"by_customer"`
	Totals     []jsonStatementTotal `json:"totals"`
}

// amounts formats retail, cost and margin in one currency.
func amounts(currency string, ds ...decimal.Decimal) ([]string, error) {
	out := make([]string, len(ds))
	for i, d := range ds {
		s, err := statementAmount(d, currency)
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}

func jsonTotals(ts []StatementTotal) ([]jsonStatementTotal, error) {
	out := make([]jsonStatementTotal, 0, len(ts))
	for _, t := range ts {
		a, err := amounts(t.Currency, t.Retail, t.Cost, t.Margin)
		if err != nil {
			return nil, fmt.Errorf("total %q: %w", t.Key, err)
		}
		out = append(out, jsonStatementTotal{Key: t.Key, Name: t.Name, Currency: t.Currency, Lines: t.Lines, Retail: a[0], Cost: a[1], Margin: a[2]})
	}
	return out, nil
}

func jsonOfStatement(st *Statement) (*jsonStatement, error) {
	js := &jsonStatement{Partner: st.Partner, Period: st.Period, Rows: make([]jsonStatementRow, 0, len(st.Rows))}
	for i, r := range st.Rows {
		a, err := amounts(r.Currency, r.Retail, r.Cost, r.Margin)
		if err != nil {
			return nil, fmt.Errorf("rows[%d]: %w", i, err)
		}
		js.Rows = append(js.Rows, jsonStatementRow{Time: r.Time, Document: r.Document, DocumentID: r.DocumentID, Kind: r.Kind, Void: r.Void,
			Issuer: r.Issuer, Customer: r.Customer, CustomerName: r.CustomerName, Line: r.Line, LineKind: r.LineKind, PlanID: r.PlanID,
			ChargeID: r.ChargeID, Description: r.Description, Currency: r.Currency, Retail: a[0], Cost: a[1], Margin: a[2], Negative: r.Negative})
	}
	var err error
	if js.ByPlan, err = jsonTotals(st.ByPlan); err != nil {
		return nil, err
	}
	if js.ByCustomer, err = jsonTotals(st.ByCustomer); err != nil {
		return nil, err
	}
	if js.Totals, err = jsonTotals(st.Totals); err != nil {
		return nil, err
	}
	return js, nil
}

// RenderStatementJSON writes the statement indented, every amount a string with exactly its
// currency's minor digits (as invoices are rendered), so an accounting system reads it without
// floats.
func RenderStatementJSON(w io.Writer, st *Statement) error {
	js, err := jsonOfStatement(st)
	if err != nil {
		return fmt.Errorf("render statement of %s: %w", st.Partner.ID, err)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(js); err != nil {
		return fmt.Errorf("render statement of %s: %w", st.Partner.ID, err)
	}
	return nil
}

// StatementCSVHeader is the CSV header row: one row per statement line, for spreadsheets.
var StatementCSVHeader = []string{"time", "document", "kind", "void", "issuer", "customer", "customer_name", "line", "line_kind",
	"plan", "charge", "description", "currency", "retail", "cost", "margin", "negative"}

// RenderStatementCSV writes one CSV row per statement line (RFC 4180 quoting, header first).
// Totals are not rows: a spreadsheet sums the columns, and a total row would be summed twice.
func RenderStatementCSV(w io.Writer, st *Statement) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(StatementCSVHeader); err != nil {
		return fmt.Errorf("render statement of %s: %w", st.Partner.ID, err)
	}
	for i, r := range st.Rows {
		a, err := amounts(r.Currency, r.Retail, r.Cost, r.Margin)
		if err != nil {
			return fmt.Errorf("render statement of %s: rows[%d]: %w", st.Partner.ID, i, err)
		}
		rec := []string{r.Time.UTC().Format(time.RFC3339), r.Document, string(r.Kind), strconv.FormatBool(r.Void), r.Issuer, r.Customer,
			r.CustomerName, strconv.Itoa(r.Line), string(r.LineKind), r.PlanID, r.ChargeID, r.Description, r.Currency, a[0], a[1], a[2],
			strconv.FormatBool(r.Negative)}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("render statement of %s: %w", st.Partner.ID, err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("render statement of %s: %w", st.Partner.ID, err)
	}
	return nil
}

// RenderStatementHTML writes the statement as one self-contained printable page (embedded
// template templates/statement.html, A4 CSS, html/template escaping): the lines, then totals
// per plan, per customer and per currency. Negative margins are marked.
func RenderStatementHTML(w io.Writer, st *Statement) error {
	js, err := jsonOfStatement(st)
	if err != nil {
		return fmt.Errorf("render statement of %s: %w", st.Partner.ID, err)
	}
	t, err := template.New("statement.html").Funcs(template.FuncMap{
		"date":   func(t time.Time) string { return t.UTC().Format("2 Jan 2006") },
		"period": formatRange,
		"group":  groupDigits,
		"dict": func(kv ...any) map[string]any {
			m := make(map[string]any, len(kv)/2)
			for i := 0; i+1 < len(kv); i += 2 {
				m[fmt.Sprint(kv[i])] = kv[i+1]
			}
			return m
		},
	}).ParseFS(statementTemplate, "templates/statement.html")
	if err != nil {
		return fmt.Errorf("render statement of %s: template: %w", st.Partner.ID, err)
	}
	if err := t.Execute(w, js); err != nil {
		return fmt.Errorf("render statement of %s: %w", st.Partner.ID, err)
	}
	return nil
}
