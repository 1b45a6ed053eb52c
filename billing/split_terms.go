package billing

import (
	"fmt"

	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// Settlement modes of a channel relationship (Account.Settlement).
const (
	// SettlementSelfBilling: the parent issues no invoice; the commission statement is the
	// document both sides settle on. The default.
	SettlementSelfBilling = "self_billing"
	// SettlementInvoice: the parent also invoices the account per period for its cost of the
	// period's customer lines (Service.RunWholesale, wholesale.go); the split and the statement
	// are the same either way.
	SettlementInvoice = "invoice"
)

// Split bases: how a level's cost of a line was found.
const (
	BasisPriceList = "price_list"   // the line re-priced with the level's buy price list
	BasisMargin    = "margin"       // what the level sells at × (1 − margin %)
	BasisProRata   = "pro_rata"     // a discount, coupon, commitment, pooled or late line: spread like the subscription's priced lines
	BasisCredit    = "credit"       // a credit note's line: spread like the invoice line it credits
	BasisIssuer    = "issuer"       // nothing to spread it by: the issuer keeps the whole line
	BasisPooled    = "pooled"       // a usage line's share of its level's pooled wholesale tiers for the period (split_pool.go)
	BasisPlatform  = "platform_fee" // the platform's fee: a percentage of the line's net (platform.go)
)

// channelTerms is one selling level's terms, resolved against the catalog.
type channelTerms struct {
	account *Account
	buy     *rating.PriceList // nil: margin
	margin  decimal.Decimal   // percent, when buy is nil (the platform: its fee percent)
	// platform: the level pays the marketplace operator its fee (platform.go), not a parent.
	platform bool
}

// basis is how the level's cost of a line it re-prices is found.
func (t channelTerms) basis() string {
	switch {
	case t.platform:
		return BasisPlatform
	case t.buy != nil:
		return BasisPriceList
	}
	return BasisMargin
}

// HasChannelTerms reports whether an account says what it pays its parent: a buy price list or
// a margin. The split stops at the first level without terms (that level keeps the rest).
func HasChannelTerms(a *Account) bool {
	return a.Parent != "" && (a.BuyPriceList != "" || a.MarginPercent != nil)
}

// ValidateChannelTerms checks an account's channel terms against the catalog. The split calls
// it for every level it prices, so a misconfigured relationship stops the invoice cycle with an
// error naming the account and field instead of booking a wrong split. ErrInvalid or
// ErrNotFound.
func ValidateChannelTerms(a *Account, cat *rating.Catalog) error {
	fail := func(field, format string, kind error, args ...any) error {
		return fmt.Errorf("account %s: %s: %s: %w", a.ID, field, fmt.Sprintf(format, args...), kind)
	}
	switch a.Settlement {
	case "", SettlementSelfBilling, SettlementInvoice:
	default:
		return fail("settlement", "%q: want %q or %q", ErrInvalid, a.Settlement, SettlementSelfBilling, SettlementInvoice)
	}
	if (a.BuyPriceList != "" || a.MarginPercent != nil || a.Settlement != "") && a.Kind != KindDistributor && a.Kind != KindReseller {
		return fail("buy_price_list", "a %s has no channel terms (only distributors and resellers buy to resell)", ErrInvalid, a.Kind)
	}
	if a.BuyPriceList != "" && a.MarginPercent != nil {
		return fail("margin_percent", "set together with buy_price_list %q: give one of them", ErrInvalid, a.BuyPriceList)
	}
	if a.MarginPercent != nil {
		if m := *a.MarginPercent; m.IsNegative() || m.GreaterThan(decimal.NewFromInt(100)) {
			return fail("margin_percent", "%s: must be between 0 and 100", ErrInvalid, m.String())
		}
	}
	if a.BuyPriceList != "" {
		pl, ok := cat.PriceList(a.BuyPriceList)
		if !ok {
			return fail("buy_price_list", "%q is not in the catalog", ErrNotFound, a.BuyPriceList)
		}
		if string(pl.Channel) != string(a.Kind) {
			return fail("buy_price_list", "%q is a price list for %q, not for a %s", ErrInvalid, a.BuyPriceList, channelOrGroup(pl), a.Kind)
		}
	}
	return nil
}

func channelOrGroup(pl *rating.PriceList) string {
	if pl.Channel != "" {
		return string(pl.Channel)
	}
	return "group " + pl.Group
}

// resolveTerms validates an account's terms and resolves its buy list.
func resolveTerms(a *Account, cat *rating.Catalog) (channelTerms, error) {
	if err := ValidateChannelTerms(a, cat); err != nil {
		return channelTerms{}, err
	}
	t := channelTerms{account: a}
	if a.BuyPriceList != "" {
		t.buy, _ = cat.PriceList(a.BuyPriceList)
	} else if a.MarginPercent != nil {
		t.margin = *a.MarginPercent
	}
	return t, nil
}
