package chaos

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// Cycle is POST /v1/cycles's report.
type Cycle struct {
	AsOf          string   `json:"as_of"`
	Complete      bool     `json:"complete"`
	Invoices      int      `json:"invoices"`
	AlreadyIssued int      `json:"already_issued"`
	Issued        []string `json:"issued"`
	Failed        []struct {
		Buyer, Error string
	} `json:"failed"`
}

// StartCycle sends POST /v1/cycles as of asOf once and returns the status and answer; a
// transport error (the child was killed during the cycle) is returned as is.
func StartCycle(in *Instance, asOf time.Time) (int, []byte, error) {
	body := fmt.Appendf(nil, `{"as_of":%q}`, asOf.UTC().Format(time.RFC3339))
	return in.Do("POST", "/v1/cycles", "finance", body)
}

// RunCycle runs an invoice cycle as of asOf and requires it complete. A 503 (mediation not
// caught up, or the ledger away) is retried for up to two minutes, as an operator would.
func RunCycle(tb testing.TB, in *Instance, asOf time.Time) Cycle {
	tb.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		status, body, err := StartCycle(in, asOf)
		if err == nil && status == http.StatusOK {
			var c Cycle
			if err := json.Unmarshal(body, &c); err != nil {
				tb.Fatalf("chaos: cycle on %s: decode %s: %v", in.Name, body, err)
			}
			if !c.Complete {
				tb.Fatalf("chaos: cycle on %s incomplete: %s", in.Name, body)
			}
			return c
		}
		if err == nil && status != http.StatusServiceUnavailable || time.Now().After(deadline) {
			tb.Fatalf("chaos: cycle on %s: HTTP %d %s %v\n%s", in.Name, status, body, err, in.LogTail(30))
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// Line is an invoice line in comparable form: decimals as their canonical text.
type Line struct {
	No       int    `json:"no"`
	Kind     string `json:"kind"`
	ChargeID string `json:"charge_id"`
	Meter    string `json:"meter"`
	Quantity string `json:"quantity"`
	Amount   string `json:"amount"`
	Net      string `json:"net"`
	Tax      string `json:"tax"`
	Gross    string `json:"gross"`
}

// Invoice is a document in comparable form: what must be equal between a baseline and a chaos
// run (not the issue instant, which is the wall clock's).
type Invoice struct {
	ID, Kind, Number, Status, Issuer, Buyer, Currency string
	Period                                            string
	Lines                                             []Line
	Subtotal, Tax, Total                              string
}

// doc is the part of GET /v1/invoices/{id} that Invoice keeps.
type doc struct {
	ID       string                       `json:"id"`
	Kind     string                       `json:"kind"`
	Number   string                       `json:"number"`
	Status   string                       `json:"status"`
	Issuer   struct{ ID string }          `json:"issuer"`
	Buyer    struct{ ID string }          `json:"buyer"`
	Currency string                       `json:"currency"`
	Period   struct{ From, To time.Time } `json:"period"`
	Lines    []struct {
		No                                int
		Kind                              string
		ChargeID                          string `json:"charge_id"`
		Meter                             string
		Quantity, Amount, Net, Tax, Gross decimal.Decimal
	} `json:"lines"`
	Subtotal, Tax, Total decimal.Decimal
}

// Invoices lists every document (invoices and credit notes) over GET /v1/invoices and
// GET /v1/invoices/{id} with the finance key, sorted by issuer, kind and number.
func Invoices(tb testing.TB, in *Instance) []Invoice {
	tb.Helper()
	var list struct {
		Invoices []struct{ ID string } `json:"invoices"`
	}
	in.Call(tb, "GET", "/v1/invoices", "finance", nil, http.StatusOK, &list)
	out := make([]Invoice, 0, len(list.Invoices))
	for _, s := range list.Invoices {
		var d doc
		in.Call(tb, "GET", "/v1/invoices/"+url.PathEscape(s.ID), "finance", nil, http.StatusOK, &d)
		inv := Invoice{ID: d.ID, Kind: d.Kind, Number: d.Number, Status: d.Status, Issuer: d.Issuer.ID, Buyer: d.Buyer.ID,
			Currency: d.Currency, Period: d.Period.From.UTC().Format(time.RFC3339) + "/" + d.Period.To.UTC().Format(time.RFC3339),
			Subtotal: d.Subtotal.String(), Tax: d.Tax.String(), Total: d.Total.String()}
		for _, l := range d.Lines {
			inv.Lines = append(inv.Lines, Line{No: l.No, Kind: l.Kind, ChargeID: l.ChargeID, Meter: l.Meter, Quantity: l.Quantity.String(),
				Amount: l.Amount.String(), Net: l.Net.String(), Tax: l.Tax.String(), Gross: l.Gross.String()})
		}
		out = append(out, inv)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Issuer != b.Issuer {
			return a.Issuer < b.Issuer
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.Number < b.Number
	})
	return out
}

// CompareInvoices lists every difference between two snapshots (empty: identical), naming the
// document and the field.
func CompareInvoices(want, got []Invoice) []string {
	var diffs []string
	byID := map[string]Invoice{}
	for _, g := range got {
		byID[g.ID] = g
	}
	for _, w := range want {
		g, ok := byID[w.ID]
		if !ok {
			diffs = append(diffs, fmt.Sprintf("%s (%s to %s, %s): missing", w.ID, w.Issuer, w.Buyer, w.Number))
			continue
		}
		delete(byID, w.ID)
		wj, _ := json.Marshal(w)
		gj, _ := json.Marshal(g)
		if string(wj) != string(gj) {
			diffs = append(diffs, fmt.Sprintf("%s differs:\n  want %s\n  got  %s", w.ID, wj, gj))
		}
	}
	extra := make([]string, 0, len(byID))
	for id, g := range byID {
		extra = append(extra, fmt.Sprintf("%s (%s to %s, %s): not in the baseline", id, g.Issuer, g.Buyer, g.Number))
	}
	sort.Strings(extra)
	return append(diffs, extra...)
}

// CheckNumbering checks every issuer's series per document kind: each number's trailing
// sequence appears once, and the sequences are 1..n without a gap. It lists the problems.
func CheckNumbering(invs []Invoice) []string {
	seqs := map[string][]int{}
	var problems []string
	for _, inv := range invs {
		if inv.Number == "" {
			continue // a draft has none yet
		}
		digits := len(inv.Number)
		for digits > 0 && inv.Number[digits-1] >= '0' && inv.Number[digits-1] <= '9' {
			digits--
		}
		n, err := strconv.Atoi(inv.Number[digits:])
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: number %q has no trailing sequence", inv.ID, inv.Number))
			continue
		}
		series := inv.Issuer + "/" + inv.Kind
		seqs[series] = append(seqs[series], n)
	}
	names := make([]string, 0, len(seqs))
	for s := range seqs {
		names = append(names, s)
	}
	sort.Strings(names)
	for _, s := range names {
		ns := seqs[s]
		sort.Ints(ns)
		for i, n := range ns {
			if n != i+1 {
				problems = append(problems, fmt.Sprintf("series %s: sequences %s, want 1..%d without gap or repeat", s, ints(ns), len(ns)))
				break
			}
		}
	}
	return problems
}

func ints(ns []int) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ",")
}
