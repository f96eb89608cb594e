package ctl

// The auditors' commands beyond reading the log: audit verify (online, or
// offline on an export), audit digest and audit export. The checks are
// package audit's (stdlib only), so an offline verification runs the same
// code as the server. See docs/AUDIT.md.

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/ehelse/portfolio/audit"
	"github.com/ehelse/portfolio/services"
	"github.com/ehelse/portfolio/services/wire"
)

// verifyTimeout is the default --timeout of the commands that read the
// whole log (the server, or the client, reads all of it).
const verifyTimeout = 15 * time.Minute

// sinceFlags select a saved digest.
type sinceFlags struct {
	file   string
	head   string
	events uint64
}

func (f *sinceFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.file, "since", "", "a digest saved earlier (`FILE` from audit digest): check that the log still extends it")
	cmd.Flags().StringVar(&f.head, "since-head", "", "the head of a saved digest (with --since-events)")
	cmd.Flags().Uint64Var(&f.events, "since-events", 0, "the number of events of a saved digest (with --since-head)")
}

// digest returns the selected digest, nil when none.
func (f *sinceFlags) digest(cmd *cobra.Command) (*audit.Digest, error) {
	headSet, eventsSet := cmd.Flags().Changed("since-head"), cmd.Flags().Changed("since-events")
	switch {
	case f.file != "" && (headSet || eventsSet):
		return nil, usagef("give --since or --since-head with --since-events, not both")
	case f.file != "":
		fh, err := os.Open(f.file)
		if err != nil {
			return nil, usagef("--since: %v", err)
		}
		defer fh.Close()
		d, err := audit.ReadDigest(fh)
		if err != nil {
			return nil, usagef("--since %s: %v", f.file, err)
		}
		return &d, nil
	case headSet != eventsSet:
		return nil, usagef("--since-head and --since-events go together")
	case headSet:
		d := audit.Digest{Events: f.events, Head: f.head}
		if err := d.Validate(); err != nil {
			return nil, usagef("--since-head: %v", strings.TrimPrefix(err.Error(), "audit: "))
		}
		return &d, nil
	}
	return nil, nil
}

// readKeys reads --public-key values: the key itself (base64, hex or PEM)
// or a file holding it.
func readKeys(values []string) ([]ed25519.PublicKey, error) {
	var out []ed25519.PublicKey
	for _, v := range values {
		text := v
		if raw, err := os.ReadFile(v); err == nil {
			text = string(raw)
		}
		keys, err := audit.ParsePublicKeys(text)
		if err != nil || len(keys) == 0 {
			return nil, usagef("--public-key %q is neither a public key nor a file with one", v)
		}
		out = append(out, keys...)
	}
	return out, nil
}

// ---- audit verify ----

func (a *app) auditVerifyCmd() *cobra.Command {
	var (
		o          queryOpts
		since      sinceFlags
		file       string
		keys       []string
		noProgress bool
	)
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Check that the whole event log is intact; exit code 1 when it is not",
		Long: `Check that the whole event log is intact and print ok, the number of events,
the head digest and, when not intact, the position of the first bad event
and why. Exit code 1 when the log is not intact.

Online (default) the server checks its log (GET /v1/audit/verify). With
--file the check runs here, on an export written by audit export: give the
public key you obtained yourself (GET /v1/audit/key, kept from an earlier
time or published by the operator) with --public-key; without it the key in
the export's header is trusted, which only shows the export is consistent
with itself.

With --since (a digest saved by audit digest) or --since-head and
--since-events, also check that the log still extends that digest: that
nothing up to it was rewritten. When it does not and the digest has
checkpoints, the answer says between which positions it first differs.

The whole log is read, so the default --timeout here is 15m.`,
		Example: `  portfolioctl audit verify
  portfolioctl audit verify --since digest.json
  portfolioctl audit verify --file export.jsonl --public-key key.pem --since digest.json`,
		Args: cobra.NoArgs,
	}
	cmd.RunE = runE(func(cmd *cobra.Command, _ []string) error {
		d, err := since.digest(cmd)
		if err != nil {
			return err
		}
		if err := a.checkOutput(outTable, outJSON); err != nil {
			return err
		}
		if file == "" && len(keys) > 0 {
			return usagef("--public-key goes with --file (online, the server checks against its keys)")
		}
		if !cmd.Flags().Changed("timeout") {
			a.timeout = verifyTimeout
		}
		var v services.VerifyResult
		var body []byte
		if file != "" {
			trusted, err := readKeys(keys)
			if err != nil {
				return err
			}
			v, body, err = a.verifyFile(file, trusted, d, noProgress)
			if err != nil {
				return err
			}
		} else {
			v, body, err = a.verifyOnline(cmd.Context(), d, &o, noProgress)
			if err != nil {
				return err
			}
		}
		if a.output == outJSON {
			if err := writeRaw(a.stdout, body); err != nil {
				return err
			}
		} else if err := renderVerify(a.stdout, v); err != nil {
			return err
		}
		if !v.OK {
			msg := "the event log is NOT intact"
			switch {
			case v.FirstBad != nil:
				msg += fmt.Sprintf(": first bad event at position %d", *v.FirstBad)
			case v.Since != nil && !v.Since.OK:
				msg += ": it does not extend the saved digest"
			case v.Reason != "":
				msg += ": " + v.Reason
			}
			return failf("%s", msg)
		}
		return nil
	})
	since.add(cmd)
	cmd.Flags().StringVar(&file, "file", "", "verify this export (`FILE`, JSONL from audit export) here instead of asking the server")
	cmd.Flags().StringArrayVar(&keys, "public-key", nil, "trusted public `KEY` for --file: base64, hex or PEM, or a file holding it (repeatable)")
	cmd.Flags().BoolVar(&noProgress, "no-progress", false, "no progress indicator on a terminal")
	addQueryFlags(cmd, &o)
	return cmd
}

