package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/ehelse/portfolio/audit"
	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/eventlog"
	"github.com/ehelse/portfolio/services"
	"github.com/ehelse/portfolio/services/wire"
)

// ---- tokens ----

const (
	tokSek   = "tok-sekretariat-0123456789"
	tokHSO   = "tok-hso-0123456789abcdef"
	tokKS    = "tok-ks-0123456789abcdef"
	tokAudit = "tok-riksrevisjonen-0123456"
	tokSub   = "tok-subscriber-0123456789"
	tokBad   = "tok-unknown-0123456789abc"

	orgHSO = "Helse Sør-Øst RHF"
)

func testAuth(t *testing.T) *services.Authenticator {
	t.Helper()
	a, err := services.NewAuthenticator([]services.TokenEntry{
		{Name: "sekretariat", Token: tokSek, Role: services.RoleSecretariat},
		{Name: "hso", Token: tokHSO, Role: services.RoleOwner, Org: orgHSO},
		{Name: "ks", TokenSHA256: services.HashToken(tokKS), Role: services.RoleOwner, Org: "KS"},
		{Name: "riksrevisjonen", Token: tokAudit, Role: services.RoleAuditor},
		{Name: "sub", Token: tokSub, Role: services.RoleSubscriber},
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// ---- executor ----

type execCall struct {
	principal services.Principal
	cmd       domain.Command
	opts      services.ExecOptions
}

type fakeExecutor struct {
	mu    sync.Mutex
	calls []execCall
	// do answers a call; nil: a successful result for the command.
	do func(ctx context.Context, p services.Principal, cmd domain.Command, opts services.ExecOptions) (services.CommandResult, error)
}

const (
	idInit    = "01JD0000000000000000000001"
	idMeeting = "01JD0000000000000000000002"
	idCase    = "01JD0000000000000000000003"
	idEvent   = "01JD0000000000000000000004"
	idMile    = "01JD0000000000000000000005"
)

func (f *fakeExecutor) Execute(ctx context.Context, p services.Principal, cmd domain.Command, opts services.ExecOptions) (services.CommandResult, error) {
	f.mu.Lock()
	f.calls = append(f.calls, execCall{p, cmd, opts})
	do := f.do
	n := len(f.calls)
	f.mu.Unlock()
	if do != nil {
		return do(ctx, p, cmd, opts)
	}
	return okResult(cmd, uint64(n)), nil
}

func (f *fakeExecutor) Calls() []execCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]execCall(nil), f.calls...)
}

// okResult is a plausible result for cmd.
func okResult(cmd domain.Command, n uint64) services.CommandResult {
	typ, id := "initiative", idInit
	switch c := cmd.(type) {
	case *domain.ProposeInitiative:
		if c.InitiativeID != "" {
			id = c.InitiativeID
		}
	case *domain.ScheduleMeeting, *domain.HoldMeeting:
		typ, id = "meeting", idMeeting
	case *domain.RegisterCase, *domain.PlaceCaseOnAgenda, *domain.NoteCase, *domain.DiscussCase,
		*domain.RecommendInCouncil, *domain.ApproveInCouncil, *domain.RejectInCouncil,
		*domain.DeferCase, *domain.CorrectDecision:
		typ, id = "case", idCase
	case *domain.DefineStrategicGoal, *domain.DefineSubGoal:
		typ, id = "strategy", domain.StrategyCatalogID
	}
	return services.CommandResult{
		AggregateType: typ, AggregateID: id, Version: 1, Position: 100 + n,
		Events: []services.EventRef{{ID: idEvent, Type: "SomethingHappened", Position: 100 + n}},
	}
}

// ---- queries ----

type fakeQueries struct {
	mu       sync.Mutex
	position uint64
	waits    []uint64
	moved    chan struct{} // closed and replaced when the position changes; nil until a WaitFor needs it
}

func (q *fakeQueries) Position() uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.position
}

// WaitFor waits, like the real read models, for the position to change:
// setPosition wakes it.
func (q *fakeQueries) WaitFor(ctx context.Context, pos uint64) error {
	q.mu.Lock()
	q.waits = append(q.waits, pos)
	q.mu.Unlock()
	for {
		q.mu.Lock()
		if q.position >= pos {
			q.mu.Unlock()
			return nil
		}
		if q.moved == nil {
			q.moved = make(chan struct{})
		}
		moved := q.moved
		q.mu.Unlock()
		select {
		case <-ctx.Done():
			return &domain.Error{Kind: domain.KindLagging, Message: "read models are behind", Err: ctx.Err()}
		case <-moved:
		}
	}
}

