package domain

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// InitiativeState is one initiative (tiltak) as folded from its events. The
// HTTP API returns it as JSON (also as of a time, for time travel).
type InitiativeState struct {
	ID               string    `json:"id"`
	Version          uint64    `json:"version"`
	Title            string    `json:"title"`
	Description      string    `json:"description"`
	Owner            string    `json:"owner"`
	PrimarySubGoal   string    `json:"primarySubGoal"`
	PrimaryGoal      string    `json:"primaryGoal"`
	SubGoals         []string  `json:"subGoals"`   // other sub-goals, without the primary
	UserGroups       []string  `json:"userGroups"` // brukergrupper
	PlannedStart     Date      `json:"plannedStart"`
	PlannedEnd       Date      `json:"plannedEnd"`
	EstimatedCostNOK *int64    `json:"estimatedCostNOK,omitempty"`
	Lifecycle        Lifecycle `json:"lifecycle"`
	Phase            Phase     `json:"phase"`
	Paused           bool      `json:"paused"`
	// LastStatus is the latest status report, nil before the first.
	LastStatus *StatusReport `json:"lastStatus,omitempty"`
	// StatusReports counts the status reports.
	StatusReports int `json:"statusReports"`
	// Milestones in the order they were planned.
	Milestones []Milestone `json:"milestones"`
	// Admission is the council decision that admitted or rejected the
	// initiative, nil while it is proposed or if it was withdrawn.
	Admission *CouncilDecision `json:"admission,omitempty"`
	// PhaseChanges lists the phase gates passed, in order.
	PhaseChanges []PhaseChange `json:"phaseChanges"`
	// Reason is the reason given for the last withdrawal, pause, resumption
	// or cancellation.
	Reason      string    `json:"reason,omitempty"`
	FinalReport string    `json:"finalReport,omitempty"`
	CreatedAt   time.Time `json:"createdAt"`
	UpdatedAt   time.Time `json:"updatedAt"`
}

// StatusReport is a status report (statusrapport): four traffic lights.
type StatusReport struct {
	ReportDate Date      `json:"reportDate"`
	Overall    RAG       `json:"overall"`
	Schedule   RAG       `json:"schedule"`
	Cost       RAG       `json:"cost"`
	Benefit    RAG       `json:"benefit"`
	Comment    string    `json:"comment,omitempty"`
	ReportedAt time.Time `json:"reportedAt"`
	ReportedBy string    `json:"reportedBy,omitempty"`
	RoundID    string    `json:"roundId,omitempty"`
}

// Milestone is a milestone (milepæl) of an initiative.
type Milestone struct {
	ID          string          `json:"id"`
	Title       string          `json:"title"`
	Status      MilestoneStatus `json:"status"`
	PlannedDate Date            `json:"plannedDate"` // current plan
	// OriginalPlannedDate is the date first planned.
	OriginalPlannedDate Date `json:"originalPlannedDate"`
	AchievedDate        Date `json:"achievedDate,omitempty"`
	// Slips lists every slip, oldest first.
	Slips []MilestoneSlip `json:"slips"`
}

// MilestoneSlip is one slip of a milestone to a new planned date.
type MilestoneSlip struct {
	From       Date      `json:"from"`
	To         Date      `json:"to"`
	RecordedAt time.Time `json:"recordedAt"`
}

// CouncilDecision names the case and meeting of a decision about an initiative.
type CouncilDecision struct {
	Outcome   Outcome   `json:"outcome"`
	CaseID    string    `json:"caseId"`
	MeetingID string    `json:"meetingId"`
	At        time.Time `json:"at"`
}

// PhaseChange is one phase gate passed.
type PhaseChange struct {
	From      Phase     `json:"from"`
	To        Phase     `json:"to"`
	CaseID    string    `json:"caseId"`
	MeetingID string    `json:"meetingId"`
	At        time.Time `json:"at"`
}

// StateRef implements State.
func (s *InitiativeState) StateRef() Ref { return Ref{Initiative, s.ID} }

// StateVersion implements State.
func (s *InitiativeState) StateVersion() uint64 { return s.Version }

// Milestone returns the milestone with the id.
func (s *InitiativeState) Milestone(id string) (Milestone, bool) {
	if i := s.milestone(id); i >= 0 {
		return s.Milestones[i], true
	}
	return Milestone{}, false
}

func (s *InitiativeState) milestone(id string) int {
	return slices.IndexFunc(s.Milestones, func(m Milestone) bool { return m.ID == id })
}

