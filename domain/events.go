package domain

import (
	"encoding/json"
	"fmt"
	"time"
)

// Event is a fact recorded in the log. Events are a persisted contract:
// their JSON is pinned by golden files in testdata/, and a change to a
// type's fields needs a new version and an upcaster.
type Event interface {
	// EventType is the event's name, e.g. "InitiativeProposed".
	EventType() string
}

// Recorded is an event as read back from the log, with the metadata that
// Evolve may use.
type Recorded struct {
	ID       string    // event id (ULID)
	Version  uint64    // the aggregate's version after this event (first event: 1)
	Position uint64    // stream sequence
	Time     time.Time // when it was recorded
	Actor    string    // who gave the command
	Event    Event
}

// Change is one event Decide produced, for one aggregate.
type Change struct {
	Ref   Ref
	Event Event
}

// ---- strategy ----

// StrategicGoalDefined: a strategic goal was defined for a strategy period.
type StrategicGoalDefined struct {
	GoalID   string `json:"goalId"`
	Strategy string `json:"strategy"`
	Title    string `json:"title"`
}

// SubGoalDefined: a sub-goal was defined under a goal.
type SubGoalDefined struct {
	SubGoalID string `json:"subGoalId"`
	GoalID    string `json:"goalId"`
	Strategy  string `json:"strategy"`
	Title     string `json:"title"`
}

// ---- initiative ----

// InitiativeProposed: an owner reported an initiative into the portfolio.
type InitiativeProposed struct {
	InitiativeID     string   `json:"initiativeId"`
	Title            string   `json:"title"`
	Description      string   `json:"description"`
	Owner            string   `json:"owner"`
	PrimarySubGoal   string   `json:"primarySubGoal"`
	PrimaryGoal      string   `json:"primaryGoal"`
	SubGoals         []string `json:"subGoals"`
	UserGroups       []string `json:"userGroups"`
	PlannedStart     Date     `json:"plannedStart"`
	PlannedEnd       Date     `json:"plannedEnd"`
	EstimatedCostNOK *int64   `json:"estimatedCostNOK,omitempty"`
	Phase            Phase    `json:"phase"`
}

// InitiativeWithdrawn: the owner withdrew a proposed initiative.
type InitiativeWithdrawn struct {
	InitiativeID string `json:"initiativeId"`
	Reason       string `json:"reason"`
}

// InitiativeAdmitted: EHR's approval of an admission case admitted the
// initiative into the portfolio. Written atomically with CaseApproved.
type InitiativeAdmitted struct {
	InitiativeID string `json:"initiativeId"`
	CaseID       string `json:"caseId"`
	MeetingID    string `json:"meetingId"`
	Phase        Phase  `json:"phase"`
}

// InitiativeRejected: EHR rejected an admission case. Written atomically
// with CaseRejected.
type InitiativeRejected struct {
	InitiativeID string `json:"initiativeId"`
	CaseID       string `json:"caseId"`
	MeetingID    string `json:"meetingId"`
}

// InitiativePhaseChanged: an approved phase-gate case moved the initiative
// one phase forward. Written atomically with CaseApproved.
type InitiativePhaseChanged struct {
	InitiativeID string `json:"initiativeId"`
	From         Phase  `json:"from"`
	To           Phase  `json:"to"`
	CaseID       string `json:"caseId"`
	MeetingID    string `json:"meetingId"`
}

// StatusReported: an immutable status report for a reporting period.
type StatusReported struct {
	InitiativeID string `json:"initiativeId"`
	ReportDate   Date   `json:"reportDate"`
	Overall      RAG    `json:"overall"`
	Schedule     RAG    `json:"schedule"`
	Cost         RAG    `json:"cost"`
	Benefit      RAG    `json:"benefit"`
	Comment      string `json:"comment,omitempty"`
}

// MilestonePlanned: a milestone was planned.
type MilestonePlanned struct {
	InitiativeID string `json:"initiativeId"`
	MilestoneID  string `json:"milestoneId"`
	Title        string `json:"title"`
	PlannedDate  Date   `json:"plannedDate"`
}

// MilestoneAchieved: a milestone was achieved.
type MilestoneAchieved struct {
	InitiativeID string `json:"initiativeId"`
	MilestoneID  string `json:"milestoneId"`
	AchievedDate Date   `json:"achievedDate"`
}

// MilestoneSlipped: a milestone slipped to a new planned date.
type MilestoneSlipped struct {
	InitiativeID        string `json:"initiativeId"`
	MilestoneID         string `json:"milestoneId"`
	PreviousPlannedDate Date   `json:"previousPlannedDate"`
	NewPlannedDate      Date   `json:"newPlannedDate"`
}

