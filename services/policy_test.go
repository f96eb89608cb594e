package services_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/eventlog"
	"github.com/ehelse/portfolio/services"
)

// admitAnother admits one more initiative of org (after f.admitted
// defined the strategy).
func (f *fixture) admitAnother(t *testing.T, org, title string) string {
	t.Helper()
	in := f.exec(t, secretariat, &domain.ProposeInitiative{Title: title, Description: "d", Owner: org,
		PrimarySubGoal: "1A", PlannedStart: "2025-01-01", PlannedEnd: "2027-12-31"}).AggregateID
	c := f.exec(t, secretariat, &domain.RegisterCase{Forum: domain.NUIT, Title: "Innmelding " + title, CaseType: domain.CaseApproval,
		Purpose: domain.PurposeAdmission, InitiativeID: in, ProposedResolution: "Tas inn"}).AggregateID
	nuit := f.exec(t, secretariat, &domain.ScheduleMeeting{Forum: domain.NUIT, Date: "2026-04-01"}).AggregateID
	f.exec(t, secretariat, &domain.PlaceCaseOnAgenda{CaseID: c, MeetingID: nuit})
	f.exec(t, secretariat, &domain.HoldMeeting{MeetingID: nuit})
	f.exec(t, secretariat, &domain.RecommendInCouncil{CaseID: c, MeetingID: nuit, Resolution: "Anbefales"})
	ehr := f.exec(t, secretariat, &domain.ScheduleMeeting{Forum: domain.EHR, Date: "2026-05-01"}).AggregateID
	f.exec(t, secretariat, &domain.PlaceCaseOnAgenda{CaseID: c, MeetingID: ehr})
	f.exec(t, secretariat, &domain.HoldMeeting{MeetingID: ehr})
	f.exec(t, secretariat, &domain.ApproveInCouncil{CaseID: c, MeetingID: ehr, Resolution: "Tilslutning"})
	return in
}

