package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ehelse/portfolio/services"
	"github.com/getkin/kin-openapi/openapi3"
)

// fakeRebuilder is a Rebuilder whose status the test sets.
type fakeRebuilder struct {
	mu     sync.Mutex
	status services.RebuildStatus
	starts []string // who asked, per started rebuild
}

func (f *fakeRebuilder) StartRebuild(by string) (services.RebuildStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.status.State == services.RebuildRunning {
		return services.RebuildStatus{}, fmt.Errorf("rebuild: %w", services.ErrRebuildInProgress)
	}
	f.starts = append(f.starts, by)
	started := t0
	f.status = services.RebuildStatus{State: services.RebuildRunning, StartedAt: &started}
	return f.status, nil
}

func (f *fakeRebuilder) RebuildStatus() services.RebuildStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.status
}

func (f *fakeRebuilder) set(st services.RebuildStatus) {
	f.mu.Lock()
	f.status = st
	f.mu.Unlock()
}

func (f *fakeRebuilder) started() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.starts...)
}

func newAdminHarness(t *testing.T) (*harness, *fakeRebuilder) {
	rb := &fakeRebuilder{status: services.RebuildStatus{State: services.RebuildIdle}}
	return newHarness(t, func(c *Config) { c.Rebuild = rb }), rb
}

func decodeRebuild(t *testing.T, rec *httptest.ResponseRecorder) services.RebuildStatus {
	t.Helper()
	var st services.RebuildStatus
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q: %s", ct, rec.Body.String())
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil {
		t.Fatalf("%v: %s", err, rec.Body.String())
	}
	return st
}

// TestAdminRebuildRoles: secretariat and auditor may start and follow a
// rebuild; anonymous is 401, an unknown token 401, owners and subscribers
// 403 — and none of the refused requests starts one.
func TestAdminRebuildRoles(t *testing.T) {
	for _, c := range []struct {
		who    string
		tok    string
		status int
		code   string
	}{
		{"anonymous", "", 401, "unauthorized"},
		{"unknown token", tokBad, 401, "unauthorized"},
		{"owner", tokHSO, 403, "forbidden"},
		{"owner (hashed token)", tokKS, 403, "forbidden"},
		{"subscriber", tokSub, 403, "forbidden"},
		{"secretariat", tokSek, 0, ""},
		{"auditor", tokAudit, 0, ""},
	} {
		t.Run(c.who, func(t *testing.T) {
			h, rb := newAdminHarness(t)
			var opts []reqOpt
			if c.tok != "" {
				opts = append(opts, bearer(c.tok))
			}
			post := h.do("POST", "/v1/admin/rebuild", "", opts...)
			get := h.do("GET", "/v1/admin/rebuild", "", opts...)
			if c.status != 0 {
				p := h.problem(post, c.status, c.code)
				h.problem(get, c.status, c.code)
				if len(rb.started()) != 0 {
					t.Errorf("a refused request started a rebuild")
				}
				if c.status == 401 && post.Header().Get("WWW-Authenticate") == "" {
					t.Errorf("401 without WWW-Authenticate")
				}
				if p.Instance != "/v1/admin/rebuild" {
					t.Errorf("instance %q", p.Instance)
				}
				return
			}
			if post.Code != 202 || get.Code != 200 {
				t.Fatalf("POST %d %s, GET %d %s", post.Code, post.Body.String(), get.Code, get.Body.String())
			}
			if got := rb.started(); len(got) != 1 || got[0] == "" {
				t.Errorf("started by %q", got)
			}
		})
	}
}

