package wire

import (
	"time"

	"github.com/ehelse/portfolio/domain"
)

// The realisation plan's answers: indicators, reporting rounds and the
// frozen portfolio report, and dependencies.

// IndicatorView is one goal indicator (GET /v1/indicators/{id}).
type IndicatorView struct {
	IndicatorID string           `json:"indicatorId"`
	GoalID      string           `json:"goalId"`
	SubGoalID   string           `json:"subGoalId,omitempty"`
	Name        string           `json:"name"`
	Unit        string           `json:"unit"`
	Direction   domain.Direction `json:"direction"`
	Baseline    domain.Measure   `json:"baseline"`
	Target      domain.Measure   `json:"target"`
	Source      string           `json:"source,omitempty"`
	// Values are the values in force, one per period, by period end.
	Values []IndicatorValue `json:"values"`
	// Latest is the value of the latest period (nil before the first).
	Latest *IndicatorValue `json:"latest,omitempty"`
	// Progress is how far Latest has come from the baseline to the
	// target: 0 at the baseline, 1 at the target, below 0 or above 1
	// beyond them (nil before the first value).
	Progress  *float64  `json:"progress,omitempty"`
	DefinedAt time.Time `json:"definedAt"`
	Version   uint64    `json:"version"`
}

// IndicatorValue is an indicator's value for one period, with the values
// it replaced.
type IndicatorValue struct {
	Period     string      `json:"period"`
	PeriodEnd  domain.Date `json:"periodEnd"`
	Value      float64     `json:"value"`
	Source     string      `json:"source,omitempty"`
	Comment    string      `json:"comment,omitempty"`
	RecordedAt time.Time   `json:"recordedAt"`
	// Corrections lists the earlier values of the period, oldest first.
	Corrections []IndicatorCorrection `json:"corrections,omitempty"`
}

// IndicatorCorrection is a value that a correction replaced.
type IndicatorCorrection struct {
	PreviousValue float64   `json:"previousValue"`
	Value         float64   `json:"value"`
	Reason        string    `json:"reason"`
	CorrectedAt   time.Time `json:"correctedAt"`
	EventID       string    `json:"eventId"`
}

// DependencyView is one dependency between initiatives with its state
// (GET /v1/dependencies).
type DependencyView struct {
	DependencyID    string      `json:"dependencyId"`
	InitiativeID    string      `json:"initiativeId"`
	InitiativeTitle string      `json:"initiativeTitle"`
	DependsOn       string      `json:"dependsOn"`
	DependsOnTitle  string      `json:"dependsOnTitle"`
	MilestoneID     string      `json:"milestoneId,omitempty"`
	NeededBy        domain.Date `json:"neededBy"`
	Description     string      `json:"description"`
	// State is ok, atRisk or removed.
	State string `json:"state"`
	// Risk says why it is at risk (nil when it is not).
	Risk          *DependencyRisk `json:"risk,omitempty"`
	RemovedReason string          `json:"removedReason,omitempty"`
	DeclaredAt    time.Time       `json:"declaredAt"`
	Version       uint64          `json:"version"`
}

// DependencyRisk is why a dependency is at risk, as the policy recorded it.
type DependencyRisk struct {
	Reason       string    `json:"reason"`
	CauseEventID string    `json:"causeEventId"`
	CauseType    string    `json:"causeType"`
	Since        time.Time `json:"since"`
	EventID      string    `json:"eventId"`
}

// DependencyFilter selects dependencies: InitiativeID on either side
// ("": all), AtRisk (nil: both).
type DependencyFilter struct {
	InitiativeID string
	AtRisk       *bool
}

// States of a dependency.
const (
	DependencyOK      = "ok"
	DependencyAtRisk  = "atRisk"
	DependencyRemoved = "removed"
)

