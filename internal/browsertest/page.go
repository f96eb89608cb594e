package browsertest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TB is the part of testing.TB a Page needs; the screenshots program gives
// its own.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
	Cleanup(func())
}

// ActionTimeout bounds each browser action of a Page.
const ActionTimeout = 30 * time.Second

// Page is one browser tab, owned by one test.
type Page struct {
	tb     TB
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	messages []chromedp.ConsoleMessage
	flushes  map[string]chan struct{} // marker text → closed when the marker arrives
	flushN   int
	jsOff    bool
}

// NewPage opens a tab, closed when the test ends. From the start it records
// every console message, uncaught exception and browser log entry.
func (b *Browser) NewPage(tb TB) *Page {
	tb.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	p := &Page{tb: tb, ctx: ctx, cancel: cancel, flushes: map[string]chan struct{}{}}
	tb.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		tb.Fatalf("browsertest: open tab: %v", err)
	}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			p.record(m)
		}
	}()
	return p
}

func (p *Page) record(m chromedp.ConsoleMessage) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if ch, ok := p.flushes[m.Text]; ok {
		close(ch)
		delete(p.flushes, m.Text)
		return
	}
	p.messages = append(p.messages, m)
}

// Context is the tab's chromedp context, for actions this package has no
// helper for.
func (p *Page) Context() context.Context { return p.ctx }

// Do runs the actions in order with ActionTimeout, failing the test on error.
func (p *Page) Do(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.tb.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, ActionTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.tb.Fatalf("browsertest: %s: %v", what, err)
	}
}

// Run runs one action with ActionTimeout and returns its value, failing the
// test on error.
func Run[T any](p *Page, what string, a chromedp.Action[T]) T {
	p.tb.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, ActionTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		p.tb.Fatalf("browsertest: %s: %v", what, err)
	}
	return v
}

// Eval evaluates a JavaScript expression in the page through the DevTools
// protocol (not subject to the page's Content-Security-Policy) and decodes
// its value into T.
func Eval[T any](p *Page, expr string) T {
	p.tb.Helper()
	return Run(p, "evaluate "+abbrev(expr, 80), chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
}

// Navigate loads url, waits for its load event and returns the HTTP status
// of the document.
func (p *Page) Navigate(url string) int64 {
	p.tb.Helper()
	res := Run(p, "navigate to "+url, chromedp.NavigateResponse(url))
	if res == nil {
		p.tb.Fatalf("browsertest: navigate to %s: no response", url)
	}
	return res.Status
}

// Open loads url and fails the test unless it answers 200.
func (p *Page) Open(url string) {
	p.tb.Helper()
	if st := p.Navigate(url); st != 200 {
		p.tb.Fatalf("browsertest: GET %s: status %d, want 200", url, st)
	}
}

// URL is the document's current address.
func (p *Page) URL() string {
	p.tb.Helper()
	return Run(p, "location", chromedp.Location())
}

// WaitUntil waits until the JavaScript predicate is truthy, re-checking it on
// every DOM change (no fixed sleeps). It fails the test after timeout,
// quoting the predicate.
func (p *Page) WaitUntil(predicate string, timeout time.Duration) {
	p.tb.Helper()
	if err := p.TryWaitUntil(predicate, timeout); err != nil {
		p.tb.Fatalf("browsertest: waited %v for %s: %v", timeout, predicate, err)
	}
}

// TryWaitUntil is WaitUntil returning the error instead of failing.
func (p *Page) TryWaitUntil(predicate string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(p.ctx, timeout+5*time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](predicate,
		chromedp.WithPollingMutation(), chromedp.WithPollingTimeout(timeout)))
	return err
}

// DisableJavaScript turns off the page's scripts for this tab from the next
// navigation on; the DevTools protocol can still read the page.
func (p *Page) DisableJavaScript() {
	p.tb.Helper()
	p.setJavaScript("disable JavaScript", true)
}

// EnableJavaScript turns scripts back on. The current document keeps what
// it has: the scripts it skipped while loading do not run now. Tools that
// need timers, such as axe-core, work again.
func (p *Page) EnableJavaScript() {
	p.tb.Helper()
	p.setJavaScript("enable JavaScript", false)
}

func (p *Page) setJavaScript(what string, off bool) {
	p.tb.Helper()
	p.Do(what, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: off})
		return err
	}))
	p.jsOff = off
}

