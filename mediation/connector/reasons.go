package connector

// Reason codes the connector adds to mediation's (mediation.Reasons): a record the vendor is not
// allowed to send. Stable like mediation's: dashboards and dead-letter replays key on them.
const (
	// ReasonForeignMeter: the record's meter (type) is not priced by any product of the
	// authenticated vendor, or it is a shared meter and the subject's subscription is another
	// vendor's.
	ReasonForeignMeter = "foreign_meter"
	// ReasonForeignSource: the record's source is neither the vendor id nor "<vendor id>/...".
	ReasonForeignSource = "foreign_source"
)

// Per-record statuses of a response.
const (
	StatusAccepted  = "accepted"
	StatusRejected  = "rejected"
	StatusDuplicate = "duplicate"
)
