package connector

import (
	"errors"
	"fmt"

	"github.com/cascade-billing/cascade/mediation"
	"github.com/cascade-billing/cascade/rating"
)

// checks are the catalog-dependent edge checks, built together from one catalog: one request
// is checked against one catalog from its first record to its last.
type checks struct {
	catalog *rating.Catalog
	own     *ownership
	val     *mediation.Validator
	norm    *mediation.Normalizer
}

func newChecks(cfg *Config, cat *rating.Catalog) (*checks, error) {
	val, err := mediation.NewValidator(mediation.ValidatorConfig{Catalog: cat, LateWindow: cfg.LateWindow, ClockSkew: cfg.ClockSkew})
	if err != nil {
		return nil, err
	}
	return &checks{catalog: cat, own: newOwnership(cat), val: val, norm: mediation.NewNormalizer(cat)}, nil
}

// SetCatalog switches the connector to a newly published catalog (billing's OnCatalog after a
// draft is approved), so a vendor can send usage of its new meters at once. A request being
// served finishes with the catalog it started with; later requests use the new one. Every
// configured vendor key must still name a vendor of the catalog. Safe for concurrent use.
func (h *Handler) SetCatalog(cat *rating.Catalog) error {
	if cat == nil {
		return errors.New("connector: set catalog: nil catalog")
	}
	for _, vendor := range h.cfg.APIKeys {
		if _, ok := cat.Vendor(vendor); !ok {
			return fmt.Errorf("connector: set catalog: vendor %q of an API key is not in the catalog", vendor)
		}
	}
	ck, err := newChecks(&h.cfg, cat)
	if err != nil {
		return fmt.Errorf("connector: set catalog: %w", err)
	}
	h.checks.Store(ck)
	return nil
}

// Catalog returns the catalog the next request is checked against.
func (h *Handler) Catalog() *rating.Catalog { return h.checks.Load().catalog }
