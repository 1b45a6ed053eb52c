package main

import (
	"context"
	"fmt"

	"github.com/cascade-billing/cascade/rating"
)

// published is billing's OnCatalog listener: it hands the catalog to the runner and returns at
// once (billing calls it in the goroutine that published). Only the latest catalog matters, so
// one not yet applied is replaced.
func (m *serveMediation) published(cat *rating.Catalog) {
	for {
		select {
		case m.reload <- cat:
			return
		default:
		}
		select {
		case <-m.reload:
		default:
		}
	}
}

// run runs the source until ctx ends (stopSource: nil) or the source fails (its error). A newly
// published catalog restarts mediation on it: the source stops as on shutdown (in-flight batches
// finish and commit, partitions are released), a pipeline, source and connector are built for
// the catalog, and the new source joins the group again and reloads the partitions' state from
// the ledger. Usage sent meanwhile waits in Kafka; nothing is consumed twice into the ledger
// (deduplication and deterministic ids cover a batch redelivered across the restart).
func (m *serveMediation) run(ctx context.Context) error {
	for {
		pipe, src := m.current()
		srcCtx, stop := context.WithCancel(ctx)
		exit := make(chan error, 1)
		go func() { exit <- src.Run(srcCtx, pipe) }()
		m.running.Store(true)
		var cat *rating.Catalog
	wait:
		for {
			select {
			case err := <-exit:
				stop()
				m.running.Store(false)
				if err == nil && ctx.Err() == nil {
					err = fmt.Errorf("the source stopped on its own")
				}
				return err
			case <-ctx.Done():
				stop()
				err := <-exit
				m.running.Store(false)
				return err
			case cat = <-m.reload:
				m.mu.Lock()
				same := cat == m.cat
				m.mu.Unlock()
				if !same { // a reload of billing with the catalog in use changes nothing
					break wait
				}
			}
		}
		m.log.Info("catalog published: restarting mediation on it")
		stop()
		err := <-exit
		m.running.Store(false)
		if err != nil {
			return err
		}
		if err := m.build(cat); err != nil {
			return fmt.Errorf("rebuild mediation for the published catalog: %w", err)
		}
		m.log.Info("mediation restarted on the published catalog")
	}
}
