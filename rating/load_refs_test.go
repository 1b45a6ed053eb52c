package rating_test

// catReferenceCases are mistakes across elements: duplicates, dangling references, windows,
// currencies.
func catReferenceCases() []catLoadCase {
	plan := func(id, version, extra string) string {
		return `  - id: ` + id + `
    version: ` + version + `
    product: api
    currency: EUR
` + extra + `    charges:
` + catUsage
	}
	return []catLoadCase{
		{"missing currency", catHeader + `plans:
  - id: basic #<
    product: api
    charges:
` + catUsage, "plans[0].currency", "required field missing", "id"},
		{"unknown currency", catHeader + `plans:
  - id: basic
    product: api
    currency: EUX #<
    charges:
` + catUsage, "plans[0].currency", "unknown currency", "EUX"},
		{"lower-case currency", catHeader + `plans:
  - id: basic
    product: api
    currency: eur #<
    charges:
` + catUsage, "plans[0].currency", "unknown currency", "eur"},
		{"bad rounding", catHeader + `plans:
  - id: basic
    product: api
    currency: EUR
    rounding: bankers #<
    charges:
` + catUsage, "plans[0].rounding", "half_up, half_even, up, down", "bankers"},
		{"plan without charges", catHeader + `plans:
  - id: basic
    product: api
    currency: EUR
    charges: [] #<
`, "plans[0].charges", "at least one charge", "[]"},
		{"unknown product", catHeader + `plans:
  - id: basic
    product: apj #<
    currency: EUR
    charges:
` + catUsage, "plans[0].product", `unknown product "apj"`, "apj"},
		{"unknown vendor", `vendors:
  - { id: acme }
products:
  - { id: api, vendor: acne } #<
`, "products[0].vendor", `unknown vendor "acne"`, "acne"},
		{"duplicate meter", `meters:
  - { id: calls, aggregation: sum }
  - { id: calls, aggregation: max } #<
`, "meters[1].id", `duplicate meter id "calls"`, "calls"},
		{"unique_count without attribute", `meters:
  - { id: users, aggregation: unique_count } #<
`, "meters[0].attribute", "required when aggregation is unique_count", "{"},
		{"bad aggregation", `meters:
  - { id: users, aggregation: average } #<
`, "meters[0].aggregation", `unknown value "average"`, "average"},
		{"duplicate product", `vendors:
  - { id: acme }
products:
  - { id: api, vendor: acme }
  - { id: api, vendor: acme } #<
`, "products[1].id", `duplicate product id "api"`, "api"},
		{"duplicate plan version", catHeader + "plans:\n" + plan("basic", "1", "    effective_to: 2026-01-01\n") +
			plan("basic", "1 #<", "    effective_from: 2026-01-01\n"), "plans[1].version", `duplicate plan "basic" version 1`, "1 #<"},
		{"overlapping versions", catHeader + "plans:\n" + plan("basic", "1", "    effective_from: 2026-01-01\n    effective_to: 2026-07-01\n") +
			plan("basic", "2", "    effective_from: 2026-06-01 #<\n"), "plans[1].effective_from", "overlaps version 1", "2026"},
		{"two open versions", catHeader + "plans:\n" + plan("basic", "1", "") + plan("basic #<", "2", ""),
			"plans[1].effective_from", "overlaps version 1", "id"},
		{"window ends before it starts", catHeader + "plans:\n" + plan("basic", "1", "    effective_from: 2026-07-01\n    effective_to: 2026-01-01 #<\n"),
			"plans[0].effective_to", "must be after effective_from", "2026"},
		{"discount on unknown charge", catHeader + "plans:\n" + plan("basic", "1", `    discounts:
      - id: d
        charge: nope #<
        percent: 10
`), "plans[0].discounts[0].charge", `no charge "nope"`, "nope"},
		{"discount over 100 percent", catHeader + "plans:\n" + plan("basic", "1", `    discounts:
      - id: d
        percent: 120 #<
`), "plans[0].discounts[0].percent", "at most 100", "120"},
		{"discount percent and amount", catHeader + "plans:\n" + plan("basic", "1", `    discounts:
      - id: d
        percent: 10
        amount: 5 #<
`), "plans[0].discounts[0].amount", "not both", "5"},
		{"coupon for unknown plan", catDoc(catUsage, `coupons:
  - code: X
    plan: premium #<
    percent: 10
`), "coupons[0].plan", `unknown plan "premium"`, "premium"},
		{"duplicate coupon", catDoc(catUsage, `coupons:
  - { code: X, percent: 10 }
  - { code: X, amount: 5 } #<
`), "coupons[1].code", `duplicate coupon code "X"`, "X,"},
		{"coupon window", catDoc(catUsage, `coupons:
  - { code: X, percent: 10, valid_from: 2026-02-01, valid_to: 2026-01-01 } #<
`), "coupons[0].valid_to", "must be after valid_from", "2026-01-01"},
		{"coupon bad date", catDoc(catUsage, `coupons:
  - { code: X, percent: 10, valid_from: 1st of May } #<
`), "coupons[0].valid_from", "want a date", "1st"},
		{"price list unknown plan", catDoc(catUsage, `price_lists:
  - id: dist
    channel: distributor
    entries:
      - plan: premium #<
        charge: calls
        model: per_unit
        unit_price: 0.005
`), "price_lists[0].entries[0].plan", `unknown plan "premium"`, "premium"},
		{"price list unknown charge", catDoc(catUsage, `price_lists:
  - id: dist
    channel: distributor
    entries:
      - plan: basic
        charge: storage #<
        model: per_unit
        unit_price: 0.005
`), "price_lists[0].entries[0].charge", `no charge "storage"`, "storage"},
		{"price list unknown version", catDoc(catUsage, `price_lists:
  - id: dist
    channel: distributor
    entries:
      - plan: basic
        version: 7 #<
        charge: calls
        model: per_unit
        unit_price: 0.005
`), "price_lists[0].entries[0].version", "no version 7", "7"},
		{"price list bad tiers", catDoc(catUsage, `price_lists:
  - id: dist
    channel: distributor
    entries:
      - plan: basic
        charge: calls
        model: volume
        tiers:
          - { up_to: 10, unit_price: 1 }
          - { up_to: 5, unit_price: 1 } #<
          - { unit_price: 1 }
`), "price_lists[0].entries[0].tiers[1].up_to", "must be greater than the previous tier's", "5,"},
		{"duplicate price list", catDoc(catUsage, `price_lists:
  - { id: dist, channel: distributor }
  - { id: dist, group: edu } #<
`), "price_lists[1].id", `duplicate price list id "dist"`, "dist"},
		{"second list for a channel", catDoc(catUsage, `price_lists:
  - { id: dist, channel: distributor }
  - { id: dist2, channel: distributor } #<
`), "price_lists[1].channel", "already exists", "distributor }"},
		{"price list without target", catDoc(catUsage, `price_lists:
  - { id: dist } #<
`), "price_lists[0].channel", "required: channel or group", "{"},
		{"unknown channel", catDoc(catUsage, `price_lists:
  - { id: dist, channel: retailer } #<
`), "price_lists[0].channel", `unknown value "retailer"`, "retailer"},
		{"unknown top-level section", catDoc(catUsage, `couponz: #<
  - { code: X, percent: 10 }
`), "couponz", `did you mean "coupons"?`, "couponz"},
		{"list expected", catDoc(catUsage, `coupons: WELCOME #<
`), "coupons", "want a list", "WELCOME"},
	}
}
