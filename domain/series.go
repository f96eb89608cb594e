package domain

import (
	"slices"
	"time"
)

// SeriesState is the numbering series of one forum and year (id
// "NUIT-2026", see SeriesRef): it hands out meeting numbers ("3/2026") and
// forum case numbers ("15/26"), unique, gap-free and sequential, because
// every number is an event on this one aggregate written with an
// optimistic-concurrency expectation.
type SeriesState struct {
	ID                string `json:"id"`
	Version           uint64 `json:"version"`
	Forum             Forum  `json:"forum"`
	Year              int    `json:"year"`
	LastMeetingNumber int    `json:"lastMeetingNumber"`
	LastCaseNumber    int    `json:"lastCaseNumber"`
	// Meetings lists the numbered meetings, in number order.
	Meetings []SeriesMeeting `json:"meetings"`
	// Cases lists the numbered agenda items, in number order.
	Cases     []AgendaItem `json:"cases"`
	CreatedAt time.Time    `json:"createdAt,omitzero"`
	UpdatedAt time.Time    `json:"updatedAt,omitzero"`
}

// SeriesMeeting is a meeting number given out.
type SeriesMeeting struct {
	Number    int    `json:"number"`
	MeetingID string `json:"meetingId"`
}

// AgendaItem is a case on a meeting's agenda with its forum case number.
type AgendaItem struct {
	Number     int    `json:"number"`
	CaseNumber string `json:"caseNumber"` // "15/26"
	CaseID     string `json:"caseId"`
	MeetingID  string `json:"meetingId"`
}

// StateRef implements State.
func (s *SeriesState) StateRef() Ref { return Ref{Series, s.ID} }

// StateVersion implements State.
func (s *SeriesState) StateVersion() uint64 { return s.Version }

// Agenda returns the agenda of one meeting of this series, in case number
// order.
func (s *SeriesState) Agenda(meetingID string) []AgendaItem {
	out := []AgendaItem{}
	for _, c := range s.Cases {
		if c.MeetingID == meetingID {
			out = append(out, c)
		}
	}
	return out
}

// ---- events ----

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

func (MeetingNumberAssigned) EventType() string { return "MeetingNumberAssigned" }

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

func (CaseNumberAssigned) EventType() string { return "CaseNumberAssigned" }

// ---- registry ----

var seriesAggregate = &aggregateDef[SeriesState, *SeriesState]{
	typ: Series,
	empty: func(id string) *SeriesState {
		f, y, _ := SeriesOf(id)
		return &SeriesState{ID: id, Forum: f, Year: y}
	},
	stamp: func(n *SeriesState, r Recorded) {
		n.Meetings, n.Cases = nonNil(n.Meetings), nonNil(n.Cases)
		n.Version, n.UpdatedAt = r.Version, r.Time
		if n.Version == 1 {
			n.CreatedAt = r.Time
		}
	},
}

// The series has no commands of its own: ScheduleMeeting and
// PlaceCaseOnAgenda number on it.

var seriesEvents = []eventEntry{
	event(seriesAggregate, func(e MeetingNumberAssigned) string { return SeriesRef(e.Forum, e.Year).ID },
		func(n *SeriesState, e MeetingNumberAssigned, _ Recorded) error {
			if e.Number != n.LastMeetingNumber+1 {
				return Errorf(KindInternal, "evolve %s: meeting number %d after %d", n.StateRef(), e.Number, n.LastMeetingNumber)
			}
			n.Forum, n.Year = e.Forum, e.Year
			n.LastMeetingNumber = e.Number
			n.Meetings = append(slices.Clip(n.Meetings), SeriesMeeting{e.Number, e.MeetingID})
			return nil
		}),
	event(seriesAggregate, func(e CaseNumberAssigned) string { return SeriesRef(e.Forum, e.Year).ID },
		func(n *SeriesState, e CaseNumberAssigned, _ Recorded) error {
			if e.Number != n.LastCaseNumber+1 {
				return Errorf(KindInternal, "evolve %s: case number %d after %d", n.StateRef(), e.Number, n.LastCaseNumber)
			}
			n.Forum, n.Year = e.Forum, e.Year
			n.LastCaseNumber = e.Number
			n.Cases = append(slices.Clip(n.Cases), AgendaItem{e.Number, e.CaseNumber, e.CaseID, e.MeetingID})
			return nil
		}),
}
