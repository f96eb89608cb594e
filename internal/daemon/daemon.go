// Package daemon wires the product into a running server: the embedded or
// external NATS connection, the event store, the read models and their
// runner, the command service, the HTTP API, and demo data on first start.
// cmd/portfoliod only parses flags and calls Start; end-to-end tests start
// the same server in-process on 127.0.0.1:0.
package daemon

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ehelse/portfolio/audit"
	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/eventstore"
	"github.com/ehelse/portfolio/eventstore/embedded"
	"github.com/ehelse/portfolio/eventstore/idempotency"
	"github.com/ehelse/portfolio/eventstore/snapshots"
	"github.com/ehelse/portfolio/projections"
	"github.com/ehelse/portfolio/services"
	"github.com/ehelse/portfolio/services/httpapi"
	"github.com/ehelse/portfolio/web"
)

// Config is the server's configuration; cmd/portfoliod fills it from flags
// and environment (see the contract for the flags).
type Config struct {
	DataDir  string // default "./data"
	HTTPAddr string // default "127.0.0.1:8080"; port 0: a random port
	// OpsAddr is where /metrics (and /healthz, /readyz) are served, apart
	// from the public HTTPAddr; empty: metrics are not served at all.
	OpsAddr string
	// AuthFile is the token file. Empty: DataDir/tokens.json, written with
	// fresh random tokens on first start.
	AuthFile string
	// NATSURLs, comma-separated, selects an external NATS server or
	// cluster. Empty: the embedded server.
	NATSURLs string
	// Replicas of the stream when the product creates it. 0: 1 embedded, 3 external.
	Replicas int
	// NATSListen is where the embedded server listens for subscribing
	// services; empty: in-process only.
	NATSListen string
	// SyncAlways: every acknowledged write is fsynced by the embedded
	// server before the acknowledgement (default true via cmd/portfoliod).
	SyncAlways bool
	// Demo records demo data when the event log is empty.
	Demo bool
	// Stream is the stream name; default "PORTFOLIO".
	Stream string
	// SigningKeyFile is the Ed25519 key events are signed with (PEM
	// PKCS #8, or the 32-byte seed). Empty: DataDir/signing.key, generated
	// (mode 0600) on first start. Instances of one cluster must share it.
	SigningKeyFile string
	// TrustedKeysFile lists further public keys whose signatures are
	// accepted (earlier signing keys after a rotation): PEM blocks, or one
	// base64 or hex key per line. Empty: only the signing key.
	TrustedKeysFile string
	Logger          *slog.Logger
	// Out receives the lines meant for the person starting the server
	// (where the token file is, the URL). Default os.Stdout.
	Out io.Writer
	// Now is the clock; default time.Now.
	Now func() time.Time
	// PublicURL is the site's address as browsers see it (https makes
	// the sign-in cookies Secure; OpenID Connect redirects back to it).
	PublicURL string
	// OIDC, with an issuer, offers sign-in through OpenID Connect.
	OIDC OIDCConfig
}

// Daemon is a running server.
type Daemon struct {
	cfg       Config
	log       *slog.Logger
	tokenPath string
	tokens    map[string]string // name → plaintext token, when the file has them

	signer  ed25519.PrivateKey
	trusted []ed25519.PublicKey // the signing key's public half first
	keys    audit.Keyring

	ns      *embedded.Server
	nc      *nats.Conn
	js      jetstream.JetStream
	Store   *eventstore.Store
	Reads   *projections.ReadModels
	Cmds    *services.CommandService
	History *services.History
	Auth    *services.Authenticator
	// Sessions are the web site's sign-in sessions.
	Sessions *services.Sessions
	// Policy records DependencyAtRisk and DependencyRiskCleared.
	Policy         *services.DependencyPolicy
	policyReaction prometheus.Histogram
	// Contacts seals the contact addresses of consultation responses.
	Contacts *services.ContactSealer

	rebuild *services.Rebuilds // POST /v1/admin/rebuild

	httpSrv *http.Server
	ln      net.Listener
	ops     *opsListener // --ops-listen; nil without
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	runErr  chan error
	closed  sync.Once
}

