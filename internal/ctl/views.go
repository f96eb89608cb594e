package ctl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/ehelse/portfolio/audit"
)

// The query answers portfolioctl renders as tables. They mirror the parts
// of the server's view types (projections/api.go) that the tables show;
// unknown fields are ignored, and --output json prints the answer as is.

type strategyView struct {
	Strategies []struct {
		Strategy string     `json:"strategy"`
		Goals    []goalView `json:"goals"`
	} `json:"strategies"`
}

type goalView struct {
	GoalID   string `json:"goalId"`
	Strategy string `json:"strategy"`
	Title    string `json:"title"`
	SubGoals []struct {
		SubGoalID string `json:"subGoalId"`
		Title     string `json:"title"`
	} `json:"subGoals"`
}

type statusView struct {
	ReportDate string `json:"reportDate"`
	Overall    string `json:"overall"`
	Schedule   string `json:"schedule"`
	Cost       string `json:"cost"`
	Benefit    string `json:"benefit"`
	Comment    string `json:"comment"`
	ReportedAt string `json:"reportedAt"`
	ReportedBy string `json:"reportedBy"`
}

type milestoneView struct {
	MilestoneID         string          `json:"milestoneId"`
	ID                  string          `json:"id"` // the log-computed state's name for it
	Title               string          `json:"title"`
	Status              string          `json:"status"`
	PlannedDate         string          `json:"plannedDate"`
	OriginalPlannedDate string          `json:"originalPlannedDate"`
	AchievedDate        string          `json:"achievedDate"`
	Slips               json.RawMessage `json:"slips"` // a count, or the list of slips
}

func (m milestoneView) id() string { return first(m.MilestoneID, m.ID) }

// slips counts the slips, whichever form they come in.
func (m milestoneView) slips() int {
	var n int
	if json.Unmarshal(m.Slips, &n) == nil {
		return n
	}
	var l []json.RawMessage
	if json.Unmarshal(m.Slips, &l) == nil {
		return len(l)
	}
	return 0
}

type initiativeSummary struct {
	InitiativeID     string      `json:"initiativeId"`
	Title            string      `json:"title"`
	Owner            string      `json:"owner"`
	Phase            string      `json:"phase"`
	State            string      `json:"state"`
	PrimaryGoal      string      `json:"primaryGoal"`
	PrimarySubGoal   string      `json:"primarySubGoal"`
	SubGoals         []string    `json:"subGoals"`
	UserGroups       []string    `json:"userGroups"`
	PlannedStart     string      `json:"plannedStart"`
	PlannedEnd       string      `json:"plannedEnd"`
	EstimatedCostNOK *int64      `json:"estimatedCostNOK"`
	LatestStatus     *statusView `json:"latestStatus"`
	LastUpdated      string      `json:"lastUpdated"`
	Version          uint64      `json:"version"`
}

// initiativeView is GET /v1/initiatives/{id}: the read model's detail, or
// with asOf/atVersion possibly the state computed from the log, whose
// names differ in places (id, lifecycle, lastStatus); both are accepted.
type initiativeView struct {
	initiativeSummary
	ID            string          `json:"id"`
	Lifecycle     string          `json:"lifecycle"`
	Paused        bool            `json:"paused"`
	LastStatus    *statusView     `json:"lastStatus"`
	Description   string          `json:"description"`
	FinalReport   string          `json:"finalReport"`
	Reason        string          `json:"reason"`
	ProposedAt    string          `json:"proposedAt"`
	Milestones    []milestoneView `json:"milestones"`
	StatusHistory []statusView    `json:"statusHistory"`
	History       []struct {
		Event    string `json:"event"`
		State    string `json:"state"`
		Phase    string `json:"phase"`
		Reason   string `json:"reason"`
		CaseID   string `json:"caseId"`
		Meeting  string `json:"meetingId"`
		At       string `json:"at"`
		Position uint64 `json:"position"`
	} `json:"history"`
	Cases []struct {
		CaseID      string   `json:"caseId"`
		Forum       string   `json:"forum"`
		Title       string   `json:"title"`
		CaseType    string   `json:"caseType"`
		Purpose     string   `json:"purpose"`
		TargetPhase string   `json:"targetPhase"`
		CaseNumbers []string `json:"caseNumbers"`
		LastOutcome string   `json:"lastOutcome"`
		LastForum   string   `json:"lastForum"`
	} `json:"cases"`
	// PhaseChanges is the log-computed state's list of phase gates passed.
	PhaseChanges []struct {
		From      string `json:"from"`
		To        string `json:"to"`
		CaseID    string `json:"caseId"`
		MeetingID string `json:"meetingId"`
		At        string `json:"at"`
	} `json:"phaseChanges"`
	Position uint64 `json:"position"`
}

