package projections

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"slices"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/ehelse/portfolio/domain"
)

// The in-memory card index must answer exactly what the oracles answer
// (oracleRoadmap, and refInitiatives on the file's index buckets), after every commit of the runner's
// path, for any filter — also for initiatives that name goals and
// sub-goals the strategy does not define, strategies defined after the
// initiatives, re-proposals, and lifecycle changes that take initiatives
// off the roadmap.

// wildHistory is a history built from domain values without the domain's
// rules, with the odd references the read models must cope with.
func wildHistory(seed int64, n int, emptyStrategy bool) *hist {
	return oddHistory(seed, n, emptyStrategy, false)
}

// tameHistory is wildHistory with every reference defined by the strategy
// (the roadmap's fast path).
func tameHistory(seed int64, n int) *hist { return oddHistory(seed, n, false, true) }

func oddHistory(seed int64, n int, emptyStrategy, tame bool) *hist {
	r := rand.New(rand.NewSource(seed))
	h := newHist()
	pick := func(xs ...string) string { return xs[r.Intn(len(xs))] }
	periods := []string{"2017-2022", "2023-2030"}
	if emptyStrategy {
		periods = append(periods, "")
	}
	goals := []string{"M1", "M2", "M3", "M9"}
	subs := []string{"1A", "1B", "2A", "3A", "3B", "9Z"}
	defineSome := func() {
		for k := r.Intn(3); k >= 0; k-- {
			p, g := pick(periods...), pick(goals[:3]...)
			h.add(domain.Strategy, "strategy", domain.StrategicGoalDefined{GoalID: g, Strategy: p, Title: pick("Mål", "Bedre helse", "Ærlig mål") + " " + g})
			sg := pick(subs[:5]...)
			h.add(domain.Strategy, "strategy", domain.SubGoalDefined{SubGoalID: sg, GoalID: pick(goals...), Strategy: p, Title: "Delmål " + sg})
		}
	}
	if tame {
		for _, p := range periods {
			for _, g := range goals[:3] {
				h.add(domain.Strategy, "strategy", domain.StrategicGoalDefined{GoalID: g, Strategy: p, Title: "Mål " + g + " " + p})
			}
			for _, sg := range subs[:5] {
				h.add(domain.Strategy, "strategy", domain.SubGoalDefined{SubGoalID: sg, GoalID: "M" + sg[:1], Strategy: p, Title: "Delmål " + sg})
			}
		}
		goals, subs = goals[:3], subs[:5]
	} else if r.Intn(4) != 0 {
		defineSome() // else: the strategy comes after the first initiatives
	}
	titles := []string{"Digital hjemmeoppfølging", "digital Hjemmeoppfølging", "Åpne data", "Ø-hjelp", "a\u030Apne data", "  Pasientens legemiddelliste ", "Zebra", "Helseanalyse"}
	owners := []string{"Helse Sør-Øst RHF", "HELSE SØR-ØST RHF", "KS", "Norsk helsenett SF", ""}
	groups := []string{"fastleger", "Kommuner", "kommuner", "innbyggere", "Pårørende"}
	starts := []domain.Date{"2025-01-01", "2026-01-01", "2026-06-01", ""}
	var inis []string
	for i := 0; i < n; i++ {
		switch k := r.Intn(20); {
		case k == 0 && !tame:
			defineSome()
		case k == 0:
			sg := pick(subs...) // a new title
			h.add(domain.Strategy, "strategy", domain.SubGoalDefined{SubGoalID: sg, GoalID: "M" + sg[:1], Strategy: pick(periods...), Title: "Nytt delmål " + sg})
		case k <= 4 || len(inis) == 0:
			id := fmt.Sprintf("01JDWILD%018d", r.Intn(40))
			if !slices.Contains(inis, id) {
				inis = append(inis, id)
			}
			var others []string
			for j := r.Intn(4); j > 0; j-- {
				others = append(others, pick(append(subs, "")...))
			}
			primary := pick(append(subs, "", "1A", "2A")...)
			goal := pick(goals...)
			if (tame || r.Intn(3) != 0) && primary != "" {
				goal = "M" + primary[:1] // mostly consistent
			}
			h.add(domain.Initiative, id, domain.InitiativeProposed{InitiativeID: id, Title: pick(titles...), Description: pick("Beskrivelse", "Om åpne DATA", ""),
				Owner: pick(owners...), PrimarySubGoal: primary, PrimaryGoal: goal, SubGoals: others,
				UserGroups: []string{pick(groups...), pick(groups...)}[:1+r.Intn(2)], PlannedStart: starts[r.Intn(len(starts))], PlannedEnd: "2029-12-31"})
		default:
			id := inis[r.Intn(len(inis))]
			var e domain.Event
			switch r.Intn(10) {
			case 0:
				e = domain.InitiativeAdmitted{InitiativeID: id, Phase: domain.PhasePlanning}
			case 1:
				e = []domain.Event{domain.InitiativeRejected{InitiativeID: id}, domain.InitiativeWithdrawn{InitiativeID: id},
					domain.InitiativeCancelled{InitiativeID: id}, domain.InitiativePaused{InitiativeID: id},
					domain.InitiativeResumed{InitiativeID: id}, domain.InitiativeClosed{InitiativeID: id}}[r.Intn(6)]
			case 2:
				e = domain.InitiativePhaseChanged{InitiativeID: id, To: domain.PhaseExecution}
			case 3, 4:
				e = domain.MilestonePlanned{InitiativeID: id, MilestoneID: pick("M1", "M2", "M3"), Title: "Milepæl", PlannedDate: "2026-05-01"}
			default:
				e = domain.StatusReported{InitiativeID: id, ReportDate: domain.Date(fmt.Sprintf("2026-%02d-01", 1+r.Intn(12))),
					Overall: domain.RAG(pick("green", "yellow", "red")), Schedule: "green", Cost: "green", Benefit: "green"}
			}
			h.add(domain.Initiative, id, e)
		}
	}
	return h
}

