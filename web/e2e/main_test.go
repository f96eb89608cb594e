// Package e2e_test drives the public web site in a real browser (Debian's
// Chromium through internal/browsertest) against the real server, started
// in-process on 127.0.0.1:0 with the demo data: every public page answers
// 200 with no console errors and no axe-core WCAG 2.1 A/AA violations;
// search works with and without JavaScript; decisions arrive live; the
// roadmap fits 320 px and can be used with the keyboard alone.
package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ehelse/portfolio/internal/browsertest"
	"github.com/ehelse/portfolio/internal/daemon"
	"github.com/ehelse/portfolio/projections"
)

// One browser and one demo server for the package: the demo takes seconds
// to record and the tests only add to it.
var (
	browser *browsertest.Browser
	site    *daemon.Daemon
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "web-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	site, err = startDemo(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer site.Close(context.Background())
	browser, err = browsertest.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer browser.Close()
	return m.Run()
}

// startDemo starts the server with the demo data and returns once the read
// models have applied all of it.
func startDemo(dir string) (*daemon.Daemon, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	logger := slog.New(slog.DiscardHandler)
	if os.Getenv("E2E_LOG") != "" {
		logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	d, err := daemon.Start(ctx, daemon.Config{DataDir: dir, HTTPAddr: "127.0.0.1:0", Demo: true,
		Logger: logger, Out: io.Discard})
	if err != nil {
		return nil, fmt.Errorf("start the demo server: %w", err)
	}
	head, err := d.Store.Head(ctx)
	if err == nil {
		err = d.Reads.WaitFor(ctx, head)
	}
	if err != nil {
		_ = d.Close(context.Background())
		return nil, fmt.Errorf("demo read models: %w", err)
	}
	return d, nil
}

// ---- the demo's ids ----

// initiativeID finds a demo initiative by its exact title.
func initiativeID(t *testing.T, title string) string {
	t.Helper()
	all, err := site.Reads.Initiatives(projections.InitiativeFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range all {
		if in.Title == title {
			return in.InitiativeID
		}
	}
	t.Fatalf("the demo has no initiative %q", title)
	return ""
}

// heldMeeting is the demo's latest held meeting with a decided case on its
// agenda: its id and the id of that case.
func heldMeeting(t *testing.T) (meetingID, caseID string) {
	t.Helper()
	ms, err := site.Reads.Meetings("", 0)
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Date > ms[j].Date })
	for _, m := range ms {
		if !m.Held || m.AgendaItems == 0 {
			continue
		}
		md, err := site.Reads.Meeting(m.MeetingID)
		if err != nil {
			t.Fatal(err)
		}
		return md.MeetingID, md.Agenda[0].CaseID
	}
	t.Fatal("the demo has no held meeting with an agenda")
	return "", ""
}

