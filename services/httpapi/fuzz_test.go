package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/services"
)

// The fuzz targets' own minimal fakes (independent of fakes_test.go).

const (
	fzTokSek   = "fz-sekretariat-0123456789abcdef"
	fzTokOwner = "fz-owner-hso-0123456789abcdef"
	fzTokAudit = "fz-riksrevisjonen-0123456789ab"
	fzTokSub   = "fz-subscriber-0123456789abcdef"
	fzULID     = "01JDQ6Z3V7M8W0X8PVRBQ5N2E4"
)

// fzExecutor records the commands it is asked to run and accepts them all.
type fzExecutor struct {
	mu    sync.Mutex
	calls []domain.Command
}

func (e *fzExecutor) Execute(ctx context.Context, p services.Principal, cmd domain.Command, opts services.ExecOptions) (services.CommandResult, error) {
	e.mu.Lock()
	e.calls = append(e.calls, cmd)
	e.mu.Unlock()
	return services.CommandResult{AggregateType: "initiative", AggregateID: fzULID, Version: 1, Position: 7,
		Events: []services.EventRef{{ID: fzULID, Type: "SomethingHappened", Position: 7}}}, nil
}

func (e *fzExecutor) take() []domain.Command {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.calls
	e.calls = nil
	return c
}

// fzIdempotency hands out a reservation for every key and remembers
// nothing: each fuzz input stands alone.
type fzIdempotency struct{}

func (fzIdempotency) Begin(ctx context.Context, principal, key, fingerprint string) (services.BeginResult, error) {
	return services.BeginResult{Reservation: &services.Reservation{CommandID: fzULID, AssignedID: "01JDQ6Z3V7M8W0X8PVRBQ5N2E5"}}, nil
}
func (fzIdempotency) Complete(ctx context.Context, r *services.Reservation, resp services.StoredResponse) error {
	return nil
}
func (fzIdempotency) Release(ctx context.Context, r *services.Reservation) error { return nil }

func fzServer(tb testing.TB) (http.Handler, *fzExecutor) {
	tb.Helper()
	auth, err := services.NewAuthenticator([]services.TokenEntry{
		{Name: "sekretariat", Token: fzTokSek, Role: services.RoleSecretariat},
		{Name: "hso", Token: fzTokOwner, Role: services.RoleOwner, Org: "Helse Sør-Øst RHF"},
		{Name: "riksrevisjonen", Token: fzTokAudit, Role: services.RoleAuditor},
		{Name: "subscriber", Token: fzTokSub, Role: services.RoleSubscriber},
	})
	if err != nil {
		tb.Fatal(err)
	}
	exec := &fzExecutor{}
	srv, err := New(Config{Logger: slog.New(slog.DiscardHandler), Auth: auth, Executor: exec,
		Idempotency: fzIdempotency{}, Registry: prometheus.NewRegistry()})
	if err != nil {
		tb.Fatal(err)
	}
	return srv.Handler(), exec
}

// fzTokens: the caller, chosen by the fuzzer.
var fzTokens = []string{fzTokSek, fzTokOwner, fzTokAudit, fzTokSub, "", "not-a-known-token-0123456789"}

// fzCodes are the problem codes an answer to a command may carry, by status.
var fzCodes = map[int][]string{
	400: {"malformed_request"},
	401: {"unauthorized"},
	403: {"forbidden"},
	404: {"unknown_command", "not_found"},
	405: {"method_not_allowed"},
	413: {"payload_too_large"},
	422: {"validation_failed", "idempotency_key_reused"},
}

// jsonFieldNames are the exact JSON names of a command's fields.
func jsonFieldNames(t reflect.Type) map[string]bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	out := map[string]bool{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			for n := range jsonFieldNames(f.Type) {
				out[n] = true
			}
			continue
		}
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = true
	}
	return out
}

