package billing

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/shopspring/decimal"
)

// The audit log. Every money-moving action leaves a row in the ledger's audit table
// (ledger.AuditEntry), written before the commit point of the action it records, with an id
// derived from what it records: a re-run after a crash rewrites the same row, and the table
// collapses it. Payments and dunning write their own rows (payment_journal.go,
// dunning_log.go); documents (invoices, credit notes, voids, wholesale invoices) and the revenue
// split (postings, reversals, pooled settlements) are audited from the journal transactions
// writeIssue writes. Being ledger rows, the log survives a restart without being held in
// memory; Service.Audit reads it back and names the account, document, amount and currency.

// Audit actions of documents and the split (payments and dunning have theirs).
const (
	AuditInvoiceIssued    = "invoice.issued"
	AuditCreditNoteIssued = "credit_note.issued"
	AuditInvoiceVoid      = "invoice.void"
	AuditCreditNoteVoid   = "credit_note.void"
	AuditWholesaleIssued  = "wholesale.issued"
	AuditSplitPosted      = "split.posted"
	AuditSplitVoid        = "split.void"
	AuditPoolSettled      = "split.pool_settled"
	auditOrigin           = "billing"
)

// AuditEntry is one audited action as Service.Audit returns it: the ledger row plus what it
// moved. Accounts are the ids of every account concerned (a split names each level).
type AuditEntry struct {
	ID       string          `json:"id"`
	At       time.Time       `json:"at"`
	Actor    string          `json:"actor"`
	Action   string          `json:"action"`
	Object   string          `json:"object"`
	Origin   string          `json:"origin"`
	Accounts []string        `json:"accounts,omitempty"`
	Document string          `json:"document,omitempty"` // document id
	Payment  string          `json:"payment,omitempty"`
	Amount   decimal.Decimal `json:"amount"`
	Currency string          `json:"currency,omitempty"`
	Detail   string          `json:"detail,omitempty"`
}

// AuditQuery selects audit entries: [From, To) by action time, and optionally those concerning
// one account. From and To are required.
type AuditQuery struct {
	Account  string
	From, To time.Time
}

// auditDetail is the Detail of the rows audit.go writes: what Service.Audit reads back.
type auditDetail struct {
	Accounts []string        `json:"accounts"`
	Document string          `json:"document,omitempty"`
	Number   string          `json:"number,omitempty"`
	Amount   decimal.Decimal `json:"amount"`
	Currency string          `json:"currency"`
	Text     string          `json:"text"`
}

// auditReader / auditWriter are the audit table's read and write (ledger.Store has both).
type auditReader interface {
	Audit(ctx context.Context, q ledger.AuditQuery) ([]ledger.AuditEntry, error)
}

// auditRows audits the journal transactions of one write: one row per document posting and
// per split posting. What a row names comes from the document rows of the same write (the
// version being issued or voided: number, parties, total, actor), else from memory; a row
// without a document version in the write (a pool settlement) names the actor of the write's
// first commit event.
func (s *Service) auditRows(txs []ledger.Transaction, docs []ledger.Document, commit []ledger.Event) ([]ledger.AuditEntry, error) {
	fallback := auditOrigin
	if len(commit) > 0 && commit[0].Actor != "" {
		fallback = commit[0].Actor
	}
	byID := make(map[string]*ledger.Document, len(docs))
	for i := range docs {
		byID[docs[i].ID] = &docs[i]
	}
	wholesale := map[string]bool{}
	for _, tx := range txs {
		if tx.Kind == TxWholesaleClear && len(tx.Entries) > 0 {
			wholesale[tx.Entries[0].InvoiceID] = true
		}
	}
	var out []ledger.AuditEntry
	for _, tx := range txs {
		docID := ""
		for _, e := range tx.Entries {
			if e.InvoiceID != "" {
				docID = e.InvoiceID
				break
			}
		}
		d, ok := s.auditDoc(byID, docID)
		if !ok {
			continue // not a document's posting
		}
		if wholesale[docID] {
			d.wholesale = true
		}
		action, amount := auditAction(tx, d)
		if action == "" {
			continue
		}
		data, err := json.Marshal(auditDetail{Accounts: txParties(tx, d), Document: d.id, Number: d.number, Amount: amount,
			Currency: d.currency, Text: tx.Description})
		if err != nil {
			return nil, fmt.Errorf("audit %s: %w", tx.ID, err)
		}
		actor := d.actor
		if actor == "" {
			actor = fallback
		}
		out = append(out, ledger.AuditEntry{ID: ledger.DeterministicID("audit", action, tx.ID), At: tx.Time, Actor: actor, Action: action,
			Object: string(d.kind) + ":" + d.id, Origin: auditOrigin, Detail: string(data)})
	}
	return out, nil
}

