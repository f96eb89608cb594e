package httpapi

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/xuri/excelize/v2"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/services"
	"github.com/ehelse/portfolio/services/wire"
)

// PlanQueries are the read models of the realisation plan: indicators,
// reporting rounds with their frozen reports, and dependencies.
// *wire.ReadModels implements it; a Queries without it answers
// these endpoints with 503.
type PlanQueries interface {
	Indicators(goal string) ([]wire.IndicatorView, error)
	Indicator(id string) (wire.IndicatorView, error)
	Rounds() ([]wire.RoundSummary, error)
	Round(id string) (wire.RoundDetail, error)
	ReportJSON(roundID string) ([]byte, error)
	Dependencies(f wire.DependencyFilter) ([]wire.DependencyView, error)
}

// IndicatorList is the answer of GET /v1/indicators.
type IndicatorList struct {
	Indicators []wire.IndicatorView `json:"indicators"`
}

// RoundList is the answer of GET /v1/reporting-rounds.
type RoundList struct {
	Rounds []wire.RoundSummary `json:"rounds"`
}

// DependencyList is the answer of GET /v1/dependencies.
type DependencyList struct {
	Dependencies []wire.DependencyView `json:"dependencies"`
}

func (s *Server) planRoutes(handle func(pattern string, h http.HandlerFunc)) {
	handle("GET /v1/indicators", s.handleIndicators)
	handle("GET /v1/indicators/{id}", s.handleIndicator)
	handle("GET /v1/reporting-rounds", s.handleRounds)
	handle("GET /v1/reporting-rounds/{id}", s.handleRound)
	handle("GET /v1/reports/{roundId}", s.handleReport)
	handle("GET /v1/dependencies", s.handleDependencies)
}

// plan returns the plan read models, or answers 503.
func (s *Server) plan(w http.ResponseWriter, r *http.Request) (PlanQueries, bool) {
	pq, ok := s.cfg.Queries.(PlanQueries)
	if !ok || s.cfg.Queries == nil {
		s.writeError(w, r, errNotConfigured("the realisation plan's read models"))
		return nil, false
	}
	return pq, true
}

// planJSON answers a public plan query: check vets the parameters (nil:
// none), read is the answer.
func (s *Server) planJSON(w http.ResponseWriter, r *http.Request, check func() error, read func(PlanQueries) (any, error)) {
	pq, ok := s.plan(w, r)
	if !ok {
		return
	}
	s.answer(w, r, check, func() (any, error) { return read(pq) })
}

func (s *Server) handleIndicators(w http.ResponseWriter, r *http.Request) {
	s.planJSON(w, r, nil, func(pq PlanQueries) (any, error) {
		list, err := pq.Indicators(r.URL.Query().Get("goal"))
		return IndicatorList{Indicators: list}, err
	})
}

func (s *Server) handleIndicator(w http.ResponseWriter, r *http.Request) {
	s.planJSON(w, r, nil, func(pq PlanQueries) (any, error) {
		return pq.Indicator(r.PathValue("id"))
	})
}

func (s *Server) handleRounds(w http.ResponseWriter, r *http.Request) {
	s.planJSON(w, r, nil, func(pq PlanQueries) (any, error) {
		list, err := pq.Rounds()
		return RoundList{Rounds: list}, err
	})
}

func (s *Server) handleRound(w http.ResponseWriter, r *http.Request) {
	s.planJSON(w, r, nil, func(pq PlanQueries) (any, error) {
		return pq.Round(r.PathValue("id"))
	})
}

// Sections of the report in CSV (?section=) and the sheets of the xlsx.
var reportSections = []string{"initiatives", "milestones", "decisions", "changes"}

