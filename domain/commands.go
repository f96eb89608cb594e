package domain

// Command is an instruction from a user. Its JSON form is the body of
// POST /v1/commands/{CommandName}.
type Command interface {
	// CommandName is the name in the URL, e.g. "ProposeInitiative".
	CommandName() string
	// Validate checks the command on its own, whatever the state, and
	// returns a KindInvalid *Error listing the bad fields, or nil.
	Validate() error
}

// Creator is a command that creates an aggregate and may be given its id by
// the server. AssignID sets the id when the client gave none.
type Creator interface {
	Command
	AssignID(id string)
}

// DefineStrategicGoal defines a strategic goal of a strategy period.
type DefineStrategicGoal struct {
	// Goal id, e.g. M1.
	GoalID string `json:"goalId"`
	// Strategy period, e.g. 2023-2030.
	Strategy string `json:"strategy"`
	Title    string `json:"title"`
}

// DefineSubGoal defines a sub-goal of a goal.
type DefineSubGoal struct {
	// Sub-goal code, e.g. 1A.
	SubGoalID string `json:"subGoalId"`
	GoalID    string `json:"goalId"`
	Title     string `json:"title"`
}

// ProposeInitiative reports an initiative into the portfolio (melder inn).
type ProposeInitiative struct {
	// ULID or UUID; assigned by the server when absent.
	InitiativeID string `json:"initiativeId,omitempty"`
	Title        string `json:"title"`
	Description  string `json:"description"`
	// The owning organisation.
	Owner          string `json:"owner"`
	PrimarySubGoal string `json:"primarySubGoal"`
	// Other sub-goals.
	SubGoals []string `json:"subGoals,omitempty"`
	// User groups (brukergrupper).
	UserGroups   []string `json:"userGroups,omitempty"`
	PlannedStart Date     `json:"plannedStart"`
	PlannedEnd   Date     `json:"plannedEnd"`
	// Cost estimate in NOK.
	EstimatedCostNOK *int64 `json:"estimatedCostNOK,omitempty"`
	// Default concept.
	Phase Phase `json:"phase,omitempty"`
}

// WithdrawInitiative withdraws a proposed initiative.
type WithdrawInitiative struct {
	InitiativeID string `json:"initiativeId"`
	Reason       string `json:"reason"`
}

// ReportStatus records a status report (statusrapport).
type ReportStatus struct {
	InitiativeID string `json:"initiativeId"`
	ReportDate   Date   `json:"reportDate"`
	Overall      RAG    `json:"overall"`
	Schedule     RAG    `json:"schedule"`
	Cost         RAG    `json:"cost"`
	Benefit      RAG    `json:"benefit"`
	// Needed when any light is yellow or red.
	Comment string `json:"comment,omitempty"`
}

// ReportMilestone plans a milestone, or reports it achieved or slipped.
type ReportMilestone struct {
	InitiativeID string `json:"initiativeId"`
	// Assigned by the server when a planned milestone has none.
	MilestoneID    string          `json:"milestoneId,omitempty"`
	Title          string          `json:"title,omitempty"`
	Status         MilestoneStatus `json:"status"`
	PlannedDate    Date            `json:"plannedDate,omitempty"`
	AchievedDate   Date            `json:"achievedDate,omitempty"`
	NewPlannedDate Date            `json:"newPlannedDate,omitempty"`
}

// PauseInitiative pauses an initiative in the portfolio (midlertidig stans).
type PauseInitiative struct {
	InitiativeID string `json:"initiativeId"`
	Reason       string `json:"reason"`
}

// ResumeInitiative resumes a paused initiative.
type ResumeInitiative struct {
	InitiativeID string `json:"initiativeId"`
	Reason       string `json:"reason"`
}

// CloseInitiative closes an initiative with its final report (sluttrapport).
type CloseInitiative struct {
	InitiativeID string `json:"initiativeId"`
	FinalReport  string `json:"finalReport"`
}

// CancelInitiative cancels an initiative (avbrutt).
type CancelInitiative struct {
	InitiativeID string `json:"initiativeId"`
	Reason       string `json:"reason"`
}

// ScheduleMeeting schedules a forum meeting; it is numbered n/YYYY.
type ScheduleMeeting struct {
	// Assigned by the server when absent.
	MeetingID string `json:"meetingId,omitempty"`
	Forum     Forum  `json:"forum"`
	Date      Date   `json:"date"`
}

// HoldMeeting records that a meeting was held.
type HoldMeeting struct {
	MeetingID string `json:"meetingId"`
}

