// Command portfoliod is the portfolio governance server: an embedded NATS
// JetStream server (or an external cluster), the event store, the read
// models and the HTTP API in one process. See the README and
// docs/OPERATIONS.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ehelse/portfolio/internal/daemon"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "portfoliod:", err)
		os.Exit(1)
	}
}

// run parses flags (each also settable as PORTFOLIO_<FLAG>, dashes as
// underscores), starts the server and serves until ctx ends.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "restore" {
		return runRestore(ctx, args[1:], getenv, stdout, stderr)
	}
	fs := flag.NewFlagSet("portfoliod", flag.ContinueOnError)
	fs.SetOutput(stderr)
	env := func(name, def string) string {
		if v := getenv("PORTFOLIO_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))); v != "" {
			return v
		}
		return def
	}
	dataDir := fs.String("data", env("data", "data"), "data directory (JetStream store and read models)")
	httpAddr := fs.String("http", env("http", "127.0.0.1:8080"), "HTTP listen address")
	opsAddr := fs.String("ops-listen", env("ops-listen", DefaultOpsListen), "listen address of the operations endpoints (/metrics, /healthz, /readyz); /metrics is not on --http. Empty: no metrics")
	authFile := fs.String("auth", env("auth", ""), "token file; without it, first start writes one with fresh tokens into the data directory")
	natsURL := fs.String("nats-url", env("nats-url", ""), "external NATS server or cluster (comma-separated URLs) instead of the embedded one")
	replicas := fs.Int("replicas", atoi(env("replicas", "0")), "stream replicas when the product creates the stream (default 1 embedded, 3 external)")
	natsListen := fs.String("nats-listen", env("nats-listen", "127.0.0.1:4222"), "where the embedded NATS server listens for subscribing services (empty: in-process only)")
	syncMode := fs.String("sync", env("sync", "always"), "embedded JetStream durability: always (fsync every write before acknowledging) or interval (fsync every 2 minutes; faster, an OS crash may lose acknowledged commands)")
	demo := fs.Bool("demo", env("demo", "true") == "true", "record demo data when the event log is empty")
	logLevel := fs.String("log-level", env("log-level", "info"), "log level: debug, info, warn, error")
	signingKey := fs.String("signing-key", env("signing-key", ""), "Ed25519 key events are signed with (PEM PKCS #8 or the 32-byte seed); instances of a cluster must share it. Default: <data>/signing.key, generated on first start")
	trustedKeys := fs.String("trusted-keys", env("trusted-keys", ""), "file of further public keys whose event signatures are accepted (earlier signing keys); see docs/AUDIT.md")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	if *syncMode != "always" && *syncMode != "interval" {
		return fmt.Errorf("--sync must be always or interval, not %q", *syncMode)
	}
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))

	d, err := daemon.Start(ctx, daemon.Config{
		DataDir: *dataDir, HTTPAddr: *httpAddr, OpsAddr: *opsAddr, AuthFile: *authFile, NATSURLs: *natsURL,
		Replicas: *replicas, NATSListen: *natsListen, SyncAlways: *syncMode == "always",
		Demo: *demo, Logger: logger, Out: stdout, SigningKeyFile: *signingKey, TrustedKeysFile: *trustedKeys,
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "portfoliod: serving %s (tokens: %s)\n", d.URL(), d.TokenFile())
	if u := d.OpsURL(); u != "" {
		fmt.Fprintf(stdout, "portfoliod: metrics on %s/metrics (operations listener)\n", u)
	}
	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-d.Err():
	}
	logger.Info("portfoliod stopping")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return errors.Join(runErr, d.Close(shutdownCtx))
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
