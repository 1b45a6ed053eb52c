package mediation

// Outgoing is one raw usage record on its way into the raw topic (usage.raw), as an edge
// connector (the vendor HTTP connector) hands it to a producer: the original bytes, unchanged,
// and the ownership scope they are keyed by (the pricing group when pooled pricing applies,
// else the account), so one scope's records land on one partition and one owner (DESIGN.md).
//
// Value may alias a request buffer that is reused once the publish call returns: a publisher
// must not keep it afterwards.
type Outgoing struct {
	Scope string
	Value []byte
}
