package api

import "net/http"

// Role sets of the core routes. Readers see within their scope (partners: their subtree);
// money moves (payments, refunds, credit notes, voids, cycles) are finance's and admin's;
// accounts and subscriptions are managed by admin and by distributors and resellers below
// themselves.
func readers() []Role {
	return []Role{RoleVendor, RoleDistributor, RoleReseller, RoleFinance, RoleAnalyst, RoleAdmin}
}

func movers() []Role { return []Role{RoleFinance, RoleAdmin} }

func managers() []Role { return []Role{RoleDistributor, RoleReseller, RoleAdmin} }

// coreRoutes: usage ingest, accounts, subscriptions, invoices, credit notes, payments,
// commission reports. Owned by the API-core work.
func (a *API) coreRoutes() []route {
	return []route{
		{pattern: "POST /v1/usage", handle: a.passThrough(func() http.Handler { return a.cfg.Usage }, "usage ingest")},
		{pattern: "POST /v1/payments/webhook", handle: a.passThrough(func() http.Handler { return a.cfg.Webhook }, "the payment webhook")},

		{pattern: "GET /v1/accounts", roles: readers(), handle: a.listAccounts},
		{pattern: "POST /v1/accounts", roles: managers(), handle: a.createAccount},
		{pattern: "GET /v1/accounts/{id}", roles: readers(), handle: a.getAccount},
		{pattern: "GET /v1/accounts/{id}/balance", roles: readers(), handle: a.getBalance},
		{pattern: "GET /v1/accounts/{id}/subscriptions", roles: readers(), handle: a.listSubscriptions},
		{pattern: "POST /v1/accounts/{id}/apply-credit", roles: movers(), handle: a.applyCredit},

		{pattern: "POST /v1/subscriptions", roles: managers(), handle: a.createSubscription},
		{pattern: "GET /v1/subscriptions/{id}", roles: readers(), handle: a.getSubscription},
		{pattern: "POST /v1/subscriptions/{id}/cancel", roles: managers(), handle: a.subscriptionAction("cancel")},
		{pattern: "POST /v1/subscriptions/{id}/change-plan", roles: managers(), handle: a.subscriptionAction("change-plan")},
		{pattern: "POST /v1/subscriptions/{id}/seats", roles: managers(), handle: a.subscriptionAction("seats")},
		{pattern: "POST /v1/subscriptions/{id}/suspend", roles: managers(), handle: a.subscriptionAction("suspend")},
		{pattern: "POST /v1/subscriptions/{id}/resume", roles: managers(), handle: a.subscriptionAction("resume")},

		{pattern: "GET /v1/invoices", roles: readers(), handle: a.listInvoices},
		{pattern: "GET /v1/invoices/{id}", roles: readers(), handle: a.getInvoice},
		{pattern: "GET /v1/invoices/{id}/html", roles: readers(), handle: a.getInvoiceHTML},
		{pattern: "POST /v1/invoices/preview", roles: readers(), handle: a.previewInvoices},
		{pattern: "POST /v1/invoices/{id}/void", roles: movers(), handle: a.voidInvoice},
		{pattern: "POST /v1/cycles", roles: movers(), handle: a.runCycle},
		{pattern: "POST /v1/credit-notes", roles: movers(), handle: a.createCreditNote},

		{pattern: "POST /v1/payments", roles: movers(), handle: a.recordPayment},
		{pattern: "GET /v1/payments", roles: readers(), handle: a.listPayments},
		{pattern: "GET /v1/payments/{id}", roles: readers(), handle: a.getPayment},
		{pattern: "POST /v1/payments/{id}/refunds", roles: movers(), handle: a.refundPayment},

		{pattern: "GET /v1/reports/commissions", roles: readers(), handle: a.getCommissions},
	}
}

// passThrough mounts a handler that authenticates its callers itself (the connector checks
// vendor keys, the webhook its provider's signature); nil in the configuration answers 503.
func (a *API) passThrough(h func() http.Handler, what string) func(http.ResponseWriter, *http.Request, Principal) {
	return func(w http.ResponseWriter, r *http.Request, _ Principal) {
		if hh := h(); hh != nil {
			hh.ServeHTTP(w, r)
			return
		}
		unavailable(w, what)
	}
}