func (s *Server) handleReport(w http.ResponseWriter, r *http.Request) {
	pq, ok := s.plan(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	format, section := q.Get("format"), q.Get("section")
	check := func() error {
		var v domain.Validation
		switch format {
		case "", "json", "csv", "xlsx":
		default:
			v.Add("format", "must be json, csv or xlsx")
		}
		if section != "" && !slices.Contains(reportSections, section) {
			v.Add("section", "must be initiatives, milestones, decisions or changes")
		}
		return v.Err()
	}
	if _, ok := s.startQuery(w, r, services.ReadPublic, check); !ok {
		return
	}
	roundID := r.PathValue("roundId")
	data, err := pq.ReportJSON(roundID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	switch format {
	case "", "json":
		// The frozen bytes as stored: the same answer before and after
		// any later event or rebuild.
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(data)
		return
	}
	var rep wire.PortfolioReport
	if err := json.Unmarshal(data, &rep); err != nil {
		s.writeError(w, r, &domain.Error{Kind: domain.KindInternal, Message: "decode report " + roundID, Err: err})
		return
	}
	name := "porteføljerapport-" + safeFileName(rep.Label)
	if format == "csv" {
		if section == "" {
			section = "initiatives"
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename*=UTF-8''%s-%s.csv", urlEscape(name), section))
		w.WriteHeader(http.StatusOK)
		cw := csv.NewWriter(w)
		for _, row := range ReportRows(rep, section) {
			safe := make([]string, len(row))
			for i, c := range row {
				safe[i] = csvSafe(c)
			}
			_ = cw.Write(safe)
		}
		cw.Flush()
		return
	}
	f := excelize.NewFile()
	defer func() { _ = f.Close() }()
	for i, sec := range append([]string{"summary"}, reportSections...) {
		sheet := sheetNames[sec]
		if i == 0 {
			if err := f.SetSheetName("Sheet1", sheet); err != nil {
				s.writeError(w, r, err)
				return
			}
		} else if _, err := f.NewSheet(sheet); err != nil {
			s.writeError(w, r, err)
			return
		}
		for j, row := range ReportRows(rep, sec) {
			vals := make([]any, len(row))
			for k, c := range row {
				vals[k] = c
			}
			cell, _ := excelize.CoordinatesToCellName(1, j+1)
			if err := f.SetSheetRow(sheet, cell, &vals); err != nil {
				s.writeError(w, r, err)
				return
			}
		}
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename*=UTF-8''%s.xlsx", urlEscape(name)))
	w.WriteHeader(http.StatusOK)
	_ = f.Write(w)
}

// sheetNames are the xlsx sheets, in Norwegian as the users read them.
var sheetNames = map[string]string{
	"summary": "Sammendrag", "initiatives": "Tiltak", "milestones": "Milepæler",
	"decisions": "Vedtak", "changes": "Endringer",
}

// ReportRows is one section of a report as a table with a header row:
// summary, initiatives, milestones, decisions or changes.
func ReportRows(rep wire.PortfolioReport, section string) [][]string {
	switch section {
	case "summary":
		rows := [][]string{{"key", "value"},
			{"round", rep.Label}, {"periodStart", string(rep.PeriodStart)}, {"periodEnd", string(rep.PeriodEnd)},
			{"closedAt", rep.ClosedAt.UTC().Format("2006-01-02T15:04:05Z07:00")},
			{"initiatives", strconv.Itoa(rep.Summary.Initiatives)}, {"reported", strconv.Itoa(rep.Summary.Reported)},
			{"notReported", strconv.Itoa(rep.Summary.NotReported)}, {"decisions", strconv.Itoa(rep.Summary.Decisions)}}
		for _, c := range rep.Summary.ByPhase {
			rows = append(rows, []string{"phase:" + c.Key, strconv.Itoa(c.Count)})
		}
		for _, c := range rep.Summary.ByOverall {
			rows = append(rows, []string{"overall:" + c.Key, strconv.Itoa(c.Count)})
		}
		for _, c := range rep.Summary.Milestones {
			rows = append(rows, []string{"milestones:" + c.Key, strconv.Itoa(c.Count)})
		}
		return rows
	case "milestones":
		rows := [][]string{{"initiativeId", "initiative", "milestoneId", "milestone", "kind", "plannedDate", "achievedDate", "from", "to"}}
		for _, m := range rep.Milestones {
			rows = append(rows, []string{m.InitiativeID, m.InitiativeTitle, m.MilestoneID, m.Title, m.Kind,
				string(m.PlannedDate), string(m.AchievedDate), string(m.From), string(m.To)})
		}
		return rows
	case "decisions":
		rows := [][]string{{"forum", "meeting", "meetingDate", "caseNumber", "case", "initiativeId", "outcome", "resolution", "corrected"}}
		for _, d := range rep.Decisions {
			rows = append(rows, []string{string(d.Forum), d.MeetingLabel, string(d.MeetingDate), d.CaseNumber, d.CaseTitle,
				d.InitiativeID, string(d.Outcome), d.Resolution, strconv.FormatBool(d.Corrected)})
		}
		return rows
	case "changes":
		rows := [][]string{{"change", "initiativeId", "initiative", "detail", "from", "to"}}
		ch := rep.Changes
		for _, p := range ch.PhaseChanges {
			rows = append(rows, []string{"phase", p.InitiativeID, p.Title, "", string(p.From), string(p.To)})
		}
		for _, c := range ch.RAG {
			rows = append(rows, []string{"rag-" + c.Direction, c.InitiativeID, c.Title, c.Dimension, string(c.From), string(c.To)})
		}
		for _, x := range ch.New {
			rows = append(rows, []string{"new", x.InitiativeID, x.Title, x.Owner, "", ""})
		}
		for _, x := range ch.Closed {
			rows = append(rows, []string{"closed", x.InitiativeID, x.Title, x.Owner, "", ""})
		}
		for _, x := range ch.Cancelled {
			rows = append(rows, []string{"cancelled", x.InitiativeID, x.Title, x.Owner, "", ""})
		}
		for _, m := range ch.SlippedMilestones {
			rows = append(rows, []string{"milestone-slipped", m.InitiativeID, m.InitiativeTitle, m.Title, string(m.From), string(m.To)})
		}
		return rows
	}
	rows := [][]string{{"initiativeId", "title", "owner", "primaryGoal", "phase", "state", "statusInRound",
		"reportDate", "overall", "schedule", "cost", "benefit", "comment"}}
	for _, i := range rep.Initiatives {
		row := []string{i.InitiativeID, i.Title, i.Owner, i.PrimaryGoal, string(i.Phase), string(i.State), i.StatusInRound,
			"", "", "", "", "", ""}
		if st := i.Status; st != nil {
			copy(row[7:], []string{string(st.ReportDate), string(st.Overall), string(st.Schedule), string(st.Cost),
				string(st.Benefit), st.Comment})
		}
		rows = append(rows, row)
	}
	return rows
}

func (s *Server) handleDependencies(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := wire.DependencyFilter{InitiativeID: q.Get("initiativeId")}
	check := func() error {
		var v domain.Validation
		if a := q.Get("atRisk"); a != "" {
			b, err := strconv.ParseBool(a)
			if err != nil {
				v.Add("atRisk", "must be true or false")
			} else {
				f.AtRisk = &b
			}
		}
		return v.Err()
	}
	s.planJSON(w, r, check, func(pq PlanQueries) (any, error) {
		list, err := pq.Dependencies(f)
		return DependencyList{Dependencies: list}, err
	})
}

// safeFileName keeps letters, digits, '-' and '_'.
func safeFileName(s string) string {
	out := []rune{}
	for _, r := range s {
		if r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			out = append(out, r)
		}
	}
	return string(out)
}

func urlEscape(s string) string {
	const hex = "0123456789ABCDEF"
	var b []byte
	for _, c := range []byte(s) {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' {
			b = append(b, c)
		} else {
			b = append(b, '%', hex[c>>4], hex[c&15])
		}
	}
	return string(b)
}