func (c *Config) defaults() {
	if c.DataDir == "" {
		c.DataDir = "data"
	}
	if c.HTTPAddr == "" {
		c.HTTPAddr = "127.0.0.1:8080"
	}
	if c.Replicas == 0 {
		c.Replicas = 1
		if c.NATSURLs != "" {
			c.Replicas = 3
		}
	}
	if c.Stream == "" {
		c.Stream = "PORTFOLIO"
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	if c.Out == nil {
		c.Out = os.Stdout
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Start starts everything and returns once the HTTP API accepts
// connections. On error nothing is left running.
func Start(ctx context.Context, cfg Config) (_ *Daemon, err error) {
	cfg.defaults()
	d := &Daemon{cfg: cfg, log: cfg.Logger, runErr: make(chan error, 2)}
	defer func() {
		if err != nil {
			_ = d.Close(context.Background())
		}
	}()
	// The listen addresses are taken before anything slow (NATS, read
	// models, demo data): an address in use stops the start at once, with
	// an error naming the flag, instead of after the whole start-up.
	if d.ln, err = listen("http", cfg.HTTPAddr); err != nil {
		return nil, err
	}
	if cfg.OpsAddr != "" {
		ln, err := listen("ops-listen", cfg.OpsAddr)
		if err != nil {
			return nil, err
		}
		d.ops = &opsListener{ln: ln}
	}
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	if err := d.loadAuth(); err != nil {
		return nil, err
	}
	if err := d.loadKeys(); err != nil {
		return nil, err
	}
	if err := d.connect(ctx); err != nil {
		return nil, err
	}
	d.Store, err = eventstore.Open(ctx, d.js, eventstore.Config{Stream: cfg.Stream, Replicas: cfg.Replicas, Logger: cfg.Logger, Signer: d.signer})
	if err != nil {
		return nil, fmt.Errorf("event store: %w", err)
	}
	d.Reads, err = projections.Open(ctx, d.js, projections.Config{Dir: filepath.Join(cfg.DataDir, "readmodels"), Stream: cfg.Stream, Logger: cfg.Logger, TrustedKeys: d.trusted, Written: d.Store.Written()})
	if err != nil {
		return nil, fmt.Errorf("read models: %w", err)
	}
	d.rebuild = services.NewRebuilds(d.Reads, cfg.Logger)
	runCtx, cancel := context.WithCancel(context.Background())
	d.cancel = cancel
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		if err := d.Reads.Run(runCtx); err != nil && runCtx.Err() == nil {
			d.log.Error("read models stopped", "err", err)
			d.runErr <- err
		}
	}()

	// Snapshots are signed with the event signing key and trusted only
	// when a trusted key signed them (see package eventstore/snapshots).
	snaps, err := snapshots.Open(ctx, d.js, snapshots.Config{Bucket: cfg.Stream + "_SNAPSHOTS",
		Replicas: cfg.Replicas, Logger: cfg.Logger, Signer: d.signer, TrustedKeys: d.trusted})
	if err != nil {
		return nil, fmt.Errorf("snapshot store: %w", err)
	}
	d.Cmds, err = services.NewCommandService(services.CommandConfig{Log: d.Store, Logger: cfg.Logger, Now: cfg.Now, TrustedKeys: d.trusted,
		Snapshots: snaps})
	if err != nil {
		return nil, err
	}
	d.History = &services.History{Log: d.Store, TrustedKeys: d.trusted}
	instance, err := instanceID(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	idem, err := idempotency.Open(ctx, d.js, idempotency.Config{Replicas: cfg.Replicas, Logger: cfg.Logger, Instance: instance})
	if err != nil {
		return nil, fmt.Errorf("idempotency store: %w", err)
	}

	d.Contacts, err = services.LoadContactSealer(filepath.Join(cfg.DataDir, services.ContactKeyFile))
	if err != nil {
		return nil, err
	}
	if err := d.startPolicy(runCtx); err != nil {
		return nil, err
	}

	if cfg.Demo {
		if err := d.seedDemo(ctx); err != nil {
			return nil, err
		}
	}

	verifier := services.NewVerifier(d.Store, d.trusted, cfg.Logger)
	sek, err := d.secretariat(ctx, idem, verifier)
	if err != nil {
		return nil, err
	}
	site, err := web.New(web.Config{Queries: d.Reads, History: d.History, EventTime: d.eventTime, Logger: cfg.Logger, Now: cfg.Now,
		Secretariat: sek,
		Responses:   &services.ConsultationForms{Exec: d.Cmds, Sealer: d.Contacts, Now: cfg.Now},
		FormKey:     d.Contacts.DeriveKey("web consultation form ids"),
		Contacts:    d.Contacts})
	if err != nil {
		return nil, err
	}
	api, err := httpapi.New(httpapi.Config{
		Logger: cfg.Logger, Auth: d.Auth, Idempotency: idem, Executor: d.Cmds, Queries: d.Reads,
		History: d.History, Verify: verifier.Verify, ReadyCheck: d.ready,
		Collectors: append(d.collectors(), d.policyCollectors()...), Rebuild: d.rebuild, Backup: d,
		AuditKey: httpapi.NewAuditKey(d.signer.Public().(ed25519.PublicKey), d.trusted[1:]),
		Contacts: d.Contacts, Now: cfg.Now,
		Web: site.Handler(),
	})
	if err != nil {
		return nil, err
	}
	d.httpSrv = httpapi.NewHTTPServer(d.ln.Addr().String(), api.Handler())
	d.httpSrv.RegisterOnShutdown(site.Close) // end the web site's live streams
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		if err := d.httpSrv.Serve(d.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			d.log.Error("http server stopped", "err", err)
			d.runErr <- err
		}
	}()
	if err := d.startOps(api.OpsHandler()); err != nil {
		return nil, err
	}
	d.log.Info("portfoliod started", "http", d.URL(), "ops", d.OpsURL(), "data", cfg.DataDir, "nats", d.natsDescription(), "replicas", cfg.Replicas, "syncAlways", cfg.SyncAlways)
	return d, nil
}

// eventTime is when the event at position pos was recorded: the web
// site's "Sist oppdatert".
func (d *Daemon) eventTime(ctx context.Context, pos uint64) (time.Time, error) {
	if pos == 0 {
		return time.Time{}, nil
	}
	recs, err := d.History.AuditEvents(ctx, pos-1, 1)
	if err != nil {
		return time.Time{}, err
	}
	if len(recs) == 0 || recs[0].Position != pos || recs[0].Time.IsZero() {
		return time.Time{}, fmt.Errorf("no event at position %d", pos)
	}
	return recs[0].Time, nil
}

func (d *Daemon) natsDescription() string {
	if d.cfg.NATSURLs != "" {
		return "external"
	}
	if d.cfg.NATSListen == "" {
		return "embedded, in-process only"
	}
	return "embedded, listening on " + d.ns.ClientURL()
}

// loadAuth reads the token file, writing one with fresh tokens first when
// no --auth was given and the data directory has none.
func (d *Daemon) loadAuth() error {
	path := d.cfg.AuthFile
	if path == "" {
		path = filepath.Join(d.cfg.DataDir, "tokens.json")
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			if _, err := services.GenerateTokenFile(path); err != nil {
				return fmt.Errorf("write token file: %w", err)
			}
			fmt.Fprintf(d.cfg.Out, "portfoliod: wrote a token file with fresh random tokens to %s (mode 0600)\n", path)
		}
	}
	a, err := services.LoadTokenFile(path)
	if err != nil {
		return err
	}
	d.Auth, d.tokenPath = a, path
	d.tokens = map[string]string{}
	if raw, err := os.ReadFile(path); err == nil {
		var f services.TokenFile
		if json.Unmarshal(raw, &f) == nil {
			for _, e := range f.Tokens {
				if e.Token != "" {
					d.tokens[e.Name] = e.Token
				}
			}
		}
	}
	return nil
}

// connect starts the embedded NATS server or connects to the external one.
func (d *Daemon) connect(ctx context.Context) error {
	if d.cfg.NATSURLs != "" {
		// Replies under portfoliod's own inbox prefix, as in-process:
		// subscribers that may subscribe to _INBOX.> do not hear them.
		nc, err := nats.Connect(d.cfg.NATSURLs, nats.Name("portfoliod"), nats.MaxReconnects(-1),
			nats.ReconnectWait(250*time.Millisecond), nats.RetryOnFailedConnect(false),
			nats.CustomInboxPrefix(embedded.InboxPrefix))
		if err != nil {
			return fmt.Errorf("connect to NATS at %s: %w", redactURLs(d.cfg.NATSURLs), err)
		}
		d.nc = nc
	} else {
		sync := d.cfg.SyncAlways
		var users []embedded.User
		if d.cfg.NATSListen != "" {
			for _, s := range d.Auth.Subscribers() {
				users = append(users, embedded.User{Name: s.Name, Password: s.Password, Permissions: SubscriberPermissions(d.cfg.Stream)})
			}
			if len(users) == 0 {
				// Never listen without authentication: with no subscriber
				// in the token file there is nobody to let in.
				d.log.Warn("no subscriber entries in the token file: the embedded NATS server will not listen", "natsListen", d.cfg.NATSListen)
				d.cfg.NATSListen = ""
			}
		}
		ns, err := embedded.Start(ctx, embedded.Options{DataDir: d.cfg.DataDir, ListenAddr: d.cfg.NATSListen,
			SyncAlways: &sync, Users: users})
		if errors.Is(err, embedded.ErrListen) {
			return fmt.Errorf("--nats-listen %s: %w", d.cfg.NATSListen, err)
		}
		if err != nil {
			return fmt.Errorf("embedded NATS: %w", err)
		}
		d.ns, d.nc = ns, ns.Conn
	}
	js, err := jetstream.New(d.nc)
	if err != nil {
		return err
	}
	d.js = js
	return nil
}

// SubscriberPermissions are the NATS permissions of a subscribing service:
// read the stream (stream info, create and use its own consumers, fetch,
// ack, get messages) and nothing else — in particular no publish into
// portfolio.events.> and no stream or consumer deletion.
func SubscriberPermissions(stream string) *server.Permissions {
	return &server.Permissions{
		Publish: &server.SubjectPermission{
			Allow: []string{
				"$JS.API.INFO",
				"$JS.API.STREAM.INFO." + stream,
				"$JS.API.STREAM.MSG.GET." + stream,
				"$JS.API.DIRECT.GET." + stream,
				"$JS.API.DIRECT.GET." + stream + ".>",
				"$JS.API.CONSUMER.CREATE." + stream,
				"$JS.API.CONSUMER.CREATE." + stream + ".>",
				"$JS.API.CONSUMER.DURABLE.CREATE." + stream + ".>",
				"$JS.API.CONSUMER.INFO." + stream + ".>",
				"$JS.API.CONSUMER.NAMES." + stream,
				"$JS.API.CONSUMER.LIST." + stream,
				"$JS.API.CONSUMER.MSG.NEXT." + stream + ".>",
				"$JS.ACK." + stream + ".>",
				"$JS.FC." + stream + ".>",
			},
			Deny: []string{"portfolio.events.>"},
		},
		Subscribe: &server.SubjectPermission{
			Allow: []string{"_INBOX.>", "deliver.>"},
		},
		Response: &server.ResponsePermission{MaxMsgs: 1, Expires: time.Minute},
	}
}

// seedDemo records the demo when the event log is empty.
func (d *Daemon) seedDemo(ctx context.Context) error {
	head, err := d.Store.Head(ctx)
	if err != nil {
		return err
	}
	if head > 0 {
		return nil
	}
	start := time.Now()
	p := services.Principal{Name: "demo-seed", Role: services.RoleSecretariat}
	n, last, err := services.SeedDemo(ctx, d.Cmds, p, d.cfg.Now())
	if err != nil {
		return fmt.Errorf("demo data: %w", err)
	}
	// The demo is recorded when the dependency policy has reacted to it
	// too: the log stands still from here until someone writes.
	if err := d.Policy.WaitFor(ctx, last); err != nil {
		return fmt.Errorf("demo data: the dependency policy: %w", err)
	}
	d.log.Info("recorded demo data", "commands", n, "took", time.Since(start).Round(time.Millisecond).String())
	fmt.Fprintf(d.cfg.Out, "portfoliod: recorded demo data (%d commands); turn it off with --demo=false\n", n)
	return nil
}

// ready is /readyz: the store answers and the read models have caught up
// with the head seen at start.
func (d *Daemon) ready(ctx context.Context) error {
	if _, err := d.Store.Head(ctx); err != nil {
		return err
	}
	if !d.Reads.Ready() {
		return &domain.Error{Kind: domain.KindLagging, Message: fmt.Sprintf("read models catching up (lag %d)", d.Reads.Lag())}
	}
	return nil
}

// instanceID returns this installation's id, kept in DataDir/instance-id
// (created on first start). It tells the idempotency store which pending
// requests an earlier run of this same instance left behind when it
// crashed, so that their retries need not wait for the lease.
func instanceID(dataDir string) (string, error) {
	path := filepath.Join(dataDir, "instance-id")
	if b, err := os.ReadFile(path); err == nil {
		if id := strings.TrimSpace(string(b)); id != "" {
			return id, nil
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("instance id: %w", err)
	}
	id := services.NewID()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(id+"\n"), 0o644); err != nil {
		return "", fmt.Errorf("instance id: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", fmt.Errorf("instance id: %w", err)
	}
	return id, nil
}

// loadKeys reads the signing key (generating DataDir/signing.key on first
// start when no --signing-key is given) and the trusted keys.
func (d *Daemon) loadKeys() error {
	path := d.cfg.SigningKeyFile
	if path == "" {
		path = filepath.Join(d.cfg.DataDir, "signing.key")
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			key, err := audit.GenerateSigningKey(path)
			switch {
			case err == nil:
				fmt.Fprintf(d.cfg.Out, "portfoliod: generated the event signing key %s (key id %s, mode 0600); keep it secret and back it up\n",
					path, audit.KeyID(key.Public().(ed25519.PublicKey)))
			case errors.Is(err, os.ErrExist): // another process was first
			default:
				return fmt.Errorf("signing key: %w", err)
			}
		}
	}
	key, err := audit.ReadSigningKey(path)
	if err != nil {
		return fmt.Errorf("signing key: %w", err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		d.log.Warn("the signing key file is readable by others; make it mode 0600", "path", path, "mode", fi.Mode().Perm().String())
	}
	d.signer = key
	d.trusted = []ed25519.PublicKey{key.Public().(ed25519.PublicKey)}
	if d.cfg.TrustedKeysFile != "" {
		raw, err := os.ReadFile(d.cfg.TrustedKeysFile)
		if err != nil {
			return fmt.Errorf("trusted keys: %w", err)
		}
		more, err := audit.ParsePublicKeys(string(raw))
		if err != nil {
			return fmt.Errorf("trusted keys %s: %w", d.cfg.TrustedKeysFile, err)
		}
		d.trusted = append(d.trusted, more...)
	}
	d.keys = audit.NewKeyring(d.trusted...)
	d.log.Info("event signing", "keyId", audit.KeyID(d.trusted[0]), "trustedKeys", d.keys.IDs())
	return nil
}

// PublicKey is the public half of the event signing key.
func (d *Daemon) PublicKey() ed25519.PublicKey { return d.trusted[0] }

// URL is the HTTP API's base URL.
func (d *Daemon) URL() string {
	if d.ln == nil {
		return ""
	}
	return "http://" + d.ln.Addr().String()
}

// TokenFile is the path of the token file in use.
func (d *Daemon) TokenFile() string { return d.tokenPath }

// Token returns the plaintext token of the named entry of the token file
// ("" when the file has only its hash).
func (d *Daemon) Token(name string) string { return d.tokens[name] }

// NATSURL is the embedded server's client URL for subscribers ("" when it
// does not listen or NATS is external).
func (d *Daemon) NATSURL() string {
	if d.ns == nil || d.cfg.NATSListen == "" {
		return ""
	}
	return d.ns.ClientURL()
}

// Err reports a component that stopped on its own.
func (d *Daemon) Err() <-chan error { return d.runErr }

// Close stops the HTTP server (letting requests in flight finish until ctx
// ends), a running read model rebuild, the read model runner, and NATS.
func (d *Daemon) Close(ctx context.Context) error {
	var errs []error
	d.closed.Do(func() {
		if d.httpSrv != nil {
			if err := d.httpSrv.Shutdown(ctx); err != nil {
				errs = append(errs, err)
			}
		} else if d.ln != nil {
			_ = d.ln.Close()
		}
		if d.ops != nil && d.ops.srv != nil {
			if err := d.ops.srv.Shutdown(ctx); err != nil {
				errs = append(errs, err)
			}
		} else if d.ops != nil {
			_ = d.ops.ln.Close()
		}
		if d.rebuild != nil {
			d.rebuild.Close()
		}
		if d.cancel != nil {
			d.cancel()
		}
		d.wg.Wait()
		if d.Reads != nil {
			if err := d.Reads.Close(); err != nil {
				errs = append(errs, err)
			}
		}
		if d.ns != nil {
			if err := d.ns.Shutdown(ctx); err != nil {
				errs = append(errs, err)
			}
		} else if d.nc != nil {
			if err := d.nc.Drain(); err != nil {
				errs = append(errs, err)
			}
		}
	})
	return errors.Join(errs...)
}

// redactURLs removes user info from NATS URLs before they are logged.
func redactURLs(urls string) string {
	parts := strings.Split(urls, ",")
	for i, u := range parts {
		if at := strings.LastIndex(u, "@"); at >= 0 {
			if s := strings.Index(u, "://"); s >= 0 && s < at {
				parts[i] = u[:s+3] + "***" + u[at:]
			}
		}
	}
	return strings.Join(parts, ",")
}

// The read models serve the API's consultation queries.
var _ httpapi.ConsultationReader = (*projections.ReadModels)(nil)
