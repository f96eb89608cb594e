/*
Package services holds the portfolio's use cases: running a command,
reading the event log's history, verifying the log, rebuilding the read
models, and who may do which. It sits between the HTTP API (package
services/httpapi, which only maps requests and answers) and the
adapters (packages eventstore, eventstore/idempotency,
eventstore/snapshots and projections), which it knows only through the
small interfaces it declares here. It imports neither NATS nor bbolt; a
test (scripts/layercheck) keeps it so.

# Main types

CommandService runs a command for a Principal: authorize, validate, load
the states the command needs (from its cache, a Snapshots store or the
EventLog), decide (domain.Decide), append, and answer a CommandResult.

	svc, err := services.NewCommandService(services.CommandConfig{Log: store})
	res, err := svc.Execute(ctx, principal, cmd, services.ExecOptions{})

History answers from the log itself: an aggregate's events, an
initiative's events for a principal allowed to read them, an
initiative's state as of a time or version, and pages of the raw log for
auditors. Verifier checks the whole log against the trusted keys (package
audit). Rebuilds runs one operator-triggered read model rebuild at a time
in the background. Authenticator turns bearer tokens into principals;
AuthorizeCommand, AuthorizeOwner and AuthorizeRead say who may do what.

The ports, implemented elsewhere: EventLog (with the optional
capabilities EventReader and LastLoader), HistoryLog (with AuditReader)
and AuditLog by *eventstore.Store; Snapshots by *snapshots.Store;
Idempotency by *idempotency.Store; ReadModelRebuilder by
*projections.ReadModels.

# Promises

A refused command writes nothing. Executing the same command id twice
writes once: event ids derive from it and the log deduplicates them, and
with ExecOptions.Retry a command whose events are already in the log is
answered with them instead of being decided again. A command without
If-Match that loses the optimistic-concurrency race is decided again on
fresh state, with jittered exponential backoff (cenkalti/backoff); with
If-Match it is refused with KindConflict. Every error is a *domain.Error
whose Kind the HTTP layer maps to a status.

# Caveats

The aggregate cache and the snapshots are a cache: a stale entry costs a
retry or a longer read, never a different outcome, because every append
carries the per-aggregate expectation. With CommandConfig.TrustedKeys
set, events that fail verification are logged and ignored, so a forged
event cannot change what commands are decided on; without it, events are
not verified. Snapshots are written in the background and dropped when
their queue is full (FlushSnapshots waits for the queued ones).
*/
package services
