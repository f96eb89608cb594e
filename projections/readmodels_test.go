package projections

import (
	"slices"
	"sort"
	"testing"

	"github.com/ehelse/portfolio/domain"
)

func scenarioModels(t *testing.T) (*ReadModels, scenarioIDs) {
	t.Helper()
	h, ids := scenario()
	db := openDB(t)
	applyItems(t, db, h.items, 7)
	return modelsOn(t, db), ids
}

func ids(list []InitiativeSummary) []string {
	out := []string{}
	for _, s := range list {
		out = append(out, s.InitiativeID)
	}
	sort.Strings(out)
	return out
}

func want(xs ...string) []string {
	out := append([]string{}, xs...)
	sort.Strings(out)
	return out
}

func TestStrategy(t *testing.T) {
	m, _ := scenarioModels(t)
	s, err := m.Strategy()
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Strategies) != 2 || s.Strategies[0].Strategy != "2017-2022" || s.Strategies[1].Strategy != "2023-2030" {
		t.Fatalf("strategies: %+v", s.Strategies)
	}
	cur := s.Strategies[1]
	var goals []string
	for _, g := range cur.Goals {
		goals = append(goals, g.GoalID)
	}
	if !slices.Equal(goals, []string{"M1", "M2", "M3"}) {
		t.Fatalf("goals %v", goals)
	}
	m1 := cur.Goals[0]
	if m1.Title != "Aktiv medvirkning i egen og næres helse" || len(m1.SubGoals) != 2 || m1.SubGoals[0].SubGoalID != "1A" || m1.SubGoals[1].SubGoalID != "1B" {
		t.Fatalf("M1: %+v", m1)
	}
	if m1.SubGoals[0].GoalID != "M1" || m1.SubGoals[0].Strategy != "2023-2030" {
		t.Fatalf("1A: %+v", m1.SubGoals[0])
	}
}

func TestNaturalOrder(t *testing.T) {
	in := []string{"M10", "M2", "M1", "10A", "1B", "1A", "2A"}
	sort.Slice(in, func(i, j int) bool { return naturalLess(in[i], in[j]) })
	if !slices.Equal(in, []string{"1A", "1B", "2A", "10A", "M1", "M2", "M10"}) {
		t.Fatal(in)
	}
}

func TestInitiativeFilters(t *testing.T) {
	m, _ := scenarioModels(t)
	cases := []struct {
		name string
		f    InitiativeFilter
		want []string
	}{
		{"all", InitiativeFilter{}, want(iHjemme, iPLL, iAkson, iAnalyse, iPaaror, iAvvist)},
		{"goal M1 (primary or via sub-goal)", InitiativeFilter{Goal: "M1"}, want(iHjemme, iAkson, iPaaror, iAvvist)},
		{"goal M2 includes secondary sub-goal 2A", InitiativeFilter{Goal: "M2"}, want(iHjemme, iPLL)},
		{"goal unknown", InitiativeFilter{Goal: "M9"}, want()},
		{"sub-goal 2A", InitiativeFilter{SubGoal: "2A"}, want(iHjemme, iPLL)},
		{"sub-goal 1A", InitiativeFilter{SubGoal: "1A"}, want(iHjemme, iPaaror)},
		{"owner exact", InitiativeFilter{Owner: hso}, want(iHjemme, iAvvist)},
		{"owner case-insensitive", InitiativeFilter{Owner: "HELSE SØR-ØST RHF"}, want(iHjemme, iAvvist)},
		{"owner partial is not a match", InitiativeFilter{Owner: "Helse"}, want()},
		{"phase planning", InitiativeFilter{Phase: "planning"}, want(iHjemme)},
		{"phase execution", InitiativeFilter{Phase: "execution"}, want(iPLL)},
		{"phase closed", InitiativeFilter{Phase: "closed"}, want(iPaaror)},
		{"phase concept", InitiativeFilter{Phase: "concept"}, want(iAkson, iAnalyse, iAvvist)},
		{"state proposed", InitiativeFilter{State: "proposed"}, want(iAkson)},
		{"state in_portfolio", InitiativeFilter{State: "in_portfolio"}, want(iHjemme)},
		{"state paused", InitiativeFilter{State: "paused"}, want(iPLL)},
		{"state withdrawn", InitiativeFilter{State: "withdrawn"}, want(iAnalyse)},
		{"state rejected", InitiativeFilter{State: "rejected"}, want(iAvvist)},
		{"state closed", InitiativeFilter{State: "closed"}, want(iPaaror)},
		{"user group folds case", InitiativeFilter{UserGroup: "innbyggere"}, want(iHjemme, iPaaror)},
		{"user group upper", InitiativeFilter{UserGroup: "KOMMUNER"}, want(iHjemme, iAkson)},
		{"combined goal+state", InitiativeFilter{Goal: "M1", State: "in_portfolio"}, want(iHjemme)},
		{"combined owner+phase", InitiativeFilter{Owner: direktorat, Phase: "concept"}, want(iAnalyse)},
		{"combined none", InitiativeFilter{Owner: "KS", UserGroup: "fastleger"}, want()},
		{"q title", InitiativeFilter{Q: "hjemmeoppfølging"}, want(iHjemme)},
		{"q upper ÆØÅ", InitiativeFilter{Q: "HJEMMEOPPFØLGING"}, want(iHjemme)},
		{"q description æ", InitiativeFilter{Q: "BÆRUM"}, want(iAkson)},
		{"q å decomposed", InitiativeFilter{Q: "pa\u030Arørende"}, want(iPaaror)},
		{"q Å upper", InitiativeFilter{Q: "PÅRØRENDE"}, want(iPaaror)},
		{"q Ø first letter", InitiativeFilter{Q: "økt"}, want(iPaaror)},
		{"q aa is not å", InitiativeFilter{Q: "paarørende"}, want()},
		{"q owner", InitiativeFilter{Q: "norsk helsenett"}, want(iPaaror)},
		{"q all words", InitiativeFilter{Q: "journal  kommuner"}, want(iAkson)},
		{"q all words, one missing", InitiativeFilter{Q: "journal pasient"}, want()},
		{"q substring", InitiativeFilter{Q: "legemiddel"}, want(iPLL)},
		{"q with filter", InitiativeFilter{Q: "helse", Owner: nhn}, want(iPaaror)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := m.Initiatives(c.f)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids(got), c.want) {
				t.Fatalf("got %v, want %v", ids(got), c.want)
			}
		})
	}
}

