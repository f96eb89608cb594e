package httpapi

import (
	"net/http"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
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

func TestUnconfiguredDependencies(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Queries, c.History, c.Verify, c.Executor = nil, nil, nil, nil })
	for _, path := range []string{"/v1/strategy", "/v1/initiatives/" + idInit + "?atVersion=1", "/v1/audit/verify"} {
		rec := h.do("GET", path, "", bearer(tokAudit))
		h.problem(rec, 503, "unavailable")
	}
	rec := h.do("POST", "/v1/commands/HoldMeeting", validBodies["HoldMeeting"], bearer(tokSek))
	h.problem(rec, 503, "unavailable")
}