// waitsFor returns the positions WaitFor was called with.
func (q *fakeQueries) waitsFor() []uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return slices.Clone(q.waits)
}

func (q *fakeQueries) setPosition(p uint64) {
	q.mu.Lock()
	q.position = p
	if q.moved != nil {
		close(q.moved)
		q.moved = nil
	}
	q.mu.Unlock()
}

var (
	t0   = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	cost = int64(12_000_000)
)

func sampleStatus() *wire.StatusView {
	return &wire.StatusView{ReportDate: "2026-02-15", Overall: domain.Yellow, Schedule: domain.Green,
		Cost: domain.Green, Benefit: domain.Green, Comment: "Litt forsinket", ReportedAt: t0, ReportedBy: "hso",
		EventID: idEvent, Position: 40}
}

func sampleSummary() wire.InitiativeSummary {
	return wire.InitiativeSummary{
		InitiativeID: idInit, Title: "Digital hjemmeoppfølging", Owner: orgHSO,
		Phase: domain.PhaseExecution, State: domain.LifecycleInPortfolio, PrimaryGoal: "M1", PrimarySubGoal: "1A",
		SubGoals: []string{"2A"}, UserGroups: []string{"innbyggere"}, PlannedStart: "2024-01-01", PlannedEnd: "2027-12-31",
		EstimatedCostNOK: &cost, LatestStatus: sampleStatus(), LastUpdated: t0, Version: 7,
	}
}

func sampleMilestone() wire.MilestoneView {
	return wire.MilestoneView{MilestoneID: idMile, Title: "Spredning til 19 helsefellesskap",
		Status: domain.MilestoneSlippedStatus, PlannedDate: "2026-09-01", OriginalPlannedDate: "2026-06-01", Slips: 1}
}

func (q *fakeQueries) Strategy() (wire.StrategyView, error) {
	return wire.StrategyView{Strategies: []wire.StrategyPeriod{{
		Strategy: "2023-2030",
		Goals: []wire.GoalView{{GoalID: "M1", Strategy: "2023-2030", Title: "Aktiv medvirkning i egen og næres helse",
			SubGoals: []wire.SubGoalView{{SubGoalID: "1A", GoalID: "M1", Strategy: "2023-2030", Title: "Innbygger skal ha mulighet for å administrere behandlingsforløp"}}}},
	}}}, nil
}

func (q *fakeQueries) Initiatives(f wire.InitiativeFilter) ([]wire.InitiativeSummary, error) {
	if f.Owner == "nobody" {
		return []wire.InitiativeSummary{}, nil
	}
	return []wire.InitiativeSummary{sampleSummary()}, nil
}

func (q *fakeQueries) Initiative(id string) (wire.InitiativeDetail, error) {
	if id != idInit {
		return wire.InitiativeDetail{}, domain.Errorf(domain.KindNotFound, "no initiative %s", id)
	}
	return wire.InitiativeDetail{
		InitiativeSummary: sampleSummary(),
		Description:       "Spredning av digital hjemmeoppfølging",
		ProposedAt:        t0.Add(-1000 * time.Hour),
		Milestones:        []wire.MilestoneView{sampleMilestone()},
		StatusHistory:     []wire.StatusView{*sampleStatus()},
		History: []wire.LifecycleChange{{Event: "InitiativeAdmitted", State: domain.LifecycleInPortfolio,
			Phase: domain.PhaseConcept, CaseID: idCase, Meeting: idMeeting, At: t0, EventID: idEvent, Position: 20}},
		Cases: []wire.InitiativeCase{{CaseID: idCase, Forum: domain.NUIT, Title: "Opptak", CaseType: domain.CaseApproval,
			Purpose: domain.PurposeAdmission, CaseNumbers: []string{"15/26"}, LastOutcome: domain.OutcomeApproved, LastForum: domain.EHR}},
		Position: 42,
	}, nil
}

