package daemon_test

// End-to-end contract tests: the real server (embedded NATS JetStream,
// event store, bbolt read models, HTTP API) started in-process on
// 127.0.0.1:0, driven over real HTTP, checked against /shared/CONTRACT.md
// and DOMAIN.md. Every response of every test is also validated against
// the OpenAPI document the server serves (see e2e_helpers_test.go).
//
// Run: go test -race -run E2E ./internal/daemon/

import (
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/services/wire"
)

func pos(p uint64) string { return strconv.FormatUint(p, 10) }

// xPosition is the X-Position header of a query answer.
func xPosition(t testing.TB, r *resp) uint64 {
	t.Helper()
	v := r.header.Get("X-Position")
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		t.Errorf("%s: X-Position %q", r, v)
	}
	return n
}

// ---- the error table ----

// TestE2EErrorTable: every row of the contract's error table, over HTTP,
// as application/problem+json with the contract's fields; a refused
// command writes nothing.
func TestE2EErrorTable(t *testing.T) {
	e := startE2E(t)

	// 503 projection_lagging: a position far beyond the head. It waits up
	// to 5 s, so it runs while the other rows are checked.
	type lagged struct {
		r    *resp
		took time.Duration
	}
	lagc := make(chan lagged, 1)
	go func() {
		start := time.Now()
		r := e.get(anon, "/v1/roadmap?minPosition=1000000000")
		lagc <- lagged{r, time.Since(start)}
	}()

	// The OpenAPI check bites: answers that break the document are reported.
	probe := &openAPICheck{router: e.oa.router}
	for _, c := range []struct {
		method, path string
		status       int
		ct, body     string
	}{
		{"GET", "/v1/strategy", 200, "application/json", `{"strategies":null}`},
		{"GET", "/v1/initiatives", 200, "application/json", `{"initiatives":[{"initiativeId":"x"}]}`},
		{"POST", "/v1/commands/HoldMeeting", 201, "application/json", `{"aggregateType":"initiative"}`},
		{"POST", "/v1/commands/HoldMeeting", 418, problemJSON, `{"type":"about:blank","title":"x","status":418,"code":"teapot"}`},
		{"GET", "/v1/roadmap", 404, "application/json", `{"title":"x"}`},
	} {
		req := httptest.NewRequest(c.method, e.base+c.path, nil)
		res := &http.Response{StatusCode: c.status, Header: http.Header{"Content-Type": {c.ct}, "X-Position": {"1"}}}
		probe.check(req, nil, res, []byte(c.body))
		if len(probe.failures) == 0 {
			t.Errorf("the OpenAPI check accepts %s %s → %d %s", c.method, c.path, c.status, c.body)
		}
		probe.failures = nil
	}

	e.defineStrategy()
	iniH := e.propose(tokHSO, proposal(orgHSO, "Kjernejournal for alle"))
	iniW := e.propose(tokHSO, proposal(orgHSO, "Meldingsutveksling"))
	e.ok(tokHSO, "WithdrawInitiative", obj{"initiativeId": iniW, "reason": "Slått sammen med et annet tiltak."})
	iniA := e.propose(tokHSO, proposal(orgHSO, "E-resept"))
	adm := e.admit(iniA, "2026-02-02")
	meetingID := e.meeting("NUIT", "2026-03-03")

	// 400 malformed_request
	e.noWrite("400", func() {
		expectProblem(t, e.cmd(tokSek, "HoldMeeting", "{not json"), 400, "malformed_request")
		expectProblem(t, e.cmd(tokSek, "HoldMeeting", `["meetingId"]`), 400, "malformed_request")
		expectProblem(t, e.cmd(tokSek, "HoldMeeting", ""), 400, "malformed_request")
		p := expectProblem(t, e.cmd(tokSek, "HoldMeeting", `{"meetingId": 42}`), 400, "malformed_request")
		if !slices.Contains(p.fields(), "meetingId") {
			t.Errorf("wrong type: errors %v do not name meetingId", p.fields())
		}
		p = expectProblem(t, e.cmd(tokSek, "ReportStatus", obj{"initiativeId": iniA, "reportDate": "2026-03-31",
			"overall": "green", "schedule": "green", "cost": "green", "benefit": "green", "colour": "blue"}), 400, "malformed_request")
		if !slices.Contains(p.fields(), "colour") {
			t.Errorf("unknown field: errors %v do not name colour", p.fields())
		}
		expectProblem(t, e.cmd(tokSek, "ProposeInitiative", `{"title": ["a"], "description": "x"}`), 400, "malformed_request")
		// JSON is UTF-8: invalid bytes are refused, not silently replaced by U+FFFD.
		notUTF8 := []byte(`{"title":"Kjernejournal ` + "\xff" + `","description":"d","owner":"` + orgHSO +
			`","primarySubGoal":"1A","plannedStart":"2026-01-01","plannedEnd":"2026-12-31"}`)
		expectProblem(t, e.cmd(tokHSO, "ProposeInitiative", notUTF8), 400, "malformed_request")
		expectProblem(t, e.cmd(tokSek, "HoldMeeting", obj{"meetingId": meetingID}, hdr{"If-Match", "three"}), 400, "malformed_request")
		p = expectProblem(t, e.cmd(tokSek, "HoldMeeting", `{"meetingId": "`+meetingID+`", "meetingId": "`+meetingID+`"}`), 400, "malformed_request")
		if !slices.Contains(p.fields(), "meetingId") {
			t.Errorf("repeated field: errors %v do not name meetingId", p.fields())
		}
		expectProblem(t, e.get(tokAudit, "/v1/audit/events?after=abc"), 400, "malformed_request")
		expectProblem(t, e.get(anon, "/v1/roadmap?minPosition=soon"), 400, "malformed_request")
		expectProblem(t, e.get(anon, "/v1/council/meetings?year=twenty"), 400, "malformed_request")
	})

	// 401 unauthorized: no token on a command, an unknown token.
	e.noWrite("401", func() {
		for _, r := range []*resp{
			e.cmd(anon, "DefineStrategicGoal", obj{"goalId": "M3", "strategy": "2023-2030", "title": "Helsedata"}),
			e.do("POST", "/v1/commands/DefineStrategicGoal", "not-a-token-of-this-server-0123",
				obj{"goalId": "M3", "strategy": "2023-2030", "title": "Helsedata"}),
			e.do("POST", "/v1/commands/HoldMeeting", "", obj{"meetingId": meetingID},
				hdr{"Authorization", "Basic c2VrcmV0YXJpYXQ6eA=="}),
			e.do("GET", "/v1/roadmap", "not-a-token-of-this-server-0123", nil), // an unknown token is 401 on queries too
		} {
			expectProblem(t, r, 401, "unauthorized")
			if r.header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s: 401 without WWW-Authenticate", r)
			}
		}
	})

	// 403 forbidden: the role or org may not.
	e.noWrite("403", func() {
		expectProblem(t, e.cmd(tokAudit, "ScheduleMeeting", obj{"forum": "EHR", "date": "2026-06-01"}), 403, "forbidden")
		expectProblem(t, e.cmd(tokKS, "ReportStatus", obj{"initiativeId": iniA, "reportDate": "2026-03-31",
			"overall": "green", "schedule": "green", "cost": "green", "benefit": "green"}), 403, "forbidden")
		expectProblem(t, e.cmd(tokKS, "WithdrawInitiative", obj{"initiativeId": iniH, "reason": "Vi vil ikke."}), 403, "forbidden")
		expectProblem(t, e.cmd(tokKS, "ProposeInitiative", proposal(orgHSO, "På vegne av en annen")), 403, "forbidden")
		expectProblem(t, e.cmd(tokHSO, "ScheduleMeeting", obj{"forum": "EHR", "date": "2026-06-01"}), 403, "forbidden")
		expectProblem(t, e.cmd(tokHSO, "PauseInitiative", obj{"initiativeId": iniA, "reason": "Pause."}), 403, "forbidden")
	})
	// Anonymous: no history, no audit — a token is needed (401).
	for _, path := range []string{"/v1/initiatives/" + iniA + "/events", "/v1/audit/events", "/v1/audit/verify",
		"/v1/council/cases/" + adm.caseID + "/events"} {
		expectProblem(t, e.get(anon, path), 401, "unauthorized")
	}
	expectProblem(t, e.get(tokHSO, "/v1/audit/events"), 403, "forbidden")
	expectProblem(t, e.get(tokKS, "/v1/initiatives/"+iniA+"/events"), 403, "forbidden")

	// 404 unknown_command
	e.noWrite("404 unknown_command", func() {
		expectProblem(t, e.cmd(tokSek, "LaunchRocket", obj{"x": 1}), 404, "unknown_command")
		expectProblem(t, e.cmd(tokSek, "proposeinitiative", proposal(orgHSO, "Små bokstaver")), 404, "unknown_command")
	})

	// 404 not_found: queries and commands on a missing aggregate.
	missing := newULID()
	for _, path := range []string{"/v1/initiatives/" + missing, "/v1/council/meetings/" + missing,
		"/v1/council/cases/" + missing, "/v1/initiatives/" + missing + "?atVersion=1"} {
		expectProblem(t, e.get(anon, path), 404, "not_found")
	}
	expectProblem(t, e.get(tokAudit, "/v1/initiatives/"+missing+"/events"), 404, "not_found")
	e.noWrite("404 not_found", func() {
		expectProblem(t, e.cmd(tokSek, "WithdrawInitiative", obj{"initiativeId": missing, "reason": "Finnes ikke."}), 404, "not_found")
		expectProblem(t, e.cmd(tokSek, "HoldMeeting", obj{"meetingId": missing}), 404, "not_found")
		expectProblem(t, e.cmd(tokHSO, "ReportStatus", obj{"initiativeId": missing, "reportDate": "2026-03-31",
			"overall": "green", "schedule": "green", "cost": "green", "benefit": "green"}), 404, "not_found")
		expectProblem(t, e.cmd(tokSek, "PlaceCaseOnAgenda", obj{"caseId": missing, "meetingId": meetingID}), 404, "not_found")
		expectProblem(t, e.cmd(tokSek, "PlaceCaseOnAgenda", obj{"caseId": adm.caseID, "meetingId": missing}), 404, "not_found")
		expectProblem(t, e.cmd(tokSek, "RegisterCase", obj{"forum": "NUIT", "title": "Opptak", "caseType": "approval",
			"purpose": "admission", "initiativeId": missing, "proposedResolution": "Tas inn."}), 404, "not_found")
	})

	// 409 rule_violated
	iniP := e.propose(tokHSO, proposal(orgHSO, "Helsedataprogrammet"))
	c := e.registerCase(obj{"forum": "NUFA", "title": "Opptak uten NUIT", "caseType": "approval", "purpose": "admission",
		"initiativeId": iniP, "proposedResolution": "Tas inn."})
	nufa := e.meeting("NUFA", "2026-02-10")
	ehr := e.meeting("EHR", "2026-02-20")
	notHeld := e.meeting("EHR", "2026-02-21")
	e.place(c, nufa)
	e.place(c, ehr) // forwarded past NUIT
	e.place(c, notHeld)
	e.hold(nufa)
	e.hold(ehr)
	nuitCase := e.registerCase(obj{"forum": "NUIT", "title": "Orientering", "caseType": "information", "purpose": "other",
		"proposedResolution": "Tas til orientering."})
	e.noWrite("409", func() {
		// a phase jump (concept → execution)
		expectProblem(t, e.cmd(tokSek, "RegisterCase", obj{"forum": "NUIT", "title": "Hopp", "caseType": "approval",
			"purpose": "phase_gate", "initiativeId": iniA, "targetPhase": "execution", "proposedResolution": "Hopp over planlegging."}),
			409, "rule_violated")
		// NUFA approving anything
		expectProblem(t, e.cmd(tokSek, "ApproveInCouncil", obj{"caseId": c, "meetingId": nufa, "resolution": "NUFA godkjenner."}),
			409, "rule_violated")
		// EHR approval without a NUIT recommendation
		expectProblem(t, e.cmd(tokSek, "ApproveInCouncil", obj{"caseId": c, "meetingId": ehr, "resolution": "Godkjent."}),
			409, "rule_violated")
		// a decision in a meeting that has not been held
		expectProblem(t, e.cmd(tokSek, "NoteCase", obj{"caseId": c, "meetingId": notHeld}), 409, "rule_violated")
		// status on a withdrawn initiative; a milestone on a proposed one
		expectProblem(t, e.cmd(tokHSO, "ReportStatus", obj{"initiativeId": iniW, "reportDate": "2026-03-31",
			"overall": "green", "schedule": "green", "cost": "green", "benefit": "green"}), 409, "rule_violated")
		expectProblem(t, e.cmd(tokHSO, "ReportMilestone", obj{"initiativeId": iniH, "status": "planned",
			"title": "Første leveranse", "plannedDate": "2026-06-01"}), 409, "rule_violated")
		// a second approval of the same case
		expectProblem(t, e.cmd(tokSek, "ApproveInCouncil", obj{"caseId": adm.caseID, "meetingId": adm.ehr, "resolution": "Igjen."}),
			409, "rule_violated")
		// a case on the agenda of an earlier forum's meeting
		expectProblem(t, e.cmd(tokSek, "PlaceCaseOnAgenda", obj{"caseId": nuitCase, "meetingId": nufa}), 409, "rule_violated")
		// an id that is taken
		dup := proposal(orgHSO, "Samme id")
		dup["initiativeId"] = iniH
		expectProblem(t, e.cmd(tokHSO, "ProposeInitiative", dup), 409, "rule_violated")
		// closing an initiative that is not in rollout
		expectProblem(t, e.cmd(tokHSO, "CloseInitiative", obj{"initiativeId": iniA, "finalReport": "Ferdig."}), 409, "rule_violated")
	})

	// 412 version_conflict: If-Match stale (iniA is at version 2).
	status := obj{"initiativeId": iniA, "reportDate": "2026-03-31", "overall": "green", "schedule": "green", "cost": "green", "benefit": "green"}
	e.noWrite("412", func() {
		expectProblem(t, e.cmd(tokHSO, "ReportStatus", status, hdr{"If-Match", `"1"`}), 412, "version_conflict")
		expectProblem(t, e.cmd(tokHSO, "ReportStatus", status, hdr{"If-Match", `"3"`}), 412, "version_conflict")
	})
	if r := e.ok(tokHSO, "ReportStatus", status, hdr{"If-Match", `"2"`}); r.Version != 3 {
		t.Errorf("ReportStatus with If-Match \"2\": version %d, want 3", r.Version)
	}

	// 413 payload_too_large: a body over 1 MiB, with and without a length.
	big := `{"meetingId":"` + meetingID + `","x":"` + strings.Repeat("x", 1<<20) + `"}`
	e.noWrite("413", func() {
		expectProblem(t, e.cmd(tokSek, "HoldMeeting", big), 413, "payload_too_large")
		expectProblem(t, e.cmd(tokSek, "HoldMeeting", bodyReader{strings.NewReader(big)}), 413, "payload_too_large")
	})
	// … but a body of exactly 1 MiB is read (and then judged on its fields).
	exact := `{"meetingId":"` + meetingID + `"}`
	exact += strings.Repeat(" ", 1<<20-len(exact))
	e.noWrite("1 MiB", func() {
		expectProblem(t, e.cmd(tokSek, "HoldMeeting", exact, hdr{"If-Match", `"7"`}), 412, "version_conflict")
	})

	// 422 validation_failed with errors naming the fields.
	e.noWrite("422 validation_failed", func() {
		bad := proposal(orgHSO, "")
		bad["plannedStart"], bad["plannedEnd"] = "2027-01-01", "2026-01-01"
		p := expectProblem(t, e.cmd(tokHSO, "ProposeInitiative", bad), 422, "validation_failed")
		for _, f := range []string{"title", "plannedEnd"} {
			if !slices.Contains(p.fields(), f) {
				t.Errorf("422: errors %v do not name %s", p.fields(), f)
			}
		}
		yellow := obj{"initiativeId": iniA, "reportDate": "2026-04-30", "overall": "yellow", "schedule": "green", "cost": "green", "benefit": "green"}
		p = expectProblem(t, e.cmd(tokHSO, "ReportStatus", yellow), 422, "validation_failed")
		if !slices.Equal(p.fields(), []string{"comment"}) {
			t.Errorf("yellow without comment: errors %v, want [comment]", p.fields())
		}
		p = expectProblem(t, e.cmd(tokSek, "ScheduleMeeting", obj{"forum": "XYZ", "date": "2026-13-01"}), 422, "validation_failed")
		if !slices.Contains(p.fields(), "forum") || !slices.Contains(p.fields(), "date") {
			t.Errorf("ScheduleMeeting: errors %v, want forum and date", p.fields())
		}
		// 422 means invalid whatever the state: a missing initiative does not turn it into 404.
		p = expectProblem(t, e.cmd(tokSek, "WithdrawInitiative", obj{"initiativeId": "not-an-id", "reason": ""}), 422, "validation_failed")
		if len(p.Errors) < 2 {
			t.Errorf("WithdrawInitiative: errors %v, want initiativeId and reason", p.fields())
		}
		expectProblem(t, e.get(anon, "/v1/initiatives?phase=someday"), 422, "validation_failed")
	})

	// 422 idempotency_key_reused
	key := hdr{"Idempotency-Key", "err-table-key-1"}
	e.ok(tokSek, "ScheduleMeeting", obj{"forum": "NUFA", "date": "2026-09-01"}, key)
	e.noWrite("422 idempotency_key_reused", func() {
		expectProblem(t, e.cmd(tokSek, "ScheduleMeeting", obj{"forum": "NUFA", "date": "2026-09-02"}, key), 422, "idempotency_key_reused")
	})

	// Unknown paths and methods are problems too.
	expectProblem(t, e.get(anon, "/v1/nothing-here"), 404, "not_found")
	if r := e.do("DELETE", "/v1/initiatives/"+iniA, e.tok(tokSek), nil); r.status != 405 && r.status != 404 {
		t.Errorf("DELETE an initiative: %s", r)
	} else if mediaType(r.header.Get("Content-Type")) != problemJSON {
		t.Errorf("DELETE an initiative: Content-Type %q", r.header.Get("Content-Type"))
	}

	// 503 projection_lagging, within about 5 s.
	select {
	case l := <-lagc:
		expectProblem(t, l.r, 503, "projection_lagging")
		if l.r.header.Get("Retry-After") == "" {
			t.Errorf("%s: 503 without Retry-After", l.r)
		}
		if l.took < 4500*time.Millisecond || l.took > 8*time.Second {
			t.Errorf("projection_lagging after %v, want about 5 s", l.took)
		}
	case <-time.After(15 * time.Second):
		t.Error("a query with minPosition far beyond the head did not answer within 15 s")
	}

	// A query waits for a position that is written while it waits. The
	// command is sent once the query is being answered (the server's
	// in-flight gauge counts it beside the /metrics request on the
	// operations listener that reads it); that the commit wakes a waiter is tested in projections and
	// httpapi, here it is the whole server's wiring.
	h := e.headPosition()
	waited := make(chan *resp, 1)
	go func() { waited <- e.get(anon, "/v1/initiatives?minPosition="+pos(h+1)) }()
	e.eventually("the query waiting", func() bool { return e.inFlight() >= 2 })
	e.ok(tokSek, "ScheduleMeeting", obj{"forum": "EHR", "date": "2026-10-01"})
	if r := <-waited; r.status != 200 || xPosition(t, r) < h+1 {
		t.Errorf("a query waiting for the next position: %s (X-Position %s)", r, r.header.Get("X-Position"))
	}
}

