package services_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/eventlog"
	"github.com/ehelse/portfolio/eventstore"
	"github.com/ehelse/portfolio/eventstore/natstest"
	"github.com/ehelse/portfolio/services"
)

var secretariat = services.Principal{Name: "sekretariat", Role: services.RoleSecretariat}

type fixture struct {
	store *eventstore.Store
	svc   *services.CommandService
	now   time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	_, _, js := natstest.RunServer(t)
	ctx := context.Background()
	st, err := eventstore.Open(ctx, js, eventstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	svc, err := services.NewCommandService(services.CommandConfig{Log: st, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{store: st, svc: svc, now: now}
}

func (f *fixture) exec(t *testing.T, p services.Principal, cmd domain.Command) services.CommandResult {
	t.Helper()
	r, err := f.svc.Execute(context.Background(), p, cmd, services.ExecOptions{})
	if err != nil {
		t.Fatalf("%s: %v", cmd.CommandName(), err)
	}
	return r
}

func (f *fixture) head(t *testing.T) uint64 {
	t.Helper()
	h, err := f.store.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// admitted records the strategy and an initiative of org, admitted to the
// portfolio through NUIT and EHR, and returns its id.
func (f *fixture) admitted(t *testing.T, org string) string {
	t.Helper()
	f.exec(t, secretariat, &domain.DefineStrategicGoal{GoalID: "M1", Strategy: "2023-2030", Title: "Aktiv medvirkning"})
	f.exec(t, secretariat, &domain.DefineSubGoal{SubGoalID: "1A", GoalID: "M1", Title: "Helsenorge"})
	in := f.exec(t, secretariat, &domain.ProposeInitiative{Title: "Kjernejournal", Description: "d", Owner: org,
		PrimarySubGoal: "1A", PlannedStart: "2025-01-01", PlannedEnd: "2027-12-31"}).AggregateID
	c := f.exec(t, secretariat, &domain.RegisterCase{Forum: domain.NUIT, Title: "Innmelding", CaseType: domain.CaseApproval,
		Purpose: domain.PurposeAdmission, InitiativeID: in, ProposedResolution: "Tas inn"}).AggregateID
	nuit := f.exec(t, secretariat, &domain.ScheduleMeeting{Forum: domain.NUIT, Date: "2026-02-01"}).AggregateID
	f.exec(t, secretariat, &domain.PlaceCaseOnAgenda{CaseID: c, MeetingID: nuit})
	f.exec(t, secretariat, &domain.HoldMeeting{MeetingID: nuit})
	f.exec(t, secretariat, &domain.RecommendInCouncil{CaseID: c, MeetingID: nuit, Resolution: "Anbefales"})
	ehr := f.exec(t, secretariat, &domain.ScheduleMeeting{Forum: domain.EHR, Date: "2026-03-01"}).AggregateID
	f.exec(t, secretariat, &domain.PlaceCaseOnAgenda{CaseID: c, MeetingID: ehr})
	f.exec(t, secretariat, &domain.HoldMeeting{MeetingID: ehr})
	r := f.exec(t, secretariat, &domain.ApproveInCouncil{CaseID: c, MeetingID: ehr, Resolution: "Tilslutning"})
	if len(r.Events) != 2 || r.Events[0].Type != "CaseApproved" || r.Events[1].Type != "InitiativeAdmitted" {
		t.Fatalf("approval of an admission case wrote %+v", r.Events)
	}
	if r.Events[1].Position != r.Events[0].Position+1 {
		t.Fatalf("the two events of an approval are not adjacent: %+v", r.Events)
	}
	return in
}

func TestConcurrentCommandsWithoutIfMatchAllLand(t *testing.T) {
	f := newFixture(t)
	in := f.admitted(t, "Helse Vest RHF")
	before, err := f.svc.Execute(context.Background(), secretariat, &domain.ReportStatus{InitiativeID: in, ReportDate: "2026-03-31",
		Overall: domain.Green, Schedule: domain.Green, Cost: domain.Green, Benefit: domain.Green}, services.ExecOptions{})
	if err != nil {
		t.Fatal(err)
	}
	const n = 24
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.svc.Execute(context.Background(), secretariat, &domain.ReportMilestone{InitiativeID: in,
				Title: fmt.Sprintf("Milepæl %d", i), Status: domain.MilestonePlannedStatus, PlannedDate: "2027-01-01"}, services.ExecOptions{})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("command lost: %v", err)
		}
	}
	h := services.History{Log: f.store}
	st, v, err := h.InitiativeAt(context.Background(), in, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if v != before.Version+n {
		t.Fatalf("version %d, want %d", v, before.Version+n)
	}
	if len(st.Milestones) != n {
		t.Fatalf("%d milestones recorded, want %d", len(st.Milestones), n)
	}
}

func TestConcurrentCommandsWithSameIfMatchOneWins(t *testing.T) {
	f := newFixture(t)
	in := f.admitted(t, "Helse Vest RHF")
	h := services.History{Log: f.store}
	_, v, err := h.InitiativeAt(context.Background(), in, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	const n = 8
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, conflicts := 0, 0
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.svc.Execute(context.Background(), secretariat, &domain.ReportMilestone{InitiativeID: in,
				Title: fmt.Sprintf("M%d", i), Status: domain.MilestonePlannedStatus, PlannedDate: "2027-01-01"},
				services.ExecOptions{IfMatch: &v})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case domain.IsKind(err, domain.KindConflict) && errors.Is(err, eventlog.ErrConflict):
				conflicts++
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok != 1 || conflicts != n-1 {
		t.Fatalf("%d accepted and %d conflicts, want 1 and %d", ok, conflicts, n-1)
	}
}

func TestRefusedCommandsWriteNothing(t *testing.T) {
	f := newFixture(t)
	in := f.admitted(t, "Helse Vest RHF")
	owner := services.Principal{Name: "hso", Role: services.RoleOwner, Org: "Helse Sør-Øst RHF"}
	auditor := services.Principal{Name: "riksrevisjonen", Role: services.RoleAuditor}
	cases := []struct {
		name string
		p    services.Principal
		cmd  domain.Command
		kind domain.Kind
	}{
		{"anonymous writes", services.Anonymous, &domain.PauseInitiative{InitiativeID: in, Reason: "x"}, domain.KindUnauthorized},
		{"auditor writes", auditor, &domain.PauseInitiative{InitiativeID: in, Reason: "x"}, domain.KindForbidden},
		{"owner pauses", owner, &domain.PauseInitiative{InitiativeID: in, Reason: "x"}, domain.KindForbidden},
		{"owner writes to another org's initiative", owner, &domain.ReportStatus{InitiativeID: in, ReportDate: "2026-04-01",
			Overall: domain.Green, Schedule: domain.Green, Cost: domain.Green, Benefit: domain.Green}, domain.KindForbidden},
		{"owner proposes for another org", owner, &domain.ProposeInitiative{Title: "x", Description: "d", Owner: "KS",
			PrimarySubGoal: "1A", PlannedStart: "2025-01-01", PlannedEnd: "2026-01-01"}, domain.KindForbidden},
		{"invalid", secretariat, &domain.ReportStatus{InitiativeID: in, ReportDate: "2026-13-01"}, domain.KindInvalid},
		{"rule", secretariat, &domain.WithdrawInitiative{InitiativeID: in, Reason: "admitted already"}, domain.KindRuleViolated},
		{"not found", secretariat, &domain.PauseInitiative{InitiativeID: "01JD0000000000000000000000", Reason: "x"}, domain.KindNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := f.head(t)
			_, err := f.svc.Execute(context.Background(), tc.p, tc.cmd, services.ExecOptions{})
			if got := domain.ErrorKind(err); got != tc.kind {
				t.Fatalf("kind %q (%v), want %q", got, err, tc.kind)
			}
			if f.head(t) != h {
				t.Fatal("a refused command wrote to the log")
			}
		})
	}
}

func TestSameCommandIDWritesOnce(t *testing.T) {
	f := newFixture(t)
	in := f.admitted(t, "Helse Vest RHF")
	opts := services.ExecOptions{CommandID: "01JDRETRY00000000000000000"}
	cmd := func() domain.Command {
		return &domain.PauseInitiative{InitiativeID: in, Reason: "venter på avklaring"}
	}
	r1, err := f.svc.Execute(context.Background(), secretariat, cmd(), opts)
	if err != nil {
		t.Fatal(err)
	}
	h := f.head(t)
	r2, err := f.svc.Execute(context.Background(), secretariat, cmd(), opts)
	if err != nil && !domain.IsKind(err, domain.KindRuleViolated) {
		t.Fatalf("retry: %v", err)
	}
	if err == nil && r2.Position != r1.Position {
		t.Fatalf("retry answered position %d, first %d", r2.Position, r1.Position)
	}
	if f.head(t) != h {
		t.Fatal("the retried command wrote again")
	}
}
