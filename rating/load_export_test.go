package rating

// CatalogFieldNames exposes every YAML field name the loader accepts, so the external doc test
// can check that docs/catalog.md documents each one.
func CatalogFieldNames() [][]string {
	return [][]string{ldCatalogKeys, ldVendorKeys, ldProductKeys, ldMeterKeys, ldPlanKeys, ldPeriodKeys,
		ldPriceKeys, ldChargeKeys, ldTierKeys, ldDiscountKeys, ldCouponKeys, ldPriceListKeys, ldEntryKeys}
}
