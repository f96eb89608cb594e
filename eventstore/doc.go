/*
Package eventstore is the product's event log: an append-only log of
CloudEvents on one NATS JetStream stream, versioned per aggregate, with
optimistic concurrency, atomic multi-event appends and tamper-evident
(hash-chained, signed) events.

# Basics

There are a few types. A Store is the log: Open creates or checks the
stream and returns one; it is safe for concurrent use. Append writes the
events of one command — a Meta (command id, actor, correlation) and one
AggregateAppend per aggregate the command changes, each with the version
and position the command was decided on and its NewEvents — and returns a
Result. A Record is one stored event as read back: its position in the
stream, its aggregate and version, its metadata, its data and the bytes
stored.

	store, err := eventstore.Open(ctx, js, eventstore.Config{})
	res, err := store.Append(ctx, eventlog.Meta{CommandID: cmdID, Actor: who},
		eventlog.AggregateAppend{Type: "initiative", ID: id,
			ExpectedVersion: v, ExpectedPosition: pos, Events: events})
	recs, err := store.Load(ctx, "initiative", id, 0)

Load reads one aggregate's events; Read reads the whole log in order, and
ReadAudit does the same for auditors, returning a message that is not a
valid event as a Record with Invalid set instead of failing.
LastPosition, LoadLast and Head answer from the stream leader.

Each event is stored under the subject
portfolio.events.<aggregateType>.<aggregateId>.<EventType> (Subject,
AggregateSubject), so a subscriber can filter by aggregate type, aggregate
or event name. The payload is a CloudEvents 1.0 event in structured JSON
mode; docs/EVENTS.md describes it for subscribers.

# What it promises

  - A position (the stream sequence) is given once and only grows; as
    the stream denies delete and purge, positions have no gaps.
  - An aggregate's events get versions 1, 2, 3, … . Append stores a
    command's events only if every aggregate it names is still at the
    position the command was decided on; otherwise it returns ErrConflict
    and writes nothing.
  - The events of one Append are stored all or none, with contiguous
    positions, even across aggregates; no reader sees part of them.
  - Retrying an Append with the same Meta.CommandID within the stream's
    duplicate window (Config.Duplicates) never stores it twice: the retry
    returns the stored events with Result.Duplicate set.
  - Load reads its own writes, in a cluster too: whatever an Append
    acknowledged before Load began is in its answer.
  - With Config.Signer every event is signed, and each names the hash of
    its aggregate's previous event (package audit verifies both).

# What it does not do

It knows nothing of the events' meaning: it neither decodes Record.Data
nor checks that a command is allowed (package domain does). It does not
project, cache or snapshot. It does not verify what it reads: a reader
that must not trust the stream verifies records with package audit.

# Caveats

After ErrUnavailable from Append the outcome is unknown — the events may
be stored. Retry with the same CommandID; after the duplicate window a
retry is no longer recognised by the log.

Aggregate types, ids and event types must each be a single subject token
(ValidToken: no '.', '*', '>', whitespace or control characters); anything
else is refused with kind invalid. Atomic multi-event appends need
nats-server 2.12 or later. Open refuses a stream whose storage, retention,
subjects or limits differ from what it needs (ErrStreamMismatch).

# Errors

Every error is a *domain.Error, so domain.IsKind works, and wraps one of
the sentinels, so errors.Is works:

	ErrConflict       kind version_conflict  an aggregate is not at the expected position
	ErrUnavailable    kind unavailable       JetStream not reachable, no answer in time, no responders
	ErrCorrupt        kind internal          a stored message is not an event envelope
	ErrStreamMismatch kind internal          Open found a stream it cannot use

Invalid arguments are kind invalid.

How the store does this on JetStream — the stream's settings, the
headers, atomic batches, duplicate detection on R1 and R3, direct gets —
is described in docs/ARCHITECTURE.md.
*/
package eventstore