// InitiativeAt answers the fake initiative at the last event's version.
func (q *fakeQueries) InitiativeAt(id string, events []domain.Recorded, asOf time.Time) (wire.InitiativeDetail, error) {
	d, err := q.Initiative(id)
	if err != nil || len(events) == 0 {
		return wire.InitiativeDetail{}, domain.Errorf(domain.KindNotFound, "no initiative %s", id)
	}
	d.Version = events[len(events)-1].Version
	return d, nil
}

func (q *fakeQueries) Roadmap(f wire.RoadmapFilter) (wire.RoadmapView, error) {
	s := sampleSummary()
	return wire.RoadmapView{Goals: []wire.RoadmapGoal{{GoalID: "M1", Strategy: "2023-2030", Title: "Aktiv medvirkning",
		SubGoals: []wire.RoadmapSubGoal{{SubGoalID: "1A", Title: "Helsenorge", Initiatives: []wire.RoadmapInitiative{{
			InitiativeID: s.InitiativeID, Title: s.Title, Owner: s.Owner, Phase: s.Phase, State: s.State, Primary: true,
			PlannedStart: s.PlannedStart, PlannedEnd: s.PlannedEnd, UserGroups: s.UserGroups,
			Milestones: []wire.MilestoneView{sampleMilestone()}, LatestRAG: domain.Yellow, LatestStatus: sampleStatus(),
		}}}, {SubGoalID: "1B", Title: "Tom", Initiatives: []wire.RoadmapInitiative{}}}}}}, nil
}

func sampleMeeting() wire.MeetingSummary {
	return wire.MeetingSummary{MeetingID: idMeeting, Forum: domain.EHR, Date: "2026-03-01", Year: 2026, Number: 1,
		Label: "1/2026", Held: true, AgendaItems: 1}
}

func (q *fakeQueries) Meetings(forum string, year int) ([]wire.MeetingSummary, error) {
	return []wire.MeetingSummary{sampleMeeting()}, nil
}

func (q *fakeQueries) Meeting(id string) (wire.MeetingDetail, error) {
	if id != idMeeting {
		return wire.MeetingDetail{}, domain.Errorf(domain.KindNotFound, "no meeting %s", id)
	}
	held := t0
	return wire.MeetingDetail{MeetingSummary: sampleMeeting(), HeldAt: &held, Agenda: []wire.AgendaItem{{
		CaseID: idCase, CaseNumber: "3/26", Number: 3, CaseType: domain.CaseApproval, Purpose: domain.PurposeAdmission,
		Title: "Opptak av DHO", InitiativeID: idInit, ProposedResolution: "EHR gir sin tilslutning", ArchiveRef: "22/414-1",
		RegisteredForum: domain.NUIT, Outcomes: []wire.OutcomeView{{Outcome: domain.OutcomeApproved,
			Resolution: "Tilslutning", EventID: idEvent, Position: 30, RecordedAt: t0}},
	}}}, nil
}

func (q *fakeQueries) Case(id string) (wire.CaseDetail, error) {
	if id != idCase {
		return wire.CaseDetail{}, domain.Errorf(domain.KindNotFound, "no case %s", id)
	}
	return wire.CaseDetail{CaseID: idCase, Forum: domain.NUIT, Title: "Opptak av DHO", CaseType: domain.CaseApproval,
		Purpose: domain.PurposeAdmission, InitiativeID: idInit, ProposedResolution: "Tilslutning", RegisteredAt: t0,
		Status: domain.OutcomeApproved, Path: []wire.CaseStep{{Kind: "placed", Forum: domain.NUIT, MeetingID: idMeeting,
			MeetingLabel: "1/2026", MeetingDate: "2026-03-01", CaseNumber: "3/26", EventID: idEvent, Position: 25, RecordedAt: t0}},
		Corrections: []wire.CorrectionView{}, Version: 4}, nil
}

func (q *fakeQueries) Decisions(f wire.DecisionFilter) ([]wire.DecisionEntry, error) {
	return []wire.DecisionEntry{{
		EventID: idEvent, Position: 30, Forum: domain.EHR, MeetingID: idMeeting, MeetingLabel: "1/2026", MeetingDate: "2026-03-01",
		CaseID: idCase, CaseNumber: "3/26", CaseTitle: "Opptak av DHO, \"fase 2\"", CaseType: domain.CaseApproval,
		Purpose: domain.PurposeAdmission, InitiativeID: idInit, Outcome: domain.OutcomeApproved,
		Resolution: "=HYPERLINK(\"x\")", RecordedAt: t0,
		Corrections: []wire.CorrectionView{{EventID: idMile, CorrectsEventID: idEvent, Reason: "skrivefeil",
			Resolution: "Tilslutning, rettet", Position: 31, RecordedAt: t0}},
	}}, nil
}

