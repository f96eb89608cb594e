package e2e_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/oklog/ulid/v2"

	"github.com/ehelse/portfolio/internal/browsertest"
)

// search is typed in capitals with a Norwegian letter: the site must match
// "Digital hjemmeoppfølging" whatever the case.
const search = "HJEMMEOPPFØLGING"

// TestPublicPages: every public page answers 200, writes no error to the
// console, has no axe-core violation of WCAG 2.1 A or AA, and the Tab key
// reaches each of its links and controls with a visible focus.
func TestPublicPages(t *testing.T) {
	for _, pg := range publicPages(t) {
		t.Run(pg.name, func(t *testing.T) {
			p := browser.NewPage(t)
			u := site.URL() + pg.path
			if st := p.Navigate(u); st != pg.status {
				t.Fatalf("GET %s: status %d, want %d", pg.path, st, pg.status)
			}
			if lang := browsertest.Eval[string](p, `document.documentElement.lang`); lang != "nb" {
				t.Errorf("GET %s: <html lang=%q>, want nb", pg.path, lang)
			}
			var failedDoc []string
			if pg.status != 200 {
				failedDoc = append(failedDoc, u)
			}
			requireClean(t, p, "GET "+pg.path, failedDoc...)
			tabThrough(t, p, pg.path, p.MarkFocusable("body"))
		})
	}
}

// TestRoadmapSearch: the search typed in capitals finds the right
// initiative and only the matching ones; with JavaScript as the user types
// (the address follows, no reload), without it through the GET form.
func TestRoadmapSearch(t *testing.T) {
	want := []string{initiativeID(t, "Digital hjemmeoppfølging")}
	if got := roadmapIDs(t, search); !slices.Equal(got, want) {
		t.Fatalf("the read model finds %v for %q, want only Digital hjemmeoppfølging %v", got, search, want)
	}
	all := roadmapIDs(t, "")

	t.Run("with JavaScript", func(t *testing.T) {
		p := browser.NewPage(t)
		p.Open(site.URL() + "/veikart")
		if got := visibleInitiatives(p); len(got) < 2 || !slices.Equal(got, all) {
			t.Fatalf("the unfiltered roadmap shows %d initiatives %v, want all %d of the roadmap", len(got), got, len(all))
		}
		// A reload would lose this mark.
		browsertest.Eval[bool](p, `window.browserTestMark = true`)
		p.Do("type the search", chromedp.SendKeys(chromedp.CSS(`main input[name="q"]`), search))
		p.WaitUntil(visibleInitiativesAre(want), 5*time.Second)
		p.WaitUntil(`new URLSearchParams(location.search).get("q") === `+fmt.Sprintf("%q", search), 5*time.Second)
		if !browsertest.Eval[bool](p, `window.browserTestMark === true`) {
			t.Error("the page reloaded: the results should update in place as the user types")
		}
		requireClean(t, p, "roadmap after typing the search")
	})

	t.Run("without JavaScript", func(t *testing.T) {
		p := browser.NewPage(t)
		p.DisableJavaScript()
		p.Open(site.URL() + "/veikart")
		res, err := runResponse(p, chromedp.SendKeys(chromedp.CSS(`main input[name="q"]`), search+"\n"))
		if err != nil {
			t.Fatalf("submit the search form: %v", err)
		}
		if res.Status != 200 {
			t.Fatalf("the search form's GET answered %d", res.Status)
		}
		u, err := url.Parse(p.URL())
		if err != nil {
			t.Fatal(err)
		}
		if u.Path != "/veikart" || u.Query().Get("q") != search {
			t.Errorf("the form went to %s, want /veikart?q=%s", u, search)
		}
		if got := visibleInitiatives(p); !slices.Equal(got, want) {
			t.Errorf("without JavaScript the search shows %v, want only %v", got, want)
		}
		// axe-core needs timers: turn scripts on for it; the page's own
		// scripts, skipped while it loaded, stay unrun.
		p.EnableJavaScript()
		requireClean(t, p, "roadmap searched without JavaScript")
	})
}

