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
	"strings"
	"syscall"
	"time"

	"github.com/ehelse/portfolio/internal/daemon"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := runArgs(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "portfoliod:", err)
		os.Exit(1)
	}
}

// runArgs is portfoliod with its command line: "restore …" restores a data
// directory (restore.go); anything else is the server's flags.
func runArgs(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "restore" {
		return runRestore(ctx, args[1:], getenv, stdout, stderr)
	}
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	cfg.stdout = stdout
	return run(ctx, cfg)
}

// config is what portfoliod is started with: the daemon's settings and
// where its output goes.
type config struct {
	daemon daemon.Config
	// logLevel and stdout/stderr are resolved here; daemon.Config gets
	// the logger built from them.
	logLevel slog.Level
	// memoryLimit is the resolved --memory-limit, applied by run.
	memoryLimit daemon.MemoryLimit
	// procs is the resolved --procs (GOMAXPROCS), applied by run.
	procs  daemon.Procs
	stdout io.Writer
	stderr io.Writer
}

// envName is the environment variable that sets the flag name.
func envName(flagName string) string {
	return "PORTFOLIO_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// parseConfig reads the flags in args and, for every flag not given there,
// its PORTFOLIO_<FLAG> variable from getenv. Each value is parsed by the
// flag's own parser, so the environment accepts exactly what the command
// line does; a value either rejects stops the start with an error naming
// the flag or variable. Usage and flag errors go to stderr.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("portfoliod", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: portfoliod [flags]\n\nEvery flag can also be set as PORTFOLIO_<FLAG> (upper case, dashes as underscores); a flag wins.")
		fs.PrintDefaults()
	}
	dataDir := fs.String("data", "data", "data directory (JetStream store and read models)")
	httpAddr := fs.String("http", "127.0.0.1:8080", "HTTP listen address")
	opsAddr := fs.String("ops-listen", DefaultOpsListen, "listen address of the operations endpoints (/metrics, /healthz, /readyz); /metrics is not on --http. Empty: no metrics")
	authFile := fs.String("auth", "", "token file; without it, first start writes one with fresh tokens into the data directory")
	natsURL := fs.String("nats-url", "", "external NATS server or cluster (comma-separated URLs) instead of the embedded one")
	replicas := fs.Int("replicas", 0, "stream replicas when the product creates the stream (default 1 embedded, 3 external)")
	natsListen := fs.String("nats-listen", "127.0.0.1:4222", "where the embedded NATS server listens for subscribing services (empty: in-process only)")
	syncMode := fs.String("sync", "always", "embedded JetStream durability: always (fsync every write before acknowledging) or interval (fsync every 2 minutes; faster, an OS crash may lose acknowledged commands)")
	demo := fs.Bool("demo", true, "record demo data when the event log is empty")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn, error")
	signingKey := fs.String("signing-key", "", "Ed25519 key events are signed with (PEM PKCS #8 or the 32-byte seed); instances of a cluster must share it. Default: <data>/signing.key, generated on first start")
	trustedKeys := fs.String("trusted-keys", "", "file of further public keys whose event signatures are accepted (earlier signing keys); see docs/AUDIT.md")
	publicURL := fs.String("public-url", "", "the site's address as browsers see it, e.g. https://portefolje.example.no (https makes sign-in cookies Secure; OpenID Connect returns to it)")
	oidcIssuer := fs.String("oidc-issuer", "", "OpenID Connect issuer URL for sign-in (e.g. HelseID); empty: sign-in with a token only")
	oidcClientID := fs.String("oidc-client-id", "", "OpenID Connect client id")
	oidcSecretFile := fs.String("oidc-client-secret-file", "", "file holding the OpenID Connect client secret")
	oidcClaims := fs.String("oidc-claims-map", "", "JSON file mapping ID-token claims to role and organisation (docs/OPERATIONS.md)")
	oidcScopes := fs.String("oidc-scopes", "profile,email", "OpenID Connect scopes besides openid, comma-separated")
	memoryLimit := fs.String("memory-limit", "auto", "the Go runtime's memory limit (heap and stacks; the read models' mapped file comes on top): a size such as 256MiB or 1GiB, off, or auto: GOMEMLIMIT if set, else 3/4 of the cgroup's memory limit, else 1/4 of the machine's memory, at least 192MiB")
	procs := fs.String("procs", "auto", "how many goroutines run Go code at once (GOMAXPROCS): a number, or auto: GOMAXPROCS if set, else the CPUs the process may use, plus 2 with the embedded server under --sync always, so that the goroutines coming back from fsync find a free one (docs/OPERATIONS.md \"CPUs\")")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		name := envName(f.Name)
		v := getenv(name)
		if given[f.Name] || v == "" || envErr != nil {
			return
		}
		if err := fs.Set(f.Name, v); err != nil {
			envErr = fmt.Errorf("invalid value %q for %s: %w", v, name, err)
		}
	})
	if envErr != nil {
		return config{}, envErr
	}

	// source names where a value came from, for the error messages below.
	source := func(name string) string {
		if given[name] {
			return "--" + name
		}
		return envName(name)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return config{}, fmt.Errorf("%s: %w", source("log-level"), err)
	}
	if *syncMode != "always" && *syncMode != "interval" {
		return config{}, fmt.Errorf("%s must be always or interval, not %q", source("sync"), *syncMode)
	}
	if *replicas < 0 {
		return config{}, fmt.Errorf("%s must not be negative, not %d", source("replicas"), *replicas)
	}
	if *publicURL != "" && !strings.HasPrefix(*publicURL, "https://") && !strings.HasPrefix(*publicURL, "http://") {
		return config{}, fmt.Errorf("%s must start with https:// or http://, not %q", source("public-url"), *publicURL)
	}
	if *oidcIssuer != "" && (*oidcClientID == "" || *oidcClaims == "") {
		return config{}, fmt.Errorf("%s needs %s and %s", source("oidc-issuer"), source("oidc-client-id"), source("oidc-claims-map"))
	}
	memLimit, err := daemon.ResolveMemoryLimit(*memoryLimit, getenv, daemon.CgroupMemoryLimit)
	if err != nil {
		return config{}, fmt.Errorf("%s: %w", source("memory-limit"), err)
	}
	// The extra Ps are for the embedded server's fsyncs (daemon.ExtraProcs).
	fsyncHere := *natsURL == "" && *syncMode == "always"
	procsSet, err := daemon.ResolveProcs(*procs, getenv, daemon.DefaultProcs(), fsyncHere)
	if err != nil {
		return config{}, fmt.Errorf("%s: %w", source("procs"), err)
	}
	var scopes []string
	for _, sc := range strings.Split(*oidcScopes, ",") {
		if sc = strings.TrimSpace(sc); sc != "" && sc != "openid" && *oidcIssuer != "" {
			scopes = append(scopes, sc)
		}
	}
	return config{
		daemon: daemon.Config{
			DataDir: *dataDir, HTTPAddr: *httpAddr, OpsAddr: *opsAddr, AuthFile: *authFile, NATSURLs: *natsURL,
			Replicas: *replicas, NATSListen: *natsListen, SyncAlways: *syncMode == "always",
			Demo: *demo, SigningKeyFile: *signingKey, TrustedKeysFile: *trustedKeys,
			PublicURL: *publicURL,
			OIDC: daemon.OIDCConfig{Issuer: *oidcIssuer, ClientID: *oidcClientID, ClientSecretFile: *oidcSecretFile,
				ClaimsMapFile: *oidcClaims, Scopes: scopes},
		},
		logLevel:    level,
		memoryLimit: memLimit,
		procs:       procsSet,
		stdout:      os.Stdout,
		stderr:      stderr,
	}, nil
}

// run starts the server and serves until ctx ends or the server fails.
func run(ctx context.Context, cfg config) error {
	logger := slog.New(slog.NewJSONHandler(cfg.stderr, &slog.HandlerOptions{Level: cfg.logLevel}))
	cfg.memoryLimit.Apply()
	logger.Info("memory limit", "limit", cfg.memoryLimit.String())
	cfg.procs.Apply()
	logger.Info("procs", "gomaxprocs", cfg.procs.String())
	dcfg := cfg.daemon
	dcfg.Logger, dcfg.Out = logger, cfg.stdout
	d, err := daemon.Start(ctx, dcfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(cfg.stdout, "portfoliod: serving %s (tokens: %s)\n", d.URL(), d.TokenFile())
	if u := d.OpsURL(); u != "" {
		fmt.Fprintf(cfg.stdout, "portfoliod: metrics on %s/metrics (operations listener)\n", u)
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
