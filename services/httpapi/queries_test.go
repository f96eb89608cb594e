package httpapi

import (
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ehelse/portfolio/services"
	"github.com/ehelse/portfolio/services/wire"
)

func newCounterForTest() prometheus.Counter {
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "test_extra_total", Help: "test"})
	c.Inc()
	return c
}

// TestQueryRoleMatrix: who may read what.
func TestQueryRoleMatrix(t *testing.T) {
	public := []string{
		"/v1/strategy", "/v1/initiatives", "/v1/initiatives/" + idInit,
		"/v1/initiatives/" + idInit + "?atVersion=2", "/v1/roadmap",
		"/v1/council/meetings", "/v1/council/meetings/" + idMeeting, "/v1/council/cases/" + idCase,
		"/v1/council/decisions", "/v1/council/decisions?format=csv",
	}
	type who struct {
		name string
		opts []reqOpt
	}
	anon := who{"anonymous", nil}
	sek := who{"secretariat", []reqOpt{bearer(tokSek)}}
	hso := who{"owner (own)", []reqOpt{bearer(tokHSO)}}
	ks := who{"owner (other)", []reqOpt{bearer(tokKS)}}
	aud := who{"auditor", []reqOpt{bearer(tokAudit)}}
	sub := who{"subscriber", []reqOpt{bearer(tokSub)}}
	bad := who{"unknown token", []reqOpt{bearer(tokBad)}}
	all := []who{anon, sek, hso, ks, aud, sub, bad}

	h := newHarness(t, nil)
	check := func(path string, w who, want int) {
		t.Helper()
		rec := h.do("GET", path, "", w.opts...)
		if rec.Code != want {
			t.Errorf("%s as %s: %d, want %d: %s", path, w.name, rec.Code, want, rec.Body.String())
		}
		if want >= 400 {
			code := map[int]string{401: "unauthorized", 403: "forbidden"}[want]
			h.problem(rec, want, code)
		}
	}
	for _, p := range public {
		for _, w := range all {
			want := 200
			if w.name == "unknown token" {
				want = 401
			}
			check(p, w, want)
		}
	}
	matrix := map[string]map[string]int{
		"/v1/initiatives/" + idInit + "/events":   {"anonymous": 401, "secretariat": 200, "owner (own)": 200, "owner (other)": 403, "auditor": 200, "subscriber": 403, "unknown token": 401},
		"/v1/council/cases/" + idCase + "/events": {"anonymous": 401, "secretariat": 200, "owner (own)": 403, "owner (other)": 403, "auditor": 200, "subscriber": 403, "unknown token": 401},
		"/v1/audit/events":                        {"anonymous": 401, "secretariat": 403, "owner (own)": 403, "owner (other)": 403, "auditor": 200, "subscriber": 403, "unknown token": 401},
		"/v1/audit/verify":                        {"anonymous": 401, "secretariat": 403, "owner (own)": 403, "owner (other)": 403, "auditor": 200, "subscriber": 403, "unknown token": 401},
	}
	for path, m := range matrix {
		for _, w := range all {
			check(path, w, m[w.name])
		}
	}
}

func TestQueryAnswers(t *testing.T) {
	h := newHarness(t, nil)
	rec := h.do("GET", "/v1/initiatives/"+idInit, "")
	if rec.Code != 200 || rec.Header().Get("ETag") != `"7"` || rec.Header().Get("X-Position") != "50" {
		t.Fatalf("%d %v", rec.Code, rec.Header())
	}
	// If-None-Match with the current tag: 304.
	rec = h.do("GET", "/v1/initiatives/"+idInit, "", header("If-None-Match", `"7"`))
	if rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
		t.Fatalf("If-None-Match: %d", rec.Code)
	}
	rec = h.do("GET", "/v1/initiatives/01JD00000000000000000000ZZ", "")
	h.problem(rec, 404, "not_found")
	rec = h.do("GET", "/v1/council/meetings/nope", "")
	h.problem(rec, 404, "not_found")
	rec = h.do("GET", "/v1/council/cases/nope", "")
	h.problem(rec, 404, "not_found")
}