// runResponse runs the action and returns the response of the navigation
// it causes.
func runResponse(p *browsertest.Page, a chromedp.Action[chromedp.Void]) (*network.Response, error) {
	ctx, cancel := context.WithTimeout(p.Context(), browsertest.ActionTimeout)
	defer cancel()
	return chromedp.RunResponse(ctx, a)
}

// TestDecisionAppearsLive: a decision recorded through the API appears on
// an open /vedtak page within a second, without a reload.
func TestDecisionAppearsLive(t *testing.T) {
	tag := ulid.Make().String()
	title := "Nettlesertest " + tag
	resolution := "NUFA anbefaler nettlesertesten " + tag
	today := time.Now().Format("2006-01-02")
	meeting, _ := command(t, "ScheduleMeeting", map[string]any{"forum": "NUFA", "date": today})
	caseID, _ := command(t, "RegisterCase", map[string]any{"forum": "NUFA", "title": title, "caseType": "discussion",
		"purpose": "other", "proposedResolution": "NUFA drøfter saken."})
	command(t, "PlaceCaseOnAgenda", map[string]any{"caseId": caseID, "meetingId": meeting})
	_, pos := command(t, "HoldMeeting", map[string]any{"meetingId": meeting})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := site.Reads.WaitFor(ctx, pos); err != nil {
		t.Fatal(err)
	}

	p := browser.NewPage(t)
	p.Open(site.URL() + "/vedtak")
	if browsertest.Eval[bool](p, `document.querySelector("main").innerText.includes(`+fmt.Sprintf("%q", title)+`)`) {
		t.Fatal("the case is on /vedtak before its decision")
	}
	browsertest.Eval[bool](p, `window.browserTestMark = true`)
	command(t, "RecommendInCouncil", map[string]any{"caseId": caseID, "meetingId": meeting, "resolution": resolution})
	recorded := time.Now()
	err := p.TryWaitUntil(`(() => { const m = document.querySelector("main").innerText;
  return m.includes(`+fmt.Sprintf("%q", title)+`) || m.includes(`+fmt.Sprintf("%q", resolution)+`); })()`, time.Second)
	if err != nil {
		t.Fatalf("the decision did not appear on the open /vedtak page within 1 s of the API's answer: %v", err)
	}
	t.Logf("the decision appeared %v after the API answered", time.Since(recorded).Round(time.Millisecond))
	if !browsertest.Eval[bool](p, `window.browserTestMark === true`) {
		t.Error("the page reloaded: the decision should arrive without a reload")
	}
	requireClean(t, p, "/vedtak after the live update")
}

// TestRoadmapLive: a status report recorded through the API shows on an
// open roadmap within a second, without a reload.
func TestRoadmapLive(t *testing.T) {
	id := initiativeID(t, "Digital hjemmeoppfølging")
	row := `[...document.querySelectorAll("main a[href$='/tiltak/` + id + `']")].map(a => a.closest("li") || a.parentElement)`
	p := browser.NewPage(t)
	p.Open(site.URL() + "/veikart")
	// Red unless it is red already (as after an earlier run in this process).
	rag, label := "red", "Rød"
	if browsertest.Eval[bool](p, row+`.some(r => r.innerText.includes("Rød"))`) {
		rag, label = "green", "Grønn"
	}
	shows := row + `.length > 0 && ` + row + `.every(r => r.innerText.includes("` + label + `"))`
	if browsertest.Eval[bool](p, shows) {
		t.Fatalf("Digital hjemmeoppfølging shows %s before the report", label)
	}
	browsertest.Eval[bool](p, `window.browserTestMark = true`)
	command(t, "ReportStatus", map[string]any{"initiativeId": id, "reportDate": time.Now().Format("2006-01-02"),
		"overall": rag, "schedule": rag, "cost": "yellow", "benefit": "green", "comment": "Nettlesertest: status " + rag + "."})
	recorded := time.Now()
	if err := p.TryWaitUntil(shows, time.Second); err != nil {
		t.Fatalf("the status %s did not appear on the open roadmap within 1 s of the API's answer: %v", label, err)
	}
	t.Logf("the status appeared %v after the API answered", time.Since(recorded).Round(time.Millisecond))
	if !browsertest.Eval[bool](p, `window.browserTestMark === true`) {
		t.Error("the page reloaded: the status should arrive without a reload")
	}
	requireClean(t, p, "/veikart after the live update")
}

