package daemon_test

// Helpers of the end-to-end contract tests (e2e_test.go): a real server
// started in-process on 127.0.0.1:0, an HTTP client whose transport checks
// every request/response pair against the OpenAPI document the server
// serves, and small builders for the commands the tests give.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/oklog/ulid/v2"

	"github.com/ehelse/portfolio/internal/daemon"
)

// Organisations of the owner tokens GenerateTokenFile writes.
const (
	orgHSO = "Helse Sør-Øst RHF"
	orgKS  = "KS"
)

// Token names of the generated token file.
const (
	tokSek   = "sekretariat"
	tokHSO   = "hso"
	tokKS    = "ks"
	tokAudit = "riksrevisjonen"
	tokSub   = "subscriber"
	anon     = "" // no Authorization header
)

const problemJSON = "application/problem+json"

// ---- the server ----

// e2e is one running server with its client.
type e2e struct {
	t    *testing.T
	dir  string
	d    *daemon.Daemon
	base string
	hc   *http.Client
	oa   *openAPICheck

	mu   sync.Mutex
	head uint64 // last audit position seen (a cache for headPosition)
}

// startE2E starts a server on a fresh data directory. It is closed when
// the test ends; the OpenAPI failures of all its traffic are reported then.
func startE2E(t *testing.T) *e2e {
	t.Helper()
	e := &e2e{t: t, dir: t.TempDir()}
	e.start()
	t.Cleanup(func() {
		e.stop()
		e.oa.report(t)
	})
	return e
}

func logger() *slog.Logger {
	if os.Getenv("E2E_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func (e *e2e) start() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	d, err := daemon.Start(ctx, daemon.Config{
		DataDir: e.dir, HTTPAddr: "127.0.0.1:0", OpsAddr: "127.0.0.1:0", NATSListen: "", Demo: false, SyncAlways: true,
		Logger: logger(), Out: io.Discard,
	})
	if err != nil {
		e.t.Fatalf("daemon.Start: %v", err)
	}
	e.d, e.base = d, d.URL()
	if e.oa == nil {
		e.oa = newOpenAPICheck(e.t, e.base)
	}
	tr := &http.Transport{MaxIdleConns: 100, MaxIdleConnsPerHost: 100, IdleConnTimeout: 30 * time.Second}
	e.hc = &http.Client{Transport: &validatingTransport{next: tr, check: e.oa}, Timeout: 60 * time.Second}
}

func (e *e2e) stop() {
	if e.d == nil {
		return
	}
	if t, ok := e.hc.Transport.(*validatingTransport); ok {
		t.next.(*http.Transport).CloseIdleConnections()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.d.Close(ctx); err != nil {
		e.t.Errorf("daemon.Close: %v", err)
	}
	e.d = nil
}

// restart closes the server and starts it again on the same data
// directory (and so the same token file).
func (e *e2e) restart() {
	e.t.Helper()
	e.stop()
	e.start()
}

// tok returns the plaintext token of a token file entry ("" is anonymous).
func (e *e2e) tok(name string) string {
	if name == anon {
		return ""
	}
	tk := e.d.Token(name)
	if tk == "" {
		e.t.Fatalf("the token file has no token %q", name)
	}
	return tk
}

// ---- requests ----

// resp is a response read to its end.
type resp struct {
	req    string // "METHOD path", for messages
	status int
	header http.Header
	body   []byte
	err    error
}

func (r *resp) String() string {
	if r.err != nil {
		return fmt.Sprintf("%s: %v", r.req, r.err)
	}
	b := r.body
	if len(b) > 600 {
		b = append(b[:600:600], "…"...)
	}
	return fmt.Sprintf("%s → %d %s", r.req, r.status, b)
}

func (r *resp) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("%s: decoding the body: %v", r, err)
	}
}

// hdr is a request header, name then value.
type hdr [2]string

