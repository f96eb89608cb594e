package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/services"
)

// validBodies has a valid body for every command.
var validBodies = map[string]string{
	"DefineStrategicGoal": `{"goalId":"M1","strategy":"2023-2030","title":"Aktiv medvirkning i egen og næres helse"}`,
	"DefineSubGoal":       `{"subGoalId":"1A","goalId":"M1","title":"Helsenorge"}`,
	"ProposeInitiative": `{"title":"Digital hjemmeoppfølging","description":"Spredning","owner":"Helse Sør-Øst RHF",
		"primarySubGoal":"1A","subGoals":["2A"],"userGroups":["innbyggere"],"plannedStart":"2024-01-01",
		"plannedEnd":"2027-12-31","estimatedCostNOK":12000000,"phase":"concept"}`,
	"WithdrawInitiative": `{"initiativeId":"` + idInit + `","reason":"dobbelt"}`,
	"ReportStatus": `{"initiativeId":"` + idInit + `","reportDate":"2026-03-01","overall":"green","schedule":"green",
		"cost":"green","benefit":"green"}`,
	"ReportMilestone":    `{"initiativeId":"` + idInit + `","title":"Pilot","status":"planned","plannedDate":"2026-09-01"}`,
	"PauseInitiative":    `{"initiativeId":"` + idInit + `","reason":"budsjett"}`,
	"ResumeInitiative":   `{"initiativeId":"` + idInit + `","reason":"budsjett på plass"}`,
	"CloseInitiative":    `{"initiativeId":"` + idInit + `","finalReport":"Levert"}`,
	"CancelInitiative":   `{"initiativeId":"` + idInit + `","reason":"avbrutt"}`,
	"ScheduleMeeting":    `{"forum":"EHR","date":"2026-03-01"}`,
	"HoldMeeting":        `{"meetingId":"` + idMeeting + `"}`,
	"RegisterCase":       `{"forum":"NUIT","title":"Opptak","caseType":"approval","purpose":"admission","initiativeId":"` + idInit + `","proposedResolution":"NUIT anbefaler","archiveRef":"22/414-1"}`,
	"PlaceCaseOnAgenda":  `{"caseId":"` + idCase + `","meetingId":"` + idMeeting + `"}`,
	"NoteCase":           `{"caseId":"` + idCase + `","meetingId":"` + idMeeting + `","remarks":"tatt til orientering"}`,
	"DiscussCase":        `{"caseId":"` + idCase + `","meetingId":"` + idMeeting + `"}`,
	"RecommendInCouncil": `{"caseId":"` + idCase + `","meetingId":"` + idMeeting + `","resolution":"anbefalt","conditions":"med forbehold"}`,
	"ApproveInCouncil":   `{"caseId":"` + idCase + `","meetingId":"` + idMeeting + `","resolution":"tilslutning"}`,
	"RejectInCouncil":    `{"caseId":"` + idCase + `","meetingId":"` + idMeeting + `","resolution":"ikke støttet"}`,
	"DeferCase":          `{"caseId":"` + idCase + `","meetingId":"` + idMeeting + `","reason":"mer utredning"}`,
	"CorrectDecision":    `{"caseId":"` + idCase + `","correctsEventId":"` + idEvent + `","reason":"skrivefeil","resolution":"rettet"}`,
	"DefineIndicator": `{"goalId":"M1","subGoalId":"1A","name":"Digital dialog","unit":"prosent","direction":"increase",
		"baseline":{"value":38.5,"date":"2023-12-31"},"target":{"value":80,"date":"2030-12-31"},"source":"KPR"}`,
	"RecordIndicatorValue": `{"indicatorId":"` + idInit + `","period":"2026-H1","value":52.5,"correction":{"reason":"endelige tall"}}`,
	"OpenReportingRound":   `{"label":"2026-T3","periodEnd":"2026-08-31","deadline":"2026-09-15"}`,
	"CloseReportingRound":  `{"roundId":"` + idInit + `"}`,
	"DeclareDependency": `{"initiativeId":"` + idInit + `","dependsOn":"` + idCase + `","neededBy":"2026-12-31",
		"description":"trenger HelseID"}`,
	"RemoveDependency": `{"dependencyId":"` + idInit + `","reason":"løst"}`,

	"OpenConsultation": `{"title":"Nasjonal e-helsestrategi","description":"Forslag","archiveRef":"22/414",
		"documentUrl":"https://www.ehelse.no/horing.pdf","questions":["Enig?"],"invitedBodies":["KS"],"deadline":"2026-10-01","openedDate":"2026-03-01"}`,
	"InviteToConsultation": `{"consultationId":"` + idInit + `","bodies":["Sametinget","Tekna"]}`,
	"RegisterConsultationResponse": `{"consultationId":"` + idInit + `","organisation":"Eksempelkommune (illustrativ)","receivedDate":"2026-03-02",
		"answers":[{"question":1,"text":"Illustrativt svar: ja."}],"comments":"ingen","replaces":true}`,
	"PublishConsultationResponse": `{"consultationId":"` + idInit + `","responseId":"` + idEvent + `"}`,
	"CloseConsultation":           `{"consultationId":"` + idInit + `","summary":"Oppsummert","resultingCaseId":"` + idCase + `"}`,
}

