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
	// The goal's code, e.g. `M1` (1–20 letters, digits, '.', '-' or '_').
	GoalID string `json:"goalId"`
	// The strategy period the goal belongs to, `YYYY-YYYY`, e.g. `2023-2030`.
	Strategy string `json:"strategy"`
	// The goal's title.
	Title string `json:"title"`
}

// SubGoalDefined: a sub-goal was defined under a strategic goal.
type SubGoalDefined struct {
	// The sub-goal's code, e.g. `1A`.
	SubGoalID string `json:"subGoalId"`
	// The goal it belongs to.
	GoalID string `json:"goalId"`
	// The goal's strategy period (copied from the goal).
	Strategy string `json:"strategy"`
	// The sub-goal's title.
	Title string `json:"title"`
}

// ---- initiative ----

// InitiativeProposed: an owner reported an initiative into the portfolio
// (melder inn).
type InitiativeProposed struct {
	// The initiative's id (ULID or UUID); the aggregate id of the initiative's
	// events.
	InitiativeID string `json:"initiativeId"`
	// The initiative's name.
	Title string `json:"title"`
	// What the initiative is and does.
	Description string `json:"description"`
	// The owning organisation (tiltakseier), e.g. `Helse Sør-Øst RHF`. Owners
	// may write only to initiatives whose owner is their organisation.
	Owner string `json:"owner"`
	// The sub-goal the initiative primarily serves, e.g. `1A`.
	PrimarySubGoal string `json:"primarySubGoal"`
	// The strategic goal of the primary sub-goal (looked up in the catalogue),
	// e.g. `M1`.
	PrimaryGoal string `json:"primaryGoal"`
	// Other sub-goals it contributes to: de-duplicated, never repeating the
	// primary; may be empty.
	SubGoals []string `json:"subGoals"`
	// User groups (brukergrupper), e.g. `innbyggere`, `kommuner`: trimmed and
	// de-duplicated; may be empty.
	UserGroups []string `json:"userGroups"`
	// Planned start date.
	PlannedStart Date `json:"plannedStart"`
	// Planned end date (not before plannedStart).
	PlannedEnd Date `json:"plannedEnd"`
	// Estimated cost in whole Norwegian kroner; absent when not given.
	EstimatedCostNOK *int64 `json:"estimatedCostNOK,omitempty"`
	// The phase the initiative is in when proposed: concept unless the owner
	// said otherwise (never closed).
	Phase Phase `json:"phase"`
}

// InitiativeWithdrawn: the owner withdrew a proposed initiative.
type InitiativeWithdrawn struct {
	// The initiative's id (ULID or UUID); the aggregate id of the initiative's
	// events.
	InitiativeID string `json:"initiativeId"`
	// Why it was withdrawn.
	Reason string `json:"reason"`
}

// InitiativeAdmitted: EHR's approval of an admission case admitted the
// initiative into the portfolio. Written atomically with CaseApproved.
type InitiativeAdmitted struct {
	// The initiative's id (ULID or UUID); the aggregate id of the initiative's
	// events.
	InitiativeID string `json:"initiativeId"`
	// The admission case EHR approved.
	CaseID string `json:"caseId"`
	// The EHR meeting that approved it.
	MeetingID string `json:"meetingId"`
	// The phase the initiative enters the portfolio in (its phase when
	// proposed).
	Phase Phase `json:"phase"`
}

// InitiativeRejected: EHR rejected the initiative's admission case. Written
// atomically with CaseRejected.
type InitiativeRejected struct {
	// The initiative's id (ULID or UUID); the aggregate id of the initiative's
	// events.
	InitiativeID string `json:"initiativeId"`
	// The admission case EHR rejected.
	CaseID string `json:"caseId"`
	// The EHR meeting that rejected it.
	MeetingID string `json:"meetingId"`
}