// ---- history ----

type fakeHistory struct {
	mu      sync.Mutex
	atCalls []struct {
		asOf      *time.Time
		atVersion *uint64
	}
}

func record(pos uint64, typ, aggType, aggID string, version uint64, data string) eventlog.Record {
	raw := `{"specversion":"1.0","id":"` + idEvent + `","type":"no.ehelse.portfolio.` + typ + `.v1","data":` + data + `}`
	return eventlog.Record{Position: pos, Subject: "portfolio.events." + aggType + "." + aggID + "." + typ,
		ID: idEvent, Type: typ, SchemaVersion: 1, AggregateType: aggType, AggregateID: aggID, Version: version,
		Time: t0, Actor: "hso", CausationID: idMile, CorrelationID: "corr-1", Data: json.RawMessage(data), Raw: []byte(raw)}
}

func (h *fakeHistory) InitiativeUntil(ctx context.Context, id string, asOf *time.Time, atVersion *uint64) ([]domain.Recorded, error) {
	h.mu.Lock()
	h.atCalls = append(h.atCalls, struct {
		asOf      *time.Time
		atVersion *uint64
	}{asOf, atVersion})
	h.mu.Unlock()
	if id != idInit || (asOf != nil && asOf.Before(t0)) {
		return nil, domain.Errorf(domain.KindNotFound, "initiative %s did not exist then", id)
	}
	v := uint64(3)
	if atVersion != nil {
		v = *atVersion
	}
	events := []domain.Recorded{{ID: idEvent, Version: 1, Position: 10, Time: t0, Actor: "hso",
		Event: domain.InitiativeProposed{InitiativeID: idInit, Title: "DHO", Owner: orgHSO}}}
	for n := uint64(2); n <= v; n++ {
		events = append(events, domain.Recorded{ID: idEvent, Version: n, Position: 10 + n, Time: t0, Actor: "hso",
			Event: domain.StatusReported{InitiativeID: idInit, Overall: domain.Green}})
	}
	return events, nil
}

func (h *fakeHistory) Events(ctx context.Context, aggType, id string) ([]eventlog.Record, error) {
	switch {
	case aggType == "initiative" && id == idInit:
		return []eventlog.Record{
			record(10, "InitiativeProposed", "initiative", idInit, 1, `{"initiativeId":"`+idInit+`","owner":"`+orgHSO+`"}`),
			record(12, "StatusReported", "initiative", idInit, 2, `{"initiativeId":"`+idInit+`","overall":"green"}`),
		}, nil
	case aggType == "case" && id == idCase:
		return []eventlog.Record{record(11, "CaseRegistered", "case", idCase, 1, `{"caseId":"`+idCase+`"}`)}, nil
	}
	return nil, domain.Errorf(domain.KindNotFound, "no %s %s", aggType, id)
}

// InitiativeEvents is Events with the real read authorization; the
// fake initiative is owned by orgHSO.
func (h *fakeHistory) InitiativeEvents(ctx context.Context, p services.Principal, id string) ([]eventlog.Record, error) {
	recs, err := h.Events(ctx, "initiative", id)
	if err != nil {
		return nil, err
	}
	if err := services.AuthorizeRead(p, services.ReadInitiativeHistory, orgHSO); err != nil {
		return nil, err
	}
	return recs, nil
}

func (h *fakeHistory) AuditEvents(ctx context.Context, after uint64, limit int) ([]eventlog.Record, error) {
	var out []eventlog.Record
	for p := after + 1; p <= 25 && len(out) < limit; p++ {
		out = append(out, record(p, "StatusReported", "initiative", idInit, p, `{"n":1}`))
	}
	return out, nil
}

// ---- the server under test ----