func TestEveryCommandAccepted(t *testing.T) {
	h := newHarness(t, nil)
	for _, name := range domain.CommandNames {
		body, ok := validBodies[name]
		if !ok {
			t.Errorf("no sample body for %s", name)
			continue
		}
		rec := h.do("POST", "/v1/commands/"+name, body, bearer(tokSek), header("X-Correlation-Id", "corr-"+name))
		if rec.Code != http.StatusCreated {
			t.Errorf("%s: %d %s", name, rec.Code, rec.Body.String())
			continue
		}
		var res services.CommandResult
		if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
			t.Fatal(err)
		}
		if got := rec.Header().Get("ETag"); got != `"1"` {
			t.Errorf("%s: ETag %q", name, got)
		}
		if got := rec.Header().Get("X-Correlation-Id"); got != "corr-"+name {
			t.Errorf("%s: X-Correlation-Id %q", name, got)
		}
		calls := h.exec.Calls()
		last := calls[len(calls)-1]
		if last.cmd.CommandName() != name || last.opts.CorrelationID != "corr-"+name || last.opts.CommandID != "" || last.opts.IfMatch != nil {
			t.Errorf("%s: executed %s with %+v", name, last.cmd.CommandName(), last.opts)
		}
		if last.principal.Name != "sekretariat" {
			t.Errorf("%s: principal %+v", name, last.principal)
		}
	}
	// Location for the creating commands.
	for name, want := range map[string]string{
		"ProposeInitiative": "/v1/initiatives/" + idInit,
		"ScheduleMeeting":   "/v1/council/meetings/" + idMeeting,
		"RegisterCase":      "/v1/council/cases/" + idCase,
		"HoldMeeting":       "",
	} {
		rec := h.do("POST", "/v1/commands/"+name, validBodies[name], bearer(tokSek))
		if got := rec.Header().Get("Location"); got != want {
			t.Errorf("%s: Location %q, want %q", name, got, want)
		}
	}
}

func TestDecodedCommandFields(t *testing.T) {
	h := newHarness(t, nil)
	rec := h.do("POST", "/v1/commands/ProposeInitiative", validBodies["ProposeInitiative"], bearer(tokHSO))
	if rec.Code != 201 {
		t.Fatal(rec.Code, rec.Body.String())
	}
	c := h.exec.Calls()[0].cmd.(*domain.ProposeInitiative)
	if c.Owner != orgHSO || c.PlannedEnd != "2027-12-31" || *c.EstimatedCostNOK != 12000000 || c.SubGoals[0] != "2A" || c.InitiativeID != "" {
		t.Fatalf("decoded %+v", c)
	}
	if p := h.exec.Calls()[0].principal; p.Role != services.RoleOwner || p.Org != orgHSO {
		t.Fatalf("principal %+v", p)
	}
}

