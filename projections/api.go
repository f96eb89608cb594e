package projections

import (
	"context"
	"crypto/ed25519"
	"log/slog"
	"time"

	"github.com/ehelse/portfolio/eventlog"
)

// ---- the read models ----

// Position returns the stream position of the last applied event (0: none,
// or the read models are being rebuilt after a stream mismatch).
func (m *ReadModels) Position() uint64 { return m.position() }

// WaitFor blocks until Position() >= pos, or returns a KindLagging
// *domain.Error when ctx is done first. Every commit wakes it; it does not
// poll.
func (m *ReadModels) WaitFor(ctx context.Context, pos uint64) error { return m.waitFor(ctx, pos) }

// Strategy returns every strategy period with its goals and sub-goals.
func (m *ReadModels) Strategy() (StrategyView, error) { return m.strategyQuery() }

// Initiatives returns the portfolio overview, sorted by title then id. It
// is answered from the in-memory card index as of Position(); the values
// share memory with it and must not be modified.
func (m *ReadModels) Initiatives(f InitiativeFilter) ([]InitiativeSummary, error) {
	return m.initiativesQuery(f)
}

// Initiative returns one initiative with its milestones, latest status,
// status history, lifecycle history and cases, or a KindNotFound error.
// Version is the aggregate version for the ETag.
func (m *ReadModels) Initiative(id string) (InitiativeDetail, error) { return m.initiativeQuery(id) }

// Roadmap returns goals → sub-goals → initiatives (see roadmap.go for what
// is shown). It is answered from the in-memory card index as of
// Position(); the listed initiatives share memory with it and must not be
// modified.
func (m *ReadModels) Roadmap(f RoadmapFilter) (RoadmapView, error) { return m.roadmapQuery(f) }

// Meetings returns the meetings of a forum and year ("" and 0: all), by
// date.
func (m *ReadModels) Meetings(forum string, year int) ([]MeetingSummary, error) {
	return m.meetingsQuery(forum, year)
}

// Meeting returns one meeting with its agenda (by case number) and
// outcomes, or a KindNotFound error.
func (m *ReadModels) Meeting(id string) (MeetingDetail, error) { return m.meetingQuery(id) }

// Case returns one case with its path through the forums (placements and
// decisions in order) and corrections, or a KindNotFound error.
func (m *ReadModels) Case(id string) (CaseDetail, error) { return m.caseQuery(id) }

// Decisions returns the decision register across forums and years, by
// meeting date then position.
func (m *ReadModels) Decisions(f DecisionFilter) ([]DecisionEntry, error) {
	return m.decisionsQuery(f)
}

// Config configures Open.
type Config struct {
	// Dir is the directory holding the read model file (FileName). Required.
	Dir string
	// Stream is the JetStream stream, default DefaultStream.
	Stream string
	// Logger receives reports of skipped events, rebuilds and errors.
	// Default: slog.Default().
	Logger *slog.Logger
	// BatchSize is the most events applied in one bbolt transaction,
	// default 1000.
	BatchSize int
	// BatchWait is how long the runner waits for the next event while the
	// stream reports more pending before it commits a partial batch,
	// default 1ms. Once nothing more is pending, the runner commits what
	// has arrived without waiting.
	BatchWait time.Duration
	// CheckInterval is how often the runner re-checks that the stream is
	// still the one the read models were built from, default 30s.
	CheckInterval time.Duration
	// TrustedKeys are the public keys events must be signed with. When not
	// empty, the runner verifies every event before applying it (package
	// audit: a trusted signature over its hash, a valid envelope, and the
	// prevhash and version that continue its aggregate's chain, tracked in
	// BucketChains in the same transaction); an event that fails is not
	// applied but rejected: counted (Stats.Rejected), logged at Error with
	// its position and the reason, and passed over by the checkpoint.
	// Empty: no verification, every decodable event is applied (tests,
	// stores without a signer). A file built with other trusted keys is
	// rebuilt.
	TrustedKeys []ed25519.PublicKey
	// Written, when set, is the record of the events this process signed
	// and appended (eventstore.Store.Written): the runner does not check
	// again the signature of an event it vouches for, and checks the rest.
	Written *eventlog.Written
}

// Stats are the runner's counters since Open.
type Stats struct {
	Position uint64 `json:"position"` // last applied stream position
	Head     uint64 `json:"head"`     // stream head last seen
	Lag      uint64 `json:"lag"`      // Head − Position (0 when ahead)
	Applied  uint64 `json:"applied"`  // events applied to read models
	Skipped  uint64 `json:"skipped"`  // events skipped: unknown type or version, undecodable, no read model
	Rejected uint64 `json:"rejected"` // events rejected by verification (forged, altered, out of chain)
	Batches  uint64 `json:"batches"`  // committed transactions
	Rebuilds uint64 `json:"rebuilds"` // completed rebuilds
	Ready    bool   `json:"ready"`    // caught up with the head seen when the runner started
}

// DefaultStream is the stream name the product creates.
const DefaultStream = "PORTFOLIO"

// FileName is the name of the live read model file in Config.Dir.
const FileName = "readmodels.db"
