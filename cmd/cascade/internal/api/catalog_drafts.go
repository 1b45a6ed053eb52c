package api

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/cascade-billing/cascade/billing"
)

// maxDraftBody bounds a draft upload; billing refuses larger documents too.
const maxDraftBody = 256 << 10

// draftList is the answer of GET /v1/catalog/drafts.
type draftList struct {
	Drafts []*billing.CatalogDraft `json:"drafts"`
}

// createDraft: POST /v1/catalog/drafts. The body is the draft document itself (YAML or JSON,
// docs/catalog.md's format), not wrapped in JSON, so a vendor posts the file it edits.
func (a *API) createDraft(w http.ResponseWriter, r *http.Request, p Principal) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxDraftBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, "too_large", "the draft document is larger than 256 KiB", "")
			return
		}
		writeError(w, http.StatusBadRequest, "invalid", "read the draft document: "+err.Error(), "")
		return
	}
	if strings.TrimSpace(string(body)) == "" {
		writeError(w, http.StatusBadRequest, "invalid", "the body must be the draft document (YAML or JSON, see docs/catalog.md)", "")
		return
	}
	d, err := a.cfg.Billing.DraftCatalog(r.Context(), p.Partner, body, p.Actor())
	if err != nil {
		a.writeBillingError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, d)
}

// listDrafts: GET /v1/catalog/drafts[?status=]. A vendor sees its own drafts, an admin all.
func (a *API) listDrafts(w http.ResponseWriter, r *http.Request, p Principal) {
	status := billing.DraftStatus(r.URL.Query().Get("status"))
	switch status {
	case "", billing.DraftOpen, billing.DraftSubmitted, billing.DraftApproved, billing.DraftRejected:
	default:
		writeError(w, http.StatusBadRequest, "invalid", "status "+string(status)+" is not one of draft, submitted, approved, rejected", "status")
		return
	}
	drafts := a.cfg.Billing.CatalogDrafts(p.Partner, status) // "" for an admin: every vendor's
	if drafts == nil {
		drafts = []*billing.CatalogDraft{}
	}
	writeJSON(w, http.StatusOK, draftList{Drafts: drafts})
}

// draftFor returns the draft if p may see it; another vendor's draft is the same 404 as an
// unknown id.
func (a *API) draftFor(w http.ResponseWriter, p Principal, id string) (*billing.CatalogDraft, bool) {
	d, ok := a.cfg.Billing.CatalogDraft(id)
	if !ok || (p.Role.IsPartner() && d.Vendor != p.Partner) {
		notFoundForPartner(w, "catalog draft", id)
		return nil, false
	}
	return d, true
}

// getDraft: GET /v1/catalog/drafts/{id}.
func (a *API) getDraft(w http.ResponseWriter, r *http.Request, p Principal) {
	if d, ok := a.draftFor(w, p, r.PathValue("id")); ok {
		writeJSON(w, http.StatusOK, d)
	}
}

// submitDraft: POST /v1/catalog/drafts/{id}/submit (the vendor's own draft).
func (a *API) submitDraft(w http.ResponseWriter, r *http.Request, p Principal) {
	d, err := a.cfg.Billing.SubmitCatalogDraft(r.Context(), r.PathValue("id"), p.Partner, p.Actor())
	a.answerDraft(w, r, d, err)
}

// approveDraft: POST /v1/catalog/drafts/{id}/approve publishes the draft.
func (a *API) approveDraft(w http.ResponseWriter, r *http.Request, p Principal) {
	d, err := a.cfg.Billing.ApproveCatalogDraft(r.Context(), r.PathValue("id"), p.Actor())
	a.answerDraft(w, r, d, err)
}

// rejectBody is POST /v1/catalog/drafts/{id}/reject's body.
type rejectBody struct {
	Reason string `json:"reason"`
}

// rejectDraft: POST /v1/catalog/drafts/{id}/reject {"reason": "..."}.
func (a *API) rejectDraft(w http.ResponseWriter, r *http.Request, p Principal) {
	var body rejectBody
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		writeError(w, http.StatusBadRequest, "invalid", "body: want {\"reason\": \"...\"}: "+err.Error(), "")
		return
	}
	if strings.TrimSpace(body.Reason) == "" {
		writeError(w, http.StatusBadRequest, "invalid", "reason: required (the vendor reads it)", "reason")
		return
	}
	d, err := a.cfg.Billing.RejectCatalogDraft(r.Context(), r.PathValue("id"), body.Reason, p.Actor())
	a.answerDraft(w, r, d, err)
}

func (a *API) answerDraft(w http.ResponseWriter, r *http.Request, d *billing.CatalogDraft, err error) {
	if err != nil {
		a.writeBillingError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}