// InitiativePaused: the initiative was paused (midlertidig stans).
type InitiativePaused struct {
	InitiativeID string `json:"initiativeId"`
	Reason       string `json:"reason"`
}

// InitiativeResumed: a paused initiative was resumed.
type InitiativeResumed struct {
	InitiativeID string `json:"initiativeId"`
	Reason       string `json:"reason"`
}

// InitiativeClosed: the initiative was closed with its final report.
type InitiativeClosed struct {
	InitiativeID string `json:"initiativeId"`
	FinalReport  string `json:"finalReport"`
}

// InitiativeCancelled: the initiative was cancelled (avbrutt).
type InitiativeCancelled struct {
	InitiativeID string `json:"initiativeId"`
	Reason       string `json:"reason"`
}

// ---- meeting ----

// MeetingScheduled: a forum meeting was scheduled and numbered.
type MeetingScheduled struct {
	MeetingID string `json:"meetingId"`
	Forum     Forum  `json:"forum"`
	Date      Date   `json:"date"`
	Year      int    `json:"year"`
	Number    int    `json:"number"`
	Label     string `json:"label"` // "3/2026"
}

// MeetingHeld: the meeting was held; decisions may now be recorded.
type MeetingHeld struct {
	MeetingID string `json:"meetingId"`
	Forum     Forum  `json:"forum"`
	Label     string `json:"label"`
}

// ---- case ----

// CaseRegistered: a council case was registered.
type CaseRegistered struct {
	CaseID             string   `json:"caseId"`
	Forum              Forum    `json:"forum"`
	Title              string   `json:"title"`
	CaseType           CaseType `json:"caseType"`
	Purpose            Purpose  `json:"purpose"`
	InitiativeID       string   `json:"initiativeId,omitempty"`
	TargetPhase        Phase    `json:"targetPhase,omitempty"`
	ProposedResolution string   `json:"proposedResolution"`
	ArchiveRef         string   `json:"archiveRef,omitempty"`
}

// CasePlacedOnAgenda: the case was put on a meeting's agenda with a forum
// case number.
type CasePlacedOnAgenda struct {
	CaseID       string `json:"caseId"`
	MeetingID    string `json:"meetingId"`
	Forum        Forum  `json:"forum"` // the meeting's forum
	MeetingLabel string `json:"meetingLabel"`
	MeetingDate  Date   `json:"meetingDate"`
	Year         int    `json:"year"`
	Number       int    `json:"number"`
	CaseNumber   string `json:"caseNumber"` // "15/26"
	// SentBack: the case reached EHR and is sent back to NUIT (EHR
	// deferred it, or NUIT had not recommended it). An optional field:
	// absent means false.
	SentBack bool `json:"sentBack,omitempty"`
}

// Decision is the part every council decision event shares.
type Decision struct {
	CaseID       string `json:"caseId"`
	MeetingID    string `json:"meetingId"`
	Forum        Forum  `json:"forum"` // the meeting's forum
	MeetingLabel string `json:"meetingLabel"`
	MeetingDate  Date   `json:"meetingDate"`
	CaseNumber   string `json:"caseNumber"`
}

// CaseNoted: the forum took the case to note.
type CaseNoted struct {
	Decision
	Remarks string `json:"remarks,omitempty"`
}

// CaseDiscussed: the forum discussed the case. An addition to the contract.
type CaseDiscussed struct {
	Decision
	Remarks string `json:"remarks,omitempty"`
}

// CaseRecommended: the forum recommended the case (innstilling).
type CaseRecommended struct {
	Decision
	Resolution string `json:"resolution"`
	Conditions string `json:"conditions,omitempty"`
}

// CaseApproved: EHR approved the case (tilslutning).
type CaseApproved struct {
	Decision
	Resolution string `json:"resolution"`
}

// CaseRejected: EHR rejected the case, or NUIT did not support it.
type CaseRejected struct {
	Decision
	Resolution string `json:"resolution"`
}

// CaseDeferred: the forum deferred the case.
type CaseDeferred struct {
	Decision
	Reason string `json:"reason"`
}

// DecisionCorrected: a recorded decision was corrected. Decisions are never
// edited; this event names the corrected event and the reason.
type DecisionCorrected struct {
	CaseID          string `json:"caseId"`
	CorrectsEventID string `json:"correctsEventId"`
	CorrectedType   string `json:"correctedType"`
	Forum           Forum  `json:"forum"`
	MeetingID       string `json:"meetingId"`
	Reason          string `json:"reason"`
	Resolution      string `json:"resolution"`
}

// ---- series (an addition to the contract) ----

