package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/ehelse/portfolio/projections"
	"github.com/ehelse/portfolio/services"
	"github.com/ehelse/portfolio/services/httpapi"
)

// ---- the job, with a fake rebuild ----

// TestRebuildOnline: with demo data, POST /v1/admin/rebuild answers 202,
// GET follows it to done, every answer is valid by openapi.yaml, the
// queries answer exactly as before, and the read models go on applying
// new events from the rebuilt file.
func TestRebuildOnline(t *testing.T) {
	dir := t.TempDir()
	d := startDemo(t, Config{DataDir: dir})
	sek, aud, owner := d.Token("sekretariat"), d.Token("riksrevisjonen"), d.Token("hso")
	c := &adminClient{t: t, d: d, router: specRouter(t)}
	ctx := context.Background()
	head, err := d.Store.Head(ctx)
	if err != nil || head == 0 {
		t.Fatalf("head %d %v", head, err)
	}
	waitCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := d.Reads.WaitFor(waitCtx, head); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, d, head)
	rebuildsBefore := d.Reads.Stats().Rebuilds

	var st services.RebuildStatus
	if code := c.do("GET", sek, &st); code != 200 || st.State != services.RebuildIdle {
		t.Fatalf("GET before: %d %+v", code, st)
	}
	if code := c.do("POST", "", nil); code != 401 {
		t.Errorf("anonymous POST: %d", code)
	}
	if code := c.do("POST", owner, nil); code != 403 {
		t.Errorf("owner POST: %d", code)
	}
	if code := c.do("POST", sek, &st); code != 202 || st.State != services.RebuildRunning || st.StartedAt == nil {
		t.Fatalf("POST: %d %+v", code, st)
	}
	started := *st.StartedAt
	// A second one: 409 while the first runs (or 202 if it is done already).
	var second services.RebuildStatus
	code := c.do("POST", aud, &second)
	if code != 409 && code != 202 {
		t.Errorf("second POST: %d", code)
	}
	if code == 202 {
		started = *second.StartedAt
	}

	deadline := time.Now().Add(2 * time.Minute)
	polls := 0
	for {
		polls++
		st = services.RebuildStatus{} // decoding into a used value would keep fields the answer omits
		if code := c.do("GET", aud, &st); code != 200 {
			t.Fatalf("GET: %d", code)
		}
		if st.State != services.RebuildRunning {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still running: %+v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if st.State != services.RebuildDone || st.Error != "" || st.StartedAt == nil || !st.StartedAt.Equal(started) || st.FinishedAt == nil ||
		st.Done < head || st.Total != st.Done || st.EventsPerSecond <= 0 || st.EtaSeconds != nil {
		t.Fatalf("done: %+v", st)
	}
	t.Logf("rebuilt %d events in %s (%.0f events/s), %d polls", st.Done, st.FinishedAt.Sub(*st.StartedAt), st.EventsPerSecond, polls)
	if n := d.Reads.Stats().Rebuilds; n <= rebuildsBefore {
		t.Errorf("Stats().Rebuilds %d, was %d", n, rebuildsBefore)
	}

	after := snapshot(t, d, head)
	if len(after) != len(before) {
		t.Fatalf("%d answers after, %d before", len(after), len(before))
	}
	for path, b := range before {
		if !bytes.Equal(after[path], b) {
			t.Errorf("%s differs after the rebuild:\nbefore %s\nafter  %s", path, short(b), short(after[path]))
		}
	}

	// The rebuilt file goes on: a new event shows.
	pos := c.command(sek, "DefineStrategicGoal", `{"goalId":"M9","strategy":"2023-2030","title":"Etter gjenoppbyggingen"}`)
	var sv projections.StrategyView
	if code := getJSON(t, d, "", fmt.Sprintf("/v1/strategy?minPosition=%d", pos), &sv); code != 200 || !strings.Contains(fmt.Sprint(sv), "Etter gjenoppbyggingen") {
		t.Fatalf("strategy after a new command: %d %+v", code, sv)
	}
	// Only the live file is left.
	files, _ := filepath.Glob(filepath.Join(dir, "readmodels", "*.db"))
	if len(files) != 1 || filepath.Base(files[0]) != projections.FileName {
		t.Errorf("read model files %v", files)
	}
}

// snapshot GETs every query answer of the demo (lists, and each
// initiative, meeting and case they name) at position head.
func snapshot(t *testing.T, d *Daemon, head uint64) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	get := func(path string) []byte {
		t.Helper()
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		res, err := http.Get(d.URL() + path + sep + "minPosition=" + fmt.Sprint(head))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d %s", path, res.StatusCode, body)
		}
		out[path] = body
		return body
	}
	for _, p := range []string{"/v1/strategy", "/v1/roadmap", "/v1/council/decisions?format=csv"} {
		get(p)
	}
	var inits struct {
		Initiatives []struct {
			InitiativeID string `json:"initiativeId"`
		} `json:"initiatives"`
	}
	mustJSON(t, get("/v1/initiatives"), &inits)
	for _, i := range inits.Initiatives {
		get("/v1/initiatives/" + url.PathEscape(i.InitiativeID))
	}
	var meetings struct {
		Meetings []struct {
			MeetingID string `json:"meetingId"`
		} `json:"meetings"`
	}
	mustJSON(t, get("/v1/council/meetings"), &meetings)
	cases := map[string]bool{}
	for _, m := range meetings.Meetings {
		var md struct {
			Agenda []struct {
				CaseID string `json:"caseId"`
			} `json:"agenda"`
		}
		mustJSON(t, get("/v1/council/meetings/"+url.PathEscape(m.MeetingID)), &md)
		for _, a := range md.Agenda {
			cases[a.CaseID] = true
		}
	}
	var decisions struct {
		Decisions []struct {
			CaseID string `json:"caseId"`
		} `json:"decisions"`
	}
	mustJSON(t, get("/v1/council/decisions"), &decisions)
	for _, dc := range decisions.Decisions {
		cases[dc.CaseID] = true
	}
	for id := range cases {
		get("/v1/council/cases/" + url.PathEscape(id))
	}
	if len(inits.Initiatives) == 0 || len(meetings.Meetings) == 0 || len(cases) == 0 {
		t.Fatalf("the demo has %d initiatives, %d meetings, %d cases", len(inits.Initiatives), len(meetings.Meetings), len(cases))
	}
	return out
}