// auditedDoc is what an audit row says of the document a posting belongs to.
type auditedDoc struct {
	id, number, currency, buyer, issuer, actor string
	kind                                       DocumentKind
	total                                      decimal.Decimal
	wholesale                                  bool
}

// auditDoc describes a document from this write's rows, else from memory.
func (s *Service) auditDoc(rows map[string]*ledger.Document, id string) (auditedDoc, bool) {
	if r, ok := rows[id]; ok {
		return auditedDoc{id: r.ID, number: r.Number, currency: r.Currency, buyer: r.Account, issuer: r.Issuer, actor: r.Actor,
			kind: DocumentKind(r.Kind), total: r.Total}, true
	}
	inv, ok := s.docs[id]
	if !ok || id == "" {
		return auditedDoc{}, false
	}
	return auditedDoc{id: inv.ID, number: inv.Number, currency: inv.Currency, buyer: inv.Buyer.ID, issuer: inv.Issuer.ID,
		kind: inv.Kind, total: inv.Total, wholesale: s.isWholesale(inv)}, true
}

// auditAction names a transaction's action and the amount it moved: a document's total
// (negative for a credit note or a void), or the split's Σ cost paid up the chain.
func auditAction(tx ledger.Transaction, d auditedDoc) (string, decimal.Decimal) {
	costs := decimal.Zero
	for _, e := range tx.Entries {
		if strings.HasSuffix(e.Account, ":"+RoleCostOfSales) {
			costs = costs.Add(e.Amount)
		}
	}
	switch tx.Kind {
	case string(DocInvoice):
		if d.wholesale {
			return AuditWholesaleIssued, d.total
		}
		return AuditInvoiceIssued, d.total
	case string(DocCreditNote):
		return AuditCreditNoteIssued, d.total
	case TxVoid:
		if d.kind == DocCreditNote {
			return AuditCreditNoteVoid, d.total.Neg()
		}
		return AuditInvoiceVoid, d.total.Neg()
	case TxRevenueSplit:
		if tx.ID == TransactionID(purposePool, d.id) {
			return AuditPoolSettled, costs
		}
		return AuditSplitPosted, costs
	case TxRevenueSplitVoid:
		return AuditSplitVoid, costs
	}
	return "", decimal.Zero // the wholesale clearing is part of its document's row
}