// ---- commands ----

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

func (ProposeInitiative) CommandName() string { return "ProposeInitiative" }

func (c *ProposeInitiative) AssignID(id string) { c.InitiativeID = id }

// Validate checks the proposal: the required title, description, owner,
// primarySubGoal, plannedStart and plannedEnd (not before plannedStart);
// the codes of subGoals; userGroups; a cost of at least 0; and a phase, if
// given, other than closed.
func (c ProposeInitiative) Validate() error {
	var v Validation
	v.id("initiativeId", c.InitiativeID, false)
	v.text("title", c.Title, true, MaxTitleLen, false)
	v.text("description", c.Description, true, MaxTextLen, true)
	v.text("owner", c.Owner, true, MaxNameLen, false)
	v.code("primarySubGoal", c.PrimarySubGoal)
	if len(c.SubGoals) > MaxListLen {
		v.Add("subGoals", fmt.Sprintf("must list at most %d sub-goals", MaxListLen))
	} else {
		for i, s := range c.SubGoals {
			v.code(fmt.Sprintf("subGoals[%d]", i), s)
		}
	}
	if len(c.UserGroups) > MaxListLen {
		v.Add("userGroups", fmt.Sprintf("must list at most %d user groups", MaxListLen))
	} else {
		for i, g := range c.UserGroups {
			v.text(fmt.Sprintf("userGroups[%d]", i), g, true, MaxUserGroupLen, false)
		}
	}
	okStart := v.date("plannedStart", c.PlannedStart, true)
	okEnd := v.date("plannedEnd", c.PlannedEnd, true)
	if okStart && okEnd && c.PlannedEnd < c.PlannedStart {
		v.Add("plannedEnd", plannedEndDetail)
	}
	if c.EstimatedCostNOK != nil {
		switch n := *c.EstimatedCostNOK; {
		case n < 0:
			v.Add("estimatedCostNOK", "must not be negative")
		case n > maxNOK:
			v.Add("estimatedCostNOK", "is implausibly large")
		}
	}
	switch {
	case c.Phase == "":
	case !c.Phase.Valid():
		v.Add("phase", "must be concept, planning, execution or rollout")
	case c.Phase == PhaseClosed:
		v.Add("phase", "must not be closed: a proposed initiative is not closed")
	}
	return v.Err()
}

// WithdrawInitiative withdraws a proposed initiative.
type WithdrawInitiative struct {
	InitiativeID string `json:"initiativeId"`
	Reason       string `json:"reason"`
}

func (WithdrawInitiative) CommandName() string { return "WithdrawInitiative" }

// Validate checks initiativeId and reason.
func (c WithdrawInitiative) Validate() error {
	return reasoned(c.InitiativeID, "reason", c.Reason)
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
	// The open reporting round the report belongs to; absent: a report
	// outside any round.
	RoundID string `json:"roundId,omitempty"`
}

func (ReportStatus) CommandName() string { return "ReportStatus" }

