package ctl

import (
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ehelse/portfolio/services"
)

// rebuildServer answers POST /v1/admin/rebuild with post and each GET
// with the next of gets (the last one again when they run out).
func rebuildServer(t *testing.T, post reply, gets ...string) *fake {
	t.Helper()
	old, oldLine := rebuildPollInterval, rebuildLineInterval
	rebuildPollInterval, rebuildLineInterval = time.Millisecond, 0
	t.Cleanup(func() { rebuildPollInterval, rebuildLineInterval = old, oldLine })
	f := newFake(t)
	f.on("POST "+rebuildPath, post)
	var mu sync.Mutex
	n := 0
	f.fallback = func(w http.ResponseWriter, r *http.Request, _ []byte) {
		if r.Method != "GET" || r.URL.Path != rebuildPath || len(gets) == 0 {
			w.WriteHeader(500)
			return
		}
		mu.Lock()
		body := gets[min(n, len(gets)-1)]
		n++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(body))
	}
	return f
}

const (
	rbStarted = `{"state":"running","startedAt":"2026-03-01T12:00:00Z","done":0,"total":0,"eventsPerSecond":0}`
	rbHalf    = `{"state":"running","startedAt":"2026-03-01T12:00:00Z","done":5000,"total":10000,"eventsPerSecond":4000,"etaSeconds":1.25}`
	rbDone    = `{"state":"done","startedAt":"2026-03-01T12:00:00Z","finishedAt":"2026-03-01T12:00:03.2Z","done":39504,"total":39504,"eventsPerSecond":12345}`
	rbFailed  = `{"state":"failed","startedAt":"2026-03-01T12:00:00Z","finishedAt":"2026-03-01T12:00:01Z","done":10,"total":10000,"eventsPerSecond":10,"error":"projections: rebuild: disk full"}`
	rbIdle    = `{"state":"idle","done":0,"total":0,"eventsPerSecond":0}`
	rbOther   = `{"state":"running","startedAt":"2026-03-01T13:00:00Z","done":1,"total":10,"eventsPerSecond":1}`
)

func TestRebuildFollowsToDone(t *testing.T) {
	f := rebuildServer(t, reply{status: 202, body: rbStarted}, rbHalf, rbHalf, rbDone)
	r := f.run("--token", "tok", "rebuild")
	if r.code != 0 || r.stdout != "rebuilt 39504 events in 3.2s (12345 events/s)\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	// Not a terminal: progress lines on stderr (here one per poll).
	if !strings.Contains(r.stderr, "rebuilding read models: 5000/10000 events (50%), 4000 events/s, about 1.3s left\n") {
		t.Errorf("stderr %q", r.stderr)
	}
	reqs := f.requests()
	if len(reqs) < 4 || reqs[0].Method != "POST" || reqs[0].Path != rebuildPath || len(reqs[0].Body) != 0 ||
		reqs[0].Header.Get("Authorization") != "Bearer tok" {
		t.Fatalf("requests %+v", reqs)
	}
	for _, q := range reqs[1:] {
		if q.Method != "GET" || q.Path != rebuildPath {
			t.Errorf("poll %s %s", q.Method, q.Path)
		}
	}

	// -o json: the final status; --no-progress: nothing on stderr.
	f = rebuildServer(t, reply{status: 202, body: rbStarted}, rbHalf, rbDone)
	r = f.run("rebuild", "-o", "json", "--no-progress")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	jsonEqual(t, []byte(r.stdout), rbDone)
}

