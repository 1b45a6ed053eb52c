package mediation

import "time"

// Record is one decoded usage record: a CloudEvents 1.0 event whose data carries a quantity
// and attributes (docs/usage-records.md).
//
// Its strings point into buffers the pipeline reuses from batch to batch (that is what makes
// decoding allocation-free), so a Record and everything built from it is valid only until the
// call it was handed to returns; copy (strings.Clone) what must outlive it.
type Record struct {
	ID       string // CloudEvents id: unique per source
	Source   string // CloudEvents source: the vendor or producer
	Type     string // CloudEvents type: the meter id
	Subject  string // CloudEvents subject: the customer or resource key
	Time     time.Time
	Quantity Number
	Attrs    []Attr // data.attributes, then other data keys (see docs/usage-records.md), in input order
}

// Attr is one record attribute.
type Attr struct {
	Key, Value string
}

// Attr returns the value of the attribute named key.
func (r *Record) Attr(key string) (string, bool) {
	for _, a := range r.Attrs {
		if a.Key == key {
			return a.Value, true
		}
	}
	return "", false
}