// RoundSummary is one reporting round (GET /v1/reporting-rounds).
type RoundSummary struct {
	RoundID   string      `json:"roundId"`
	Label     string      `json:"label"`
	PeriodEnd domain.Date `json:"periodEnd"`
	Deadline  domain.Date `json:"deadline"`
	// State is open or closed.
	State    string     `json:"state"`
	OpenedAt time.Time  `json:"openedAt"`
	ClosedAt *time.Time `json:"closedAt,omitempty"`
	// OpenPosition and ClosePosition are the log positions of its events
	// (ClosePosition 0 while open): the report is the log up to ClosePosition.
	OpenPosition  uint64 `json:"openPosition"`
	ClosePosition uint64 `json:"closePosition,omitempty"`
}

// RoundDetail is one round with who has reported and who has not, by
// owner organisation (GET /v1/reporting-rounds/{id}). For an open round it
// is the portfolio now; for a closed round, its frozen report.
type RoundDetail struct {
	RoundSummary
	Reported    int              `json:"reported"`
	NotReported int              `json:"notReported"`
	Owners      []OwnerReporting `json:"owners"`
}

// OwnerReporting is one owner organisation's initiatives in a round.
type OwnerReporting struct {
	Owner       string          `json:"owner"`
	Reported    []InitiativeRef `json:"reported"`
	NotReported []InitiativeRef `json:"notReported"`
}

// InitiativeRef names an initiative.
type InitiativeRef struct {
	InitiativeID string `json:"initiativeId"`
	Title        string `json:"title"`
	Owner        string `json:"owner"`
}

// SlipView is one milestone slip.
type SlipView struct {
	InitiativeID    string      `json:"initiativeId"`
	InitiativeTitle string      `json:"initiativeTitle"`
	MilestoneID     string      `json:"milestoneId"`
	Title           string      `json:"title"`
	From            domain.Date `json:"from"`
	To              domain.Date `json:"to"`
	Position        uint64      `json:"position"`
}

// PortfolioReport is the portfolio report (samlet porteføljerapport) of a
// closed round (GET /v1/reports/{roundId}).
type PortfolioReport struct {
	RoundID string `json:"roundId"`
	Label   string `json:"label"`
	// PeriodStart is the day after the previous round's period end (absent
	// for the first round: everything up to PeriodEnd).
	PeriodStart domain.Date `json:"periodStart,omitempty"`
	PeriodEnd   domain.Date `json:"periodEnd"`
	Deadline    domain.Date `json:"deadline"`
	ClosedAt    time.Time   `json:"closedAt"`
	// Position is the log position of ReportingRoundClosed: the report is
	// the log up to and including it.
	Position        uint64             `json:"position"`
	PreviousRoundID string             `json:"previousRoundId,omitempty"`
	Summary         ReportSummary      `json:"summary"`
	Initiatives     []ReportInitiative `json:"initiatives"`
	Milestones      []ReportMilestone  `json:"milestones"`
	Decisions       []ReportDecision   `json:"decisions"`
	Changes         ReportChanges      `json:"changes"`
}

// ReportSummary is the report's first page in numbers.
type ReportSummary struct {
	Initiatives int     `json:"initiatives"`
	Reported    int     `json:"reported"`
	NotReported int     `json:"notReported"`
	ByPhase     []Count `json:"byPhase"`
	// ByOverall counts the overall lights of the round's reports, and
	// notReported.
	ByOverall []Count `json:"byOverall"`
	// Milestones of the period by kind: achieved, slipped, due.
	Milestones []Count `json:"milestones"`
	Decisions  int     `json:"decisions"`
}

// Count is a number of something.
type Count struct {
	Key   string `json:"key"`
	Count int    `json:"count"`
}

