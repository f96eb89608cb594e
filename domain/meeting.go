package domain

import "time"

// MeetingState is one forum meeting (møte), numbered per forum and year.
//
// The meeting's agenda is not recorded on the meeting: placing a case on
// an agenda writes CasePlacedOnAgenda on the case and CaseNumberAssigned
// on the forum-year series. The case knows its placements
// (CaseState.Placements) and the series lists every agenda item of its
// meetings (SeriesState.Agenda).
type MeetingState struct {
	ID      string `json:"id"`
	Version uint64 `json:"version"`
	Forum   Forum  `json:"forum"`
	Date    Date   `json:"date"`
	Year    int    `json:"year"`
	Number  int    `json:"number"`
	Label   string `json:"label"` // "3/2026"
	Held    bool   `json:"held"`
	// HeldAt is when the meeting was recorded as held.
	HeldAt    time.Time `json:"heldAt,omitzero"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// StateRef implements State.
func (s *MeetingState) StateRef() Ref { return Ref{Meeting, s.ID} }

// StateVersion implements State.
func (s *MeetingState) StateVersion() uint64 { return s.Version }

// ---- commands ----

// ScheduleMeeting schedules a forum meeting; it is numbered n/YYYY.
type ScheduleMeeting struct {
	// Assigned by the server when absent.
	MeetingID string `json:"meetingId,omitempty"`
	Forum     Forum  `json:"forum"`
	Date      Date   `json:"date"`
}

func (ScheduleMeeting) CommandName() string { return "ScheduleMeeting" }

func (c *ScheduleMeeting) AssignID(id string) { c.MeetingID = id }

// Validate checks meetingId (optional), forum and date.
func (c ScheduleMeeting) Validate() error {
	var v Validation
	v.id("meetingId", c.MeetingID, false)
	v.forum("forum", c.Forum)
	v.date("date", c.Date, true)
	return v.Err()
}

// HoldMeeting records that a meeting was held.
type HoldMeeting struct {
	MeetingID string `json:"meetingId"`
}

func (HoldMeeting) CommandName() string { return "HoldMeeting" }

// Validate checks meetingId.
func (c HoldMeeting) Validate() error {
	var v Validation
	v.id("meetingId", c.MeetingID, true)
	return v.Err()
}

// ---- events ----

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

func (MeetingScheduled) EventType() string { return "MeetingScheduled" }

// MeetingHeld: the meeting was held; decisions may now be recorded for it.
type MeetingHeld struct {
	// The meeting's id (ULID or UUID).
	MeetingID string `json:"meetingId"`
	// The meeting's forum.
	Forum Forum `json:"forum"`
	// The meeting's label, e.g. `3/2026`.
	Label string `json:"label"`
}

func (MeetingHeld) EventType() string { return "MeetingHeld" }

// ---- registry ----

var meetingAggregate = &aggregateDef[MeetingState, *MeetingState]{
	typ:     Meeting,
	empty:   func(id string) *MeetingState { return &MeetingState{ID: id} },
	created: true,
	stamp:   func(n *MeetingState, r Recorded) { n.Version, n.UpdatedAt = r.Version, r.Time },
}

var meetingCommands = []commandEntry{
	command(Meeting, Secretariat, func(c ScheduleMeeting) Ref { return Ref{Meeting, c.MeetingID} },
		(*decider).scheduleMeeting).
		needing(func(c ScheduleMeeting, _ map[Ref]State) []Ref {
			if c.Forum.Valid() && c.Date.Valid() {
				return []Ref{SeriesRef(c.Forum, c.Date.Year())}
			}
			return nil
		}),
	command(Meeting, Secretariat, func(c HoldMeeting) Ref { return Ref{Meeting, c.MeetingID} },
		(*decider).holdMeeting),
}

var meetingEvents = []eventEntry{
	event(meetingAggregate, func(e MeetingScheduled) string { return e.MeetingID },
		func(n *MeetingState, e MeetingScheduled, r Recorded) error {
			n.Forum, n.Date, n.Year, n.Number, n.Label = e.Forum, e.Date, e.Year, e.Number, e.Label
			n.CreatedAt = r.Time
			return nil
		}).creating(),
	event(meetingAggregate, func(e MeetingHeld) string { return e.MeetingID },
		func(n *MeetingState, _ MeetingHeld, r Recorded) error {
			n.Held, n.HeldAt = true, r.Time
			return nil
		}),
}

// ---- decisions ----

// scheduleMeeting: the meeting id must be new; the meeting takes the next
// number of its forum and year (MeetingNumberAssigned on the series, in the
// same atomic write). A meeting may be scheduled with a past date, to
// record history.
func (d *decider) scheduleMeeting(c ScheduleMeeting) ([]Change, error) {
	m, err := fresh[*MeetingState](d, Ref{Meeting, c.MeetingID}, "meeting")
	if err != nil {
		return nil, err
	}
	year := c.Date.Year()
	ser, err := d.series(c.Forum, year)
	if err != nil {
		return nil, err
	}
	number := ser.LastMeetingNumber + 1
	return []Change{
		{m.StateRef(), MeetingScheduled{
			MeetingID: c.MeetingID, Forum: c.Forum, Date: c.Date, Year: year, Number: number,
			Label: MeetingLabel(number, year),
		}},
		{ser.StateRef(), MeetingNumberAssigned{Forum: c.Forum, Year: year, Number: number, MeetingID: c.MeetingID}},
	}, nil
}

// holdMeeting: a scheduled meeting that is not held yet, and not before its
// date (today is now's date in Norway, see today).
func (d *decider) holdMeeting(c HoldMeeting) ([]Change, error) {
	m, err := d.meeting(c.MeetingID)
	if err != nil {
		return nil, err
	}
	if m.Held {
		return nil, Refuse("meeting %s %s was already held", m.Forum, m.Label).
			WithNorsk("Møtet %s %s er allerede avholdt.", m.Forum, m.Label)
	}
	if t := today(d.now); m.Date > t {
		return nil, Refuse("meeting %s %s is on %s: it cannot be held before then (today is %s)", m.Forum, m.Label, m.Date, t).
			WithNorsk("Møtet %s %s er satt til %s: det kan ikke registreres som avholdt før da (i dag er %s).", m.Forum, m.Label, dateNB(m.Date), dateNB(t))
	}
	return []Change{{m.StateRef(), MeetingHeld{MeetingID: m.ID, Forum: m.Forum, Label: m.Label}}}, nil
}
