// Package billing turns subscriptions and usage into invoices: accounts and the channel chain
// (vendor → distributor → reseller → customer), subscriptions and their event history, billing
// periods and proration, invoice building with discounts, coupons, commitments and taxes,
// gap-free numbering, the invoice lifecycle with credit notes, and the journal postings.
//
// State (accounts, subscriptions, number series) is a list of ledger events, rebuilt into memory
// at start (DESIGN.md, "State without a second database"). Invoices are a pure function of the
// catalog version, the subscription history, the period quantities and the tax rules
// (invariant 7), which is why Build takes everything it needs as input and reads nothing.
package billing
