package domain

import (
	"fmt"
	"slices"
	"time"
)

// AggregateType names a kind of aggregate; it is a token of the event subject.
type AggregateType string

// Aggregate types.
const (
	Strategy   AggregateType = "strategy"
	Initiative AggregateType = "initiative"
	Meeting    AggregateType = "meeting"
	Case       AggregateType = "case"
	Series     AggregateType = "series"

	Consultation AggregateType = "consultation"
)

// AggregateTypes lists every aggregate type.
var AggregateTypes = []AggregateType{Strategy, Initiative, Meeting, Case, Series, Indicator, Round, Dependency,
	Consultation,
}

// StrategyCatalogID is the id of the single strategy aggregate that holds
// every strategy period's goals and sub-goals.
const StrategyCatalogID = "national"

// Ref names one aggregate.
type Ref struct {
	Type AggregateType
	ID   string
}

func (r Ref) String() string { return string(r.Type) + "/" + r.ID }

// SeriesRef is the numbering series of a forum and year.
func SeriesRef(forum Forum, year int) Ref {
	return Ref{Series, fmt.Sprintf("%s-%d", forum, year)}
}

// Forum is a council forum.
type Forum string

// The three forums of the council model.
const (
	NUFA Forum = "NUFA" // Nasjonalt fagutvalg
	NUIT Forum = "NUIT" // Nasjonalt utvalg for IT-prioritering
	EHR  Forum = "EHR"  // Nasjonalt e-helseråd
)

// Valid reports whether f is one of the three forums.
func (f Forum) Valid() bool { return f == NUFA || f == NUIT || f == EHR }

// Phase is an initiative's phase. Phases are ordered.
type Phase string

// Phases in order.
const (
	PhaseConcept   Phase = "concept"
	PhasePlanning  Phase = "planning"
	PhaseExecution Phase = "execution"
	PhaseRollout   Phase = "rollout"
	PhaseClosed    Phase = "closed"
)

// Phases lists the phases in order.
var Phases = []Phase{PhaseConcept, PhasePlanning, PhaseExecution, PhaseRollout, PhaseClosed}

// Index is the phase's position in Phases, or -1.
func (p Phase) Index() int {
	for i, q := range Phases {
		if p == q {
			return i
		}
	}
	return -1
}

// Valid reports whether p is a known phase.
func (p Phase) Valid() bool { return p.Index() >= 0 }

// Lifecycle is where an initiative stands in the portfolio.
type Lifecycle string

// Lifecycle states.
const (
	LifecycleProposed    Lifecycle = "proposed"
	LifecycleInPortfolio Lifecycle = "in_portfolio"
	LifecyclePaused      Lifecycle = "paused"
	LifecycleRejected    Lifecycle = "rejected"
	LifecycleWithdrawn   Lifecycle = "withdrawn"
	LifecycleClosed      Lifecycle = "closed"
	LifecycleCancelled   Lifecycle = "cancelled"
)

// RAG is a traffic light.
type RAG string

// Traffic lights.
const (
	Green  RAG = "green"
	Yellow RAG = "yellow"
	Red    RAG = "red"
)

// RAGs lists the traffic lights.
var RAGs = []RAG{Green, Yellow, Red}

// Valid reports whether r is green, yellow or red.
func (r RAG) Valid() bool { return slices.Contains(RAGs, r) }

// CaseType is a case's type (sakstype).
type CaseType string

// Case types.
const (
	CaseApproval    CaseType = "approval"
	CaseDiscussion  CaseType = "discussion"
	CaseInformation CaseType = "information"
)

// CaseTypes lists the case types.
var CaseTypes = []CaseType{CaseApproval, CaseDiscussion, CaseInformation}

// Purpose is what a case is for.
type Purpose string

// Case purposes.
const (
	PurposeAdmission      Purpose = "admission"
	PurposePhaseGate      Purpose = "phase_gate"
	PurposePrioritisation Purpose = "prioritisation"
	PurposeOther          Purpose = "other"
)

// Purposes lists the case purposes.
var Purposes = []Purpose{PurposeAdmission, PurposePhaseGate, PurposePrioritisation, PurposeOther}

// Outcome is what a forum recorded for a case at a meeting.
type Outcome string

// Outcomes.
const (
	OutcomeNoted       Outcome = "noted"
	OutcomeDiscussed   Outcome = "discussed"
	OutcomeRecommended Outcome = "recommended"
	OutcomeApproved    Outcome = "approved"
	OutcomeRejected    Outcome = "rejected"
	OutcomeDeferred    Outcome = "deferred"
)

