// Package benchmarks holds Cascade's end-to-end benchmarks: each starts its real components
// itself (the in-process Kafka cluster, a private clickhouse-server) and reports records/s.
// It has no non-test code; run them with
//
//	go test -run '^$' -bench BenchmarkKafkaToLedger -benchtime 1x ./benchmarks/
package benchmarks
