package browsertest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ehelse/portfolio/internal/browsertest"
)

var browser *browsertest.Browser

func TestMain(m *testing.M) {
	var err error
	browser, err = browsertest.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	_ = browser.Close()
	os.Exit(code)
}

// csp is as strict as the site's: no inline script or style.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; frame-ancestors 'none'"

// fixture serves pages that break the rules on purpose, so that each check
// of the harness is seen to fail when it should.
func fixture(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	page := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Security-Policy", csp)
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, `<!doctype html><html lang="nb"><head><meta charset="utf-8"><title>Test</title>
<link rel="stylesheet" href="/s.css"></head><body><main><h1>Test</h1>%s</main></body></html>`, body)
		}
	}
	mux.HandleFunc("/favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/svg+xml")
		fmt.Fprint(w, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>`)
	})
	mux.HandleFunc("/s.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css")
		fmt.Fprint(w, `a:focus-visible, input:focus-visible { outline: 3px solid #000; }
.noring:focus { outline: none; }
.wide { width: 2000px; }
.box { overflow-x: auto; } .box > div { width: 2000px; }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
.cell { display: inline-block; margin-left: 900px; }
.tall { height: 3000px; }
.grad-good { background-image: linear-gradient(to right, #fff, #eee); color: #222; }
.grad-bad { background-image: linear-gradient(to right, #fff, #999); color: #777; }
.far { display: inline-block; margin-left: 1800px; background-image: linear-gradient(to right, #fff, #999); color: #777; }`)
	})
	mux.HandleFunc("/err.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		fmt.Fprint(w, `console.error("boom from err.js");`)
	})
	mux.HandleFunc("/good", page(`<p><a href="/a">Første lenke</a></p><form><label for="q">Søk</label><input id="q" name="q"></form>`))
	mux.HandleFunc("/bad", page(`<img src="data:,"><input name="x"><script>console.log("inline, refused by CSP")</script><script src="/err.js"></script>`))
	mux.HandleFunc("/noring", page(`<p><a class="noring" href="/a">Uten fokusring</a></p>`))
	mux.HandleFunc("/wide", page(`<div class="wide">bred</div>`))
	mux.HandleFunc("/gradient", page(`<p class="grad-good">God kontrast over en gradient</p><div class="tall"></div><p class="grad-bad">Svak kontrast over en gradient</p>
<div class="box" tabindex="0" role="region" aria-label="boks"><div><span class="far">Langt ute til høyre</span></div></div>`))
	mux.HandleFunc("/escaping", page(`<div class="box" tabindex="0" role="region" aria-label="tabell"><div><span class="cell">celle<span class="sr">skjult tekst</span></span></div></div>`))
	mux.HandleFunc("/boxed", page(`<div class="box" tabindex="0" role="region" aria-label="tidslinje"><div>bred i egen boks</div></div>`))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestHarnessSeesViolationsAndErrors(t *testing.T) {
	srv := fixture(t)
	p := browser.NewPage(t)

	p.Open(srv.URL + "/good")
	if v := p.Axe(); len(v) != 0 {
		t.Errorf("/good: want no violations, got %s", browsertest.FormatViolations(v))
	}
	if e := p.ConsoleErrors(); len(e) != 0 {
		t.Errorf("/good: want no console errors, got %s", browsertest.FormatConsole(e))
	}

	p.Open(srv.URL + "/bad")
	ids := map[string]bool{}
	for _, v := range p.Axe() {
		ids[v.ID] = true
	}
	for _, want := range []string{"image-alt", "label"} {
		if !ids[want] {
			t.Errorf("/bad: axe did not report %s (got %v)", want, ids)
		}
	}
	errs := browsertest.FormatConsole(p.ConsoleErrors())
	for _, want := range []string{"boom from err.js", "Content Security Policy"} {
		if !strings.Contains(errs, want) {
			t.Errorf("/bad: console errors lack %q: %s", want, errs)
		}
	}
}

func TestHarnessFocusAndOverflow(t *testing.T) {
	srv := fixture(t)
	p := browser.NewPage(t)

	p.Open(srv.URL + "/good")
	keys := p.MarkFocusable("main")
	if len(keys) != 2 {
		t.Fatalf("want 2 focusable elements, got %v", keys)
	}
	f := p.Tab()
	if f.Key != keys[0].Key || !f.FocusVisible || !f.Indicator {
		t.Errorf("first Tab: got %+v, want %s with a visible focus indicator", f, keys[0].Desc)
	}
	if f := p.Tab(); f.Tag != "input" || !f.Indicator {
		t.Errorf("second Tab: got %+v, want the search field with a visible focus indicator", f)
	}

	p.Open(srv.URL + "/noring")
	if f := p.Tab(); f.Tag != "a" || f.Indicator {
		t.Errorf("/noring: got %+v, want a link without a focus indicator", f)
	}

	p.SetViewport(320, 640)
	p.Open(srv.URL + "/wide")
	if o := p.HorizontalOverflow(); o.ScrollWidth <= o.InnerWidth || !strings.HasPrefix(o.Widest, "div.wide") {
		t.Errorf("/wide at 320 px: got %+v, want overflow by div.wide", o)
	}
	p.Open(srv.URL + "/escaping")
	if o := p.HorizontalOverflow(); o.ScrollWidth <= o.InnerWidth || !strings.HasPrefix(o.Widest, "span.sr") {
		t.Errorf("/escaping at 320 px: got %+v, want overflow by span.sr (absolutely positioned, it escapes the scrolling box)", o)
	}
	p.Open(srv.URL + "/boxed")
	if o := p.HorizontalOverflow(); o.ScrollWidth > o.InnerWidth {
		t.Errorf("/boxed at 320 px: got %+v, want no page overflow (the box scrolls itself)", o)
	}
}

func TestHarnessJavaScriptOff(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><html lang="nb"><head><title>JS</title></head><body><main><h1 id="h">uten skript</h1>
<script>document.getElementById("h").textContent = "med skript"</script></main></body></html>`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	p := browser.NewPage(t)
	p.Open(srv.URL)
	p.WaitUntil(`document.getElementById("h").textContent === "med skript"`, 5*time.Second)

	q := browser.NewPage(t)
	q.DisableJavaScript()
	q.Open(srv.URL)
	if got := browsertest.Eval[string](q, `document.getElementById("h").textContent`); got != "uten skript" {
		t.Errorf("with JavaScript off the page script ran: heading %q", got)
	}
	q.EnableJavaScript()
	if got := browsertest.Eval[string](q, `document.getElementById("h").textContent`); got != "uten skript" {
		t.Errorf("turning JavaScript on ran the skipped page script: heading %q", got)
	}
	if v := q.Axe(); len(v) != 0 {
		t.Errorf("axe-core after JavaScript is turned on again: %s", browsertest.FormatViolations(v))
	}
}

func TestHarnessSettlesUndecidedContrast(t *testing.T) {
	srv := fixture(t)
	p := browser.NewPage(t)
	p.Open(srv.URL + "/gradient")
	if v := p.Axe(); len(v) != 0 {
		t.Fatalf("axe-core should leave text over a gradient undecided, got violations %s", browsertest.FormatViolations(v))
	}
	got := map[string]browsertest.Contrast{}
	for _, c := range p.UndecidedContrast() {
		got[c.Target] = c
	}
	good, bad, far := got[".grad-good"], got[".grad-bad"], got["span"]
	if good.Why != "bgGradient" || !good.OK() || good.Ratio < 14 {
		t.Errorf("#222 over #fff→#eee: got %v, want about 14.6:1 and OK", good)
	}
	// #777 is 4.48:1 on white; behind the text (the first fifth of the
	// gradient, below the first screen) the background is darker.
	if bad.Why != "bgGradient" || bad.OK() || bad.Ratio > 4.2 || bad.Ratio < 3 {
		t.Errorf("#777 over #fff→#999: got %v, want about 3.9:1 and not OK", bad)
	}
	// Outside its scrolling box's view until scrolled there; the gradient
	// spans just the text, down to #999 (about 1.6:1).
	if far.Why != "bgGradient" || far.Unmeasured != "" || far.Ratio > 2 {
		t.Errorf("#777 over #fff→#999 in a scrolled box: got %v, want about 1.6:1", far)
	}
}