// Outcomes lists the outcomes.
var Outcomes = []Outcome{OutcomeNoted, OutcomeDiscussed, OutcomeRecommended, OutcomeApproved, OutcomeRejected, OutcomeDeferred}

// MilestoneStatus is a milestone's status.
type MilestoneStatus string

// Milestone statuses.
const (
	MilestonePlannedStatus  MilestoneStatus = "planned"
	MilestoneAchievedStatus MilestoneStatus = "achieved"
	MilestoneSlippedStatus  MilestoneStatus = "slipped"
)

// MilestoneStatuses lists the milestone statuses.
var MilestoneStatuses = []MilestoneStatus{MilestonePlannedStatus, MilestoneAchievedStatus, MilestoneSlippedStatus}

// Date is a calendar date, YYYY-MM-DD. The zero value is the empty string.
// Dates compare correctly as strings once valid.
type Date string

// DateOf returns t's date in UTC.
func DateOf(t time.Time) Date { return Date(t.UTC().Format(time.DateOnly)) }

// Valid reports whether d is a real YYYY-MM-DD date.
func (d Date) Valid() bool {
	t, err := time.Parse(time.DateOnly, string(d))
	return err == nil && t.Format(time.DateOnly) == string(d)
}

// Year returns the date's year, or 0 if invalid.
func (d Date) Year() int {
	t, err := time.Parse(time.DateOnly, string(d))
	if err != nil {
		return 0
	}
	return t.Year()
}

// Time returns the date as midnight UTC.
func (d Date) Time() time.Time {
	t, _ := time.Parse(time.DateOnly, string(d))
	return t
}

// Forums lists the forums in forwarding order: a case moves from NUFA to
// NUIT to EHR, never backwards.
var Forums = []Forum{NUFA, NUIT, EHR}

// Index is the forum's position in the forwarding order, or -1.
func (f Forum) Index() int {
	for i, g := range Forums {
		if f == g {
			return i
		}
	}
	return -1
}

// forumOutcomes is what each forum may record (DOMAIN.md, the council model).
var forumOutcomes = map[Forum][]Outcome{
	NUFA: {OutcomeNoted, OutcomeDiscussed, OutcomeRecommended},
	NUIT: {OutcomeNoted, OutcomeDiscussed, OutcomeRecommended, OutcomeRejected, OutcomeDeferred},
	EHR:  {OutcomeNoted, OutcomeDiscussed, OutcomeApproved, OutcomeRejected, OutcomeDeferred},
}

// Outcomes lists the outcomes the forum may record: NUFA notes, discusses
// and recommends (advice); NUIT also defers and rejects ("not supported"),
// and its recommendation with conditions is "conditionally supported"; EHR
// notes, discusses, approves, rejects and defers.
func (f Forum) Outcomes() []Outcome {
	return append([]Outcome(nil), forumOutcomes[f]...)
}

// MayRecord reports whether the forum may record outcome o.
func (f Forum) MayRecord(o Outcome) bool {
	for _, p := range forumOutcomes[f] {
		if p == o {
			return true
		}
	}
	return false
}

// Next is the phase after p, and false for closed or an unknown phase.
//
//	PhaseConcept.Next() // PhasePlanning, true
func (p Phase) Next() (Phase, bool) {
	i := p.Index()
	if i < 0 || i+1 >= len(Phases) {
		return "", false
	}
	return Phases[i+1], true
}

// Valid reports whether l is a known lifecycle state.
func (l Lifecycle) Valid() bool {
	switch l {
	case LifecycleProposed, LifecycleInPortfolio, LifecyclePaused, LifecycleRejected,
		LifecycleWithdrawn, LifecycleClosed, LifecycleCancelled:
		return true
	}
	return false
}

// Final reports whether nothing can happen to an initiative any more.
func (l Lifecycle) Final() bool {
	switch l {
	case LifecycleRejected, LifecycleWithdrawn, LifecycleClosed, LifecycleCancelled:
		return true
	}
	return false
}

// Valid reports whether t is a known case type.
func (t CaseType) Valid() bool { return slices.Contains(CaseTypes, t) }

// Valid reports whether p is a known case purpose.
func (p Purpose) Valid() bool { return slices.Contains(Purposes, p) }

// Valid reports whether o is a known outcome.
func (o Outcome) Valid() bool { return slices.Contains(Outcomes, o) }

// Valid reports whether s is planned, achieved or slipped.
func (s MilestoneStatus) Valid() bool { return slices.Contains(MilestoneStatuses, s) }