func TestQueryParameters(t *testing.T) {
	h := newHarness(t, nil)
	cases := []struct {
		path   string
		status int
		code   string
	}{
		{"/v1/initiatives?phase=concept&state=in_portfolio", 200, ""},
		{"/v1/initiatives?phase=done", 422, "validation_failed"},
		{"/v1/initiatives?state=sleeping", 422, "validation_failed"},
		{"/v1/roadmap?phase=nope", 422, "validation_failed"},
		{"/v1/council/meetings?forum=NUIT&year=2026", 200, ""},
		{"/v1/council/meetings?forum=XYZ", 422, "validation_failed"},
		{"/v1/council/meetings?year=twenty", 400, "malformed_request"},
		{"/v1/council/meetings?year=20", 422, "validation_failed"},
		{"/v1/council/decisions?forum=EHR&from=2026-01-01&to=2026-12-31&initiativeId=" + idInit, 200, ""},
		{"/v1/council/decisions?from=2026-13-01", 400, "malformed_request"},
		{"/v1/council/decisions?from=2026-12-01&to=2026-01-01", 422, "validation_failed"},
		{"/v1/council/decisions?format=xml", 422, "validation_failed"},
		{"/v1/strategy?minPosition=abc", 400, "malformed_request"},
		{"/v1/strategy?minPosition=-1", 400, "malformed_request"},
		{"/v1/strategy?minPosition=1&minPosition=2", 400, "malformed_request"},
		{"/v1/initiatives/" + idInit + "?asOf=yesterday", 400, "malformed_request"},
		{"/v1/initiatives/" + idInit + "?atVersion=two", 400, "malformed_request"},
		{"/v1/initiatives/" + idInit + "?atVersion=0", 422, "validation_failed"},
		{"/v1/initiatives/" + idInit + "?atVersion=2&asOf=2026-03-01T12:00:00Z", 422, "validation_failed"},
		{"/v1/initiatives/" + idInit + "?asOf=2020-01-01T00:00:00Z", 404, "not_found"},
		{"/v1/audit/events?limit=0", 422, "validation_failed"},
		{"/v1/audit/events?limit=1001", 422, "validation_failed"},
		{"/v1/audit/events?after=x", 400, "malformed_request"},
	}
	for _, c := range cases {
		rec := h.do("GET", c.path, "", bearer(tokAudit))
		if c.status == 200 {
			if rec.Code != 200 {
				t.Errorf("%s: %d %s", c.path, rec.Code, rec.Body.String())
			}
			continue
		}
		t.Run(c.path, func(t *testing.T) {
			h.t = t
			h.problem(rec, c.status, c.code)
		})
	}
}

func TestQueryCheckOrder(t *testing.T) {
	h := newHarness(t, nil)
	// Authentication before parameters, parameters before the wait.
	rec := h.do("GET", "/v1/initiatives?phase=done", "", bearer(tokBad))
	h.problem(rec, 401, "unauthorized")
	rec = h.do("GET", "/v1/audit/events?limit=0", "", bearer(tokSek))
	h.problem(rec, 403, "forbidden")
	start := time.Now()
	rec = h.do("GET", "/v1/council/meetings?year=x&minPosition=1000", "")
	h.problem(rec, 400, "malformed_request")
	if time.Since(start) > 100*time.Millisecond || len(h.queries.waits) != 0 {
		t.Fatal("waited for minPosition before checking the parameters")
	}
}

func TestTimeTravel(t *testing.T) {
	h := newHarness(t, nil)
	rec := h.do("GET", "/v1/initiatives/"+idInit+"?asOf=2026-04-01T10:00:00%2B02:00", "")
	if rec.Code != 200 || rec.Header().Get("ETag") != `"3"` {
		t.Fatalf("asOf: %d %s", rec.Code, rec.Body.String())
	}
	var at wire.InitiativeDetail
	if err := json.Unmarshal(rec.Body.Bytes(), &at); err != nil {
		t.Fatal(err)
	}
	if at.Version != 3 || at.InitiativeID != idInit || at.Owner != orgHSO {
		t.Fatalf("asOf answer %+v", at)
	}
	// The same shape as the current state: the same members.
	var then, now map[string]json.RawMessage
	cur := h.do("GET", "/v1/initiatives/"+idInit, "")
	if json.Unmarshal(rec.Body.Bytes(), &then) != nil || json.Unmarshal(cur.Body.Bytes(), &now) != nil || len(then) != len(now) {
		t.Fatalf("asOf answer %s\ncurrent state %s", rec.Body.String(), cur.Body.String())
	}
	for k := range now {
		if _, ok := then[k]; !ok {
			t.Errorf("the asOf answer has no %q", k)
		}
	}
	rec = h.do("GET", "/v1/initiatives/"+idInit+"?atVersion=2", "")
	if rec.Code != 200 || rec.Header().Get("ETag") != `"2"` {
		t.Fatalf("atVersion: %d %s", rec.Code, rec.Body.String())
	}
	calls := h.history.atCalls
	if len(calls) != 2 || calls[0].asOf == nil || !calls[0].asOf.Equal(time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)) ||
		calls[0].atVersion != nil || calls[1].asOf != nil || *calls[1].atVersion != 2 {
		t.Fatalf("History.InitiativeUntil calls %+v", calls)
	}
}