// ---- the role matrix ----

// TestE2ERoleMatrix: every command for every principal (allowed, or 401
// for anonymous and 403 for the rest), then the read matrix.
func TestE2ERoleMatrix(t *testing.T) {
	e := startE2E(t)
	e.defineStrategy()
	iniH := e.propose(tokHSO, proposal(orgHSO, "Pasientens legemiddelliste"))
	iniA := e.propose(tokHSO, proposal(orgHSO, "Digihelse"))
	adm := e.admit(iniA, "2026-02-02")
	iniK := e.propose(tokKS, proposal(orgKS, "Felles kommunal journal (Akson)"))
	mtg := e.meeting("NUIT", "2026-03-03")
	cs := e.registerCase(obj{"forum": "NUIT", "title": "Drøfting av veikartet", "caseType": "discussion", "purpose": "other",
		"proposedResolution": "Saken drøftes."})

	council := obj{"caseId": cs, "meetingId": mtg}
	cons := newULID()
	with := func(o obj, kv ...any) obj {
		n := obj{}
		for k, v := range o {
			n[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			n[kv[i].(string)] = kv[i+1]
		}
		return n
	}
	bodies := map[string]obj{
		"DefineStrategicGoal": {"goalId": "M4", "strategy": "2023-2030", "title": "Tilgjengelig informasjon og styrket samhandling"},
		"DefineSubGoal":       {"subGoalId": "4A", "goalId": "M1", "title": "Illustrativt delmål 4A"},
		"ProposeInitiative":   proposal(orgHSO, "Helseplattformen"),
		"WithdrawInitiative":  {"initiativeId": iniH, "reason": "Trukket."},
		"ReportStatus": {"initiativeId": iniA, "reportDate": "2026-03-31", "overall": "green", "schedule": "green",
			"cost": "green", "benefit": "green"},
		"ReportMilestone":    {"initiativeId": iniA, "status": "planned", "title": "Pilot", "plannedDate": "2026-06-01"},
		"PauseInitiative":    {"initiativeId": iniA, "reason": "Midlertidig stans."},
		"ResumeInitiative":   {"initiativeId": iniA, "reason": "Gjenopptatt."},
		"CloseInitiative":    {"initiativeId": iniA, "finalReport": "Sluttrapport."},
		"CancelInitiative":   {"initiativeId": iniA, "reason": "Avbrutt."},
		"ScheduleMeeting":    {"forum": "EHR", "date": "2026-04-01"},
		"HoldMeeting":        {"meetingId": mtg},
		"RegisterCase":       {"forum": "NUFA", "title": "Ny sak", "caseType": "information", "purpose": "other", "proposedResolution": "Til orientering."},
		"PlaceCaseOnAgenda":  council,
		"NoteCase":           with(council, "remarks", "Tatt til orientering."),
		"DiscussCase":        with(council, "remarks", "Drøftet."),
		"RecommendInCouncil": with(council, "resolution", "Anbefales."),
		"ApproveInCouncil":   with(council, "resolution", "Godkjennes."),
		"RejectInCouncil":    with(council, "resolution", "Avvises."),
		"DeferCase":          with(council, "reason", "Utsatt."),
		"CorrectDecision": {"caseId": adm.caseID, "correctsEventId": adm.res.Events[0].ID,
			"reason": "Skrivefeil i vedtaket.", "resolution": "E-helserådet gir sin tilslutning (rettet)."},
		"DefineIndicator": {"goalId": "M1", "name": "Digital dialog", "unit": "prosent", "direction": "increase",
			"baseline": obj{"value": 40, "date": "2023-12-31"}, "target": obj{"value": 80, "date": "2030-12-31"}},
		"RecordIndicatorValue": {"indicatorId": newULID(), "period": "2026", "value": 50},
		"OpenReportingRound":   {"label": "2026-T1", "periodEnd": "2026-04-30", "deadline": "2026-05-15"},
		"CloseReportingRound":  {"roundId": newULID()},
		"DeclareDependency":    {"initiativeId": iniA, "dependsOn": iniK, "neededBy": "2026-12-31", "description": "Trenger Akson."},
		"RemoveDependency": {"dependencyId": e.ok(tokSek, "DeclareDependency", obj{"initiativeId": iniA, "dependsOn": iniK,
			"neededBy": "2027-12-31", "description": "Trenger Akson."}).AggregateID, "reason": "Løst."},

		"OpenConsultation": {"consultationId": cons, "title": "Høring", "description": "Forslag.", "questions": []string{"Enig?"},
			"invitedBodies": []string{"KS"}, "deadline": time.Now().AddDate(0, 1, 0).Format(time.DateOnly)},
		"InviteToConsultation": {"consultationId": cons, "bodies": []string{"Sametinget"}},
		"RegisterConsultationResponse": {"consultationId": cons, "organisation": "Eksempelkommune (illustrativ)",
			"receivedDate": time.Now().Format(time.DateOnly), "answers": []obj{{"question": 1, "text": "Illustrativt svar: ja."}}},
		"PublishConsultationResponse": {"consultationId": cons, "responseId": newULID()},
		"CloseConsultation":           {"consultationId": cons, "summary": "Oppsummert."},
	}
	ownerCommands := map[string]bool{"ProposeInitiative": true, "WithdrawInitiative": true, "ReportStatus": true,
		"ReportMilestone": true, "CloseInitiative": true, "DeclareDependency": true, "RemoveDependency": true}
	for _, name := range domain.CommandNames {
		if bodies[name] == nil {
			t.Fatalf("no body for %s (a command added to domain.CommandNames?)", name)
		}
	}

	// Refused principals first: nothing they send may be written.
	e.noWrite("refused principals", func() {
		for _, name := range domain.CommandNames {
			expectProblem(t, e.cmd(anon, name, bodies[name]), 401, "unauthorized")
			expectProblem(t, e.cmd(tokAudit, name, bodies[name]), 403, "forbidden")
			// The other org's owner: its own role may give owner
			// commands, but not for HSO's initiatives.
			expectProblem(t, e.cmd(tokKS, name, bodies[name]), 403, "forbidden")
			if r := e.cmd(tokSub, name, bodies[name]); r.status != 401 && r.status != 403 {
				t.Errorf("subscriber token: %s", r)
			} else {
				expectProblem(t, r, r.status, map[int]string{401: "unauthorized", 403: "forbidden"}[r.status])
			}
			if !ownerCommands[name] {
				expectProblem(t, e.cmd(tokHSO, name, bodies[name]), 403, "forbidden")
			}
		}
	})
	// Authorization does not depend on If-Match: another org's owner is
	// refused (403) whatever version it names, not told that the version
	// is stale (412).
	e.noWrite("another org's owner with If-Match", func() {
		for _, name := range []string{"WithdrawInitiative", "ReportStatus", "ReportMilestone", "CloseInitiative"} {
			expectProblem(t, e.cmd(tokKS, name, bodies[name], hdr{"If-Match", `"99"`}), 403, "forbidden")
		}
	})

	// The initiative's owner: its commands pass authorization (a rule
	// may still refuse them).
	for _, name := range domain.CommandNames {
		if !ownerCommands[name] {
			continue
		}
		r := e.cmd(tokHSO, name, bodies[name])
		if r.status == 401 || r.status == 403 || r.status >= 500 || r.err != nil {
			t.Errorf("owner of the initiative's org, %s: %s", name, r)
		}
	}
	// The secretariat: everything passes authorization.
	for _, name := range domain.CommandNames {
		r := e.cmd(tokSek, name, bodies[name])
		if r.status == 401 || r.status == 403 || r.status >= 500 || r.err != nil {
			t.Errorf("secretariat, %s: %s", name, r)
		}
	}

	// The read matrix.
	head := e.headPosition()
	public := []string{
		"/v1/strategy", "/v1/initiatives", "/v1/initiatives/" + iniA, "/v1/initiatives/" + iniA + "?atVersion=1",
		"/v1/roadmap", "/v1/council/meetings", "/v1/council/meetings/" + mtg, "/v1/council/cases/" + cs,
		"/v1/council/decisions",
	}
	type want map[string]int // path → status (0: anything but 401/403)
	hist := func(a, k, c, audit, verify int) want {
		return want{"/v1/initiatives/" + iniA + "/events": a, "/v1/initiatives/" + iniK + "/events": k,
			"/v1/council/cases/" + cs + "/events": c, "/v1/audit/events": audit, "/v1/audit/verify": verify}
	}
	matrix := map[string]want{
		anon:     hist(401, 401, 401, 401, 401),
		tokSub:   hist(403, 403, 403, 403, 403),
		tokHSO:   hist(200, 403, 403, 403, 403),
		tokKS:    hist(403, 200, 403, 403, 403),
		tokSek:   hist(200, 200, 200, 403, 403),
		tokAudit: hist(200, 200, 200, 200, 0),
	}
	for who, w := range matrix {
		label := who
		if who == anon {
			label = "anonymous"
		}
		for _, p := range public {
			if r := e.get(who, p+sep(p)+"minPosition="+pos(head)); r.status != 200 {
				t.Errorf("%s reads %s: %s", label, p, r)
			}
		}
		for p, status := range w {
			r := e.get(who, p)
			switch {
			case status == 0:
				if r.status == 401 || r.status == 403 {
					t.Errorf("%s reads %s: %s", label, p, r)
				}
			case status == 200:
				if r.status != 200 {
					t.Errorf("%s reads %s: want 200, %s", label, p, r)
				}
			default:
				if r.status != status && !(who == tokSub && (r.status == 401 || r.status == 403)) {
					t.Errorf("%s reads %s: want %d, %s", label, p, status, r)
					continue
				}
				expectProblem(t, r, r.status, map[int]string{401: "unauthorized", 403: "forbidden"}[r.status])
			}
		}
	}
	// The verify endpoint, once it answers 200, reports the intact log.
	if r := e.get(tokAudit, "/v1/audit/verify"); r.status == 200 {
		var v struct {
			OK     bool   `json:"ok"`
			Events uint64 `json:"events"`
			Head   string `json:"head"`
		}
		r.json(t, &v)
		if !v.OK || v.Events < head || v.Head == "" {
			t.Errorf("verify on an intact log: %s", r)
		}
	} else {
		t.Logf("GET /v1/audit/verify as auditor: %d (not implemented yet?)", r.status)
	}

	// Operations, for everyone; /metrics only on the operations listener.
	for _, p := range []string{"/healthz", "/readyz", "/openapi.yaml"} {
		if r := e.get(anon, p); r.status != 200 {
			t.Errorf("GET %s: %s", p, r)
		}
	}
	if r := e.get(anon, "/metrics"); r.status != 404 {
		t.Errorf("GET /metrics on the public listener: %s", r)
	}
	for _, p := range []string{"/metrics", "/healthz", "/readyz"} {
		res, err := http.Get(e.d.OpsURL() + p)
		if err != nil {
			t.Fatalf("ops listener: %v", err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Errorf("GET %s on the ops listener: %d %s", p, res.StatusCode, body)
		}
		if p != "/metrics" {
			continue
		}
		if !strings.Contains(string(body), "# TYPE ") || mediaType(res.Header.Get("Content-Type")) != "text/plain" {
			t.Errorf("GET /metrics is not Prometheus text: %q", res.Header.Get("Content-Type"))
		}
		// the API's, the read models' and the Go runtime's metrics, on one page
		for _, want := range []string{"portfolio_http_request_duration_seconds_count{",
			"portfolio_commands_total{", "portfolio_projection_position ", "go_goroutines "} {
			if !strings.Contains(string(body), want) {
				t.Errorf("GET /metrics lacks %s", want)
			}
		}
	}
}

func sep(p string) string {
	if strings.Contains(p, "?") {
		return "&"
	}
	return "?"
}

// ---- idempotency ----

// TestE2EIdempotency: replay with the same key and body, refusal with
// another body, one execution for concurrent requests, and replay after a
// restart on the same data directory.
func TestE2EIdempotency(t *testing.T) {
	e := startE2E(t)
	e.defineStrategy()

	body := proposal(orgHSO, "HelseID for kommunale tjenester")
	key := hdr{"Idempotency-Key", "propose-helseid-1"}
	first := e.cmd(tokHSO, "ProposeInitiative", body, key)
	if first.status != 201 {
		t.Fatalf("first request: %s", first)
	}
	created := checkCmdResult(t, first)
	if v := first.header.Get("Idempotent-Replayed"); v != "" {
		t.Errorf("a first answer with Idempotent-Replayed: %q", v)
	}
	// A client may supply its own id (a UUID here), with a key too.
	uuid := "3f8e2a9c-1d4b-4e6f-9a7b-2c5d8e1f0a3b"
	withID := proposal(orgHSO, "Nasjonal e-helseløsning med egen id")
	withID["initiativeId"] = uuid
	uuidKey := hdr{"Idempotency-Key", "propose-with-uuid"}
	uuidFirst := e.cmd(tokHSO, "ProposeInitiative", withID, uuidKey)
	if c := checkCmdResult(t, uuidFirst); uuidFirst.status != 201 || c.AggregateID != uuid {
		t.Errorf("ProposeInitiative with a client UUID: %s", uuidFirst)
	}

	replay := func(what string, r *resp, want *resp) {
		t.Helper()
		wantStatus := want.status
		if wantStatus == 201 {
			wantStatus = 200
		}
		if r.status != wantStatus || r.header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("%s: want %d with Idempotent-Replayed: true, got %s (Idempotent-Replayed %q)",
				what, wantStatus, r, r.header.Get("Idempotent-Replayed"))
			return
		}
		if string(r.body) != string(want.body) {
			t.Errorf("%s: the replayed body differs:\n got %s\nwant %s", what, r.body, want.body)
		}
	}
	e.noWrite("replay", func() {
		replay("same key, same body", e.cmd(tokHSO, "ProposeInitiative", body, key), first)
	})
	e.noWrite("reused key", func() {
		expectProblem(t, e.cmd(tokHSO, "ProposeInitiative", proposal(orgHSO, "Et annet tiltak"), key), 422, "idempotency_key_reused")
	})

	// A refused command's answer is remembered too.
	stKey := hdr{"Idempotency-Key", "status-on-proposed"}
	status := obj{"initiativeId": created.AggregateID, "reportDate": "2026-03-31", "overall": "green", "schedule": "green", "cost": "green", "benefit": "green"}
	var refused *resp
	e.noWrite("refused with a key", func() {
		refused = e.cmd(tokHSO, "ReportStatus", status, stKey)
		expectProblem(t, refused, 409, "rule_violated")
		replay("a refused command again", e.cmd(tokHSO, "ReportStatus", status, stKey), refused)
	})

	// Concurrent requests with one key execute once.
	const n = 8
	ckey := hdr{"Idempotency-Key", "concurrent-propose-1"}
	cbody := proposal(orgHSO, "Grunndata og kodeverk")
	before := e.headPosition()
	rs := make([]*resp, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rs[i] = e.cmd(tokHSO, "ProposeInitiative", cbody, ckey)
		}()
	}
	wg.Wait()
	var won *resp
	for _, r := range rs {
		if r.status == 201 {
			if won != nil {
				t.Errorf("two 201 answers for one key:\n%s\n%s", won, r)
			}
			won = r
		}
	}
	if won == nil {
		t.Fatalf("no 201 among the concurrent requests: %v", rs)
	}
	for _, r := range rs {
		if r != won {
			replay("concurrent request with the same key", r, won)
		}
	}
	if evs := e.auditAfter(before); len(evs) != 1 || evs[0].Type != "InitiativeProposed" {
		t.Errorf("concurrent requests with one key wrote %d events, want one InitiativeProposed", len(evs))
	}
	e.headPosition()

	// Across a restart on the same data directory.
	tokenBefore := e.tok(tokHSO)
	e.restart()
	if e.tok(tokHSO) != tokenBefore {
		t.Fatal("the restarted server has other tokens")
	}
	e.noWrite("replay after restart", func() {
		replay("same key after a restart", e.cmd(tokHSO, "ProposeInitiative", body, key), first)
		replay("concurrent key after a restart", e.cmd(tokHSO, "ProposeInitiative", cbody, ckey), won)
		replay("refused command after a restart", e.cmd(tokHSO, "ReportStatus", status, stKey), refused)
		replay("client id after a restart", e.cmd(tokHSO, "ProposeInitiative", withID, uuidKey), uuidFirst)
		expectProblem(t, e.cmd(tokHSO, "ProposeInitiative", proposal(orgHSO, "Et tredje tiltak"), key), 422, "idempotency_key_reused")
	})
	// The restarted server becomes ready and still answers queries and
	// takes commands. Readiness is polled, as a load balancer does: it is
	// the probe's own contract.
	e.eventually("ready after a restart", func() bool { return e.get(anon, "/readyz").status == 200 })
	d, _ := e.initiative(anon, created.AggregateID, e.headPosition())
	if d.Title != "HelseID for kommunale tjenester" || d.State != "proposed" {
		t.Errorf("after a restart: %+v", d)
	}
	r := e.ok(tokHSO, "WithdrawInitiative", obj{"initiativeId": created.AggregateID, "reason": "Erstattet."})
	if r.Version != 2 {
		t.Errorf("a command after a restart: version %d, want 2", r.Version)
	}
}

