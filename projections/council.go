package projections

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/ehelse/portfolio/domain"
)

// The council read models: meetings with their agendas and outcomes
// (BucketMeetings, IdxMeetingForumYear, BucketAgenda), cases with their path
// through the forums (BucketCases) and the decision register
// (BucketDecisions keyed by meeting date and position, with indexes by
// forum, by initiative and by event id for corrections).

// meetingDoc is what BucketMeetings stores.
type meetingDoc struct {
	MeetingSummary
	HeldAt *time.Time `json:"heldAt,omitempty"`
}

func meetingIndexKey(m MeetingSummary) []byte {
	return key(string(m.Forum), fmt.Sprintf("%04d", m.Year), string(m.Date), m.MeetingID)
}

func applyMeetingScheduled(tx *bolt.Tx, id string, r domain.Recorded, e domain.MeetingScheduled) (bool, error) {
	var d meetingDoc
	found, err := getJSON(tx, BucketMeetings, []byte(id), &d)
	if err != nil {
		return false, err
	}
	if found {
		if err := deleteKey(tx, IdxMeetingForumYear, meetingIndexKey(d.MeetingSummary)); err != nil {
			return false, err
		}
	}
	year := e.Year
	if year == 0 {
		year = e.Date.Year()
	}
	d.MeetingSummary = MeetingSummary{
		MeetingID: id, Forum: e.Forum, Date: e.Date, Year: year, Number: e.Number, Label: e.Label,
		Held: d.Held, AgendaItems: d.AgendaItems,
	}
	if err := putJSON(tx, BucketMeetings, []byte(id), d); err != nil {
		return false, err
	}
	return true, putIndex(tx, IdxMeetingForumYear, meetingIndexKey(d.MeetingSummary))
}

func applyMeetingHeld(tx *bolt.Tx, id string, r domain.Recorded) (bool, error) {
	var d meetingDoc
	found, err := getJSON(tx, BucketMeetings, []byte(id), &d)
	if err != nil || !found {
		return false, err
	}
	at := r.Time.UTC()
	d.Held, d.HeldAt = true, &at
	return true, putJSON(tx, BucketMeetings, []byte(id), d)
}

func getCase(tx *bolt.Tx, id string) (CaseDetail, bool, error) {
	var c CaseDetail
	found, err := getJSON(tx, BucketCases, []byte(id), &c)
	return c, found, err
}

func applyCaseRegistered(tx *bolt.Tx, id string, r domain.Recorded, e domain.CaseRegistered) (bool, error) {
	c, found, err := getCase(tx, id)
	if err != nil {
		return false, err
	}
	if !found {
		c = CaseDetail{Path: []CaseStep{}, Corrections: []CorrectionView{}, RegisteredAt: r.Time.UTC()}
	}
	if c.InitiativeID != "" && c.InitiativeID != e.InitiativeID {
		if err := deleteKey(tx, BucketInitiativeCases, key(c.InitiativeID, id)); err != nil {
			return false, err
		}
	}
	c.CaseID, c.Forum, c.Title, c.CaseType, c.Purpose = id, e.Forum, e.Title, e.CaseType, e.Purpose
	c.InitiativeID, c.TargetPhase, c.ProposedResolution, c.ArchiveRef = e.InitiativeID, e.TargetPhase, e.ProposedResolution, e.ArchiveRef
	c.Version = r.Version
	if err := putJSON(tx, BucketCases, []byte(id), c); err != nil {
		return false, err
	}
	if e.InitiativeID != "" {
		if err := putIndex(tx, BucketInitiativeCases, key(e.InitiativeID, id)); err != nil {
			return false, err
		}
	}
	return true, nil
}

