// Package connector is the vendor HTTP connector: POST /v1/usage takes CloudEvents usage
// records (one, a JSON array or NDJSON), authenticates the vendor by API key, checks each
// record at the edge (decode, validate, the vendor owns the meter and the source, the subject
// is known) and produces the accepted ones to the raw topic keyed by ownership scope, answering
// only after the producer acknowledged them. docs/api.md is the contract.
//
// It declares the one interface it needs from Kafka (Publisher) and imports no infrastructure:
// cmd/cascade wires a mediation/kafka Producer into it.
package connector