func TestInitiativeSummaryFields(t *testing.T) {
	m, _ := scenarioModels(t)
	list, err := m.Initiatives(InitiativeFilter{})
	if err != nil {
		t.Fatal(err)
	}
	// sorted by folded title
	var titles []string
	for _, s := range list {
		titles = append(titles, s.Title)
	}
	if titles[0] != "Avvist tiltak" || titles[len(titles)-1] != "Økt bruk av Helsenorge for pårørende" {
		t.Fatalf("order %v", titles)
	}
	var hj InitiativeSummary
	for _, s := range list {
		if s.InitiativeID == iHjemme {
			hj = s
		}
	}
	if hj.Phase != domain.PhasePlanning || hj.State != domain.LifecycleInPortfolio || hj.Owner != hso ||
		hj.PrimaryGoal != "M1" || hj.PrimarySubGoal != "1A" || hj.LatestStatus == nil || hj.LatestStatus.Overall != domain.Yellow ||
		hj.LastUpdated.IsZero() || hj.Version == 0 || hj.EstimatedCostNOK == nil {
		t.Fatalf("summary %+v", hj)
	}
}

func TestInitiativeDetail(t *testing.T) {
	m, _ := scenarioModels(t)
	h, _ := scenario()
	var version uint64
	var last uint64
	for _, it := range h.items {
		if it.AggID == iHjemme {
			version, last = it.Rec.Version, it.Position
		}
	}
	d, err := m.Initiative(iHjemme)
	if err != nil {
		t.Fatal(err)
	}
	if d.Version != version || d.Position != last {
		t.Fatalf("version %d position %d, want %d %d", d.Version, d.Position, version, last)
	}
	if d.Description == "" || d.ProposedAt.IsZero() {
		t.Fatalf("detail %+v", d)
	}
	if len(d.Milestones) != 2 {
		t.Fatalf("milestones %+v", d.Milestones)
	}
	k1, k2 := d.Milestones[0], d.Milestones[1]
	if k1.MilestoneID != "K1" || k1.Status != domain.MilestoneAchievedStatus || k1.AchievedDate != "2026-06-15" {
		t.Fatalf("K1 %+v", k1)
	}
	if k2.Status != domain.MilestoneSlippedStatus || k2.PlannedDate != "2027-10-31" || k2.OriginalPlannedDate != "2027-06-30" || k2.Slips != 1 {
		t.Fatalf("K2 %+v", k2)
	}
	if len(d.StatusHistory) != 2 || d.StatusHistory[0].ReportDate != "2026-03-31" || d.StatusHistory[1].Comment != "Forsinket spredning" {
		t.Fatalf("history %+v", d.StatusHistory)
	}
	if d.LatestStatus == nil || d.LatestStatus.ReportDate != "2026-06-30" || d.LatestStatus.ReportedBy != "sekretariat" {
		t.Fatalf("latest %+v", d.LatestStatus)
	}
	if len(d.Cases) != 2 || d.Cases[0].CaseID != cAdmit || d.Cases[1].CaseID != cGate {
		t.Fatalf("cases %+v", d.Cases)
	}
	adm := d.Cases[0]
	if !slices.Equal(adm.CaseNumbers, []string{"1/26", "1/26", "1/26"}) || adm.LastOutcome != domain.OutcomeApproved || adm.LastForum != domain.EHR {
		t.Fatalf("admission case %+v", adm)
	}
	var events []string
	for _, c := range d.History {
		events = append(events, c.Event)
	}
	if !slices.Equal(events, []string{"InitiativeProposed", "InitiativeAdmitted", "InitiativePhaseChanged"}) {
		t.Fatalf("history %v", events)
	}
	if d.History[2].CaseID != cGate || d.History[2].Phase != domain.PhasePlanning {
		t.Fatalf("phase change %+v", d.History[2])
	}

	closed, err := m.Initiative(iPaaror)
	if err != nil || closed.FinalReport != "Levert." || closed.Phase != domain.PhaseClosed || closed.State != domain.LifecycleClosed {
		t.Fatalf("closed %+v %v", closed, err)
	}
	w, _ := m.Initiative(iAnalyse)
	if w.State != domain.LifecycleWithdrawn || w.History[len(w.History)-1].Reason == "" {
		t.Fatalf("withdrawn %+v", w)
	}
	if _, err := m.Initiative("nope"); !domain.IsKind(err, domain.KindNotFound) {
		t.Fatalf("missing: %v", err)
	}
	if _, err := m.Initiative(""); !domain.IsKind(err, domain.KindNotFound) {
		t.Fatalf("empty id: %v", err)
	}
}

