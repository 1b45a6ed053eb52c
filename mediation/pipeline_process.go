package mediation

import (
	"errors"
	"time"

	"github.com/cascade-billing/cascade/rating"
)

// process runs the stages over a batch into st.batch, advancing the dedup set and the totals
// with undo logs (st.added, the totals' log) that Handle rolls back if the write fails.
func (p *Pipeline) process(st *partition, sg *stages, msgs []Message, now time.Time) {
	size := 0
	for i := range msgs {
		size += len(msgs[i].Value)
	}
	st.dec.Reset(size)
	b := &st.batch
	clear(b.Usage)
	clear(b.Deltas)
	clear(b.Rejected)
	b.Usage, b.Deltas, b.Rejected = b.Usage[:0], b.Deltas[:0], b.Rejected[:0]
	b.Duplicates, b.LateClosed, b.Consumed, b.At = 0, 0, len(msgs), now
	st.added = st.added[:0]
	if cap(st.recs) < len(msgs) {
		st.recs = make([]Record, len(msgs))
		st.ids = make([]ID, len(msgs))
		st.meters = make([]*rating.Meter, len(msgs))
		st.errs = make([]error, len(msgs))
	}
	recs, ids, meters, errs := st.recs[:len(msgs)], st.ids[:len(msgs)], st.meters[:len(msgs)], st.errs[:len(msgs)]
	// Stages that need no state first, for the whole batch: then the dedup set's slots of every
	// id are fetched into the cache together (their misses overlap) before the stateful stages
	// run record by record, in offset order.
	for i := range msgs {
		ids[i], meters[i], errs[i] = ID{}, nil, nil
		rec := &recs[i]
		if err := st.dec.Decode(msgs[i].Value, rec); err != nil {
			errs[i] = err
			continue
		}
		m, err := sg.validator.Validate(rec, now)
		if err != nil {
			errs[i] = err
			continue
		}
		sg.normal.Normalize(rec)
		if re := p.cfg.Bounds.CheckQuantity(rec); re != nil {
			errs[i] = re
			continue
		}
		ids[i], meters[i] = st.idsOf.id(rec.Source, rec.ID), m
	}
	st.seen.Prefetch(ids)
	for i := range msgs {
		msg, rec, id, m := &msgs[i], &recs[i], ids[i], meters[i]
		if err := errs[i]; err != nil {
			p.reject(b, msg, rec, err, now) // rec holds what decoded before a decode error
			continue
		}
		if st.seen.Contains(id) {
			b.Duplicates++
			continue
		}
		e, ok := p.cfg.Directory.Lookup(rec.Subject, rec.Type, rec.Time)
		if !ok {
			p.reject(b, msg, rec, &RecordError{Reason: ReasonUnknownSubject, Field: "subject", ID: rec.ID,
				Detail: `no subscription of "` + clip(rec.Subject) + `" prices meter "` + rec.Type + `" at ` + rec.Time.Format(time.RFC3339Nano)}, now)
			continue
		}
		n0, mark := len(b.Deltas), len(st.totals.undo)
		var err error
		b.Deltas, err = sg.rater.Rate(b.Deltas, rec, id, m, &e, st.totals)
		if err == nil {
			err = p.checkDeltas(b.Deltas[n0:], rec.ID)
		}
		if err != nil {
			st.totals.rollback(mark) // Rate already undid its own failure; this undoes a bounds one
			b.Deltas = b.Deltas[:n0]
			p.reject(b, msg, rec, err, now)
			continue
		}
		st.seen.insert(id, rec.Time)
		st.added = append(st.added, id)
		if e.Closed {
			b.LateClosed++
		}
		b.Usage = append(b.Usage, UsageRow{ID: id, Record: *rec, Enrichment: e, Partition: msg.Partition, Offset: msg.Offset})
	}
}

// checkDeltas refuses a record whose rated deltas the ledger could not store exactly.
func (p *Pipeline) checkDeltas(ds []RatedDelta, id string) error {
	bd := p.cfg.Bounds
	for i := range ds {
		if why := bd.fits(ds[i].Amount, bd.AmountScale); why != "" {
			return &RecordError{Reason: ReasonOutOfBounds, Field: "data.quantity", ID: id,
				Detail: "charge " + ds[i].Charge + ": rated amount " + why + "; the ledger could never store it"}
		}
		if why := bd.fits(ds[i].Quantity, bd.QuantityScale); why != "" {
			return &RecordError{Reason: ReasonOutOfBounds, Field: "data.quantity", ID: id,
				Detail: "charge " + ds[i].Charge + ": rated quantity " + why + "; the ledger could never store it"}
		}
	}
	return nil
}

// reject records a refused message with its reason code and detail; rec is the record as far as
// it decoded (Decode clears it first, so its fields are either decoded or empty).
func (p *Pipeline) reject(b *Batch, msg *Message, rec *Record, err error, now time.Time) {
	r := Rejected{Message: *msg, Reason: ReasonDecode, Detail: err.Error(), At: now}
	var re *RecordError
	if errors.As(err, &re) {
		r.Reason, r.EventID = re.Reason, re.ID
	}
	if rec.ID != "" {
		r.EventID = rec.ID
	}
	r.Source = rec.Source
	b.Rejected = append(b.Rejected, r)
}
