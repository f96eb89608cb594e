package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/projections"
)

type frontView struct {
	Phases      []phaseHead
	Goals       []frontGoal
	InPortfolio int
	RAG         []ragShare
	Decisions   []decisionRow
	// Consultations are the open consultations (høringer).
	Consultations []consultationRow
}

type phaseHead struct {
	Label, Class string
}

type frontGoal struct {
	ID, Title, Href string
	Cells           []frontCell
	Total           int
}

type frontCell struct {
	Count       int
	Href, Label string
}

type ragShare struct {
	Label, Class, FillClass, WidthClass string
	Count                               int
}

// latestDecisions is how many decisions the front page lists.
const latestDecisions = 5

func (s *Server) handleFront(r *http.Request) (*response, error) {
	if len(r.URL.RawQuery) > 4*maxQuery {
		return nil, errBadRequest("Adressen er for lang.")
	}
	x, all, err := s.strategyAndInitiatives()
	if err != nil {
		return nil, err
	}
	v := frontView{}
	for _, p := range domain.Phases {
		v.Phases = append(v.Phases, phaseHead{Label: phaseNO(p), Class: "ph-" + string(p)})
	}
	perGoal := map[string]map[domain.Phase]int{}
	total := map[string]int{}
	rags := map[domain.RAG]int{}
	for _, in := range all {
		if !onRoadmap(in.State) {
			continue
		}
		for _, g := range facetOf(x, in).goals {
			if perGoal[g] == nil {
				perGoal[g] = map[domain.Phase]int{}
			}
			perGoal[g][in.Phase]++
			total[g]++
		}
		if in.State == domain.LifecycleInPortfolio || in.State == domain.LifecyclePaused {
			v.InPortfolio++
			var r domain.RAG
			if in.LatestStatus != nil {
				r = in.LatestStatus.Overall
			}
			rags[r]++
		}
	}
	for _, g := range x.goalOrder {
		fg := frontGoal{ID: g, Title: x.goalTitle[g], Href: "/veikart?goal=" + url.QueryEscape(g), Total: total[g]}
		for _, p := range domain.Phases {
			fg.Cells = append(fg.Cells, frontCell{Count: perGoal[g][p], Label: phaseNO(p),
				Href: "/veikart?goal=" + url.QueryEscape(g) + "&phase=" + string(p)})
		}
		v.Goals = append(v.Goals, fg)
	}
	for _, r := range []domain.RAG{domain.Green, domain.Yellow, domain.Red, ""} {
		n := rags[r]
		w := 0
		if v.InPortfolio > 0 {
			w = (n*100/v.InPortfolio + 2) / 5 * 5
		}
		fill := "fill-none"
		if r != "" {
			fill = "fill-" + string(r)
		}
		v.RAG = append(v.RAG, ragShare{Label: ragNO(r), Class: ragClass(r), FillClass: fill, WidthClass: "w-" + strconv.Itoa(w), Count: n})
	}
	ds, err := s.cfg.Queries.Decisions(projections.DecisionFilter{})
	if err != nil {
		return nil, err
	}
	for i := len(ds) - 1; i >= 0 && len(v.Decisions) < latestDecisions; i-- {
		d := ds[i]
		v.Decisions = append(v.Decisions, decisionRow{Date: dateNO(d.MeetingDate), Forum: string(d.Forum), CaseNumber: d.CaseNumber,
			Outcome: outcomeNO(d.Outcome), Case: linkView{Href: "/radsmodell/saker/" + url.PathEscape(d.CaseID), Text: d.CaseTitle}})
	}
	if v.Consultations, err = s.openConsultations(); err != nil {
		return nil, err
	}
	return &response{tmpl: "front", lay: layout{Title: "Forside", Page: v}}, nil
}

type strategyView struct {
	Periods []strategyPeriod
}

type strategyPeriod struct {
	Strategy, HeadingID string
	Goals               []strategyGoal
}

type strategyGoal struct {
	ID, Title, Href string
	Count           int
	SubGoals        []strategySubGoal
	Indicators      []indicatorView
}

type strategySubGoal struct {
	ID, Title, Href string
	Count           int
}

func (s *Server) handleStrategy(r *http.Request) (*response, error) {
	x, all, err := s.strategyAndInitiatives()
	if err != nil {
		return nil, err
	}
	goals, subs := map[string]int{}, map[string]int{}
	for _, in := range all {
		if !onRoadmap(in.State) {
			continue
		}
		it := facetOf(x, in)
		for _, g := range it.goals {
			goals[g]++
		}
		for _, sg := range it.subGoals {
			subs[sg]++
		}
	}
	indicators, err := s.goalIndicators()
	if err != nil {
		return nil, err
	}
	var v strategyView
	// The current strategy first.
	for i := len(x.view.Strategies) - 1; i >= 0; i-- {
		p := x.view.Strategies[i]
		sp := strategyPeriod{Strategy: p.Strategy, HeadingID: "strategi-" + idPart(p.Strategy)}
		for _, g := range p.Goals {
			sg := strategyGoal{ID: g.GoalID, Title: g.Title, Href: "/veikart?goal=" + url.QueryEscape(g.GoalID), Count: goals[g.GoalID],
				Indicators: indicators[g.GoalID]}
			for _, s := range g.SubGoals {
				sg.SubGoals = append(sg.SubGoals, strategySubGoal{ID: s.SubGoalID, Title: s.Title,
					Href: "/veikart?subGoal=" + url.QueryEscape(s.SubGoalID), Count: subs[s.SubGoalID]})
			}
			sp.Goals = append(sp.Goals, sg)
		}
		v.Periods = append(v.Periods, sp)
	}
	return &response{tmpl: "strategy", lay: layout{Title: "Strategi", Section: "strategi", Page: v}}, nil
}
