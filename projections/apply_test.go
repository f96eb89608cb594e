package projections

import (
	"errors"
	"math/rand"
	"slices"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/ehelse/portfolio/domain"
)

// futureEvent is an event type this version does not know.
type futureEvent struct{}

func (futureEvent) EventType() string { return "InitiativeTeleported" }

func TestApplySkipsUnknownAndSeries(t *testing.T) {
	h, _ := scenario()
	items := append([]item{}, h.items...)
	n := uint64(len(items))
	items = append(items,
		item{Position: n + 1, EventID: "x1", AggType: "initiative", AggID: iHjemme, Type: "InitiativeTeleported",
			Rec: domain.Recorded{ID: "x1", Position: n + 1, Version: 99, Event: futureEvent{}}},
		item{Position: n + 2, EventID: "x2", AggType: "initiative", AggID: iHjemme, Type: "Weird", Skip: "unknown event type"},
		item{Position: n + 3, EventID: "x3", AggType: "initiative", AggID: "never-proposed", Type: "InitiativePaused",
			Rec: domain.Recorded{ID: "x3", Position: n + 3, Version: 2, Event: domain.InitiativePaused{InitiativeID: "never-proposed"}}},
		item{Position: n + 4, EventID: "x4", AggType: "widget", AggID: "w", Type: "WidgetMade",
			Rec: domain.Recorded{ID: "x4", Position: n + 4, Version: 1, Event: futureEvent{}}},
	)
	db := openDB(t)
	var res batchResult
	if err := db.Update(func(tx *bolt.Tx) error {
		var err error
		res, err = applyBatch(tx, items, identity{}, nil)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	series := 0
	for _, it := range h.items {
		if it.AggType == string(domain.Series) {
			series++
		}
	}
	if res.Position != n+4 || res.Skipped != uint64(series+4) || res.Applied != n-uint64(series) || len(res.Skips) != 4 {
		t.Fatalf("result %+v (series %d)", res, series)
	}
	// the skipped events changed nothing
	ref := openDB(t)
	applyItems(t, ref, h.items, 0)
	d1, d2 := dumpDB(t, db), dumpDB(t, ref)
	if stripMeta(d1) != stripMeta(d2) {
		t.Fatal("skipped events changed the read models")
	}
	m := modelsOn(t, db)
	if m.Position() != n+4 {
		t.Fatalf("position %d", m.Position())
	}
}

// stripMeta drops the meta bucket from a dump.
func stripMeta(d string) string {
	out := ""
	skip := false
	for _, line := range splitLines(d) {
		if len(line) > 0 && line[0] == '[' {
			skip = line == "["+BucketMeta+"]"
		}
		if !skip {
			out += line + "\n"
		}
	}
	return out
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

func TestApplyIsRepeatableAtCheckpoint(t *testing.T) {
	h, _ := scenario()
	db := openDB(t)
	applyItems(t, db, h.items, 5)
	once := dumpDB(t, db)
	applyItems(t, db, h.items, 3) // everything at or before the checkpoint is ignored
	if dumpDB(t, db) != once {
		t.Fatal("re-applying events at or before the checkpoint changed the file")
	}
}

var errCrash = errors.New("injected crash")

// TestCrashMidBatch injects a failure at a chosen event inside a batch: the
// batch rolls back entirely, the checkpoint stays at the last committed
// batch, and resuming from the checkpoint gives the same file as a full
// rebuild.
func TestCrashMidBatch(t *testing.T) {
	h, _ := scenario()
	full := openDB(t)
	applyItems(t, full, h.items, 0)
	want := dumpDB(t, full)

	for _, crashAt := range []int{1, 17, 40, len(h.items)} {
		db := openDB(t)
		committed := crashAt / 2
		applyItems(t, db, h.items[:committed], 4)
		before := dumpDB(t, db)

		hook := func(it item) error {
			if it.Position == uint64(crashAt) {
				return errCrash
			}
			return nil
		}
		err := db.Update(func(tx *bolt.Tx) error {
			_, err := applyBatch(tx, h.items[committed:], identity{}, hook)
			return err
		})
		if !errors.Is(err, errCrash) {
			t.Fatalf("crash at %d: err %v", crashAt, err)
		}
		if got := dumpDB(t, db); got != before {
			t.Fatalf("crash at %d: the failed batch left changes", crashAt)
		}
		var cp checkpoint
		_ = db.View(func(tx *bolt.Tx) error { cp = readCheckpoint(tx); return nil })
		if cp.Position != uint64(committed) {
			t.Fatalf("crash at %d: checkpoint %d, want %d", crashAt, cp.Position, committed)
		}
		// resume from the checkpoint, as the runner does
		applyItems(t, db, h.items[cp.Position:], 6)
		if got := dumpDB(t, db); got != want {
			t.Fatalf("crash at %d: resumed file differs from a full rebuild", crashAt)
		}
	}
}

// TestCrashViaRunnerCommit injects the failure through ReadModels.commit, the
// runner's path: Position does not move and nothing is written.
func TestCrashViaRunnerCommit(t *testing.T) {
	h, _ := scenario()
	db := openDB(t)
	m := modelsOn(t, db)
	if err := m.commit(h.items[:10], identity{Name: "PORTFOLIO"}); err != nil {
		t.Fatal(err)
	}
	m.hook = func(it item) error {
		if it.Position == 15 {
			return errCrash
		}
		return nil
	}
	if err := m.commit(h.items[10:20], identity{}); !errors.Is(err, errCrash) {
		t.Fatalf("err %v", err)
	}
	if m.Position() != 10 {
		t.Fatalf("position %d after a failed batch", m.Position())
	}
	m.hook = nil
	if err := m.commit(h.items[10:], identity{}); err != nil {
		t.Fatal(err)
	}
	full := openDB(t)
	applyItems(t, full, h.items, 0)
	if stripMeta(dumpDB(t, db)) != stripMeta(dumpDB(t, full)) {
		t.Fatal("runner path differs from a full rebuild")
	}
	if m.Position() != uint64(len(h.items)) || m.Stats().Batches != 2 {
		t.Fatalf("stats %+v", m.Stats())
	}
}

// TestIncrementalEqualsRebuild is the property: for random valid histories
// (commands through domain.Decide), applying the events in many small
// batches gives the same file as applying them in one, and the read models
// agree with the domain's own folded states.
func TestIncrementalEqualsRebuild(t *testing.T) {
	seeds := []int64{1, 2, 3, 4, 5, 6, 7, 8}
	if testing.Short() {
		seeds = seeds[:3]
	}
	total := map[string]int{}
	for _, seed := range seeds {
		s := randomHistory(t, seed, 1500)
		for k, v := range s.events {
			total[k] += v
		}
		full := openDB(t)
		applyItems(t, full, s.items, 0)
		want := dumpDB(t, full)

		one := openDB(t)
		applyItems(t, one, s.items, 1)
		if got := dumpDB(t, one); got != want {
			t.Fatalf("seed %d: one-by-one differs from one batch", seed)
		}

		r := rand.New(rand.NewSource(seed))
		rnd := openDB(t)
		for i := 0; i < len(s.items); {
			n := 1 + r.Intn(40)
			applyItems(t, rnd, s.items[i:min(i+n, len(s.items))], 0)
			i += n
		}
		if got := dumpDB(t, rnd); got != want {
			t.Fatalf("seed %d: random batches differ from one batch", seed)
		}
		checkAgainstDomain(t, seed, modelsOn(t, full), s)
	}
	for _, e := range []string{"InitiativeProposed", "InitiativeAdmitted", "InitiativePhaseChanged", "StatusReported",
		"MilestonePlanned", "MilestoneAchieved", "MilestoneSlipped", "InitiativePaused", "InitiativeWithdrawn",
		"MeetingScheduled", "MeetingHeld", "CaseRegistered", "CasePlacedOnAgenda", "CaseNoted", "CaseRecommended",
		"CaseApproved", "CaseRejected", "CaseDeferred", "DecisionCorrected",
		"IndicatorDefined", "IndicatorValueRecorded", "IndicatorValueCorrected", "ReportingRoundOpened", "ReportingRoundClosed",
		"DependencyDeclared", "DependencyRemoved", "DependencyAtRisk", "DependencyRiskCleared"} {
		if total[e] == 0 {
			t.Errorf("random histories never produced %s: %v", e, total)
		}
	}
}

// checkAgainstDomain compares the read models with the states Evolve folded.
func checkAgainstDomain(t *testing.T, seed int64, m *ReadModels, s *sim) {
	t.Helper()
	nIni := 0
	for ref, st := range s.states {
		switch st := st.(type) {
		case *domain.InitiativeState:
			if st.Version == 0 {
				continue
			}
			nIni++
			d, err := m.Initiative(ref.ID)
			if err != nil {
				t.Fatalf("seed %d: %s: %v", seed, ref, err)
			}
			if d.Phase != st.Phase || d.State != st.Lifecycle || d.Version != st.Version || len(d.Milestones) != len(st.Milestones) ||
				len(d.StatusHistory) != st.StatusReports || d.Owner != st.Owner || d.Title != st.Title {
				t.Fatalf("seed %d: %s: read model %+v\ndomain %+v", seed, ref, d.InitiativeSummary, st)
			}
			if (d.LatestStatus == nil) != (st.LastStatus == nil) || (st.LastStatus != nil && d.LatestStatus.ReportDate != st.LastStatus.ReportDate) {
				t.Fatalf("seed %d: %s: latest status differs", seed, ref)
			}
			for _, ms := range st.Milestones {
				i := milestoneIndex(d.Milestones, ms.ID)
				if i < 0 || d.Milestones[i].Status != ms.Status || d.Milestones[i].PlannedDate != ms.PlannedDate || d.Milestones[i].Slips != len(ms.Slips) {
					t.Fatalf("seed %d: %s: milestone %s differs", seed, ref, ms.ID)
				}
			}
		case *domain.MeetingState:
			if st.Version == 0 {
				continue
			}
			md, err := m.Meeting(ref.ID)
			if err != nil || md.Held != st.Held || md.Label != st.Label || md.Forum != st.Forum {
				t.Fatalf("seed %d: meeting %s: %+v %v", seed, ref.ID, md, err)
			}
		case *domain.CaseState:
			if st.Version == 0 {
				continue
			}
			c, err := m.Case(ref.ID)
			if err != nil || c.Version != st.Version || len(c.Corrections) != len(st.Corrections) ||
				len(c.Path) != len(st.Placements)+len(st.Decisions) {
				t.Fatalf("seed %d: case %s: %+v %v", seed, ref.ID, c, err)
			}
		}
	}
	list, err := m.Initiatives(InitiativeFilter{})
	if err != nil || len(list) != nIni {
		t.Fatalf("seed %d: overview has %d, domain %d (%v)", seed, len(list), nIni, err)
	}
}

// TestApplyStepsComplete fails by name when an event type of the domain's
// registry has no apply step in applySteps (nor is declared there as
// having no read model), or applySteps names an event type the domain
// does not know.
func TestApplyStepsComplete(t *testing.T) {
	types := domain.EventTypes()
	for _, et := range types {
		if _, ok := applySteps[et]; !ok {
			t.Errorf("event type %s has no apply step in projections/apply.go (applySteps)", et)
		}
	}
	for et := range applySteps {
		if !slices.Contains(types, et) {
			t.Errorf("applySteps names %s, which is no event type of the domain", et)
		}
	}
}
