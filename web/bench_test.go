package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/projections"
)

// bigModels are read models of n synthetic initiatives, to measure the
// site's own cost per page (the read models' is measured by make bench).
type bigModels struct {
	st  projections.StrategyView
	all []projections.InitiativeSummary
	rm  projections.RoadmapView
}

func newBigModels(n int) *bigModels {
	b := &bigModels{}
	p := projections.StrategyPeriod{Strategy: "2023-2030"}
	for g := 1; g <= 5; g++ {
		gv := projections.GoalView{GoalID: fmt.Sprintf("M%d", g), Strategy: "2023-2030", Title: fmt.Sprintf("Mål %d", g)}
		for s := 0; s < 3; s++ {
			gv.SubGoals = append(gv.SubGoals, projections.SubGoalView{SubGoalID: fmt.Sprintf("%d%c", g, 'A'+s), GoalID: gv.GoalID, Title: "Delmål"})
		}
		p.Goals = append(p.Goals, gv)
	}
	b.st.Strategies = []projections.StrategyPeriod{p}
	owners := []string{"Norsk helsenett SF", "Helsedirektoratet", "KS", "Helse Sør-Øst RHF", "Helse Midt-Norge RHF"}
	subs := map[string][]projections.RoadmapInitiative{}
	for i := 0; i < n; i++ {
		g := i%5 + 1
		sub := fmt.Sprintf("%d%c", g, 'A'+i%3)
		other := fmt.Sprintf("%d%c", (i+1)%5+1, 'A'+(i+1)%3)
		in := projections.InitiativeSummary{InitiativeID: fmt.Sprintf("01J%023d", i), Title: fmt.Sprintf("Tiltak %d for Ølen og Åsane", n-i),
			Owner: owners[i%5], Phase: domain.Phases[i%4], State: domain.LifecycleInPortfolio, PrimaryGoal: fmt.Sprintf("M%d", g),
			PrimarySubGoal: sub, SubGoals: []string{other}, UserGroups: []string{"kommuner", "innbyggere"},
			PlannedStart: domain.Date(fmt.Sprintf("%d-01-01", 2020+i%6)), PlannedEnd: domain.Date(fmt.Sprintf("%d-12-31", 2026+i%6)),
			LatestStatus: &projections.StatusView{Overall: domain.Green}}
		b.all = append(b.all, in)
		ri := projections.RoadmapInitiative{InitiativeID: in.InitiativeID, Title: in.Title, Owner: in.Owner, Phase: in.Phase,
			State: in.State, Primary: true, PlannedStart: in.PlannedStart, PlannedEnd: in.PlannedEnd, UserGroups: in.UserGroups,
			Milestones: []projections.MilestoneView{{Title: "Pilot", Status: domain.MilestonePlannedStatus, PlannedDate: "2027-03-01"}},
			LatestRAG:  domain.Green}
		subs[sub] = append(subs[sub], ri)
		ri.Primary = false
		subs[other] = append(subs[other], ri)
	}
	for _, g := range p.Goals {
		rg := projections.RoadmapGoal{GoalID: g.GoalID, Title: g.Title, Strategy: g.Strategy}
		for _, s := range g.SubGoals {
			rg.SubGoals = append(rg.SubGoals, projections.RoadmapSubGoal{SubGoalID: s.SubGoalID, Title: s.Title, Initiatives: subs[s.SubGoalID]})
		}
		b.rm.Goals = append(b.rm.Goals, rg)
	}
	return b
}

func (b *bigModels) Position() uint64                              { return 1 }
func (b *bigModels) WaitFor(ctx context.Context, pos uint64) error { return nil }
func (b *bigModels) Strategy() (projections.StrategyView, error)   { return b.st, nil }
func (b *bigModels) Initiatives(f projections.InitiativeFilter) ([]projections.InitiativeSummary, error) {
	return b.all, nil
}
func (b *bigModels) Initiative(id string) (projections.InitiativeDetail, error) {
	return projections.InitiativeDetail{}, domain.Errorf(domain.KindNotFound, "no")
}
func (b *bigModels) Roadmap(f projections.RoadmapFilter) (projections.RoadmapView, error) {
	if f.Goal == "" && f.SubGoal == "" {
		return b.rm, nil
	}
	var v projections.RoadmapView
	for _, g := range b.rm.Goals {
		if f.Goal != "" && g.GoalID != f.Goal {
			continue
		}
		rg := g
		rg.SubGoals = nil
		for _, s := range g.SubGoals {
			if f.SubGoal == "" || s.SubGoalID == f.SubGoal {
				rg.SubGoals = append(rg.SubGoals, s)
			}
		}
		if len(rg.SubGoals) > 0 {
			v.Goals = append(v.Goals, rg)
		}
	}
	return v, nil
}
func (b *bigModels) Meetings(string, int) ([]projections.MeetingSummary, error) { return nil, nil }
func (b *bigModels) Meeting(string) (projections.MeetingDetail, error) {
	return projections.MeetingDetail{}, domain.Errorf(domain.KindNotFound, "no")
}
func (b *bigModels) Case(string) (projections.CaseDetail, error) {
	return projections.CaseDetail{}, domain.Errorf(domain.KindNotFound, "no")
}
func (b *bigModels) Decisions(projections.DecisionFilter) ([]projections.DecisionEntry, error) {
	var ds []projections.DecisionEntry
	for i := 0; i < 250; i++ {
		ds = append(ds, projections.DecisionEntry{EventID: fmt.Sprintf("E%03d", i), Forum: domain.NUIT, MeetingID: "M", MeetingLabel: "1/2026",
			MeetingDate: "2026-01-15", CaseID: fmt.Sprintf("C%03d", i), CaseNumber: fmt.Sprintf("%d/26", i+1), CaseTitle: fmt.Sprintf("Sak nummer %03d", i),
			Outcome: domain.OutcomeRecommended, InitiativeID: b.all[i].InitiativeID, RecordedAt: time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)})
	}
	return ds, nil
}

func BenchmarkRoadmap10k(b *testing.B) {
	s, err := New(Config{Queries: newBigModels(10_000), Now: func() time.Time { return time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC) },
		EventTime: func(context.Context, uint64) (time.Time, error) { return time.Now(), nil }})
	if err != nil {
		b.Fatal(err)
	}
	h := s.Handler()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, "/veikart", nil)
		req.Header.Set("Accept-Encoding", "gzip")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}

// BenchmarkRoadmap10kCold is the roadmap at a new position every time:
// nothing kept from an earlier request (the read itself is in memory here).
func BenchmarkRoadmap10kCold(b *testing.B) {
	s, err := New(Config{Queries: newBigModels(10_000), Now: func() time.Time { return time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC) },
		EventTime: func(context.Context, uint64) (time.Time, error) { return time.Now(), nil }})
	if err != nil {
		b.Fatal(err)
	}
	h := s.Handler()
	for b.Loop() {
		s.roadmaps = newRoadmapCache()
		req := httptest.NewRequest(http.MethodGet, "/veikart", nil)
		req.Header.Set("Accept-Encoding", "gzip")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}
