package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/ehelse/portfolio/internal/daemon"
)

// TestClusterPolicyExactlyOnce runs two portfoliod instances (internal/daemon,
// each with its own data directory, read models and dependency policy
// checkpoint, the same signing key) on one in-process three-node
// JetStream cluster with the stream at R3, each connected to a different
// node. Both policies see every cause and race to act on it. For each of
// a few dependencies, a milestone slip past neededBy (recorded through one
// instance) gives exactly one DependencyAtRisk caused by the slip, and
// achieving the milestone in time (through the other instance) exactly one
// DependencyRiskCleared caused by the achievement — in the log, read after
// both policies have handled the cause.
func TestClusterPolicyExactlyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("cluster formation takes several seconds")
	}
	begin := time.Now()
	// The whole test, cluster formation included, stays well under 60 s.
	deadline, cancelAll := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancelAll()
	cd := newClusterDaemons(t)
	c := cd.c
	a := cd.start(t, deadline, "a", c.Servers[0].ClientURL(), false)
	b := cd.start(t, deadline, "b", c.Servers[1].ClientURL(), false)
	t.Logf("two instances started at %s", time.Since(begin).Round(time.Millisecond))
	sek, aud := a.Token("sekretariat"), a.Token("riksrevisjonen")
	ca, cb := newClient(a.URL(), 20*time.Second), newClient(b.URL(), 20*time.Second)
	defer ca.close()
	defer cb.close()
	ca.waitReady(t, 20*time.Second)
	cb.waitReady(t, 20*time.Second)

	type result struct {
		id      string // aggregate id
		eventID string // the last event's id
		pos     uint64
	}
	must := func(cl *client, name string, body map[string]any) result {
		t.Helper()
		raw, _ := json.Marshal(body)
		ctx, cancel := context.WithTimeout(deadline, 20*time.Second)
		defer cancel()
		r, err := cl.do(ctx, http.MethodPost, "/v1/commands/"+name, sek, raw, nil)
		if err != nil || r.status != http.StatusCreated {
			t.Fatalf("%s: %v %s", name, err, r)
		}
		var res commandResult
		if err := json.Unmarshal(r.body, &res); err != nil {
			t.Fatal(err)
		}
		return result{id: res.AggregateID, eventID: res.Events[len(res.Events)-1].ID, pos: res.Position}
	}
	// policiesAt waits until both instances' policies have handled pos:
	// whatever either writes for a cause at pos is in the log then.
	policiesAt := func(pos uint64) {
		t.Helper()
		for name, d := range map[string]*daemon.Daemon{"a": a, "b": b} {
			ctx, cancel := context.WithTimeout(deadline, 15*time.Second)
			err := d.Policy.WaitFor(ctx, pos)
			cancel()
			if err != nil {
				t.Fatalf("policy of %s at %d, want %d: %v", name, d.Policy.Position(), pos, err)
			}
		}
	}

	// Strategy and two initiatives in the portfolio, through the council.
	must(ca, "DefineStrategicGoal", map[string]any{"goalId": "M4", "strategy": "2023-2030", "title": "Tilgjengelig informasjon"})
	must(ca, "DefineSubGoal", map[string]any{"subGoalId": "4A", "goalId": "M4", "title": "Illustrativt delmål 4A"})
	admit := func(title string) string {
		id := must(ca, "ProposeInitiative", map[string]any{"title": title, "description": "d", "owner": "Norsk helsenett SF",
			"primarySubGoal": "4A", "plannedStart": "2025-01-01", "plannedEnd": "2028-12-31"}).id
		cs := must(ca, "RegisterCase", map[string]any{"forum": "NUIT", "title": "Opptak " + title, "caseType": "approval",
			"purpose": "admission", "initiativeId": id, "proposedResolution": "Tas inn"}).id
		for _, forum := range []string{"NUIT", "EHR"} {
			m := must(ca, "ScheduleMeeting", map[string]any{"forum": forum, "date": "2026-03-02"}).id
			must(ca, "PlaceCaseOnAgenda", map[string]any{"caseId": cs, "meetingId": m})
			must(ca, "HoldMeeting", map[string]any{"meetingId": m})
			cmd, res := "RecommendInCouncil", "Anbefales"
			if forum == "EHR" {
				cmd, res = "ApproveInCouncil", "Tilslutning"
			}
			must(ca, cmd, map[string]any{"caseId": cs, "meetingId": m, "resolution": res})
		}
		return id
	}
	pll, helseid := admit("PLL"), admit("HelseID")

	// policyEvents lists the events of type typ in the log (read through
	// instance cl's audit API) and those of dep caused by cause.
	policyEvents := func(cl *client, typ, dep, cause string) (all, caused []auditEvent) {
		t.Helper()
		for _, e := range auditLog(t, cl, aud) {
			if e.Type != typ {
				continue
			}
			all = append(all, e)
			if e.AggregateID == dep && e.CausationID == cause {
				caused = append(caused, e)
			}
		}
		return all, caused
	}

	// Each round: a milestone with two dependencies on it (one cause, two
	// effects in one append). Neither policy folds the other's effect
	// before it has decided on the cause (it consumes the log in order),
	// so both decide to write it: one append wins, the other is
	// deduplicated by JetStream or loses the version race and finds the
	// effect already written.
	const rounds, perMilestone = 3, 2
	for round := range rounds {
		// The slip through one instance, the achievement through the other.
		first, second := ca, cb
		if round%2 == 1 {
			first, second = cb, ca
		}
		ms := newULID()
		must(first, "ReportMilestone", map[string]any{"initiativeId": helseid, "milestoneId": ms,
			"title": fmt.Sprintf("HelseID-leveranse %d", round), "status": "planned", "plannedDate": "2026-10-01"})
		var deps []string
		for k := range perMilestone {
			deps = append(deps, must(first, "DeclareDependency", map[string]any{"initiativeId": pll, "dependsOn": helseid, "milestoneId": ms,
				"neededBy": fmt.Sprintf("2026-12-%02d", 30-k), "description": "PLL trenger leveransen"}).id)
		}
		slip := must(first, "ReportMilestone", map[string]any{"initiativeId": helseid, "milestoneId": ms, "status": "slipped",
			"newPlannedDate": "2027-03-01"})
		policiesAt(slip.pos)

		var atRisk []auditEvent
		for _, dep := range deps {
			all, caused := policyEvents(second, "DependencyAtRisk", dep, slip.eventID)
			if len(caused) != 1 {
				t.Fatalf("round %d: %d DependencyAtRisk of %s caused by the slip %s, want 1: %+v", round, len(caused), dep, slip.eventID, all)
			}
			if len(all) != (round+1)*perMilestone {
				t.Fatalf("round %d: %d DependencyAtRisk in the log, want %d (one per dependency and slip): %+v", round, len(all), (round+1)*perMilestone, all)
			}
			if e := caused[0]; e.Actor != "policy" || e.Position <= slip.pos {
				t.Errorf("round %d: DependencyAtRisk at %d by %q, want actor policy and after its cause at %d", round, e.Position, e.Actor, slip.pos)
			}
			atRisk = append(atRisk, caused[0])
		}
		// Both instances' read models show them at risk (queried at the
		// position of the policy's last event).
		last := max(atRisk[0].Position, atRisk[len(atRisk)-1].Position)
		for name, cl := range map[string]*client{"a": ca, "b": cb} {
			r := cl.get(t, fmt.Sprintf("/v1/dependencies?atRisk=true&minPosition=%d", last), sek)
			var list struct {
				Dependencies []struct {
					DependencyID string `json:"dependencyId"`
					State        string `json:"state"`
				} `json:"dependencies"`
			}
			if err := json.Unmarshal(r.body, &list); err != nil {
				t.Fatal(err)
			}
			for _, dep := range deps {
				found := false
				for _, d := range list.Dependencies {
					found = found || (d.DependencyID == dep && d.State == "atRisk")
				}
				if !found {
					t.Errorf("round %d: instance %s does not list %s at risk: %s", round, name, dep, r.body)
				}
			}
		}

		achieved := must(second, "ReportMilestone", map[string]any{"initiativeId": helseid, "milestoneId": ms, "status": "achieved",
			"achievedDate": "2026-11-20"})
		policiesAt(achieved.pos)
		for _, dep := range deps {
			all, caused := policyEvents(first, "DependencyRiskCleared", dep, achieved.eventID)
			if len(caused) != 1 {
				t.Fatalf("round %d: %d DependencyRiskCleared of %s caused by the achievement %s, want 1: %+v", round, len(caused), dep, achieved.eventID, all)
			}
			if len(all) != (round+1)*perMilestone {
				t.Fatalf("round %d: %d DependencyRiskCleared in the log, want %d: %+v", round, len(all), (round+1)*perMilestone, all)
			}
			if caused[0].Actor != "policy" {
				t.Errorf("round %d: DependencyRiskCleared by %q, want policy", round, caused[0].Actor)
			}
		}
		t.Logf("round %d: slip at %d → one DependencyAtRisk per dependency (at %d, %d); achievement at %d → one DependencyRiskCleared per dependency",
			round, slip.pos, atRisk[0].Position, atRisk[1].Position, achieved.pos)
	}

	// Together the instances wrote each effect once; a duplicate (found
	// already written, or deduplicated by JetStream) counts for neither.
	wa, wb := a.Policy.Written(), b.Policy.Written()
	t.Logf("instance a wrote %d policy events, instance b %d", wa, wb)
	if want := uint64(2 * rounds * perMilestone); wa+wb != want {
		t.Errorf("the instances wrote %d policy events together, want %d", wa+wb, want)
	}
	// Still exactly one of each after both policies have handled the head.
	head := uint64(0)
	events := auditLog(t, ca, aud)
	for _, e := range events {
		head = max(head, e.Position)
	}
	policiesAt(head)
	n := map[string]int{}
	for _, e := range auditLog(t, cb, aud) {
		n[e.Type]++
	}
	if n["DependencyAtRisk"] != rounds*perMilestone || n["DependencyRiskCleared"] != rounds*perMilestone {
		t.Errorf("at the end: %d DependencyAtRisk and %d DependencyRiskCleared in the log, want %d each",
			n["DependencyAtRisk"], n["DependencyRiskCleared"], rounds*perMilestone)
	}
	t.Logf("total %s", time.Since(begin).Round(time.Millisecond))
}