// FuzzCommandDecoding sends arbitrary command names, bodies and headers
// through the real HTTP handler (with a recording executor):
//
//   - it never panics (the middleware would turn a panic into a 500) and
//     never answers 5xx;
//
//   - every error is application/problem+json with the status in the body
//     and a contract code that fits the status;
//
//   - the executor runs a command exactly when the answer is 201, and only
//     a command that is what the body says: a known name, a JSON object
//     whose fields are exactly the command's (no unknown, no case
//     variants), that decodes strictly and validates.
//
//     go test ./services/httpapi -run '^$' -fuzz FuzzCommandDecoding -fuzztime 60s
func FuzzCommandDecoding(f *testing.F) {
	valid := map[string]string{
		"DefineStrategicGoal": `{"goalId":"M1","strategy":"2023-2030","title":"Aktiv medvirkning"}`,
		"ProposeInitiative": `{"title":"Digital hjemmeoppfølging","description":"Spredning","owner":"Helse Sør-Øst RHF",
			"primarySubGoal":"1A","subGoals":["2A"],"userGroups":["innbyggere"],"plannedStart":"2024-01-01",
			"plannedEnd":"2027-12-31","estimatedCostNOK":12000000,"phase":"concept"}`,
		"ReportStatus":     `{"initiativeId":"` + fzULID + `","reportDate":"2026-03-01","overall":"green","schedule":"yellow","cost":"red","benefit":"green","comment":"ok"}`,
		"ReportMilestone":  `{"initiativeId":"` + fzULID + `","milestoneId":"` + fzULID + `","title":"Pilot","status":"planned","plannedDate":"2026-09-01"}`,
		"ScheduleMeeting":  `{"forum":"EHR","date":"2026-03-01"}`,
		"RegisterCase":     `{"forum":"NUIT","title":"Opptak","caseType":"approval","purpose":"admission","initiativeId":"` + fzULID + `","proposedResolution":"NUIT anbefaler"}`,
		"ApproveInCouncil": `{"caseId":"` + fzULID + `","meetingId":"` + fzULID + `","resolution":"tilslutning"}`,
		"CorrectDecision":  `{"caseId":"` + fzULID + `","correctsEventId":"` + fzULID + `","reason":"skrivefeil","resolution":"rettet"}`,
	}
	for name, body := range valid {
		f.Add(name, []byte(body), uint8(0), "", "")
		f.Add(name, []byte(body), uint8(1), `"3"`, "key-"+name)
		f.Add(name, []byte(body), uint8(2), "", "")
	}
	for _, s := range []struct{ name, body string }{
		{"ProposeInitiative", `{"title":"x","estimatedCostNOK":1e400}`},
		{"ProposeInitiative", `{"title":"x","estimatedCostNOK":99999999999999999999999999}`},
		{"ProposeInitiative", `{"title":"x","estimatedCostNOK":-9223372036854775809}`},
		{"ProposeInitiative", `{"title":"x","estimatedCostNOK":1.5}`},
		{"ReportStatus", `{"initiativeId":"` + fzULID + `","reportDate":"2026-02-30","overall":"grønn"}`},
		{"ReportMilestone", `{"initiativeId":"` + fzULID + `","status":"planned","plannedDate":"2026-09-01","Title":"case variant"}`},
		{"ReportMilestone", `{"initiativeId":"` + fzULID + `","initiativeId":"` + fzULID + `","status":"planned"}`},
		{"ScheduleMeeting", `{"forum":"EHR","date":"2026-03-01"} {"forum":"NUFA"}`},
		{"ScheduleMeeting", `{"forum":"EHR","date":"2026-03-01"}garbage`},
		{"ScheduleMeeting", `{"forum":"EHR","date":"2026-03-01",}`},
		{"ScheduleMeeting", `[{"forum":"EHR"}]`},
		{"ScheduleMeeting", `"forum"`},
		{"ScheduleMeeting", `null`},
		{"ScheduleMeeting", ``},
		{"ScheduleMeeting", `{"forum":"EHR","date":"2026-03-01","meetingId":"\u0000"}`},
		{"RegisterCase", `{"forum":"NUIT","title":"Opptak 🚑 \ud800 ÆØÅ","caseType":"approval","purpose":"other","proposedResolution":"\u202e"}`},
		{"RegisterCase", "{\"forum\":\"NUIT\",\"title\":\"\xff\xfe\",\"caseType\":\"approval\",\"purpose\":\"other\",\"proposedResolution\":\"x\"}"},
		{"DefineSubGoal", `{"subGoalId":{"a":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]},"goalId":"M1","title":"x"}`},
		{"DefineSubGoal", `{"subGoalId":"1A","goalId":"M1","title":` + strings.Repeat(`"`+strings.Repeat("x", 1000)+`"`, 1) + `}`},
		{"HoldMeeting", `{"meetingId":123}`},
		{"HoldMeeting", `{"meetingId":true}`},
		{"HoldMeeting", `{"meetingId":null}`},
		{"NoSuchCommand", `{}`},
		{"", `{}`},
		{"reportmilestone", `{}`},
		{"ReportMilestone/../ScheduleMeeting", `{"forum":"EHR","date":"2026-03-01"}`},
		{"ScheduleMeeting?x=1", `{"forum":"EHR","date":"2026-03-01"}`},
		{"Schedule Meeting", `{"forum":"EHR","date":"2026-03-01"}`},
		{"ScheduleMeeting\x00", `{"forum":"EHR","date":"2026-03-01"}`},
		{"Møte", `{}`},
	} {
		f.Add(s.name, []byte(s.body), uint8(0), "", "")
	}
	f.Add("ScheduleMeeting", []byte(valid["ScheduleMeeting"]), uint8(0), `W/"1"`, strings.Repeat("k", 256))
	f.Add("ScheduleMeeting", []byte(valid["ScheduleMeeting"]), uint8(0), `*`, "key with spaces")
	f.Add("ScheduleMeeting", []byte(valid["ScheduleMeeting"]), uint8(0), `"18446744073709551616"`, "ключ")
	f.Add("ScheduleMeeting", []byte(valid["ScheduleMeeting"]), uint8(4), "", "")
	f.Add("ScheduleMeeting", []byte(valid["ScheduleMeeting"]), uint8(5), "", "")
	f.Add("ScheduleMeeting", []byte(valid["ScheduleMeeting"]), uint8(3), "", "")

	h, exec := fzServer(f)
	f.Fuzz(func(t *testing.T, name string, body []byte, who uint8, ifMatch, idemKey string) {
		exec.take()
		req := httptest.NewRequest(http.MethodPost, "/v1/commands/"+url.PathEscape(name), bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if tok := fzTokens[int(who)%len(fzTokens)]; tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		if ifMatch != "" {
			req.Header["If-Match"] = []string{ifMatch}
		}
		if idemKey != "" {
			req.Header["Idempotency-Key"] = []string{idemKey}
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		calls := exec.take()

		if rec.Code >= 500 {
			t.Fatalf("POST /v1/commands/%q %q: %d %s", name, body, rec.Code, rec.Body.String())
		}
		if rec.Code == http.StatusCreated {
			if len(calls) != 1 {
				t.Fatalf("201 with %d executions", len(calls))
			}
		} else {
			if len(calls) != 0 {
				t.Fatalf("answered %d but executed %T", rec.Code, calls[0])
			}
			if ct := rec.Header().Get("Content-Type"); ct != ProblemContentType {
				t.Fatalf("answer %d with Content-Type %q: %s", rec.Code, ct, rec.Body.String())
			}
			var p Problem
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
				t.Fatalf("answer %d is not a problem: %v: %s", rec.Code, err, rec.Body.String())
			}
			if p.Status != rec.Code || p.Type != "about:blank" || p.Title == "" || !slices.Contains(fzCodes[rec.Code], p.Code) {
				t.Fatalf("problem %+v for status %d", p, rec.Code)
			}
			return
		}

		// Executed: the input was a valid command.
		cmd := calls[0]
		if cmd.CommandName() != name || !slices.Contains(domain.CommandNames, name) {
			t.Fatalf("POST /v1/commands/%q executed %s", name, cmd.CommandName())
		}
		if err := cmd.Validate(); err != nil {
			t.Fatalf("executed a command that does not validate: %v (body %q)", err, body)
		}
		trimmed := bytes.TrimSpace(body)
		if !json.Valid(trimmed) || trimmed[0] != '{' {
			t.Fatalf("executed a body that is not one JSON object: %q", body)
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(trimmed, &fields); err != nil {
			t.Fatalf("executed %q: %v", body, err)
		}
		known := jsonFieldNames(reflect.TypeOf(cmd))
		for k := range fields {
			if !known[k] {
				t.Fatalf("executed a body with field %q, not a field of %s", k, name)
			}
		}
		fresh, _ := domain.NewCommand(name)
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.DisallowUnknownFields()
		if err := dec.Decode(fresh); err != nil {
			t.Fatalf("executed a body that does not decode strictly: %v: %q", err, body)
		}
		if err := fresh.Validate(); err != nil {
			t.Fatalf("executed a body that does not validate: %v: %q", err, body)
		}
	})
}