// TestAdminRebuildLifecycle: 202 with the running job and Location, 409
// rebuild_in_progress while it runs (starting nothing), and GET through
// idle, running, done and failed — every answer valid by openapi.yaml.
func TestAdminRebuildLifecycle(t *testing.T) {
	h, rb := newAdminHarness(t)

	st := decodeRebuild(t, h.do("GET", "/v1/admin/rebuild", "", bearer(tokAudit)))
	if st.State != services.RebuildIdle || st.StartedAt != nil || st.FinishedAt != nil || st.EtaSeconds != nil {
		t.Errorf("idle: %+v", st)
	}

	rec := h.do("POST", "/v1/admin/rebuild", "", bearer(tokSek))
	if rec.Code != 202 || rec.Header().Get("Location") != "/v1/admin/rebuild" {
		t.Fatalf("POST: %d Location %q %s", rec.Code, rec.Header().Get("Location"), rec.Body.String())
	}
	st = decodeRebuild(t, rec)
	if st.State != services.RebuildRunning || st.StartedAt == nil || !st.StartedAt.Equal(t0) {
		t.Errorf("202: %+v", st)
	}
	if got := rb.started(); !slices.Equal(got, []string{"sekretariat"}) {
		t.Errorf("started by %v", got)
	}

	// Running, half way: a second POST is 409 and says how far it is.
	eta := 4.5
	rb.set(services.RebuildStatus{State: services.RebuildRunning, StartedAt: &t0, Done: 500, Total: 1000, EventsPerSecond: 111.1, EtaSeconds: &eta})
	p := h.problem(h.do("POST", "/v1/admin/rebuild", "", bearer(tokAudit)), 409, "rebuild_in_progress")
	if !strings.Contains(p.Detail, "already running") || !strings.Contains(p.Detail, "500 of 1000") {
		t.Errorf("409 detail %q", p.Detail)
	}
	if len(rb.started()) != 1 {
		t.Errorf("the 409 started a rebuild")
	}
	rec = h.do("GET", "/v1/admin/rebuild", "", bearer(tokSek))
	if rec.Code != 200 || rec.Header().Get("X-Position") != "50" {
		t.Fatalf("GET %d X-Position %q", rec.Code, rec.Header().Get("X-Position"))
	}
	if st = decodeRebuild(t, rec); st.Done != 500 || st.Total != 1000 || st.EtaSeconds == nil || *st.EtaSeconds != 4.5 {
		t.Errorf("running: %+v", st)
	}
	var raw map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &raw)
	for _, k := range []string{"state", "startedAt", "done", "total", "eventsPerSecond", "etaSeconds"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("running: no %q in %s", k, rec.Body.String())
		}
	}
	for _, k := range []string{"finishedAt", "error"} {
		if _, ok := raw[k]; ok {
			t.Errorf("running: %q in %s", k, rec.Body.String())
		}
	}

	// Done, then failed; after either a new one may start.
	fin := t0.Add(3200 * time.Millisecond)
	rb.set(services.RebuildStatus{State: services.RebuildDone, StartedAt: &t0, FinishedAt: &fin, Done: 1000, Total: 1000, EventsPerSecond: 312.5})
	if st = decodeRebuild(t, h.do("GET", "/v1/admin/rebuild", "", bearer(tokSek))); st.State != services.RebuildDone || st.FinishedAt == nil || st.EtaSeconds != nil {
		t.Errorf("done: %+v", st)
	}
	rb.set(services.RebuildStatus{State: services.RebuildFailed, StartedAt: &t0, FinishedAt: &fin, Done: 10, Total: 1000, EventsPerSecond: 3.1, Error: "disk full"})
	if st = decodeRebuild(t, h.do("GET", "/v1/admin/rebuild", "", bearer(tokSek))); st.State != services.RebuildFailed || st.Error != "disk full" {
		t.Errorf("failed: %+v", st)
	}
	if rec := h.do("POST", "/v1/admin/rebuild", "", bearer(tokAudit)); rec.Code != 202 {
		t.Errorf("POST after a failure: %d %s", rec.Code, rec.Body.String())
	}
	if got := rb.started(); !slices.Equal(got, []string{"sekretariat", "riksrevisjonen"}) {
		t.Errorf("started by %v", got)
	}

	// Other methods: 405 with Allow.
	for _, m := range []string{"PUT", "DELETE", "PATCH"} {
		rec := h.do(m, "/v1/admin/rebuild", "", bearer(tokSek))
		h.problem(rec, 405, "method_not_allowed")
		if allow := rec.Header().Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "POST") {
			t.Errorf("%s: Allow %q", m, allow)
		}
	}
}

// TestAdminRebuildNotConfigured: without a Rebuilder, 503 — after the
// token and role checks.
func TestAdminRebuildNotConfigured(t *testing.T) {
	h := newHarness(t, nil)
	h.problem(h.do("POST", "/v1/admin/rebuild", "", bearer(tokSek)), 503, "unavailable")
	h.problem(h.do("GET", "/v1/admin/rebuild", "", bearer(tokAudit)), 503, "unavailable")
	h.problem(h.do("POST", "/v1/admin/rebuild", ""), 401, "unauthorized")
	h.problem(h.do("GET", "/v1/admin/rebuild", "", bearer(tokHSO)), 403, "forbidden")
}

// TestAdminRebuildValidationBites: openapi.yaml does reject rebuild
// answers that break it, so the checks above mean something.
func TestAdminRebuildValidationBites(t *testing.T) {
	h := newHarness(t, nil)
	for _, c := range []struct {
		method string
		status int
		ct     string
		body   string
	}{
		{"GET", 200, "application/json", `{"state":"paused","done":0,"total":0,"eventsPerSecond":0}`},
		{"GET", 200, "application/json", `{"state":"idle","done":0,"total":0}`},
		{"GET", 200, "application/json", `{"state":"running","done":-1,"total":0,"eventsPerSecond":0}`},
		{"POST", 202, "application/json", `{"state":"running","startedAt":"yesterday","done":0,"total":0,"eventsPerSecond":0}`},
		{"POST", 409, ProblemContentType, `{"type":"about:blank","title":"x","status":409,"code":"rebuild_busy"}`},
	} {
		req := httptest.NewRequest(c.method, "/v1/admin/rebuild", nil)
		req.Header.Set("Authorization", "Bearer "+tokSek)
		rec := httptest.NewRecorder()
		rec.Header().Set("Content-Type", c.ct)
		rec.WriteHeader(c.status)
		rec.Body.WriteString(c.body)
		if err := h.validateErr(req, "", rec); err == nil {
			t.Errorf("%s %d %s: accepted", c.method, c.status, c.body)
		}
	}
}

// TestAdminProblemCodesDocumented: every code of the error table is in
// openapi.yaml's Problem.code enum, rebuild_in_progress included.
func TestAdminProblemCodesDocumented(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	enum := doc.Components.Schemas["Problem"].Value.Properties["code"].Value.Enum
	for kind, m := range errorTable {
		if !slices.Contains(enum, any(m.code)) {
			t.Errorf("%s: code %s is not in openapi.yaml's Problem.code enum", kind, m.code)
		}
	}
	if m := errorTable[kindRebuildInProgress]; m.status != 409 || m.code != "rebuild_in_progress" {
		t.Errorf("rebuild_in_progress maps to %+v", m)
	}
}