// Validate checks the report: initiativeId, reportDate, the four lights,
// and a comment when any light is yellow or red.
func (c ReportStatus) Validate() error {
	var v Validation
	v.id("initiativeId", c.InitiativeID, true)
	v.date("reportDate", c.ReportDate, true)
	v.rag("overall", c.Overall)
	v.rag("schedule", c.Schedule)
	v.rag("cost", c.Cost)
	v.rag("benefit", c.Benefit)
	v.text("comment", c.Comment, false, MaxTextLen, true)
	v.id("roundId", c.RoundID, false)
	if strings.TrimSpace(c.Comment) == "" {
		for _, r := range []RAG{c.Overall, c.Schedule, c.Cost, c.Benefit} {
			if r == Yellow || r == Red {
				v.Add("comment", "is required when a light is yellow or red")
				break
			}
		}
	}
	return v.Err()
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

func (ReportMilestone) CommandName() string { return "ReportMilestone" }

func (c *ReportMilestone) AssignID(id string) { c.MilestoneID = id }

// Validate checks the milestone report by its status: planned needs title
// and plannedDate (milestoneId is optional: the server assigns one);
// achieved needs milestoneId and achievedDate; slipped needs milestoneId
// and newPlannedDate. Fields of another status are refused.
func (c ReportMilestone) Validate() error {
	var v Validation
	v.id("initiativeId", c.InitiativeID, true)
	switch c.Status {
	case MilestonePlannedStatus:
		v.id("milestoneId", c.MilestoneID, false)
		v.text("title", c.Title, true, MaxTitleLen, false)
		v.date("plannedDate", c.PlannedDate, true)
		v.forbid("achievedDate", c.AchievedDate != "", "with status planned")
		v.forbid("newPlannedDate", c.NewPlannedDate != "", "with status planned")
	case MilestoneAchievedStatus:
		v.id("milestoneId", c.MilestoneID, true)
		v.date("achievedDate", c.AchievedDate, true)
		v.forbid("title", c.Title != "", "with status achieved (only when planning)")
		v.forbid("plannedDate", c.PlannedDate != "", "with status achieved")
		v.forbid("newPlannedDate", c.NewPlannedDate != "", "with status achieved")
	case MilestoneSlippedStatus:
		v.id("milestoneId", c.MilestoneID, true)
		v.date("newPlannedDate", c.NewPlannedDate, true)
		v.forbid("title", c.Title != "", "with status slipped (only when planning)")
		v.forbid("plannedDate", c.PlannedDate != "", "with status slipped (use newPlannedDate)")
		v.forbid("achievedDate", c.AchievedDate != "", "with status slipped")
	case "":
		v.Add("status", "is required")
	default:
		v.Add("status", "must be planned, achieved or slipped")
	}
	return v.Err()
}

// PauseInitiative pauses an initiative in the portfolio (midlertidig stans).
type PauseInitiative struct {
	InitiativeID string `json:"initiativeId"`
	Reason       string `json:"reason"`
}

func (PauseInitiative) CommandName() string { return "PauseInitiative" }

// Validate checks initiativeId and reason.
func (c PauseInitiative) Validate() error { return reasoned(c.InitiativeID, "reason", c.Reason) }

// ResumeInitiative resumes a paused initiative.
type ResumeInitiative struct {
	InitiativeID string `json:"initiativeId"`
	Reason       string `json:"reason"`
}

func (ResumeInitiative) CommandName() string { return "ResumeInitiative" }

// Validate checks initiativeId and reason.
func (c ResumeInitiative) Validate() error { return reasoned(c.InitiativeID, "reason", c.Reason) }

// CloseInitiative closes an initiative with its final report (sluttrapport).
type CloseInitiative struct {
	InitiativeID string `json:"initiativeId"`
	FinalReport  string `json:"finalReport"`
}

func (CloseInitiative) CommandName() string { return "CloseInitiative" }

// Validate checks initiativeId and finalReport.
func (c CloseInitiative) Validate() error {
	return reasoned(c.InitiativeID, "finalReport", c.FinalReport)
}

// CancelInitiative cancels an initiative (avbrutt).
type CancelInitiative struct {
	InitiativeID string `json:"initiativeId"`
	Reason       string `json:"reason"`
}

func (CancelInitiative) CommandName() string { return "CancelInitiative" }

// Validate checks initiativeId and reason.
func (c CancelInitiative) Validate() error { return reasoned(c.InitiativeID, "reason", c.Reason) }

// ---- events ----

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

func (InitiativeProposed) EventType() string { return "InitiativeProposed" }

// InitiativeWithdrawn: the owner withdrew a proposed initiative.
type InitiativeWithdrawn struct {
	// The initiative's id (ULID or UUID); the aggregate id of the initiative's
	// events.
	InitiativeID string `json:"initiativeId"`
	// Why it was withdrawn.
	Reason string `json:"reason"`
}

func (InitiativeWithdrawn) EventType() string { return "InitiativeWithdrawn" }

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

func (InitiativeAdmitted) EventType() string { return "InitiativeAdmitted" }

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

func (InitiativeRejected) EventType() string { return "InitiativeRejected" }

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

func (InitiativePhaseChanged) EventType() string { return "InitiativePhaseChanged" }

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
	// The reporting round the report belongs to; absent for a report
	// outside any round, and in every event recorded before rounds existed.
	RoundID string `json:"roundId,omitempty"`
}

func (StatusReported) EventType() string { return "StatusReported" }

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

func (MilestonePlanned) EventType() string { return "MilestonePlanned" }

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

func (MilestoneAchieved) EventType() string { return "MilestoneAchieved" }

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

func (MilestoneSlipped) EventType() string { return "MilestoneSlipped" }