// ---- If-Match races ----

// TestE2EIfMatchRaces: eight concurrent commands with the same If-Match:
// one wins, seven get 412; twenty-four without If-Match: all are written.
func TestE2EIfMatchRaces(t *testing.T) {
	e := startE2E(t)
	e.defineStrategy()
	id := e.propose(tokHSO, proposal(orgHSO, "DigiHelsestasjon"))
	adm := e.admit(id, "2026-02-02")
	d, r := e.initiative(anon, id, adm.res.Position)
	if got := r.header.Get("ETag"); got != fmt.Sprintf(`"%d"`, d.Version) || d.Version != 2 {
		t.Fatalf("ETag %s, version %d", got, d.Version)
	}
	v := d.Version

	const racers = 8
	rs := make([]*resp, racers)
	var wg sync.WaitGroup
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rs[i] = e.cmd(tokHSO, "ReportStatus", obj{"initiativeId": id, "reportDate": "2026-03-31", "overall": "green",
				"schedule": "green", "cost": "green", "benefit": "green", "comment": fmt.Sprintf("Rapport %d", i)},
				hdr{"If-Match", fmt.Sprintf(`"%d"`, v)})
		}()
	}
	wg.Wait()
	won := 0
	for _, r := range rs {
		switch r.status {
		case 201:
			won++
			if c := checkCmdResult(t, r); c.Version != v+1 {
				t.Errorf("the winner: version %d, want %d", c.Version, v+1)
			}
		case 412:
			expectProblem(t, r, 412, "version_conflict")
		default:
			t.Errorf("If-Match race: %s", r)
		}
	}
	if won != 1 {
		t.Errorf("%d of %d commands with the same If-Match were accepted, want exactly 1", won, racers)
	}
	v++

	const writers = 24
	before := e.headPosition()
	rs = make([]*resp, writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rs[i] = e.cmd(tokHSO, "ReportMilestone", obj{"initiativeId": id, "status": "planned",
				"title": fmt.Sprintf("Milepæl %02d", i), "plannedDate": fmt.Sprintf("2027-01-%02d", i+1)})
		}()
	}
	wg.Wait()
	var versions []int
	var last uint64
	for _, r := range rs {
		if r.status != 201 {
			t.Errorf("concurrent command without If-Match: %s", r)
			continue
		}
		c := checkCmdResult(t, r)
		versions = append(versions, int(c.Version))
		last = max(last, c.Position)
	}
	sort.Ints(versions)
	for i, got := range versions {
		if want := int(v) + 1 + i; got != want {
			t.Errorf("versions of the concurrent commands: %v, want %d..%d", versions, v+1, v+writers)
			break
		}
	}
	if evs := e.auditAfter(before); len(evs) != writers {
		t.Errorf("%d concurrent commands wrote %d events", writers, len(evs))
	}
	d, r = e.initiative(anon, id, last)
	if d.Version != v+writers || r.header.Get("ETag") != fmt.Sprintf(`"%d"`, v+writers) || len(d.Milestones) != writers {
		t.Errorf("after %d concurrent commands: version %d, ETag %s, %d milestones; want version %d",
			writers, d.Version, r.header.Get("ETag"), len(d.Milestones), v+writers)
	}
}