// runPolicy runs a dependency policy until the test ends; stop stops it
// and waits for it.
func runPolicy(t *testing.T, log services.PolicyLog, checkpoint string) (p *services.DependencyPolicy, stop func()) {
	t.Helper()
	p, err := services.NewDependencyPolicy(services.DependencyPolicyConfig{Log: log, Checkpoint: checkpoint})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil && ctx.Err() == nil {
				t.Errorf("policy: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return p, stop
}

// caughtUp waits until the policy has handled the log's head.
func caughtUp(t *testing.T, f *fixture, p *services.DependencyPolicy) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.WaitFor(ctx, f.head(t)); err != nil {
		t.Fatalf("policy at %d, head %d: %v", p.Position(), f.head(t), err)
	}
}

// policyEvents lists the dependency's events written by the policy.
func policyEvents(t *testing.T, f *fixture, dep string) []eventlog.Record {
	t.Helper()
	recs, err := f.store.Load(context.Background(), "dependency", dep, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []eventlog.Record
	for _, r := range recs {
		if r.Actor == domain.PolicyActor {
			out = append(out, r)
		}
	}
	return out
}

func expectPolicyEvents(t *testing.T, f *fixture, dep string, want ...string) []eventlog.Record {
	t.Helper()
	got := policyEvents(t, f, dep)
	if len(got) != len(want) {
		t.Fatalf("policy events of %s: %d, want %v: %+v", dep, len(got), want, got)
	}
	for i, r := range got {
		if r.Type != want[i] {
			t.Fatalf("policy event %d of %s is %s, want %s", i, dep, r.Type, want[i])
		}
	}
	return got
}

// scenario: B (HelseID) has a milestone needed by A by 2026-12-31.
type depScenario struct {
	f        *fixture
	a, b, ms string
	dep      string
	checkDir string
}

func newDepScenario(t *testing.T) *depScenario {
	f := newFixture(t)
	b := f.admitted(t, "Norsk helsenett SF")
	a := f.admitAnother(t, "Helse Sør-Øst RHF", "Pasientens legemiddelliste")
	ms := f.exec(t, secretariat, &domain.ReportMilestone{InitiativeID: b, Title: "HelseID 2.0", Status: domain.MilestonePlannedStatus,
		PlannedDate: "2026-12-01"})
	msID := ""
	st, err := f.store.Load(context.Background(), "initiative", b, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range st {
		if r.Type == "MilestonePlanned" && r.ID == ms.Events[0].ID {
			e, _ := domain.DecodeEvent(r.Type, r.SchemaVersion, r.Data)
			msID = e.(domain.MilestonePlanned).MilestoneID
		}
	}
	dep := f.exec(t, secretariat, &domain.DeclareDependency{InitiativeID: a, DependsOn: b, MilestoneID: msID,
		NeededBy: "2026-12-31", Description: "PLL trenger HelseID 2.0"}).AggregateID
	return &depScenario{f: f, a: a, b: b, ms: msID, dep: dep, checkDir: t.TempDir()}
}

func (s *depScenario) slip(t *testing.T, to domain.Date) string {
	r := s.f.exec(t, secretariat, &domain.ReportMilestone{InitiativeID: s.b, MilestoneID: s.ms, Status: domain.MilestoneSlippedStatus, NewPlannedDate: to})
	return r.Events[0].ID
}

func TestPolicySlipAndAchieve(t *testing.T) {
	s := newDepScenario(t)
	p, _ := runPolicy(t, s.f.store, filepath.Join(s.checkDir, "policy"))
	caughtUp(t, s.f, p)
	expectPolicyEvents(t, s.f, s.dep) // planned in time: nothing

	t.Run("a slip past neededBy gives one DependencyAtRisk, caused by the slip", func(t *testing.T) {
		slip := s.slip(t, "2027-02-01")
		caughtUp(t, s.f, p)
		got := expectPolicyEvents(t, s.f, s.dep, "DependencyAtRisk")
		if got[0].CausationID != slip {
			t.Errorf("causation %s, want the slip %s", got[0].CausationID, slip)
		}
	})
	t.Run("a further slip while at risk adds nothing", func(t *testing.T) {
		s.slip(t, "2027-03-01")
		caughtUp(t, s.f, p)
		expectPolicyEvents(t, s.f, s.dep, "DependencyAtRisk")
	})
	t.Run("achieving it clears the risk once", func(t *testing.T) {
		ach := s.f.exec(t, secretariat, &domain.ReportMilestone{InitiativeID: s.b, MilestoneID: s.ms, Status: domain.MilestoneAchievedStatus, AchievedDate: "2026-11-20"})
		caughtUp(t, s.f, p)
		got := expectPolicyEvents(t, s.f, s.dep, "DependencyAtRisk", "DependencyRiskCleared")
		if got[1].CausationID != ach.Events[0].ID {
			t.Errorf("causation %s, want the achievement %s", got[1].CausationID, ach.Events[0].ID)
		}
	})
}

// The policy is down when the cause is recorded (it was killed before it
// wrote): started again, it writes the effect once. Started again with its
// checkpoint lost (killed after the write, before the checkpoint), it
// writes nothing more.
func TestPolicyRestartExactlyOnce(t *testing.T) {
	s := newDepScenario(t)
	cp := filepath.Join(s.checkDir, "policy")
	p, stop := runPolicy(t, s.f.store, cp)
	caughtUp(t, s.f, p)
	stop()

	slip := s.slip(t, "2027-02-01") // the policy is down
	p, stop = runPolicy(t, s.f.store, cp)
	caughtUp(t, s.f, p)
	got := expectPolicyEvents(t, s.f, s.dep, "DependencyAtRisk")
	if got[0].CausationID != slip {
		t.Errorf("causation %s, want %s", got[0].CausationID, slip)
	}
	stop()

	if err := os.Remove(cp); err != nil {
		t.Fatal(err)
	}
	p, stop = runPolicy(t, s.f.store, cp)
	caughtUp(t, s.f, p)
	expectPolicyEvents(t, s.f, s.dep, "DependencyAtRisk")
	if p.Written() != 0 {
		t.Errorf("the policy wrote %d events again", p.Written())
	}
	stop()
}

// Two instances on one server, each with its own checkpoint, act on the
// same causes: each effect is written once.
func TestPolicyTwoInstancesExactlyOnce(t *testing.T) {
	s := newDepScenario(t)
	// More dependencies on the same milestone: one cause, several effects
	// in one append.
	deps := []string{s.dep}
	for range 3 {
		deps = append(deps, s.f.exec(t, secretariat, &domain.DeclareDependency{InitiativeID: s.a, DependsOn: s.b, MilestoneID: s.ms,
			NeededBy: "2026-12-15", Description: "Mer"}).AggregateID)
	}
	p1, _ := runPolicy(t, s.f.store, filepath.Join(s.checkDir, "p1"))
	p2, _ := runPolicy(t, s.f.store, filepath.Join(s.checkDir, "p2"))
	for _, step := range []struct {
		cmd  domain.Command
		want []string
	}{
		{&domain.ReportMilestone{InitiativeID: s.b, MilestoneID: s.ms, Status: domain.MilestoneSlippedStatus, NewPlannedDate: "2027-02-01"},
			[]string{"DependencyAtRisk"}},
		{&domain.ReportMilestone{InitiativeID: s.b, MilestoneID: s.ms, Status: domain.MilestoneAchievedStatus, AchievedDate: "2026-11-20"},
			[]string{"DependencyAtRisk", "DependencyRiskCleared"}},
		{&domain.PauseInitiative{InitiativeID: s.b, Reason: "Stans"}, []string{"DependencyAtRisk", "DependencyRiskCleared"}},
	} {
		s.f.exec(t, secretariat, step.cmd)
		caughtUp(t, s.f, p1)
		caughtUp(t, s.f, p2)
		for _, d := range deps {
			expectPolicyEvents(t, s.f, d, step.want...)
		}
	}
	if w := p1.Written() + p2.Written(); w != uint64(2*len(deps)) {
		t.Errorf("the instances wrote %d events together, want %d", w, 2*len(deps))
	}
}

// The policy folds an initiative only once a dependency names it, from
// the log up to the declaration: started after both the declaration (in
// time) and a later slip, it sees the declaration with the initiative as
// it was then, and the slip as the cause of the risk.
func TestPolicyFoldsTheNamedInitiativeAsOfTheDeclaration(t *testing.T) {
	s := newDepScenario(t)
	slip := s.slip(t, "2027-02-01") // no policy running yet
	p, _ := runPolicy(t, s.f.store, filepath.Join(s.checkDir, "policy"))
	caughtUp(t, s.f, p)
	got := expectPolicyEvents(t, s.f, s.dep, "DependencyAtRisk")
	if got[0].CausationID != slip {
		t.Errorf("causation %s, want the slip %s (not the declaration)", got[0].CausationID, slip)
	}
}