type roadmapView struct {
	Goals []struct {
		GoalID   string `json:"goalId"`
		Strategy string `json:"strategy"`
		Title    string `json:"title"`
		SubGoals []struct {
			SubGoalID   string `json:"subGoalId"`
			Title       string `json:"title"`
			Initiatives []struct {
				InitiativeID string          `json:"initiativeId"`
				Title        string          `json:"title"`
				Owner        string          `json:"owner"`
				Phase        string          `json:"phase"`
				State        string          `json:"state"`
				Primary      bool            `json:"primary"`
				PlannedStart string          `json:"plannedStart"`
				PlannedEnd   string          `json:"plannedEnd"`
				Milestones   []milestoneView `json:"milestones"`
				LatestRAG    string          `json:"latestRag"`
				LatestStatus *statusView     `json:"latestStatus"`
			} `json:"initiatives"`
		} `json:"subGoals"`
	} `json:"goals"`
}

type meetingSummary struct {
	MeetingID   string `json:"meetingId"`
	Forum       string `json:"forum"`
	Date        string `json:"date"`
	Label       string `json:"label"`
	Held        bool   `json:"held"`
	AgendaItems int    `json:"agendaItems"`
}

type correctionView struct {
	EventID         string `json:"eventId"`
	CorrectsEventID string `json:"correctsEventId"`
	Reason          string `json:"reason"`
	Resolution      string `json:"resolution"`
	RecordedAt      string `json:"recordedAt"`
}

type outcomeView struct {
	Outcome     string           `json:"outcome"`
	Resolution  string           `json:"resolution"`
	Conditions  string           `json:"conditions"`
	Remarks     string           `json:"remarks"`
	Reason      string           `json:"reason"`
	EventID     string           `json:"eventId"`
	Corrections []correctionView `json:"corrections"`
}

type meetingView struct {
	meetingSummary
	HeldAt string `json:"heldAt"`
	Agenda []struct {
		CaseID             string        `json:"caseId"`
		CaseNumber         string        `json:"caseNumber"`
		CaseType           string        `json:"caseType"`
		Purpose            string        `json:"purpose"`
		Title              string        `json:"title"`
		InitiativeID       string        `json:"initiativeId"`
		ProposedResolution string        `json:"proposedResolution"`
		RegisteredForum    string        `json:"registeredForum"`
		Outcomes           []outcomeView `json:"outcomes"`
	} `json:"agenda"`
}

type caseView struct {
	CaseID             string `json:"caseId"`
	Forum              string `json:"forum"`
	Title              string `json:"title"`
	CaseType           string `json:"caseType"`
	Purpose            string `json:"purpose"`
	InitiativeID       string `json:"initiativeId"`
	TargetPhase        string `json:"targetPhase"`
	ProposedResolution string `json:"proposedResolution"`
	ArchiveRef         string `json:"archiveRef"`
	RegisteredAt       string `json:"registeredAt"`
	Status             string `json:"status"`
	Version            uint64 `json:"version"`
	Path               []struct {
		Kind         string `json:"kind"`
		Forum        string `json:"forum"`
		MeetingID    string `json:"meetingId"`
		MeetingLabel string `json:"meetingLabel"`
		MeetingDate  string `json:"meetingDate"`
		CaseNumber   string `json:"caseNumber"`
		Outcome      string `json:"outcome"`
		Resolution   string `json:"resolution"`
		Conditions   string `json:"conditions"`
		Remarks      string `json:"remarks"`
		Reason       string `json:"reason"`
		EventID      string `json:"eventId"`
		Corrected    bool   `json:"corrected"`
	} `json:"path"`
	Corrections []correctionView `json:"corrections"`
}

type decisionEntry struct {
	EventID      string           `json:"eventId"`
	Position     uint64           `json:"position"`
	Forum        string           `json:"forum"`
	MeetingID    string           `json:"meetingId"`
	MeetingLabel string           `json:"meetingLabel"`
	MeetingDate  string           `json:"meetingDate"`
	CaseID       string           `json:"caseId"`
	CaseNumber   string           `json:"caseNumber"`
	CaseTitle    string           `json:"caseTitle"`
	InitiativeID string           `json:"initiativeId"`
	Outcome      string           `json:"outcome"`
	Resolution   string           `json:"resolution"`
	Conditions   string           `json:"conditions"`
	Remarks      string           `json:"remarks"`
	Reason       string           `json:"reason"`
	Corrections  []correctionView `json:"corrections"`
}