func mustJSON(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%v: %s", err, short(b))
	}
}

func short(b []byte) string {
	if len(b) > 400 {
		return string(b[:400]) + "…"
	}
	return string(b)
}

// adminClient sends /v1/admin/rebuild requests and commands and checks
// every answer against openapi.yaml.
type adminClient struct {
	t      *testing.T
	d      *Daemon
	router routers.Router
}

// do sends method /v1/admin/rebuild with token, decodes a 2xx answer into
// v and returns the status.
func (c *adminClient) do(method, token string, v any) int {
	c.t.Helper()
	res, body := c.send(method, "/v1/admin/rebuild", token, "")
	if res.StatusCode < 300 && v != nil {
		mustJSON(c.t, body, v)
	}
	return res.StatusCode
}

// command gives a command that must be accepted and returns its position.
func (c *adminClient) command(token, name, body string) uint64 {
	c.t.Helper()
	res, b := c.send("POST", "/v1/commands/"+name, token, body)
	var r struct {
		Position uint64 `json:"position"`
	}
	if res.StatusCode != 201 {
		c.t.Fatalf("%s: %d %s", name, res.StatusCode, b)
	}
	mustJSON(c.t, b, &r)
	return r.Position
}

func (c *adminClient) send(method, path, token, body string) (*http.Response, []byte) {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, c.d.URL()+path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)

	vreq := httptest.NewRequest(method, path, strings.NewReader(body))
	vreq.Header = req.Header.Clone()
	route, params, err := c.router.FindRoute(vreq)
	if err != nil {
		c.t.Fatalf("%s %s: no route in openapi.yaml: %v", method, path, err)
	}
	opts := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}
	in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route, Options: opts}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.StatusCode, Header: res.Header, Options: opts}
	out.SetBodyBytes(b)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		c.t.Errorf("%s %s → %d does not match openapi.yaml: %v\n%s", method, path, res.StatusCode, err, b)
	}
	if res.StatusCode >= 400 && res.Header.Get("Content-Type") != httpapi.ProblemContentType {
		c.t.Errorf("%s %s → %d: Content-Type %q", method, path, res.StatusCode, res.Header.Get("Content-Type"))
	}
	return res, b
}

func specRouter(t *testing.T) routers.Router {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(httpapi.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
	r, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