// verifyOnline asks the server. When the log does not extend a digest with
// checkpoints, it asks again for the heads at the digest's interval to
// find where the log first differs.
func (a *app) verifyOnline(ctx context.Context, d *audit.Digest, o *queryOpts, noProgress bool) (services.VerifyResult, []byte, error) {
	q := url.Values{}
	if d != nil {
		q.Set("sinceEvents", strconv.FormatUint(d.Events, 10))
		q.Set("sinceHead", d.Head)
		if d.Position > 0 {
			q.Set("sincePosition", strconv.FormatUint(d.Position, 10))
		}
	}
	stop := func() {}
	if !noProgress {
		stop = a.spinner("verifying the event log")
	}
	resp, err := a.get(ctx, "/v1/audit/verify", q, o)
	stop()
	if err != nil {
		return services.VerifyResult{}, nil, err
	}
	var v services.VerifyResult
	if err := json.Unmarshal(resp.body, &v); err != nil {
		return v, nil, failf("unexpected answer from the server: %v", err)
	}
	body := resp.body
	if d == nil || v.Since == nil || v.Since.OK || len(d.Checkpoints) == 0 || d.CheckpointEvery == 0 {
		return v, body, nil
	}
	// Locate the divergence with the digest's checkpoints.
	q = url.Values{"checkpointEvery": {strconv.FormatUint(d.CheckpointEvery, 10)}}
	if !noProgress {
		stop = a.spinner("locating where the log differs from the digest")
	}
	resp, err = a.get(ctx, "/v1/audit/verify", q, o)
	stop()
	if err != nil {
		return v, body, nil // the first answer stands
	}
	var cur services.VerifyResult
	if json.Unmarshal(resp.body, &cur) != nil {
		return v, body, nil
	}
	if s := compareCheckpoints(*d, cur.Checkpoints); s != nil {
		v.Since = s
		var m map[string]any
		if json.Unmarshal(body, &m) == nil {
			m["since"] = s
			if b, err := json.Marshal(m); err == nil {
				body = b
			}
		}
	}
	return v, body, nil
}

// compareCheckpoints compares a digest's checkpoints with the current
// log's at the same interval; nil when they tell nothing new.
func compareCheckpoints(d audit.Digest, current []audit.Checkpoint) *audit.SinceResult {
	byEvents := map[uint64]audit.Checkpoint{}
	for _, c := range current {
		byEvents[c.Events] = c
	}
	s := &audit.SinceResult{Events: d.Events, Position: d.Position, Head: d.Head}
	points := append(append([]audit.Checkpoint{}, d.Checkpoints...), audit.Checkpoint{Events: d.Events, Position: d.Position, Head: d.Head})
	for _, p := range points {
		c, ok := byEvents[p.Events]
		if !ok {
			if p.Events == d.Events {
				break // the last one need not be at the interval
			}
			return nil
		}
		if c.Head == p.Head && (p.Position == 0 || c.Position == p.Position) {
			s.AgreedThrough = c.Position
			continue
		}
		pos := c.Position
		s.DivergedAt = &pos
		s.Reason = fmt.Sprintf("the head after %d events is %s, the digest says %s", p.Events, c.Head, p.Head)
		return s
	}
	return nil
}