// InitiativePaused: the initiative was paused (midlertidig stans).
type InitiativePaused struct {
	// The initiative's id (ULID or UUID); the aggregate id of the initiative's
	// events.
	InitiativeID string `json:"initiativeId"`
	// Why it was paused.
	Reason string `json:"reason"`
}

func (InitiativePaused) EventType() string { return "InitiativePaused" }

// InitiativeResumed: a paused initiative was resumed.
type InitiativeResumed struct {
	// The initiative's id (ULID or UUID); the aggregate id of the initiative's
	// events.
	InitiativeID string `json:"initiativeId"`
	// Why it was resumed.
	Reason string `json:"reason"`
}

func (InitiativeResumed) EventType() string { return "InitiativeResumed" }

// InitiativeClosed: the initiative was closed with its final report
// (sluttrapport).
type InitiativeClosed struct {
	// The initiative's id (ULID or UUID); the aggregate id of the initiative's
	// events.
	InitiativeID string `json:"initiativeId"`
	// The final report, or a summary of and reference to it.
	FinalReport string `json:"finalReport"`
}

func (InitiativeClosed) EventType() string { return "InitiativeClosed" }

// InitiativeCancelled: the initiative was cancelled (avbrutt).
type InitiativeCancelled struct {
	// The initiative's id (ULID or UUID); the aggregate id of the initiative's
	// events.
	InitiativeID string `json:"initiativeId"`
	// Why it was cancelled.
	Reason string `json:"reason"`
}

func (InitiativeCancelled) EventType() string { return "InitiativeCancelled" }

// ---- registry ----

var initiativeAggregate = &aggregateDef[InitiativeState, *InitiativeState]{
	typ:     Initiative,
	empty:   func(id string) *InitiativeState { return &InitiativeState{ID: id} },
	created: true,
	stamp:   func(n *InitiativeState, r Recorded) { n.Version, n.UpdatedAt = r.Version, r.Time },
}

// initiativeTarget: an initiative command addresses its initiative.
func initiativeTarget(id string) Ref { return Ref{Initiative, id} }

var initiativeCommands = []commandEntry{
	command(Initiative, SecretariatOrOwner, func(c ProposeInitiative) Ref { return initiativeTarget(c.InitiativeID) },
		(*decider).proposeInitiative).
		needing(func(ProposeInitiative, map[Ref]State) []Ref { return []Ref{{Strategy, StrategyCatalogID}} }),
	command(Initiative, SecretariatOrOwner, func(c WithdrawInitiative) Ref { return initiativeTarget(c.InitiativeID) },
		(*decider).withdrawInitiative),
	command(Initiative, SecretariatOrOwner, func(c ReportStatus) Ref { return initiativeTarget(c.InitiativeID) },
		(*decider).reportStatus).
		needing(func(c ReportStatus, _ map[Ref]State) []Ref {
			if c.RoundID != "" {
				return []Ref{roundsRef}
			}
			return nil
		}),
	command(Initiative, SecretariatOrOwner, func(c ReportMilestone) Ref { return initiativeTarget(c.InitiativeID) },
		(*decider).reportMilestone),
	command(Initiative, Secretariat, func(c PauseInitiative) Ref { return initiativeTarget(c.InitiativeID) },
		(*decider).pauseInitiative),
	command(Initiative, Secretariat, func(c ResumeInitiative) Ref { return initiativeTarget(c.InitiativeID) },
		(*decider).resumeInitiative),
	command(Initiative, SecretariatOrOwner, func(c CloseInitiative) Ref { return initiativeTarget(c.InitiativeID) },
		(*decider).closeInitiative),
	command(Initiative, Secretariat, func(c CancelInitiative) Ref { return initiativeTarget(c.InitiativeID) },
		(*decider).cancelInitiative),
}

