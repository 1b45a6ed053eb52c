package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cascade-billing/cascade/rating"
)

// usageFlags collects repeated --usage METER=QTY flags, parsing quantities exactly.
type usageFlags map[string]decimal.Decimal

func (u usageFlags) String() string { return "" }

func (u usageFlags) Set(v string) error {
	meter, qty, ok := strings.Cut(v, "=")
	meter = strings.TrimSpace(meter)
	if !ok || meter == "" {
		return fmt.Errorf("%q: want METER=QTY", v)
	}
	q, err := parseQuantity(qty)
	if err != nil {
		return fmt.Errorf("%q: %w", v, err)
	}
	if _, dup := u[meter]; dup {
		return fmt.Errorf("%q: meter %s given twice", v, meter)
	}
	u[meter] = q
	return nil
}

// parseQuantity reads a non-negative decimal exactly from its text (never through a float).
func parseQuantity(s string) (decimal.Decimal, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return decimal.Decimal{}, errors.New("quantity is empty")
	}
	q, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Decimal{}, fmt.Errorf("quantity %q is not a decimal number", s)
	}
	if q.IsNegative() {
		return decimal.Decimal{}, fmt.Errorf("quantity %s must not be negative", s)
	}
	return q, nil
}

func runPrice(_ context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("price", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	catalogPath := fs.String("catalog", "", "catalog YAML file (required)")
	planID := fs.String("plan", "", "plan id (required)")
	usage := usageFlags{}
	fs.Var(usage, "usage", "period usage as METER=QTY (repeatable)")
	coupon := fs.String("coupon", "", "coupon code")
	priceList := fs.String("price-list", "", "price list id to apply")
	seats := fs.String("seats", "", "seats for per-seat recurring fees (default 1)")
	at := fs.String("at", "", "date the plan version is taken at, YYYY-MM-DD (default: latest version)")
	format := fs.String("format", "table", "output format: table or json")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(e.stdout, "usage: cascade price --catalog FILE --plan ID [--usage METER=QTY]... [--coupon CODE] [--price-list ID] [--seats N] [--at YYYY-MM-DD] [--format table|json]")
			fs.SetOutput(e.stdout)
			fs.PrintDefaults()
			return nil
		}
		return usagef("%v", err)
	}
	switch {
	case fs.NArg() > 0:
		return usagef("unexpected argument %q", fs.Arg(0))
	case *catalogPath == "":
		return usagef("--catalog is required")
	case *planID == "":
		return usagef("--plan is required")
	case *format != "table" && *format != "json":
		return usagef("--format %q: want table or json", *format)
	}
	in := rating.QuoteInput{PlanID: *planID, Usage: usage, Coupon: *coupon, PriceList: *priceList}
	if *seats != "" {
		n, err := parseQuantity(*seats)
		if err != nil {
			return usagef("--seats: %v", err)
		}
		in.Seats = n
	}
	if *at != "" {
		t, err := time.Parse(time.DateOnly, *at)
		if err != nil {
			return usagef("--at %q: want YYYY-MM-DD", *at)
		}
		in.At = t
	}

	cat, err := rating.LoadFile(*catalogPath)
	if err != nil {
		e.log.Debug("catalog load failed", "catalog", *catalogPath, "err", err)
		return &usageError{firstLine(err)}
	}
	q, err := cat.Quote(in)
	if err != nil {
		return &usageError{err}
	}
	if *format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(quoteJSON(q))
	}
	return writeQuoteTable(e.stdout, q)
}

// firstLine keeps a multi-error's first line for the person, saying how many more there are;
// the caller's log gets the whole error.
func firstLine(err error) error {
	msg := err.Error()
	first, rest, ok := strings.Cut(msg, "\n")
	if !ok {
		return err
	}
	return fmt.Errorf("%s (and %d more; 'cascade catalog check FILE' lists them all)", first, strings.Count(rest, "\n")+1)
}

