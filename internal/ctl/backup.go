package ctl

// portfolioctl backup FILE: an online backup of the server's event log and
// Idempotency-Key bucket (GET /v1/admin/backup), checked before it is kept.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/ehelse/portfolio/backupfile"
)

const backupPath = "/v1/admin/backup"

func (a *app) backupCmd() *cobra.Command {
	var force, noProgress bool
	cmd := &cobra.Command{
		Use:   "backup FILE",
		Short: "Take an online backup of the event log (secretariat, auditor)",
		Long: `Take an online, consistent backup of the running server: JetStream's own
snapshots of the event log and of the Idempotency-Key bucket, streamed from
the server (GET /v1/admin/backup) while it goes on serving and writing,
with a manifest: the streams' identity and positions, the audit chain's
head at the backup's last position, the signing key's id, the version of
portfoliod. Needs a secretariat or auditor token. Works against the
embedded server and an external NATS cluster alike.

The backup is written to FILE.partial and checked (every checksum and
count of the manifest) before it is renamed to FILE; an interrupted or
damaged download leaves no FILE. Tokens and the signing key are not in it:
keep them separately. Restore with

  portfoliod restore --from FILE --data NEWDIR

On a terminal a progress indicator shows the bytes received; at the end it
prints what the backup holds (-o json: the manifest).`,
		Example: `  portfolioctl backup /backup/portfolio-$(date +%F).backup`,
		Args:    cobra.ExactArgs(1),
	}
	cmd.RunE = runE(func(cmd *cobra.Command, args []string) error {
		if err := a.checkOutput(outTable, outJSON); err != nil {
			return err
		}
		file := args[0]
		if _, err := os.Stat(file); err == nil && !force {
			return usagef("%s exists; use --force to replace it", file)
		}
		c, err := a.client()
		if err != nil {
			return err
		}
		start := time.Now()
		m, size, err := a.backup(cmd, c, file, noProgress)
		if err != nil {
			return err
		}
		if a.output == outJSON {
			data, err := json.MarshalIndent(m, "", "  ")
			if err != nil {
				return err
			}
			return writeRaw(a.stdout, data)
		}
		ev, _ := m.EventStream()
		verdict := "ok"
		if !m.Audit.OK {
			verdict = "NOT ok: " + m.Audit.Reason
		}
		fmt.Fprintf(a.stdout, "backed up %d events (positions %d to %d) of stream %s", ev.Messages, ev.FirstSeq, ev.LastSeq, ev.Name)
		for _, s := range m.Streams {
			if s.Role == backupfile.RoleIdempotency {
				fmt.Fprintf(a.stdout, " and %d Idempotency-Key records", s.Messages)
			}
		}
		fmt.Fprintf(a.stdout, " to %s (%s in %s)\n", file, bytesText(size), duration(time.Since(start)))
		fmt.Fprintf(a.stdout, "audit chain %s: %d events, head %s, signing key id %s\n", verdict, m.Audit.Events, m.Audit.Head, m.Audit.KeyID)
		return nil
	})
	cmd.Flags().BoolVar(&force, "force", false, "replace FILE if it exists")
	cmd.Flags().BoolVar(&noProgress, "no-progress", false, "no progress indicator on stderr")
	return cmd
}

// backup downloads a backup into file and checks it.
func (a *app) backup(cmd *cobra.Command, c *client, file string, noProgress bool) (backupfile.Manifest, int64, error) {
	ctx := cmd.Context()
	u := *c.base
	u.Path += backupPath
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return backupfile.Manifest{}, 0, failf("cannot build request: %v", err)
	}
	req.Header.Set("Accept", backupfile.Format+", application/x-tar, application/problem+json")
	req.Header.Set("User-Agent", userAgent)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	// No overall timeout: a backup takes as long as it takes. --timeout
	// still bounds the wait for the answer to begin.
	hc := &http.Client{Transport: c.http.Transport}
	resp, err := hc.Do(req)
	if err != nil {
		return backupfile.Manifest{}, 0, c.transportError(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return backupfile.Manifest{}, 0, c.problem(resp, data)
	}

	tmp := file + ".partial"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return backupfile.Manifest{}, 0, failf("%v", err)
	}
	keep := false
	defer func() {
		if !keep {
			f.Close()
			os.Remove(tmp)
		}
	}()
	var w io.Writer = f
	bar := a.bytesProgress("backing up", noProgress)
	if bar != nil {
		w = io.MultiWriter(f, bar)
	}
	n, err := io.Copy(w, resp.Body)
	if bar != nil {
		_ = bar.Finish()
		fmt.Fprintln(a.stderr)
	}
	if err != nil {
		return backupfile.Manifest{}, n, failf("the backup broke off after %s: %v; nothing was kept", bytesText(n), err)
	}
	if err := f.Sync(); err != nil {
		return backupfile.Manifest{}, n, failf("%v", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return backupfile.Manifest{}, n, failf("%v", err)
	}
	rf, err := os.Open(tmp)
	if err != nil {
		return backupfile.Manifest{}, n, failf("%v", err)
	}
	m, err := backupfile.Check(rf, nil)
	rf.Close()
	if err != nil {
		if errors.Is(err, backupfile.ErrDamaged) {
			return m, n, failf("the server's backup is not whole (%v); nothing was kept", err)
		}
		return m, n, failf("%v; nothing was kept", err)
	}
	if err := f.Close(); err != nil {
		return m, n, failf("%v", err)
	}
	if err := os.Rename(tmp, file); err != nil {
		return m, n, failf("%v", err)
	}
	keep = true
	if d, err := os.Open(filepath.Dir(file)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return m, n, nil
}

// bytesProgress is a progress indicator of bytes received, on a terminal
// only (the size of a snapshot is not known before its end).
func (a *app) bytesProgress(desc string, off bool) *progressbar.ProgressBar {
	f, ok := a.stderr.(*os.File)
	if off || !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return progressbar.NewOptions64(-1,
		progressbar.OptionSetWriter(f),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowBytes(true),
		progressbar.OptionSpinnerType(14),
		progressbar.OptionThrottle(65*time.Millisecond),
		progressbar.OptionShowElapsedTimeOnFinish(),
	)
}

// bytesText is a size for people: "12.3 MB".
func bytesText(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