// ---- the domain's full flow ----

type roadmapView struct {
	Goals []struct {
		GoalID   string `json:"goalId"`
		SubGoals []struct {
			SubGoalID   string `json:"subGoalId"`
			Initiatives []struct {
				InitiativeID string `json:"initiativeId"`
				Phase        string `json:"phase"`
				Primary      bool   `json:"primary"`
				LatestRag    string `json:"latestRag"`
				Milestones   []any  `json:"milestones"`
			} `json:"initiatives"`
		} `json:"subGoals"`
	} `json:"goals"`
}

// where lists "goal/subGoal(primary)" for each place id is on the roadmap.
func (v roadmapView) where(id string) []string {
	var out []string
	for _, g := range v.Goals {
		for _, s := range g.SubGoals {
			for _, i := range s.Initiatives {
				if i.InitiativeID == id {
					out = append(out, fmt.Sprintf("%s/%s(%v)", g.GoalID, s.SubGoalID, i.Primary))
				}
			}
		}
	}
	return out
}

type decisionEntry struct {
	EventID      string `json:"eventId"`
	Forum        string `json:"forum"`
	MeetingID    string `json:"meetingId"`
	MeetingLabel string `json:"meetingLabel"`
	MeetingDate  string `json:"meetingDate"`
	CaseID       string `json:"caseId"`
	CaseNumber   string `json:"caseNumber"`
	InitiativeID string `json:"initiativeId"`
	Outcome      string `json:"outcome"`
	Corrections  []any  `json:"corrections"`
}

