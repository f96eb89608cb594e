package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/projections"
)

type initiativeView struct {
	ID, Title, Description, Owner string
	Phase, PhaseClass, State      string
	Cost                          string
	ProposedAt, LastUpdated       string
	FinalReport                   string
	SubGoals                      []linkView
	UserGroups                    []string
	Span                          spanView
	Years                         []yearView
	Today                         todayView
	Markers                       []markerView
	RAG, RAGClass                 string
	History                       []historyView
	Milestones                    []milestoneView
	Reports                       []reportView
	Chart                         chartView
	Cases                         []caseLinkView
	Dependencies                  dependenciesView
	// AsOf is set on "as it stood on" pages: the date asked for.
	AsOf, AsOfValue string
	Version         uint64
	CanTravel       bool
	Today8601       string
}

type linkView struct {
	Href, Text string
}

type historyView struct {
	When, Event, Phase, State, Reason string
	Case                              *linkView
	Meeting                           *linkView
}

type milestoneView struct {
	Title, Status, StatusClass string
	Planned, Original          string
	Achieved                   string
	Slips                      int
}

type reportView struct {
	Date                             string
	Overall, Schedule, Cost, Benefit ragView
	Comment                          string
}

type ragView struct {
	Text, Class string
}

// chartView is the status reports' overall RAG over time, as an SVG.
type chartView struct {
	Width, Height int
	Bars          []chartBar
	Label         string
}

type chartBar struct {
	X, Y, W, H int
	Class      string
	Title      string
}

type caseLinkView struct {
	Href, Title, Forum, Numbers, Type, Purpose, Outcome string
}

func rag(r domain.RAG) ragView { return ragView{Text: ragNO(r), Class: ragClass(r)} }

func (s *Server) handleInitiative(r *http.Request) (*response, error) {
	id := r.PathValue("id")
	if len(id) > maxParam {
		return nil, errNotFound("Vi fant ikke tiltaket.")
	}
	q := r.URL.Query()
	var asOf *time.Time
	asOfValue := ""
	if vs := q["asOf"]; len(vs) > 0 && vs[0] != "" {
		t, err := parseAsOf(vs[0])
		if err != nil {
			return nil, err
		}
		asOf, asOfValue = &t, vs[0]
	}
	x, err := s.strategy()
	if err != nil {
		return nil, err
	}
	var v initiativeView
	if asOf != nil {
		if s.cfg.History == nil {
			return nil, errNotFound("Historikken er ikke tilgjengelig her.")
		}
		is, version, err := s.cfg.History.InitiativeAt(r.Context(), id, asOf, nil)
		if err != nil {
			if domain.ErrorKind(err) == domain.KindNotFound {
				return nil, errNotFound("Tiltaket fantes ikke %s.", dayNO(*asOf))
			}
			return nil, err
		}
		v = initiativeAt(x, is, version)
		v.AsOf, v.AsOfValue = dayNO(*asOf), asOfValue
	} else {
		d, err := s.cfg.Queries.Initiative(id)
		if err != nil {
			if domain.ErrorKind(err) == domain.KindNotFound {
				return nil, errNotFound("Vi fant ikke tiltaket «%s».", id)
			}
			return nil, err
		}
		v = initiativeNow(x, d)
		if v.Dependencies, err = s.dependenciesOf(id); err != nil {
			return nil, err
		}
	}
	v.Years, v.Today = years(), today(s.cfg.Now())
	v.CanTravel = s.cfg.History != nil
	v.Today8601 = s.cfg.Now().In(oslo).Format(time.DateOnly)
	title := v.Title
	if v.AsOf != "" {
		title += " per " + v.AsOf
	}
	return &response{tmpl: "initiative", lay: layout{Title: title, Section: "veikart", Page: v}}, nil
}