// roadmapIDs renders the tree as "goal/sub: ids" lines.
func roadmapIDs(v RoadmapView) []string {
	var out []string
	for _, g := range v.Goals {
		for _, s := range g.SubGoals {
			line := g.GoalID + "/" + s.SubGoalID + ":"
			for _, i := range s.Initiatives {
				line += " " + i.InitiativeID[len(i.InitiativeID)-1:]
				if i.Primary {
					line += "*"
				}
			}
			out = append(out, line)
		}
		if len(g.SubGoals) == 0 {
			out = append(out, g.GoalID+":")
		}
	}
	return out
}

func TestRoadmap(t *testing.T) {
	m, _ := scenarioModels(t)
	cases := []struct {
		name string
		f    RoadmapFilter
		want []string
	}{
		// 1 hjemme, 2 PLL, 3 Akson, 4 analyse (withdrawn: hidden), 5 pårørende (closed), 6 rejected (hidden)
		{"all", RoadmapFilter{}, []string{"S1/S1A:", "M1/1A: 5* 1*", "M1/1B: 3*", "M2/2A: 2* 1", "M3/3A:"}},
		{"goal", RoadmapFilter{Goal: "M2"}, []string{"M2/2A: 2* 1"}},
		{"sub-goal", RoadmapFilter{SubGoal: "1A"}, []string{"M1/1A: 5* 1*"}},
		{"sub-goal empty still shown", RoadmapFilter{SubGoal: "3A"}, []string{"M3/3A:"}},
		{"owner prunes", RoadmapFilter{Owner: "helse sør-øst rhf"}, []string{"M1/1A: 1*", "M2/2A: 1"}},
		{"user group", RoadmapFilter{UserGroup: "Kommuner"}, []string{"M1/1A: 1*", "M1/1B: 3*", "M2/2A: 1"}},
		{"phase", RoadmapFilter{Phase: "execution"}, []string{"M2/2A: 2*"}},
		{"q", RoadmapFilter{Q: "PÅRØRENDE"}, []string{"M1/1A: 5*"}},
		{"q and goal", RoadmapFilter{Q: "hjemme", Goal: "M2"}, []string{"M2/2A: 1"}},
		{"nothing", RoadmapFilter{Q: "finnes ikke"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, err := m.Roadmap(c.f)
			if err != nil {
				t.Fatal(err)
			}
			if got := roadmapIDs(v); !slices.Equal(got, c.want) {
				t.Fatalf("got  %q\nwant %q", got, c.want)
			}
		})
	}
	v, _ := m.Roadmap(RoadmapFilter{SubGoal: "1A"})
	sg := v.Goals[0].SubGoals[0]
	if v.Goals[0].Title == "" || sg.Title == "" {
		t.Fatalf("titles missing: %+v", v.Goals[0])
	}
	var hj RoadmapInitiative
	for _, i := range sg.Initiatives {
		if i.InitiativeID == iHjemme {
			hj = i
		}
	}
	if hj.Owner != hso || hj.Phase != domain.PhasePlanning || hj.PlannedStart != "2024-01-01" || hj.PlannedEnd != "2027-12-31" ||
		hj.LatestRAG != domain.Yellow || len(hj.Milestones) != 2 || hj.Milestones[1].Status != domain.MilestoneSlippedStatus ||
		!slices.Equal(hj.UserGroups, []string{"innbyggere", "kommuner"}) {
		t.Fatalf("roadmap initiative %+v", hj)
	}
}

