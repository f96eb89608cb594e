package projections

import (
	"context"
	"crypto/ed25519"
	"log/slog"
	"time"

	"github.com/ehelse/portfolio/domain"
)

// ---- filters ----

// InitiativeFilter selects initiatives for the portfolio overview
// (GET /v1/initiatives). Empty fields do not filter. All given fields must
// match.
type InitiativeFilter struct {
	// Goal: the initiative contributes to the goal: its primary goal, or
	// one of its sub-goals belongs to the goal.
	Goal string
	// SubGoal: the primary sub-goal or one of the other sub-goals.
	SubGoal string
	// Owner: exact owner organisation (case-insensitive).
	Owner string
	// Phase: concept, planning, execution, rollout or closed.
	Phase string
	// State: the lifecycle state (proposed, in_portfolio, paused, rejected,
	// withdrawn, closed, cancelled).
	State string
	// UserGroup: one of the initiative's user groups (case-insensitive).
	UserGroup string
	// Q: free text; every word must occur in the title, description or
	// owner (case-insensitive, Unicode-normalised).
	Q string
}

// RoadmapFilter selects what the roadmap (GET /v1/roadmap) shows. Goal and
// SubGoal restrict the tree; the other fields select initiatives, as in
// InitiativeFilter.
type RoadmapFilter struct {
	Goal, SubGoal, Owner, UserGroup, Phase, Q string
}

// DecisionFilter selects entries of the decision register. From and To are
// inclusive bounds on the meeting date; empty means unbounded.
type DecisionFilter struct {
	Forum, InitiativeID string
	From, To            domain.Date
}

// ---- strategy ----

// StrategyView is every strategy period with its goals and sub-goals.
type StrategyView struct {
	Strategies []StrategyPeriod `json:"strategies"`
}

// StrategyPeriod is one strategy, e.g. "2023-2030".
type StrategyPeriod struct {
	Strategy string     `json:"strategy"`
	Goals    []GoalView `json:"goals"`
}

// GoalView is a strategic goal with its sub-goals.
type GoalView struct {
	GoalID   string        `json:"goalId"`
	Strategy string        `json:"strategy"`
	Title    string        `json:"title"`
	SubGoals []SubGoalView `json:"subGoals"`
}

// SubGoalView is a sub-goal (delmål).
type SubGoalView struct {
	SubGoalID string `json:"subGoalId"`
	GoalID    string `json:"goalId"`
	Strategy  string `json:"strategy"`
	Title     string `json:"title"`
}

// ---- initiatives ----

// StatusView is one status report.
type StatusView struct {
	ReportDate domain.Date `json:"reportDate"`
	Overall    domain.RAG  `json:"overall"`
	Schedule   domain.RAG  `json:"schedule"`
	Cost       domain.RAG  `json:"cost"`
	Benefit    domain.RAG  `json:"benefit"`
	Comment    string      `json:"comment,omitempty"`
	ReportedAt time.Time   `json:"reportedAt"`
	ReportedBy string      `json:"reportedBy,omitempty"`
	EventID    string      `json:"eventId"`
	Position   uint64      `json:"position"`
	// RoundID is the reporting round the report belongs to ("" for none).
	RoundID string `json:"roundId,omitempty"`
}

// MilestoneView is a milestone and where it stands.
type MilestoneView struct {
	MilestoneID string                 `json:"milestoneId"`
	Title       string                 `json:"title"`
	Status      domain.MilestoneStatus `json:"status"`
	PlannedDate domain.Date            `json:"plannedDate"`
	// OriginalPlannedDate is the first planned date; it differs from
	// PlannedDate after a slip.
	OriginalPlannedDate domain.Date `json:"originalPlannedDate"`
	AchievedDate        domain.Date `json:"achievedDate,omitempty"`
	Slips               int         `json:"slips"`
}

// InitiativeSummary is one row of the portfolio overview (tiltaksoversikt).
type InitiativeSummary struct {
	InitiativeID     string           `json:"initiativeId"`
	Title            string           `json:"title"`
	Owner            string           `json:"owner"`
	Phase            domain.Phase     `json:"phase"`
	State            domain.Lifecycle `json:"state"`
	PrimaryGoal      string           `json:"primaryGoal"`
	PrimarySubGoal   string           `json:"primarySubGoal"`
	SubGoals         []string         `json:"subGoals"`
	UserGroups       []string         `json:"userGroups"`
	PlannedStart     domain.Date      `json:"plannedStart"`
	PlannedEnd       domain.Date      `json:"plannedEnd"`
	EstimatedCostNOK *int64           `json:"estimatedCostNOK,omitempty"`
	LatestStatus     *StatusView      `json:"latestStatus,omitempty"`
	// LastUpdated is the time of the initiative's latest event.
	LastUpdated time.Time `json:"lastUpdated"`
	// Version is the initiative aggregate's version (its ETag).
	Version uint64 `json:"version"`
}