type meetingDetail struct {
	MeetingID   string `json:"meetingId"`
	Forum       string `json:"forum"`
	Date        string `json:"date"`
	Year        int    `json:"year"`
	Number      int    `json:"number"`
	Label       string `json:"label"`
	Held        bool   `json:"held"`
	AgendaItems int    `json:"agendaItems"`
	Agenda      []struct {
		CaseID     string `json:"caseId"`
		CaseNumber string `json:"caseNumber"`
		Number     int    `json:"number"`
		Outcomes   []struct {
			Outcome string `json:"outcome"`
		} `json:"outcomes"`
	} `json:"agenda"`
}

var (
	caseNumberRE   = regexp.MustCompile(`^[1-9][0-9]*/[0-9]{2}$`)
	meetingLabelRE = regexp.MustCompile(`^[1-9][0-9]*/[0-9]{4}$`)
)

// TestE2EFullFlow: strategy → proposal → admission through NUFA, NUIT and
// EHR → status and milestones → phase gate → roadmap, decision register,
// meetings and cases, history and time travel. Each step is a subtest; a
// step that stops (t.Fatal) stops the story, as the later steps build on it.
func TestE2EFullFlow(t *testing.T) {
	e := startE2E(t)

	// What the story carries from step to step.
	var (
		title                           = "Digital hjemmeoppfølging i små kommuner på Østlandet"
		id, other                       string // the initiative followed, and one that is rejected
		adm, gate, info, disc           string // cases
		nufa1, nuit1, ehr1, nuit2, ehr2 string // meetings
		nufaAdvice                      cmdResult
		placed                          []string // the cases on NUIT 2/2026's agenda, in order
		admittedAt, beforeGate          time.Time
		versionBeforeGate               uint64
		head                            uint64 // the position the queries wait for
	)
	decisions := func(t *testing.T, query string) []decisionEntry {
		t.Helper()
		var l struct {
			Decisions []decisionEntry `json:"decisions"`
		}
		e.getOK(anon, "/v1/council/decisions?minPosition="+pos(head)+query, &l)
		return l.Decisions
	}
	summary := func(ds []decisionEntry) []string {
		var out []string
		for _, d := range ds {
			out = append(out, d.Forum+" "+d.MeetingLabel+" "+d.CaseNumber+" "+d.Outcome)
		}
		return out
	}
	agenda := func(t *testing.T, meetingID string) (meetingDetail, []string) {
		t.Helper()
		var m meetingDetail
		e.getOK(anon, "/v1/council/meetings/"+meetingID+"?minPosition="+pos(head), &m)
		year := strings.TrimPrefix(m.Label[strings.Index(m.Label, "/")+1:], "20")
		var nums []string
		for _, a := range m.Agenda {
			nums = append(nums, a.CaseNumber)
			if !caseNumberRE.MatchString(a.CaseNumber) || a.CaseNumber != fmt.Sprintf("%d/%s", a.Number, year) {
				t.Errorf("meeting %s: agenda item %+v", m.Label, a)
			}
		}
		if m.AgendaItems != len(m.Agenda) || !meetingLabelRE.MatchString(m.Label) {
			t.Errorf("meeting %+v", m)
		}
		return m, nums
	}

	e.step("the secretariat defines the strategy, and anyone reads it at once", func(t *testing.T) {
		strat := e.defineStrategy()
		var sv struct {
			Strategies []struct {
				Strategy string `json:"strategy"`
				Goals    []struct {
					GoalID   string `json:"goalId"`
					SubGoals []struct {
						SubGoalID string `json:"subGoalId"`
					} `json:"subGoals"`
				} `json:"goals"`
			} `json:"strategies"`
		}
		r := e.getOK(anon, "/v1/strategy?minPosition="+pos(strat.Position), &sv)
		if xPosition(t, r) < strat.Position {
			t.Errorf("read-your-writes: X-Position %s < %d", r.header.Get("X-Position"), strat.Position)
		}
		var goals []string
		for _, s := range sv.Strategies {
			for _, g := range s.Goals {
				for _, sg := range g.SubGoals {
					goals = append(goals, s.Strategy+":"+g.GoalID+"/"+sg.SubGoalID)
				}
			}
		}
		if want := []string{"2023-2030:M1/1A", "2023-2030:M1/1B", "2023-2030:M2/2A"}; !slices.Equal(goals, want) {
			t.Errorf("strategy: %v, want %v", goals, want)
		}
	})

	e.step("an owner proposes an initiative (melder inn)", func(t *testing.T) {
		prop := e.ok(tokHSO, "ProposeInitiative", obj{
			"title": title, "description": "Spredning av digital hjemmeoppfølging til 19 helsefellesskap, med vekt på pårørende.",
			"owner": orgHSO, "primarySubGoal": "1A", "subGoals": []string{"2A"}, "userGroups": []string{"innbyggere", "kommuner"},
			"plannedStart": "2026-01-01", "plannedEnd": "2028-12-31", "estimatedCostNOK": 125000000,
		})
		id = prop.AggregateID
		if prop.AggregateType != "initiative" || prop.Version != 1 || !domain.ValidID(id) ||
			!slices.Equal(prop.types(), []string{"InitiativeProposed"}) {
			t.Errorf("ProposeInitiative: %+v", prop)
		}
		other = e.propose(tokKS, obj{"title": "Felles kommunal journal (Akson)", "description": "Journal for kommunene.",
			"owner": orgKS, "primarySubGoal": "2A", "userGroups": []string{"fastleger"},
			"plannedStart": "2026-05-01", "plannedEnd": "2030-12-31"})
		d, r := e.initiative(anon, id, prop.Position)
		if d.State != "proposed" || d.Phase != "concept" || d.Version != 1 || r.header.Get("ETag") != `"1"` {
			t.Errorf("proposed: %+v ETag %s", d, r.header.Get("ETag"))
		}
		if d.PrimaryGoal != "M1" || !slices.Equal(d.SubGoals, []string{"2A"}) || !slices.Equal(d.UserGroups, []string{"innbyggere", "kommuner"}) {
			t.Errorf("proposed: %+v", d)
		}
	})

	e.step("NUFA advises, NUIT recommends and EHR admits it", func(t *testing.T) {
		adm = e.registerCase(obj{"forum": "NUFA", "title": "Opptak: digital hjemmeoppfølging", "caseType": "approval",
			"purpose": "admission", "initiativeId": id, "proposedResolution": "Tiltaket tas inn i nasjonal e-helseportefølje.",
			"archiveRef": "26/414-1"})
		nufa1 = e.meeting("NUFA", "2026-02-05")
		nuit1 = e.meeting("NUIT", "2026-02-19")
		ehr1 = e.meeting("EHR", "2026-03-12")
		if pl := e.place(adm, nufa1); pl.AggregateType != "case" || pl.AggregateID != adm {
			t.Errorf("PlaceCaseOnAgenda: %+v", pl)
		}
		e.hold(nufa1)
		nufaAdvice = e.ok(tokSek, "RecommendInCouncil", obj{"caseId": adm, "meetingId": nufa1, "resolution": "NUFA støtter at tiltaket går videre."})
		e.place(adm, nuit1)
		e.hold(nuit1)
		e.ok(tokSek, "RecommendInCouncil", obj{"caseId": adm, "meetingId": nuit1, "resolution": "NUIT anbefaler opptak."})
		e.place(adm, ehr1)
		e.hold(ehr1)
		approve := e.ok(tokSek, "ApproveInCouncil", obj{"caseId": adm, "meetingId": ehr1, "resolution": "E-helserådet gir sin tilslutning."})
		if approve.AggregateType != "case" || approve.AggregateID != adm ||
			!slices.Equal(approve.types(), []string{"CaseApproved", "InitiativeAdmitted"}) ||
			approve.Events[1].Position != approve.Events[0].Position+1 {
			t.Errorf("ApproveInCouncil on an admission case: %+v, want CaseApproved and InitiativeAdmitted at adjacent positions", approve)
		}
		// The auditor sees the pair adjacent in the log, on their aggregates.
		if evs := e.auditAfter(approve.Events[0].Position - 1); len(evs) < 2 ||
			evs[0].Type != "CaseApproved" || evs[0].AggregateID != adm ||
			evs[1].Type != "InitiativeAdmitted" || evs[1].AggregateID != id || evs[1].Version != 2 {
			t.Errorf("the log after the approval: %+v", evs)
		}
		d, r := e.initiative(anon, id, approve.Position)
		if d.State != "in_portfolio" || d.Phase != "concept" || d.Version != 2 || r.header.Get("ETag") != `"2"` {
			t.Errorf("admitted: %+v ETag %s", d, r.header.Get("ETag"))
		}
		// If-None-Match with the current tag: 304.
		if r := e.get(anon, "/v1/initiatives/"+id, hdr{"If-None-Match", `"2"`}); r.status != http.StatusNotModified {
			t.Errorf("If-None-Match with the current ETag: %s", r)
		}
		// A moment strictly after the admission's recorded time and before
		// the next event's, for asOf below: the clock has to move on, so
		// these sleeps are part of the scenario, not synchronisation.
		time.Sleep(5 * time.Millisecond)
		admittedAt = time.Now().UTC()
		time.Sleep(5 * time.Millisecond)
	})

	e.step("the owner reports status and milestones", func(t *testing.T) {
		// Status: yellow needs a comment.
		yellow := obj{"initiativeId": id, "reportDate": "2026-03-31", "overall": "yellow", "schedule": "yellow", "cost": "green", "benefit": "green"}
		e.noWrite("yellow without comment", func() {
			p := expectProblem(t, e.cmd(tokHSO, "ReportStatus", yellow), 422, "validation_failed")
			if !slices.Contains(p.fields(), "comment") {
				t.Errorf("yellow without comment: errors %v", p.fields())
			}
		})
		yellow["comment"] = "Anskaffelsen er forsinket; tiltak er satt i gang for å nå målene i år."
		e.ok(tokHSO, "ReportStatus", yellow)

		// Milestones: planned, slipped, achieved.
		msA := newULID()
		e.ok(tokHSO, "ReportMilestone", obj{"initiativeId": id, "milestoneId": msA, "title": "Pilot i tre kommuner",
			"status": "planned", "plannedDate": "2026-06-01"})
		planB := e.ok(tokHSO, "ReportMilestone", obj{"initiativeId": id, "title": "Spredning til 19 helsefellesskap",
			"status": "planned", "plannedDate": "2027-06-01"})
		d, _ := e.initiative(anon, id, planB.Position)
		var msB string
		for _, m := range d.Milestones {
			if m.Title == "Spredning til 19 helsefellesskap" {
				msB = m.MilestoneID
			}
		}
		if !domain.ValidID(msB) {
			t.Fatalf("the server-assigned milestone id: %q (%+v)", msB, d.Milestones)
		}
		e.noWrite("slip to an earlier date", func() {
			expectProblem(t, e.cmd(tokHSO, "ReportMilestone", obj{"initiativeId": id, "milestoneId": msA, "status": "slipped",
				"newPlannedDate": "2026-05-01"}), 409, "rule_violated")
		})
		e.ok(tokHSO, "ReportMilestone", obj{"initiativeId": id, "milestoneId": msA, "status": "slipped", "newPlannedDate": "2026-09-01"})
		ach := e.ok(tokHSO, "ReportMilestone", obj{"initiativeId": id, "milestoneId": msA, "status": "achieved", "achievedDate": "2026-09-15"})
		d, _ = e.initiative(anon, id, ach.Position)
		if len(d.Milestones) != 2 {
			t.Fatalf("milestones: %+v", d.Milestones)
		}
		if m := d.Milestones[0]; m.MilestoneID != msA || m.Status != "achieved" || m.PlannedDate != "2026-09-01" ||
			m.OriginalPlannedDate != "2026-06-01" || m.AchievedDate != "2026-09-15" || m.Slips != 1 {
			t.Errorf("milestone A: %+v", m)
		}
		if m := d.Milestones[1]; m.MilestoneID != msB || m.Status != "planned" || m.PlannedDate != "2027-06-01" {
			t.Errorf("milestone B: %+v", m)
		}
		if d.LatestStatus == nil || d.LatestStatus.Overall != "yellow" || d.LatestStatus.Comment == "" {
			t.Errorf("latest status: %+v", d.LatestStatus)
		}
		versionBeforeGate = d.Version
		// A moment between the last report and the phase gate, for asOf
		// (scenario time, as above).
		time.Sleep(5 * time.Millisecond)
		beforeGate = time.Now().UTC()
		time.Sleep(5 * time.Millisecond)
	})

	e.step("a phase gate takes it to planning, one step through an approved gate case", func(t *testing.T) {
		e.noWrite("phase jump", func() {
			expectProblem(t, e.cmd(tokSek, "RegisterCase", obj{"forum": "NUIT", "title": "Faseovergang til gjennomføring",
				"caseType": "approval", "purpose": "phase_gate", "initiativeId": id, "targetPhase": "execution",
				"proposedResolution": "Går til gjennomføring."}), 409, "rule_violated")
		})
		gate = e.registerCase(obj{"forum": "NUIT", "title": "Faseovergang: planlegging", "caseType": "approval",
			"purpose": "phase_gate", "initiativeId": id, "targetPhase": "planning", "proposedResolution": "Tiltaket går til planlegging."})
		info = e.registerCase(obj{"forum": "NUIT", "title": "Orientering om veikartet", "caseType": "information",
			"purpose": "other", "proposedResolution": "Tas til orientering."})
		disc = e.registerCase(obj{"forum": "NUIT", "title": "Drøfting: prioritering for 2027", "caseType": "discussion",
			"purpose": "prioritisation", "proposedResolution": "Saken drøftes."})
		nuit2 = e.meeting("NUIT", "2026-04-16")
		ehr2 = e.meeting("EHR", "2026-05-07")
		for _, c := range []string{gate, info, disc} {
			res := e.place(c, nuit2)
			if res.Events[0].Type != "CasePlacedOnAgenda" {
				t.Errorf("PlaceCaseOnAgenda: %+v", res)
			}
			placed = append(placed, c)
		}
		e.hold(nuit2)
		e.ok(tokSek, "RecommendInCouncil", obj{"caseId": gate, "meetingId": nuit2, "resolution": "NUIT anbefaler faseovergang.",
			"conditions": "Forutsetter finansiering i statsbudsjettet."})
		e.ok(tokSek, "NoteCase", obj{"caseId": info, "meetingId": nuit2, "remarks": "Tatt til orientering."})
		e.ok(tokSek, "DeferCase", obj{"caseId": disc, "meetingId": nuit2, "reason": "Utsatt til neste møte."})
		e.place(gate, ehr2)
		e.hold(ehr2)
		pg := e.ok(tokSek, "ApproveInCouncil", obj{"caseId": gate, "meetingId": ehr2, "resolution": "Godkjent."})
		if !slices.Equal(pg.types(), []string{"CaseApproved", "InitiativePhaseChanged"}) || pg.Events[1].Position != pg.Events[0].Position+1 {
			t.Errorf("ApproveInCouncil on a phase_gate case: %+v", pg)
		}
		d, r := e.initiative(anon, id, pg.Position)
		if d.Phase != "planning" || d.State != "in_portfolio" || r.header.Get("ETag") != fmt.Sprintf(`"%d"`, d.Version) ||
			d.Version != versionBeforeGate+1 {
			t.Errorf("after the phase gate: %+v ETag %s", d, r.header.Get("ETag"))
		}
		if x := xPosition(t, r); x < pg.Position {
			t.Errorf("X-Position %d < minPosition %d", x, pg.Position)
		}
		head = pg.Position
	})

	e.step("its owner reads its history: every event in order", func(t *testing.T) {
		var hist struct {
			Events []auditEvent `json:"events"`
		}
		e.getOK(tokHSO, "/v1/initiatives/"+id+"/events", &hist)
		var types []string
		for i, ev := range hist.Events {
			types = append(types, ev.Type)
			if ev.Version != uint64(i+1) {
				t.Errorf("history: event %d has version %d", i, ev.Version)
			}
		}
		if want := []string{"InitiativeProposed", "InitiativeAdmitted", "StatusReported", "MilestonePlanned", "MilestonePlanned",
			"MilestoneSlipped", "MilestoneAchieved", "InitiativePhaseChanged"}; !slices.Equal(types, want) {
			t.Errorf("history: %v, want %v", types, want)
		}
	})

	e.step("anyone reads it as it was, at a version or a time, in the current state's shape", func(t *testing.T) {
		var a wire.InitiativeDetail
		r := e.getOK(anon, "/v1/initiatives/"+id+"?atVersion=1", &a)
		if a.Version != 1 || a.State != domain.LifecycleProposed || a.Phase != domain.PhaseConcept || a.Title != title || r.header.Get("ETag") != `"1"` {
			t.Errorf("atVersion=1: %s", r)
		}
		e.getOK(anon, "/v1/initiatives/"+id+"?asOf="+q(admittedAt.Format(time.RFC3339Nano)), &a)
		if a.Version != 2 || a.State != domain.LifecycleInPortfolio || a.Phase != domain.PhaseConcept || len(a.Cases) != 1 || a.Cases[0].LastOutcome != domain.OutcomeApproved {
			t.Errorf("asOf the admission: %+v", a)
		}
		e.getOK(anon, "/v1/initiatives/"+id+"?asOf="+q(beforeGate.Format(time.RFC3339Nano)), &a)
		if a.Version != versionBeforeGate || a.Phase != domain.PhaseConcept {
			t.Errorf("asOf before the gate: %+v, want version %d in concept", a, versionBeforeGate)
		}
		expectProblem(t, e.get(anon, "/v1/initiatives/"+id+"?asOf=2001-01-01T00:00:00Z"), 404, "not_found")
	})

	e.step("the roadmap and the portfolio overview find it by every filter", func(t *testing.T) {
		filters := []string{"goal=M1", "subGoal=1A", "owner=" + q(orgHSO), "userGroup=kommuner", "phase=planning",
			"q=" + q("østlandet HJEMMEOPPFØLGING"), "q=" + q("små kommuner"), "q=" + q("PÅRØRENDE"), "q=" + q("sma\u030A"), // "små" with a combining ring (NFD)

			"goal=M1&subGoal=1A&owner=" + q(orgHSO) + "&userGroup=innbyggere&phase=planning&q=" + q("Østlandet")}
		for _, f := range filters {
			var rm roadmapView
			e.getOK(anon, "/v1/roadmap?"+f+"&minPosition="+pos(head), &rm)
			if w := rm.where(id); len(w) == 0 {
				t.Errorf("roadmap?%s does not show the initiative", f)
			}
			if w := rm.where(other); len(w) > 0 {
				t.Errorf("roadmap?%s shows the other initiative at %v", f, w)
			}
			var list struct {
				Initiatives []struct {
					InitiativeID string `json:"initiativeId"`
				} `json:"initiatives"`
			}
			e.getOK(anon, "/v1/initiatives?"+f+"&minPosition="+pos(head), &list)
			if len(list.Initiatives) != 1 || list.Initiatives[0].InitiativeID != id {
				t.Errorf("initiatives?%s: %+v, want only %s", f, list.Initiatives, id)
			}
		}
		for _, f := range []string{"phase=execution", "owner=KS", "q=Akson", "goal=M2&phase=concept", "userGroup=fastleger", "q=" + q("østlandet akson")} {
			var rm roadmapView
			e.getOK(anon, "/v1/roadmap?"+f+"&minPosition="+pos(head), &rm)
			if w := rm.where(id); len(w) > 0 {
				t.Errorf("roadmap?%s shows the initiative at %v", f, w)
			}
		}
		var rm roadmapView
		e.getOK(anon, "/v1/roadmap?subGoal=2A", &rm)
		if w := rm.where(id); !slices.Equal(w, []string{"M2/2A(false)"}) {
			t.Errorf("roadmap?subGoal=2A: the initiative is at %v, want under M2/2A as a secondary sub-goal", w)
		}
		e.getOK(anon, "/v1/roadmap?goal=M1", &rm)
		for _, g := range rm.Goals {
			for _, s := range g.SubGoals {
				for _, i := range s.Initiatives {
					if i.InitiativeID == id && (i.Phase != "planning" || i.LatestRag != "yellow" || len(i.Milestones) != 2 || !i.Primary) {
						t.Errorf("roadmap entry: %+v", i)
					}
				}
			}
		}
		var st struct {
			Initiatives []struct {
				InitiativeID string `json:"initiativeId"`
			} `json:"initiatives"`
		}
		e.getOK(anon, "/v1/initiatives?state=in_portfolio", &st)
		if len(st.Initiatives) != 1 || st.Initiatives[0].InitiativeID != id {
			t.Errorf("initiatives?state=in_portfolio: %+v", st.Initiatives)
		}
	})

	wantAll := []string{"NUFA 1/2026 1/26 recommended", "NUIT 1/2026 1/26 recommended", "EHR 1/2026 1/26 approved",
		"NUIT 2/2026 2/26 recommended", "NUIT 2/2026 3/26 noted", "NUIT 2/2026 4/26 deferred", "EHR 2/2026 2/26 approved"}
	e.step("the secretariat corrects a decision, and the decision register shows it, filtered and as CSV", func(t *testing.T) {
		// A correction names the corrected decision.
		corr := e.ok(tokSek, "CorrectDecision", obj{"caseId": adm, "correctsEventId": nufaAdvice.Events[0].ID,
			"reason": "Feil i protokollen.", "resolution": "NUFA støtter at tiltaket går videre, med merknader."})
		head = corr.Position

		all := decisions(t, "")
		if got := summary(all); !slices.Equal(got, wantAll) {
			t.Errorf("decision register:\n got %v\nwant %v", got, wantAll)
		}
		for _, d := range all {
			if d.EventID == nufaAdvice.Events[0].ID && len(d.Corrections) != 1 {
				t.Errorf("the corrected decision shows %d corrections", len(d.Corrections))
			}
		}
		if got := summary(decisions(t, "&forum=EHR")); !slices.Equal(got, []string{"EHR 1/2026 1/26 approved", "EHR 2/2026 2/26 approved"}) {
			t.Errorf("decisions?forum=EHR: %v", got)
		}
		if got := summary(decisions(t, "&from=2026-03-01&to=2026-04-30")); !slices.Equal(got, wantAll[2:6]) {
			t.Errorf("decisions from 2026-03-01 to 2026-04-30: %v, want %v", got, wantAll[2:6])
		}
		if got := summary(decisions(t, "&forum=NUIT&from=2026-02-19&to=2026-02-19")); !slices.Equal(got, wantAll[1:2]) {
			t.Errorf("decisions forum=NUIT on 2026-02-19: %v", got)
		}
		if got := decisions(t, "&initiativeId="+id); len(got) != 5 {
			t.Errorf("decisions?initiativeId: %v, want the 5 decisions of the admission and gate cases", summary(got))
		}
		expectProblem(t, e.get(anon, "/v1/council/decisions?from=2026-05-01&to=2026-04-01"), 422, "validation_failed")

		// … as CSV.
		r := e.get(anon, "/v1/council/decisions?format=csv&minPosition="+pos(head))
		if r.status != 200 || mediaType(r.header.Get("Content-Type")) != "text/csv" {
			t.Fatalf("CSV export: %s (Content-Type %q)", r, r.header.Get("Content-Type"))
		}
		rows, err := csv.NewReader(strings.NewReader(string(r.body))).ReadAll()
		if err != nil {
			t.Fatalf("CSV export: %v\n%s", err, r.body)
		}
		if len(rows) != len(all)+1 || len(rows[0]) == 0 || rows[0][0] != "meetingDate" {
			t.Fatalf("CSV export: %d rows (want a header and %d), header %v", len(rows), len(all), rows[0])
		}
		col := map[string]int{}
		for i, h := range rows[0] {
			col[h] = i
		}
		for _, row := range rows[1:] {
			if !caseNumberRE.MatchString(row[col["caseNumber"]]) || !meetingLabelRE.MatchString(row[col["meetingLabel"]]) {
				t.Errorf("CSV row %v", row)
			}
		}
		r = e.get(anon, "/v1/council/decisions?format=csv&forum=EHR&minPosition="+pos(head))
		if rows, _ := csv.NewReader(strings.NewReader(string(r.body))).ReadAll(); len(rows) != 3 {
			t.Errorf("CSV export for EHR: %d rows, want 3", len(rows))
		}
	})

	e.step("meetings are numbered per forum and year, and agendas gap-free", func(t *testing.T) {
		var ml struct {
			Meetings []meetingDetail `json:"meetings"`
		}
		e.getOK(anon, "/v1/council/meetings?forum=NUIT&year=2026&minPosition="+pos(head), &ml)
		var labels []string
		for _, m := range ml.Meetings {
			labels = append(labels, m.Label)
			if !m.Held || m.Forum != "NUIT" || m.Year != 2026 {
				t.Errorf("meeting %+v", m)
			}
		}
		if !slices.Equal(labels, []string{"1/2026", "2/2026"}) {
			t.Errorf("NUIT meetings 2026: %v", labels)
		}
		for _, c := range []struct {
			meeting, label string
			numbers        []string
		}{
			{nufa1, "1/2026", []string{"1/26"}},
			{nuit1, "1/2026", []string{"1/26"}},
			{nuit2, "2/2026", []string{"2/26", "3/26", "4/26"}},
			{ehr1, "1/2026", []string{"1/26"}},
			{ehr2, "2/2026", []string{"2/26"}},
		} {
			m, nums := agenda(t, c.meeting)
			if m.Label != c.label || !slices.Equal(nums, c.numbers) {
				t.Errorf("meeting %s %s: agenda %v, want %s with %v", m.Forum, m.Label, nums, c.label, c.numbers)
			}
		}
		m, _ := agenda(t, nuit2)
		var ids []string
		for _, a := range m.Agenda {
			ids = append(ids, a.CaseID)
			if len(a.Outcomes) != 1 {
				t.Errorf("NUIT 2/2026: agenda item %s has outcomes %+v", a.CaseNumber, a.Outcomes)
			}
		}
		if !slices.Equal(ids, placed) {
			t.Errorf("NUIT 2/2026 agenda cases %v, want %v", ids, placed)
		}
	})

	e.step("a case shows its path through the forums", func(t *testing.T) {
		var cd struct {
			Status  string `json:"status"`
			Version uint64 `json:"version"`
			Path    []struct {
				Kind       string `json:"kind"`
				Forum      string `json:"forum"`
				CaseNumber string `json:"caseNumber"`
				Outcome    string `json:"outcome"`
				Corrected  bool   `json:"corrected"`
			} `json:"path"`
			Corrections []any `json:"corrections"`
		}
		r := e.getOK(anon, "/v1/council/cases/"+adm+"?minPosition="+pos(head), &cd)
		var path []string
		for _, p := range cd.Path {
			path = append(path, p.Kind+":"+p.Forum+":"+p.Outcome)
		}
		if want := []string{"placed:NUFA:", "decision:NUFA:recommended", "placed:NUIT:", "decision:NUIT:recommended",
			"placed:EHR:", "decision:EHR:approved"}; !slices.Equal(path, want) {
			t.Errorf("case path %v, want %v", path, want)
		}
		if cd.Status != "approved" || len(cd.Corrections) != 1 || r.header.Get("ETag") != fmt.Sprintf(`"%d"`, cd.Version) {
			t.Errorf("case: status %s, %d corrections, ETag %s, version %d", cd.Status, len(cd.Corrections), r.header.Get("ETag"), cd.Version)
		}
	})

	e.step("EHR rejects another admission case, and the initiative with it; 2025 is a new numbering series", func(t *testing.T) {
		rej := e.registerCase(obj{"forum": "NUIT", "title": "Opptak: Akson", "caseType": "approval", "purpose": "admission",
			"initiativeId": other, "proposedResolution": "Tiltaket tas inn."})
		nuit25 := e.meeting("NUIT", "2025-11-06")
		ehr25 := e.meeting("EHR", "2025-12-04")
		e.place(rej, nuit25)
		e.hold(nuit25)
		e.ok(tokSek, "RecommendInCouncil", obj{"caseId": rej, "meetingId": nuit25, "resolution": "NUIT anbefaler."})
		e.place(rej, ehr25)
		e.hold(ehr25)
		rr := e.ok(tokSek, "RejectInCouncil", obj{"caseId": rej, "meetingId": ehr25, "resolution": "E-helserådet gir ikke sin tilslutning."})
		if !slices.Equal(rr.types(), []string{"CaseRejected", "InitiativeRejected"}) || rr.Events[1].Position != rr.Events[0].Position+1 {
			t.Errorf("RejectInCouncil on an admission case: %+v", rr)
		}
		head = rr.Position
		if d, _ := e.initiative(anon, other, head); d.State != "rejected" {
			t.Errorf("the rejected initiative: %+v", d)
		}
		var rm roadmapView
		e.getOK(anon, "/v1/roadmap?q=Akson&minPosition="+pos(head), &rm)
		if w := rm.where(other); len(w) > 0 {
			t.Errorf("a rejected initiative on the roadmap at %v", w)
		}
		if got := summary(decisions(t, "&forum=EHR&to=2025-12-31")); !slices.Equal(got, []string{"EHR 1/2025 1/25 rejected"}) {
			t.Errorf("decisions of EHR in 2025: %v", got)
		}
		if m, nums := agenda(t, nuit25); m.Label != "1/2025" || !slices.Equal(nums, []string{"1/25"}) {
			t.Errorf("NUIT 1/2025: %s %v", m.Label, nums)
		}
	})

	e.step("the auditor reads the log in pages, and whole: in order, gap-free", func(t *testing.T) {
		var page struct {
			Events []auditEvent `json:"events"`
			Next   uint64       `json:"next"`
		}
		e.getOK(tokAudit, "/v1/audit/events?limit=3", &page)
		if len(page.Events) != 3 || page.Events[0].Position != 1 || page.Next != 3 {
			t.Errorf("audit limit=3: %d events, next %d", len(page.Events), page.Next)
		}
		e.getOK(tokAudit, "/v1/audit/events?after=3&limit=2", &page)
		if len(page.Events) != 2 || page.Events[0].Position != 4 || page.Events[1].Position != 5 || page.Next != 5 {
			t.Errorf("audit after=3&limit=2: %+v next %d", page.Events, page.Next)
		}
		evs := e.auditAfter(0)
		for i, ev := range evs {
			if ev.Position != uint64(i+1) {
				t.Fatalf("audit: event %d at position %d", i, ev.Position)
			}
		}
		if n := len(evs); n == 0 || evs[n-1].Position != head {
			t.Errorf("audit: last position %d, want %d", evs[len(evs)-1].Position, head)
		}
	})
}