// EmulateMedia makes the page's CSS see the media type ("print"; ""
// ends the emulation).
func (p *Page) EmulateMedia(media string) {
	p.tb.Helper()
	p.Do("emulate media "+media, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: media})
		return err
	}))
}

// SetViewport sets the viewport size in CSS pixels.
func (p *Page) SetViewport(width, height int64) {
	p.tb.Helper()
	p.Do(fmt.Sprintf("viewport %dx%d", width, height), chromedp.EmulateViewport(width, height))
}

// Overflow is the page's width against the viewport's.
type Overflow struct {
	ScrollWidth int    `json:"scrollWidth"`
	InnerWidth  int    `json:"innerWidth"`
	Widest      string `json:"widest"` // the element reaching furthest right, when the page overflows
}

// HorizontalOverflow measures whether the page scrolls sideways; when it
// does, it names the element that sticks out furthest (outside elements
// that scroll in their own box).
func (p *Page) HorizontalOverflow() Overflow {
	p.tb.Helper()
	return Eval[Overflow](p, `(() => {
  const de = document.documentElement, vw = window.innerWidth;
  const r = {scrollWidth: de.scrollWidth, innerWidth: vw, widest: ""};
  if (de.scrollWidth <= vw) return r;
  // An element is clipped by a box that scrolls or hides its overflow on
  // its containing-block chain: an absolutely positioned element escapes
  // such boxes between it and its positioned ancestor.
  const clipped = (el) => {
    for (let a = el; a && a !== document.body && a !== document.documentElement; ) {
      const pos = getComputedStyle(a).position;
      if (pos === "fixed") return true;
      const next = pos === "absolute" ? a.offsetParent : a.parentElement;
      if (!next || next === document.body || next === document.documentElement) return false;
      if (getComputedStyle(next).overflowX !== "visible") return true;
      a = next;
    }
    return false;
  };
  let best = null, right = vw;
  for (const el of document.body.querySelectorAll("*")) {
    const b = el.getBoundingClientRect();
    if (b.right > right && !clipped(el)) { right = b.right; best = el; }
  }
  if (best) r.widest = best.tagName.toLowerCase() + (best.id ? "#" + best.id : "") +
      (best.className && typeof best.className === "string" ? "." + best.className.trim().split(/\s+/).join(".") : "") +
      " (right edge " + Math.round(right) + " px)";
  return r;
})()`)
}

// Focused describes document.activeElement.
type Focused struct {
	Tag          string `json:"tag"`
	Body         bool   `json:"body"` // focus is on the body: nothing focused
	ID           string `json:"id"`
	Name         string `json:"name"`
	Href         string `json:"href"`
	Text         string `json:"text"`
	Key          string `json:"key"` // the data-bt-key given by MarkFocusable
	FocusVisible bool   `json:"focusVisible"`
	Outline      string `json:"outline"`
	BoxShadow    string `json:"boxShadow"`
	Indicator    bool   `json:"indicator"` // a visible outline or box shadow is drawn
}

func (f Focused) String() string {
	s := "<" + f.Tag
	if f.ID != "" {
		s += " id=" + f.ID
	}
	if f.Name != "" {
		s += " name=" + f.Name
	}
	if f.Href != "" {
		s += " href=" + f.Href
	}
	return s + "> " + f.Text
}

const focusedJS = `(() => {
  const e = document.activeElement;
  if (!e || e === document.body || e === document.documentElement) return {tag: "body", body: true};
  const cs = getComputedStyle(e);
  const transparent = (c) => c === "transparent" || /rgba\([^)]*,\s*0\)$/.test(c);
  const outline = cs.outlineStyle !== "none" && parseFloat(cs.outlineWidth) > 0 && !transparent(cs.outlineColor);
  const shadow = cs.boxShadow !== "none" && cs.boxShadow !== "";
  return {tag: e.tagName.toLowerCase(), body: false, id: e.id || "", name: e.getAttribute("name") || "",
    href: e.getAttribute("href") || "",
    text: (e.getAttribute("aria-label") || e.innerText || e.value || e.title || "").trim().replace(/\s+/g, " ").slice(0, 80),
    key: e.getAttribute("data-bt-key") || "",
    focusVisible: e.matches(":focus-visible"),
    outline: cs.outlineStyle + " " + cs.outlineWidth + " " + cs.outlineColor, boxShadow: cs.boxShadow,
    indicator: outline || shadow};
})()`