func TestMeetings(t *testing.T) {
	m, _ := scenarioModels(t)
	labels := func(ms []MeetingSummary) []string {
		var out []string
		for _, x := range ms {
			out = append(out, string(x.Forum)+" "+x.Label)
		}
		return out
	}
	for _, c := range []struct {
		forum string
		year  int
		want  []string
	}{
		{"", 0, []string{"NUIT 4/2025", "NUFA 1/2026", "NUIT 1/2026", "EHR 1/2026"}},
		{"NUIT", 0, []string{"NUIT 4/2025", "NUIT 1/2026"}},
		{"NUIT", 2026, []string{"NUIT 1/2026"}},
		{"", 2025, []string{"NUIT 4/2025"}},
		{"EHR", 2025, nil},
		{"XYZ", 0, nil},
	} {
		got, err := m.Meetings(c.forum, c.year)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(labels(got), c.want) {
			t.Fatalf("%s %d: got %v want %v", c.forum, c.year, labels(got), c.want)
		}
	}
	all, _ := m.Meetings("EHR", 2026)
	if !all[0].Held || all[0].AgendaItems != 4 || all[0].Date != "2026-03-02" {
		t.Fatalf("EHR summary %+v", all[0])
	}

	d, err := m.Meeting(mEHR)
	if err != nil {
		t.Fatal(err)
	}
	if d.HeldAt == nil || len(d.Agenda) != 4 {
		t.Fatalf("EHR %+v", d)
	}
	var nums []string
	for _, a := range d.Agenda {
		nums = append(nums, a.CaseNumber+" "+a.CaseID[len(a.CaseID)-1:])
	}
	if !slices.Equal(nums, []string{"1/26 1", "2/26 2", "3/26 3", "4/26 5"}) {
		t.Fatalf("agenda %v", nums)
	}
	a := d.Agenda[0]
	if a.CaseType != domain.CaseApproval || a.Title != "Opptak av digital hjemmeoppfølging" || a.ProposedResolution == "" ||
		a.RegisteredForum != domain.NUIT || a.InitiativeID != iHjemme || len(a.Outcomes) != 1 || a.Outcomes[0].Outcome != domain.OutcomeApproved {
		t.Fatalf("agenda item %+v", a)
	}
	if o := d.Agenda[3].Outcomes; len(o) != 1 || o[0].Outcome != domain.OutcomeDeferred || o[0].Reason != "Mangler underlag." {
		t.Fatalf("deferred %+v", o)
	}
	nuit, _ := m.Meeting(mNUIT)
	if o := nuit.Agenda[0].Outcomes; len(o) != 1 || len(o[0].Corrections) != 1 || o[0].Corrections[0].Resolution != "NUIT anbefaler opptak uten vilkår." {
		t.Fatalf("corrected outcome %+v", o)
	}
	if _, err := m.Meeting("nope"); !domain.IsKind(err, domain.KindNotFound) {
		t.Fatalf("missing meeting: %v", err)
	}
}