// InitiativeCase is a council case about an initiative.
type InitiativeCase struct {
	CaseID      string          `json:"caseId"`
	Forum       domain.Forum    `json:"forum"`
	Title       string          `json:"title"`
	CaseType    domain.CaseType `json:"caseType"`
	Purpose     domain.Purpose  `json:"purpose"`
	TargetPhase domain.Phase    `json:"targetPhase,omitempty"`
	// CaseNumbers lists the forum case numbers it was given ("15/26").
	CaseNumbers []string `json:"caseNumbers"`
	// LastOutcome is the latest decision recorded for it, if any.
	LastOutcome domain.Outcome `json:"lastOutcome,omitempty"`
	LastForum   domain.Forum   `json:"lastForum,omitempty"`
}

// LifecycleChange is a change of lifecycle state or phase.
type LifecycleChange struct {
	Event    string           `json:"event"`
	State    domain.Lifecycle `json:"state"`
	Phase    domain.Phase     `json:"phase"`
	Reason   string           `json:"reason,omitempty"`
	CaseID   string           `json:"caseId,omitempty"`
	Meeting  string           `json:"meetingId,omitempty"`
	At       time.Time        `json:"at"`
	EventID  string           `json:"eventId"`
	Position uint64           `json:"position"`
}

// InitiativeDetail is one initiative's current state
// (GET /v1/initiatives/{id}).
type InitiativeDetail struct {
	InitiativeSummary
	Description string `json:"description"`
	// FinalReport is set once the initiative is closed.
	FinalReport string `json:"finalReport,omitempty"`
	// ProposedAt is when it was reported into the portfolio.
	ProposedAt    time.Time         `json:"proposedAt"`
	Milestones    []MilestoneView   `json:"milestones"`
	StatusHistory []StatusView      `json:"statusHistory"`
	History       []LifecycleChange `json:"history"`
	Cases         []InitiativeCase  `json:"cases"`
	// Position is the stream position of the initiative's latest event.
	Position uint64 `json:"position"`
}

// ---- roadmap ----

// RoadmapView is the roadmap (veikart): goals → sub-goals → initiatives.
type RoadmapView struct {
	Goals []RoadmapGoal `json:"goals"`
}

// RoadmapGoal is one goal on the roadmap.
type RoadmapGoal struct {
	GoalID   string           `json:"goalId"`
	Strategy string           `json:"strategy"`
	Title    string           `json:"title"`
	SubGoals []RoadmapSubGoal `json:"subGoals"`
}

// RoadmapSubGoal is one sub-goal on the roadmap with its initiatives.
type RoadmapSubGoal struct {
	SubGoalID   string              `json:"subGoalId"`
	Title       string              `json:"title"`
	Initiatives []RoadmapInitiative `json:"initiatives"`
}

// RoadmapInitiative is an initiative as the roadmap shows it. An initiative
// is listed under each sub-goal it links to; Primary marks its primary one.
type RoadmapInitiative struct {
	InitiativeID string           `json:"initiativeId"`
	Title        string           `json:"title"`
	Owner        string           `json:"owner"`
	Phase        domain.Phase     `json:"phase"`
	State        domain.Lifecycle `json:"state"`
	Primary      bool             `json:"primary"`
	PlannedStart domain.Date      `json:"plannedStart"`
	PlannedEnd   domain.Date      `json:"plannedEnd"`
	UserGroups   []string         `json:"userGroups"`
	Milestones   []MilestoneView  `json:"milestones"`
	// LatestRAG is the overall traffic light of the latest status report.
	LatestRAG    domain.RAG  `json:"latestRag,omitempty"`
	LatestStatus *StatusView `json:"latestStatus,omitempty"`
}

// ---- council ----

// MeetingSummary is one meeting in the list.
type MeetingSummary struct {
	MeetingID string       `json:"meetingId"`
	Forum     domain.Forum `json:"forum"`
	Date      domain.Date  `json:"date"`
	Year      int          `json:"year"`
	Number    int          `json:"number"`
	Label     string       `json:"label"` // "3/2026"
	Held      bool         `json:"held"`
	// AgendaItems counts the cases on its agenda.
	AgendaItems int `json:"agendaItems"`
}

// AgendaItem is one case on a meeting's agenda, with what was recorded.
type AgendaItem struct {
	CaseID             string          `json:"caseId"`
	CaseNumber         string          `json:"caseNumber"` // "15/26"
	Number             int             `json:"number"`
	CaseType           domain.CaseType `json:"caseType"`
	Purpose            domain.Purpose  `json:"purpose"`
	Title              string          `json:"title"`
	InitiativeID       string          `json:"initiativeId,omitempty"`
	ProposedResolution string          `json:"proposedResolution"`
	ArchiveRef         string          `json:"archiveRef,omitempty"`
	// RegisteredForum is the forum the case was registered in; differs
	// from the meeting's forum when the case was forwarded.
	RegisteredForum domain.Forum  `json:"registeredForum"`
	Outcomes        []OutcomeView `json:"outcomes"`
}