// verifyFile verifies an export here.
func (a *app) verifyFile(path string, keys []ed25519.PublicKey, since *audit.Digest, noProgress bool) (services.VerifyResult, []byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return services.VerifyResult{}, nil, usagef("--file: %v", err)
	}
	defer f.Close()
	opts := audit.JSONLOptions{Options: audit.Options{Keys: audit.NewKeyring(keys...), Since: since}}
	if len(keys) == 0 {
		opts.TrustHeaderKey = true
		fmt.Fprintln(a.stderr, "warning: no --public-key: trusting the key in the export's header, which only shows the export is consistent with itself")
	}
	var progress func(audit.Progress)
	if !noProgress {
		var size int64
		if fi, err := f.Stat(); err == nil {
			size = fi.Size()
		}
		bar, stop := a.progress("verifying "+filepath.Base(path), size)
		defer stop()
		if bar != nil {
			progress = func(p audit.Progress) { _ = bar.Set64(p.Bytes) }
		}
	}
	res, err := audit.VerifyJSONLWith(f, opts, progress)
	if err != nil {
		return services.VerifyResult{}, nil, failf("%s: %v", path, err)
	}
	v := services.VerifyResult{Result: res.Result, KeyID: res.Header.KeyID}
	body, err := json.Marshal(res)
	return v, body, err
}

// renderVerifyMore adds the optional lines of a verification to
// renderVerify's table.
func renderVerifyMore(tw *tabwriter.Writer, v services.VerifyResult) {
	if v.Reason != "" {
		fmt.Fprintf(tw, "reason:\t%s\n", v.Reason)
	}
	if v.Missing > 0 && v.FirstMissing != nil {
		fmt.Fprintf(tw, "missing:\t%d (first at position %d)\n", v.Missing, *v.FirstMissing)
	}
	if v.KeyID != "" {
		fmt.Fprintf(tw, "keyId:\t%s\n", v.KeyID)
	}
	if s := v.Since; s != nil {
		if s.OK {
			fmt.Fprintf(tw, "since:\tok: the log extends the digest of %d events\n", s.Events)
		} else {
			fmt.Fprintf(tw, "since:\tNOT extended: the log does not extend the digest of %d events\n", s.Events)
			if s.DivergedAt != nil {
				fmt.Fprintf(tw, "divergedAt:\tafter position %d, at or before position %d\n", s.AgreedThrough, *s.DivergedAt)
			}
			if s.Reason != "" {
				fmt.Fprintf(tw, "sinceReason:\t%s\n", s.Reason)
			}
		}
	}
}

// ---- audit digest ----