// ReportInitiative is one initiative of the portfolio in a report.
type ReportInitiative struct {
	InitiativeID string           `json:"initiativeId"`
	Title        string           `json:"title"`
	Owner        string           `json:"owner"`
	PrimaryGoal  string           `json:"primaryGoal"`
	Phase        domain.Phase     `json:"phase"`
	State        domain.Lifecycle `json:"state"`
	// StatusInRound is reported or notReported.
	StatusInRound string        `json:"statusInRound"`
	Status        *ReportStatus `json:"status,omitempty"`
}

// ReportStatus is the status an initiative reported for the round.
type ReportStatus struct {
	ReportDate domain.Date `json:"reportDate"`
	Overall    domain.RAG  `json:"overall"`
	Schedule   domain.RAG  `json:"schedule"`
	Cost       domain.RAG  `json:"cost"`
	Benefit    domain.RAG  `json:"benefit"`
	Comment    string      `json:"comment,omitempty"`
	ReportedBy string      `json:"reportedBy,omitempty"`
	EventID    string      `json:"eventId"`
}

// ReportMilestone is a milestone of the period: achieved in it, slipped
// in it (from, to), or due in it and not achieved.
type ReportMilestone struct {
	InitiativeID    string      `json:"initiativeId"`
	InitiativeTitle string      `json:"initiativeTitle"`
	MilestoneID     string      `json:"milestoneId"`
	Title           string      `json:"title"`
	Kind            string      `json:"kind"`
	PlannedDate     domain.Date `json:"plannedDate,omitempty"`
	AchievedDate    domain.Date `json:"achievedDate,omitempty"`
	From            domain.Date `json:"from,omitempty"`
	To              domain.Date `json:"to,omitempty"`
}

// ReportDecision is a council decision of the period, with the resolution
// in force when the round closed.
type ReportDecision struct {
	EventID      string         `json:"eventId"`
	Forum        domain.Forum   `json:"forum"`
	MeetingLabel string         `json:"meetingLabel"`
	MeetingDate  domain.Date    `json:"meetingDate"`
	CaseID       string         `json:"caseId"`
	CaseNumber   string         `json:"caseNumber"`
	CaseTitle    string         `json:"caseTitle"`
	InitiativeID string         `json:"initiativeId,omitempty"`
	Outcome      domain.Outcome `json:"outcome"`
	Resolution   string         `json:"resolution,omitempty"`
	Corrected    bool           `json:"corrected,omitempty"`
}

// ReportChanges is what changed since the previous round's report.
type ReportChanges struct {
	PreviousRoundID   string            `json:"previousRoundId,omitempty"`
	PhaseChanges      []PhaseChangeItem `json:"phaseChanges"`
	RAG               []RAGChange       `json:"rag"`
	New               []InitiativeRef   `json:"new"`
	Closed            []InitiativeRef   `json:"closed"`
	Cancelled         []InitiativeRef   `json:"cancelled"`
	SlippedMilestones []ReportMilestone `json:"slippedMilestones"`
}

// PhaseChangeItem is an initiative whose phase changed between rounds.
type PhaseChangeItem struct {
	InitiativeID string       `json:"initiativeId"`
	Title        string       `json:"title"`
	From         domain.Phase `json:"from"`
	To           domain.Phase `json:"to"`
}

// RAGChange is one traffic light that got better or worse between the
// reports of two rounds.
type RAGChange struct {
	InitiativeID string `json:"initiativeId"`
	Title        string `json:"title"`
	// Dimension is overall, schedule, cost or benefit.
	Dimension string     `json:"dimension"`
	From      domain.RAG `json:"from"`
	To        domain.RAG `json:"to"`
	// Direction is better or worse.
	Direction string `json:"direction"`
}

// Round states.
const (
	RoundOpen   = "open"
	RoundClosed = "closed"
)

// Status in the round of a ReportInitiative.
const (
	StatusReportedInRound = "reported"
	StatusNotReported     = "notReported"
)

// Kinds of ReportMilestone.
const (
	MilestoneKindAchieved = "achieved"
	MilestoneKindSlipped  = "slipped"
	MilestoneKindDue      = "due"
)
