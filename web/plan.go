package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/projections"
)

// planQueries are the realisation plan's read models: indicators,
// reporting rounds with their frozen reports, and dependencies.
// *projections.ReadModels implements it; without it the pages show no
// indicators, no reports and no dependencies.
type planQueries interface {
	Indicators(goal string) ([]projections.IndicatorView, error)
	Rounds() ([]projections.RoundSummary, error)
	Round(id string) (projections.RoundDetail, error)
	Report(roundID string) (projections.PortfolioReport, error)
	Dependencies(f projections.DependencyFilter) ([]projections.DependencyView, error)
}

var _ planQueries = (*projections.ReadModels)(nil)

func (s *Server) plan() (planQueries, bool) {
	p, ok := s.cfg.Queries.(planQueries)
	return p, ok
}

// ---- indicators on /strategi ----

// indicatorView is one indicator with its chart and its table.
type indicatorView struct {
	Name, Unit, Direction, Source string
	Baseline, Target              string
	Latest, Progress              string
	HeadingID                     string
	Chart                         lineChart
	Rows                          []indicatorRow
}

type indicatorRow struct {
	Period, Value, Corrected string
}

// lineChart is a small server-rendered SVG: values over time as a line
// with points, the baseline and the target as labelled lines.
type lineChart struct {
	Width, Height int
	Label         string
	Path          string
	Points        []chartPoint
	Baseline      chartLine
	Target        chartLine
	// From and To are the years the chart spans.
	From, To int
}

type chartPoint struct {
	X, Y  string
	Title string
}

type chartLine struct {
	X1, X2, Y string
	Label     string
}

const (
	chartW, chartH       = 360, 170
	chartLeft, chartRite = 8, 8
	chartTop, chartBot   = 10, 10
)

