package domain

import (
	"slices"
	"time"
)

// Round is the aggregate type of the reporting rounds.
const Round AggregateType = "round"

// RoundsCatalogID is the id of the single round aggregate that holds every
// reporting round: one aggregate, so that "one round open at a time" is
// decided on one state and written with one optimistic-concurrency
// expectation.
const RoundsCatalogID = "national"

// RoundsState is every reporting round (rapporteringsrunde), in the order
// they were opened.
type RoundsState struct {
	ID      string           `json:"id"`
	Version uint64           `json:"version"`
	Rounds  []ReportingRound `json:"rounds"`
	// OpenRoundID is the open round ("" when none is open).
	OpenRoundID string    `json:"openRoundId,omitempty"`
	UpdatedAt   time.Time `json:"updatedAt,omitzero"`
}

// ReportingRound is one reporting round.
type ReportingRound struct {
	RoundID   string    `json:"roundId"`
	Label     string    `json:"label"`
	PeriodEnd Date      `json:"periodEnd"`
	Deadline  Date      `json:"deadline"`
	Open      bool      `json:"open"`
	OpenedAt  time.Time `json:"openedAt"`
	ClosedAt  time.Time `json:"closedAt,omitzero"`
}

// StateRef implements State.
func (s *RoundsState) StateRef() Ref { return Ref{Round, s.ID} }

// StateVersion implements State.
func (s *RoundsState) StateVersion() uint64 { return s.Version }

// Round returns the round with the id.
func (s *RoundsState) Round(id string) (ReportingRound, bool) {
	i := slices.IndexFunc(s.Rounds, func(r ReportingRound) bool { return r.RoundID == id })
	if i < 0 {
		return ReportingRound{}, false
	}
	return s.Rounds[i], true
}

// ---- commands ----

// OpenReportingRound opens a reporting round (rapporteringsrunde): owners
// report status for it until it is closed. One round is open at a time.
type OpenReportingRound struct {
	// ULID or UUID; assigned by the server when absent.
	RoundID string `json:"roundId,omitempty"`
	// The round's name, e.g. "2026-T3".
	Label string `json:"label"`
	// The last day of the period the round reports on.
	PeriodEnd Date `json:"periodEnd"`
	// The day by which owners should have reported.
	Deadline Date `json:"deadline"`
}

func (OpenReportingRound) CommandName() string { return "OpenReportingRound" }

func (c *OpenReportingRound) AssignID(id string) { c.RoundID = id }

// Validate checks roundId (optional), label, periodEnd and deadline.
func (c OpenReportingRound) Validate() error {
	var v Validation
	v.id("roundId", c.RoundID, false)
	v.text("label", c.Label, true, MaxUserGroupLen, false)
	v.date("periodEnd", c.PeriodEnd, true)
	v.date("deadline", c.Deadline, true)
	return v.Err()
}

// CloseReportingRound closes the open round; the portfolio report is
// frozen as the log stands at the close.
type CloseReportingRound struct {
	RoundID string `json:"roundId"`
}

func (CloseReportingRound) CommandName() string { return "CloseReportingRound" }

// Validate checks roundId.
func (c CloseReportingRound) Validate() error {
	var v Validation
	v.id("roundId", c.RoundID, true)
	return v.Err()
}

// ---- events ----

// ReportingRoundOpened: a reporting round was opened.
type ReportingRoundOpened struct {
	// The round's id (ULID or UUID).
	RoundID string `json:"roundId"`
	// The round's name, e.g. `2026-T3`.
	Label string `json:"label"`
	// The last day of the period the round reports on.
	PeriodEnd Date `json:"periodEnd"`
	// The day by which owners should have reported.
	Deadline Date `json:"deadline"`
}

func (ReportingRoundOpened) EventType() string { return "ReportingRoundOpened" }

// ReportingRoundClosed: the round was closed; its portfolio report is the
// log up to and including this event.
type ReportingRoundClosed struct {
	// The round's id.
	RoundID string `json:"roundId"`
	// The round's name.
	Label string `json:"label"`
}

func (ReportingRoundClosed) EventType() string { return "ReportingRoundClosed" }

// ---- registry ----

var roundAggregate = &aggregateDef[RoundsState, *RoundsState]{
	typ:   Round,
	empty: func(id string) *RoundsState { return &RoundsState{ID: id} },
	check: func(s *RoundsState) error {
		if s.ID != RoundsCatalogID {
			return Errorf(KindInternal, "evolve %s: the reporting rounds are aggregate %s/%s", s.StateRef(), Round, RoundsCatalogID)
		}
		return nil
	},
	stamp: func(n *RoundsState, r Recorded) {
		n.Rounds = nonNil(n.Rounds)
		n.Version, n.UpdatedAt = r.Version, r.Time
	},
}

// roundsRef is the one round aggregate.
var roundsRef = Ref{Round, RoundsCatalogID}