// TestCommandErrors walks the contract's error table for commands.
func TestCommandErrors(t *testing.T) {
	big := `{"caseId":"` + idCase + `","meetingId":"` + idMeeting + `","remarks":"` + strings.Repeat("x", 1<<20) + `"}`
	execErr := func(err error) func(*harness) {
		return func(h *harness) {
			h.exec.do = func(context.Context, services.Principal, domain.Command, services.ExecOptions) (services.CommandResult, error) {
				return services.CommandResult{}, err
			}
		}
	}
	cases := []struct {
		name   string
		cmd    string
		body   string
		opts   []reqOpt
		setup  func(*harness)
		status int
		code   string
		field  string // a field errors[] must name
		header [2]string
	}{
		{name: "not JSON", cmd: "HoldMeeting", body: `{"meetingId":`, opts: []reqOpt{bearer(tokSek)}, status: 400, code: "malformed_request"},
		{name: "empty body", cmd: "HoldMeeting", body: ``, opts: []reqOpt{bearer(tokSek)}, status: 400, code: "malformed_request"},
		{name: "array body", cmd: "HoldMeeting", body: `[{"meetingId":"x"}]`, opts: []reqOpt{bearer(tokSek)}, status: 400, code: "malformed_request"},
		{name: "null body", cmd: "HoldMeeting", body: `null`, opts: []reqOpt{bearer(tokSek)}, status: 400, code: "malformed_request"},
		{name: "two values", cmd: "HoldMeeting", body: `{"meetingId":"` + idMeeting + `"} {}`, opts: []reqOpt{bearer(tokSek)}, status: 400, code: "malformed_request"},
		{name: "unknown field", cmd: "HoldMeeting", body: `{"meetingId":"` + idMeeting + `","extra":1}`, opts: []reqOpt{bearer(tokSek)}, status: 400, code: "malformed_request", field: "extra"},
		{name: "field in wrong case", cmd: "HoldMeeting", body: `{"MeetingID":"` + idMeeting + `"}`, opts: []reqOpt{bearer(tokSek)}, status: 400, code: "malformed_request", field: "MeetingID"},
		{name: "repeated field", cmd: "HoldMeeting", body: `{"meetingId":"` + idMeeting + `","meetingId":"` + idMeeting + `"}`, opts: []reqOpt{bearer(tokSek)}, status: 400, code: "malformed_request", field: "meetingId"},
		{name: "wrong type", cmd: "ProposeInitiative", body: strings.Replace(validBodies["ProposeInitiative"], `12000000`, `"12 MNOK"`, 1), opts: []reqOpt{bearer(tokSek)}, status: 400, code: "malformed_request", field: "estimatedCostNOK"},
		{name: "wrong type array", cmd: "ProposeInitiative", body: strings.Replace(validBodies["ProposeInitiative"], `["2A"]`, `"2A"`, 1), opts: []reqOpt{bearer(tokSek)}, status: 400, code: "malformed_request", field: "subGoals"},
		{name: "bad If-Match", cmd: "HoldMeeting", body: validBodies["HoldMeeting"], opts: []reqOpt{bearer(tokSek), header("If-Match", "3")}, status: 400, code: "malformed_request", field: "If-Match"},
		{name: "bad Idempotency-Key", cmd: "HoldMeeting", body: validBodies["HoldMeeting"], opts: []reqOpt{bearer(tokSek), header("Idempotency-Key", "has space")}, status: 400, code: "malformed_request", field: "Idempotency-Key"},

		{name: "no token", cmd: "HoldMeeting", body: validBodies["HoldMeeting"], status: 401, code: "unauthorized", header: [2]string{"WWW-Authenticate", `Bearer realm="portfolio"`}},
		{name: "unknown token", cmd: "HoldMeeting", body: validBodies["HoldMeeting"], opts: []reqOpt{bearer(tokBad)}, status: 401, code: "unauthorized"},
		{name: "not bearer", cmd: "HoldMeeting", body: validBodies["HoldMeeting"], opts: []reqOpt{header("Authorization", "Basic "+tokSek)}, status: 401, code: "unauthorized"},
		{name: "unknown token, unknown command", cmd: "Nope", body: `{}`, opts: []reqOpt{bearer(tokBad)}, status: 401, code: "unauthorized"},

		{name: "auditor writes", cmd: "HoldMeeting", body: validBodies["HoldMeeting"], opts: []reqOpt{bearer(tokAudit)}, status: 403, code: "forbidden"},
		{name: "subscriber writes", cmd: "HoldMeeting", body: validBodies["HoldMeeting"], opts: []reqOpt{bearer(tokSub)}, status: 403, code: "forbidden"},
		{name: "owner gives council command", cmd: "HoldMeeting", body: validBodies["HoldMeeting"], opts: []reqOpt{bearer(tokHSO)}, status: 403, code: "forbidden"},
		{name: "owner of another org", cmd: "ReportStatus", body: validBodies["ReportStatus"], opts: []reqOpt{bearer(tokKS)},
			setup: execErr(domain.Errorf(domain.KindForbidden, "initiative belongs to Helse Sør-Øst RHF")), status: 403, code: "forbidden"},

		{name: "unknown command", cmd: "LaunchRocket", body: `{}`, opts: []reqOpt{bearer(tokSek)}, status: 404, code: "unknown_command"},
		{name: "unknown command anonymous", cmd: "LaunchRocket", body: `{}`, status: 404, code: "unknown_command"},
		{name: "no such aggregate", cmd: "HoldMeeting", body: validBodies["HoldMeeting"], opts: []reqOpt{bearer(tokSek)},
			setup: execErr(domain.Errorf(domain.KindNotFound, "no meeting")), status: 404, code: "not_found"},
		{name: "rule violated", cmd: "HoldMeeting", body: validBodies["HoldMeeting"], opts: []reqOpt{bearer(tokSek)},
			setup: execErr(domain.Refuse("meeting already held")), status: 409, code: "rule_violated"},
		{name: "version conflict", cmd: "HoldMeeting", body: validBodies["HoldMeeting"], opts: []reqOpt{bearer(tokSek), header("If-Match", `"2"`)},
			setup: execErr(domain.Errorf(domain.KindConflict, "meeting is at version 3, not 2")), status: 412, code: "version_conflict"},
		{name: "too large", cmd: "NoteCase", body: big, opts: []reqOpt{bearer(tokSek)}, status: 413, code: "payload_too_large"},
		{name: "validation failed", cmd: "ProposeInitiative", body: `{"title":"x","owner":"KS","primarySubGoal":"1A","plannedStart":"2026-01-01","plannedEnd":"2025-01-01"}`,
			opts: []reqOpt{bearer(tokSek)}, status: 422, code: "validation_failed", field: "plannedEnd"},
		{name: "validation failed bad enum", cmd: "ScheduleMeeting", body: `{"forum":"XYZ","date":"2026-02-30"}`,
			opts: []reqOpt{bearer(tokSek)}, status: 422, code: "validation_failed", field: "forum"},
		{name: "store unavailable", cmd: "HoldMeeting", body: validBodies["HoldMeeting"], opts: []reqOpt{bearer(tokSek)},
			setup: execErr(&domain.Error{Kind: domain.KindUnavailable, Message: "event store unavailable"}), status: 503, code: "unavailable",
			header: [2]string{"Retry-After", "1"}},
		{name: "internal", cmd: "HoldMeeting", body: validBodies["HoldMeeting"], opts: []reqOpt{bearer(tokSek)},
			setup: execErr(errors.New("secret internals")), status: 500, code: "internal"},
		{name: "panic", cmd: "HoldMeeting", body: validBodies["HoldMeeting"], opts: []reqOpt{bearer(tokSek)},
			setup: func(h *harness) {
				h.exec.do = func(context.Context, services.Principal, domain.Command, services.ExecOptions) (services.CommandResult, error) {
					panic("boom")
				}
			}, status: 500, code: "internal"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, nil)
			if c.setup != nil {
				c.setup(h)
			}
			rec := h.do("POST", "/v1/commands/"+c.cmd, c.body, c.opts...)
			p := h.problem(rec, c.status, c.code)
			if c.field != "" {
				found := false
				for _, f := range p.Errors {
					found = found || f.Field == c.field
				}
				if !found {
					t.Errorf("errors %+v do not name %s", p.Errors, c.field)
				}
			}
			if c.header[0] != "" && rec.Header().Get(c.header[0]) != c.header[1] {
				t.Errorf("%s = %q, want %q", c.header[0], rec.Header().Get(c.header[0]), c.header[1])
			}
			if strings.Contains(rec.Body.String(), "secret internals") {
				t.Error("internal error details leaked")
			}
			if p.Instance != "/v1/commands/"+c.cmd {
				t.Errorf("instance %q", p.Instance)
			}
			wantExec := c.status >= 500 || c.status == 412 || c.status == 409 || (c.status == 404 && c.code == "not_found") || c.name == "owner of another org"
			if got := len(h.exec.Calls()) > 0; got != wantExec {
				t.Errorf("executed = %v, want %v", got, wantExec)
			}
		})
	}
}