func applyCasePlaced(tx *bolt.Tx, id string, r domain.Recorded, e domain.CasePlacedOnAgenda) (bool, error) {
	c, found, err := getCase(tx, id)
	if err != nil || !found {
		return false, err
	}
	at := r.Time.UTC()
	c.Path = append(c.Path, CaseStep{
		Kind: StepPlaced, Forum: e.Forum, MeetingID: e.MeetingID, MeetingLabel: e.MeetingLabel,
		MeetingDate: e.MeetingDate, CaseNumber: e.CaseNumber, EventID: r.ID, Position: r.Position, RecordedAt: at,
		SentBack: e.SentBack,
	})
	c.Version = r.Version
	if err := putJSON(tx, BucketCases, []byte(id), c); err != nil {
		return false, err
	}
	ak := key(e.MeetingID, id)
	var item AgendaItem
	existed, err := getJSON(tx, BucketAgenda, ak, &item)
	if err != nil {
		return false, err
	}
	if !existed {
		item.Outcomes = []OutcomeView{}
	}
	item.CaseID, item.CaseNumber, item.Number = id, e.CaseNumber, e.Number
	item.CaseType, item.Purpose, item.Title, item.InitiativeID = c.CaseType, c.Purpose, c.Title, c.InitiativeID
	item.ProposedResolution, item.ArchiveRef, item.RegisteredForum = c.ProposedResolution, c.ArchiveRef, c.Forum
	if err := putJSON(tx, BucketAgenda, ak, item); err != nil {
		return false, err
	}
	if !existed {
		var m meetingDoc
		ok, err := getJSON(tx, BucketMeetings, []byte(e.MeetingID), &m)
		if err != nil {
			return false, err
		}
		if ok {
			m.AgendaItems++
			if err := putJSON(tx, BucketMeetings, []byte(e.MeetingID), m); err != nil {
				return false, err
			}
		}
	}
	return true, nil
}

// decisionText is the free text of a decision event.
type decisionText struct {
	Resolution, Conditions, Remarks, Reason string
}

func decisionKey(date domain.Date, pos uint64) []byte { return key(string(date), posKey(pos)) }

func applyDecision(tx *bolt.Tx, id string, r domain.Recorded, d domain.Decision, outcome domain.Outcome, t decisionText) (bool, error) {
	c, found, err := getCase(tx, id)
	if err != nil || !found {
		return false, err
	}
	at := r.Time.UTC()
	c.Path = append(c.Path, CaseStep{
		Kind: StepDecision, Forum: d.Forum, MeetingID: d.MeetingID, MeetingLabel: d.MeetingLabel,
		MeetingDate: d.MeetingDate, CaseNumber: d.CaseNumber, Outcome: outcome, Resolution: t.Resolution,
		Conditions: t.Conditions, Remarks: t.Remarks, Reason: t.Reason, EventID: r.ID, Position: r.Position, RecordedAt: at,
	})
	c.Status = outcome
	c.Version = r.Version
	if err := putJSON(tx, BucketCases, []byte(id), c); err != nil {
		return false, err
	}

	ak := key(d.MeetingID, id)
	var item AgendaItem
	ok, err := getJSON(tx, BucketAgenda, ak, &item)
	if err != nil {
		return false, err
	}
	if ok {
		item.Outcomes = append(item.Outcomes, OutcomeView{
			Outcome: outcome, Resolution: t.Resolution, Conditions: t.Conditions, Remarks: t.Remarks,
			Reason: t.Reason, EventID: r.ID, Position: r.Position, RecordedAt: at,
		})
		if err := putJSON(tx, BucketAgenda, ak, item); err != nil {
			return false, err
		}
	}

	entry := DecisionEntry{
		EventID: r.ID, Position: r.Position, Forum: d.Forum, MeetingID: d.MeetingID,
		MeetingLabel: d.MeetingLabel, MeetingDate: d.MeetingDate, CaseID: id, CaseNumber: d.CaseNumber,
		CaseTitle: c.Title, CaseType: c.CaseType, Purpose: c.Purpose, InitiativeID: c.InitiativeID,
		Outcome: outcome, Resolution: t.Resolution, Conditions: t.Conditions, Remarks: t.Remarks,
		Reason: t.Reason, RecordedAt: at,
	}
	dk := decisionKey(d.MeetingDate, r.Position)
	if err := putJSON(tx, BucketDecisions, dk, entry); err != nil {
		return false, err
	}
	if err := putIndex(tx, IdxDecisionForum, key(string(d.Forum), string(dk))); err != nil {
		return false, err
	}
	if c.InitiativeID != "" {
		if err := putIndex(tx, IdxDecisionInitiative, key(c.InitiativeID, string(dk))); err != nil {
			return false, err
		}
	}
	b, err := bucket(tx, IdxDecisionEvent)
	if err != nil {
		return false, err
	}
	return true, b.Put([]byte(r.ID), dk)
}

