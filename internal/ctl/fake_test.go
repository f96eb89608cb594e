package ctl

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// recorded is one request the fake server received.
type recorded struct {
	Method string
	Path   string // escaped
	Query  string
	Header http.Header
	Body   []byte
}

// reply is what the fake answers.
type reply struct {
	status      int
	contentType string
	header      map[string]string
	body        string
}

// fake is an httptest server that records requests and answers each path
// (method + " " + path, or just path) with a canned reply.
type fake struct {
	*httptest.Server
	mu      sync.Mutex
	reqs    []recorded
	replies map[string]reply
	// fallback answers paths without a canned reply.
	fallback func(w http.ResponseWriter, r *http.Request, body []byte)
}

func newFake(t *testing.T) *fake {
	t.Helper()
	f := &fake{replies: map[string]reply{}}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fake) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.reqs = append(f.reqs, recorded{r.Method, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Clone(), body})
	rep, ok := f.replies[r.Method+" "+r.URL.Path]
	if !ok {
		rep, ok = f.replies[r.URL.Path]
	}
	fallback := f.fallback
	f.mu.Unlock()
	if !ok {
		if fallback != nil {
			fallback(w, r, body)
			return
		}
		if strings.HasPrefix(r.URL.Path, "/v1/commands/") {
			rep = reply{status: 201, body: `{"aggregateType":"initiative","aggregateId":"01JTEST","version":1,"position":57,"events":[{"id":"01JEV","type":"InitiativeProposed","position":57}]}`}
		} else {
			rep = reply{status: 404, contentType: "application/problem+json", body: `{"type":"about:blank","title":"Not found","status":404,"code":"not_found","detail":"no such thing"}`}
		}
	}
	ct := rep.contentType
	if ct == "" {
		ct = "application/json"
	}
	w.Header().Set("Content-Type", ct)
	for k, v := range rep.header {
		w.Header().Set(k, v)
	}
	if rep.status == 0 {
		rep.status = 200
	}
	w.WriteHeader(rep.status)
	io.WriteString(w, rep.body)
}

func (f *fake) on(key string, r reply) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.replies[key] = r
}

func (f *fake) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...)
}

// last returns the one request received, failing unless there was exactly one.
func (f *fake) only(t *testing.T) recorded {
	t.Helper()
	reqs := f.requests()
	if len(reqs) != 1 {
		t.Fatalf("server got %d requests, want 1: %+v", len(reqs), reqs)
	}
	return reqs[0]
}

func (f *fake) reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = nil
}

// result is one run of portfolioctl.
type result struct {
	code           int
	stdout, stderr string
}

// runCtl runs portfolioctl with the given environment (nothing else of
// the process environment is seen) and standard input.
func runCtl(env map[string]string, stdin string, args ...string) result {
	var out, errb bytes.Buffer
	a := &app{
		stdin:  strings.NewReader(stdin),
		stdout: &out,
		stderr: &errb,
		getenv: func(k string) string { return env[k] },
	}
	code := a.run(context.Background(), args)
	return result{code, out.String(), errb.String()}
}

// runAt runs portfolioctl against the fake with --server.
func (f *fake) run(args ...string) result {
	return runCtl(nil, "", append([]string{"--server", f.URL}, args...)...)
}

// jsonEqual reports whether two JSON texts have the same value.
func jsonEqual(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("body %q is not JSON: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want %q is not JSON: %v", want, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("body\n got %s\nwant %s", got, want)
	}
}