// RegisterCase registers a council case (sak).
type RegisterCase struct {
	// Assigned by the server when absent.
	CaseID string `json:"caseId,omitempty"`
	// Where the case is registered.
	Forum        Forum    `json:"forum"`
	Title        string   `json:"title"`
	CaseType     CaseType `json:"caseType"`
	Purpose      Purpose  `json:"purpose"`
	InitiativeID string   `json:"initiativeId,omitempty"`
	// For phase_gate cases.
	TargetPhase Phase `json:"targetPhase,omitempty"`
	// Forslag til vedtak.
	ProposedResolution string `json:"proposedResolution"`
	// Archive reference, e.g. 22/414-1.
	ArchiveRef string `json:"archiveRef,omitempty"`
}

// PlaceCaseOnAgenda puts a case on a meeting's agenda (sakskart) and gives it
// the next forum case number nn/YY of the meeting's forum and year. A case
// that reached EHR without NUIT's recommendation, or that EHR deferred, may
// be placed on a NUIT agenda again: it is sent back.
type PlaceCaseOnAgenda struct {
	CaseID    string `json:"caseId"`
	MeetingID string `json:"meetingId"`
}

// NoteCase records that a forum took a case to note (tatt til orientering).
type NoteCase struct {
	CaseID    string `json:"caseId"`
	MeetingID string `json:"meetingId"`
	Remarks   string `json:"remarks,omitempty"`
}

// DiscussCase records that a forum discussed a case (drøftet). An addition
// to the contract's command list.
type DiscussCase struct {
	CaseID    string `json:"caseId"`
	MeetingID string `json:"meetingId"`
	Remarks   string `json:"remarks,omitempty"`
}

// RecommendInCouncil records a forum's recommendation (innstilling); with
// conditions it is NUIT's "conditionally supported".
type RecommendInCouncil struct {
	CaseID     string `json:"caseId"`
	MeetingID  string `json:"meetingId"`
	Resolution string `json:"resolution"`
	Conditions string `json:"conditions,omitempty"`
}

// ApproveInCouncil records EHR's approval (tilslutning). On an admission
// case it also admits the initiative; on a phase_gate case it moves the
// initiative's phase.
type ApproveInCouncil struct {
	CaseID     string `json:"caseId"`
	MeetingID  string `json:"meetingId"`
	Resolution string `json:"resolution"`
}

// RejectInCouncil records EHR's rejection or NUIT's "not supported". On an
// admission case EHR's rejection also rejects the initiative.
type RejectInCouncil struct {
	CaseID     string `json:"caseId"`
	MeetingID  string `json:"meetingId"`
	Resolution string `json:"resolution"`
}

// DeferCase records that a forum deferred a case.
type DeferCase struct {
	CaseID    string `json:"caseId"`
	MeetingID string `json:"meetingId"`
	Reason    string `json:"reason"`
}

// CorrectDecision corrects a recorded decision by naming its event.
type CorrectDecision struct {
	CaseID string `json:"caseId"`
	// The id of the decision event corrected.
	CorrectsEventID string `json:"correctsEventId"`
	Reason          string `json:"reason"`
	Resolution      string `json:"resolution"`
}

func (DefineStrategicGoal) CommandName() string { return "DefineStrategicGoal" }
func (DefineSubGoal) CommandName() string       { return "DefineSubGoal" }
func (ProposeInitiative) CommandName() string   { return "ProposeInitiative" }
func (WithdrawInitiative) CommandName() string  { return "WithdrawInitiative" }
func (ReportStatus) CommandName() string        { return "ReportStatus" }
func (ReportMilestone) CommandName() string     { return "ReportMilestone" }
func (PauseInitiative) CommandName() string     { return "PauseInitiative" }
func (ResumeInitiative) CommandName() string    { return "ResumeInitiative" }
func (CloseInitiative) CommandName() string     { return "CloseInitiative" }
func (CancelInitiative) CommandName() string    { return "CancelInitiative" }
func (ScheduleMeeting) CommandName() string     { return "ScheduleMeeting" }
func (HoldMeeting) CommandName() string         { return "HoldMeeting" }
func (RegisterCase) CommandName() string        { return "RegisterCase" }
func (PlaceCaseOnAgenda) CommandName() string   { return "PlaceCaseOnAgenda" }
func (NoteCase) CommandName() string            { return "NoteCase" }
func (DiscussCase) CommandName() string         { return "DiscussCase" }
func (RecommendInCouncil) CommandName() string  { return "RecommendInCouncil" }
func (ApproveInCouncil) CommandName() string    { return "ApproveInCouncil" }
func (RejectInCouncil) CommandName() string     { return "RejectInCouncil" }
func (DeferCase) CommandName() string           { return "DeferCase" }
func (CorrectDecision) CommandName() string     { return "CorrectDecision" }

func (c *ProposeInitiative) AssignID(id string) { c.InitiativeID = id }
func (c *ScheduleMeeting) AssignID(id string)   { c.MeetingID = id }
func (c *RegisterCase) AssignID(id string)      { c.CaseID = id }
func (c *ReportMilestone) AssignID(id string)   { c.MilestoneID = id }
