// Package e2e runs portfolioctl (ctl.Main) against the real server,
// started in-process with internal/daemon. It is a separate package so
// that the unit tests of internal/ctl build and run without the server.
package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ehelse/portfolio/internal/ctl"
	"github.com/ehelse/portfolio/internal/daemon"
)

type result struct {
	code           int
	stdout, stderr string
}

type commandResult struct {
	AggregateType string `json:"aggregateType"`
	AggregateID   string `json:"aggregateId"`
	Version       uint64 `json:"version"`
	Position      uint64 `json:"position"`
	Events        []struct {
		ID       string `json:"id"`
		Type     string `json:"type"`
		Position uint64 `json:"position"`
	} `json:"events"`
}

func (r commandResult) types() string {
	var ts []string
	for _, e := range r.Events {
		ts = append(ts, e.Type)
	}
	return strings.Join(ts, "+")
}

// session runs portfolioctl against one server and remembers the highest
// log position a command reported, for --min-position on queries.
type session struct {
	t        *testing.T
	server   string
	position uint64
}

// run runs portfolioctl with the token ("" for anonymous).
func (s *session) run(token string, args ...string) result {
	s.t.Helper()
	all := []string{"--server", s.server, "--timeout", "20s"}
	if token != "" {
		all = append(all, "--token", token)
	}
	all = append(all, args...)
	var out, errb bytes.Buffer
	code := ctl.Main(context.Background(), all, strings.NewReader(""), &out, &errb)
	return result{code, out.String(), errb.String()}
}

// cmd runs a command that must be accepted, with --output json, and
// returns its result.
func (s *session) cmd(token string, args ...string) commandResult {
	s.t.Helper()
	r := s.run(token, append([]string{"-o", "json"}, args...)...)
	if r.code != 0 {
		s.t.Fatalf("%v: exit %d, stderr %q", args, r.code, r.stderr)
	}
	var cr commandResult
	if err := json.Unmarshal([]byte(r.stdout), &cr); err != nil {
		s.t.Fatalf("%v: %v in %q", args, err, r.stdout)
	}
	if cr.Position > s.position {
		s.position = cr.Position
	}
	return cr
}

// tryCmd runs a command that the server may refuse by its rules (409)
// but must understand: a 400 or 422 would mean the CLI sent a body the
// server cannot decode or that misses a field.
func (s *session) tryCmd(token string, args ...string) result {
	s.t.Helper()
	r := s.run(token, args...)
	if r.code != 0 && !strings.HasPrefix(r.stderr, "error: 409 rule_violated: ") {
		s.t.Errorf("%v: exit %d, stderr %q; want success or 409", args, r.code, r.stderr)
	}
	return r
}

// query runs a query that must succeed, once the read models have seen
// every command so far, and returns its output.
func (s *session) query(token string, args ...string) string {
	s.t.Helper()
	args = append(args, "--min-position", strconv.FormatUint(s.position, 10))
	r := s.run(token, args...)
	if r.code != 0 {
		s.t.Fatalf("%v: exit %d, stderr %q", args, r.code, r.stderr)
	}
	return r.stdout
}

// refused runs a command line that must fail with exit code 1 and a
// stderr starting with prefix.
func (s *session) refused(token, prefix string, args ...string) {
	s.t.Helper()
	r := s.run(token, args...)
	if r.code != ctl.ExitFailure || !strings.HasPrefix(r.stderr, prefix) {
		s.t.Errorf("%v: exit %d, stderr %q; want 1 and %q…", args, r.code, r.stderr, prefix)
	}
	if strings.Count(strings.TrimSuffix(r.stderr, "\n"), "\n") > 0 && !strings.HasPrefix(prefix, "error: 422") {
		s.t.Errorf("%v: more than one error line: %q", args, r.stderr)
	}
}

func contains(t *testing.T, what, out string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("%s: no %q in\n%s", what, w, out)
		}
	}
}