// filtersOf returns roadmap and overview filters worth asking about h.
func filtersOf(r *rand.Rand) ([]RoadmapFilter, []InitiativeFilter) {
	pick := func(xs ...string) string { return xs[r.Intn(len(xs))] }
	rf := []RoadmapFilter{{}, {Goal: "M1"}, {SubGoal: "1A"}, {Goal: "M9"}, {SubGoal: "9Z"}, {Owner: "helse sør-øst rhf"}, {Q: "ÅPNE"}, {Q: "   "}, {Phase: "planning"}, {UserGroup: "KOMMUNER"}}
	inf := []InitiativeFilter{{}, {State: "proposed"}, {State: "in_portfolio"}, {Goal: "M2"}, {SubGoal: "3B"}, {Owner: "ks"}, {Q: "data åpne"}, {UserGroup: "pårørende"}, {Owner: " "}}
	for i := 0; i < 12; i++ {
		rf = append(rf, RoadmapFilter{Goal: pick("", "", "M1", "M2", "M3", "M9"), SubGoal: pick("", "", "1A", "2A", "3B", "9Z"),
			Owner: pick("", "", "KS", "Helse Sør-Øst RHF"), UserGroup: pick("", "", "kommuner", "fastleger"),
			Phase: pick("", "", "concept", "planning", "execution"), Q: pick("", "", "hjemme", "data", "ø-hjelp")})
		inf = append(inf, InitiativeFilter{Goal: pick("", "", "M1", "M2", "M9"), SubGoal: pick("", "", "1A", "2A", "9Z"),
			Owner: pick("", "", "ks", "Norsk helsenett SF"), Phase: pick("", "", "concept", "planning"),
			State: pick("", "", "proposed", "in_portfolio", "paused", "closed"), UserGroup: pick("", "", "innbyggere"), Q: pick("", "", "hjemme", "digital")})
	}
	return rf, inf
}

func asJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// compareWithFile checks m's answers against the reference queries on its
// file, and against an index built afresh from the file.
func compareWithFile(t *testing.T, label string, m *ReadModels, r *rand.Rand) {
	t.Helper()
	rfs, ifs := filtersOf(r)
	fresh := loadState(m.db, m.Position())
	if fresh.err != nil {
		t.Fatal(fresh.err)
	}
	if x := m.state.Load().idx; x.irregular == 0 && !x.strat.emptyStrategy {
		fastChecks++
	} else {
		generalChecks++
	}
	err := m.db.View(func(tx *bolt.Tx) error {
		sv, err := readStrategy(tx)
		if err != nil {
			return err
		}
		cards, err := storedCards(tx)
		if err != nil {
			return err
		}
		for _, f := range rfs {
			want := oracleRoadmap(sv, cards, f)
			got, err := m.Roadmap(f)
			if err != nil {
				return err
			}
			if g, w := asJSON(t, got), asJSON(t, want); g != w {
				t.Fatalf("%s: Roadmap(%+v):\n got %s\nwant %s", label, f, g, w)
			}
			if g, w := asJSON(t, fresh.idx.roadmap(f)), asJSON(t, want); g != w {
				t.Fatalf("%s: fresh index Roadmap(%+v):\n got %s\nwant %s", label, f, g, w)
			}
			if g, w := asJSON(t, m.state.Load().idx.roadmapGeneral(f)), asJSON(t, want); g != w {
				t.Fatalf("%s: roadmapGeneral(%+v):\n got %s\nwant %s", label, f, g, w)
			}
		}
		for _, f := range ifs {
			want, err := refInitiatives(tx, f)
			if err != nil {
				return err
			}
			got, err := m.Initiatives(f)
			if err != nil {
				return err
			}
			if g, w := asJSON(t, got), asJSON(t, want); g != w {
				t.Fatalf("%s: Initiatives(%+v):\n got %s\nwant %s", label, f, g, w)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

var fastChecks, generalChecks int

func TestCardIndexMatchesFile(t *testing.T) {
	defer func() { t.Logf("compared %d regular and %d irregular snapshots", fastChecks, generalChecks) }()
	for seed := int64(1); seed <= 12; seed++ {
		h := wildHistory(seed, 300, seed%4 == 0)
		db := openDB(t)
		m := modelsOn(t, db)
		r := rand.New(rand.NewSource(seed))
		for i := 0; i < len(h.items); {
			n := 1 + r.Intn(30)
			if err := m.commit(h.items[i:min(i+n, len(h.items))], identity{Name: "PORTFOLIO"}); err != nil {
				t.Fatal(err)
			}
			i += n
			if r.Intn(3) == 0 || i >= len(h.items) {
				compareWithFile(t, fmt.Sprintf("seed %d at %d", seed, m.Position()), m, r)
			}
		}
	}
}

func TestCardIndexTame(t *testing.T) {
	for seed := int64(1); seed <= 8; seed++ {
		h := tameHistory(seed, 300)
		db := openDB(t)
		m := modelsOn(t, db)
		r := rand.New(rand.NewSource(seed))
		for i := 0; i < len(h.items); {
			n := 1 + r.Intn(30)
			if err := m.commit(h.items[i:min(i+n, len(h.items))], identity{Name: "PORTFOLIO"}); err != nil {
				t.Fatal(err)
			}
			i += n
			if r.Intn(3) == 0 || i >= len(h.items) {
				compareWithFile(t, fmt.Sprintf("seed %d at %d", seed, m.Position()), m, r)
			}
		}
	}
	t.Logf("compared %d regular and %d irregular snapshots", fastChecks, generalChecks)
}

func TestCardIndexOnRandomHistories(t *testing.T) {
	for _, seed := range []int64{1, 2, 3} {
		s := randomHistory(t, seed, 800)
		db := openDB(t)
		m := modelsOn(t, db)
		r := rand.New(rand.NewSource(seed))
		for i := 0; i < len(s.items); {
			n := 1 + r.Intn(60)
			if err := m.commit(s.items[i:min(i+n, len(s.items))], identity{Name: "PORTFOLIO"}); err != nil {
				t.Fatal(err)
			}
			i += n
			if r.Intn(4) == 0 || i >= len(s.items) {
				compareWithFile(t, fmt.Sprintf("seed %d at %d", seed, m.Position()), m, r)
			}
		}
	}
}

// TestCardIndexSnapshots: a published index never changes; queries on an
// older one keep answering what they answered.
func TestCardIndexSnapshots(t *testing.T) {
	h := wildHistory(5, 400, false)
	db := openDB(t)
	m := modelsOn(t, db)
	var olds []*readState
	var answers []string
	for i := 0; i < len(h.items); i += 25 {
		if err := m.commit(h.items[i:min(i+25, len(h.items))], identity{}); err != nil {
			t.Fatal(err)
		}
		s := m.state.Load()
		olds = append(olds, s)
		answers = append(answers, asJSON(t, []any{s.idx.roadmap(RoadmapFilter{}), s.idx.initiatives(selection{}), s.idx.roadmap(RoadmapFilter{Owner: "KS"})}))
	}
	for i, s := range olds {
		if got := asJSON(t, []any{s.idx.roadmap(RoadmapFilter{}), s.idx.initiatives(selection{}), s.idx.roadmap(RoadmapFilter{Owner: "KS"})}); got != answers[i] {
			t.Fatalf("snapshot %d (position %d) changed", i, s.pos)
		}
	}
}

// BenchmarkRoadmap10k: the roadmap and the overview of 10,000 initiatives
// (unfiltered: computed once per published index; filtered: every time).
func BenchmarkRoadmap10k(b *testing.B) {
	h := newHist()
	for _, g := range []string{"M1", "M2", "M3"} {
		h.add(domain.Strategy, "strategy", domain.StrategicGoalDefined{GoalID: g, Strategy: "2023-2030", Title: "Mål " + g})
	}
	subs := []string{"1A", "1B", "2A", "3A"}
	for _, sg := range subs {
		h.add(domain.Strategy, "strategy", domain.SubGoalDefined{SubGoalID: sg, GoalID: "M" + sg[:1], Strategy: "2023-2030", Title: "Delmål " + sg})
	}
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 10000; i++ {
		id := fmt.Sprintf("01JDBENCH%017d", i)
		sg := subs[r.Intn(len(subs))]
		h.add(domain.Initiative, id, domain.InitiativeProposed{InitiativeID: id, Title: fmt.Sprintf("Tiltak %d for hjemmeoppfølging", r.Intn(1e6)),
			Owner: "Helse Sør-Øst RHF", PrimarySubGoal: sg, PrimaryGoal: "M" + sg[:1], SubGoals: []string{subs[r.Intn(len(subs))]},
			UserGroups: []string{"kommuner"}, PlannedStart: domain.Date(fmt.Sprintf("2026-%02d-01", 1+r.Intn(12))), PlannedEnd: "2029-01-01"},
			domain.StatusReported{InitiativeID: id, ReportDate: "2026-03-01", Overall: "green", Schedule: "green", Cost: "green", Benefit: "green"},
			domain.MilestonePlanned{InitiativeID: id, MilestoneID: "M1", Title: "Første", PlannedDate: "2026-09-01"})
	}
	db := openDB(b)
	applyItems(b, db, h.items, 5000)
	m := modelsOn(b, db)
	b.Run("roadmap", func(b *testing.B) {
		for b.Loop() {
			if _, err := m.Roadmap(RoadmapFilter{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("roadmap-uncached", func(b *testing.B) { // the first query after a commit
		x := m.state.Load().idx
		for b.Loop() {
			_ = x.cells(RoadmapFilter{})
		}
	})
	b.Run("roadmap-filtered", func(b *testing.B) {
		for b.Loop() {
			if _, err := m.Roadmap(RoadmapFilter{Phase: "concept", Q: "hjemme"}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("initiatives", func(b *testing.B) {
		for b.Loop() {
			if _, err := m.Initiatives(InitiativeFilter{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("initiatives-filtered", func(b *testing.B) {
		for b.Loop() {
			if _, err := m.Initiatives(InitiativeFilter{Owner: "helse sør-øst rhf", Q: "hjemme"}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
