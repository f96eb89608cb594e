package services_test

import (
	"context"
	"testing"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/services"
)

func TestSeedDemoRecordsALivingPortfolio(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	n, last, err := services.SeedDemo(ctx, f.svc, services.Principal{Name: "demo-seed", Role: services.RoleSecretariat}, f.now)
	if err != nil {
		t.Fatal(err)
	}
	if n < 200 || last != f.head(t) {
		t.Fatalf("demo recorded %d commands up to position %d; head %d", n, last, f.head(t))
	}
	// Every demo initiative but the rejected one is in the portfolio, and
	// one was moved through a phase gate by an EHR approval.
	recs, err := f.store.Read(ctx, 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	years := map[int]bool{}
	for _, r := range recs {
		counts[r.Type]++
		if r.Type == "MeetingScheduled" {
			e, err := domain.DecodeEvent(r.Type, r.SchemaVersion, r.Data)
			if err != nil {
				t.Fatal(err)
			}
			years[e.(domain.MeetingScheduled).Year] = true
		}
	}
	want := map[string]int{"InitiativeProposed": 15, "InitiativeAdmitted": 14, "InitiativeRejected": 1, "StrategicGoalDefined": 6}
	for typ, c := range want {
		if counts[typ] != c {
			t.Errorf("%s: %d events, want %d", typ, counts[typ], c)
		}
	}
	for _, typ := range []string{"InitiativePhaseChanged", "CaseDeferred", "CaseDiscussed", "CaseNoted", "StatusReported", "MilestoneSlipped", "MilestoneAchieved", "InitiativePaused"} {
		if counts[typ] == 0 {
			t.Errorf("the demo has no %s", typ)
		}
	}
	for _, y := range []int{2024, 2025, 2026} {
		if !years[y] {
			t.Errorf("no meetings in %d", y)
		}
	}
}