func TestMinPosition(t *testing.T) {
	h := newHarness(t, nil)
	// Reached already.
	rec := h.do("GET", "/v1/strategy?minPosition=50", "")
	if rec.Code != 200 || rec.Header().Get("X-Position") != "50" {
		t.Fatalf("%d %s", rec.Code, rec.Header().Get("X-Position"))
	}
	// Reached while waiting: the position moves once the request is
	// blocked waiting for it (synctest.Wait: every other goroutine of the
	// bubble is blocked), and the commit wakes it.
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, nil)
		go func() {
			synctest.Wait()
			if got := h.queries.waitsFor(); len(got) != 1 || got[0] != 60 {
				t.Errorf("not waiting for 60: %v", got)
			}
			h.queries.setPosition(60)
		}()
		rec := h.do("GET", "/v1/council/decisions?minPosition=60", "")
		if rec.Code != 200 || rec.Header().Get("X-Position") != "60" {
			t.Fatalf("%d %s", rec.Code, rec.Header().Get("X-Position"))
		}
	})
	// Not reached in time: 503 projection_lagging with Retry-After.
	start := time.Now()
	for _, path := range []string{"/v1/strategy", "/v1/initiatives", "/v1/initiatives/" + idInit, "/v1/roadmap",
		"/v1/council/meetings", "/v1/council/meetings/" + idMeeting, "/v1/council/cases/" + idCase, "/v1/council/decisions"} {
		rec = h.do("GET", path+"?minPosition=1000", "")
		h.problem(rec, 503, "projection_lagging")
		if rec.Header().Get("Retry-After") == "" {
			t.Errorf("%s: no Retry-After", path)
		}
	}
	rec = h.do("GET", "/v1/audit/events?minPosition=1000", "", bearer(tokAudit))
	h.problem(rec, 503, "projection_lagging")
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("lagging answers took %s", took)
	}
	// A WaitFor that fails without a kind is still projection_lagging.
	h2 := newHarness(t, func(c *Config) { c.Queries = errWaitQueries{h.queries} })
	rec = h2.do("GET", "/v1/strategy?minPosition=1000", "")
	h2.problem(rec, 503, "projection_lagging")
}

type errWaitQueries struct{ *fakeQueries }

func (errWaitQueries) WaitFor(ctx context.Context, pos uint64) error { return context.DeadlineExceeded }

