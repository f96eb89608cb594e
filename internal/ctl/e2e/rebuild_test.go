package e2e

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ehelse/portfolio/internal/daemon"
)

// TestRebuild runs portfolioctl rebuild against a server with demo data:
// it follows the rebuild to its end and prints the summary; --no-wait
// returns the running job; owners and anonymous callers are refused.
func TestRebuild(t *testing.T) {
	d, err := daemon.Start(context.Background(), daemon.Config{
		DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", Demo: true,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Out: io.Discard,
	})
	if err != nil {
		t.Fatalf("daemon.Start: %v", err)
	}
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		d.Close(cctx)
	})
	s := &session{t: t, server: d.URL()}
	sek, aud, hso := d.Token("sekretariat"), d.Token("riksrevisjonen"), d.Token("hso")
	head, err := d.Store.Head(context.Background())
	if err != nil || head == 0 {
		t.Fatalf("head %d %v", head, err)
	}
	strategy := s.query("", "strategy")

	r := s.run(sek, "rebuild")
	m := regexp.MustCompile(`^rebuilt (\d+) events in [0-9.]+m?s \((\d+) events/s\)\n$`).FindStringSubmatch(r.stdout)
	if r.code != 0 || m == nil {
		t.Fatalf("rebuild: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if m[1] == "0" {
		t.Errorf("rebuilt no events: %q", r.stdout)
	}
	// Not a terminal: at most progress lines on stderr, never a bar.
	for _, line := range strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n") {
		if line != "" && !strings.HasPrefix(line, "rebuilding read models: ") {
			t.Errorf("stderr line %q", line)
		}
	}
	if got := s.query("", "strategy"); got != strategy {
		t.Errorf("strategy differs after the rebuild:\n%s\n---\n%s", strategy, got)
	}

	// --no-wait -o json: the running job; a second run follows or starts one.
	r = s.run(aud, "rebuild", "--no-wait", "-o", "json")
	var st struct {
		State     string     `json:"state"`
		StartedAt *time.Time `json:"startedAt"`
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &st) != nil || st.StartedAt == nil || (st.State != "running" && st.State != "done") {
		t.Fatalf("--no-wait: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	r = s.run(aud, "rebuild", "-o", "json")
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &st) != nil || st.State != "done" {
		t.Fatalf("rebuild -o json: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}

	s.refused(hso, "error: 403 forbidden: ", "rebuild")
	s.refused("", "error: 401 unauthorized: ", "rebuild")
}