// do sends a request. body may be nil, []byte, string (raw) or a value to
// encode as JSON; a bodyReader is sent as is (chunked). It never calls
// t.Fatal, so it may run in goroutines.
func (e *e2e) do(method, path, token string, body any, headers ...hdr) *resp {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	case bodyReader:
		rd = b.Reader
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			return &resp{req: method + " " + path, err: err}
		}
		rd = bytes.NewReader(raw)
	}
	r := &resp{req: method + " " + path}
	req, err := http.NewRequest(method, e.base+path, rd)
	if err != nil {
		r.err = err
		return r
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for _, h := range headers {
		req.Header.Add(h[0], h[1])
	}
	res, err := e.hc.Do(req)
	if err != nil {
		r.err = err
		return r
	}
	defer res.Body.Close()
	r.status, r.header = res.StatusCode, res.Header
	r.body, r.err = io.ReadAll(res.Body)
	return r
}

// bodyReader sends its reader without a length (chunked).
type bodyReader struct{ io.Reader }

// cmd gives a command as principal who (a token file entry name, or anon).
func (e *e2e) cmd(who, name string, body any, headers ...hdr) *resp {
	return e.do(http.MethodPost, "/v1/commands/"+name, e.tokOrEmpty(who), body, headers...)
}

func (e *e2e) tokOrEmpty(who string) string {
	if who == anon {
		return ""
	}
	return e.d.Token(who)
}

// get queries as principal who.
func (e *e2e) get(who, path string, headers ...hdr) *resp {
	return e.do(http.MethodGet, path, e.tokOrEmpty(who), nil, headers...)
}

// getOK queries and decodes a 200 answer into v.
func (e *e2e) getOK(who, path string, v any) *resp {
	e.t.Helper()
	r := e.get(who, path)
	if r.err != nil || r.status != http.StatusOK {
		e.t.Fatalf("want 200: %s", r)
	}
	if v != nil {
		r.json(e.t, v)
	}
	return r
}

// cmdResult is the 201 body of an accepted command.
type cmdResult struct {
	AggregateType string     `json:"aggregateType"`
	AggregateID   string     `json:"aggregateId"`
	Version       uint64     `json:"version"`
	Position      uint64     `json:"position"`
	Events        []eventRef `json:"events"`
}

type eventRef struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Position uint64 `json:"position"`
}

func (c cmdResult) types() []string {
	out := make([]string, len(c.Events))
	for i, ev := range c.Events {
		out[i] = ev.Type
	}
	return out
}

// ok gives a command that must be accepted (201) and returns its result,
// checked against the contract's shape.
func (e *e2e) ok(who, name string, body any, headers ...hdr) cmdResult {
	e.t.Helper()
	r := e.cmd(who, name, body, headers...)
	if r.err != nil || r.status != http.StatusCreated {
		e.t.Fatalf("%s as %s: want 201: %s", name, who, r)
	}
	return checkCmdResult(e.t, r)
}

// checkCmdResult checks a 201 (or replayed 200) body against the contract:
// aggregateType, aggregateId, version ≥ 1, position = the last event's,
// events [{id, type, position}] in increasing positions.
func checkCmdResult(t testing.TB, r *resp) cmdResult {
	t.Helper()
	var c cmdResult
	if err := json.Unmarshal(r.body, &c); err != nil {
		t.Fatalf("%s: %v", r, err)
	}
	var raw map[string]json.RawMessage
	_ = json.Unmarshal(r.body, &raw)
	for _, k := range []string{"aggregateType", "aggregateId", "version", "position", "events"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("%s: the command result has no %q", r, k)
		}
	}
	switch c.AggregateType {
	case "strategy", "initiative", "meeting", "case", "indicator", "round", "dependency", "consultation":
	default:
		t.Errorf("%s: aggregateType %q", r, c.AggregateType)
	}
	if c.AggregateID == "" || c.Version < 1 || c.Position < 1 || len(c.Events) == 0 {
		t.Errorf("%s: incomplete command result %+v", r, c)
	}
	var last uint64
	for _, ev := range c.Events {
		if ev.ID == "" || ev.Type == "" || ev.Position <= last {
			t.Errorf("%s: event %+v (positions must increase)", r, ev)
		}
		last = ev.Position
	}
	if last != c.Position {
		t.Errorf("%s: position %d is not the last event's (%d)", r, c.Position, last)
	}
	if ct := mediaType(r.header.Get("Content-Type")); ct != "application/json" {
		t.Errorf("%s: Content-Type %q", r, ct)
	}
	return c
}

