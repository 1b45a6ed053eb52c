package billing

import "github.com/shopspring/decimal"

// AccountKind is an account's place in the channel.
type AccountKind string

// The channel levels. A reseller is attached to a distributor, a distributor to a vendor; a
// customer buys through a reseller, or directly from a distributor or a vendor.
const (
	KindVendor      AccountKind = "vendor"
	KindDistributor AccountKind = "distributor"
	KindReseller    AccountKind = "reseller"
	KindCustomer    AccountKind = "customer"
)

// Account is a party of the channel: it issues invoices to the accounts below it and receives
// invoices from the one above (its Parent).
type Account struct {
	ID   string      `json:"id"`
	Kind AccountKind `json:"kind"`
	Name string      `json:"name"`
	// Parent is who sells to this account: the vendor for a distributor, the distributor for a
	// reseller, the reseller (or distributor, or vendor) for a customer; empty for a vendor.
	// A customer's invoices are issued by its Parent.
	Parent   string `json:"parent,omitempty"`
	Currency string `json:"currency"` // ISO 4217; every subscription of the account bills in it
	// BillingDay 1..28 bills every subscription on that day of the month (calendar billing);
	// 0 bills each subscription on the anniversary of its start.
	BillingDay int `json:"billing_day"`
	// TaxJurisdiction is a key of the tax rules ("DE", "FR", "JP", "US-CA").
	TaxJurisdiction string `json:"tax_jurisdiction"`
	// TaxID is the buyer's VAT or tax number; a buyer with one is a business (reverse charge
	// may apply across jurisdictions).
	TaxID            string `json:"tax_id,omitempty"`
	PaymentTermsDays int    `json:"payment_terms_days"` // net N days after issue
	// PricingGroup is the customer group (enterprise) for group prices and pooled tiers.
	PricingGroup string `json:"pricing_group,omitempty"`
	// PriceList is a catalog price list id overriding plan prices for this buyer.
	PriceList string    `json:"price_list,omitempty"`
	Address   string    `json:"address,omitempty"`
	Contacts  []Contact `json:"contacts,omitempty"`
	// InvoicePattern and CreditNotePattern number the documents this account issues
	// (see numbering.go); empty: DefaultInvoicePattern / DefaultCreditNotePattern.
	InvoicePattern    string `json:"invoice_pattern,omitempty"`
	CreditNotePattern string `json:"credit_note_pattern,omitempty"`

	// Channel terms of a distributor or reseller: what it pays its Parent for what it sells
	// (the revenue split, split.go; checked at split time by ValidateChannelTerms).
	// BuyPriceList is a catalog price list of this account's channel level that prices its
	// cost: each customer line re-priced with it. MarginPercent is used instead when there is
	// no buy list: the account keeps that percentage of what it sells. An account with neither
	// has no terms: the split stops there and it keeps the rest. Settlement says how the
	// parent collects: "self_billing" (default: the commission statement only) or "invoice".
	BuyPriceList  string           `json:"buy_price_list,omitempty"`
	MarginPercent *decimal.Decimal `json:"margin_percent,omitempty"` // nil: not set; 0 is a 0 % margin
	Settlement    string           `json:"settlement,omitempty"`
}

// Contact is a person to send documents and reminders to.
type Contact struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Role  string `json:"role,omitempty"` // "billing", "technical"...
}

// Default numbering patterns: {ISSUER} the issuer id, {YYYY} the issue year, {SEQ:6} the
// sequence zero-padded to 6 digits.
const (
	DefaultInvoicePattern    = "{ISSUER}-{YYYY}-{SEQ:6}"
	DefaultCreditNotePattern = "{ISSUER}-CN-{YYYY}-{SEQ:6}"
)
