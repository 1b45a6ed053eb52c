package billing

import (
	"cmp"
	"slices"

	"github.com/shopspring/decimal"
)

// Balance is what an account owes (its open invoices, oldest due first) and the credit its
// payments hold. An unknown account, or a Service not loaded, has an empty balance.
func (s *Service) Balance(account string) AccountBalance {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := AccountBalance{Account: account, Due: decimal.Zero, Credit: decimal.Zero}
	if s.state == nil {
		return b
	}
	acc, ok := s.state.Account(account)
	if !ok {
		return b
	}
	book := s.payments.live(s.state)
	b.Currency = acc.Currency
	b.Open = s.openInvoices(book, account, acc.Currency)
	for _, o := range b.Open {
		b.Due = b.Due.Add(o.Open)
	}
	for _, p := range book.ofAccount(account) {
		b.Credit = b.Credit.Add(p.Unallocated)
	}
	b.Overpaid = s.overpaid(book, account)
	return b
}

// overpaid lists the account's invoices whose allocations exceed what they still owe (credited
// or voided after a payment), by issue time and number.
func (s *Service) overpaid(book *payments, account string) []OpenInvoice {
	var out []OpenInvoice
	for _, inv := range s.docs {
		paid := book.allocated[inv.ID]
		if inv.Kind != DocInvoice || inv.Buyer.ID != account || !paid.IsPositive() {
			continue
		}
		owed := inv.Total.Sub(inv.Credited)
		if inv.Status == StatusVoid {
			owed = decimal.Zero
		}
		if open := owed.Sub(paid); open.IsNegative() {
			out = append(out, OpenInvoice{ID: inv.ID, Number: inv.Number, IssuedAt: inv.IssuedAt, DueAt: inv.DueAt, Total: inv.Total,
				Credited: inv.Credited, Paid: paid, Open: open})
		}
	}
	slices.SortFunc(out, func(a, b OpenInvoice) int {
		return cmp.Or(a.IssuedAt.Compare(b.IssuedAt), cmp.Compare(a.Number, b.Number), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// Payment returns a recorded payment with its allocations and refunds.
func (s *Service) Payment(id string) (*Payment, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state == nil {
		return nil, false
	}
	p, ok := s.payments.live(s.state).byID[id]
	if !ok {
		return nil, false
	}
	return p.clone(), true
}

// Payments lists an account's payments, oldest receipt first.
func (s *Service) Payments(account string) []*Payment {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state == nil {
		return nil
	}
	var out []*Payment
	for _, p := range s.payments.live(s.state).ofAccount(account) {
		out = append(out, p.clone())
	}
	return out
}