// problem is the RFC 9457 body of an error.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Code   string `json:"code"`
	Detail string `json:"detail"`
	Errors []struct {
		Field  string `json:"field"`
		Detail string `json:"detail"`
	} `json:"errors"`
}

func (p problem) fields() []string {
	out := make([]string, len(p.Errors))
	for i, f := range p.Errors {
		out[i] = f.Field
	}
	return out
}

// expectProblem checks an error answer: the status, Content-Type
// application/problem+json and the contract's fields (type, title, status
// equal to the HTTP status, code).
func expectProblem(t testing.TB, r *resp, status int, code string) problem {
	t.Helper()
	var p problem
	if r.err != nil {
		t.Errorf("want %d %s: %v", status, code, r.err)
		return p
	}
	if r.status != status {
		t.Errorf("want %d %s, got %s", status, code, r)
		return p
	}
	if ct := mediaType(r.header.Get("Content-Type")); ct != problemJSON {
		t.Errorf("%s: Content-Type %q, want %s", r, ct, problemJSON)
	}
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Errorf("%s: not a problem document: %v", r, err)
		return p
	}
	if p.Type == "" || p.Title == "" || p.Status != status || p.Code != code {
		t.Errorf("%s: problem %+v, want status %d code %s with type and title", r, p, status, code)
	}
	return p
}

func mediaType(ct string) string {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return ct
	}
	return mt
}

// ---- the event log, as the auditor sees it ----

type auditEvent struct {
	Position      uint64          `json:"position"`
	ID            string          `json:"id"`
	Type          string          `json:"type"`
	AggregateType string          `json:"aggregateType"`
	AggregateID   string          `json:"aggregateId"`
	Version       uint64          `json:"version"`
	Time          time.Time       `json:"time"`
	Actor         string          `json:"actor"`
	CausationID   string          `json:"causationId"`
	Data          json.RawMessage `json:"data"`
}

// auditAfter returns every event after position after
// (GET /v1/audit/events, paged).
func (e *e2e) auditAfter(after uint64) []auditEvent {
	e.t.Helper()
	var out []auditEvent
	for {
		var page struct {
			Events []auditEvent `json:"events"`
			Next   uint64       `json:"next"`
		}
		e.getOK(tokAudit, fmt.Sprintf("/v1/audit/events?after=%d&limit=1000", after), &page)
		out = append(out, page.Events...)
		if len(page.Events) < 1000 {
			return out
		}
		after = page.Next
	}
}

// headPosition is the position of the last event in the log, read
// through the audit endpoint.
func (e *e2e) headPosition() uint64 {
	e.t.Helper()
	e.mu.Lock()
	h := e.head
	e.mu.Unlock()
	evs := e.auditAfter(h)
	if n := len(evs); n > 0 {
		h = evs[n-1].Position
	}
	e.mu.Lock()
	e.head = h
	e.mu.Unlock()
	return h
}

// noWrite runs f and fails unless the event log is unchanged after it.
func (e *e2e) noWrite(what string, f func()) {
	e.t.Helper()
	before := e.headPosition()
	f()
	if evs := e.auditAfter(before); len(evs) > 0 {
		var types []string
		for _, ev := range evs {
			types = append(types, ev.Type)
		}
		e.t.Errorf("%s: a refused request wrote %d events: %v", what, len(evs), types)
		e.headPosition()
	}
}

// ---- builders ----

func newULID() string { return ulid.MustNew(ulid.Now(), rand.Reader).String() }

type obj = map[string]any