func f1(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

// numberNO writes a value the Norwegian way: decimal comma.
func numberNO(f float64) string {
	return strings.Replace(strconv.FormatFloat(f, 'f', -1, 64), ".", ",", 1)
}

func indicatorChart(v projections.IndicatorView) lineChart {
	c := lineChart{Width: chartW, Height: chartH}
	t0, t1 := v.Baseline.Date.Time(), v.Target.Date.Time()
	lo, hi := v.Baseline.Value, v.Target.Value
	if lo > hi {
		lo, hi = hi, lo
	}
	for _, x := range v.Values {
		if x.Value < lo {
			lo = x.Value
		}
		if x.Value > hi {
			hi = x.Value
		}
		if e := x.PeriodEnd.Time(); e.After(t1) {
			t1 = e
		}
	}
	if hi == lo {
		hi = lo + 1
	}
	pad := (hi - lo) * 0.08
	lo, hi = lo-pad, hi+pad
	span := t1.Sub(t0).Hours()
	if span <= 0 {
		span = 1
	}
	plotW := float64(chartW - chartLeft - chartRite)
	plotH := float64(chartH - chartTop - chartBot)
	xOf := func(t time.Time) float64 { return float64(chartLeft) + plotW*t.Sub(t0).Hours()/span }
	yOf := func(val float64) float64 { return float64(chartTop) + plotH*(hi-val)/(hi-lo) }
	line := func(val float64, label string) chartLine {
		y := yOf(val)
		return chartLine{X1: f1(float64(chartLeft)), X2: f1(float64(chartLeft) + plotW), Y: f1(y), Label: label}
	}
	c.Baseline = line(v.Baseline.Value, "Utgangspunkt "+numberNO(v.Baseline.Value)+" ("+strconv.Itoa(t0.Year())+")")
	c.Target = line(v.Target.Value, "Mål "+numberNO(v.Target.Value)+" ("+strconv.Itoa(v.Target.Date.Year())+")")
	var path strings.Builder
	for i, x := range v.Values {
		px, py := xOf(x.PeriodEnd.Time()), yOf(x.Value)
		if i == 0 {
			fmt.Fprintf(&path, "M%s %s", f1(px), f1(py))
		} else {
			fmt.Fprintf(&path, " L%s %s", f1(px), f1(py))
		}
		c.Points = append(c.Points, chartPoint{X: f1(px), Y: f1(py), Title: x.Period + ": " + numberNO(x.Value) + " " + v.Unit})
	}
	c.Path = path.String()
	c.From, c.To = t0.Year(), t1.Year()
	latest := "ingen verdier ennå"
	if v.Latest != nil {
		latest = "siste verdi " + numberNO(v.Latest.Value) + " (" + v.Latest.Period + ")"
	}
	c.Label = fmt.Sprintf("%s: utgangspunkt %s i %d, mål %s i %d, %s. Tallene står i tabellen under.", v.Name,
		numberNO(v.Baseline.Value), t0.Year(), numberNO(v.Target.Value), v.Target.Date.Year(), latest)
	return c
}

func indicatorViewOf(v projections.IndicatorView) indicatorView {
	iv := indicatorView{Name: v.Name, Unit: v.Unit, Source: v.Source, HeadingID: "indikator-" + idPart(v.IndicatorID),
		Baseline: numberNO(v.Baseline.Value) + " (" + dateNO(v.Baseline.Date) + ")",
		Target:   numberNO(v.Target.Value) + " (" + dateNO(v.Target.Date) + ")",
		Chart:    indicatorChart(v)}
	iv.Direction = "høyere er bedre"
	if v.Direction == domain.Decrease {
		iv.Direction = "lavere er bedre"
	}
	if v.Latest != nil {
		iv.Latest = numberNO(v.Latest.Value) + " (" + v.Latest.Period + ")"
	}
	if v.Progress != nil {
		iv.Progress = strconv.Itoa(int(*v.Progress*100+0.5)) + " %"
	}
	for _, x := range v.Values {
		row := indicatorRow{Period: x.Period, Value: numberNO(x.Value)}
		for _, c := range x.Corrections {
			row.Corrected += "rettet fra " + numberNO(c.PreviousValue) + " (" + c.Reason + ") "
		}
		iv.Rows = append(iv.Rows, row)
	}
	return iv
}

// goalIndicators are the indicators of every goal, by goal id.
func (s *Server) goalIndicators() (map[string][]indicatorView, error) {
	out := map[string][]indicatorView{}
	pq, ok := s.plan()
	if !ok {
		return out, nil
	}
	all, err := pq.Indicators("")
	if err != nil {
		return nil, err
	}
	for _, v := range all {
		out[v.GoalID] = append(out[v.GoalID], indicatorViewOf(v))
	}
	return out, nil
}

// ---- /rapporter ----

type roundsView struct {
	Rounds []roundRow
}

type roundRow struct {
	Label, Href, State, PeriodEnd, Deadline string
}

func roundStateNO(s string) string {
	if s == projections.RoundOpen {
		return "Åpen"
	}
	return "Avsluttet"
}

func (s *Server) handleReports(r *http.Request) (*response, error) {
	pq, ok := s.plan()
	if !ok {
		return nil, errNotFound("Rapportene er ikke tilgjengelige.")
	}
	rounds, err := pq.Rounds()
	if err != nil {
		return nil, err
	}
	var v roundsView
	for _, rd := range rounds {
		v.Rounds = append(v.Rounds, roundRow{Label: rd.Label, Href: "/rapporter/" + url.PathEscape(rd.RoundID),
			State: roundStateNO(rd.State), PeriodEnd: dateNO(rd.PeriodEnd), Deadline: dateNO(rd.Deadline)})
	}
	return &response{tmpl: "reports", lay: layout{Title: "Porteføljerapporter", Section: "rapporter", Page: v}}, nil
}

type portfolioReportView struct {
	Label, State                    string
	Open                            bool
	PeriodStart, PeriodEnd, Closed  string
	Deadline                        string
	Initiatives, Reported, NotRep   int
	Decisions                       int
	ByPhase, ByOverall, MilestonesN []countRow
	Owners                          []ownerRow
	Rows                            []reportRow
	Milestones                      []reportMilestoneRow
	DecisionRows                    []reportDecisionRow
	Changes                         changesView
	JSONHref, CSVHref, XLSXHref     string
}

type countRow struct{ Key, Count string }

type ownerRow struct {
	Owner                 string
	Reported, NotReported []linkView
}

type reportRow struct {
	Title                            linkView
	Owner, Phase, State, Status      string
	Overall, Schedule, Cost, Benefit ragView
	Comment                          string
}

type reportMilestoneRow struct {
	Initiative, Title, Kind, Date string
}

type reportDecisionRow struct {
	Date, Forum, Number, Title, Outcome, Resolution string
}

type changesView struct {
	Any                          bool
	Phases, RAG, New, Closed     []string
	Cancelled, SlippedMilestones []string
}

func tiltakLink(id, title string) linkView {
	return linkView{Href: "/tiltak/" + url.PathEscape(id), Text: title}
}

var dimensionNO = map[string]string{"overall": "samlet", "schedule": "fremdrift", "cost": "kostnad", "benefit": "gevinst"}

var milestoneKindNO = map[string]string{projections.MilestoneKindAchieved: "Nådd", projections.MilestoneKindSlipped: "Forskjøvet",
	projections.MilestoneKindDue: "Forfalt, ikke nådd"}

func (s *Server) handleReport(r *http.Request) (*response, error) {
	pq, ok := s.plan()
	if !ok {
		return nil, errNotFound("Rapportene er ikke tilgjengelige.")
	}
	id := r.PathValue("roundId")
	rd, err := pq.Round(id)
	if domain.IsKind(err, domain.KindNotFound) {
		return nil, errNotFound("Fant ingen rapporteringsrunde %s.", id)
	}
	if err != nil {
		return nil, err
	}
	v := portfolioReportView{Label: rd.Label, State: roundStateNO(rd.State), Open: rd.State == projections.RoundOpen,
		PeriodEnd: dateNO(rd.PeriodEnd), Deadline: dateNO(rd.Deadline), Reported: rd.Reported, NotRep: rd.NotReported,
		Initiatives: rd.Reported + rd.NotReported}
	for _, o := range rd.Owners {
		or := ownerRow{Owner: o.Owner}
		for _, x := range o.Reported {
			or.Reported = append(or.Reported, tiltakLink(x.InitiativeID, x.Title))
		}
		for _, x := range o.NotReported {
			or.NotReported = append(or.NotReported, tiltakLink(x.InitiativeID, x.Title))
		}
		v.Owners = append(v.Owners, or)
	}
	title := "Rapporteringsrunde " + rd.Label
	if !v.Open {
		rep, err := pq.Report(id)
		if err != nil {
			return nil, err
		}
		title = "Porteføljerapport " + rd.Label
		api := "/v1/reports/" + url.PathEscape(id)
		v.JSONHref, v.CSVHref, v.XLSXHref = api, api+"?format=csv", api+"?format=xlsx"
		if rep.PeriodStart != "" {
			v.PeriodStart = dateNO(rep.PeriodStart)
		}
		v.Closed = timeNO(rep.ClosedAt)
		v.Decisions = rep.Summary.Decisions
		for _, c := range rep.Summary.ByPhase {
			v.ByPhase = append(v.ByPhase, countRow{phaseNO(domain.Phase(c.Key)), strconv.Itoa(c.Count)})
		}
		for _, c := range rep.Summary.ByOverall {
			k := "Ikke rapportert"
			if c.Key != projections.StatusNotReported {
				k = ragNO(domain.RAG(c.Key))
			}
			v.ByOverall = append(v.ByOverall, countRow{k, strconv.Itoa(c.Count)})
		}
		for _, c := range rep.Summary.Milestones {
			v.MilestonesN = append(v.MilestonesN, countRow{milestoneKindNO[c.Key], strconv.Itoa(c.Count)})
		}
		for _, i := range rep.Initiatives {
			row := reportRow{Title: tiltakLink(i.InitiativeID, i.Title), Owner: i.Owner, Phase: phaseNO(i.Phase),
				State: stateNO(i.State), Status: "Ikke rapportert"}
			if st := i.Status; st != nil {
				row.Status = "Rapportert " + dateNO(st.ReportDate)
				row.Overall, row.Schedule, row.Cost, row.Benefit = rag(st.Overall), rag(st.Schedule), rag(st.Cost), rag(st.Benefit)
				row.Comment = st.Comment
			}
			v.Rows = append(v.Rows, row)
		}
		for _, m := range rep.Milestones {
			date := dateNO(m.PlannedDate)
			switch m.Kind {
			case projections.MilestoneKindAchieved:
				date = dateNO(m.AchievedDate)
			case projections.MilestoneKindSlipped:
				date = dateNO(m.From) + " → " + dateNO(m.To)
			}
			v.Milestones = append(v.Milestones, reportMilestoneRow{Initiative: m.InitiativeTitle, Title: m.Title,
				Kind: milestoneKindNO[m.Kind], Date: date})
		}
		for _, d := range rep.Decisions {
			v.DecisionRows = append(v.DecisionRows, reportDecisionRow{Date: dateNO(d.MeetingDate), Forum: string(d.Forum),
				Number: d.CaseNumber, Title: d.CaseTitle, Outcome: outcomeNO(d.Outcome), Resolution: d.Resolution})
		}
		ch := rep.Changes
		for _, p := range ch.PhaseChanges {
			v.Changes.Phases = append(v.Changes.Phases, p.Title+": "+phaseNO(p.From)+" → "+phaseNO(p.To))
		}
		for _, c := range ch.RAG {
			dir := "bedre"
			if c.Direction == "worse" {
				dir = "dårligere"
			}
			v.Changes.RAG = append(v.Changes.RAG, fmt.Sprintf("%s, %s: %s → %s (%s)", c.Title, dimensionNO[c.Dimension],
				ragNO(c.From), ragNO(c.To), dir))
		}
		names := func(refs []projections.InitiativeRef) []string {
			var out []string
			for _, x := range refs {
				out = append(out, x.Title+" ("+x.Owner+")")
			}
			return out
		}
		v.Changes.New, v.Changes.Closed, v.Changes.Cancelled = names(ch.New), names(ch.Closed), names(ch.Cancelled)
		for _, m := range ch.SlippedMilestones {
			v.Changes.SlippedMilestones = append(v.Changes.SlippedMilestones,
				m.InitiativeTitle+": "+m.Title+", "+dateNO(m.From)+" → "+dateNO(m.To))
		}
		v.Changes.Any = len(v.Changes.Phases)+len(v.Changes.RAG)+len(v.Changes.New)+len(v.Changes.Closed)+
			len(v.Changes.Cancelled)+len(v.Changes.SlippedMilestones) > 0
	}
	return &response{tmpl: "report", lay: layout{Title: title, Section: "rapporter", Page: v}}, nil
}

// ---- dependencies on /tiltak/{id} ----

type dependencyRow struct {
	Other               linkView
	NeededBy, Milestone string
	AtRisk              bool
	State, Why          string
}

type dependenciesView struct {
	Needs, NeededBy []dependencyRow
}

func (s *Server) dependenciesOf(id string) (dependenciesView, error) {
	var v dependenciesView
	pq, ok := s.plan()
	if !ok {
		return v, nil
	}
	deps, err := pq.Dependencies(projections.DependencyFilter{InitiativeID: id})
	if err != nil {
		return v, err
	}
	for _, d := range deps {
		row := dependencyRow{NeededBy: dateNO(d.NeededBy), AtRisk: d.State == projections.DependencyAtRisk, State: "I rute"}
		if row.AtRisk {
			row.State = "I faresonen"
			if d.Risk != nil {
				row.Why = d.Risk.Reason
			}
		}
		if d.MilestoneID != "" {
			row.Milestone = "en milepæl"
		}
		if d.InitiativeID == id {
			row.Other = tiltakLink(d.DependsOn, d.DependsOnTitle)
			v.Needs = append(v.Needs, row)
		} else {
			row.Other = tiltakLink(d.InitiativeID, d.InitiativeTitle)
			v.NeededBy = append(v.NeededBy, row)
		}
	}
	return v, nil
}

// markDependencies marks the roadmap's initiatives that need something at
// risk.
func (s *Server) markDependencies(v *roadmapView) error {
	pq, ok := s.plan()
	if !ok {
		return nil
	}
	yes := true
	deps, err := pq.Dependencies(projections.DependencyFilter{AtRisk: &yes})
	if err != nil || len(deps) == 0 {
		return err
	}
	risky := map[string]bool{}
	for _, d := range deps {
		risky[d.InitiativeID] = true
	}
	for g := range v.Goals {
		for sg := range v.Goals[g].SubGoals {
			items := v.Goals[g].SubGoals[sg].Items
			for i := range items {
				items[i].DependencyAtRisk = risky[items[i].ID]
			}
		}
	}
	return nil
}