// InitiativePhaseChanged: an approved phase-gate case moved the initiative
// one phase forward. Written atomically with CaseApproved.
type InitiativePhaseChanged struct {
	// The initiative's id (ULID or UUID); the aggregate id of the initiative's
	// events.
	InitiativeID string `json:"initiativeId"`
	// The phase before.
	From Phase `json:"from"`
	// The phase after: the phase right after from, the case's targetPhase.
	To Phase `json:"to"`
	// The phase_gate case EHR approved.
	CaseID string `json:"caseId"`
	// The EHR meeting that approved it.
	MeetingID string `json:"meetingId"`
}

// StatusReported: an immutable status report (statusrapport) for a reporting
// period.
type StatusReported struct {
	// The initiative's id (ULID or UUID); the aggregate id of the initiative's
	// events.
	InitiativeID string `json:"initiativeId"`
	// The date the report is for.
	ReportDate Date `json:"reportDate"`
	// Overall traffic light: green (on plan), yellow (some deviation), red
	// (significant deviation or likely not delivered).
	Overall RAG `json:"overall"`
	// Traffic light for schedule.
	Schedule RAG `json:"schedule"`
	// Traffic light for cost.
	Cost RAG `json:"cost"`
	// Traffic light for benefit.
	Benefit RAG `json:"benefit"`
	// The owner's comment; always present when a light is yellow or red,
	// absent when not given.
	Comment string `json:"comment,omitempty"`
}

// MilestonePlanned: a milestone (milepæl) was planned.
type MilestonePlanned struct {
	// The initiative's id (ULID or UUID); the aggregate id of the initiative's
	// events.
	InitiativeID string `json:"initiativeId"`
	// The milestone's id (ULID or UUID; assigned by the server when the
	// command gave none). Later milestone events name it.
	MilestoneID string `json:"milestoneId"`
	// What the milestone is.
	Title string `json:"title"`
	// When it is planned.
	PlannedDate Date `json:"plannedDate"`
}

// MilestoneAchieved: a milestone was achieved.
type MilestoneAchieved struct {
	// The initiative's id (ULID or UUID); the aggregate id of the initiative's
	// events.
	InitiativeID string `json:"initiativeId"`
	// The milestone (from its MilestonePlanned).
	MilestoneID string `json:"milestoneId"`
	// When it was achieved.
	AchievedDate Date `json:"achievedDate"`
}

// MilestoneSlipped: a milestone slipped to a later planned date.
type MilestoneSlipped struct {
	// The initiative's id (ULID or UUID); the aggregate id of the initiative's
	// events.
	InitiativeID string `json:"initiativeId"`
	// The milestone (from its MilestonePlanned).
	MilestoneID string `json:"milestoneId"`
	// The planned date before this slip.
	PreviousPlannedDate Date `json:"previousPlannedDate"`
	// The new planned date (after previousPlannedDate).
	NewPlannedDate Date `json:"newPlannedDate"`
}

// InitiativePaused: the initiative was paused (midlertidig stans).
type InitiativePaused struct {
	// The initiative's id (ULID or UUID); the aggregate id of the initiative's
	// events.
	InitiativeID string `json:"initiativeId"`
	// Why it was paused.
	Reason string `json:"reason"`
}

// InitiativeResumed: a paused initiative was resumed.
type InitiativeResumed struct {
	// The initiative's id (ULID or UUID); the aggregate id of the initiative's
	// events.
	InitiativeID string `json:"initiativeId"`
	// Why it was resumed.
	Reason string `json:"reason"`
}

// InitiativeClosed: the initiative was closed with its final report
// (sluttrapport).
type InitiativeClosed struct {
	// The initiative's id (ULID or UUID); the aggregate id of the initiative's
	// events.
	InitiativeID string `json:"initiativeId"`
	// The final report, or a summary of and reference to it.
	FinalReport string `json:"finalReport"`
}