// defineStrategy defines the goals and sub-goals the tests use (strategy
// 2023–2030; 1A is the real sub-goal, the others are illustrative).
func (e *e2e) defineStrategy() cmdResult {
	e.t.Helper()
	e.ok(tokSek, "DefineStrategicGoal", obj{"goalId": "M1", "strategy": "2023-2030", "title": "Aktiv medvirkning i egen og næres helse"})
	e.ok(tokSek, "DefineStrategicGoal", obj{"goalId": "M2", "strategy": "2023-2030", "title": "Enklere arbeidshverdag"})
	e.ok(tokSek, "DefineSubGoal", obj{"subGoalId": "1A", "goalId": "M1",
		"title": "Innbygger skal ha mulighet for å administrere behandlingsforløp, digital dialog og innsynstjenester gjennom Helsenorge"})
	e.ok(tokSek, "DefineSubGoal", obj{"subGoalId": "1B", "goalId": "M1", "title": "Illustrativt delmål 1B (demo)"})
	return e.ok(tokSek, "DefineSubGoal", obj{"subGoalId": "2A", "goalId": "M2", "title": "Illustrativt delmål 2A (demo)"})
}

// proposal is a valid ProposeInitiative body owned by org.
func proposal(org, title string) obj {
	return obj{
		"title": title, "description": "Beskrivelse av " + title, "owner": org,
		"primarySubGoal": "1A", "userGroups": []string{"innbyggere"},
		"plannedStart": "2026-01-01", "plannedEnd": "2028-12-31",
	}
}

// propose proposes an initiative as who and returns its id.
func (e *e2e) propose(who string, body obj) string {
	e.t.Helper()
	return e.ok(who, "ProposeInitiative", body).AggregateID
}

// meeting schedules a meeting and returns its id.
func (e *e2e) meeting(forum, date string) string {
	e.t.Helper()
	return e.ok(tokSek, "ScheduleMeeting", obj{"forum": forum, "date": date}).AggregateID
}

func (e *e2e) hold(meetingID string) {
	e.t.Helper()
	e.ok(tokSek, "HoldMeeting", obj{"meetingId": meetingID})
}

func (e *e2e) place(caseID, meetingID string) cmdResult {
	e.t.Helper()
	return e.ok(tokSek, "PlaceCaseOnAgenda", obj{"caseId": caseID, "meetingId": meetingID})
}

// registerCase registers a case and returns its id.
func (e *e2e) registerCase(body obj) string {
	e.t.Helper()
	return e.ok(tokSek, "RegisterCase", body).AggregateID
}

// admitted is an initiative admitted by admit: the approval's result,
// the admission case and the NUIT and EHR meetings.
type admitted struct {
	res               cmdResult
	caseID, nuit, ehr string
}

// admit takes a proposed initiative through NUIT's recommendation and
// EHR's approval (an admission case, meetings on date).
func (e *e2e) admit(initiativeID, date string) admitted {
	e.t.Helper()
	c := e.registerCase(obj{"forum": "NUIT", "title": "Opptak i porteføljen", "caseType": "approval",
		"purpose": "admission", "initiativeId": initiativeID, "proposedResolution": "Tiltaket tas inn i porteføljen."})
	nuit := e.meeting("NUIT", date)
	e.place(c, nuit)
	e.hold(nuit)
	e.ok(tokSek, "RecommendInCouncil", obj{"caseId": c, "meetingId": nuit, "resolution": "NUIT anbefaler opptak."})
	ehr := e.meeting("EHR", date)
	e.place(c, ehr)
	e.hold(ehr)
	res := e.ok(tokSek, "ApproveInCouncil", obj{"caseId": c, "meetingId": ehr, "resolution": "E-helserådet gir sin tilslutning."})
	return admitted{res: res, caseID: c, nuit: nuit, ehr: ehr}
}

// initiative reads GET /v1/initiatives/{id} once the read models have
// applied minPos.
func (e *e2e) initiative(who, id string, minPos uint64) (initiativeDetail, *resp) {
	e.t.Helper()
	var d initiativeDetail
	r := e.getOK(who, "/v1/initiatives/"+id+"?minPosition="+strconv.FormatUint(minPos, 10), &d)
	return d, r
}

