// Package browsertest drives Debian's Chromium through the DevTools protocol
// (chromedp) for the web site's browser tests and screenshots.
//
// A test package starts one [Browser] (in TestMain) and opens a [Page], a
// tab of its own, per test. A Page records everything the page writes to
// its console ([Page.ConsoleErrors]), runs axe-core against the page for
// WCAG 2.1 A and AA ([Page.Axe]) and measures from the rendered pixels the
// text contrast axe-core leaves undecided ([Page.UndecidedContrast]),
// reads the focused element after a Tab key ([Page.Tab]), measures
// sideways overflow ([Page.HorizontalOverflow]), turns JavaScript off,
// emulates print media, sets the viewport and takes screenshots. Waiting
// is on DOM changes or console round trips, never on fixed sleeps.
// Failures are reported through the test's testing.TB with enough detail
// to find the fault without a second run.
//
// The browser is /usr/bin/chromium unless CHROMIUM names another; a missing
// browser is an error, never a skip: `make test` installs it.
package browsertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"

	"github.com/chromedp/chromedp"
)

// DefaultExecPath is Debian's Chromium, installed by `make test` and .ci/run.
const DefaultExecPath = "/usr/bin/chromium"

// ExecPath is the browser used: $CHROMIUM or DefaultExecPath.
func ExecPath() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	return DefaultExecPath
}

// Browser is one headless Chromium process, shared by the tests of a package.
type Browser struct {
	ctx         context.Context // the browser's chromedp context
	cancel      context.CancelFunc
	allocCancel context.CancelFunc
}

// Start starts a headless Chromium. It runs without the sandbox because the
// tests run as root in CI containers, where Chromium refuses the sandbox.
func Start() (*Browser, error) {
	path := ExecPath()
	if _, err := exec.LookPath(path); err != nil {
		return nil, fmt.Errorf("chromium not found at %s (install the Debian package chromium, as make test does, or set CHROMIUM): %w", path, err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.WindowSize(1280, 900),
		// Keep system fonts and rendering stable for screenshots.
		chromedp.Flag("font-render-hinting", "none"),
		chromedp.Flag("lang", "nb-NO"),
	)
	allocCtx, allocCancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	// The first Do starts the process; its context must not time out, or
	// the timeout would end the browser.
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		allocCancel()
		return nil, fmt.Errorf("start chromium %s: %w", path, err)
	}
	return &Browser{ctx: ctx, cancel: cancel, allocCancel: allocCancel}, nil
}

// Close ends the browser process.
func (b *Browser) Close() error {
	if b == nil {
		return nil
	}
	err := chromedp.Cancel(b.ctx)
	b.cancel()
	b.allocCancel()
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}
