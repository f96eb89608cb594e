package ctl

// portfolioctl rebuild: start a rebuild of the read models on the server
// (POST /v1/admin/rebuild) and follow it (GET /v1/admin/rebuild) to its
// end, with a progress bar on a terminal.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/ehelse/portfolio/services"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

const rebuildPath = "/v1/admin/rebuild"

// How often rebuild asks the server, and how often it prints a progress
// line when stderr is not a terminal. Variables for the tests.
var (
	rebuildPollInterval = 250 * time.Millisecond
	rebuildLineInterval = time.Second
)

// Rebuild states, as the server reports them.
const (
	rebuildIdle    = "idle"
	rebuildRunning = "running"
	rebuildDone    = "done"
	rebuildFailed  = "failed"
)

func (a *app) rebuildCmd() *cobra.Command {
	var noWait, noProgress bool
	cmd := &cobra.Command{
		Use:   "rebuild",
		Short: "Rebuild the read models from the event log (secretariat, auditor)",
		Long: `Rebuild the server's read models from the whole event log, without downtime:
the server builds them into a new file while the current one keeps
answering queries, then switches to it at once. Nothing is written to the
event log. Needs a secretariat or auditor token.

rebuild starts it (POST /v1/admin/rebuild) and follows it to its end (GET
/v1/admin/rebuild every 250 ms): on a terminal with a progress bar on
stderr (events, events/s, time left), else with a progress line on stderr
every second. At the end it prints

  rebuilt N events in 3.2s (12345 events/s)

(-o json: the final status as JSON). Exit code 0 when the rebuild is done,
1 when it failed (the previous read models keep serving) or was refused.

When a rebuild is already running (409 rebuild_in_progress), rebuild says
so on stderr and follows that one: it also reads the log to its end.
With --no-wait it prints the status and returns at once; interrupting
rebuild only stops following, the server goes on.`,
		Example: `  portfolioctl rebuild
  portfolioctl rebuild --no-wait -o json`,
		Args: cobra.NoArgs,
	}
	cmd.RunE = runE(func(cmd *cobra.Command, _ []string) error {
		if err := a.checkOutput(outTable, outJSON); err != nil {
			return err
		}
		c, err := a.client()
		if err != nil {
			return err
		}
		ctx := cmd.Context()
		var st services.RebuildStatus
		var body []byte
		resp, err := c.do(ctx, http.MethodPost, rebuildPath, nil, nil, nil)
		var p *Problem
		if errors.As(err, &p) && p.Status == http.StatusConflict && p.Code == "rebuild_in_progress" {
			fmt.Fprintln(a.stderr, "portfolioctl: a rebuild is already running on the server; following it")
			st, body, err = getRebuild(ctx, c)
		} else if err == nil {
			body = resp.body
			err = decodeRebuild(body, &st)
		}
		if err != nil {
			return err
		}
		if !noWait {
			st, body, err = a.followRebuild(ctx, c, st, body, noProgress)
			if err != nil {
				return err
			}
		}
		if a.output == outJSON {
			if err := writeRaw(a.stdout, body); err != nil {
				return err
			}
		} else if noWait {
			renderRebuild(a.stdout, st)
		} else if st.State == rebuildDone {
			fmt.Fprintln(a.stdout, rebuildSummary(st))
		}
		if st.State == rebuildFailed {
			return failf("the rebuild failed: %s", first(st.Error, "no reason given"))
		}
		return nil
	})
	cmd.Flags().BoolVar(&noWait, "no-wait", false, "start it, print its status and return without following it")
	cmd.Flags().BoolVar(&noProgress, "no-progress", false, "no progress bar or progress lines on stderr")
	return cmd
}

// getRebuild asks the server for the rebuild's status.
func getRebuild(ctx context.Context, c *client) (services.RebuildStatus, []byte, error) {
	var st services.RebuildStatus
	resp, err := c.do(ctx, http.MethodGet, rebuildPath, nil, nil, nil)
	if err != nil {
		return st, nil, err
	}
	return st, resp.body, decodeRebuild(resp.body, &st)
}

func decodeRebuild(body []byte, st *services.RebuildStatus) error {
	if err := json.Unmarshal(body, st); err != nil || st.State == "" {
		return failf("unexpected answer from the server: %s", first(snippet(body), "an empty body"))
	}
	return nil
}

// followRebuild polls the server until the rebuild st (answered with body)
// is no longer running, showing its progress on stderr, and returns its
// last status and answer.
func (a *app) followRebuild(ctx context.Context, c *client, st services.RebuildStatus, body []byte, noProgress bool) (services.RebuildStatus, []byte, error) {
	started := st.StartedAt
	show := a.rebuildProgress(noProgress)
	defer show.stop()
	tick := time.NewTicker(rebuildPollInterval)
	defer tick.Stop()
	for st.State == rebuildRunning {
		show.update(st)
		select {
		case <-ctx.Done():
			return st, nil, failf("stopped following the rebuild; it goes on on the server (GET %s)", rebuildPath)
		case <-tick.C:
		}
		next, b, err := getRebuild(ctx, c)
		if err != nil {
			return st, nil, err
		}
		if started != nil && (next.StartedAt == nil || !next.StartedAt.Equal(*started)) {
			// The server restarted (idle), or another rebuild started
			// after ours: ours ended without our seeing how.
			return next, nil, failf("the server no longer reports the rebuild started at %s (now %s); was it restarted? Ask again with portfolioctl rebuild",
				started.UTC().Format(time.RFC3339), next.State)
		}
		st, body = next, b
	}
	show.finish(st)
	return st, body, nil
}

