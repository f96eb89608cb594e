package domain

import (
	"slices"
	"strings"
	"time"
)

// CaseState is one council case (sak) as folded from its events.
type CaseState struct {
	ID      string `json:"id"`
	Version uint64 `json:"version"`
	// Forum is where the case was registered; it may be forwarded to later
	// forums (NUFA → NUIT → EHR).
	Forum              Forum    `json:"forum"`
	Title              string   `json:"title"`
	CaseType           CaseType `json:"caseType"`
	Purpose            Purpose  `json:"purpose"`
	InitiativeID       string   `json:"initiativeId,omitempty"`
	TargetPhase        Phase    `json:"targetPhase,omitempty"`
	ProposedResolution string   `json:"proposedResolution"`
	ArchiveRef         string   `json:"archiveRef,omitempty"`
	// Placements lists the agendas the case was put on, in order.
	Placements []CasePlacement `json:"placements"`
	// Decisions lists every decision recorded for the case, in order.
	Decisions []CaseDecision `json:"decisions"`
	// Corrections lists every DecisionCorrected, in order.
	Corrections []DecisionCorrection `json:"corrections"`
	// NUITStance is NUIT's latest position: recommended (also with
	// conditions), rejected ("not supported"), or empty.
	NUITStance Outcome `json:"nuitStance,omitempty"`
	// NUITRecommended: NUIT's latest position is a recommendation, so EHR
	// may approve.
	NUITRecommended bool `json:"nuitRecommended"`
	// Approved: EHR approved the case. Final.
	Approved bool `json:"approved"`
	// Rejected: EHR rejected the case. Final. (NUIT's "not supported" is
	// not final: see NUITStance.)
	Rejected  bool      `json:"rejected"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// CasePlacement is the case on one meeting's agenda, with its forum case
// number there.
type CasePlacement struct {
	MeetingID    string `json:"meetingId"`
	Forum        Forum  `json:"forum"` // the meeting's forum
	MeetingLabel string `json:"meetingLabel"`
	MeetingDate  Date   `json:"meetingDate"`
	Year         int    `json:"year"`
	Number       int    `json:"number"`
	CaseNumber   string `json:"caseNumber"` // "15/26"
	// SentBack: EHR sent the case back to NUIT with this placement.
	SentBack bool      `json:"sentBack,omitempty"`
	PlacedAt time.Time `json:"placedAt"`
}

// CaseDecision is one recorded decision (CaseNoted, CaseDiscussed,
// CaseRecommended, CaseApproved, CaseRejected or CaseDeferred).
type CaseDecision struct {
	EventID      string    `json:"eventId"`
	Type         string    `json:"type"` // the event type
	Outcome      Outcome   `json:"outcome"`
	Forum        Forum     `json:"forum"`
	MeetingID    string    `json:"meetingId"`
	MeetingLabel string    `json:"meetingLabel"`
	MeetingDate  Date      `json:"meetingDate"`
	CaseNumber   string    `json:"caseNumber"`
	Resolution   string    `json:"resolution,omitempty"`
	Conditions   string    `json:"conditions,omitempty"`
	Remarks      string    `json:"remarks,omitempty"`
	Reason       string    `json:"reason,omitempty"`
	RecordedAt   time.Time `json:"recordedAt"`
	// CorrectedBy lists the ids of the DecisionCorrected events that
	// correct this decision.
	CorrectedBy []string `json:"correctedBy"`
}

// DecisionCorrection is one correction of a decision.
type DecisionCorrection struct {
	EventID         string    `json:"eventId"`
	CorrectsEventID string    `json:"correctsEventId"`
	CorrectedType   string    `json:"correctedType"`
	Forum           Forum     `json:"forum"`
	MeetingID       string    `json:"meetingId"`
	Reason          string    `json:"reason"`
	Resolution      string    `json:"resolution"`
	RecordedAt      time.Time `json:"recordedAt"`
}

// StateRef implements State.
func (s *CaseState) StateRef() Ref { return Ref{Case, s.ID} }

// StateVersion implements State.
func (s *CaseState) StateVersion() uint64 { return s.Version }

// Final reports whether the case was finally decided: approved or
// rejected by EHR. Nothing more is decided then (corrections excepted).
func (s *CaseState) Final() bool { return s.Approved || s.Rejected }

// Placement returns the case's placement on a meeting's agenda.
func (s *CaseState) Placement(meetingID string) (CasePlacement, bool) {
	for _, p := range s.Placements {
		if p.MeetingID == meetingID {
			return p, true
		}
	}
	return CasePlacement{}, false
}

// Decision returns the decision recorded by the event with the id.
func (s *CaseState) Decision(eventID string) (CaseDecision, bool) {
	if i := s.decision(eventID); i >= 0 {
		return s.Decisions[i], true
	}
	return CaseDecision{}, false
}

func (s *CaseState) decision(eventID string) int {
	if eventID == "" {
		return -1
	}
	return slices.IndexFunc(s.Decisions, func(d CaseDecision) bool { return d.EventID == eventID })
}

// furthestForum is the latest forum in the forwarding order the case has
// reached: its own, or that of a meeting it was placed on.
func (s *CaseState) furthestForum() Forum {
	f := s.Forum
	for _, p := range s.Placements {
		if p.Forum.Index() > f.Index() {
			f = p.Forum
		}
	}
	return f
}

// councilDecision is a council decision event: CaseNoted, CaseDiscussed,
// CaseRecommended, CaseApproved, CaseRejected or CaseDeferred.
type councilDecision interface {
	Event
	decided() (Decision, Outcome)
}

// DecisionOf returns the shared part and the outcome of a council decision
// event (CaseNoted, CaseDiscussed, CaseRecommended, CaseApproved,
// CaseRejected, CaseDeferred; value or pointer), and false for any other
// event.
func DecisionOf(e Event) (Decision, Outcome, bool) {
	_, v, ok := eventOf(e)
	if !ok {
		return Decision{}, "", false
	}
	d, ok := v.(councilDecision)
	if !ok {
		return Decision{}, "", false
	}
	dec, outcome := d.decided()
	return dec, outcome, true
}

// mayGoBackToNUIT reports whether the case may be sent back to a NUIT
// agenda: it reached EHR (it was placed there or registered there), and
// either NUIT has not recommended it, so EHR cannot approve it, or EHR's
// latest decision on it deferred it. Without this the case would have no
// way to an approval.
func (s *CaseState) mayGoBackToNUIT() bool {
	if s.furthestForum() != EHR {
		return false
	}
	if !s.NUITRecommended {
		return true
	}
	for i := len(s.Decisions) - 1; i >= 0; i-- {
		if d := s.Decisions[i]; d.Forum == EHR {
			return d.Outcome == OutcomeDeferred
		}
	}
	return false
}

// ---- commands ----

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

func (RegisterCase) CommandName() string { return "RegisterCase" }

func (c *RegisterCase) AssignID(id string) { c.CaseID = id }

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

// PlaceCaseOnAgenda puts a case on a meeting's agenda (sakskart) and gives it
// the next forum case number nn/YY of the meeting's forum and year. A case
// that reached EHR without NUIT's recommendation, or that EHR deferred, may
// be placed on a NUIT agenda again: it is sent back.
type PlaceCaseOnAgenda struct {
	CaseID    string `json:"caseId"`
	MeetingID string `json:"meetingId"`
}

func (PlaceCaseOnAgenda) CommandName() string { return "PlaceCaseOnAgenda" }

// Validate checks caseId and meetingId.
func (c PlaceCaseOnAgenda) Validate() error { return council(c.CaseID, c.MeetingID, nil) }

// NoteCase records that a forum took a case to note (tatt til orientering).
type NoteCase struct {
	CaseID    string `json:"caseId"`
	MeetingID string `json:"meetingId"`
	Remarks   string `json:"remarks,omitempty"`
}

func (NoteCase) CommandName() string { return "NoteCase" }

// Validate checks caseId, meetingId and remarks.
func (c NoteCase) Validate() error {
	return council(c.CaseID, c.MeetingID, func(v *Validation) {
		v.text("remarks", c.Remarks, false, MaxTextLen, true)
	})
}

// DiscussCase records that a forum discussed a case (drøftet). An addition
// to the contract's command list.
type DiscussCase struct {
	CaseID    string `json:"caseId"`
	MeetingID string `json:"meetingId"`
	Remarks   string `json:"remarks,omitempty"`
}

func (DiscussCase) CommandName() string { return "DiscussCase" }

// Validate checks caseId, meetingId and remarks.
func (c DiscussCase) Validate() error {
	return council(c.CaseID, c.MeetingID, func(v *Validation) {
		v.text("remarks", c.Remarks, false, MaxTextLen, true)
	})
}

// RecommendInCouncil records a forum's recommendation (innstilling); with
// conditions it is NUIT's "conditionally supported".
type RecommendInCouncil struct {
	CaseID     string `json:"caseId"`
	MeetingID  string `json:"meetingId"`
	Resolution string `json:"resolution"`
	Conditions string `json:"conditions,omitempty"`
}

func (RecommendInCouncil) CommandName() string { return "RecommendInCouncil" }

// Validate checks caseId, meetingId, resolution and conditions.
func (c RecommendInCouncil) Validate() error {
	return council(c.CaseID, c.MeetingID, func(v *Validation) {
		v.text("resolution", c.Resolution, true, MaxTextLen, true)
		v.text("conditions", c.Conditions, false, MaxTextLen, true)
	})
}

// ApproveInCouncil records EHR's approval (tilslutning). On an admission
// case it also admits the initiative; on a phase_gate case it moves the
// initiative's phase.
type ApproveInCouncil struct {
	CaseID     string `json:"caseId"`
	MeetingID  string `json:"meetingId"`
	Resolution string `json:"resolution"`
}

func (ApproveInCouncil) CommandName() string { return "ApproveInCouncil" }

// Validate checks caseId, meetingId and resolution.
func (c ApproveInCouncil) Validate() error {
	return council(c.CaseID, c.MeetingID, func(v *Validation) {
		v.text("resolution", c.Resolution, true, MaxTextLen, true)
	})
}

// RejectInCouncil records EHR's rejection or NUIT's "not supported". On an
// admission case EHR's rejection also rejects the initiative.
type RejectInCouncil struct {
	CaseID     string `json:"caseId"`
	MeetingID  string `json:"meetingId"`
	Resolution string `json:"resolution"`
}

func (RejectInCouncil) CommandName() string { return "RejectInCouncil" }

// Validate checks caseId, meetingId and resolution.
func (c RejectInCouncil) Validate() error {
	return council(c.CaseID, c.MeetingID, func(v *Validation) {
		v.text("resolution", c.Resolution, true, MaxTextLen, true)
	})
}

// DeferCase records that a forum deferred a case.
type DeferCase struct {
	CaseID    string `json:"caseId"`
	MeetingID string `json:"meetingId"`
	Reason    string `json:"reason"`
}

func (DeferCase) CommandName() string { return "DeferCase" }

// Validate checks caseId, meetingId and reason.
func (c DeferCase) Validate() error {
	return council(c.CaseID, c.MeetingID, func(v *Validation) {
		v.text("reason", c.Reason, true, MaxTextLen, true)
	})
}

// CorrectDecision corrects a recorded decision by naming its event.
type CorrectDecision struct {
	CaseID string `json:"caseId"`
	// The id of the decision event corrected.
	CorrectsEventID string `json:"correctsEventId"`
	Reason          string `json:"reason"`
	Resolution      string `json:"resolution"`
}

func (CorrectDecision) CommandName() string { return "CorrectDecision" }

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

// ---- events ----

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

func (CaseRegistered) EventType() string { return "CaseRegistered" }

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

func (CasePlacedOnAgenda) EventType() string { return "CasePlacedOnAgenda" }

// CaseNoted: the forum took the case to note (tatt til orientering).
type CaseNoted struct {
	Decision
	// The forum's remarks; absent when none.
	Remarks string `json:"remarks,omitempty"`
}

func (CaseNoted) EventType() string { return "CaseNoted" }

// decided is the shared part and the outcome of a council decision event.
func (e CaseNoted) decided() (Decision, Outcome) { return e.Decision, OutcomeNoted }

// CaseDiscussed: the forum discussed the case (drøftet). An addition to the
// contract.
type CaseDiscussed struct {
	Decision
	// The forum's remarks; absent when none.
	Remarks string `json:"remarks,omitempty"`
}

func (CaseDiscussed) EventType() string { return "CaseDiscussed" }

func (e CaseDiscussed) decided() (Decision, Outcome) { return e.Decision, OutcomeDiscussed }

// CaseRecommended: the forum recommended the case (innstilling, or advice
// from NUFA).
type CaseRecommended struct {
	Decision
	// The forum's resolution.
	Resolution string `json:"resolution"`
	// Conditions attached to the recommendation; absent when none.
	Conditions string `json:"conditions,omitempty"`
}

func (CaseRecommended) EventType() string { return "CaseRecommended" }

func (e CaseRecommended) decided() (Decision, Outcome) { return e.Decision, OutcomeRecommended }

// CaseApproved: EHR approved the case (tilslutning).
type CaseApproved struct {
	Decision
	// EHR's resolution (vedtak).
	Resolution string `json:"resolution"`
}

func (CaseApproved) EventType() string { return "CaseApproved" }

func (e CaseApproved) decided() (Decision, Outcome) { return e.Decision, OutcomeApproved }

// CaseRejected: EHR rejected the case, or NUIT did not support it.
type CaseRejected struct {
	Decision
	// The forum's resolution.
	Resolution string `json:"resolution"`
}

func (CaseRejected) EventType() string { return "CaseRejected" }

func (e CaseRejected) decided() (Decision, Outcome) { return e.Decision, OutcomeRejected }

// CaseDeferred: the forum deferred the case (utsatt).
type CaseDeferred struct {
	Decision
	// Why it was deferred.
	Reason string `json:"reason"`
}

func (CaseDeferred) EventType() string { return "CaseDeferred" }

func (e CaseDeferred) decided() (Decision, Outcome) { return e.Decision, OutcomeDeferred }

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

func (DecisionCorrected) EventType() string { return "DecisionCorrected" }

// ---- registry ----

var caseAggregate = &aggregateDef[CaseState, *CaseState]{
	typ:     Case,
	empty:   func(id string) *CaseState { return &CaseState{ID: id} },
	created: true,
	stamp:   func(n *CaseState, r Recorded) { n.Version, n.UpdatedAt = r.Version, r.Time },
}

func caseTarget(id string) Ref { return Ref{Case, id} }

// atMeeting: a council command needs the meeting it names.
func atMeeting(id string) []Ref { return []Ref{{Meeting, id}} }

var caseCommands = []commandEntry{
	command(Case, Secretariat, func(c RegisterCase) Ref { return caseTarget(c.CaseID) }, (*decider).registerCase).
		needing(func(c RegisterCase, _ map[Ref]State) []Ref {
			if c.InitiativeID == "" {
				return nil
			}
			return []Ref{{Initiative, c.InitiativeID}}
		}),
	command(Case, Secretariat, func(c PlaceCaseOnAgenda) Ref { return caseTarget(c.CaseID) }, (*decider).placeCaseOnAgenda).
		needing(func(c PlaceCaseOnAgenda, have map[Ref]State) []Ref {
			m := Ref{Meeting, c.MeetingID}
			if ms, ok := have[m].(*MeetingState); ok && ms != nil && ms.Version > 0 {
				return []Ref{m, SeriesRef(ms.Forum, ms.Year)}
			}
			return []Ref{m}
		}),
	command(Case, Secretariat, func(c NoteCase) Ref { return caseTarget(c.CaseID) }, (*decider).noteCase).
		needing(func(c NoteCase, _ map[Ref]State) []Ref { return atMeeting(c.MeetingID) }),
	command(Case, Secretariat, func(c DiscussCase) Ref { return caseTarget(c.CaseID) }, (*decider).discussCase).
		needing(func(c DiscussCase, _ map[Ref]State) []Ref { return atMeeting(c.MeetingID) }),
	command(Case, Secretariat, func(c RecommendInCouncil) Ref { return caseTarget(c.CaseID) }, (*decider).recommendInCouncil).
		needing(func(c RecommendInCouncil, _ map[Ref]State) []Ref { return atMeeting(c.MeetingID) }),
	command(Case, Secretariat, func(c ApproveInCouncil) Ref { return caseTarget(c.CaseID) }, (*decider).approveInCouncil).
		needing(func(c ApproveInCouncil, have map[Ref]State) []Ref {
			return append(atMeeting(c.MeetingID), gateInitiative(caseTarget(c.CaseID), have)...)
		}),
	command(Case, Secretariat, func(c RejectInCouncil) Ref { return caseTarget(c.CaseID) }, (*decider).rejectInCouncil).
		needing(func(c RejectInCouncil, have map[Ref]State) []Ref {
			return append(atMeeting(c.MeetingID), gateInitiative(caseTarget(c.CaseID), have)...)
		}),
	command(Case, Secretariat, func(c DeferCase) Ref { return caseTarget(c.CaseID) }, (*decider).deferCase).
		needing(func(c DeferCase, _ map[Ref]State) []Ref { return atMeeting(c.MeetingID) }),
	command(Case, Secretariat, func(c CorrectDecision) Ref { return caseTarget(c.CaseID) }, (*decider).correctDecision),
}

// decisionCase is the case a decision event names.
func decisionCase[E councilDecision](e E) string {
	d, _ := e.decided()
	return d.CaseID
}

var caseEvents = []eventEntry{
	event(caseAggregate, func(e CaseRegistered) string { return e.CaseID }, foldCaseRegistered).creating(),
	event(caseAggregate, func(e CasePlacedOnAgenda) string { return e.CaseID },
		func(n *CaseState, e CasePlacedOnAgenda, r Recorded) error {
			n.Placements = append(slices.Clip(n.Placements), CasePlacement{
				MeetingID: e.MeetingID, Forum: e.Forum, MeetingLabel: e.MeetingLabel, MeetingDate: e.MeetingDate,
				Year: e.Year, Number: e.Number, CaseNumber: e.CaseNumber, SentBack: e.SentBack, PlacedAt: r.Time,
			})
			return nil
		}),
	event(caseAggregate, decisionCase[CaseNoted],
		foldDecision(func(e CaseNoted, d *CaseDecision) { d.Remarks = e.Remarks })),
	event(caseAggregate, decisionCase[CaseDiscussed],
		foldDecision(func(e CaseDiscussed, d *CaseDecision) { d.Remarks = e.Remarks })),
	event(caseAggregate, decisionCase[CaseRecommended],
		foldDecision(func(e CaseRecommended, d *CaseDecision) { d.Resolution, d.Conditions = e.Resolution, e.Conditions })),
	event(caseAggregate, decisionCase[CaseApproved],
		foldDecision(func(e CaseApproved, d *CaseDecision) { d.Resolution = e.Resolution })),
	event(caseAggregate, decisionCase[CaseRejected],
		foldDecision(func(e CaseRejected, d *CaseDecision) { d.Resolution = e.Resolution })),
	event(caseAggregate, decisionCase[CaseDeferred],
		foldDecision(func(e CaseDeferred, d *CaseDecision) { d.Reason = e.Reason })),
	event(caseAggregate, func(e DecisionCorrected) string { return e.CaseID }, foldDecisionCorrected),
}

// ---- evolve ----

func foldCaseRegistered(n *CaseState, e CaseRegistered, r Recorded) error {
	n.Forum, n.Title, n.CaseType, n.Purpose = e.Forum, e.Title, e.CaseType, e.Purpose
	n.InitiativeID, n.TargetPhase = e.InitiativeID, e.TargetPhase
	n.ProposedResolution, n.ArchiveRef = e.ProposedResolution, e.ArchiveRef
	n.Placements, n.Decisions, n.Corrections = []CasePlacement{}, []CaseDecision{}, []DecisionCorrection{}
	n.CreatedAt = r.Time
	return nil
}

// foldDecision folds a council decision; fill adds the event's own text.
func foldDecision[E councilDecision](fill func(E, *CaseDecision)) func(*CaseState, E, Recorded) error {
	return func(n *CaseState, e E, r Recorded) error {
		dec, outcome := e.decided()
		cd := CaseDecision{
			EventID: r.ID, Type: e.EventType(), Outcome: outcome, Forum: dec.Forum, MeetingID: dec.MeetingID,
			MeetingLabel: dec.MeetingLabel, MeetingDate: dec.MeetingDate, CaseNumber: dec.CaseNumber,
			RecordedAt: r.Time, CorrectedBy: []string{},
		}
		fill(e, &cd)
		n.Decisions = append(slices.Clip(n.Decisions), cd)
		switch {
		case dec.Forum == NUIT && (outcome == OutcomeRecommended || outcome == OutcomeRejected):
			n.NUITStance = outcome
			n.NUITRecommended = outcome == OutcomeRecommended
		case outcome == OutcomeApproved:
			n.Approved = true
		case outcome == OutcomeRejected && dec.Forum == EHR:
			n.Rejected = true
		}
		return nil
	}
}

func foldDecisionCorrected(n *CaseState, e DecisionCorrected, r Recorded) error {
	i := n.decision(e.CorrectsEventID)
	if i < 0 {
		return Errorf(KindInternal, "evolve %s: correction of unknown decision %s", n.StateRef(), e.CorrectsEventID)
	}
	n.Decisions = slices.Clone(n.Decisions)
	n.Decisions[i].CorrectedBy = append(slices.Clip(n.Decisions[i].CorrectedBy), r.ID)
	n.Corrections = append(slices.Clip(n.Corrections), DecisionCorrection{
		EventID: r.ID, CorrectsEventID: e.CorrectsEventID, CorrectedType: e.CorrectedType, Forum: e.Forum,
		MeetingID: e.MeetingID, Reason: e.Reason, Resolution: e.Resolution, RecordedAt: r.Time,
	})
	return nil
}

// ---- decisions ----

// registerCase: the case id must be new; a named initiative must exist.
// An admission case is only for a proposed initiative; a phase_gate case
// only for an initiative in the portfolio (paused too) whose next phase is
// the target phase.
func (d *decider) registerCase(c RegisterCase) ([]Change, error) {
	cs, err := fresh[*CaseState](d, Ref{Case, c.CaseID}, "case")
	if err != nil {
		return nil, err
	}
	if c.InitiativeID != "" {
		ini, err := d.initiative(c.InitiativeID)
		if err != nil {
			return nil, err
		}
		switch c.Purpose {
		case PurposeAdmission:
			if err := ini.in("an admission case is only for a proposed initiative", "en sak om opptak i porteføljen gjelder bare et tiltak som er meldt inn", LifecycleProposed); err != nil {
				return nil, err
			}
		case PurposePhaseGate:
			if err := ini.in("a phase_gate case is only for an initiative in the portfolio", "en sak om faseovergang gjelder bare et tiltak i porteføljen",
				LifecycleInPortfolio, LifecyclePaused); err != nil {
				return nil, err
			}
			if err := phaseStep(ini, c.TargetPhase); err != nil {
				return nil, err
			}
		}
	}
	return []Change{{cs.StateRef(), CaseRegistered(c)}}, nil
}

// phaseStep refuses unless target is the phase right after the
// initiative's phase.
func phaseStep(ini *InitiativeState, target Phase) error {
	next, ok := ini.Phase.Next()
	if !ok || next != target {
		return Refuse("initiative %s is in phase %s: a phase gate moves it one step forward (to %s), not to %s",
			ini.ID, ini.Phase, orNone(next), target).
			WithNorsk("Tiltaket %s er i fasen %s: en faseovergang flytter det ett steg fram (til %s), ikke til %s.",
				ini.ID, phaseNB(ini.Phase), phaseNB(next), phaseNB(target))
	}
	return nil
}

func orNone(p Phase) string {
	if p == "" {
		return "nothing"
	}
	return string(p)
}

// placeCaseOnAgenda: the case and the meeting exist; the meeting is not
// held; the case is not finally decided; the meeting's forum is the
// case's forum or a later one it is forwarded to, and not earlier than a
// forum the case already reached (NUFA → NUIT → EHR) — except that a case
// that reached EHR without NUIT's recommendation, or that EHR deferred,
// may be sent back to a NUIT agenda (the event records SentBack), so no
// case is left without a way to a final decision; the case is not already
// on that agenda. The case takes the next forum case number of the
// meeting's forum and year (CaseNumberAssigned on the series, in the same
// atomic write).
func (d *decider) placeCaseOnAgenda(c PlaceCaseOnAgenda) ([]Change, error) {
	cs, err := d.caseOf(c.CaseID)
	if err != nil {
		return nil, err
	}
	m, err := d.meeting(c.MeetingID)
	if err != nil {
		return nil, err
	}
	if err := notFinal(cs); err != nil {
		return nil, err
	}
	if m.Held {
		return nil, Refuse("meeting %s %s was held: its agenda is closed", m.Forum, m.Label).
			WithNorsk("Møtet %s %s er avholdt: sakskartet er lukket.", m.Forum, m.Label)
	}
	sentBack := m.Forum == NUIT && cs.mayGoBackToNUIT()
	if !sentBack && m.Forum.Index() < cs.Forum.Index() {
		return nil, Refuse("case %s belongs to %s: it may be forwarded (NUFA → NUIT → EHR) but not placed before %s",
			cs.ID, cs.Forum, m.Forum).
			WithNorsk("Saken %s hører til %s: den kan sendes videre (NUFA → NUIT → EHR), men ikke legges fram for %s.",
				cs.ID, cs.Forum, m.Forum)
	}
	if f := cs.furthestForum(); !sentBack && m.Forum.Index() < f.Index() {
		if m.Forum == NUIT {
			return nil, Refuse("case %s was forwarded to %s and NUIT recommended it: it goes back to NUIT only if EHR defers it",
				cs.ID, f).
				WithNorsk("Saken %s er sendt videre til %s, og NUIT har anbefalt den: den går tilbake til NUIT bare hvis EHR utsetter den.",
					cs.ID, f)
		}
		return nil, Refuse("case %s was forwarded to %s: it does not go back to %s", cs.ID, f, m.Forum).
			WithNorsk("Saken %s er sendt videre til %s: den går ikke tilbake til %s.", cs.ID, f, m.Forum)
	}
	if p, ok := cs.Placement(m.ID); ok {
		return nil, Refuse("case %s is already on the agenda of %s %s as %s", cs.ID, m.Forum, m.Label, p.CaseNumber).
			WithNorsk("Saken %s står allerede på sakskartet til møtet %s %s, som sak %s.", cs.ID, m.Forum, m.Label, p.CaseNumber)
	}
	ser, err := d.series(m.Forum, m.Year)
	if err != nil {
		return nil, err
	}
	number := ser.LastCaseNumber + 1
	caseNumber := CaseNumber(number, m.Year)
	return []Change{
		{cs.StateRef(), CasePlacedOnAgenda{
			CaseID: cs.ID, MeetingID: m.ID, Forum: m.Forum, MeetingLabel: m.Label, MeetingDate: m.Date,
			Year: m.Year, Number: number, CaseNumber: caseNumber, SentBack: sentBack,
		}},
		{ser.StateRef(), CaseNumberAssigned{
			Forum: m.Forum, Year: m.Year, Number: number, CaseNumber: caseNumber, CaseID: cs.ID, MeetingID: m.ID,
		}},
	}, nil
}

func notFinal(cs *CaseState) error {
	switch {
	case cs.Approved:
		return Refuse("case %s was approved: it is finally decided", cs.ID).
			WithNorsk("Saken %s er godkjent: den er endelig avgjort.", cs.ID)
	case cs.Rejected:
		return Refuse("case %s was rejected by EHR: it is finally decided", cs.ID).
			WithNorsk("Saken %s er avvist av EHR: den er endelig avgjort.", cs.ID)
	}
	return nil
}

// council checks what every decision needs: the case and the meeting
// exist; the case is not finally decided (a second approval is refused by
// name); the meeting was held; the case is on its agenda; the meeting's
// forum may record the outcome; and the case has no decision of the same
// kind at that meeting yet. It returns the Decision the event carries.
func (d *decider) council(caseID, meetingID string, outcome Outcome) (*CaseState, *MeetingState, Decision, error) {
	cs, err := d.caseOf(caseID)
	if err != nil {
		return nil, nil, Decision{}, err
	}
	m, err := d.meeting(meetingID)
	if err != nil {
		return nil, nil, Decision{}, err
	}
	if outcome == OutcomeApproved && cs.Approved {
		return nil, nil, Decision{}, Refuse("case %s was already approved: a case is approved once", cs.ID).
			WithNorsk("Saken %s er allerede godkjent: en sak godkjennes bare én gang.", cs.ID)
	}
	if err := notFinal(cs); err != nil {
		return nil, nil, Decision{}, err
	}
	if !m.Held {
		return nil, nil, Decision{}, Refuse("meeting %s %s has not been held: decisions are recorded only for held meetings",
			m.Forum, m.Label).
			WithNorsk("Møtet %s %s er ikke avholdt: vedtak registreres bare for møter som er avholdt.",
				m.Forum, m.Label)
	}
	p, ok := cs.Placement(m.ID)
	if !ok {
		return nil, nil, Decision{}, Refuse("case %s is not on the agenda of %s %s", cs.ID, m.Forum, m.Label).
			WithNorsk("Saken %s står ikke på sakskartet til møtet %s %s.", cs.ID, m.Forum, m.Label)
	}
	if !m.Forum.MayRecord(outcome) {
		may, mayNB := make([]string, 0, 5), make([]string, 0, 5)
		for _, o := range m.Forum.Outcomes() {
			may, mayNB = append(may, string(o)), append(mayNB, outcomeNB(o))
		}
		return nil, nil, Decision{}, Refuse("%s may not record %s (it records %s)", m.Forum, outcome, strings.Join(may, ", ")).
			WithNorsk("%s kan ikke registrere utfallet %s (bare %s).", m.Forum, outcomeNB(outcome), strings.Join(mayNB, ", "))
	}
	for _, dec := range cs.Decisions {
		if dec.MeetingID == m.ID && dec.Outcome == outcome {
			return nil, nil, Decision{}, Refuse("case %s already has a decision %s at %s %s", cs.ID, outcome, m.Forum, m.Label).
				WithNorsk("Saken %s har allerede utfallet %s i møtet %s %s.", cs.ID, outcomeNB(outcome), m.Forum, m.Label)
		}
	}
	return cs, m, Decision{
		CaseID: cs.ID, MeetingID: m.ID, Forum: m.Forum, MeetingLabel: m.Label, MeetingDate: m.Date,
		CaseNumber: p.CaseNumber,
	}, nil
}

func (d *decider) noteCase(c NoteCase) ([]Change, error) {
	cs, _, dec, err := d.council(c.CaseID, c.MeetingID, OutcomeNoted)
	if err != nil {
		return nil, err
	}
	return []Change{{cs.StateRef(), CaseNoted{dec, c.Remarks}}}, nil
}

func (d *decider) discussCase(c DiscussCase) ([]Change, error) {
	cs, _, dec, err := d.council(c.CaseID, c.MeetingID, OutcomeDiscussed)
	if err != nil {
		return nil, err
	}
	return []Change{{cs.StateRef(), CaseDiscussed{dec, c.Remarks}}}, nil
}

// recommendInCouncil: NUFA's advice or NUIT's recommendation (innstilling);
// with conditions it is NUIT's "conditionally supported".
func (d *decider) recommendInCouncil(c RecommendInCouncil) ([]Change, error) {
	cs, _, dec, err := d.council(c.CaseID, c.MeetingID, OutcomeRecommended)
	if err != nil {
		return nil, err
	}
	return []Change{{cs.StateRef(), CaseRecommended{dec, c.Resolution, c.Conditions}}}, nil
}

func (d *decider) deferCase(c DeferCase) ([]Change, error) {
	cs, _, dec, err := d.council(c.CaseID, c.MeetingID, OutcomeDeferred)
	if err != nil {
		return nil, err
	}
	return []Change{{cs.StateRef(), CaseDeferred{dec, c.Reason}}}, nil
}

// approveInCouncil: EHR approves an approval case that NUIT recommended
// (NUIT's latest position). An admission case admits its proposed
// initiative (InitiativeAdmitted); a phase_gate case moves its initiative,
// in the portfolio and not paused, one phase forward to the target phase
// (InitiativePhaseChanged). Both in the same atomic write as CaseApproved.
func (d *decider) approveInCouncil(c ApproveInCouncil) ([]Change, error) {
	cs, _, dec, err := d.council(c.CaseID, c.MeetingID, OutcomeApproved)
	if err != nil {
		return nil, err
	}
	if cs.CaseType != CaseApproval {
		return nil, Refuse("case %s is a %s case: only an approval case is approved", cs.ID, cs.CaseType).
			WithNorsk("Saken %s har sakstypen %s: bare en sak til godkjenning kan godkjennes.", cs.ID, caseTypeNB(cs.CaseType))
	}
	if !cs.NUITRecommended {
		if cs.NUITStance == OutcomeRejected {
			return nil, Refuse("case %s is not supported by NUIT: EHR approves only what NUIT recommended", cs.ID).
				WithNorsk("Saken %s er ikke støttet av NUIT: EHR godkjenner bare det NUIT har anbefalt.", cs.ID)
		}
		return nil, Refuse("case %s has no NUIT recommendation: EHR approves only what NUIT recommended", cs.ID).
			WithNorsk("Saken %s har ingen anbefaling fra NUIT: EHR godkjenner bare det NUIT har anbefalt.", cs.ID)
	}
	changes := []Change{{cs.StateRef(), CaseApproved{dec, c.Resolution}}}
	switch cs.Purpose {
	case PurposeAdmission:
		ini, err := d.initiative(cs.InitiativeID)
		if err != nil {
			return nil, err
		}
		if err := ini.in("only a proposed initiative is admitted", "bare et tiltak som er meldt inn, kan tas opp i porteføljen", LifecycleProposed); err != nil {
			return nil, err
		}
		changes = append(changes, Change{ini.StateRef(), InitiativeAdmitted{
			InitiativeID: ini.ID, CaseID: cs.ID, MeetingID: dec.MeetingID, Phase: ini.Phase,
		}})
	case PurposePhaseGate:
		ini, err := d.initiative(cs.InitiativeID)
		if err != nil {
			return nil, err
		}
		if ini.Lifecycle == LifecyclePaused {
			return nil, Refuse("initiative %s is paused: it passes no phase gate until resumed", ini.ID).
				WithNorsk("Tiltaket %s er midlertidig stanset: det får ingen faseovergang før det er gjenopptatt.", ini.ID)
		}
		if err := ini.in("only an initiative in the portfolio changes phase", "bare et tiltak i porteføljen kan gå over til ny fase", LifecycleInPortfolio); err != nil {
			return nil, err
		}
		if err := phaseStep(ini, cs.TargetPhase); err != nil {
			return nil, err
		}
		changes = append(changes, Change{ini.StateRef(), InitiativePhaseChanged{
			InitiativeID: ini.ID, From: ini.Phase, To: cs.TargetPhase, CaseID: cs.ID, MeetingID: dec.MeetingID,
		}})
	}
	return changes, nil
}

// rejectInCouncil: EHR's rejection (final), or NUIT's "not supported" (not
// final: NUIT may recommend the case later). EHR's rejection of an
// admission case rejects its proposed initiative (InitiativeRejected, in
// the same atomic write).
func (d *decider) rejectInCouncil(c RejectInCouncil) ([]Change, error) {
	cs, m, dec, err := d.council(c.CaseID, c.MeetingID, OutcomeRejected)
	if err != nil {
		return nil, err
	}
	changes := []Change{{cs.StateRef(), CaseRejected{dec, c.Resolution}}}
	if m.Forum == EHR && cs.Purpose == PurposeAdmission {
		ini, err := d.initiative(cs.InitiativeID)
		if err != nil {
			return nil, err
		}
		if err := ini.in("only a proposed initiative is rejected", "bare et tiltak som er meldt inn, kan avvises", LifecycleProposed); err != nil {
			return nil, err
		}
		changes = append(changes, Change{ini.StateRef(), InitiativeRejected{
			InitiativeID: ini.ID, CaseID: cs.ID, MeetingID: dec.MeetingID,
		}})
	}
	return changes, nil
}

// correctDecision: the named event must be a decision of this case; the
// correction names its type, forum and meeting. Corrections are allowed
// after the case is finally decided, and a decision may be corrected more
// than once.
func (d *decider) correctDecision(c CorrectDecision) ([]Change, error) {
	cs, err := d.caseOf(c.CaseID)
	if err != nil {
		return nil, err
	}
	dec, ok := cs.Decision(c.CorrectsEventID)
	if !ok {
		return nil, Refuse("event %s is not a decision of case %s", c.CorrectsEventID, cs.ID).
			WithNorsk("Hendelsen %s er ikke et vedtak i saken %s.", c.CorrectsEventID, cs.ID)
	}
	return []Change{{cs.StateRef(), DecisionCorrected{
		CaseID: cs.ID, CorrectsEventID: c.CorrectsEventID, CorrectedType: dec.Type, Forum: dec.Forum,
		MeetingID: dec.MeetingID, Reason: c.Reason, Resolution: c.Resolution,
	}}}, nil
}
