package domain

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Every command's Validate checks it on its own, whatever the state:
// required fields, formats, enums and the rules between its fields. It returns a
// KindInvalid *Error whose Fields name every bad field by its JSON name
// (HTTP 422), or nil. Rules that need state are Decide's (HTTP 409).
//
//	err := ReportStatus{InitiativeID: id, ReportDate: "2026-03-01",
//		Overall: Yellow, Schedule: Green, Cost: Green, Benefit: Green}.Validate()
//	// err lists "comment": a yellow or red light needs a comment.

// Length limits of text fields, in characters (runes).
const (
	MaxTitleLen      = 300   // titles
	MaxNameLen       = 200   // owner organisation
	MaxUserGroupLen  = 100   // one user group
	MaxRefLen        = 100   // archive reference
	MaxTextLen       = 10000 // description, resolutions, reasons, reports, remarks
	MaxListLen       = 50    // sub-goals, user groups
	maxNOK           = 1_000_000_000_000_000
	plannedEndDetail = "must not be before plannedStart"
)

// text checks a free-text field: required or not, at most max characters,
// valid UTF-8, and no control characters (multiline text may contain line
// breaks and tabs).
func (v *Validation) text(field, value string, required bool, max int, multiline bool) {
	if strings.TrimSpace(value) == "" {
		if required {
			v.Add(field, "is required")
		}
		return
	}
	if !utf8.ValidString(value) {
		v.Add(field, "must be valid UTF-8")
		return
	}
	if n := utf8.RuneCountInString(value); n > max {
		v.Add(field, fmt.Sprintf("must be at most %d characters (is %d)", max, n))
		return
	}
	for _, r := range value {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\r' || r == '\t')) {
			v.Add(field, "must not contain control characters")
			return
		}
	}
}

// id checks an aggregate, milestone or event id: a ULID or a UUID.
func (v *Validation) id(field, value string, required bool) {
	if value == "" {
		if required {
			v.Add(field, "is required")
		}
		return
	}
	if !ValidID(value) {
		v.Add(field, "must be a ULID or a UUID")
	}
}

// code checks a goal or sub-goal code such as "M1" or "1A".
func (v *Validation) code(field, value string) {
	if value == "" {
		v.Add(field, "is required")
		return
	}
	if !IsCode(value) {
		v.Add(field, fmt.Sprintf("must be a short code such as \"M1\" or \"1A\" (letters, digits, '.', '-', '_'; at most %d)", MaxCodeLen))
	}
}

// date checks a YYYY-MM-DD date and reports whether it is a valid one.
func (v *Validation) date(field string, d Date, required bool) bool {
	if d == "" {
		if required {
			v.Add(field, "is required")
		}
		return false
	}
	if !d.Valid() {
		v.Add(field, "must be a date YYYY-MM-DD")
		return false
	}
	if y := d.Year(); y < MinYear || y > MaxYear {
		v.Add(field, fmt.Sprintf("must be a date between %d and %d", MinYear, MaxYear))
		return false
	}
	return true
}

// forbid reports a field that must be empty in this command's form.
func (v *Validation) forbid(field string, present bool, why string) {
	if present {
		v.Add(field, "must not be given "+why)
	}
}

func (v *Validation) forum(field string, f Forum) {
	switch {
	case f == "":
		v.Add(field, "is required")
	case !f.Valid():
		v.Add(field, "must be NUFA, NUIT or EHR")
	}
}

func (v *Validation) rag(field string, r RAG) {
	switch {
	case r == "":
		v.Add(field, "is required")
	case !r.Valid():
		v.Add(field, "must be green, yellow or red")
	}
}

// Validate checks goalId ("M1"), strategy ("2023-2030") and title.
func (c DefineStrategicGoal) Validate() error {
	var v Validation
	v.code("goalId", c.GoalID)
	switch {
	case c.Strategy == "":
		v.Add("strategy", "is required")
	case !IsStrategyPeriod(c.Strategy):
		v.Add("strategy", "must be a period YYYY-YYYY such as \"2023-2030\"")
	}
	v.text("title", c.Title, true, MaxTitleLen, false)
	return v.Err()
}

// Validate checks subGoalId ("1A"), goalId and title.
func (c DefineSubGoal) Validate() error {
	var v Validation
	v.code("subGoalId", c.SubGoalID)
	v.code("goalId", c.GoalID)
	v.text("title", c.Title, true, MaxTitleLen, false)
	return v.Err()
}

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

// Validate checks initiativeId and reason.
func (c WithdrawInitiative) Validate() error {
	return reasoned(c.InitiativeID, "reason", c.Reason)
}

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

// Validate checks initiativeId and reason.
func (c PauseInitiative) Validate() error { return reasoned(c.InitiativeID, "reason", c.Reason) }

// Validate checks initiativeId and reason.
func (c ResumeInitiative) Validate() error { return reasoned(c.InitiativeID, "reason", c.Reason) }

// Validate checks initiativeId and finalReport.
func (c CloseInitiative) Validate() error {
	return reasoned(c.InitiativeID, "finalReport", c.FinalReport)
}

