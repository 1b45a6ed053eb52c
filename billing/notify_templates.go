package billing

import (
	"bytes"
	"embed"
	"fmt"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

//go:embed templates/notify_*.txt
var notifyTemplates embed.FS

// notifyData is what a notification template can print. Amounts are strings with the
// currency's minor digits, dates are UTC calendar days: a template never formats money.
type notifyData struct {
	AccountID, AccountName, IssuerName string
	Number, Currency                   string
	Total, Outstanding                 string
	IssuedAt, DueAt                    string
	Days                               int    // the dunning step's offset from the due date
	Step                               string // the dunning step's name
	SuspendOn                          string // when the schedule suspends, if it does
	Subscriptions                      []string
	Period                             string   // statement: YYYY-MM or from–to
	Totals                             []string // statement: one line per currency
}

// renderNotification renders kind's template (subject and body) into an outbox entry.
func renderNotification(kind NotificationKind, object, step string, to Party, d notifyData, at time.Time) (*OutboxEntry, error) {
	id := NotificationID(kind, object, step)
	tpl, err := template.New(string(kind)).Option("missingkey=error").
		ParseFS(notifyTemplates, "templates/notify_"+string(kind)+".txt")
	if err != nil {
		return nil, fmt.Errorf("notification %s (%s): template: %v: %w", id, kind, err, ErrInvalid)
	}
	var subj, body bytes.Buffer
	if err := tpl.ExecuteTemplate(&subj, "subject", d); err != nil {
		return nil, fmt.Errorf("notification %s (%s): subject: %v: %w", id, kind, err, ErrInvalid)
	}
	if err := tpl.ExecuteTemplate(&body, "body", d); err != nil {
		return nil, fmt.Errorf("notification %s (%s): body: %v: %w", id, kind, err, ErrInvalid)
	}
	// A subject is one header line: a newline in it would inject headers into the email.
	subject := strings.Join(strings.Fields(subj.String()), " ")
	e := &OutboxEntry{ID: id, Kind: kind, Object: object, Step: step, Account: to.ID, Email: to.Email,
		Subject: subject, Body: strings.TrimLeft(body.String(), "\n"), QueuedAt: at.UTC(), Data: d.fields()}
	return e, nil
}

// fields is the webhook's machine-readable copy of the data (only what is set).
func (d notifyData) fields() map[string]string {
	m := map[string]string{}
	put := func(k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	put("account", d.AccountID)
	put("number", d.Number)
	put("currency", d.Currency)
	put("total", d.Total)
	put("outstanding", d.Outstanding)
	put("issued_at", d.IssuedAt)
	put("due_at", d.DueAt)
	put("step", d.Step)
	put("suspend_on", d.SuspendOn)
	put("period", d.Period)
	if d.Step != "" {
		m["days"] = strconv.Itoa(d.Days)
	}
	if len(d.Subscriptions) > 0 {
		m["subscriptions"] = strings.Join(d.Subscriptions, ",")
	}
	return m
}

// invoiceData fills the template data of an invoice notification.
func invoiceData(inv *Invoice, to Party) (notifyData, error) {
	cur, err := currencyOf(inv)
	if err != nil {
		return notifyData{}, err
	}
	m := func(x decimal.Decimal) string { return cur.Round(x, rating.RoundHalfUp).StringFixed(cur.MinorUnits) }
	return notifyData{AccountID: to.ID, AccountName: to.Name, IssuerName: inv.Issuer.Name, Number: inv.Number,
		Currency: inv.Currency, Total: m(inv.Total), Outstanding: m(outstanding(inv)),
		IssuedAt: day(inv.IssuedAt), DueAt: day(inv.DueAt)}, nil
}

// outstanding is what the buyer still owes on an issued invoice: its total less credit notes.
// Payments are not partial yet (an invoice is paid in full or not), so nothing else reduces it.
func outstanding(inv *Invoice) decimal.Decimal { return inv.Total.Sub(inv.Credited) }

func day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.DateOnly)
}