// OutcomeView is one decision recorded at a meeting.
type OutcomeView struct {
	Outcome    domain.Outcome `json:"outcome"`
	Resolution string         `json:"resolution,omitempty"`
	Conditions string         `json:"conditions,omitempty"`
	Remarks    string         `json:"remarks,omitempty"`
	Reason     string         `json:"reason,omitempty"`
	EventID    string         `json:"eventId"`
	Position   uint64         `json:"position"`
	RecordedAt time.Time      `json:"recordedAt"`
	// Corrections of this decision, in order; the last one's resolution
	// is the one in force.
	Corrections []CorrectionView `json:"corrections,omitempty"`
}

// CorrectionView is a DecisionCorrected event.
type CorrectionView struct {
	EventID         string    `json:"eventId"`
	CorrectsEventID string    `json:"correctsEventId"`
	CorrectedType   string    `json:"correctedType,omitempty"`
	Reason          string    `json:"reason"`
	Resolution      string    `json:"resolution"`
	Position        uint64    `json:"position"`
	RecordedAt      time.Time `json:"recordedAt"`
}

// MeetingDetail is one meeting with its agenda (sakskart) and outcomes.
type MeetingDetail struct {
	MeetingSummary
	HeldAt *time.Time   `json:"heldAt,omitempty"`
	Agenda []AgendaItem `json:"agenda"`
}

// CaseStep is one step of a case's path through the forums: a placement on
// a meeting's agenda or a decision there.
type CaseStep struct {
	// Kind is "placed" or "decision".
	Kind         string         `json:"kind"`
	Forum        domain.Forum   `json:"forum"`
	MeetingID    string         `json:"meetingId"`
	MeetingLabel string         `json:"meetingLabel"`
	MeetingDate  domain.Date    `json:"meetingDate"`
	CaseNumber   string         `json:"caseNumber"`
	Outcome      domain.Outcome `json:"outcome,omitempty"`
	Resolution   string         `json:"resolution,omitempty"`
	Conditions   string         `json:"conditions,omitempty"`
	Remarks      string         `json:"remarks,omitempty"`
	Reason       string         `json:"reason,omitempty"`
	EventID      string         `json:"eventId"`
	Position     uint64         `json:"position"`
	RecordedAt   time.Time      `json:"recordedAt"`
	// Corrected is true when a later DecisionCorrected names this step.
	Corrected bool `json:"corrected,omitempty"`
	// SentBack is true on a placement that sent the case back from EHR to
	// NUIT (CasePlacedOnAgenda.sentBack).
	SentBack bool `json:"sentBack,omitempty"`
}

// CaseDetail is a case with its path through the forums.
type CaseDetail struct {
	CaseID             string          `json:"caseId"`
	Forum              domain.Forum    `json:"forum"`
	Title              string          `json:"title"`
	CaseType           domain.CaseType `json:"caseType"`
	Purpose            domain.Purpose  `json:"purpose"`
	InitiativeID       string          `json:"initiativeId,omitempty"`
	TargetPhase        domain.Phase    `json:"targetPhase,omitempty"`
	ProposedResolution string          `json:"proposedResolution"`
	ArchiveRef         string          `json:"archiveRef,omitempty"`
	RegisteredAt       time.Time       `json:"registeredAt"`
	// Status is the latest outcome ("" when nothing is decided yet).
	Status      domain.Outcome   `json:"status,omitempty"`
	Path        []CaseStep       `json:"path"`
	Corrections []CorrectionView `json:"corrections"`
	Version     uint64           `json:"version"`
}

// DecisionEntry is one entry of the decision register (vedtaksregister).
type DecisionEntry struct {
	EventID      string          `json:"eventId"`
	Position     uint64          `json:"position"`
	Forum        domain.Forum    `json:"forum"`
	MeetingID    string          `json:"meetingId"`
	MeetingLabel string          `json:"meetingLabel"`
	MeetingDate  domain.Date     `json:"meetingDate"`
	CaseID       string          `json:"caseId"`
	CaseNumber   string          `json:"caseNumber"`
	CaseTitle    string          `json:"caseTitle"`
	CaseType     domain.CaseType `json:"caseType"`
	Purpose      domain.Purpose  `json:"purpose"`
	InitiativeID string          `json:"initiativeId,omitempty"`
	Outcome      domain.Outcome  `json:"outcome"`
	Resolution   string          `json:"resolution,omitempty"`
	Conditions   string          `json:"conditions,omitempty"`
	Remarks      string          `json:"remarks,omitempty"`
	Reason       string          `json:"reason,omitempty"`
	RecordedAt   time.Time       `json:"recordedAt"`
	// Corrections of this decision, in order.
	Corrections []CorrectionView `json:"corrections,omitempty"`
}

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
