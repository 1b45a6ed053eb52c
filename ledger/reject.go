package ledger

import "time"

// Reject is a consumed record mediation refused, kept with its original bytes so it can be
// fixed and replayed. Its identity is where it was read from (Topic, Partition, Offset), so a
// redelivered record is stored once.
type Reject struct {
	Topic     string
	Partition int32
	Offset    int64
	At        time.Time
	Reason    string // a stable reason code, e.g. "unknown_meter", "bad_json"
	Detail    string
	Source    string // when known
	EventID   string // when known
	Original  []byte
}

// Key returns the identity used in errors: "topic/partition/offset".
func (r *Reject) Key() string {
	return r.Topic + "/" + itoa(int(r.Partition)) + "/" + itoa(int(r.Offset))
}

// Validate checks identity and bounds.
func (r *Reject) Validate() error {
	v := validator{record: "reject", key: r}
	v.required("topic", r.Topic)
	v.required("reason", r.Reason)
	if r.Partition < 0 {
		v.fail(ErrInvalid, "partition", "is negative")
	}
	if r.Offset < 0 {
		v.fail(ErrInvalid, "offset", "is negative")
	}
	v.time("at", r.At)
	return v.result()
}

// AuditEntry records who did what to which object, from where. ID is deterministic (e.g. the
// command id), so a retried command is audited once.
type AuditEntry struct {
	ID     string
	At     time.Time
	Actor  string // user or service identity
	Action string // e.g. "invoice.void", "plan.publish"
	Object string // e.g. "invoice:INV-2026-0001"
	Origin string // e.g. "api 10.0.0.7", "cli", "scheduler"
	Detail string
}

// Validate checks identity and bounds.
func (a *AuditEntry) Validate() error {
	v := validator{record: "audit", id: a.ID}
	v.required("id", a.ID)
	v.required("actor", a.Actor)
	v.required("action", a.Action)
	v.required("object", a.Object)
	v.time("at", a.At)
	return v.result()
}
