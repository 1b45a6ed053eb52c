// Package benchmarks holds Cascade's benchmarks: the in-process mediation pipeline
// (BenchmarkPipeline) and end-to-end ones that start their real components themselves (the
// in-process Kafka cluster, a private clickhouse-server); each reports records/s. It has no
// non-test code; run them with
//
//	go test -run '^$' -bench BenchmarkPipeline -benchmem ./benchmarks/
//	go test -run '^$' -bench BenchmarkKafkaToLedger -benchtime 1x ./benchmarks/
package benchmarks