// MeetingNumberAssigned: a forum-year series gave a meeting its number.
type MeetingNumberAssigned struct {
	Forum     Forum  `json:"forum"`
	Year      int    `json:"year"`
	Number    int    `json:"number"`
	MeetingID string `json:"meetingId"`
}

// CaseNumberAssigned: a forum-year series gave a case its forum case number.
type CaseNumberAssigned struct {
	Forum      Forum  `json:"forum"`
	Year       int    `json:"year"`
	Number     int    `json:"number"`
	CaseNumber string `json:"caseNumber"`
	CaseID     string `json:"caseId"`
	MeetingID  string `json:"meetingId"`
}

func (StrategicGoalDefined) EventType() string   { return "StrategicGoalDefined" }
func (SubGoalDefined) EventType() string         { return "SubGoalDefined" }
func (InitiativeProposed) EventType() string     { return "InitiativeProposed" }
func (InitiativeWithdrawn) EventType() string    { return "InitiativeWithdrawn" }
func (InitiativeAdmitted) EventType() string     { return "InitiativeAdmitted" }
func (InitiativeRejected) EventType() string     { return "InitiativeRejected" }
func (InitiativePhaseChanged) EventType() string { return "InitiativePhaseChanged" }
func (StatusReported) EventType() string         { return "StatusReported" }
func (MilestonePlanned) EventType() string       { return "MilestonePlanned" }
func (MilestoneAchieved) EventType() string      { return "MilestoneAchieved" }
func (MilestoneSlipped) EventType() string       { return "MilestoneSlipped" }
func (InitiativePaused) EventType() string       { return "InitiativePaused" }
func (InitiativeResumed) EventType() string      { return "InitiativeResumed" }
func (InitiativeClosed) EventType() string       { return "InitiativeClosed" }
func (InitiativeCancelled) EventType() string    { return "InitiativeCancelled" }
func (MeetingScheduled) EventType() string       { return "MeetingScheduled" }
func (MeetingHeld) EventType() string            { return "MeetingHeld" }
func (CaseRegistered) EventType() string         { return "CaseRegistered" }
func (CasePlacedOnAgenda) EventType() string     { return "CasePlacedOnAgenda" }
func (CaseNoted) EventType() string              { return "CaseNoted" }
func (CaseDiscussed) EventType() string          { return "CaseDiscussed" }
func (CaseRecommended) EventType() string        { return "CaseRecommended" }
func (CaseApproved) EventType() string           { return "CaseApproved" }
func (CaseRejected) EventType() string           { return "CaseRejected" }
func (CaseDeferred) EventType() string           { return "CaseDeferred" }
func (DecisionCorrected) EventType() string      { return "DecisionCorrected" }
func (MeetingNumberAssigned) EventType() string  { return "MeetingNumberAssigned" }
func (CaseNumberAssigned) EventType() string     { return "CaseNumberAssigned" }

// decided is the shared part and the outcome of a council decision event.
func (e CaseNoted) decided() (Decision, Outcome)       { return e.Decision, OutcomeNoted }
func (e CaseDiscussed) decided() (Decision, Outcome)   { return e.Decision, OutcomeDiscussed }
func (e CaseRecommended) decided() (Decision, Outcome) { return e.Decision, OutcomeRecommended }
func (e CaseApproved) decided() (Decision, Outcome)    { return e.Decision, OutcomeApproved }
func (e CaseRejected) decided() (Decision, Outcome)    { return e.Decision, OutcomeRejected }
func (e CaseDeferred) decided() (Decision, Outcome)    { return e.Decision, OutcomeDeferred }

// EventVersion is the schema version of every current event type. It is
// the suffix of the CloudEvents type ("…InitiativeProposed.v1").
const EventVersion = 1

// EncodeEvent returns the JSON of an event's data.
func EncodeEvent(e Event) ([]byte, error) { return json.Marshal(e) }

// DecodeEvent decodes an event's data of the given type and schema version.
// It returns a value (not a pointer), e.g. InitiativeProposed. Older
// versions are upcast here. It returns a KindInvalid error for an unknown
// type, version or malformed data.
func DecodeEvent(eventType string, version int, data []byte) (Event, error) {
	def, ok := eventsByType[eventType]
	if !ok {
		return nil, Errorf(KindInvalid, "unknown event type %q", eventType)
	}
	if version != EventVersion {
		return nil, Errorf(KindInvalid, "unknown version %d of event type %q", version, eventType)
	}
	e, err := def.decode(data)
	if err != nil {
		return nil, &Error{Kind: KindInvalid, Message: fmt.Sprintf("event %s data", eventType), Err: err}
	}
	return e, nil
}