// Tab presses the Tab key and describes the element that then has focus.
func (p *Page) Tab() Focused {
	p.tb.Helper()
	p.Do("press Tab", chromedp.KeyEvent(kb.Tab))
	return Eval[Focused](p, focusedJS)
}

// Active describes the focused element without pressing a key.
func (p *Page) Active() Focused {
	p.tb.Helper()
	return Eval[Focused](p, focusedJS)
}

// Focusable is an element that keyboard users must be able to reach.
type Focusable struct {
	Key  string `json:"key"`
	Desc string `json:"desc"`
}

// MarkFocusable gives every visible link, form control, button and
// positive-or-zero tabindex element under the CSS selector root a
// data-bt-key attribute and lists them in document order.
func (p *Page) MarkFocusable(root string) []Focusable {
	p.tb.Helper()
	return Eval[[]Focusable](p, fmt.Sprintf(`(() => {
  const root = document.querySelector(%q);
  if (!root) return [];
  const sel = 'a[href], input:not([type=hidden]), select, textarea, button, summary, [tabindex]';
  const out = [];
  let i = 0;
  for (const e of root.querySelectorAll(sel)) {
    if (e.disabled || e.closest("[inert]")) continue;
    if (e.hasAttribute("tabindex") && e.tabIndex < 0) continue;
    if (!e.checkVisibility({visibilityProperty: true})) continue;
    const key = "bt" + (i++);
    e.setAttribute("data-bt-key", key);
    const label = (e.getAttribute("aria-label") || e.innerText || e.value || e.getAttribute("name") || "").trim().replace(/\s+/g, " ").slice(0, 60);
    out.push({key, desc: "<" + e.tagName.toLowerCase() + (e.id ? " id=" + e.id : "") +
      (e.getAttribute("name") ? " name=" + e.getAttribute("name") : "") +
      (e.getAttribute("href") ? " href=" + e.getAttribute("href") : "") + "> " + label});
  }
  return out;
})()`, root))
}

// ConsoleErrors returns the errors the page has written so far: console
// errors, uncaught exceptions, and browser log entries of level error (a
// failed request, a Content-Security-Policy violation). With JavaScript on,
// it first round-trips a marker through the console, so that every message
// the page wrote before the call has been recorded.
func (p *Page) ConsoleErrors() []chromedp.ConsoleMessage {
	p.tb.Helper()
	if !p.jsOff {
		p.flushConsole()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var errs []chromedp.ConsoleMessage
	for _, m := range p.messages {
		if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException {
			errs = append(errs, m)
		}
	}
	return errs
}

func (p *Page) flushConsole() {
	p.tb.Helper()
	p.mu.Lock()
	p.flushN++
	marker := fmt.Sprintf("browsertest flush %d", p.flushN)
	ch := make(chan struct{})
	p.flushes[marker] = ch
	p.mu.Unlock()
	p.Do("console marker", chromedp.Evaluate[chromedp.Void](fmt.Sprintf("console.debug(%q)", marker)))
	select {
	case <-ch:
	case <-time.After(ActionTimeout):
		p.tb.Fatalf("browsertest: the console marker did not come back within %v", ActionTimeout)
	}
}

// FormatConsole renders messages one per line with their place.
func FormatConsole(ms []chromedp.ConsoleMessage) string {
	var b strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&b, "\n  %s", m.Type)
		if m.Source != "" {
			fmt.Fprintf(&b, " (%s)", m.Source)
		}
		fmt.Fprintf(&b, ": %s", m.Text)
		if m.URL != "" {
			fmt.Fprintf(&b, " [%s:%d]", m.URL, m.Line+1)
		}
	}
	return b.String()
}

// Screenshot writes a PNG of the page's first height CSS pixels (the whole
// page when it is shorter) at the current viewport width.
func (p *Page) Screenshot(path string, width, height int64) {
	p.tb.Helper()
	h := Eval[int64](p, `document.documentElement.scrollHeight`)
	if h > height {
		h = height
	}
	p.SetViewport(width, h)
	png := Run(p, "screenshot", chromedp.CaptureScreenshot())
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		p.tb.Fatalf("browsertest: %v", err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.tb.Fatalf("browsertest: %v", err)
	}
}

func abbrev(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