// InitiativeCancelled: the initiative was cancelled (avbrutt).
type InitiativeCancelled struct {
	// The initiative's id (ULID or UUID); the aggregate id of the initiative's
	// events.
	InitiativeID string `json:"initiativeId"`
	// Why it was cancelled.
	Reason string `json:"reason"`
}

// ---- meeting ----

// MeetingScheduled: a forum meeting was scheduled and numbered.
type MeetingScheduled struct {
	// The meeting's id (ULID or UUID).
	MeetingID string `json:"meetingId"`
	// The forum that meets (NUFA, NUIT or EHR).
	Forum Forum `json:"forum"`
	// The meeting's date.
	Date Date `json:"date"`
	// The year of date: meetings are numbered per forum and year.
	Year int `json:"year"`
	// The meeting's number in its forum and year, from 1, gap-free.
	Number int `json:"number"`
	// `<number>/<year>`, e.g. `3/2026`.
	Label string `json:"label"`
}

// MeetingHeld: the meeting was held; decisions may now be recorded for it.
type MeetingHeld struct {
	// The meeting's id (ULID or UUID).
	MeetingID string `json:"meetingId"`
	// The meeting's forum.
	Forum Forum `json:"forum"`
	// The meeting's label, e.g. `3/2026`.
	Label string `json:"label"`
}

// ---- case ----

// CaseRegistered: a council case (sak) was registered.
type CaseRegistered struct {
	// The case's id (ULID or UUID).
	CaseID string `json:"caseId"`
	// The forum the case is registered in. It may later be placed on the
	// agenda of a later forum (NUFA → NUIT → EHR).
	Forum Forum `json:"forum"`
	// The case's title.
	Title string `json:"title"`
	// approval (godkjenning), discussion (drøfting) or information
	// (orientering).
	CaseType CaseType `json:"caseType"`
	// admission (admits an initiative), phase_gate (moves one to targetPhase),
	// prioritisation or other.
	Purpose Purpose `json:"purpose"`
	// The initiative the case is about; always present for admission and
	// phase_gate, absent when the case has none.
	InitiativeID string `json:"initiativeId,omitempty"`
	// For a phase_gate case only: the phase it moves the initiative to
	// (planning, execution or rollout).
	TargetPhase Phase `json:"targetPhase,omitempty"`
	// The proposed resolution (forslag til vedtak).
	ProposedResolution string `json:"proposedResolution"`
	// Reference in the directorate's archive, e.g. `22/414-1`; absent when not
	// given.
	ArchiveRef string `json:"archiveRef,omitempty"`
}

// CasePlacedOnAgenda: the case was put on a meeting's agenda (sakskart) with
// a forum case number.
type CasePlacedOnAgenda struct {
	// The case's id (ULID or UUID).
	CaseID string `json:"caseId"`
	// The meeting on whose agenda the case was placed.
	MeetingID string `json:"meetingId"`
	// The meeting's forum: the case's own forum, or a later one it was
	// forwarded to.
	Forum Forum `json:"forum"`
	// The meeting's label, e.g. `3/2026`.
	MeetingLabel string `json:"meetingLabel"`
	// The meeting's date.
	MeetingDate Date `json:"meetingDate"`
	// The meeting's year: case numbers run per forum and year.
	Year int `json:"year"`
	// The case's number in its forum and year, from 1, gap-free.
	Number int `json:"number"`
	// The forum case number, `<number>/<yy>`, e.g. `15/26`.
	CaseNumber string `json:"caseNumber"`
	// `true` when the case reached EHR and is sent back to NUIT (EHR deferred
	// it, or NUIT had not recommended it); absent otherwise. An optional field
	// added within version 1.
	SentBack bool `json:"sentBack,omitempty"`
}