func applyCorrection(tx *bolt.Tx, id string, r domain.Recorded, e domain.DecisionCorrected) (bool, error) {
	c, found, err := getCase(tx, id)
	if err != nil || !found {
		return false, err
	}
	cv := CorrectionView{
		EventID: r.ID, CorrectsEventID: e.CorrectsEventID, CorrectedType: e.CorrectedType,
		Reason: e.Reason, Resolution: e.Resolution, Position: r.Position, RecordedAt: r.Time.UTC(),
	}
	c.Corrections = append(c.Corrections, cv)
	meetingID := e.MeetingID
	for i := range c.Path {
		if c.Path[i].EventID == e.CorrectsEventID {
			c.Path[i].Corrected = true
			if meetingID == "" {
				meetingID = c.Path[i].MeetingID
			}
		}
	}
	c.Version = r.Version
	if err := putJSON(tx, BucketCases, []byte(id), c); err != nil {
		return false, err
	}

	if meetingID != "" {
		ak := key(meetingID, id)
		var item AgendaItem
		ok, err := getJSON(tx, BucketAgenda, ak, &item)
		if err != nil {
			return false, err
		}
		if ok {
			for i := range item.Outcomes {
				if item.Outcomes[i].EventID == e.CorrectsEventID {
					item.Outcomes[i].Corrections = append(item.Outcomes[i].Corrections, cv)
				}
			}
			if err := putJSON(tx, BucketAgenda, ak, item); err != nil {
				return false, err
			}
		}
	}

	eb, err := bucket(tx, IdxDecisionEvent)
	if err != nil {
		return false, err
	}
	if dk := eb.Get([]byte(e.CorrectsEventID)); dk != nil {
		dk = bytes.Clone(dk)
		var entry DecisionEntry
		ok, err := getJSON(tx, BucketDecisions, dk, &entry)
		if err != nil {
			return false, err
		}
		if ok {
			entry.Corrections = append(entry.Corrections, cv)
			if err := putJSON(tx, BucketDecisions, dk, entry); err != nil {
				return false, err
			}
		}
	}
	return true, nil
}

// ---- queries ----

func readMeetings(tx *bolt.Tx, forum string, year int) ([]MeetingSummary, error) {
	var prefix []byte
	switch {
	case forum != "" && year != 0:
		prefix = key(forum, fmt.Sprintf("%04d", year), "")
	case forum != "":
		prefix = key(forum, "")
	}
	out := []MeetingSummary{}
	err := scanPrefix(tx, IdxMeetingForumYear, prefix, func(k, _ []byte) error {
		var d meetingDoc
		ok, err := getJSON(tx, BucketMeetings, []byte(lastPart(k)), &d)
		if err != nil || !ok {
			return err
		}
		if year != 0 && d.Year != year {
			return nil
		}
		out = append(out, d.MeetingSummary)
		return nil
	})
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Date != out[j].Date {
			return out[i].Date < out[j].Date
		}
		if out[i].Forum != out[j].Forum {
			return out[i].Forum < out[j].Forum
		}
		return out[i].Number < out[j].Number
	})
	return out, err
}