// txParties lists the account ids a document's posting concerns: its buyer and issuer, and
// every party its entries belong to (a split's levels), sorted.
func txParties(tx ledger.Transaction, d auditedDoc) []string {
	seen := map[string]bool{}
	var out []string
	add := func(id string) {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	add(d.buyer)
	add(d.issuer)
	for _, e := range tx.Entries {
		_, id, _ := splitCode(e.Account)
		add(id)
	}
	sort.Strings(out)
	return out
}

// writeAudit writes audit rows when the store keeps an audit table (every ledger.Store does;
// a Store without one audits nothing, which Service.Audit then reports as ErrUnsupported).
func (s *Service) writeAudit(ctx context.Context, rows []ledger.AuditEntry) error {
	aw, ok := s.cfg.Store.(paymentAuditWriter)
	if !ok || len(rows) == 0 {
		return nil
	}
	if err := aw.WriteAudit(ctx, rows); err != nil {
		return fmt.Errorf("write %d audit entries: %w", len(rows), err)
	}
	return nil
}

// Audit lists the audit log of [q.From, q.To), sorted by time and id, optionally only what
// concerns q.Account (as a party of the posting, the payer, the buyer, or the subscription's
// account). ErrUnsupported when the store keeps no audit table.
func (s *Service) Audit(ctx context.Context, q AuditQuery) ([]AuditEntry, error) {
	if q.From.IsZero() || !q.From.Before(q.To) {
		return nil, fmt.Errorf("audit: from %s to %s is not a period: %w", q.From, q.To, ErrInvalid)
	}
	ar, ok := s.cfg.Store.(auditReader)
	if !ok {
		return nil, fmt.Errorf("audit: the ledger store keeps no audit table: %w", ErrUnsupported)
	}
	rows, err := ar.Audit(ctx, ledger.AuditQuery{Period: ledger.Period{From: q.From, To: q.To}})
	if err != nil {
		return nil, fmt.Errorf("audit %s..%s: %w", q.From.Format(time.RFC3339), q.To.Format(time.RFC3339), err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ready(); err != nil {
		return nil, err
	}
	out := make([]AuditEntry, 0, len(rows))
	for _, r := range rows {
		e := s.describeAudit(r)
		if q.Account == "" || concerns(e, q.Account) {
			out = append(out, e)
		}
	}
	return out, nil
}

func concerns(e AuditEntry, account string) bool {
	for _, p := range e.Accounts {
		if p == account {
			return true
		}
	}
	return false
}

// creditAppliedAmount reads the amount out of a payment.credit_applied row's detail.
var creditAppliedAmount = regexp.MustCompile(`^credit (\S+) (\S+) of payment`)

// describeAudit fills what an audit row moved: from its own detail (rows audit.go writes), else
// from the payment, refund, invoice or subscription it names. Called with the lock held.
func (s *Service) describeAudit(r ledger.AuditEntry) AuditEntry {
	e := AuditEntry{ID: r.ID, At: r.At, Actor: r.Actor, Action: r.Action, Object: r.Object, Origin: r.Origin, Detail: r.Detail, Amount: decimal.Zero}
	var d auditDetail
	if strings.HasPrefix(r.Detail, "{") && json.Unmarshal([]byte(r.Detail), &d) == nil && d.Currency != "" {
		e.Accounts, e.Document, e.Amount, e.Currency, e.Detail = d.Accounts, d.Document, d.Amount, d.Currency, d.Text
		return e
	}
	kind, id, _ := strings.Cut(r.Object, ":")
	book := s.payments.live(s.state)
	switch kind {
	case strings.TrimSuffix(PaymentAggregate, ":"):
		p, ok := book.byID[id]
		if !ok {
			return e
		}
		e.Payment, e.Accounts, e.Amount, e.Currency = p.ID, []string{p.Account}, p.Amount, p.Currency
		switch r.Action {
		case AuditPaymentRefund:
			for _, rf := range book.refunds {
				if rf.Payment == p.ID && ledger.DeterministicID("audit", AuditPaymentRefund, rf.ID) == r.ID {
					e.Amount = rf.Amount.Neg()
				}
			}
		case AuditCreditApplied:
			if m := creditAppliedAmount.FindStringSubmatch(r.Detail); m != nil {
				if a, err := decimal.NewFromString(m[1]); err == nil {
					e.Amount = a
				}
			}
		}
	case "invoice", string(DocCreditNote):
		inv := s.docs[id]
		if inv == nil {
			for _, x := range s.docs {
				if x.Number == id {
					inv = x
					break
				}
			}
		}
		if inv != nil {
			e.Document, e.Accounts, e.Amount, e.Currency = inv.ID, []string{inv.Buyer.ID, inv.Issuer.ID}, inv.Total, inv.Currency
		}
	case "subscription":
		if sub, ok := s.state.Subscription(id); ok {
			e.Accounts = []string{sub.Account}
		}
	}
	return e
}
