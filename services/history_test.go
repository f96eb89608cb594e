package services_test

import (
	"context"
	"testing"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/services"
)

// TestInitiativeEventsAuthorizes: an initiative's history is for the
// auditor, the secretariat and the owner of the initiative's organisation.
func TestInitiativeEventsAuthorizes(t *testing.T) {
	f := newFixture(t)
	f.exec(t, secretariat, &domain.DefineStrategicGoal{GoalID: "M1", Strategy: "2023-2030", Title: "Aktiv medvirkning"})
	f.exec(t, secretariat, &domain.DefineSubGoal{SubGoalID: "1A", GoalID: "M1", Title: "Helsenorge"})
	id := f.exec(t, secretariat, &domain.ProposeInitiative{Title: "Kjernejournal", Description: "d", Owner: "NHN",
		PrimarySubGoal: "1A", PlannedStart: "2025-01-01", PlannedEnd: "2027-12-31"}).AggregateID
	h := &services.History{Log: f.store}
	ctx := context.Background()
	for _, c := range []struct {
		p    services.Principal
		kind domain.Kind // "": allowed
	}{
		{services.Principal{Name: "revisor", Role: services.RoleAuditor}, ""},
		{secretariat, ""},
		{services.Principal{Name: "nhn", Role: services.RoleOwner, Org: "NHN"}, ""},
		{services.Principal{Name: "ks", Role: services.RoleOwner, Org: "KS"}, domain.KindForbidden},
		{services.Anonymous, domain.KindUnauthorized},
	} {
		recs, err := h.InitiativeEvents(ctx, c.p, id)
		if c.kind == "" {
			if err != nil || len(recs) != 1 || recs[0].Type != "InitiativeProposed" {
				t.Errorf("%s: %d events, %v", c.p.Name, len(recs), err)
			}
			continue
		}
		if !domain.IsKind(err, c.kind) || recs != nil {
			t.Errorf("%s: %v, want %s", c.p.Name, err, c.kind)
		}
	}
	if _, err := h.InitiativeEvents(ctx, secretariat, "01NOSUCHINITIATIVE0000000"); !domain.IsKind(err, domain.KindNotFound) {
		t.Errorf("unknown initiative: %v", err)
	}
}