var roundCommands = []commandEntry{
	command(Round, Secretariat, func(OpenReportingRound) Ref { return roundsRef }, (*decider).openReportingRound),
	command(Round, Secretariat, func(CloseReportingRound) Ref { return roundsRef }, (*decider).closeReportingRound),
}

var roundEvents = []eventEntry{
	event(roundAggregate, nil, func(n *RoundsState, e ReportingRoundOpened, r Recorded) error {
		if n.OpenRoundID != "" {
			return Errorf(KindInternal, "evolve %s: round %s opened while %s is open", n.StateRef(), e.RoundID, n.OpenRoundID)
		}
		n.Rounds = append(slices.Clip(n.Rounds), ReportingRound{
			RoundID: e.RoundID, Label: e.Label, PeriodEnd: e.PeriodEnd, Deadline: e.Deadline, Open: true, OpenedAt: r.Time,
		})
		n.OpenRoundID = e.RoundID
		return nil
	}),
	event(roundAggregate, nil, func(n *RoundsState, e ReportingRoundClosed, r Recorded) error {
		i := slices.IndexFunc(n.Rounds, func(x ReportingRound) bool { return x.RoundID == e.RoundID })
		if i < 0 || !n.Rounds[i].Open {
			return Errorf(KindInternal, "evolve %s: round %s is not open", n.StateRef(), e.RoundID)
		}
		n.Rounds = slices.Clone(n.Rounds)
		n.Rounds[i].Open, n.Rounds[i].ClosedAt = false, r.Time
		n.OpenRoundID = ""
		return nil
	}),
}

// ---- decisions ----

func (d *decider) rounds() (*RoundsState, error) {
	return stateOf[*RoundsState](d.states, roundsRef)
}

// openReportingRound: no round is open; the id and the label are new; the
// period ends after the previous round's.
func (d *decider) openReportingRound(c OpenReportingRound) ([]Change, error) {
	if c.RoundID == "" {
		return nil, Errorf(KindInternal, "decide: a reporting round without an id (AssignID first)")
	}
	rs, err := d.rounds()
	if err != nil {
		return nil, err
	}
	if rs.OpenRoundID != "" {
		open, _ := rs.Round(rs.OpenRoundID)
		return nil, Refuse("reporting round %s is open: close it before opening another", open.Label).
			WithNorsk("Rapporteringsrunden %s er åpen: avslutt den før en ny åpnes.", open.Label)
	}
	for _, r := range rs.Rounds {
		if r.RoundID == c.RoundID {
			return nil, Refuse("reporting round %s already exists", c.RoundID).
				WithNorsk("Rapporteringsrunden %s finnes allerede.", c.RoundID)
		}
		if r.Label == c.Label {
			return nil, Refuse("there is already a reporting round %s", c.Label).
				WithNorsk("Det finnes allerede en rapporteringsrunde %s.", c.Label)
		}
	}
	if n := len(rs.Rounds); n > 0 && c.PeriodEnd <= rs.Rounds[n-1].PeriodEnd {
		last := rs.Rounds[n-1]
		return nil, Refuse("round %s ended its period on %s: the next period must end later than that, not on %s",
			last.Label, last.PeriodEnd, c.PeriodEnd).
			WithNorsk("Runden %s har periode som slutter %s: neste periode må slutte senere enn det, ikke %s.",
				last.Label, dateNB(last.PeriodEnd), dateNB(c.PeriodEnd))
	}
	return []Change{{rs.StateRef(), ReportingRoundOpened(c)}}, nil
}

// closeReportingRound: the round exists and is open.
func (d *decider) closeReportingRound(c CloseReportingRound) ([]Change, error) {
	rs, err := d.rounds()
	if err != nil {
		return nil, err
	}
	r, ok := rs.Round(c.RoundID)
	if !ok {
		return nil, Errorf(KindNotFound, "reporting round %s does not exist", c.RoundID).
			WithNorsk("Rapporteringsrunden %s finnes ikke.", c.RoundID)
	}
	if !r.Open {
		return nil, Refuse("reporting round %s is already closed", r.Label).
			WithNorsk("Rapporteringsrunden %s er allerede avsluttet.", r.Label)
	}
	return []Change{{rs.StateRef(), ReportingRoundClosed{RoundID: r.RoundID, Label: r.Label}}}, nil
}

// roundForStatus checks that a status report may belong to round id: the
// round exists and is open.
func (d *decider) roundForStatus(id string) error {
	rs, err := d.rounds()
	if err != nil {
		return err
	}
	r, ok := rs.Round(id)
	if !ok {
		return Refuse("reporting round %s does not exist", id).
			WithNorsk("Rapporteringsrunden %s finnes ikke.", id)
	}
	if !r.Open {
		return Refuse("reporting round %s is closed: the status may still be reported without a round", r.Label).
			WithNorsk("Rapporteringsrunden %s er avsluttet: status kan likevel rapporteres uten runde.", r.Label)
	}
	return nil
}
