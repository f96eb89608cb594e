// Package eventlog is the vocabulary of the portfolio's event log, shared
// by the store that writes it (package eventstore, over NATS JetStream),
// the read models that follow it (package projections) and the use cases
// that decide on it (package services): the records and appends, the
// sentinel errors, and the one codec of the stored CloudEvents 1.0
// envelope and its subjects.
//
// EncodeEvent writes an event's envelope; DecodeRecord reads a stored
// message back into a Record, refusing a malformed envelope with
// ErrCorrupt. Subject, AggregateSubject and ValidToken name the subjects
// events are stored under ("portfolio.events.<type>.<id>.<Event>").
//
// Written is the bounded record of the events this process signed and
// appended, which the readers of the log in the same process consult
// instead of verifying those signatures again.
//
// The package imports neither NATS nor bbolt: what depends on it sees the
// log's data, not the transport. Package audit keeps its own decoder of
// the envelope on purpose (an auditor builds it with the standard library
// alone); a test keeps the two in step.
package eventlog