func TestTooLargeChunked(t *testing.T) {
	h := newHarness(t, nil)
	body := `{"caseId":"` + idCase + `","meetingId":"` + idMeeting + `","remarks":"` + strings.Repeat("x", 1<<20) + `"}`
	req := httptest.NewRequest("POST", "/v1/commands/NoteCase", strings.NewReader(body))
	req.ContentLength = -1 // unknown length: the limit applies while reading
	req.Header.Set("Authorization", "Bearer "+tokSek)
	rec := httptest.NewRecorder()
	h.h.ServeHTTP(rec, req)
	h.problem(rec, 413, "payload_too_large")
}

func TestIfMatch(t *testing.T) {
	cases := []struct {
		values []string
		want   *uint64
		bad    bool
	}{
		{nil, nil, false},
		{[]string{`"3"`}, u64(3), false},
		{[]string{` "0" `}, u64(0), false},
		{[]string{`W/"12"`}, u64(12), false},
		{[]string{`3`}, nil, true},
		{[]string{`""`}, nil, true},
		{[]string{`"-1"`}, nil, true},
		{[]string{`"+1"`}, nil, true},
		{[]string{`"abc"`}, nil, true},
		{[]string{`*`}, nil, true},
		{[]string{`"1", "2"`}, nil, true},
		{[]string{`"1"`, `"2"`}, nil, true},
		{[]string{``}, nil, true},
		{[]string{`W/3`}, nil, true},
		{[]string{`"99999999999999999999999"`}, nil, true},
	}
	for _, c := range cases {
		got, err := parseIfMatch(c.values)
		if (err != nil) != c.bad || (got == nil) != (c.want == nil) || (got != nil && *got != *c.want) {
			t.Errorf("parseIfMatch(%q) = %v, %v", c.values, got, err)
		}
		if err != nil && !domain.IsKind(err, domain.KindMalformed) {
			t.Errorf("parseIfMatch(%q): kind %s", c.values, domain.ErrorKind(err))
		}
	}
	// And through the handler into ExecOptions.
	h := newHarness(t, nil)
	rec := h.do("POST", "/v1/commands/HoldMeeting", validBodies["HoldMeeting"], bearer(tokSek), header("If-Match", `W/"7"`))
	if rec.Code != 201 {
		t.Fatal(rec.Code, rec.Body.String())
	}
	if im := h.exec.Calls()[0].opts.IfMatch; im == nil || *im != 7 {
		t.Fatalf("IfMatch = %v", im)
	}
}