func (a *app) auditDigestCmd() *cobra.Command {
	var (
		o    queryOpts
		out  string
		file string
		keys []string
	)
	cmd := &cobra.Command{
		Use:   "digest",
		Short: "Print a digest of the log (events, position, head, checkpoints) to keep",
		Long: `Print a digest of the whole log as JSON: the number of events, the position
of the last one, the running digest (head) over all of them, and the heads
at regular checkpoints. Keep it; later, audit verify --since FILE proves the
log still extends it — that nothing up to it was rewritten, even by whoever
holds the signing key — and, with the checkpoints, where it first differs
if it does not.

Online (default) the server computes it while verifying the log
(GET /v1/audit/verify?checkpoints=true). With --file it is computed here
from an export. Exit code 1 (the digest is still written) when the log is
not intact.`,
		Example: `  portfolioctl audit digest > digest-2026-03-01.json
  portfolioctl audit digest --file export.jsonl --public-key key.pem --out digest.json`,
		Args: cobra.NoArgs,
	}
	cmd.RunE = runE(func(cmd *cobra.Command, _ []string) error {
		if !cmd.Flags().Changed("timeout") {
			a.timeout = verifyTimeout
		}
		var (
			d    audit.Digest
			v    services.VerifyResult
			err  error
			note string
		)
		if file != "" {
			trusted, err := readKeys(keys)
			if err != nil {
				return err
			}
			d, v, err = a.digestFile(file, trusted)
			if err != nil {
				return err
			}
		} else {
			if len(keys) > 0 {
				return usagef("--public-key goes with --file")
			}
			stop := a.spinner("computing the digest of the event log")
			resp, err := a.get(cmd.Context(), "/v1/audit/verify", url.Values{"checkpoints": {"true"}}, &o, outTable, outJSON)
			stop()
			if err != nil {
				return err
			}
			if err := json.Unmarshal(resp.body, &v); err != nil {
				return failf("unexpected answer from the server: %v", err)
			}
			d = v.Digest()
			d.KeyID = v.KeyID
			d.TakenAt = time.Now().UTC().Format(time.RFC3339)
			if !v.VerifiedAt.IsZero() {
				d.TakenAt = v.VerifiedAt.UTC().Format(time.RFC3339Nano)
			}
		}
		if err = d.Validate(); err != nil {
			return failf("the digest is malformed: %v", err)
		}
		data, err := json.MarshalIndent(d, "", "  ")
		if err != nil {
			return err
		}
		data = append(data, '\n')
		if out == "" {
			if _, err := a.stdout.Write(data); err != nil {
				return err
			}
		} else {
			if err := writeFileAtomic(out, data); err != nil {
				return failf("%v", err)
			}
			note = fmt.Sprintf("digest of %d events (position %d) written to %s", d.Events, d.Position, out)
		}
		if !v.OK {
			return failf("the digest is written, but the event log is NOT intact: %s", v.Reason)
		}
		if note != "" {
			fmt.Fprintln(a.stderr, note)
		}
		return nil
	})
	cmd.Flags().StringVar(&out, "out", "", "write the digest to `FILE` instead of standard output")
	cmd.Flags().StringVar(&file, "file", "", "compute the digest here from an export (`FILE`)")
	cmd.Flags().StringArrayVar(&keys, "public-key", nil, "trusted public `KEY` for --file (as for audit verify)")
	addQueryFlags(cmd, &o)
	return cmd
}

// digestFile computes a digest from an export, with checkpoints at the
// interval audit.CheckpointInterval picks for its length.
func (a *app) digestFile(path string, keys []ed25519.PublicKey) (audit.Digest, services.VerifyResult, error) {
	lines, err := countLines(path)
	if err != nil {
		return audit.Digest{}, services.VerifyResult{}, usagef("--file: %v", err)
	}
	f, err := os.Open(path)
	if err != nil {
		return audit.Digest{}, services.VerifyResult{}, usagef("--file: %v", err)
	}
	defer f.Close()
	opts := audit.JSONLOptions{Options: audit.Options{Keys: audit.NewKeyring(keys...), CheckpointEvery: audit.CheckpointInterval(lines)}}
	if len(keys) == 0 {
		opts.TrustHeaderKey = true
		fmt.Fprintln(a.stderr, "warning: no --public-key: trusting the key in the export's header")
	}
	res, err := audit.VerifyJSONLWith(f, opts, nil)
	if err != nil {
		return audit.Digest{}, services.VerifyResult{}, failf("%s: %v", path, err)
	}
	d := res.Digest()
	d.KeyID = res.Header.KeyID
	d.TakenAt = res.Header.ExportedAt
	return d, services.VerifyResult{Result: audit.Result{OK: res.OK, Reason: res.Reason}}, nil
}