// Validate checks initiativeId and reason.
func (c CancelInitiative) Validate() error { return reasoned(c.InitiativeID, "reason", c.Reason) }

// reasoned validates the initiative commands that are an id and one text.
func reasoned(initiativeID, field, text string) error {
	var v Validation
	v.id("initiativeId", initiativeID, true)
	v.text(field, text, true, MaxTextLen, true)
	return v.Err()
}

// Validate checks meetingId (optional), forum and date.
func (c ScheduleMeeting) Validate() error {
	var v Validation
	v.id("meetingId", c.MeetingID, false)
	v.forum("forum", c.Forum)
	v.date("date", c.Date, true)
	return v.Err()
}

// Validate checks meetingId.
func (c HoldMeeting) Validate() error {
	var v Validation
	v.id("meetingId", c.MeetingID, true)
	return v.Err()
}

// Validate checks the case: forum, title, caseType, purpose and
// proposedResolution are required; admission needs initiativeId;
// phase_gate needs initiativeId and a targetPhase (planning, execution or
// rollout; closing is CloseInitiative); targetPhase is refused for other
// purposes.
func (c RegisterCase) Validate() error {
	var v Validation
	v.id("caseId", c.CaseID, false)
	v.forum("forum", c.Forum)
	v.text("title", c.Title, true, MaxTitleLen, false)
	switch {
	case c.CaseType == "":
		v.Add("caseType", "is required")
	case !c.CaseType.Valid():
		v.Add("caseType", "must be approval, discussion or information")
	}
	switch {
	case c.Purpose == "":
		v.Add("purpose", "is required")
	case !c.Purpose.Valid():
		v.Add("purpose", "must be admission, phase_gate, prioritisation or other")
	}
	needsInitiative := c.Purpose == PurposeAdmission || c.Purpose == PurposePhaseGate
	v.id("initiativeId", c.InitiativeID, needsInitiative)
	if c.Purpose == PurposePhaseGate {
		switch c.TargetPhase {
		case "":
			v.Add("targetPhase", "is required for a phase_gate case")
		case PhasePlanning, PhaseExecution, PhaseRollout:
		default:
			v.Add("targetPhase", "must be planning, execution or rollout (an initiative is closed by CloseInitiative)")
		}
	} else {
		v.forbid("targetPhase", c.TargetPhase != "", "unless purpose is phase_gate")
	}
	v.text("proposedResolution", c.ProposedResolution, true, MaxTextLen, true)
	v.text("archiveRef", c.ArchiveRef, false, MaxRefLen, false)
	return v.Err()
}

// Validate checks caseId and meetingId.
func (c PlaceCaseOnAgenda) Validate() error { return council(c.CaseID, c.MeetingID, nil) }

// Validate checks caseId, meetingId and remarks.
func (c NoteCase) Validate() error {
	return council(c.CaseID, c.MeetingID, func(v *Validation) {
		v.text("remarks", c.Remarks, false, MaxTextLen, true)
	})
}

// Validate checks caseId, meetingId and remarks.
func (c DiscussCase) Validate() error {
	return council(c.CaseID, c.MeetingID, func(v *Validation) {
		v.text("remarks", c.Remarks, false, MaxTextLen, true)
	})
}

// Validate checks caseId, meetingId, resolution and conditions.
func (c RecommendInCouncil) Validate() error {
	return council(c.CaseID, c.MeetingID, func(v *Validation) {
		v.text("resolution", c.Resolution, true, MaxTextLen, true)
		v.text("conditions", c.Conditions, false, MaxTextLen, true)
	})
}

// Validate checks caseId, meetingId and resolution.
func (c ApproveInCouncil) Validate() error {
	return council(c.CaseID, c.MeetingID, func(v *Validation) {
		v.text("resolution", c.Resolution, true, MaxTextLen, true)
	})
}

// Validate checks caseId, meetingId and resolution.
func (c RejectInCouncil) Validate() error {
	return council(c.CaseID, c.MeetingID, func(v *Validation) {
		v.text("resolution", c.Resolution, true, MaxTextLen, true)
	})
}

// Validate checks caseId, meetingId and reason.
func (c DeferCase) Validate() error {
	return council(c.CaseID, c.MeetingID, func(v *Validation) {
		v.text("reason", c.Reason, true, MaxTextLen, true)
	})
}

// council validates the commands that name a case and a meeting.
func council(caseID, meetingID string, more func(*Validation)) error {
	var v Validation
	v.id("caseId", caseID, true)
	v.id("meetingId", meetingID, true)
	if more != nil {
		more(&v)
	}
	return v.Err()
}

// Validate checks caseId, correctsEventId (an event id), reason and
// resolution (the corrected text).
func (c CorrectDecision) Validate() error {
	var v Validation
	v.id("caseId", c.CaseID, true)
	v.id("correctsEventId", c.CorrectsEventID, true)
	v.text("reason", c.Reason, true, MaxTextLen, true)
	v.text("resolution", c.Resolution, true, MaxTextLen, true)
	return v.Err()
}