func u64(n uint64) *uint64 { return &n }

func TestCorrelationAndRequestIDs(t *testing.T) {
	h := newHarness(t, nil)
	rec := h.do("POST", "/v1/commands/HoldMeeting", validBodies["HoldMeeting"], bearer(tokSek))
	corr := rec.Header().Get("X-Correlation-Id")
	rid := rec.Header().Get("X-Request-Id")
	if !domain.IsULID(rid) || corr != rid {
		t.Fatalf("generated ids: request %q correlation %q", rid, corr)
	}
	if got := h.exec.Calls()[0].opts.CorrelationID; got != corr {
		t.Fatalf("ExecOptions.CorrelationID %q, header %q", got, corr)
	}
	// A malformed one is replaced, never echoed.
	rec = h.do("GET", "/healthz", "", header("X-Correlation-Id", "evil\nlog line"), header("X-Request-Id", "r-1"))
	if got := rec.Header().Get("X-Correlation-Id"); got != "r-1" {
		t.Fatalf("X-Correlation-Id %q", got)
	}
}

func TestCommandTimeoutIgnoresClientCancel(t *testing.T) {
	h := newHarness(t, nil)
	var sawCancel bool
	running, cancelled := make(chan struct{}), make(chan struct{})
	h.exec.do = func(ctx context.Context, p services.Principal, cmd domain.Command, o services.ExecOptions) (services.CommandResult, error) {
		close(running)
		<-cancelled // the client has gone away while the command runs
		sawCancel = ctx.Err() != nil
		return okResult(cmd, 1), nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	req := httptest.NewRequest("POST", "/v1/commands/HoldMeeting", strings.NewReader(validBodies["HoldMeeting"])).WithContext(ctx)
	req.Header.Set("Authorization", "Bearer "+tokSek)
	go func() {
		<-running
		cancel()
		close(cancelled)
	}()
	rec := httptest.NewRecorder()
	h.h.ServeHTTP(rec, req)
	if sawCancel || rec.Code != 201 {
		t.Fatalf("command saw the client's cancel: %v %d", sawCancel, rec.Code)
	}
}

func TestMethodNotAllowedAndNoRoute(t *testing.T) {
	h := newHarness(t, nil)
	rec := h.do("GET", "/v1/commands/HoldMeeting", "")
	h.problem(rec, 405, "method_not_allowed")
	if rec.Header().Get("Allow") != "POST" {
		t.Errorf("Allow %q", rec.Header().Get("Allow"))
	}
	rec = h.do("DELETE", "/v1/initiatives/"+idInit, "")
	h.problem(rec, 405, "method_not_allowed")
	rec = h.do("GET", "/v2/nothing", "")
	h.problem(rec, 404, "not_found")
}

func TestAccessLogHasNoTokens(t *testing.T) {
	h := newHarness(t, nil)
	h.do("POST", "/v1/commands/HoldMeeting", validBodies["HoldMeeting"], bearer(tokSek))
	h.do("POST", "/v1/commands/HoldMeeting", validBodies["HoldMeeting"], bearer(tokBad))
	h.do("GET", "/v1/audit/events", "", bearer(tokAudit))
	logs := h.logs.String()
	for _, tok := range []string{tokSek, tokBad, tokAudit, "Bearer"} {
		if strings.Contains(logs, tok) {
			t.Fatalf("log contains %q:\n%s", tok, logs)
		}
	}
	lines := strings.Split(strings.TrimSpace(logs), "\n")
	if len(lines) != 3 {
		t.Fatalf("want 3 access log lines, got:\n%s", logs)
	}
	var first map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if first["principal"] != "sekretariat" || first["status"] != float64(201) || first["route"] != "POST /v1/commands/{name}" || first["request_id"] == "" {
		t.Fatalf("access log line %v", first)
	}
}

func TestMetrics(t *testing.T) {
	extra := newCounterForTest()
	h := newHarness(t, func(c *Config) { c.Collectors = append(c.Collectors, extra) })
	h.do("POST", "/v1/commands/HoldMeeting", validBodies["HoldMeeting"], bearer(tokSek))
	h.do("POST", "/v1/commands/HoldMeeting", validBodies["HoldMeeting"], bearer(tokAudit))
	h.do("POST", "/v1/commands/Nope", `{}`, bearer(tokSek))
	h.do("GET", "/v1/strategy", "")
	h.do("GET", "/v1/nowhere", "")
	if rec := h.do("GET", "/metrics", ""); rec.Code != 404 {
		t.Errorf("GET /metrics on the public handler: %d", rec.Code)
	}
	rec := httptest.NewRecorder()
	h.srv.OpsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`portfolio_commands_total{command="HoldMeeting",outcome="created"} 1`,
		`portfolio_commands_total{command="HoldMeeting",outcome="forbidden"} 1`,
		`portfolio_commands_total{command="unknown",outcome="unknown_command"} 1`,
		`portfolio_command_duration_seconds_count{command="HoldMeeting"} 2`,
		`portfolio_http_request_duration_seconds_count{code="200",method="get",route="GET /v1/strategy"} 1`,
		`portfolio_http_request_duration_seconds_count{code="201",method="post",route="POST /v1/commands/{name}"} 1`,
		`portfolio_http_request_duration_seconds_count{code="403",method="post",route="POST /v1/commands/{name}"} 1`,
		`portfolio_http_request_duration_seconds_count{code="404",method="get",route="unmatched"} 1`,
		`portfolio_http_requests_in_flight 1`, // the /metrics request itself
		`test_extra_total 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// One metric per fact: the command service's own counters are gone.
	if strings.Contains(body, "portfolio_service_") {
		t.Error("metrics still have portfolio_service_*")
	}
}

// TestMetricsPanic: a handler that panics is answered 500 and counted as
// such, in the request and the command metrics.
func TestMetricsPanic(t *testing.T) {
	h := newHarness(t, nil)
	h.exec.do = func(context.Context, services.Principal, domain.Command, services.ExecOptions) (services.CommandResult, error) {
		panic("boom")
	}
	h.problem(h.do("POST", "/v1/commands/HoldMeeting", validBodies["HoldMeeting"], bearer(tokSek)), 500, "internal")
	rec := httptest.NewRecorder()
	h.srv.OpsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`portfolio_http_request_duration_seconds_count{code="500",method="post",route="POST /v1/commands/{name}"} 1`,
		`portfolio_commands_total{command="HoldMeeting",outcome="internal"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestConcurrentCommandsRace(t *testing.T) {
	h := newHarness(t, nil)
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := httptest.NewRequest("POST", "/v1/commands/HoldMeeting", strings.NewReader(validBodies["HoldMeeting"]))
			req.Header.Set("Authorization", "Bearer "+tokSek)
			rec := httptest.NewRecorder()
			h.h.ServeHTTP(rec, req)
			if rec.Code != 201 {
				t.Errorf("%d", rec.Code)
			}
		}()
	}
	wg.Wait()
}