var initiativeEvents = []eventEntry{
	event(initiativeAggregate, func(e InitiativeProposed) string { return e.InitiativeID }, foldInitiativeProposed).creating(),
	event(initiativeAggregate, func(e InitiativeWithdrawn) string { return e.InitiativeID },
		func(n *InitiativeState, e InitiativeWithdrawn, _ Recorded) error {
			n.Lifecycle, n.Reason = LifecycleWithdrawn, e.Reason
			return nil
		}),
	event(initiativeAggregate, func(e InitiativeAdmitted) string { return e.InitiativeID },
		func(n *InitiativeState, e InitiativeAdmitted, r Recorded) error {
			n.Lifecycle = LifecycleInPortfolio
			if e.Phase != "" {
				n.Phase = e.Phase
			}
			n.Admission = &CouncilDecision{OutcomeApproved, e.CaseID, e.MeetingID, r.Time}
			return nil
		}),
	event(initiativeAggregate, func(e InitiativeRejected) string { return e.InitiativeID },
		func(n *InitiativeState, e InitiativeRejected, r Recorded) error {
			n.Lifecycle = LifecycleRejected
			n.Admission = &CouncilDecision{OutcomeRejected, e.CaseID, e.MeetingID, r.Time}
			return nil
		}),
	event(initiativeAggregate, func(e InitiativePhaseChanged) string { return e.InitiativeID },
		func(n *InitiativeState, e InitiativePhaseChanged, r Recorded) error {
			n.Phase = e.To
			n.PhaseChanges = append(slices.Clip(n.PhaseChanges), PhaseChange{e.From, e.To, e.CaseID, e.MeetingID, r.Time})
			return nil
		}),
	event(initiativeAggregate, func(e StatusReported) string { return e.InitiativeID },
		func(n *InitiativeState, e StatusReported, r Recorded) error {
			n.LastStatus = &StatusReport{
				ReportDate: e.ReportDate, Overall: e.Overall, Schedule: e.Schedule, Cost: e.Cost,
				Benefit: e.Benefit, Comment: e.Comment, ReportedAt: r.Time, ReportedBy: r.Actor, RoundID: e.RoundID,
			}
			n.StatusReports++
			return nil
		}),
	event(initiativeAggregate, func(e MilestonePlanned) string { return e.InitiativeID }, foldMilestonePlanned),
	event(initiativeAggregate, func(e MilestoneAchieved) string { return e.InitiativeID }, foldMilestoneAchieved),
	event(initiativeAggregate, func(e MilestoneSlipped) string { return e.InitiativeID }, foldMilestoneSlipped),
	event(initiativeAggregate, func(e InitiativePaused) string { return e.InitiativeID },
		func(n *InitiativeState, e InitiativePaused, _ Recorded) error {
			n.Lifecycle, n.Paused, n.Reason = LifecyclePaused, true, e.Reason
			return nil
		}),
	event(initiativeAggregate, func(e InitiativeResumed) string { return e.InitiativeID },
		func(n *InitiativeState, e InitiativeResumed, _ Recorded) error {
			n.Lifecycle, n.Paused, n.Reason = LifecycleInPortfolio, false, e.Reason
			return nil
		}),
	event(initiativeAggregate, func(e InitiativeClosed) string { return e.InitiativeID },
		func(n *InitiativeState, e InitiativeClosed, _ Recorded) error {
			n.Lifecycle, n.Phase, n.Paused, n.FinalReport = LifecycleClosed, PhaseClosed, false, e.FinalReport
			return nil
		}),
	event(initiativeAggregate, func(e InitiativeCancelled) string { return e.InitiativeID },
		func(n *InitiativeState, e InitiativeCancelled, _ Recorded) error {
			n.Lifecycle, n.Paused, n.Reason = LifecycleCancelled, false, e.Reason
			return nil
		}),
}

// ---- evolve ----

func foldInitiativeProposed(n *InitiativeState, e InitiativeProposed, r Recorded) error {
	n.Title, n.Description, n.Owner = e.Title, e.Description, e.Owner
	n.PrimarySubGoal, n.PrimaryGoal = e.PrimarySubGoal, e.PrimaryGoal
	n.SubGoals = nonNil(slices.Clone(e.SubGoals))
	n.UserGroups = nonNil(slices.Clone(e.UserGroups))
	n.PlannedStart, n.PlannedEnd = e.PlannedStart, e.PlannedEnd
	if e.EstimatedCostNOK != nil {
		v := *e.EstimatedCostNOK
		n.EstimatedCostNOK = &v
	}
	n.Lifecycle, n.Phase = LifecycleProposed, e.Phase
	if n.Phase == "" {
		n.Phase = PhaseConcept
	}
	n.Milestones = []Milestone{}
	n.PhaseChanges = []PhaseChange{}
	n.CreatedAt = r.Time
	return nil
}

