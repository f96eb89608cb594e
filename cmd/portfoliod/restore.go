package main

// portfoliod restore: a new data directory from a backup or an audit
// export (docs/OPERATIONS.md section 5).

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/ehelse/portfolio/internal/daemon"
)

const restoreUsage = `usage: portfoliod restore --from FILE --data DIR
       portfoliod restore --from-export FILE.jsonl --data DIR [--stream NAME]

Creates the data directory DIR (which must be missing or empty) from a
backup written by 'portfolioctl backup', or from an 'audit export', through
an embedded NATS server that is stopped again at the end. The file is
checked whole first: a damaged or truncated one is refused and nothing is
written. Then start portfoliod on DIR as usual, with the signing key and the
token file (neither is in a backup): the read models rebuild, and
'portfolioctl audit verify' answers the head printed here.
`

// runRestore is portfoliod restore.
func runRestore(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("portfoliod restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, restoreUsage, "\nflags:\n")
		fs.PrintDefaults()
	}
	dataDir := fs.String("data", getenv("PORTFOLIO_DATA"), "data directory to create (must be missing or empty)")
	from := fs.String("from", "", "backup file written by portfolioctl backup")
	fromExport := fs.String("from-export", "", "JSONL file written by portfolioctl audit export")
	stream := fs.String("stream", "PORTFOLIO", "with --from-export: the event stream's name")
	quiet := fs.Bool("quiet", false, "no progress lines on stderr")
	memoryLimit := fs.String("memory-limit", cmp.Or(getenv("PORTFOLIO_MEMORY_LIMIT"), "auto"), "the Go runtime's memory limit, as for the server (auto, off or a size such as 256MiB)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("restore: unexpected arguments: %v", fs.Args())
	}
	if (*from == "") == (*fromExport == "") {
		fs.Usage()
		return errors.New("restore: give exactly one of --from and --from-export")
	}
	if *dataDir == "" {
		return errors.New("restore: --data DIR is required")
	}
	limit, lerr := daemon.ResolveMemoryLimit(*memoryLimit, getenv, daemon.CgroupMemoryLimit)
	if lerr != nil {
		return fmt.Errorf("restore: --memory-limit: %w", lerr)
	}
	limit.Apply()
	cfg := daemon.RestoreConfig{DataDir: *dataDir, Stream: *stream, Logger: slog.New(slog.DiscardHandler)}
	if !*quiet {
		var last time.Time
		var lastPhase string
		cfg.Progress = func(phase string, done, total int64) {
			if phase == lastPhase && done < total && time.Since(last) < time.Second {
				return
			}
			last, lastPhase = time.Now(), phase
			pct := int64(100)
			if total > 0 {
				pct = done * 100 / total
			}
			fmt.Fprintf(stderr, "portfoliod restore: %s %d%% (%d of %d bytes)\n", phase, pct, done, total)
		}
	}
	var (
		res daemon.RestoreResult
		err error
	)
	if *from != "" {
		cfg.File = *from
		res, err = daemon.Restore(ctx, cfg)
	} else {
		cfg.File = *fromExport
		res, err = daemon.RestoreExport(ctx, cfg)
	}
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	fmt.Fprintf(stdout, "portfoliod: restored %d events (positions %d to %d) of stream %s", res.Events, res.FirstPosition, res.LastPosition, res.Stream)
	if *from != "" {
		fmt.Fprintf(stdout, " and %d Idempotency-Key records", res.IdempotencyRecords)
	}
	fmt.Fprintf(stdout, " into %s in %s\n", *dataDir, res.Took.Round(time.Millisecond))
	verdict := "ok"
	if !res.Verify.OK {
		verdict = "NOT ok: " + res.Verify.Reason + " (as in the source)"
	}
	fmt.Fprintf(stdout, "portfoliod: audit chain %s: %d events, head %s (signing key id %s)\n", verdict, res.Verify.Events, res.Verify.Head, res.KeyID)
	fmt.Fprintf(stdout, "portfoliod: start it with: portfoliod --data %s --signing-key SIGNING.KEY --auth TOKENS.JSON (or copy both into %s as signing.key and tokens.json)\n", *dataDir, *dataDir)
	return nil
}
