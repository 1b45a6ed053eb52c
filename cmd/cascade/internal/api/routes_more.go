package api

// moreRoutes: catalog moderation, rejects (list, replay), consumption report.
func (a *API) moreRoutes() []route {
	all := Roles()
	return []route{
		{"GET /v1/catalog", all, a.getCatalog},
		{"POST /v1/catalog/drafts", []Role{RoleVendor}, a.createDraft},
		{"GET /v1/catalog/drafts", []Role{RoleVendor, RoleAdmin}, a.listDrafts},
		{"GET /v1/catalog/drafts/{id}", []Role{RoleVendor, RoleAdmin}, a.getDraft},
		{"POST /v1/catalog/drafts/{id}/submit", []Role{RoleVendor}, a.submitDraft},
		{"POST /v1/catalog/drafts/{id}/approve", []Role{RoleAdmin}, a.approveDraft},
		{"POST /v1/catalog/drafts/{id}/reject", []Role{RoleAdmin}, a.rejectDraft},
		{"GET /v1/rejects", []Role{RoleAdmin, RoleFinance, RoleAnalyst, RoleVendor}, a.listRejects},
		{"POST /v1/rejects/replay", []Role{RoleAdmin}, a.replayRejects},
		{"GET /v1/reports/consumption", all, a.getConsumption},
	}
}