func TestCasePath(t *testing.T) {
	m, ids := scenarioModels(t)
	c, err := m.Case(cAdmit)
	if err != nil {
		t.Fatal(err)
	}
	var path []string
	for _, s := range c.Path {
		p := s.Kind + " " + string(s.Forum) + " " + s.CaseNumber
		if s.Outcome != "" {
			p += " " + string(s.Outcome)
		}
		if s.Corrected {
			p += " corrected"
		}
		path = append(path, p)
	}
	wantPath := []string{
		"placed NUFA 1/26", "decision NUFA 1/26 noted",
		"placed NUIT 1/26", "decision NUIT 1/26 recommended corrected",
		"placed EHR 1/26", "decision EHR 1/26 approved",
	}
	if !slices.Equal(path, wantPath) {
		t.Fatalf("path\n%q\nwant\n%q", path, wantPath)
	}
	if c.Status != domain.OutcomeApproved || c.Forum != domain.NUIT || c.Purpose != domain.PurposeAdmission || c.ArchiveRef != "22/414-1" {
		t.Fatalf("case %+v", c)
	}
	if len(c.Corrections) != 1 || c.Corrections[0].CorrectsEventID != ids.nuitRecommendAdmit || c.Corrections[0].EventID != ids.correction {
		t.Fatalf("corrections %+v", c.Corrections)
	}
	if c.Path[3].Conditions != "Gevinstplan" {
		t.Fatalf("conditions %+v", c.Path[3])
	}
	for i := 1; i < len(c.Path); i++ {
		if c.Path[i].Position <= c.Path[i-1].Position {
			t.Fatal("path not in log order")
		}
	}
	if _, err := m.Case("nope"); !domain.IsKind(err, domain.KindNotFound) {
		t.Fatalf("missing case: %v", err)
	}
}

func TestDecisionRegister(t *testing.T) {
	m, ids := scenarioModels(t)
	show := func(es []DecisionEntry) []string {
		var out []string
		for _, e := range es {
			out = append(out, string(e.MeetingDate)+" "+string(e.Forum)+" "+e.CaseNumber+" "+string(e.Outcome))
		}
		return out
	}
	all := []string{
		"2025-11-10 NUIT 1/25 noted",
		"2026-02-02 NUFA 1/26 noted",
		"2026-02-16 NUIT 1/26 recommended", "2026-02-16 NUIT 2/26 recommended", "2026-02-16 NUIT 3/26 recommended",
		"2026-03-02 EHR 1/26 approved", "2026-03-02 EHR 2/26 approved", "2026-03-02 EHR 3/26 rejected", "2026-03-02 EHR 4/26 deferred",
	}
	for _, c := range []struct {
		name string
		f    DecisionFilter
		want []string
	}{
		{"all", DecisionFilter{}, all},
		{"forum", DecisionFilter{Forum: "EHR"}, all[5:]},
		{"forum NUIT", DecisionFilter{Forum: "NUIT"}, []string{all[0], all[2], all[3], all[4]}},
		{"initiative", DecisionFilter{InitiativeID: iHjemme}, []string{all[1], all[2], all[3], all[5], all[6]}},
		{"initiative+forum", DecisionFilter{InitiativeID: iHjemme, Forum: "EHR"}, []string{all[5], all[6]}},
		{"from", DecisionFilter{From: "2026-02-16"}, all[2:]},
		{"to", DecisionFilter{To: "2026-02-02"}, all[:2]},
		{"from-to", DecisionFilter{From: "2026-01-01", To: "2026-02-28"}, all[1:5]},
		{"forum from-to", DecisionFilter{Forum: "NUIT", From: "2026-01-01", To: "2026-12-31"}, all[2:5]},
		{"initiative to", DecisionFilter{InitiativeID: iHjemme, To: "2026-02-16"}, all[1:4]},
		{"none", DecisionFilter{From: "2027-01-01"}, nil},
	} {
		got, err := m.Decisions(c.f)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(show(got), c.want) {
			t.Fatalf("%s: got\n%q\nwant\n%q", c.name, show(got), c.want)
		}
	}
	got, _ := m.Decisions(DecisionFilter{Forum: "NUIT", InitiativeID: iHjemme})
	e := got[0]
	if e.EventID != ids.nuitRecommendAdmit || len(e.Corrections) != 1 || e.Corrections[0].Reason != "Feil i vilkår" ||
		e.CaseTitle != "Opptak av digital hjemmeoppfølging" || e.MeetingLabel != "1/2026" || e.Conditions != "Gevinstplan" ||
		e.Purpose != domain.PurposeAdmission || e.CaseType != domain.CaseApproval {
		t.Fatalf("entry %+v", e)
	}
}
