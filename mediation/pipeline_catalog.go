package mediation

import (
	"errors"

	"github.com/cascade-billing/cascade/rating"
)

// stages are the catalog-dependent stages, built together from one catalog so that a batch is
// validated, normalized and rated against one catalog, never a mix of two.
type stages struct {
	catalog   *rating.Catalog
	validator *Validator
	normal    *Normalizer
	rater     *Rater
}

func newStages(cfg *Config, cat *rating.Catalog) (*stages, error) {
	v, err := NewValidator(ValidatorConfig{Catalog: cat, LateWindow: cfg.LateWindow, ClockSkew: cfg.ClockSkew})
	if err != nil {
		return nil, err
	}
	return &stages{catalog: cat, validator: v, normal: NewNormalizer(cat), rater: NewRater(cat)}, nil
}

// SetCatalog switches the pipeline to a newly published catalog (billing's OnCatalog after a
// draft is approved). The switch happens at a batch boundary: a batch being handled finishes
// with the catalog it started with, and every later batch uses the new one. Running totals stay
// valid because a published catalog only adds products, meters and plan versions: the totals'
// keys (scope, plan, charge, period) keep their meaning. Safe to call concurrently with Handle.
func (p *Pipeline) SetCatalog(cat *rating.Catalog) error {
	if cat == nil {
		return errors.New("mediation: set catalog: nil catalog")
	}
	sg, err := newStages(&p.cfg, cat)
	if err != nil {
		return err
	}
	p.stages.Store(sg)
	return nil
}

// Catalog returns the catalog the next batch is handled with.
func (p *Pipeline) Catalog() *rating.Catalog { return p.stages.Load().catalog }