func writeQuoteTable(w io.Writer, q *rating.Quote) error {
	fmt.Fprintf(w, "plan %s version %d, %s, rounding %s\n\n", q.PlanID, q.Version, q.Currency.Code, q.Rounding)
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "LINE\tKIND\tMODEL\tQUANTITY\tUNIT PRICE\tEXACT\tAMOUNT")
	for _, l := range q.Lines {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\t%s\t%s\n", lineLabel(l), l.Kind, l.Model, plain(l.Quantity), l.Exact, l.Amount.StringFixed(q.Currency.MinorUnits))
		if !l.Allowance.IsZero() {
			fmt.Fprintf(tw, "  allowance (free)\t\t\t%s\t\t\t\n", l.Allowance)
		}
		for _, p := range l.Parts {
			fmt.Fprintf(tw, "  %s\t\t\t%s\t%s\t%s\t\n", p.Description, plain(p.Quantity), plain(p.UnitPrice), p.Amount)
		}
		for _, s := range l.Shares {
			fmt.Fprintf(tw, "  share of %s\t\t\t%s\t\t\t%s\n", s.ID, plain(s.Quantity), s.Amount.StringFixed(q.Currency.MinorUnits))
		}
	}
	fmt.Fprintf(tw, "TOTAL\t\t\t\t\t\t%s %s\n", q.Total.StringFixed(q.Currency.MinorUnits), q.Currency.Code)
	if err := tw.Flush(); err != nil {
		return err
	}
	for line := range strings.Lines(buf.String()) {
		if _, err := io.WriteString(w, strings.TrimRight(line, " \n")+"\n"); err != nil {
			return err
		}
	}
	return nil
}

// lineLabel names a line: its charge, and for an adjustment the discount or coupon it applies.
func lineLabel(l rating.QuoteLine) string {
	switch {
	case l.Ref == "":
		return l.ChargeID
	case l.ChargeID == "":
		return l.Ref
	default:
		return l.ChargeID + " " + l.Ref
	}
}

// plain prints a decimal without noise: blank for zero, exact digits otherwise.
func plain(d decimal.Decimal) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

type partJSON struct {
	Description string          `json:"description"`
	Quantity    decimal.Decimal `json:"quantity"`
	UnitPrice   decimal.Decimal `json:"unit_price"`
	Amount      decimal.Decimal `json:"amount"`
}

type shareJSON struct {
	Member   string          `json:"member"`
	Quantity decimal.Decimal `json:"quantity"`
	Amount   string          `json:"amount"`
}

type lineJSON struct {
	Charge    string          `json:"charge,omitempty"`
	Ref       string          `json:"ref,omitempty"`
	Kind      string          `json:"kind"`
	Allowance decimal.Decimal `json:"allowance"`
	Shares    []shareJSON     `json:"shares,omitempty"`
	Model     string          `json:"model,omitempty"`
	Meter     string          `json:"meter,omitempty"`
	Quantity  decimal.Decimal `json:"quantity"`
	Parts     []partJSON      `json:"parts,omitempty"`
	Exact     decimal.Decimal `json:"exact"`
	Amount    string          `json:"amount"`
}

type quoteOut struct {
	Plan     string     `json:"plan"`
	Version  int        `json:"version"`
	Currency string     `json:"currency"`
	Rounding string     `json:"rounding"`
	Lines    []lineJSON `json:"lines"`
	Total    string     `json:"total"`
}

// quoteJSON is the stable JSON shape of a quote: money as strings at the currency's minor unit,
// exact amounts as decimal strings.
func quoteJSON(q *rating.Quote) quoteOut {
	out := quoteOut{
		Plan: q.PlanID, Version: q.Version, Currency: q.Currency.Code, Rounding: string(q.Rounding),
		Total: q.Total.StringFixed(q.Currency.MinorUnits),
	}
	for _, l := range q.Lines {
		lj := lineJSON{
			Charge: l.ChargeID, Ref: l.Ref, Kind: string(l.Kind), Allowance: l.Allowance, Model: string(l.Model), Meter: l.Meter,
			Quantity: l.Quantity, Exact: l.Exact, Amount: l.Amount.StringFixed(q.Currency.MinorUnits),
		}
		for _, p := range l.Parts {
			lj.Parts = append(lj.Parts, partJSON(p))
		}
		for _, s := range l.Shares {
			lj.Shares = append(lj.Shares, shareJSON{s.ID, s.Quantity, s.Amount.StringFixed(q.Currency.MinorUnits)})
		}
		out.Lines = append(out.Lines, lj)
	}
	return out
}