// TestSmallScreen: at 320 px no page scrolls sideways (time lines and
// wide tables may scroll inside their own box), the roadmap included with
// a search.
func TestSmallScreen(t *testing.T) {
	p := browser.NewPage(t)
	p.SetViewport(320, 640)
	pages := append(publicPages(t), publicPage{"roadmap searched", "/veikart?q=" + url.QueryEscape(search), 200})
	for _, pg := range pages {
		path := pg.path
		if st := p.Navigate(site.URL() + path); st != pg.status {
			t.Fatalf("GET %s: status %d, want %d", path, st, pg.status)
		}
		if o := p.HorizontalOverflow(); o.ScrollWidth > o.InnerWidth {
			t.Errorf("GET %s at 320 px: the page is %d px wide in a %d px window; widest: %s", path, o.ScrollWidth, o.InnerWidth, o.Widest)
		}
		if path == "/veikart" {
			requireClean(t, p, "GET "+path+" at 320 px")
		}
	}
}

// TestRoadmapKeyboard: with the Tab key alone every link, filter and the
// search field of the roadmap is reached, in order, with a visible focus.
func TestRoadmapKeyboard(t *testing.T) {
	p := browser.NewPage(t)
	p.Open(site.URL() + "/veikart")
	targets := p.MarkFocusable("body")
	names := browsertest.Eval[[]string](p, `[...document.querySelectorAll("[data-bt-key][name]")].map(e => e.getAttribute("name"))`)
	for _, filter := range []string{"q", "goal", "subGoal", "owner", "userGroup", "phase"} {
		if !slices.Contains(names, filter) {
			t.Errorf("the roadmap has no visible form control named %q (filters and search are GET forms)", filter)
		}
	}
	n := tabThrough(t, p, "/veikart", targets)
	t.Logf("the Tab key reached %d of %d links and controls, each with a visible focus", n, len(targets))
}

// a4Landscape is the printable width of A4 landscape with 10 mm margins,
// in CSS pixels (96 per inch): 277 mm.
const a4Landscape = 1047

// TestRoadmapPrint: printed on A4 landscape, the roadmap leaves out the
// menu and the filters, and its time lines fit the page width (nothing
// that would scroll on screen is cut off on paper).
func TestRoadmapPrint(t *testing.T) {
	p := browser.NewPage(t)
	p.SetViewport(a4Landscape, 740)
	p.Open(site.URL() + "/veikart")
	p.EmulateMedia("print")
	type printed struct {
		Shown   []string `json:"shown"`
		Cut     []string `json:"cut"`
		Overall bool     `json:"overall"`
		Links   int      `json:"links"`
	}
	got := browsertest.Eval[printed](p, `(() => {
  const desc = (e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className && typeof e.className === "string" ? "." + e.className.trim().split(/\s+/).join(".") : "");
  const r = {shown: [], cut: [], overall: document.documentElement.scrollWidth <= window.innerWidth, links: 0};
  for (const e of document.querySelectorAll("header nav, main form")) {
    if (e.checkVisibility({visibilityProperty: true})) r.shown.push(desc(e));
  }
  for (const e of document.querySelectorAll("main *")) {
    const o = getComputedStyle(e).overflowX;
    if ((o === "auto" || o === "scroll" || o === "hidden") && e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 200)
      r.cut.push(desc(e) + " (" + e.scrollWidth + " px in " + e.clientWidth + ")");
  }
  r.links = [...document.querySelectorAll("main a[href*='/tiltak/']")].filter(a => a.checkVisibility()).length;
  return r;
})()`)
	if len(got.Shown) > 0 {
		t.Errorf("printed, the roadmap still shows the menu or the filters: %v", got.Shown)
	}
	if !got.Overall {
		t.Error("printed, the roadmap is wider than A4 landscape")
	}
	if len(got.Cut) > 0 {
		t.Errorf("printed, these boxes would cut off their content: %v", got.Cut)
	}
	if got.Links == 0 {
		t.Error("printed, the roadmap shows no initiatives")
	}
}
