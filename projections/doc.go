/*
Package projections keeps the read side of the portfolio: read models in a
single bbolt file, built from the event stream and queried by the HTTP API.

# Read models

There are four, each in its own file:

  - strategy.go: strategy periods → goals → sub-goals (GET /v1/strategy).
  - initiatives.go: the portfolio overview (tiltaksoversikt) and one
    initiative's detail with milestones, status history, lifecycle history
    and cases (GET /v1/initiatives, /v1/initiatives/{id}).
  - roadmap.go: the roadmap (veikart): goals → sub-goals → initiatives with
    owner, phase, planned span, milestones and latest traffic light.
  - council.go: meetings with their agendas (sakskart) and outcomes, a
    case's path through the forums, and the decision register
    (vedtaksregister).

Every read model is a set of bbolt buckets (the Bucket… constants). Documents
are JSON values; index buckets hold composite keys ("value\x00id") with empty
values, so a filtered query reads only the index range and the documents
that match. No query reads events: query cost grows with the number of
initiatives, meetings or decisions it returns, never with the length of the
log.

The portfolio overview (Initiatives) and the roadmap (Roadmap) read every
initiative card, so they are answered from an in-memory index of the cards
instead (index.go): decoded once, with the folded title, owner, user groups
and search text (BucketInitiativeSearch) precomputed, and kept in the two
orders the queries return. The runner builds the next index after each
commit from the cards the batch wrote (copy-on-write: only what changed is
copied) and publishes it together with the position, so Position, WaitFor
and these queries agree; it is built from the file at Open and when a
rebuilt file is switched in. The values these two queries return share
memory with the index: callers must not modify them.

# Applying events

Apply applies one decoded event to the buckets within a *bbolt.Tx. It is
deterministic: it uses only the event and its metadata (never the clock),
so applying a log in one batch or in many gives byte-identical files'
contents. Event types without a read model (the series aggregate's
MeetingNumberAssigned and CaseNumberAssigned) and unknown or newer event
types are skipped and counted, never an error. Events that name something
the read models do not hold (a milestone of an unknown initiative) are
skipped the same way.

# The runner

ReadModels.Run follows the stream with one JetStream ordered consumer
(filter "portfolio.events.>", starting after the checkpoint), decodes each
message once with eventlog.DecodeRecord and domain.DecodeEvent, and
applies up to Config.BatchSize events per bbolt transaction. A batch is
committed when it is full, or when the consumer reports nothing more
pending and every message that has already arrived is in it (group commit:
one fsync covers every event that waited for the previous commit), or
after Config.BatchWait without the next message. Within a batch each
initiative document is decoded and written once, however many of the
batch's events change it. The checkpoint (the last applied position and event id)
and the stream's identity (its creation time and its first event's id) are
written in the same transaction as the data, so after a crash the file is
either before or after the whole batch and restart resumes exactly after
the checkpoint. Normal operation keeps bbolt's fsync on every commit.

Every commit wakes the callers of WaitFor (minPosition in the API) through a
broadcast channel; nothing polls.

# Verification

With Config.TrustedKeys (portfoliod always sets it) the runner verifies
every event before applying it, with package audit: it must decode, match
its subject, be signed by a trusted key, and continue its aggregate's hash
chain (prevhash and aggregateversion after the aggregate's last good
event, kept in BucketChains in the same transaction). The checks of one
event on its own (envelope, signature) are made before the batch is
applied, on GOMAXPROCS goroutines, from the same decoding the apply uses;
the chain is checked in stream order while the batch is applied. An event that fails
— forged by someone who could publish into the stream, or altered — is
rejected: not applied, logged at Error with its position and the reason,
counted in Stats.Rejected, and passed over by the checkpoint. Later genuine
events of the aggregate still apply. The checkpoint records the trusted
key ids; a file built with others is rebuilt. Without TrustedKeys nothing
is verified. See docs/AUDIT.md.

# Rebuilds

If the stream no longer matches the checkpoint (it was recreated: another
creation time or first event; the event at the checkpoint is missing or has
another id; the read models are ahead of the stream's head) or the file's
schema version is not SchemaVersion, the runner stops serving the read
models (queries answer with a KindLagging error and Position is 0) and
rebuilds them. ReadModels.Rebuild rebuilds on request without downtime: it
builds fresh read models from position 0 into a new file
(readmodels-<unixnano>.db) with fsync off while the current file keeps
serving, catches up with the runner, fsyncs, renames the new file over
FileName and switches readers to it atomically; the old file is closed once
its readers are done. BuildFile does the same into a given path, for
start-up.

A rebuild is a pipeline: one goroutine reads the next messages and prepares
them (decoding, envelope and signature checks on GOMAXPROCS goroutines)
while the previous ones are applied, in stream order, in transactions of
at most rebuildBatchSize events or rebuildMaxInitiatives changed
initiatives (a transaction holds the pages it changes in memory until it
commits). The builder closes and reopens its file when the pages of it
mapped into the process have grown by maxMappedFile, so that the mapping
of a file that grows with the log does not stay resident.

# Operations

Open opens the file and serves its checkpoint at once; Run follows the
stream until its context ends (start it in a goroutine; Close after it
returned). Position, Lag (stream head − position), Ready (caught up with
the head seen at start) and Stats (applied, skipped, batches, rebuilds)
feed /readyz and /metrics. Skipped events are reported to Config.Logger
(the first of each type at Warn, the rest at Debug), and so are runner
errors (the runner restarts its consumer from the checkpoint with backoff)
and rebuilds.

# Errors

Queries return *domain.Error values: KindNotFound for a missing initiative,
meeting or case, KindLagging while the read models are being rebuilt or when
WaitFor times out, KindUnavailable after Close, KindInternal for a corrupt
file. Sentinel errors (ErrRebuildInProgress, ErrStreamMismatch, ErrClosed)
are wrapped and can be tested with errors.Is.
*/
package projections