func countLines(path string) (uint64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	buf := make([]byte, 1<<16)
	var n uint64
	for {
		k, err := f.Read(buf)
		for _, c := range buf[:k] {
			if c == '\n' {
				n++
			}
		}
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// ---- audit export ----

// exportPage is how many events audit export asks for at a time.
const exportPage = 1000

func (a *app) auditExportCmd() *cobra.Command {
	var (
		format     string
		out        string
		noProgress bool
	)
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Export the whole event log as JSONL, for verification offline",
		Long: `Export the whole event log, in order, as JSON Lines: a header line
{"format","publicKey","keyId","exportedAt","source"}, then one line per event
{"position","subject","hash","signature","raw"} with raw the stored
CloudEvent in base64, byte for byte, and signature its Portfolio-Signature.
It pages through GET /v1/audit/events (auditor token). Verify the file with
audit verify --file, here or anywhere (docs/AUDIT.md says how to do it
without portfolioctl).`,
		Example: `  portfolioctl audit export --format jsonl --out export.jsonl
  portfolioctl audit verify --file export.jsonl --public-key key.pem`,
		Args: cobra.NoArgs,
	}
	cmd.RunE = runE(func(cmd *cobra.Command, _ []string) error {
		if format != "jsonl" {
			return usagef("--format %q is not supported; use jsonl", format)
		}
		if !cmd.Flags().Changed("timeout") {
			a.timeout = verifyTimeout
		}
		c, err := a.client()
		if err != nil {
			return err
		}
		ctx := cmd.Context()
		kr, err := c.do(ctx, http.MethodGet, "/v1/audit/key", nil, nil, nil)
		if err != nil {
			return err
		}
		var key wire.AuditKey
		if err := json.Unmarshal(kr.body, &key); err != nil || key.PublicKey == "" {
			return failf("unexpected answer from the server's /v1/audit/key")
		}

		var w io.Writer = a.stdout
		var tmp *os.File
		if out != "" {
			tmp, err = os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*")
			if err != nil {
				return failf("%v", err)
			}
			defer func() {
				if tmp != nil {
					_ = tmp.Close()
					_ = os.Remove(tmp.Name())
				}
			}()
			w = tmp
		}
		total := int64(-1)
		var bar *progressbar.ProgressBar
		stop := func() {}
		if !noProgress {
			bar, stop = a.progress("exporting", total)
		}
		var last uint64
		events := func(yield func(audit.Event, error) bool) {
			after := uint64(0)
			for {
				q := url.Values{"after": {strconv.FormatUint(after, 10)}, "limit": {strconv.Itoa(exportPage)}}
				resp, err := c.do(ctx, http.MethodGet, "/v1/audit/events", q, nil, nil)
				if err != nil {
					yield(audit.Event{}, err)
					return
				}
				var page wire.AuditEventList
				if err := json.Unmarshal(resp.body, &page); err != nil {
					yield(audit.Event{}, failf("unexpected answer from /v1/audit/events: %v", err))
					return
				}
				if len(page.Events) == 0 {
					return
				}
				if bar != nil && total < 0 {
					if p, err := strconv.ParseInt(resp.header.Get("X-Position"), 10, 64); err == nil && p > 0 {
						total = p
						bar.ChangeMax64(total)
					}
				}
				for _, e := range page.Events {
					if e.Raw == nil {
						yield(audit.Event{}, failf("event %d has no raw CloudEvent: is the token an auditor's?", e.Position))
						return
					}
					if !yield(audit.Event{Position: e.Position, Subject: e.Subject, Payload: e.Raw, Signature: e.Signature}, nil) {
						return
					}
					last = e.Position
				}
				if bar != nil {
					if int64(last) > total {
						total = int64(last)
						bar.ChangeMax64(total)
					}
					_ = bar.Set64(int64(last))
				}
				if page.Next <= after {
					yield(audit.Event{}, failf("the server's paging did not advance after position %d", after))
					return
				}
				after = page.Next
			}
		}
		n, err := audit.WriteJSONL(w, audit.Header{PublicKey: key.PublicKey, KeyID: key.KeyID,
			ExportedAt: time.Now().UTC().Format(time.RFC3339), Source: c.server()}, events)
		stop()
		if err != nil {
			return err
		}
		if tmp != nil {
			if err := tmp.Sync(); err != nil {
				return failf("%v", err)
			}
			if err := tmp.Close(); err != nil {
				return failf("%v", err)
			}
			if err := os.Rename(tmp.Name(), out); err != nil {
				return failf("%v", err)
			}
			tmp = nil
			fmt.Fprintf(a.stderr, "exported %d events (up to position %d, key id %s) to %s\n", n, last, key.KeyID, out)
		}
		return nil
	})
	cmd.Flags().StringVar(&format, "format", "jsonl", "export format: jsonl")
	cmd.Flags().StringVar(&out, "out", "", "write to `FILE` (replaced only when the export is complete) instead of standard output")
	cmd.Flags().BoolVar(&noProgress, "no-progress", false, "no progress bar on a terminal")
	return cmd
}

// writeFileAtomic writes data to path through a temporary file and a
// rename.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		_ = os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		_ = os.Remove(tmp.Name())
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		_ = os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}
