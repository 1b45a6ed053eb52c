package api

// coreRoutes: usage ingest, accounts, subscriptions, invoices, credit notes, payments,
// commission reports. Owned by the API-core work.
func (a *API) coreRoutes() []route {
	return nil
}