// parseAsOf reads a date (the end of that day in Oslo) or an RFC 3339 time.
func parseAsOf(v string) (time.Time, error) {
	if len(v) > 64 {
		return time.Time{}, errBadRequest("Datoen er for lang.")
	}
	if d, err := time.ParseInLocation(time.DateOnly, v, oslo); err == nil {
		return d.AddDate(0, 0, 1).Add(-time.Nanosecond), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	return time.Time{}, errBadRequest("Ugyldig dato «%s». Skriv datoen som ÅÅÅÅ-MM-DD, for eksempel 2026-03-01.", v)
}

func subGoalLinks(x *strategyIndex, primary string, others []string) []linkView {
	var out []linkView
	seen := map[string]bool{}
	for i, sg := range append([]string{primary}, others...) {
		if sg == "" || seen[sg] {
			continue
		}
		seen[sg] = true
		t := sg
		if title := x.subTitle[sg]; title != "" {
			t = sg + " " + title
		}
		if i == 0 {
			t += " (hoveddelmål)"
		}
		out = append(out, linkView{Href: "/veikart?subGoal=" + url.QueryEscape(sg), Text: t})
	}
	return out
}

func costText(c *int64) string {
	if c == nil {
		return ""
	}
	return amountNO(*c)
}

func initiativeNow(x *strategyIndex, d projections.InitiativeDetail) initiativeView {
	v := initiativeView{ID: d.InitiativeID, Title: d.Title, Description: d.Description, Owner: d.Owner,
		Phase: phaseNO(d.Phase), PhaseClass: "ph-" + string(d.Phase), State: stateNO(d.State),
		Cost: costText(d.EstimatedCostNOK), ProposedAt: dayNO(d.ProposedAt), LastUpdated: timeNO(d.LastUpdated),
		FinalReport: d.FinalReport, SubGoals: subGoalLinks(x, d.PrimarySubGoal, d.SubGoals),
		UserGroups: d.UserGroups, Span: span(d.PlannedStart, d.PlannedEnd), Version: d.Version}
	if d.LatestStatus != nil {
		v.RAG, v.RAGClass = ragNO(d.LatestStatus.Overall), ragClass(d.LatestStatus.Overall)
	} else {
		v.RAG, v.RAGClass = ragNO(""), ragClass("")
	}
	for _, h := range d.History {
		hv := historyView{When: timeNO(h.At), Event: eventNO(h.Event), Phase: phaseNO(h.Phase), State: stateNO(h.State), Reason: h.Reason}
		if h.CaseID != "" {
			hv.Case = &linkView{Href: "/radsmodell/saker/" + url.PathEscape(h.CaseID), Text: caseTitle(d.Cases, h.CaseID)}
		}
		if h.Meeting != "" {
			hv.Meeting = &linkView{Href: "/radsmodell/moter/" + url.PathEscape(h.Meeting), Text: "møtet"}
		}
		v.History = append(v.History, hv)
	}
	for _, m := range d.Milestones {
		v.Milestones = append(v.Milestones, milestoneRow(m.Title, m.Status, m.PlannedDate, m.OriginalPlannedDate, m.AchievedDate, m.Slips))
		if mk, ok := milestoneMarker(m); ok {
			v.Markers = append(v.Markers, mk)
		}
	}
	for _, sr := range d.StatusHistory {
		v.Reports = append(v.Reports, reportView{Date: dateNO(sr.ReportDate), Overall: rag(sr.Overall), Schedule: rag(sr.Schedule),
			Cost: rag(sr.Cost), Benefit: rag(sr.Benefit), Comment: sr.Comment})
	}
	v.Chart = chart(d.StatusHistory)
	for _, c := range d.Cases {
		v.Cases = append(v.Cases, caseLinkView{Href: "/radsmodell/saker/" + url.PathEscape(c.CaseID), Title: c.Title,
			Forum: string(c.Forum), Numbers: strings.Join(c.CaseNumbers, ", "), Type: caseTypeNO(c.CaseType),
			Purpose: purposeText(c.Purpose, c.TargetPhase), Outcome: outcomeText(c.LastOutcome, c.LastForum)})
	}
	return v
}

func caseTitle(cases []projections.InitiativeCase, id string) string {
	for _, c := range cases {
		if c.CaseID == id {
			if len(c.CaseNumbers) > 0 {
				return "Sak " + c.CaseNumbers[len(c.CaseNumbers)-1] + " " + c.Title
			}
			return c.Title
		}
	}
	return "Saken"
}

func purposeText(p domain.Purpose, target domain.Phase) string {
	if p == domain.PurposePhaseGate && target != "" {
		return purposeNO(p) + " til " + strings.ToLower(phaseNO(target))
	}
	return purposeNO(p)
}

func outcomeText(o domain.Outcome, forum domain.Forum) string {
	if o == "" {
		return "Ikke behandlet ennå"
	}
	if forum != "" {
		return outcomeNO(o) + " i " + string(forum)
	}
	return outcomeNO(o)
}

func milestoneRow(title string, st domain.MilestoneStatus, planned, original, achieved domain.Date, slips int) milestoneView {
	mv := milestoneView{Title: title, Status: milestoneNO(st), StatusClass: "ms ms-" + string(st),
		Planned: dateNO(planned), Achieved: dateNO(achieved), Slips: slips}
	if original != planned {
		mv.Original = dateNO(original)
	}
	return mv
}

func initiativeAt(x *strategyIndex, is *domain.InitiativeState, version uint64) initiativeView {
	v := initiativeView{ID: is.ID, Title: is.Title, Description: is.Description, Owner: is.Owner,
		Phase: phaseNO(is.Phase), PhaseClass: "ph-" + string(is.Phase), State: stateNO(is.Lifecycle),
		Cost: costText(is.EstimatedCostNOK), ProposedAt: dayNO(is.CreatedAt), LastUpdated: timeNO(is.UpdatedAt),
		FinalReport: is.FinalReport, SubGoals: subGoalLinks(x, is.PrimarySubGoal, is.SubGoals),
		UserGroups: is.UserGroups, Span: span(is.PlannedStart, is.PlannedEnd), Version: version}
	if is.Paused {
		v.State = stateNO(domain.LifecyclePaused)
	}
	if is.LastStatus != nil {
		v.RAG, v.RAGClass = ragNO(is.LastStatus.Overall), ragClass(is.LastStatus.Overall)
		v.Reports = []reportView{{Date: dateNO(is.LastStatus.ReportDate), Overall: rag(is.LastStatus.Overall),
			Schedule: rag(is.LastStatus.Schedule), Cost: rag(is.LastStatus.Cost), Benefit: rag(is.LastStatus.Benefit),
			Comment: is.LastStatus.Comment}}
	} else {
		v.RAG, v.RAGClass = ragNO(""), ragClass("")
	}
	if is.Admission != nil {
		v.History = append(v.History, historyView{When: timeNO(is.Admission.At), Event: "Behandlet for opptak: " + outcomeNO(is.Admission.Outcome),
			Case:    &linkView{Href: "/radsmodell/saker/" + url.PathEscape(is.Admission.CaseID), Text: "saken"},
			Meeting: &linkView{Href: "/radsmodell/moter/" + url.PathEscape(is.Admission.MeetingID), Text: "møtet"}})
	}
	for _, pc := range is.PhaseChanges {
		v.History = append(v.History, historyView{When: timeNO(pc.At), Event: eventNO("InitiativePhaseChanged"), Phase: phaseNO(pc.To),
			Case:    &linkView{Href: "/radsmodell/saker/" + url.PathEscape(pc.CaseID), Text: "saken"},
			Meeting: &linkView{Href: "/radsmodell/moter/" + url.PathEscape(pc.MeetingID), Text: "møtet"}})
	}
	for _, m := range is.Milestones {
		v.Milestones = append(v.Milestones, milestoneRow(m.Title, m.Status, m.PlannedDate, m.OriginalPlannedDate, m.AchievedDate, len(m.Slips)))
		mv := projections.MilestoneView{Title: m.Title, Status: m.Status, PlannedDate: m.PlannedDate, AchievedDate: m.AchievedDate}
		if mk, ok := milestoneMarker(mv); ok {
			v.Markers = append(v.Markers, mk)
		}
	}
	return v
}

// chart draws each report's overall RAG as a bar: green tall, yellow
// middle, red short, so colour is not the only signal. The table next to it says the same in words.
func chart(reports []projections.StatusView) chartView {
	const w, gap, h = 28, 6, 72
	c := chartView{Height: h + 4}
	if len(reports) == 0 {
		return c
	}
	counts := map[domain.RAG]int{}
	for i, r := range reports {
		bh := 4
		switch r.Overall {
		case domain.Green:
			bh = h
		case domain.Yellow:
			bh = h * 2 / 3
		case domain.Red:
			bh = h / 3
		}
		counts[r.Overall]++
		x := i * (w + gap)
		c.Bars = append(c.Bars, chartBar{X: x, Y: h - bh + 2, W: w, H: bh, Class: "bar-" + string(r.Overall),
			Title: dateNO(r.ReportDate) + ": " + ragNO(r.Overall)})
	}
	c.Width = len(reports)*(w+gap) - gap
	c.Label = "Samlet status i " + strconv.Itoa(len(reports)) + " statusrapporter: " +
		strconv.Itoa(counts[domain.Green]) + " grønne, " + strconv.Itoa(counts[domain.Yellow]) + " gule og " +
		strconv.Itoa(counts[domain.Red]) + " røde. Se tabellen for detaljer."
	return c
}