type initiativeDetail struct {
	InitiativeID   string   `json:"initiativeId"`
	Title          string   `json:"title"`
	Owner          string   `json:"owner"`
	Phase          string   `json:"phase"`
	State          string   `json:"state"`
	PrimaryGoal    string   `json:"primaryGoal"`
	PrimarySubGoal string   `json:"primarySubGoal"`
	SubGoals       []string `json:"subGoals"`
	UserGroups     []string `json:"userGroups"`
	Version        uint64   `json:"version"`
	Position       uint64   `json:"position"`
	LatestStatus   *struct {
		Overall string `json:"overall"`
		Comment string `json:"comment"`
	} `json:"latestStatus"`
	Milestones []struct {
		MilestoneID         string `json:"milestoneId"`
		Title               string `json:"title"`
		Status              string `json:"status"`
		PlannedDate         string `json:"plannedDate"`
		OriginalPlannedDate string `json:"originalPlannedDate"`
		AchievedDate        string `json:"achievedDate"`
		Slips               int    `json:"slips"`
	} `json:"milestones"`
}

func q(s string) string { return url.QueryEscape(s) }

// ---- OpenAPI validation of every response ----

// openAPICheck validates responses against the OpenAPI document served by
// the server at /openapi.yaml, and the contract's cross-cutting rules:
// every error is application/problem+json, every successful query answer
// carries X-Position.
type openAPICheck struct {
	router routers.Router

	mu         sync.Mutex
	failures   []string
	checked    int
	reqChecked int
}

var (
	specMu      sync.Mutex
	specRouters = map[[32]byte]routers.Router{}
)

func newOpenAPICheck(t *testing.T, base string) *openAPICheck {
	t.Helper()
	res, err := http.Get(base + "/openapi.yaml")
	if err != nil {
		t.Fatalf("GET /openapi.yaml: %v", err)
	}
	data, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET /openapi.yaml: %d %v", res.StatusCode, err)
	}
	sum := sha256.Sum256(data)
	specMu.Lock()
	defer specMu.Unlock()
	if r, ok := specRouters[sum]; ok {
		return &openAPICheck{router: r}
	}
	doc, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		t.Fatalf("/openapi.yaml does not load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("/openapi.yaml is not valid: %v", err)
	}
	r, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatalf("/openapi.yaml: router: %v", err)
	}
	specRouters[sum] = r
	return &openAPICheck{router: r}
}

func (c *openAPICheck) fail(format string, args ...any) {
	c.mu.Lock()
	c.failures = append(c.failures, fmt.Sprintf(format, args...))
	c.mu.Unlock()
}

func (c *openAPICheck) report(t *testing.T) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t.Logf("%d responses (and the %d requests they accepted) checked against /openapi.yaml", c.checked, c.reqChecked)
	if len(c.failures) > 0 {
		t.Errorf("%d of %d responses break /openapi.yaml or the contract:\n  %s",
			len(c.failures), c.checked, strings.Join(c.failures, "\n  "))
	}
}

