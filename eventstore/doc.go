/*
Package eventstore is the product's event log: an append-only, per-aggregate
versioned log of CloudEvents on one NATS JetStream stream.

Open creates (or checks) the stream and returns a Store. Append writes the
events of one command; Load reads one aggregate's events; Read and Consume
read the whole log in order.

	store, err := eventstore.Open(ctx, js, eventstore.Config{})
	res, err := store.Append(ctx, eventstore.Meta{CommandID: cmdID, Actor: who},
		eventstore.AggregateAppend{Type: "initiative", ID: id,
			ExpectedVersion: v, ExpectedPosition: pos, Events: events})
	recs, err := store.Load(ctx, "initiative", id, 0)

# Stream

One stream (default name PORTFOLIO) with the subject filter
"portfolio.events.>", file storage, limits retention without limits, deny
delete, deny purge, direct get (AllowDirect), atomic batch publish
(AllowAtomicPublish), a duplicate window (Config.Duplicates, default 2
minutes) and Config.Replicas replicas. A message's stream sequence is the
event's position; positions only grow, and as nothing can be deleted they
have no gaps. Open creates the stream when it is missing; when it exists,
Open turns on the settings above if they are off (and sets the duplicate
window and replicas), and refuses a stream whose storage, retention,
subjects or limits differ (ErrStreamMismatch, naming the differences).

# Subjects

Each event is stored under

	portfolio.events.<aggregateType>.<aggregateId>.<EventType>

so subscribers can filter by aggregate type, aggregate or event name, e.g.
"portfolio.events.initiative.*.MilestoneAchieved" or
"portfolio.events.case.>". All events of one aggregate match
AggregateSubject(type, id) = "portfolio.events.<type>.<id>.*". Aggregate
types, ids and event types must be single subject tokens (ValidToken: no
'.', '*', '>', whitespace or control characters); Append, Load and
LastPosition reject anything else with kind invalid.

# Envelope

The payload is a CloudEvents 1.0 event in structured JSON mode:

	{"specversion":"1.0",
	 "id":"01J…",                                  // the event's ULID
	 "source":"/portfolio",                        // Config.Source
	 "type":"no.ehelse.portfolio.InitiativeProposed.v1",
	 "subject":"initiative/<id>",
	 "time":"2026-03-04T05:06:07.123456789Z",      // RFC 3339, UTC
	 "datacontenttype":"application/json",
	 "aggregatetype":"initiative", "aggregateid":"<id>",
	 "aggregateversion":1,                         // the aggregate's version after this event
	 "actor":"…", "causationid":"<command id>", "correlationid":"…",
	 "prevhash":"<hex SHA-256 of the aggregate's previous event>", // absent for version 1
	 "data":{…}}

The extension attributes follow the CloudEvents naming rules (lower-case
letters, at most 20 characters); aggregateversion is a JSON integer.
DecodeRecord turns a stored message back into a Record; the event name is
the part of type between the prefix and the ".vN" suffix, N is
Record.SchemaVersion. Payloads are written with a plain struct (no
reflection over maps); a test decodes them with the CloudEvents SDK.

# Tamper evidence

Every event is chained and, with Config.Signer, signed (package audit,
docs/AUDIT.md). Append sets the first new event's prevhash attribute to
AggregateAppend.PrevHash — the hash of the aggregate's last event, which
Append reads itself when the caller gives none — and each further event's
to its predecessor's hash, computes each event's hash (SHA-256 of the
payload it publishes, Appended.Hash) and adds the header

	Portfolio-Signature: ed25519;<keyid>;<base64 signature of the hash>

Reads return Record.Hash, Record.PrevHash and Record.Signature (from the
header). ReadAudit is Read for auditors: a stored message that is not a
valid event comes back with Record.Invalid set instead of failing the
read, so an export or a verification sees the whole log.

# Concurrency

Appends use optimistic concurrency per aggregate. The caller passes, for
each aggregate, the version and position (stream sequence of the last
event) it decided on — 0 and 0 for a new aggregate. The first message of
each aggregate carries

	Nats-Expected-Last-Subject-Sequence: <ExpectedPosition>
	Nats-Expected-Last-Subject-Sequence-Subject: portfolio.events.<type>.<id>.*

so the stream leader stores it only if the aggregate's last event, of any
event type, is still at that position. Otherwise Append returns ErrConflict
and nothing is written; the caller reloads and decides again. The new
events get versions ExpectedVersion+1, +2, … . Concurrent appends to
different aggregates do not conflict.

# Atomic batches

An append of one event is one JetStream publish. An append of more than
one event — several events of one aggregate, or events of several
aggregates (CaseApproved with InitiativeAdmitted) — is one atomic batch
(nats-server 2.12 and later), published with the maintained client
github.com/synadia-io/orbit.go/jetstreamext (PublishMsgBatch, without flow
control: one round trip): every message carries Nats-Batch-Id and
Nats-Batch-Sequence 1..n, the last one Nats-Batch-Commit: 1, and the
server checks every message's expectation and stores all of them with
contiguous sequences, or none. Only the first message of each aggregate
carries the expectation: the server checks expectations against the stored
log, not against messages staged earlier in the same batch. A subscriber
or auditor never sees part of a batch.

# Idempotency

Each event's Nats-Msg-Id is MsgID(CommandID, i) = "<CommandID>:<i>", i
counting the command's events from 0 in argument order, so it is the same
on every retry of the command. JetStream refuses a message id it has stored
within the duplicate window. How it answers a retry differs: an R1 stream
checks the expectation first and answers "wrong last sequence", an R3
stream answers with a duplicate acknowledgement, and an atomic batch gets
"batch contains duplicate message id" on both. Before reporting a conflict
Append therefore reads, from the stream leader, the aggregate's messages
after its ExpectedPosition (or its last ones) and compares their message
ids with the command's; if the command is already stored it returns
Result{Duplicate: true} describing the stored events. R1 and R3 behave the
same.

# Reads

Load and Read use batched direct gets ($JS.API.DIRECT.GET with seq,
next_by_subj and batch), not consumers: Load asks for up to DirectBatch
messages at a time from afterPosition+1 on the aggregate's subject filter,
so its cost depends on what it returns, not on the rest of the log. In a
cluster any replica may answer a direct get, and a follower can lag the
leader for a moment (measured: not at all in steady state, up to the whole
failover around a leader change). So that a caller always reads its own
writes, Load asks the stream leader for the aggregate's last position in
parallel ($JS.API.STREAM.MSG.GET with last_by_subj; Read asks for the
stream's last sequence) and reads any tail the direct gets missed from the
leader. LastPosition, Head and the duplicate check ask the leader;
DirectLastPosition is the cheaper follower-served variant. Consume follows
the log with an ordered consumer, for projections.

# Errors

Every error is a *domain.Error, so domain.IsKind works, and wraps one of
the sentinels, so errors.Is works:

	ErrConflict       kind version_conflict  an aggregate is not at the expected position
	ErrUnavailable    kind unavailable       JetStream not reachable, no answer in time, no responders
	ErrCorrupt        kind internal          a stored message is not an event envelope
	ErrStreamMismatch kind internal          Open found a stream it cannot use

Invalid arguments are kind invalid. After ErrUnavailable from Append the
outcome is unknown (the request may still be stored); retrying with the
same CommandID is safe.
*/
package eventstore
