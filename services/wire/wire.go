package wire

import (
	"encoding/json"
	"time"

	"github.com/ehelse/portfolio/domain"
)

// ---- query parameters ----

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

// Kinds of CaseStep.
const (
	StepPlaced   = "placed"
	StepDecision = "decision"
)

// ---- lists ----

// InitiativeList is the answer of GET /v1/initiatives.
type InitiativeList struct {
	Initiatives []InitiativeSummary `json:"initiatives"`
}

// MeetingList is the answer of GET /v1/council/meetings.
type MeetingList struct {
	Meetings []MeetingSummary `json:"meetings"`
}

// DecisionList is the answer of GET /v1/council/decisions.
type DecisionList struct {
	Decisions []DecisionEntry `json:"decisions"`
}

// ---- history and audit ----

// EventView is one event of the log as the history and audit endpoints
// show it. Raw (base64 of the stored CloudEvent, byte for byte) is given
// by the audit endpoint only.
type EventView struct {
	Position      uint64          `json:"position"`
	ID            string          `json:"id"`
	Type          string          `json:"type"`
	SchemaVersion int             `json:"schemaVersion"`
	Subject       string          `json:"subject"`
	AggregateType string          `json:"aggregateType"`
	AggregateID   string          `json:"aggregateId"`
	Version       uint64          `json:"version"`
	Time          time.Time       `json:"time"`
	Actor         string          `json:"actor"`
	CausationID   string          `json:"causationId,omitempty"`
	CorrelationID string          `json:"correlationId,omitempty"`
	Data          json.RawMessage `json:"data"`
	Raw           []byte          `json:"raw,omitempty"`
	// Hash (lowercase hex SHA-256 of raw), Signature (the message's
	// Portfolio-Signature header) and Invalid (why a stored message is not
	// a valid event) are given by the audit endpoint only.
	Hash      string `json:"hash,omitempty"`
	Signature string `json:"signature,omitempty"`
	Invalid   string `json:"invalid,omitempty"`
}

// EventList is the answer of the history endpoints.
type EventList struct {
	Events []EventView `json:"events"`
}

// AuditEventList is the answer of GET /v1/audit/events. Next is the
// position to pass as after to continue (the last event's, or after when
// there were none).
type AuditEventList struct {
	Events []EventView `json:"events"`
	Next   uint64      `json:"next"`
}

// AuditKey is the answer of GET /v1/audit/key: the public key events are
// signed with, and all keys the server trusts.
type AuditKey struct {
	Algorithm    string       `json:"algorithm"`
	KeyID        string       `json:"keyId"`
	PublicKey    string       `json:"publicKey"`
	PublicKeyPEM string       `json:"publicKeyPem"`
	TrustedKeys  []TrustedKey `json:"trustedKeys"`
}

// TrustedKey is one trusted public key.
type TrustedKey struct {
	KeyID     string `json:"keyId"`
	PublicKey string `json:"publicKey"`
}
