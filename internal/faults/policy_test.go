package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestKill9AroundPolicyWrite: portfoliod is killed (SIGKILL) right after a
// milestone slip past a dependency's neededBy is acknowledged — before,
// during or after the dependency policy writes DependencyAtRisk — and
// started again: the log then holds exactly one DependencyAtRisk caused by
// the slip, also after one more restart.
func TestKill9AroundPolicyWrite(t *testing.T) {
	t.Parallel()
	bin := portfoliod(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	logPath := filepath.Join(dir, "portfoliod.log")
	defer func() {
		if t.Failed() {
			t.Logf("portfoliod log (tail):\n%s", tail(logPath, 40))
		}
	}()
	p := startProc(t, bin, data, logPath, "--demo=false")
	tokens := readTokens(t, data)
	sek, aud := tokens["sekretariat"], tokens["riksrevisjonen"]
	c := newClient(p.url, 20*time.Second)
	c.waitReady(t, 30*time.Second)

	must := func(c *client, name string, body map[string]any) (string, string, uint64) {
		t.Helper()
		b, _ := json.Marshal(body)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		r, err := c.do(ctx, http.MethodPost, "/v1/commands/"+name, sek, b, nil)
		if err != nil || r.status != http.StatusCreated {
			t.Fatalf("%s: %v %s", name, err, r)
		}
		var res struct {
			AggregateID string `json:"aggregateId"`
			Position    uint64 `json:"position"`
			Events      []struct {
				ID string `json:"id"`
			} `json:"events"`
		}
		if err := json.Unmarshal(r.body, &res); err != nil {
			t.Fatal(err)
		}
		return res.AggregateID, res.Events[len(res.Events)-1].ID, res.Position
	}
	// Strategy and two initiatives in the portfolio, through the council.
	must(c, "DefineStrategicGoal", map[string]any{"goalId": "M4", "strategy": "2023-2030", "title": "Tilgjengelig informasjon"})
	must(c, "DefineSubGoal", map[string]any{"subGoalId": "4A", "goalId": "M4", "title": "Illustrativt delmål 4A"})
	admit := func(title string) string {
		id, _, _ := must(c, "ProposeInitiative", map[string]any{"title": title, "description": "d", "owner": "Norsk helsenett SF",
			"primarySubGoal": "4A", "plannedStart": "2025-01-01", "plannedEnd": "2028-12-31"})
		cs, _, _ := must(c, "RegisterCase", map[string]any{"forum": "NUIT", "title": "Opptak " + title, "caseType": "approval",
			"purpose": "admission", "initiativeId": id, "proposedResolution": "Tas inn"})
		for _, forum := range []string{"NUIT", "EHR"} {
			m, _, _ := must(c, "ScheduleMeeting", map[string]any{"forum": forum, "date": "2026-03-02"})
			must(c, "PlaceCaseOnAgenda", map[string]any{"caseId": cs, "meetingId": m})
			must(c, "HoldMeeting", map[string]any{"meetingId": m})
			cmd, res := "RecommendInCouncil", "Anbefales"
			if forum == "EHR" {
				cmd, res = "ApproveInCouncil", "Tilslutning"
			}
			must(c, cmd, map[string]any{"caseId": cs, "meetingId": m, "resolution": res})
		}
		return id
	}
	pll, helseid := admit("PLL"), admit("HelseID")

	// Each round: a milestone and a dependency on it, then its slip past
	// neededBy, and the kill a little later each round.
	for round, delay := range []time.Duration{0, 2 * time.Millisecond, 10 * time.Millisecond, 50 * time.Millisecond} {
		ms := newULID()
		must(c, "ReportMilestone", map[string]any{"initiativeId": helseid, "milestoneId": ms, "title": fmt.Sprintf("Leveranse %d", round),
			"status": "planned", "plannedDate": "2026-10-01"})
		dep, _, _ := must(c, "DeclareDependency", map[string]any{"initiativeId": pll, "dependsOn": helseid, "milestoneId": ms,
			"neededBy": "2026-12-31", "description": "Trenger leveransen"})
		_, slip, _ := must(c, "ReportMilestone", map[string]any{"initiativeId": helseid, "milestoneId": ms, "status": "slipped",
			"newPlannedDate": "2027-03-01"})
		if delay > 0 {
			time.Sleep(delay) // the kill moment: part of the scenario, not a synchronisation
		}
		c.close()
		p.kill(t)
		checkpoint, _ := os.ReadFile(filepath.Join(data, "policy-dependencies.checkpoint"))

		p = startProc(t, bin, data, logPath, "--demo=false")
		c = newClient(p.url, 20*time.Second)
		c.waitReady(t, 30*time.Second)
		waitPolicy(t, logPath, 20*time.Second)
		atRisk, at := countAtRisk(t, c, aud, dep, slip)
		if atRisk != 1 {
			t.Fatalf("round %d (kill %s after the slip): %d DependencyAtRisk caused by the slip, want 1", round, delay, atRisk)
		}
		t.Logf("round %d: killed %s after the slip's acknowledgement, the policy's checkpoint then %s; one DependencyAtRisk (position %d) after the restart",
			round, delay, strings.TrimSpace(string(checkpoint)), at)
	}
	// One more restart, with the policy deciding everything again from its
	// checkpoint: nothing more is written.
	c.close()
	p.stop(t)
	p = startProc(t, bin, data, logPath, "--demo=false")
	c = newClient(p.url, 20*time.Second)
	defer c.close()
	c.waitReady(t, 30*time.Second)
	waitPolicy(t, logPath, 20*time.Second)
	n := 0
	for _, e := range auditLog(t, c, aud) {
		if e.Type == "DependencyAtRisk" {
			n++
		}
	}
	if n != 4 {
		t.Errorf("after a clean restart: %d DependencyAtRisk in the log, want 4 (one per slip)", n)
	}
	p.stop(t)
}

var metricLine = regexp.MustCompile(`(?m)^(portfolio_policy_position|portfolio_projection_position) (\S+)$`)

var metricsURL = regexp.MustCompile(`portfoliod: metrics on (\S+) `)

// waitPolicy waits until the dependency policy of the process started last
// (its operations listener is the last one the log names) has handled what
// the read models have (both metrics, polled as a monitoring system would).
func waitPolicy(t *testing.T, logPath string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(logPath)
		// Only the running process's lines: an earlier (killed) one's
		// metrics URL is still in the log until the new one prints its own.
		if i := bytes.LastIndex(b, []byte("==== start ")); i >= 0 {
			b = b[i:]
		}
		if ms := metricsURL.FindAllSubmatch(b, -1); len(ms) > 0 {
			u := string(ms[len(ms)-1][1])
			ops := newClient(strings.TrimSuffix(u, "/metrics"), 5*time.Second)
			r := ops.get(t, "/metrics", "")
			ops.close()
			got := map[string]float64{}
			for _, m := range metricLine.FindAllStringSubmatch(string(r.body), -1) {
				got[m[1]], _ = strconv.ParseFloat(m[2], 64)
			}
			if got["portfolio_policy_position"] > 0 && got["portfolio_policy_position"] >= got["portfolio_projection_position"] {
				return
			}
		}
		time.Sleep(20 * time.Millisecond) // another process's progress is polled through its metrics
	}
	t.Fatalf("the dependency policy did not catch up in %s", timeout)
}

// countAtRisk counts the DependencyAtRisk events of dep caused by cause,
// and gives the position of the last.
func countAtRisk(t *testing.T, c *client, auditorToken, dep, cause string) (int, uint64) {
	n, at := 0, uint64(0)
	for _, e := range auditLog(t, c, auditorToken) {
		if e.Type == "DependencyAtRisk" && e.AggregateID == dep {
			if e.CausationID != cause {
				t.Errorf("DependencyAtRisk %s: causation %s, want the slip %s", e.ID, e.CausationID, cause)
			}
			n, at = n+1, e.Position
		}
	}
	return n, at
}