// ---- numbering under concurrency ----

// TestE2ENumberingRaces: meetings scheduled and cases placed concurrently
// still get unique, gap-free, sequential numbers per forum and year
// (meetings n/YYYY, forum case numbers n/YY).
func TestE2ENumberingRaces(t *testing.T) {
	e := startE2E(t)
	const meetings, cases = 6, 12

	var wg sync.WaitGroup
	mr := make([]*resp, meetings)
	for i := range meetings {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mr[i] = e.cmd(tokSek, "ScheduleMeeting", obj{"forum": "EHR", "date": fmt.Sprintf("2026-0%d-1%d", 1+i%6, i)})
		}()
	}
	ids := make([]string, cases)
	for i := range cases {
		ids[i] = e.registerCase(obj{"forum": "NUIT", "title": fmt.Sprintf("Sak %02d", i), "caseType": "information",
			"purpose": "other", "proposedResolution": "Til orientering."})
	}
	nuit := e.meeting("NUIT", "2026-06-11")
	wg.Wait()
	var labels []string
	for _, r := range mr {
		if r.status != 201 {
			t.Fatalf("concurrent ScheduleMeeting: %s", r)
		}
		var m meetingDetail
		e.getOK(anon, "/v1/council/meetings/"+checkCmdResult(t, r).AggregateID+"?minPosition="+pos(e.headPosition()), &m)
		labels = append(labels, m.Label)
	}
	sort.Slice(labels, func(i, j int) bool {
		return len(labels[i]) < len(labels[j]) || len(labels[i]) == len(labels[j]) && labels[i] < labels[j]
	})
	for i, l := range labels {
		if want := fmt.Sprintf("%d/2026", i+1); l != want {
			t.Errorf("concurrently scheduled EHR meetings: labels %v, want 1/2026..%d/2026", labels, meetings)
			break
		}
	}

	pr := make([]*resp, cases)
	for i := range cases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pr[i] = e.cmd(tokSek, "PlaceCaseOnAgenda", obj{"caseId": ids[i], "meetingId": nuit})
		}()
	}
	wg.Wait()
	var last uint64
	for _, r := range pr {
		if r.status != 201 {
			t.Fatalf("concurrent PlaceCaseOnAgenda: %s", r)
		}
		last = max(last, checkCmdResult(t, r).Position)
	}
	var m meetingDetail
	e.getOK(anon, "/v1/council/meetings/"+nuit+"?minPosition="+pos(last), &m)
	seen := map[string]bool{}
	for i, a := range m.Agenda {
		if want := fmt.Sprintf("%d/26", i+1); a.CaseNumber != want || a.Number != i+1 {
			t.Errorf("agenda item %d: %s (number %d), want %s", i, a.CaseNumber, a.Number, want)
		}
		seen[a.CaseID] = true
	}
	if len(m.Agenda) != cases || len(seen) != cases {
		t.Errorf("the agenda has %d items for %d distinct cases, want %d", len(m.Agenda), len(seen), cases)
	}
}
