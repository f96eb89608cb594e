package ctl

import (
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress starts a progress indicator on stderr for a long-running step:
// a bar when total > 0, a spinner when total is -1 (unknown). It shows
// only when stderr is a terminal, so pipes, files and tests never see it.
// It returns the bar (nil when not shown; its methods must then not be
// used) and a function that removes it.
func (a *app) progress(desc string, total int64) (*progressbar.ProgressBar, func()) {
	f, ok := a.stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil, func() {}
	}
	bar := progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(f),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionSpinnerType(14),
		progressbar.OptionSetSpinnerChangeInterval(100*time.Millisecond),
		progressbar.OptionThrottle(65*time.Millisecond),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionShowCount(),
	)
	_ = bar.RenderBlank()
	return bar, func() { _ = bar.Finish(); _ = bar.Clear() }
}

// spinner shows an indeterminate progress indicator while one request
// runs (audit verify reads the whole log on the server).
func (a *app) spinner(desc string) func() {
	_, stop := a.progress(desc, -1)
	return stop
}