type harness struct {
	t       *testing.T
	srv     *Server
	h       http.Handler
	exec    *fakeExecutor
	queries *fakeQueries
	history *fakeHistory
	logs    *syncBuffer
	router  routers.Router
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var (
	specOnce   sync.Once
	specRouter routers.Router
	specErr    error
)

// openAPIRouter loads and validates openapi.yaml once.
func openAPIRouter(t *testing.T) routers.Router {
	t.Helper()
	specOnce.Do(func() {
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(OpenAPI)
		if err != nil {
			specErr = err
			return
		}
		if err := doc.Validate(context.Background()); err != nil {
			specErr = err
			return
		}
		specRouter, specErr = gorillamux.NewRouter(doc)
	})
	if specErr != nil {
		t.Fatalf("openapi.yaml: %v", specErr)
	}
	return specRouter
}

func newHarness(t *testing.T, mod func(*Config)) *harness {
	t.Helper()
	h := &harness{t: t, exec: &fakeExecutor{}, queries: &fakeQueries{position: 50}, history: &fakeHistory{},
		logs: &syncBuffer{}, router: openAPIRouter(t)}
	cfg := Config{
		Logger:   slog.New(slog.NewJSONHandler(h.logs, nil)),
		Auth:     testAuth(t),
		Executor: h.exec,
		Queries:  h.queries,
		History:  h.history,
		Verify: func(ctx context.Context, req services.VerifyRequest) (services.VerifyResult, error) {
			bad := uint64(17)
			return services.VerifyResult{Result: audit.Result{OK: false, Events: 25, Head: "sha256:abc", FirstBad: &bad}}, nil
		},
		LagTimeout: 150 * time.Millisecond,
	}
	if mod != nil {
		mod(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.srv, h.h = srv, srv.Handler()
	return h
}

type reqOpt func(*http.Request)

func bearer(tok string) reqOpt {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
}

func header(k, v string) reqOpt { return func(r *http.Request) { r.Header.Set(k, v) } }

// do serves one request and validates the response against openapi.yaml.
func (h *harness) do(method, target, body string, opts ...reqOpt) *httptest.ResponseRecorder {
	h.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, o := range opts {
		o(req)
	}
	rec := httptest.NewRecorder()
	h.h.ServeHTTP(rec, req)
	h.validate(req, body, rec)
	return rec
}

// validate checks a response against the OpenAPI document: the route and
// method exist, the status is documented, and headers and body match.
func (h *harness) validate(req *http.Request, body string, rec *httptest.ResponseRecorder) {
	h.t.Helper()
	if err := h.validateErr(req, body, rec); err != nil {
		h.t.Errorf("%s %s: response %d does not match openapi.yaml: %v\nbody: %s", req.Method, req.URL, rec.Code, err, rec.Body.String())
	}
}

func (h *harness) validateErr(req *http.Request, body string, rec *httptest.ResponseRecorder) error {
	vreq := httptest.NewRequest(req.Method, req.URL.String(), strings.NewReader(body))
	vreq.Header = req.Header.Clone()
	route, params, err := h.router.FindRoute(vreq)
	if err != nil {
		// Routes the API does not have: the answer must still be a problem.
		if ct := rec.Header().Get("Content-Type"); ct != ProblemContentType {
			return fmt.Errorf("no route in openapi.yaml (%v) and the answer is %q", err, ct)
		}
		return nil
	}
	opts := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true,
		AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}
	in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route, Options: opts}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: rec.Code,
		Header: rec.Header(), Options: opts}
	out.SetBodyBytes(rec.Body.Bytes())
	return openapi3filter.ValidateResponse(context.Background(), out)
}

// problem decodes a problem response and checks its status and code.
func (h *harness) problem(rec *httptest.ResponseRecorder, status int, code string) Problem {
	h.t.Helper()
	var p Problem
	if ct := rec.Header().Get("Content-Type"); ct != ProblemContentType {
		h.t.Errorf("Content-Type %q, want %s (status %d, body %s)", ct, ProblemContentType, rec.Code, rec.Body.String())
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		h.t.Fatalf("not a problem: %v: %s", err, rec.Body.String())
	}
	if rec.Code != status || p.Status != status || p.Code != code {
		h.t.Errorf("got %d %s (problem status %d), want %d %s: %s", rec.Code, p.Code, p.Status, status, code, rec.Body.String())
	}
	if p.Type != "about:blank" || p.Title == "" {
		h.t.Errorf("problem type/title: %+v", p)
	}
	return p
}