func foldMilestonePlanned(n *InitiativeState, e MilestonePlanned, _ Recorded) error {
	if n.milestone(e.MilestoneID) >= 0 {
		return Errorf(KindInternal, "evolve %s: milestone %s planned twice", n.StateRef(), e.MilestoneID)
	}
	n.Milestones = append(slices.Clip(n.Milestones), Milestone{
		ID: e.MilestoneID, Title: e.Title, Status: MilestonePlannedStatus,
		PlannedDate: e.PlannedDate, OriginalPlannedDate: e.PlannedDate, Slips: []MilestoneSlip{},
	})
	return nil
}

func foldMilestoneAchieved(n *InitiativeState, e MilestoneAchieved, _ Recorded) error {
	i := n.milestone(e.MilestoneID)
	if i < 0 {
		return Errorf(KindInternal, "evolve %s: no milestone %s", n.StateRef(), e.MilestoneID)
	}
	n.Milestones = slices.Clone(n.Milestones)
	n.Milestones[i].Status = MilestoneAchievedStatus
	n.Milestones[i].AchievedDate = e.AchievedDate
	return nil
}

func foldMilestoneSlipped(n *InitiativeState, e MilestoneSlipped, r Recorded) error {
	i := n.milestone(e.MilestoneID)
	if i < 0 {
		return Errorf(KindInternal, "evolve %s: no milestone %s", n.StateRef(), e.MilestoneID)
	}
	n.Milestones = slices.Clone(n.Milestones)
	m := &n.Milestones[i]
	m.Slips = append(slices.Clip(m.Slips), MilestoneSlip{e.PreviousPlannedDate, e.NewPlannedDate, r.Time})
	m.Status = MilestoneSlippedStatus
	m.PlannedDate = e.NewPlannedDate
	return nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// lifecycleText describes a lifecycle state for error messages.
func lifecycleText(l Lifecycle) string {
	switch l {
	case LifecycleInPortfolio:
		return "in the portfolio"
	case LifecycleProposed:
		return "proposed, not yet admitted to the portfolio"
	case "":
		return "in no known state"
	}
	return string(l)
}

// in refuses unless the initiative's lifecycle is one of allowed; doing
// says what was refused, and norsk says it in Norwegian (lower case, no
// full stop) for the refusal's Norwegian text.
func (s *InitiativeState) in(doing, norsk string, allowed ...Lifecycle) error {
	if slices.Contains(allowed, s.Lifecycle) {
		return nil
	}
	return Refuse("initiative %s is %s: %s", s.ID, lifecycleText(s.Lifecycle), doing).
		WithNorsk("Tiltaket %s er %s: %s.", s.ID, lifecycleNB(s.Lifecycle), norsk)
}

// ---- decisions ----

// proposeInitiative: the id must be new, the primary sub-goal and every
// other sub-goal must be in the catalogue. The other sub-goals are
// de-duplicated and never repeat the primary; user groups are trimmed and
// de-duplicated (first spelling kept). The phase defaults to concept.
func (d *decider) proposeInitiative(c ProposeInitiative) ([]Change, error) {
	ini, err := fresh[*InitiativeState](d, Ref{Initiative, c.InitiativeID}, "initiative")
	if err != nil {
		return nil, err
	}
	cat, err := d.catalogue()
	if err != nil {
		return nil, err
	}
	primary, ok := cat.SubGoal(c.PrimarySubGoal)
	if !ok {
		return nil, Refuse("sub-goal %s is not in the strategy catalogue", c.PrimarySubGoal).
			WithNorsk("Delmålet %s finnes ikke i strategikatalogen.", c.PrimarySubGoal)
	}
	others := []string{}
	var unknown []string
	for _, id := range c.SubGoals {
		if id == c.PrimarySubGoal || slices.Contains(others, id) {
			continue
		}
		if _, ok := cat.SubGoal(id); !ok {
			if !slices.Contains(unknown, id) {
				unknown = append(unknown, id)
			}
			continue
		}
		others = append(others, id)
	}
	if len(unknown) > 0 {
		return nil, Refuse("sub-goals %s are not in the strategy catalogue", strings.Join(unknown, ", ")).
			WithNorsk("Delmålene %s finnes ikke i strategikatalogen.", strings.Join(unknown, ", "))
	}
	groups := []string{}
	for _, g := range c.UserGroups {
		g = strings.TrimSpace(g)
		if !slices.ContainsFunc(groups, func(h string) bool { return strings.EqualFold(g, h) }) {
			groups = append(groups, g)
		}
	}
	phase := c.Phase
	if phase == "" {
		phase = PhaseConcept
	}
	var cost *int64
	if c.EstimatedCostNOK != nil {
		v := *c.EstimatedCostNOK
		cost = &v
	}
	return []Change{{ini.StateRef(), InitiativeProposed{
		InitiativeID: c.InitiativeID, Title: c.Title, Description: c.Description, Owner: c.Owner,
		PrimarySubGoal: c.PrimarySubGoal, PrimaryGoal: primary.GoalID, SubGoals: others, UserGroups: groups,
		PlannedStart: c.PlannedStart, PlannedEnd: c.PlannedEnd, EstimatedCostNOK: cost, Phase: phase,
	}}}, nil
}

// withdrawInitiative: only a proposed initiative can be withdrawn.
func (d *decider) withdrawInitiative(c WithdrawInitiative) ([]Change, error) {
	ini, err := d.initiative(c.InitiativeID)
	if err != nil {
		return nil, err
	}
	if err := ini.in("only a proposed initiative can be withdrawn", "bare et tiltak som er meldt inn, kan trekkes", LifecycleProposed); err != nil {
		return nil, err
	}
	return []Change{{ini.StateRef(), InitiativeWithdrawn(c)}}, nil
}

// reportStatus: an initiative in the portfolio (paused too) reports; a
// report is not dated before the previous one (the same date is allowed);
// a report for a round only while that round is open.
func (d *decider) reportStatus(c ReportStatus) ([]Change, error) {
	ini, err := d.initiative(c.InitiativeID)
	if err != nil {
		return nil, err
	}
	if err := ini.in("only an initiative in the portfolio reports status", "bare et tiltak i porteføljen rapporterer status", LifecycleInPortfolio, LifecyclePaused); err != nil {
		return nil, err
	}
	if last := ini.LastStatus; last != nil && c.ReportDate < last.ReportDate {
		return nil, Refuse("initiative %s: a status report dated %s cannot come after the one dated %s",
			ini.ID, c.ReportDate, last.ReportDate).
			WithNorsk("Tiltaket %s: en statusrapport datert %s kan ikke komme etter den som er datert %s.",
				ini.ID, dateNB(c.ReportDate), dateNB(last.ReportDate))
	}
	if c.RoundID != "" {
		if err := d.roundForStatus(c.RoundID); err != nil {
			return nil, err
		}
	}
	return []Change{{ini.StateRef(), StatusReported(c)}}, nil
}

// reportMilestone: only an initiative in the portfolio and not paused.
// Planned: the milestone id (assigned by the server when missing) must be
// new. Achieved: the milestone exists and is not achieved. Slipped: the
// milestone exists, is not achieved, and the new date is after the
// current planned date.
func (d *decider) reportMilestone(c ReportMilestone) ([]Change, error) {
	ini, err := d.initiative(c.InitiativeID)
	if err != nil {
		return nil, err
	}
	if ini.Lifecycle == LifecyclePaused {
		return nil, Refuse("initiative %s is paused: it may report status but not milestones", ini.ID).
			WithNorsk("Tiltaket %s er midlertidig stanset: det kan rapportere status, men ikke milepæler.", ini.ID)
	}
	if err := ini.in("only an initiative in the portfolio reports milestones", "bare et tiltak i porteføljen rapporterer milepæler", LifecycleInPortfolio); err != nil {
		return nil, err
	}
	ref := ini.StateRef()
	if c.Status == MilestonePlannedStatus {
		if c.MilestoneID == "" {
			return nil, Errorf(KindInternal, "decide: a planned milestone without an id (AssignID first)")
		}
		if _, ok := ini.Milestone(c.MilestoneID); ok {
			return nil, Refuse("initiative %s already has milestone %s", ini.ID, c.MilestoneID).
				WithNorsk("Tiltaket %s har allerede milepælen %s.", ini.ID, c.MilestoneID)
		}
		return []Change{{ref, MilestonePlanned{
			InitiativeID: ini.ID, MilestoneID: c.MilestoneID, Title: c.Title, PlannedDate: c.PlannedDate,
		}}}, nil
	}
	m, ok := ini.Milestone(c.MilestoneID)
	if !ok {
		return nil, Refuse("initiative %s has no milestone %s", ini.ID, c.MilestoneID).
			WithNorsk("Tiltaket %s har ikke milepælen %s.", ini.ID, c.MilestoneID)
	}
	if m.Status == MilestoneAchievedStatus {
		return nil, Refuse("milestone %s was achieved on %s", m.ID, m.AchievedDate).
			WithNorsk("Milepælen %s ble nådd %s.", m.ID, dateNB(m.AchievedDate))
	}
	if c.Status == MilestoneAchievedStatus {
		return []Change{{ref, MilestoneAchieved{
			InitiativeID: ini.ID, MilestoneID: m.ID, AchievedDate: c.AchievedDate,
		}}}, nil
	}
	if c.NewPlannedDate <= m.PlannedDate {
		return nil, Refuse("milestone %s is planned for %s: a slip moves it later, not to %s",
			m.ID, m.PlannedDate, c.NewPlannedDate).
			WithNorsk("Milepælen %s er planlagt til %s: en forsinkelse flytter den til senere, ikke til %s.",
				m.ID, dateNB(m.PlannedDate), dateNB(c.NewPlannedDate))
	}
	return []Change{{ref, MilestoneSlipped{
		InitiativeID: ini.ID, MilestoneID: m.ID, PreviousPlannedDate: m.PlannedDate, NewPlannedDate: c.NewPlannedDate,
	}}}, nil
}

// pauseInitiative: only an initiative in the portfolio that is not paused.
func (d *decider) pauseInitiative(c PauseInitiative) ([]Change, error) {
	ini, err := d.initiative(c.InitiativeID)
	if err != nil {
		return nil, err
	}
	if ini.Lifecycle == LifecyclePaused {
		return nil, Refuse("initiative %s is already paused", ini.ID).
			WithNorsk("Tiltaket %s er allerede midlertidig stanset.", ini.ID)
	}
	if err := ini.in("only an initiative in the portfolio can be paused", "bare et tiltak i porteføljen kan stanses midlertidig", LifecycleInPortfolio); err != nil {
		return nil, err
	}
	return []Change{{ini.StateRef(), InitiativePaused(c)}}, nil
}

// resumeInitiative: only a paused initiative.
func (d *decider) resumeInitiative(c ResumeInitiative) ([]Change, error) {
	ini, err := d.initiative(c.InitiativeID)
	if err != nil {
		return nil, err
	}
	if err := ini.in("only a paused initiative can be resumed", "bare et midlertidig stanset tiltak kan gjenopptas", LifecyclePaused); err != nil {
		return nil, err
	}
	return []Change{{ini.StateRef(), InitiativeResumed(c)}}, nil
}

// closeInitiative: closing (sluttrapport) completes an initiative, so it
// needs an initiative in the portfolio, not paused (resume it first, or
// cancel it), in the rollout phase: the last phase gate leads to rollout,
// and closing moves rollout → closed. An initiative that stops earlier is
// cancelled instead.
func (d *decider) closeInitiative(c CloseInitiative) ([]Change, error) {
	ini, err := d.initiative(c.InitiativeID)
	if err != nil {
		return nil, err
	}
	if ini.Lifecycle == LifecyclePaused {
		return nil, Refuse("initiative %s is paused: resume it before closing it, or cancel it", ini.ID).
			WithNorsk("Tiltaket %s er midlertidig stanset: gjenoppta det før det avsluttes, eller avbryt det.", ini.ID)
	}
	if err := ini.in("only an initiative in the portfolio can be closed", "bare et tiltak i porteføljen kan avsluttes", LifecycleInPortfolio); err != nil {
		return nil, err
	}
	if ini.Phase != PhaseRollout {
		return nil, Refuse("initiative %s is in phase %s: only an initiative in rollout can be closed (cancel it to stop it earlier)",
			ini.ID, ini.Phase).
			WithNorsk("Tiltaket %s er i fasen %s: bare et tiltak i innføring kan avsluttes (avbryt det for å stanse det tidligere).",
				ini.ID, phaseNB(ini.Phase))
	}
	return []Change{{ini.StateRef(), InitiativeClosed(c)}}, nil
}

// cancelInitiative: an initiative in the portfolio, paused or not.
func (d *decider) cancelInitiative(c CancelInitiative) ([]Change, error) {
	ini, err := d.initiative(c.InitiativeID)
	if err != nil {
		return nil, err
	}
	if err := ini.in("only an initiative in the portfolio can be cancelled (a proposed one is withdrawn)", "bare et tiltak i porteføljen kan avbrytes (et tiltak som er meldt inn, trekkes)",
		LifecycleInPortfolio, LifecyclePaused); err != nil {
		return nil, err
	}
	return []Change{{ini.StateRef(), InitiativeCancelled(c)}}, nil
}
