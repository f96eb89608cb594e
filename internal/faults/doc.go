// Package faults holds the fault suites of the portfolio: tests that break
// the running system on purpose and check what the contract promises
// still holds afterwards. It has no non-test code besides this comment.
//
//   - crash_test.go: portfoliod as a real process under concurrent command
//     load, killed with SIGKILL at several moments and restarted on the
//     same data directory. Every acknowledged command must be in the log
//     exactly once, retries with the Idempotency-Key must replay or execute
//     once, and the read models recovered after the crash must equal a full
//     rebuild. An in-process test drives the retry of a command whose
//     events were written but whose answer was lost (a crash or a 5xx
//     between the append and the idempotency record).
//   - cluster_test.go: two portfoliod instances (each with its own read
//     models) on an in-process three-node JetStream cluster with an R3
//     stream; the node leading the stream is stopped during command load.
//     Commands must resume within 20 s and nothing acknowledged may be lost.
//   - slowclient_test.go: slowloris clients (headers byte by byte), slow
//     bodies and silent connections are cut off by the HTTP server's
//     ReadHeaderTimeout and ReadTimeout (as configured by
//     httpapi.NewHTTPServer), while ordinary requests keep being answered.
//   - fuzz_test.go: FuzzEventDecoding, arbitrary bytes through
//     eventlog.DecodeRecord, domain.DecodeEvent and projections.Apply.
//
// Every test is bounded in time. The suites run in `make test` (the whole
// package takes about a minute; crash and slow-client tests run in
// parallel).
package faults
