package domain

import (
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
		(*decider).reportStatus),
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
				Benefit: e.Benefit, Comment: e.Comment, ReportedAt: r.Time, ReportedBy: r.Actor,
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
// says what was refused.
func (s *InitiativeState) in(doing string, allowed ...Lifecycle) error {
	if slices.Contains(allowed, s.Lifecycle) {
		return nil
	}
	return Refuse("initiative %s is %s: %s", s.ID, lifecycleText(s.Lifecycle), doing)
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
		return nil, Refuse("sub-goal %s is not in the strategy catalogue", c.PrimarySubGoal)
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
		return nil, Refuse("sub-goals %s are not in the strategy catalogue", strings.Join(unknown, ", "))
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
	if err := ini.in("only a proposed initiative can be withdrawn", LifecycleProposed); err != nil {
		return nil, err
	}
	return []Change{{ini.StateRef(), InitiativeWithdrawn(c)}}, nil
}

// reportStatus: an initiative in the portfolio (paused too) reports; a
// report is not dated before the previous one (the same date is allowed).
func (d *decider) reportStatus(c ReportStatus) ([]Change, error) {
	ini, err := d.initiative(c.InitiativeID)
	if err != nil {
		return nil, err
	}
	if err := ini.in("only an initiative in the portfolio reports status", LifecycleInPortfolio, LifecyclePaused); err != nil {
		return nil, err
	}
	if last := ini.LastStatus; last != nil && c.ReportDate < last.ReportDate {
		return nil, Refuse("initiative %s: a status report dated %s cannot come after the one dated %s",
			ini.ID, c.ReportDate, last.ReportDate)
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
		return nil, Refuse("initiative %s is paused: it may report status but not milestones", ini.ID)
	}
	if err := ini.in("only an initiative in the portfolio reports milestones", LifecycleInPortfolio); err != nil {
		return nil, err
	}
	ref := ini.StateRef()
	if c.Status == MilestonePlannedStatus {
		if c.MilestoneID == "" {
			return nil, Errorf(KindInternal, "decide: a planned milestone without an id (AssignID first)")
		}
		if _, ok := ini.Milestone(c.MilestoneID); ok {
			return nil, Refuse("initiative %s already has milestone %s", ini.ID, c.MilestoneID)
		}
		return []Change{{ref, MilestonePlanned{
			InitiativeID: ini.ID, MilestoneID: c.MilestoneID, Title: c.Title, PlannedDate: c.PlannedDate,
		}}}, nil
	}
	m, ok := ini.Milestone(c.MilestoneID)
	if !ok {
		return nil, Refuse("initiative %s has no milestone %s", ini.ID, c.MilestoneID)
	}
	if m.Status == MilestoneAchievedStatus {
		return nil, Refuse("milestone %s was achieved on %s", m.ID, m.AchievedDate)
	}
	if c.Status == MilestoneAchievedStatus {
		return []Change{{ref, MilestoneAchieved{
			InitiativeID: ini.ID, MilestoneID: m.ID, AchievedDate: c.AchievedDate,
		}}}, nil
	}
	if c.NewPlannedDate <= m.PlannedDate {
		return nil, Refuse("milestone %s is planned for %s: a slip moves it later, not to %s",
			m.ID, m.PlannedDate, c.NewPlannedDate)
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
		return nil, Refuse("initiative %s is already paused", ini.ID)
	}
	if err := ini.in("only an initiative in the portfolio can be paused", LifecycleInPortfolio); err != nil {
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
	if err := ini.in("only a paused initiative can be resumed", LifecyclePaused); err != nil {
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
		return nil, Refuse("initiative %s is paused: resume it before closing it, or cancel it", ini.ID)
	}
	if err := ini.in("only an initiative in the portfolio can be closed", LifecycleInPortfolio); err != nil {
		return nil, err
	}
	if ini.Phase != PhaseRollout {
		return nil, Refuse("initiative %s is in phase %s: only an initiative in rollout can be closed (cancel it to stop it earlier)",
			ini.ID, ini.Phase)
	}
	return []Change{{ini.StateRef(), InitiativeClosed(c)}}, nil
}

// cancelInitiative: an initiative in the portfolio, paused or not.
func (d *decider) cancelInitiative(c CancelInitiative) ([]Change, error) {
	ini, err := d.initiative(c.InitiativeID)
	if err != nil {
		return nil, err
	}
	if err := ini.in("only an initiative in the portfolio can be cancelled (a proposed one is withdrawn)",
		LifecycleInPortfolio, LifecyclePaused); err != nil {
		return nil, err
	}
	return []Change{{ini.StateRef(), InitiativeCancelled(c)}}, nil
}