func TestRebuildFailed(t *testing.T) {
	f := rebuildServer(t, reply{status: 202, body: rbStarted}, rbHalf, rbFailed)
	r := f.run("rebuild")
	if r.code != ExitFailure || r.stdout != "" || !strings.HasSuffix(r.stderr, "error: the rebuild failed: projections: rebuild: disk full\n") {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	f = rebuildServer(t, reply{status: 202, body: rbStarted}, rbFailed)
	r = f.run("rebuild", "-o", "json", "--no-progress")
	if r.code != ExitFailure || r.stderr != "error: the rebuild failed: projections: rebuild: disk full\n" {
		t.Fatalf("json: exit %d, stderr %q", r.code, r.stderr)
	}
	jsonEqual(t, []byte(r.stdout), rbFailed)
}

// TestRebuildAlreadyRunning: a 409 rebuild_in_progress is followed.
func TestRebuildAlreadyRunning(t *testing.T) {
	conflict := reply{status: 409, contentType: "application/problem+json",
		body: `{"type":"about:blank","title":"Rebuild in progress","status":409,"code":"rebuild_in_progress","detail":"a rebuild of the read models is already running"}`}
	f := rebuildServer(t, conflict, rbHalf, rbDone)
	r := f.run("rebuild", "--no-progress")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "rebuilt 39504 events") ||
		r.stderr != "portfolioctl: a rebuild is already running on the server; following it\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	// With --no-wait: its status, once.
	f = rebuildServer(t, conflict, rbHalf)
	r = f.run("rebuild", "--no-wait")
	if r.code != 0 || !regexp.MustCompile(`(?m)^state: +running$`).MatchString(r.stdout) ||
		!strings.Contains(r.stdout, "5000/10000 events (50%)") || len(f.requests()) != 2 {
		t.Fatalf("exit %d, stdout %q, stderr %q, %d requests", r.code, r.stdout, r.stderr, len(f.requests()))
	}
	// Any other 409 is an error.
	f = rebuildServer(t, reply{status: 409, contentType: "application/problem+json",
		body: `{"type":"about:blank","title":"x","status":409,"code":"rule_violated","detail":"no"}`})
	if r = f.run("rebuild"); r.code != ExitFailure || r.stderr != "error: 409 rule_violated: no\n" {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestRebuildNoWait(t *testing.T) {
	f := rebuildServer(t, reply{status: 202, body: rbStarted})
	r := f.run("rebuild", "--no-wait")
	if r.code != 0 || !strings.Contains(r.stdout, "startedAt:  2026-03-01 12:00:00Z") || len(f.requests()) != 1 {
		t.Fatalf("exit %d, stdout %q, stderr %q, %d requests", r.code, r.stdout, r.stderr, len(f.requests()))
	}
	f = rebuildServer(t, reply{status: 202, body: rbStarted})
	r = f.run("rebuild", "--no-wait", "-o", "json")
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	jsonEqual(t, []byte(r.stdout), rbStarted)
}

// TestRebuildRefusedAndLost: refusals are exit 1 with the problem line; a
// server that forgot the rebuild (restarted) or runs another one is exit 1.
func TestRebuildRefusedAndLost(t *testing.T) {
	f := rebuildServer(t, reply{status: 403, contentType: "application/problem+json",
		body: `{"type":"about:blank","title":"Forbidden","status":403,"code":"forbidden","detail":"hso may not run administrative operations"}`})
	if r := f.run("--token", "x", "rebuild"); r.code != ExitFailure || r.stderr != "error: 403 forbidden: hso may not run administrative operations\n" {
		t.Fatalf("403: exit %d, stderr %q", r.code, r.stderr)
	}
	for _, later := range []string{rbIdle, rbOther} {
		f = rebuildServer(t, reply{status: 202, body: rbStarted}, rbHalf, later)
		r := f.run("rebuild", "--no-progress")
		if r.code != ExitFailure || !strings.Contains(r.stderr, "no longer reports the rebuild started at 2026-03-01T12:00:00Z") {
			t.Fatalf("%s: exit %d, stderr %q", later, r.code, r.stderr)
		}
	}
	f = rebuildServer(t, reply{status: 202, body: `{"nope":1}`})
	if r := f.run("rebuild"); r.code != ExitFailure || !strings.Contains(r.stderr, "unexpected answer") {
		t.Fatalf("bad body: exit %d, stderr %q", r.code, r.stderr)
	}
	// Usage errors send nothing.
	f = rebuildServer(t, reply{status: 202, body: rbStarted})
	if r := f.run("rebuild", "-o", "csv"); r.code != ExitUsage {
		t.Fatalf("-o csv: exit %d", r.code)
	}
	if r := f.run("rebuild", "extra"); r.code != ExitUsage {
		t.Fatalf("an argument: exit %d", r.code)
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("usage errors sent %d requests", n)
	}
}

func TestRebuildSummaryFormat(t *testing.T) {
	for _, c := range []struct {
		took time.Duration
		want string
	}{
		{3249 * time.Millisecond, "3.2s"},
		{45 * time.Millisecond, "45ms"},
		{125*time.Second + 340*time.Millisecond, "2m5.3s"},
	} {
		if got := duration(c.took); got != c.want {
			t.Errorf("%s: %q, want %q", c.took, got, c.want)
		}
	}
}

// TestRebuildBar drives the terminal progress bar (into a file): no bar
// before the size is known, never finished while running even when done
// reaches total, growing with the log, full when done.
func TestRebuildBar(t *testing.T) {
	out, err := os.CreateTemp(t.TempDir(), "bar")
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	s := &rebuildShow{w: out, terminal: out}
	s.update(services.RebuildStatus{State: rebuildRunning})
	if s.bar != nil {
		t.Fatal("a bar without a size")
	}
	s.update(services.RebuildStatus{State: rebuildRunning, Done: 50, Total: 100})
	s.update(services.RebuildStatus{State: rebuildRunning, Done: 100, Total: 100})
	if s.bar == nil || s.bar.IsFinished() {
		t.Fatal("the bar finished while the rebuild runs")
	}
	s.update(services.RebuildStatus{State: rebuildRunning, Done: 150, Total: 200})
	if s.max != 200 || s.bar.IsFinished() {
		t.Fatalf("max %d", s.max)
	}
	bar := s.bar
	s.finish(services.RebuildStatus{State: rebuildDone, Done: 210, Total: 210})
	if !bar.IsFinished() || s.bar != nil {
		t.Fatal("not finished when done")
	}
	b, _ := os.ReadFile(out.Name())
	if text := string(b); !strings.Contains(text, "rebuilding read models") || !strings.Contains(text, "210/210") || !strings.Contains(text, "events/") {
		t.Errorf("bar output %q", text)
	}

	// Over before a bar showed: none.
	s = &rebuildShow{w: out, terminal: out}
	s.update(services.RebuildStatus{State: rebuildRunning})
	s.finish(services.RebuildStatus{State: rebuildDone, Done: 7, Total: 7})
	if s.bar != nil {
		t.Fatal("a bar for a rebuild that was over")
	}

	// A failure leaves the bar where it was.
	s = &rebuildShow{w: out, terminal: out}
	s.update(services.RebuildStatus{State: rebuildRunning, Done: 5, Total: 10})
	bar = s.bar
	s.finish(services.RebuildStatus{State: rebuildFailed, Done: 5, Total: 10})
	if s.bar != nil || bar.State().CurrentNum != 5 {
		t.Fatalf("failed: %+v", bar.State())
	}
}