// rebuildShow shows a rebuild's progress on stderr: a progress bar on a
// terminal, else a line every rebuildLineInterval.
type rebuildShow struct {
	w        io.Writer
	terminal *os.File // nil: lines
	off      bool
	bar      *progressbar.ProgressBar
	max      uint64
	lastLine time.Time
}

func (a *app) rebuildProgress(off bool) *rebuildShow {
	s := &rebuildShow{w: a.stderr, off: off, lastLine: time.Now()}
	if f, ok := a.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		s.terminal = f
	}
	return s
}

func (s *rebuildShow) update(st services.RebuildStatus) {
	if s.off {
		return
	}
	if s.terminal == nil {
		if now := time.Now(); now.Sub(s.lastLine) >= rebuildLineInterval {
			s.lastLine = now
			fmt.Fprintln(s.w, rebuildLine(st))
		}
		return
	}
	if st.Total == 0 {
		return // nothing known yet; a bar needs a size
	}
	if s.bar == nil {
		s.bar = progressbar.NewOptions64(int64(st.Total),
			progressbar.OptionSetWriter(s.terminal),
			progressbar.OptionSetDescription("rebuilding read models"),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("events"),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionShowElapsedTimeOnFinish(),
			progressbar.OptionThrottle(65*time.Millisecond),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(s.terminal) }),
		)
		s.max = st.Total
		_ = s.bar.RenderBlank()
	}
	if st.Total > s.max { // the log grew meanwhile
		s.bar.ChangeMax64(int64(st.Total))
		s.max = st.Total
	}
	v := min(st.Done, s.max)
	if st.State == rebuildRunning && v >= s.max {
		v = s.max - 1 // a full bar is finished for good; only done is
	}
	_ = s.bar.Set64(int64(v))
}

// finish shows the end: the bar full when done, else left where it was.
// A rebuild over before the bar showed gets none: the summary says it all.
func (s *rebuildShow) finish(st services.RebuildStatus) {
	if s.off || s.terminal == nil {
		return
	}
	if s.bar != nil && st.State == rebuildDone {
		s.update(st)
		_ = s.bar.Finish()
	}
	s.stop()
}

// stop leaves the bar as it is and moves to the next line.
func (s *rebuildShow) stop() {
	if s.bar != nil {
		bar := s.bar
		s.bar = nil
		if !bar.IsFinished() {
			_ = bar.Exit()
		}
	}
}

// rebuildLine is the progress line for a log or a pipe.
func rebuildLine(st services.RebuildStatus) string {
	return "rebuilding read models: " + rebuildProgressText(st)
}

// rebuildProgressText is "N/M events (x%), R events/s, about T left".
func rebuildProgressText(st services.RebuildStatus) string {
	line := fmt.Sprintf("%d/%d events", st.Done, st.Total)
	if st.Total > 0 {
		line += fmt.Sprintf(" (%d%%)", st.Done*100/max(st.Total, st.Done))
	}
	if st.EventsPerSecond > 0 {
		line += fmt.Sprintf(", %.0f events/s", st.EventsPerSecond)
	}
	if st.EtaSeconds != nil {
		line += ", about " + seconds(*st.EtaSeconds) + " left"
	}
	return line
}

// rebuildSummary is the final line: "rebuilt N events in 3.2s (12345 events/s)".
func rebuildSummary(st services.RebuildStatus) string {
	var took time.Duration
	if st.StartedAt != nil && st.FinishedAt != nil {
		took = st.FinishedAt.Sub(*st.StartedAt)
	}
	return fmt.Sprintf("rebuilt %d events in %s (%.0f events/s)", st.Done, duration(took), st.EventsPerSecond)
}

// duration shows a duration to a tenth of a second ("3.2s", "2m5.3s"),
// shorter ones to the millisecond.
func duration(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(100 * time.Millisecond).String()
}

func seconds(s float64) string { return duration(time.Duration(s * float64(time.Second))) }

// renderRebuild prints a rebuild's status (rebuild --no-wait).
func renderRebuild(w io.Writer, st services.RebuildStatus) {
	tw := newTable(w)
	fmt.Fprintf(tw, "state:\t%s\n", st.State)
	if st.StartedAt != nil {
		fmt.Fprintf(tw, "startedAt:\t%s\n", st.StartedAt.UTC().Format("2006-01-02 15:04:05Z"))
	}
	if st.FinishedAt != nil {
		fmt.Fprintf(tw, "finishedAt:\t%s\n", st.FinishedAt.UTC().Format("2006-01-02 15:04:05Z"))
	}
	if st.State != rebuildIdle {
		fmt.Fprintf(tw, "progress:\t%s\n", rebuildProgressText(st))
	}
	if st.Error != "" {
		fmt.Fprintf(tw, "error:\t%s\n", st.Error)
	}
	_ = tw.Flush()
}