type verifyView struct {
	OK       bool    `json:"ok"`
	Events   uint64  `json:"events"`
	Head     string  `json:"head"`
	FirstBad *uint64 `json:"firstBad"`
	// Additions (audit_cmds.go): the server's or the offline check's details.
	Position     uint64             `json:"position"`
	Reason       string             `json:"reason"`
	Missing      uint64             `json:"missing"`
	FirstMissing *uint64            `json:"firstMissing"`
	KeyID        string             `json:"keyId"`
	Since        *audit.SinceResult `json:"since"`
}

// eventRow is one event of the log, from an answer whose exact shape the
// contract leaves open: a list, or an object holding the list under
// "events"; each event a CloudEvent (with its position alongside or
// around it) or a flat record.
type eventRow struct {
	Position  uint64
	Time      string
	Type      string
	Aggregate string
	Version   uint64
	Actor     string
	ID        string
}

// decodeList finds the list in an answer: the answer itself, or the first
// of the keys that holds a list.
func decodeList(body []byte, keys ...string) ([]json.RawMessage, error) {
	body = bytes.TrimSpace(body)
	var list []json.RawMessage
	if len(body) > 0 && body[0] == '[' {
		err := json.Unmarshal(body, &list)
		return list, err
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		return nil, err
	}
	for _, k := range keys {
		if v, ok := obj[k]; ok {
			err := json.Unmarshal(v, &list)
			return list, err
		}
	}
	return nil, fmt.Errorf("no list under %s", strings.Join(keys, ", "))
}

func decodeEvents(body []byte) ([]eventRow, error) {
	items, err := decodeList(body, "events", "items", "records")
	if err != nil {
		return nil, err
	}
	rows := make([]eventRow, 0, len(items))
	for _, it := range items {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(it, &m); err != nil {
			return nil, err
		}
		// An envelope around the CloudEvent: {"position": 7, "event": {…}}.
		for _, k := range []string{"event", "cloudEvent", "cloudevent", "raw"} {
			var inner map[string]json.RawMessage
			if json.Unmarshal(m[k], &inner) == nil {
				for ik, iv := range inner {
					if _, ok := m[ik]; !ok {
						m[ik] = iv
					}
				}
			}
		}
		r := eventRow{
			Position: getUint(m, "position", "sequence", "seq"),
			Time:     getStr(m, "time", "recordedAt", "at"),
			Type:     eventName(getStr(m, "type", "eventType")),
			Version:  getUint(m, "aggregateversion", "aggregateVersion", "version"),
			Actor:    getStr(m, "actor"),
			ID:       getStr(m, "id", "eventId"),
		}
		at, aid := getStr(m, "aggregatetype", "aggregateType"), getStr(m, "aggregateid", "aggregateId")
		if at != "" && aid != "" {
			r.Aggregate = at + "/" + aid
		} else {
			r.Aggregate = getStr(m, "subject")
		}
		rows = append(rows, r)
	}
	return rows, nil
}

func getStr(m map[string]json.RawMessage, keys ...string) string {
	for _, k := range keys {
		var s string
		if json.Unmarshal(m[k], &s) == nil && s != "" {
			return s
		}
	}
	return ""
}

func getUint(m map[string]json.RawMessage, keys ...string) uint64 {
	for _, k := range keys {
		var n uint64
		if json.Unmarshal(m[k], &n) == nil && n != 0 {
			return n
		}
		var s string
		if json.Unmarshal(m[k], &s) == nil {
			if n, err := strconv.ParseUint(s, 10, 64); err == nil {
				return n
			}
		}
	}
	return 0
}

var versionSuffix = regexp.MustCompile(`^v[0-9]+$`)

// eventName is the event name of a CloudEvents type:
// "no.ehelse.portfolio.InitiativeProposed.v1" → "InitiativeProposed".
func eventName(t string) string {
	parts := strings.Split(t, ".")
	if len(parts) > 1 && versionSuffix.MatchString(parts[len(parts)-1]) {
		parts = parts[:len(parts)-1]
	}
	return parts[len(parts)-1]
}

// first returns the first non-empty string.
func first(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
