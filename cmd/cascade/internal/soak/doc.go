// Package soak runs `cascade serve` for a long time at a steady load and judges whether its
// memory and goroutines stay flat (issue 8, part 5; `make soak`).
//
// The parts are small and separately usable: Service builds and starts the real binary as a
// child process (Build, Start), Load posts NDJSON usage batches to POST /v1/usage, paced or
// flat out, ReadRSS and ParseMetrics sample the child, and Judge fits a least-squares slope to
// the samples after warm-up and says whether they are flat. TestSoak wires them; it runs the
// soak only when asked (-soak=30m or CASCADE_SOAK=30m), and otherwise only a self-check of
// Judge on synthetic series, so `go test ./...` stays short.
package soak