// roadmapIDs are the initiatives the roadmap lists for the search q.
func roadmapIDs(t *testing.T, q string) []string {
	t.Helper()
	v, err := site.Reads.Roadmap(projections.RoadmapFilter{Q: q})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, g := range v.Goals {
		for _, s := range g.SubGoals {
			for _, in := range s.Initiatives {
				ids = append(ids, in.InitiativeID)
			}
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// publicPage is a page of the site with the status it must answer.
type publicPage struct {
	name, path string
	status     int64
}

// publicPages are the public pages of the contract, with demo ids, and the
// error page of an unknown address.
func publicPages(t *testing.T) []publicPage {
	t.Helper()
	initiative := initiativeID(t, "Digital hjemmeoppfølging")
	meeting, caseID := heldMeeting(t)
	return []publicPage{
		{"front page", "/", 200},
		{"roadmap", "/veikart", 200},
		{"roadmap filtered", "/veikart?phase=execution&q=" + url.QueryEscape("digital"), 200},
		{"portfolio", "/portefolje", 200},
		{"initiative", "/tiltak/" + initiative, 200},
		{"strategy", "/strategi", 200},
		{"council", "/radsmodell", 200},
		{"meeting", "/radsmodell/moter/" + meeting, 200},
		{"case", "/radsmodell/saker/" + caseID, 200},
		{"decision register", "/vedtak", 200},
		{"reports", "/rapporter", 200},
		{"closed report", "/rapporter/" + roundID(t, projections.RoundClosed), 200},
		{"open round", "/rapporter/" + roundID(t, projections.RoundOpen), 200},
		{"initiative with dependencies", "/tiltak/" + initiativeID(t, "Pasientens legemiddelliste (PLL)"), 200},
		{"unknown page", "/finnes-ikke", 404},
	}
}

// roundID is the latest demo round in the state.
func roundID(t *testing.T, state string) string {
	t.Helper()
	rs, err := site.Reads.Rounds()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.State == state {
			return r.RoundID
		}
	}
	t.Fatalf("the demo has no %s round", state)
	return ""
}

// ---- the API ----

// command posts a command as the secretariat and returns the aggregate id
// and the log position it wrote.
func command(t *testing.T, name string, body map[string]any) (id string, position uint64) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", site.URL()+"/v1/commands/"+name, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+site.Token("sekretariat"))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("%s: status %d: %s", name, res.StatusCode, out)
	}
	var r struct {
		AggregateID string `json:"aggregateId"`
		Position    uint64 `json:"position"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("%s: %v: %s", name, err, out)
	}
	return r.AggregateID, r.Position
}

// ---- the page ----

// visibleInitiatives are the ids of the initiatives the visible links of
// the page's main element lead to.
func visibleInitiatives(p *browsertest.Page) []string {
	hrefs := browsertest.Eval[[]string](p, `[...document.querySelectorAll("main a[href*='/tiltak/']")]
  .filter(a => a.checkVisibility({visibilityProperty: true})).map(a => a.getAttribute("href"))`)
	var ids []string
	for _, h := range hrefs {
		if m := tiltakHref.FindStringSubmatch(h); m != nil {
			ids = append(ids, m[1])
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

var tiltakHref = regexp.MustCompile(`/tiltak/([^/?#]+)`)

// jsList renders ids as a JavaScript array literal.
func jsList(ids []string) string {
	b, _ := json.Marshal(ids)
	return string(b)
}

// visibleInitiativesAre is a page predicate: the visible initiative links
// of main lead to exactly ids.
func visibleInitiativesAre(ids []string) string {
	return `(() => {
  const want = ` + jsList(ids) + `;
  const got = [...new Set([...document.querySelectorAll("main a[href*='/tiltak/']")]
    .filter(a => a.checkVisibility({visibilityProperty: true}))
    .map(a => (a.getAttribute("href").match(/\/tiltak\/([^\/?#]+)/) || [])[1]).filter(Boolean))].sort();
  return got.length === want.length && got.every((id, i) => id === want[i]);
})()`
}

// requireClean fails the test on axe-core violations, on too little text
// contrast where axe-core could not decide, and on console errors.
// failedDoc, when not empty, is the address of a document that answered an
// error status on purpose: the browser's note of that status is expected.
func requireClean(t *testing.T, p *browsertest.Page, what string, failedDoc ...string) {
	t.Helper()
	if v := p.Axe(); len(v) > 0 {
		t.Errorf("%s: %d axe-core WCAG 2.1 A/AA violations:%s", what, len(v), browsertest.FormatViolations(v))
	}
	// What axe-core leaves undecided (text over a gradient) is measured
	// from the rendered pixels.
	for _, c := range p.UndecidedContrast() {
		if !c.OK() {
			t.Errorf("%s: text contrast below WCAG 2.1 AA: %s", what, c)
		}
	}
	errs := slices.DeleteFunc(p.ConsoleErrors(), func(m chromedp.ConsoleMessage) bool {
		return m.Source == "network" && slices.Contains(failedDoc, m.URL)
	})
	if len(errs) > 0 {
		t.Errorf("%s: console errors:%s", what, browsertest.FormatConsole(errs))
	}
}

// tabThrough presses Tab from the top of the page until the focus leaves
// the page or comes round again, and fails the test for each of targets
// it never reached and each focus drawn without a visible indicator. It
// returns how many targets it reached.
func tabThrough(t *testing.T, p *browsertest.Page, what string, targets []browsertest.Focusable) int {
	t.Helper()
	reached := map[string]bool{}
	n, last := 0, ""
	for i := 0; i < 4*len(targets)+10; i++ {
		f := p.Tab()
		if f.Key != "" && f.Key == last {
			continue // the next field inside one control (a date's day, month, year)
		}
		last = f.Key
		if f.Body {
			if n > 0 {
				break // past the last element
			}
			continue
		}
		if f.Key == "" {
			continue // focusable, but not one of the targets
		}
		if reached[f.Key] {
			break // round again
		}
		reached[f.Key] = true
		n++
		if !f.FocusVisible || !f.Indicator {
			t.Errorf("%s: focus is not visible on %s (outline %s, box-shadow %s)", what, f, f.Outline, f.BoxShadow)
		}
	}
	var missed []string
	for _, tg := range targets {
		if !reached[tg.Key] {
			missed = append(missed, tg.Desc)
		}
	}
	if len(missed) > 0 {
		t.Errorf("%s: the Tab key never reached %d of %d elements:\n  %s", what, len(missed), len(targets), strings.Join(missed, "\n  "))
	}
	if len(targets) > 0 && n == 0 {
		t.Errorf("%s: the Tab key reached nothing", what)
	}
	return n
}