// check validates one response (its body already read into body) and,
// when the server accepted the request (2xx) and its body is known, the
// request too: what the server accepts, the document must allow.
func (c *openAPICheck) check(req *http.Request, reqBody []byte, res *http.Response, body []byte) {
	c.mu.Lock()
	c.checked++
	c.mu.Unlock()
	what := req.Method + " " + req.URL.RequestURI()
	short := string(body)
	if len(short) > 300 {
		short = short[:300] + "…"
	}
	ct := mediaType(res.Header.Get("Content-Type"))
	if res.StatusCode >= 400 && ct != problemJSON {
		c.fail("%s → %d: error with Content-Type %q, want %s", what, res.StatusCode, ct, problemJSON)
	}
	isQuery := req.Method == http.MethodGet && strings.HasPrefix(req.URL.Path, "/v1/")
	if isQuery && res.StatusCode < 400 && res.Header.Get("X-Position") == "" {
		c.fail("%s → %d: query answer without X-Position", what, res.StatusCode)
	}

	vreq := req.Clone(context.Background())
	vreq.Body = http.NoBody
	vreq.ContentLength = 0
	route, params, err := c.router.FindRoute(vreq)
	if err != nil {
		// Not in the document (e.g. an unknown path): the answer must be a problem.
		if res.StatusCode < 400 {
			c.fail("%s → %d: no route in /openapi.yaml (%v)", what, res.StatusCode, err)
		}
		return
	}
	opts := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true,
		AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}
	in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route, Options: opts}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.StatusCode,
		Header: res.Header, Options: opts}
	out.SetBodyBytes(body)
	if res.StatusCode < 300 && (reqBody != nil || req.Body == nil || req.Body == http.NoBody) {
		rreq := req.Clone(context.Background())
		rreq.Body = io.NopCloser(bytes.NewReader(reqBody))
		rreq.ContentLength = int64(len(reqBody))
		rin := &openapi3filter.RequestValidationInput{Request: rreq, PathParams: params, Route: route, Options: opts}
		c.mu.Lock()
		c.reqChecked++
		c.mu.Unlock()
		if err := openapi3filter.ValidateRequest(context.Background(), rin); err != nil {
			msg := strings.ReplaceAll(err.Error(), "\n", " | ")
			if len(msg) > 700 {
				msg = msg[:700] + "…"
			}
			c.fail("%s → %d: the server accepted a request /openapi.yaml does not allow: %s", what, res.StatusCode, msg)
		}
	}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		msg := strings.ReplaceAll(err.Error(), "\n", " | ")
		if len(msg) > 700 {
			msg = msg[:700] + "…"
		}
		c.fail("%s → %d: %s\n    body: %s", what, res.StatusCode, msg, short)
	}
}

// validatingTransport checks every response with an openAPICheck.
type validatingTransport struct {
	next  http.RoundTripper
	check *openAPICheck
}

func (v *validatingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.GetBody != nil && req.ContentLength <= 2<<20 {
		if rc, err := req.GetBody(); err == nil {
			reqBody, _ = io.ReadAll(rc)
			rc.Close()
		}
	}
	res, err := v.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	res.Body = io.NopCloser(bytes.NewReader(body))
	v.check.check(req, reqBody, res, body)
	return res, nil
}

// step runs one step of a story as a subtest, with e's helpers reporting
// to it. A step that stops (t.Fatal) stops the story: the later steps
// build on what it would have made. A step that only reports errors lets
// the story go on, so one run shows every broken step.
func (e *e2e) step(name string, f func(t *testing.T)) {
	parent := e.t
	parent.Helper()
	completed := false
	parent.Run(name, func(t *testing.T) {
		e.t = t
		defer func() { e.t = parent }()
		f(t)
		completed = true
	})
	if !completed {
		parent.FailNow()
	}
}

// eventually polls cond until it holds, for conditions only visible from
// outside the server (a readiness probe, a gauge); it fails the test after
// 10 s. Anything the test can wait on instead it waits on.
func (e *e2e) eventually(what string, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("%s: not within 10 s", what)
		}
		<-tick.C
	}
}

// inFlight is the server's portfolio_http_requests_in_flight, read on the
// operations listener, counting the /metrics request that reads it.
func (e *e2e) inFlight() int {
	e.t.Helper()
	res, err := http.Get(e.d.OpsURL() + "/metrics")
	if err != nil {
		e.t.Fatalf("ops listener: %v", err)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		e.t.Fatalf("ops listener: %v", err)
	}
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, "portfolio_http_requests_in_flight "); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				e.t.Fatalf("in-flight gauge %q: %v", line, err)
			}
			return n
		}
	}
	e.t.Fatalf("/metrics has no portfolio_http_requests_in_flight:\n%s", body)
	return 0
}
