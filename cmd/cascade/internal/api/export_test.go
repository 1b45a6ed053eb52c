package api

// CorePatterns exposes the core route table's patterns to the external tests, which must have
// an example request for each (the catalog, rejects and consumption routes test their own).
func CorePatterns(a *API) []string {
	var out []string
	for _, rt := range a.coreRoutes() {
		out = append(out, rt.pattern)
	}
	return out
}
