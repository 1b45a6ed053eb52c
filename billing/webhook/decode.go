package webhook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/shopspring/decimal"
)

// FieldError is a body that does not decode, naming the JSON field at fault ("" for the body
// as a whole). The handler answers it with 400 and the field.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return "body: " + e.Msg
	}
	return e.Field + ": " + e.Msg
}

// DecodePayment reads a provider's payment notification:
//
//	{"id": "...", "account": "...", "amount": "123.45", "currency": "EUR",
//	 "received_at": "2026-11-10T09:30:00Z", "reference": "...", "method": "...", "invoices": ["..."]}
//
// id, account, amount, currency and received_at are required. The amount is a JSON string or
// number read as an exact decimal (never a float); it must be positive. Unknown fields are
// ignored, so a provider may send more than Cascade reads. Method defaults to "" (the handler
// fills in its configured method).
func DecodePayment(body []byte) (billing.PaymentInput, error) {
	var in billing.PaymentInput
	var fields map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&fields); err != nil {
		return in, &FieldError{Msg: fmt.Sprintf("not a JSON object: %v", err)}
	}
	if fields == nil {
		return in, &FieldError{Msg: "not a JSON object: null"}
	}
	if dec.More() {
		return in, &FieldError{Msg: "trailing data after the JSON object"}
	}
	var err error
	str := func(name string, required bool) string {
		if err != nil {
			return ""
		}
		raw, ok := fields[name]
		if !ok || string(raw) == "null" {
			if required {
				err = &FieldError{Field: name, Msg: "is required"}
			}
			return ""
		}
		var s string
		if jerr := json.Unmarshal(raw, &s); jerr != nil {
			err = &FieldError{Field: name, Msg: "must be a string"}
			return ""
		}
		if required && strings.TrimSpace(s) == "" {
			err = &FieldError{Field: name, Msg: "must not be empty"}
		}
		return s
	}
	in.ID = str("id", true)
	in.Account = str("account", true)
	in.Currency = str("currency", true)
	received := str("received_at", true)
	in.Reference = str("reference", false)
	in.Method = str("method", false)
	if err != nil {
		return billing.PaymentInput{}, err
	}
	if in.Amount, err = decodeAmount(fields["amount"]); err != nil {
		return billing.PaymentInput{}, err
	}
	if in.ReceivedAt, err = time.Parse(time.RFC3339, received); err != nil {
		return billing.PaymentInput{}, &FieldError{Field: "received_at", Msg: fmt.Sprintf("%q is not an RFC 3339 time", received)}
	}
	if raw, ok := fields["invoices"]; ok && string(raw) != "null" {
		if jerr := json.Unmarshal(raw, &in.Invoices); jerr != nil {
			return billing.PaymentInput{}, &FieldError{Field: "invoices", Msg: "must be an array of strings"}
		}
		for i, id := range in.Invoices {
			if strings.TrimSpace(id) == "" {
				return billing.PaymentInput{}, &FieldError{Field: fmt.Sprintf("invoices[%d]", i), Msg: "must not be empty"}
			}
		}
	}
	return in, nil
}

// decodeAmount reads a JSON string or number token as an exact positive decimal.
func decodeAmount(raw json.RawMessage) (decimal.Decimal, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return decimal.Zero, &FieldError{Field: "amount", Msg: "is required"}
	}
	text := string(raw)
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &text); err != nil {
			return decimal.Zero, &FieldError{Field: "amount", Msg: "must be a decimal string or number"}
		}
	} else if raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') {
		return decimal.Zero, &FieldError{Field: "amount", Msg: "must be a decimal string or number"}
	}
	if strings.ContainsAny(text, "eE") || len(text) > 40 {
		return decimal.Zero, &FieldError{Field: "amount", Msg: fmt.Sprintf("%.40q is not a plain decimal", text)}
	}
	d, err := decimal.NewFromString(text)
	if err != nil {
		return decimal.Zero, &FieldError{Field: "amount", Msg: fmt.Sprintf("%q is not a decimal", text)}
	}
	if !d.IsPositive() {
		return decimal.Zero, &FieldError{Field: "amount", Msg: fmt.Sprintf("%s must be positive", d.String())}
	}
	return d, nil
}