func TestDecisionsCSV(t *testing.T) {
	h := newHarness(t, nil)
	rec := h.do("GET", "/v1/council/decisions?format=csv", "")
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/csv") || rec.Header().Get("X-Position") != "50" {
		t.Fatalf("%d %v", rec.Code, rec.Header())
	}
	rows, err := csv.NewReader(strings.NewReader(rec.Body.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || strings.Join(rows[0], ",") != strings.Join(decisionCSVHeader, ",") {
		t.Fatalf("rows %q", rows)
	}
	row := map[string]string{}
	for i, k := range rows[0] {
		row[k] = rows[1][i]
	}
	if row["caseTitle"] != `Opptak av DHO, "fase 2"` || row["resolution"] != `'=HYPERLINK("x")` ||
		row["correctedResolution"] != "Tilslutning, rettet" || row["corrections"] != "1" ||
		row["meetingDate"] != "2026-03-01" || row["recordedAt"] != "2026-03-01T12:00:00Z" || row["position"] != "30" {
		t.Fatalf("row %v", row)
	}
	// JSON is the default.
	rec = h.do("GET", "/v1/council/decisions", "")
	var list wire.DecisionList
	if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil || len(list.Decisions) != 1 {
		t.Fatalf("%v %s", err, rec.Body.String())
	}
}

func TestHistoryAndAudit(t *testing.T) {
	h := newHarness(t, nil)
	rec := h.do("GET", "/v1/initiatives/"+idInit+"/events", "", bearer(tokHSO))
	var list wire.EventList
	if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil || len(list.Events) != 2 {
		t.Fatalf("%v %s", err, rec.Body.String())
	}
	if e := list.Events[0]; e.Type != "InitiativeProposed" || e.Version != 1 || e.Position != 10 || e.Raw != nil || !strings.Contains(string(e.Data), orgHSO) {
		t.Fatalf("event %+v", e)
	}
	rec = h.do("GET", "/v1/initiatives/01JD00000000000000000000ZZ/events", "", bearer(tokAudit))
	h.problem(rec, 404, "not_found")

	rec = h.do("GET", "/v1/audit/events?after=20&limit=3", "", bearer(tokAudit))
	var audit wire.AuditEventList
	if err := json.Unmarshal(rec.Body.Bytes(), &audit); err != nil {
		t.Fatal(err)
	}
	if len(audit.Events) != 3 || audit.Events[0].Position != 21 || audit.Next != 23 {
		t.Fatalf("audit %+v", audit)
	}
	var raw struct {
		Events []struct {
			Raw string `json:"raw"`
		} `json:"events"`
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &raw)
	b, err := base64.StdEncoding.DecodeString(raw.Events[0].Raw)
	if err != nil || !strings.HasPrefix(string(b), `{"specversion":"1.0"`) {
		t.Fatalf("raw %q %v", raw.Events[0].Raw, err)
	}
	rec = h.do("GET", "/v1/audit/events?after=25", "", bearer(tokAudit))
	_ = json.Unmarshal(rec.Body.Bytes(), &audit)
	if len(audit.Events) != 0 || audit.Next != 25 || !strings.Contains(rec.Body.String(), `"events":[]`) {
		t.Fatalf("end of log %s", rec.Body.String())
	}
	rec = h.do("GET", "/v1/audit/events", "", bearer(tokAudit))
	_ = json.Unmarshal(rec.Body.Bytes(), &audit)
	if len(audit.Events) != 25 || audit.Next != 25 {
		t.Fatalf("default page: %d next %d", len(audit.Events), audit.Next)
	}

	rec = h.do("GET", "/v1/audit/verify", "", bearer(tokAudit))
	var v services.VerifyResult
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil || v.OK || v.Events != 25 || v.FirstBad == nil || *v.FirstBad != 17 {
		t.Fatalf("verify %+v %v", v, err)
	}
}

func TestOperations(t *testing.T) {
	ready := errors.New("read models catching up")
	h := newHarness(t, func(c *Config) {
		c.ReadyCheck = func(ctx context.Context) error { return ready }
	})
	rec := h.do("GET", "/healthz", "")
	if rec.Code != 200 {
		t.Fatal(rec.Code)
	}
	rec = h.do("GET", "/readyz", "")
	h.problem(rec, 503, "unavailable")
	ready = nil
	rec = h.do("GET", "/readyz", "")
	if rec.Code != 200 {
		t.Fatal(rec.Code, rec.Body.String())
	}
	rec = h.do("GET", "/openapi.yaml", "")
	if rec.Code != 200 || !strings.HasPrefix(rec.Body.String(), "openapi: 3.1") || rec.Header().Get("Content-Type") != "application/yaml" {
		t.Fatalf("%d %q", rec.Code, rec.Header().Get("Content-Type"))
	}

	s := NewHTTPServer("127.0.0.1:0", h.h)
	if s.ReadHeaderTimeout == 0 || s.ReadTimeout == 0 || s.WriteTimeout == 0 || s.IdleTimeout == 0 || s.MaxHeaderBytes == 0 {
		t.Fatalf("timeouts %+v", s)
	}
}

func TestUnconfiguredDependencies(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Queries, c.History, c.Verify, c.Executor = nil, nil, nil, nil })
	for _, path := range []string{"/v1/strategy", "/v1/initiatives/" + idInit + "?atVersion=1", "/v1/audit/verify"} {
		rec := h.do("GET", path, "", bearer(tokAudit))
		h.problem(rec, 503, "unavailable")
	}
	rec := h.do("POST", "/v1/commands/HoldMeeting", validBodies["HoldMeeting"], bearer(tokSek))
	h.problem(rec, 503, "unavailable")
}
