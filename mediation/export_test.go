package mediation

// ParseRFC3339 exposes the allocation-free timestamp parser to the external tests.
var ParseRFC3339 = parseRFC3339