// Decision is the part every council decision event shares.
type Decision struct {
	// The case's id (ULID or UUID).
	CaseID string `json:"caseId"`
	// The held meeting at which the forum recorded the decision.
	MeetingID string `json:"meetingId"`
	// The forum of the meeting that recorded this (NUFA, NUIT or EHR). A case
	// forwarded to a later forum is decided there: this is the meeting's
	// forum, not necessarily the forum the case was registered in.
	Forum Forum `json:"forum"`
	// The meeting's number within its forum and year, `<number>/<year>`, e.g.
	// `3/2026`.
	MeetingLabel string `json:"meetingLabel"`
	// The meeting's date.
	MeetingDate Date `json:"meetingDate"`
	// The case's forum case number at that meeting, `<number>/<yy>`, e.g.
	// `15/26`.
	CaseNumber string `json:"caseNumber"`
}

// CaseNoted: the forum took the case to note (tatt til orientering).
type CaseNoted struct {
	Decision
	// The forum's remarks; absent when none.
	Remarks string `json:"remarks,omitempty"`
}

// CaseDiscussed: the forum discussed the case (drøftet). An addition to the
// contract.
type CaseDiscussed struct {
	Decision
	// The forum's remarks; absent when none.
	Remarks string `json:"remarks,omitempty"`
}

// CaseRecommended: the forum recommended the case (innstilling, or advice
// from NUFA).
type CaseRecommended struct {
	Decision
	// The forum's resolution.
	Resolution string `json:"resolution"`
	// Conditions attached to the recommendation; absent when none.
	Conditions string `json:"conditions,omitempty"`
}

// CaseApproved: EHR approved the case (tilslutning).
type CaseApproved struct {
	Decision
	// EHR's resolution (vedtak).
	Resolution string `json:"resolution"`
}

// CaseRejected: EHR rejected the case, or NUIT did not support it.
type CaseRejected struct {
	Decision
	// The forum's resolution.
	Resolution string `json:"resolution"`
}

// CaseDeferred: the forum deferred the case (utsatt).
type CaseDeferred struct {
	Decision
	// Why it was deferred.
	Reason string `json:"reason"`
}

// DecisionCorrected: a recorded decision was corrected. Decisions are never
// edited; this event names the corrected event and the reason.
type DecisionCorrected struct {
	// The case's id (ULID or UUID).
	CaseID string `json:"caseId"`
	// The `id` of the corrected decision event (a CaseNoted, CaseDiscussed,
	// CaseRecommended, CaseApproved, CaseRejected or CaseDeferred of this
	// case).
	CorrectsEventID string `json:"correctsEventId"`
	// The event type of the corrected decision.
	CorrectedType string `json:"correctedType"`
	// The forum of the corrected decision.
	Forum Forum `json:"forum"`
	// The meeting of the corrected decision.
	MeetingID string `json:"meetingId"`
	// Why it was corrected.
	Reason string `json:"reason"`
	// The corrected resolution.
	Resolution string `json:"resolution"`
}

// ---- series (an addition to the contract) ----

// MeetingNumberAssigned: a forum-year series gave a meeting its number. An
// addition to the contract.
type MeetingNumberAssigned struct {
	// The series' forum.
	Forum Forum `json:"forum"`
	// The series' year.
	Year int `json:"year"`
	// The meeting's number in the series, from 1, gap-free.
	Number int `json:"number"`
	// The meeting that got the number.
	MeetingID string `json:"meetingId"`
}

// CaseNumberAssigned: a forum-year series gave a case its forum case number.
// An addition to the contract.
type CaseNumberAssigned struct {
	// The series' forum (the meeting's forum).
	Forum Forum `json:"forum"`
	// The series' year.
	Year int `json:"year"`
	// The case's number in the series, from 1, gap-free.
	Number int `json:"number"`
	// The forum case number, `<number>/<yy>`, e.g. `15/26`.
	CaseNumber string `json:"caseNumber"`
	// The case that got the number.
	CaseID string `json:"caseId"`
	// The meeting on whose agenda the case was placed.
	MeetingID string `json:"meetingId"`
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
