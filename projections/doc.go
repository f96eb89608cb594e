/*
Package projections is the read side of the portfolio: read models in one
bbolt file, kept up to date from the event stream and queried by the HTTP
API.

# Basics

A ReadModels is the opened file and the runner that follows the stream.
Open opens (or creates) the file in Config.Dir and serves what it holds at
once; Run follows the stream until its context ends (start it in a
goroutine, and Close after it returned). The queries are methods:

	Strategy                     strategy periods → goals → sub-goals
	Initiatives, Initiative      the portfolio overview and one initiative's detail
	Roadmap                      goals → sub-goals → initiatives, for the roadmap
	Meetings, Meeting            council meetings with their agendas and outcomes
	Case                         a case and its path through the forums
	Decisions                    the decision register

Each returns a view type of this package (InitiativeSummary, RoadmapView,
CaseDetail, …), made for the API's JSON. Position is the last stream
position applied; WaitFor(ctx, pos) blocks until it is at least pos, which
gives a writer read-your-writes. Lag, Ready and Stats report progress for
/readyz and /metrics. Rebuild rebuilds the read models from the whole log
without downtime; BuildFile does the same into a given file, for start-up.
Apply applies one event within a bbolt transaction, for tools and tests.

# What it promises

  - A query's cost grows with what it returns, never with the length of
    the log; no query reads events.
  - Queries, Position and WaitFor agree: once Position is p, every query
    answers from a state that includes position p.
  - Applying is deterministic: the same log gives byte-identical documents,
    however it is divided into transactions.
  - Nothing is applied twice or skipped across a crash: the checkpoint is
    written in the transaction of the data it covers.
  - A crash of the process loses nothing the runner committed. Where the
    machine's boot id is known (Linux) commits are not fsynced; a file
    left open when the machine stopped (the boot id beside it is of
    another boot) is removed and rebuilt from the log (unsynced.go).
  - An event of an unknown or newer type, or about something the read
    models do not hold, is skipped and counted (Stats.Skipped), never an
    error.
  - With Config.TrustedKeys, an event that fails verification (package
    audit: a bad signature, a broken hash chain) is not applied: it is
    logged at Error, counted (Stats.Rejected) and passed over.
  - If the stream no longer matches the file (recreated, restored from an
    older backup) or the file's schema is not SchemaVersion, the read
    models are rebuilt from the log.
  - A rebuild over an existing file (Rebuild, the runner's rebuilds,
    BuildFile at a path that holds one) ends with the same file and the
    same rejections as one that checks every signature. With
    Config.TrustedKeys the checkpoint carries a record of what has been
    verified (the stream, the keys, a digest over every event up to the
    checkpoint's position P, the positions rejected); a rebuild that finds
    one of the same stream and keys skips the signature checks of the
    events up to P that were not rejected — nothing else — and compares
    the digest at P. On any difference it throws away what it built and
    starts again with every signature checked (verified.go).

# What it does not do

The read models are eventually consistent with the log — typically a few
milliseconds behind; a caller that needs its own write waits with WaitFor.
They are a cache: anything in them can be rebuilt from the log, and no
command is decided on them. Time travel (a state as of a time or version)
is not here; it is computed from the log by package services.

# Caveats

The values Initiatives and Roadmap return share memory with an in-memory
index of the initiatives: callers must not modify them.

The verified record is as trustworthy as the read-model file: it is not
signed, and someone able to rewrite both the log and the file could make
a rebuild skip the signatures of altered events. A rebuild with no file to
replace (a first start, a restored backup) checks every signature.

While the read models are rebuilt after a mismatch, queries answer with a
KindLagging error and Position is 0. A rebuild on request (Rebuild) keeps
the old file serving until the new one has caught up.

# Errors

Queries return *domain.Error values: KindNotFound for a missing initiative,
meeting or case; KindLagging while the read models are being rebuilt or
when WaitFor's context ends first; KindUnavailable after Close;
KindInternal for a corrupt file. The sentinels ErrRebuildInProgress,
ErrStreamMismatch and ErrClosed are wrapped and can be tested with
errors.Is.

How the runner batches, verifies, checkpoints and rebuilds is described in
docs/ARCHITECTURE.md.
*/
package projections