func readMeeting(tx *bolt.Tx, id string) (MeetingDetail, error) {
	var d meetingDoc
	err := getOne(tx, BucketMeetings, "meeting", id, &d)
	if err != nil {
		return MeetingDetail{}, err
	}
	out := MeetingDetail{MeetingSummary: d.MeetingSummary, HeldAt: d.HeldAt, Agenda: []AgendaItem{}}
	err = scanJSON(tx, BucketAgenda, key(id, ""), func(k []byte, it AgendaItem) error {
		out.Agenda = append(out.Agenda, it)
		return nil
	})
	sort.SliceStable(out.Agenda, func(i, j int) bool {
		if out.Agenda[i].Number != out.Agenda[j].Number {
			return out.Agenda[i].Number < out.Agenda[j].Number
		}
		return out.Agenda[i].CaseID < out.Agenda[j].CaseID
	})
	return out, err
}

func readCase(tx *bolt.Tx, id string) (CaseDetail, error) {
	c, ok, err := getCase(tx, id)
	if err != nil {
		return CaseDetail{}, err
	}
	if !ok || id == "" {
		return CaseDetail{}, notFound("case", id)
	}
	if c.Path == nil {
		c.Path = []CaseStep{}
	}
	if c.Corrections == nil {
		c.Corrections = []CorrectionView{}
	}
	return c, nil
}

// readDecisions walks one date-ordered key range: the register itself or
// the forum or initiative index, from From to To.
func readDecisions(tx *bolt.Tx, f DecisionFilter) ([]DecisionEntry, error) {
	var (
		src    = BucketDecisions
		prefix []byte
	)
	switch {
	case f.InitiativeID != "":
		src, prefix = IdxDecisionInitiative, key(f.InitiativeID, "")
	case f.Forum != "":
		src, prefix = IdxDecisionForum, key(f.Forum, "")
	}
	b, err := bucket(tx, src)
	if err != nil {
		return nil, err
	}
	out := []DecisionEntry{}
	c := b.Cursor()
	start := append(append([]byte{}, prefix...), f.From...)
	for k, v := c.Seek(start); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		dk := k[len(prefix):]
		date := dk
		if i := bytes.IndexByte(dk, 0); i >= 0 {
			date = dk[:i]
		}
		if f.To != "" && string(date) > string(f.To) {
			break
		}
		var e DecisionEntry
		if src == BucketDecisions {
			if err := json.Unmarshal(v, &e); err != nil {
				return nil, corrupt(src, k, err)
			}
		} else {
			ok, err := getJSON(tx, BucketDecisions, dk, &e)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
		}
		if f.Forum != "" && string(e.Forum) != f.Forum {
			continue
		}
		out = append(out, e)
	}
	return out, nil
}

func (m *ReadModels) meetingsQuery(forum string, year int) ([]MeetingSummary, error) {
	var out []MeetingSummary
	err := m.view(func(tx *bolt.Tx) error {
		var err error
		out, err = readMeetings(tx, forum, year)
		return err
	})
	return out, err
}

func (m *ReadModels) meetingQuery(id string) (MeetingDetail, error) {
	var out MeetingDetail
	err := m.view(func(tx *bolt.Tx) error {
		var err error
		out, err = readMeeting(tx, id)
		return err
	})
	return out, err
}

func (m *ReadModels) caseQuery(id string) (CaseDetail, error) {
	var out CaseDetail
	err := m.view(func(tx *bolt.Tx) error {
		var err error
		out, err = readCase(tx, id)
		return err
	})
	return out, err
}

func (m *ReadModels) decisionsQuery(f DecisionFilter) ([]DecisionEntry, error) {
	var out []DecisionEntry
	err := m.view(func(tx *bolt.Tx) error {
		var err error
		out, err = readDecisions(tx, f)
		return err
	})
	return out, err
}