func newUUID(t *testing.T) string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func TestEndToEnd(t *testing.T) {
	ctx := context.Background()
	d, err := daemon.Start(ctx, daemon.Config{
		DataDir:  t.TempDir(),
		HTTPAddr: "127.0.0.1:0",
		Demo:     false,
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		Out:      io.Discard,
	})
	if err != nil {
		t.Fatalf("daemon.Start: %v", err)
	}
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		d.Close(cctx)
	})
	s := &session{t: t, server: d.URL()}
	sek, nhn, ks, aud := d.Token("sekretariat"), d.Token("nhn"), d.Token("ks"), d.Token("riksrevisjonen")
	if sek == "" || nhn == "" || aud == "" {
		t.Fatalf("missing tokens: sekretariat %t, nhn %t, riksrevisjonen %t", sek != "", nhn != "", aud != "")
	}

	// Meeting dates in the past, so that the meetings can be held.
	day := func(daysAgo int) string { return time.Now().UTC().AddDate(0, 0, -daysAgo).Format(time.DateOnly) }
	start, end := day(200), time.Now().UTC().AddDate(2, 0, 0).Format(time.DateOnly)

	// ---- strategy ----
	r := s.cmd(sek, "strategy", "define-goal", "--goal", "M1", "--strategy", "2023-2030", "--title", "Aktiv medvirkning i egen og næres helse")
	if r.AggregateType != "strategy" || r.types() != "StrategicGoalDefined" {
		t.Errorf("define-goal: %+v", r)
	}
	s.cmd(sek, "strategy", "define-goal", "--goal", "M4", "--strategy", "2023-2030", "--title", "Tilgjengelig informasjon og styrket samhandling")
	s.cmd(sek, "strategy", "define-subgoal", "--subgoal", "1A", "--goal", "M1",
		"--title", "Innbygger skal ha mulighet for å administrere behandlingsforløp, digital dialog og innsynstjenester gjennom Helsenorge")
	s.cmd(sek, "strategy", "define-subgoal", "--subgoal", "4A", "--goal", "M4", "--title", "Illustrativt delmål 4A")
	contains(t, "strategy", s.query("", "strategy"), "Strategy 2023-2030", "M1", "1A", "Aktiv medvirkning", "4A")

	// ---- initiatives ----
	r = s.cmd(nhn, "initiative", "propose", "--title", "Helsenorge", "--description", "Innbyggertjenester",
		"--owner", "Norsk helsenett SF", "--primary-subgoal", "1A", "--subgoal", "4A", "--user-group", "innbyggere",
		"--start", start, "--end", end, "--cost", "1000000")
	if r.AggregateType != "initiative" || r.Version != 1 || r.types() != "InitiativeProposed" {
		t.Errorf("propose: %+v", r)
	}
	ini := r.AggregateID

	ini2 := s.cmd(nhn, "initiative", "propose", "--title", "Kjernejournal-pilot", "--description", "d",
		"--owner", "Norsk helsenett SF", "--primary-subgoal", "1A", "--start", start, "--end", end).AggregateID
	s.cmd(nhn, "initiative", "withdraw", "--id", ini2, "--reason", "slått sammen med Helsenorge")

	ini3id := newUUID(t)
	r = s.cmd(sek, "initiative", "propose", "--id", ini3id, "--title", "Akson", "--description", "felles kommunal journal",
		"--owner", "KS", "--primary-subgoal", "1A", "--user-group", "kommuner", "--start", start, "--end", end, "--phase", "planning")
	if !strings.EqualFold(r.AggregateID, ini3id) {
		t.Errorf("propose --id %s: got id %s", ini3id, r.AggregateID)
	}

	// The table form of a command's answer.
	tr := s.run(sek, "council", "schedule-meeting", "--forum", "NUIT", "--date", day(40))
	if tr.code != 0 || !strings.HasPrefix(tr.stdout, "MeetingScheduled") || !strings.Contains(tr.stdout, " meeting/") {
		t.Fatalf("schedule-meeting (table): exit %d, %q, %q", tr.code, tr.stdout, tr.stderr)
	}
	nuit := strings.TrimPrefix(strings.Fields(tr.stdout)[1], "meeting/")

	// ---- council: admission through NUIT and EHR ----
	ehr := s.cmd(sek, "council", "schedule-meeting", "--forum", "EHR", "--date", day(30)).AggregateID
	cA := s.cmd(sek, "council", "register-case", "--forum", "NUIT", "--title", "Opptak av Helsenorge i porteføljen",
		"--type", "approval", "--purpose", "admission", "--initiative", ini,
		"--proposed-resolution", "NUIT anbefaler opptak", "--archive-ref", "22/414-1").AggregateID
	s.cmd(sek, "council", "place", "--case", cA, "--meeting", nuit)
	s.cmd(sek, "council", "hold", "--meeting", nuit)
	rec := s.cmd(sek, "council", "recommend", "--case", cA, "--meeting", nuit, "--resolution", "NUIT anbefaler opptak",
		"--conditions", "avklart finansiering")
	if len(rec.Events) == 0 {
		t.Fatalf("recommend: no events: %+v", rec)
	}
	s.cmd(sek, "council", "place", "--case", cA, "--meeting", ehr)
	s.cmd(sek, "council", "hold", "--meeting", ehr)
	r = s.cmd(sek, "council", "approve", "--case", cA, "--meeting", ehr, "--resolution", "EHR gir sin tilslutning")
	if !strings.Contains(r.types(), "CaseApproved") || !strings.Contains(r.types(), "InitiativeAdmitted") {
		t.Errorf("approve: events %s, want CaseApproved and InitiativeAdmitted", r.types())
	}
	s.refused(sek, "error: 409 rule_violated: ",
		"council", "approve", "--case", cA, "--meeting", ehr, "--resolution", "igjen")
	s.cmd(sek, "council", "correct", "--case", cA, "--corrects-event", rec.Events[0].ID,
		"--reason", "skrivefeil i vedtaket", "--resolution", "NUIT anbefaler opptak i porteføljen")

	// ---- initiative follow-up by its owner ----
	s.cmd(nhn, "initiative", "report-status", "--id", ini, "--date", day(20), "--overall", "green",
		"--schedule", "yellow", "--cost", "green", "--benefit", "green", "--comment", "leverandør forsinket")
	ms1, ms2 := newUUID(t), newUUID(t)
	s.cmd(nhn, "initiative", "milestone", "plan", "--id", ini, "--milestone", ms1, "--title", "Pilot i drift", "--planned-date", day(10))
	s.cmd(nhn, "initiative", "milestone", "achieve", "--id", ini, "--milestone", ms1, "--achieved-date", day(12))
	s.cmd(nhn, "initiative", "milestone", "plan", "--id", ini, "--milestone", ms2, "--title", "Nasjonal utrulling", "--planned-date", day(-60))
	s.cmd(nhn, "initiative", "milestone", "slip", "--id", ini, "--milestone", ms2, "--new-planned-date", day(-120))
	r = s.cmd(nhn, "initiative", "milestone", "plan", "--id", ini, "--title", "Evaluering", "--planned-date", day(-200))
	if r.types() != "MilestonePlanned" {
		t.Errorf("milestone plan without id: %+v", r)
	}
	s.cmd(sek, "initiative", "pause", "--id", ini, "--reason", "finansiering")
	s.cmd(sek, "initiative", "resume", "--id", ini, "--reason", "finansiert")
	s.refused(ks, "error: 403 forbidden: ",
		"initiative", "report-status", "--id", ini, "--date", day(5), "--overall", "green",
		"--schedule", "green", "--cost", "green", "--benefit", "green")
	s.refused("", "error: 401 unauthorized",
		"council", "hold", "--meeting", nuit)
	// Rule-dependent: closing needs rollout, cancelling may need the portfolio.
	s.tryCmd(nhn, "initiative", "close", "--id", ini, "--final-report", "Levert.")
	s.tryCmd(sek, "initiative", "cancel", "--id", ini3id, "--reason", "erstattet")

	// ---- other outcomes: NUFA note and discuss, NUIT defer and reject ----
	nufa := s.cmd(sek, "council", "schedule-meeting", "--forum", "NUFA", "--date", day(50)).AggregateID
	cB := s.cmd(sek, "council", "register-case", "--forum", "NUFA", "--title", "Arkitekturprinsipper",
		"--type", "discussion", "--purpose", "other", "--proposed-resolution", "NUFA drøfter").AggregateID
	s.cmd(sek, "council", "place", "--case", cB, "--meeting", nufa)
	s.cmd(sek, "council", "hold", "--meeting", nufa)
	s.cmd(sek, "council", "note", "--case", cB, "--meeting", nufa, "--remarks", "tatt til orientering")
	s.cmd(sek, "council", "discuss", "--case", cB, "--meeting", nufa, "--remarks", "god drøfting")

	nuit2 := s.cmd(sek, "council", "schedule-meeting", "--forum", "NUIT", "--date", day(35)).AggregateID
	cC := s.cmd(sek, "council", "register-case", "--forum", "NUIT", "--title", "Prioritering 2027",
		"--type", "approval", "--purpose", "prioritisation", "--proposed-resolution", "NUIT prioriterer").AggregateID
	cD := s.cmd(sek, "council", "register-case", "--forum", "NUIT", "--title", "Nytt register",
		"--type", "approval", "--purpose", "other", "--proposed-resolution", "NUIT støtter").AggregateID
	s.cmd(sek, "council", "place", "--case", cC, "--meeting", nuit2)
	s.cmd(sek, "council", "place", "--case", cD, "--meeting", nuit2)
	// The generic command, body from --data.
	tr = s.run(sek, "command", "HoldMeeting", "--data", `{"meetingId":"`+nuit2+`"}`)
	if tr.code != 0 || !strings.HasPrefix(tr.stdout, "MeetingHeld meeting/") {
		t.Errorf("command HoldMeeting: exit %d, %q, %q", tr.code, tr.stdout, tr.stderr)
	}
	s.cmd(sek, "council", "defer", "--case", cC, "--meeting", nuit2, "--reason", "mangler underlag")
	s.cmd(sek, "council", "reject", "--case", cD, "--meeting", nuit2, "--resolution", "NUIT støtter ikke")

	// ---- queries ----
	out := s.query("", "roadmap")
	contains(t, "roadmap", out, "M1", "1A", "* Helsenorge", "Norsk helsenett SF", "4A", "green", "(* primary sub-goal)")
	out = s.query("", "roadmap", "--owner", "Norsk helsenett SF", "-o", "json")
	if !json.Valid([]byte(out)) || !strings.Contains(out, ini) {
		t.Errorf("roadmap -o json: %s", out)
	}
	contains(t, "initiatives", s.query("", "initiatives"), "Helsenorge", "Kjernejournal-pilot", "withdrawn", "in_portfolio")
	contains(t, "initiatives --state", s.query("", "initiatives", "--state", "withdrawn"), "Kjernejournal-pilot")
	contains(t, "initiative show", s.query(nhn, "initiative", "show", ini),
		"Helsenorge", "in_portfolio", "1 000 000", "Milestones:", "Pilot i drift", "achieved", "slipped", "Status reports:", "Council cases:")
	contains(t, "initiative show --at-version 1", s.query(aud, "initiative", "show", ini, "--at-version", "1"), "proposed", "at version 1")
	contains(t, "initiative show --as-of", s.query(aud, "initiative", "show", ini, "--as-of", time.Now().UTC().Format(time.RFC3339Nano)), "in_portfolio")
	contains(t, "initiative history", s.query(aud, "initiative", "history", ini),
		"InitiativeProposed", "InitiativeAdmitted", "StatusReported", "MilestoneAchieved", "MilestoneSlipped", "InitiativePaused", "initiative/"+ini)
	contains(t, "council meetings", s.query("", "council", "meetings", "--forum", "NUIT"), "NUIT", nuit, nuit2, "yes")
	contains(t, "council meeting", s.query("", "council", "meeting", nuit), "Agenda:", "recommended", "Opptak av Helsenorge")
	contains(t, "council case", s.query("", "council", "case", cA), "approved", "recommended (corrected)", "Corrections:", "skrivefeil")
	out = s.query("", "council", "decisions")
	contains(t, "council decisions", out, "recommended", "approved", "noted", "discussed", "deferred", "rejected",
		"NUIT anbefaler opptak i porteføljen (corrected)")
	contains(t, "council decisions --forum EHR", s.query("", "council", "decisions", "--forum", "EHR", "--initiative", ini), "approved")
	out = s.query("", "council", "decisions", "-o", "csv")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) < 7 || !strings.Contains(out, cA) {
		t.Errorf("decisions csv: %q", out)
	}
	out = s.query(aud, "audit", "events", "--limit", "1000")
	contains(t, "audit events", out, "StrategicGoalDefined", "InitiativeProposed", "CaseApproved", "InitiativeAdmitted", "DecisionCorrected", "case/"+cA)
	out = s.query(aud, "audit", "events", "--after", "1", "--limit", "2")
	if n := strings.Count(strings.TrimSpace(out), "\n"); n != 2 {
		t.Errorf("audit events --after 1 --limit 2: %d rows:\n%s", n, out)
	}
	vr := s.run(aud, "audit", "verify", "--min-position", strconv.FormatUint(s.position, 10))
	switch {
	case vr.code == 0:
		contains(t, "audit verify", vr.stdout, "ok:", "true", "events:", "head:")
	case strings.HasPrefix(vr.stderr, "error: 503 unavailable: verification is not available yet"):
		// The server does not verify yet (internal/daemon's stub).
		t.Logf("audit verify: %s", strings.TrimSpace(vr.stderr))
	default:
		t.Errorf("audit verify: exit %d, stdout %q, stderr %q", vr.code, vr.stdout, vr.stderr)
	}
	s.refused("", "error: 401 ", "audit", "events")
}
