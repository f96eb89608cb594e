// Package httpapi is the HTTP API of the portfolio (see the contract):
// commands at POST /v1/commands/{CommandName}, queries under /v1/, the
// administrative /v1/admin/rebuild and /v1/admin/backup, the operations
// endpoints /healthz and /readyz, and the OpenAPI document at
// /openapi.yaml. /metrics is served by OpsHandler, on its own listener.
//
// Wiring (cmd/portfoliod):
//
//	srv, err := httpapi.New(httpapi.Config{
//		Logger:      logger,          // JSON slog logger for the access log
//		Auth:        authenticator,   // *services.Authenticator
//		Idempotency: idemStore,       // *idempotency.Store (eventstore/idempotency)
//		Executor:    commandService,  // *services.CommandService
//		Queries:     readModels,      // *projections.ReadModels
//		History:     history,         // *services.History
//		Verify:      verifier.Verify, // *services.Verifier
//		ReadyCheck:  func(ctx context.Context) error { … },
//		Rebuild:     rebuilds,        // *services.Rebuilds, for /v1/admin/rebuild
//		Collectors:  []prometheus.Collector{…}, // optional extra metrics
//	})
//	httpServer := httpapi.NewHTTPServer(addr, srv.Handler())
//
// The dependencies are the small interfaces below, so tests use fakes.
// Every error is application/problem+json with a stable code, from the one
// table in errors.go.
package httpapi

import (
	"context"
	"crypto/ed25519"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/ehelse/portfolio/audit"
	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/eventlog"
	"github.com/ehelse/portfolio/services"
	"github.com/ehelse/portfolio/services/wire"
)

// Authenticator turns a bearer token into a principal; "" is anonymous.
// An unknown token is a KindUnauthorized error. *services.Authenticator
// implements it.
type Authenticator interface {
	Authenticate(token string) (services.Principal, error)
}

// Executor runs commands. *services.CommandService implements it.
type Executor = services.Executor

// Queries are the read models. *projections.ReadModels implements it.
type Queries interface {
	Position() uint64
	// WaitFor blocks until Position() >= pos, or returns a KindLagging
	// error when ctx is done first.
	WaitFor(ctx context.Context, pos uint64) error
	Strategy() (wire.StrategyView, error)
	Initiatives(f wire.InitiativeFilter) ([]wire.InitiativeSummary, error)
	Initiative(id string) (wire.InitiativeDetail, error)
	// InitiativeAt folds an initiative's events up to a point (History's
	// InitiativeUntil) into the shape of Initiative; asOf bounds the
	// council cases it lists.
	InitiativeAt(id string, events []domain.Recorded, asOf time.Time) (wire.InitiativeDetail, error)
	Roadmap(f wire.RoadmapFilter) (wire.RoadmapView, error)
	Meetings(forum string, year int) ([]wire.MeetingSummary, error)
	Meeting(id string) (wire.MeetingDetail, error)
	Case(id string) (wire.CaseDetail, error)
	Decisions(f wire.DecisionFilter) ([]wire.DecisionEntry, error)
}

// History answers from the event log itself. *services.History implements it.
type History interface {
	// InitiativeUntil returns an initiative's events up to asOf and/or
	// atVersion; KindNotFound when it did not exist then.
	InitiativeUntil(ctx context.Context, id string, asOf *time.Time, atVersion *uint64) ([]domain.Recorded, error)
	// Events returns one aggregate's events in order; KindNotFound when none.
	Events(ctx context.Context, aggType, id string) ([]eventlog.Record, error)
	// InitiativeEvents returns an initiative's events when p may read
	// them (KindUnauthorized, KindForbidden otherwise); KindNotFound when none.
	InitiativeEvents(ctx context.Context, p services.Principal, id string) ([]eventlog.Record, error)
	// AuditEvents returns up to limit events after position after.
	AuditEvents(ctx context.Context, after uint64, limit int) ([]eventlog.Record, error)
}

// NewAuditKey describes the signing key's public half and the trusted keys.
func NewAuditKey(signing ed25519.PublicKey, trusted []ed25519.PublicKey) *wire.AuditKey {
	k := &wire.AuditKey{Algorithm: audit.Algorithm, KeyID: audit.KeyID(signing),
		PublicKey: audit.EncodePublicKey(signing), PublicKeyPEM: audit.PublicKeyPEM(signing)}
	ring := audit.NewKeyring(append([]ed25519.PublicKey{signing}, trusted...)...)
	for _, id := range ring.IDs() {
		k.TrustedKeys = append(k.TrustedKeys, wire.TrustedKey{KeyID: id, PublicKey: audit.EncodePublicKey(ring[id])})
	}
	return k
}

// Config configures a Server. Auth and Executor are required for commands,
// Queries for the read-model queries, History for history, time travel
// and audit; a nil dependency makes its endpoints answer 503 unavailable.
type Config struct {
	// Logger receives the JSON access log and errors; default: JSON to stderr.
	Logger *slog.Logger
	Auth   Authenticator
	// Idempotency backs Idempotency-Key; nil: requests with the header
	// get 503.
	Idempotency services.Idempotency
	Executor    Executor
	Queries     Queries
	History     History
	// Verify checks the whole event log (GET /v1/audit/verify).
	Verify func(ctx context.Context, req services.VerifyRequest) (services.VerifyResult, error)
	// AuditKey is served at GET /v1/audit/key (to anyone); nil: 503.
	AuditKey *wire.AuditKey
	// Rebuild runs the read-model rebuild of /v1/admin/rebuild; nil: 503.
	Rebuild Rebuilder
	// Backup takes the backups of GET /v1/admin/backup; nil: 503.
	Backup Backuper
	// ReadyCheck answers /readyz; nil: always ready.
	ReadyCheck func(ctx context.Context) error
	// Registry receives the server's metrics and is served at /metrics;
	// default: a new registry with the Go and process collectors.
	Registry *prometheus.Registry
	// Collectors are extra collectors to register (e.g. the read models'
	// and the event store's).
	Collectors []prometheus.Collector
	// Web, when set, answers every path outside /v1/ that no API route
	// has: the public web site (package web), behind the same middleware.
	Web http.Handler

	// MaxBodyBytes bounds a command body; default 1 MiB (the contract's).
	MaxBodyBytes int64
	// LagTimeout bounds the wait for minPosition; default 5 s (the contract's).
	LagTimeout time.Duration
	// CommandTimeout bounds one command's execution; default 30 s. A
	// command runs to its end even if the client goes away.
	CommandTimeout time.Duration

	// Contacts opens the sealed contact addresses of consultation
	// responses for the secretariat; nil: they are not shown.
	Contacts ContactOpener
	// Now is the clock for the consultations' status; default time.Now.
	Now func() time.Time
}

// Server is the HTTP API.
type Server struct {
	cfg     Config
	log     *slog.Logger
	metrics *metrics
	handler http.Handler
}

// New returns a Server. It fails only when registering metrics fails.
func New(cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.LagTimeout <= 0 {
		cfg.LagTimeout = 5 * time.Second
	}
	if cfg.CommandTimeout <= 0 {
		cfg.CommandTimeout = 30 * time.Second
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
		if err := cfg.Registry.Register(collectors.NewGoCollector()); err != nil {
			return nil, err
		}
		if err := cfg.Registry.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
			return nil, err
		}
	}
	for _, c := range cfg.Collectors {
		if err := cfg.Registry.Register(c); err != nil {
			return nil, err
		}
	}
	m, err := newMetrics(cfg.Registry)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: cfg.Logger, metrics: m}
	s.handler = s.middleware(s.routes())
	return s, nil
}

// Handler returns the API's http.Handler with its middleware: request id,
// correlation id, panic recovery, metrics and the access log.
func (s *Server) Handler() http.Handler { return s.handler }

// OpsHandler serves the operations endpoints for the operations listener
// (portfoliod --ops-listen): /metrics, which the public Handler does not
// serve, and /healthz and /readyz as on the public one.
func (s *Server) OpsHandler() http.Handler { return s.opsHandler() }

// NewHTTPServer returns an *http.Server for handler with timeouts set, so
// slow or idle clients cannot hold connections forever.
func NewHTTPServer(addr string, handler http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		// Long enough for a command (30 s) after waiting for a concurrent
		// request with the same Idempotency-Key (20 s).
		WriteTimeout:   75 * time.Second,
		IdleTimeout:    120 * time.Second,
		MaxHeaderBytes: 64 << 10,
	}
}

func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	handle := func(pattern string, h http.HandlerFunc) { mux.Handle(pattern, s.route(pattern, h)) }
	handle("POST /v1/commands/{name}", s.handleCommand)

	handle("GET /v1/strategy", s.handleStrategy)
	handle("GET /v1/initiatives", s.handleInitiatives)
	handle("GET /v1/initiatives/{id}", s.handleInitiative)
	handle("GET /v1/initiatives/{id}/events", s.handleInitiativeEvents)
	handle("GET /v1/roadmap", s.handleRoadmap)
	handle("GET /v1/council/meetings", s.handleMeetings)
	handle("GET /v1/council/meetings/{id}", s.handleMeeting)
	handle("GET /v1/council/cases/{id}", s.handleCase)
	handle("GET /v1/council/cases/{id}/events", s.handleCaseEvents)
	handle("GET /v1/council/decisions", s.handleDecisions)
	handle("GET /v1/consultations", s.handleConsultations)
	handle("GET /v1/consultations/{id}", s.handleConsultation)
	s.planRoutes(handle)
	handle("GET /v1/audit/events", s.handleAuditEvents)
	handle("GET /v1/audit/verify", s.handleAuditVerify)
	handle("GET /v1/audit/key", s.handleAuditKey)
	handle("POST /v1/admin/rebuild", s.handleStartRebuild)
	handle("GET /v1/admin/rebuild", s.handleRebuildStatus)
	handle("GET /v1/admin/backup", s.handleBackup)

	handle("GET /healthz", s.handleHealthz)
	handle("GET /readyz", s.handleReadyz)
	handle("GET /openapi.yaml", s.handleOpenAPI)
	// /metrics is served on the operations listener only (OpsHandler);
	// here it answers a problem that says so, not the web site's 404.
	handle("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, errNoRoute(r.URL.Path+" (served on the operations listener)"))
	})

	// Everything else: 404 not_found or 405 method_not_allowed, as problems.
	unmatched := s.route(unmatchedRoute, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if allow := allowedMethods(mux, r); allow != "" {
			w.Header().Set("Allow", allow)
			s.writeError(w, r, errMethodNotAllowed(r.Method))
			return
		}
		s.writeError(w, r, errNoRoute(r.URL.Path))
	}))
	var site http.Handler
	if s.cfg.Web != nil {
		// The site's pages are counted under one route label, so that
		// page paths cannot grow the metric's label set.
		site = s.route("web", s.cfg.Web)
	}
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if site != nil && !strings.HasPrefix(r.URL.Path, "/v1/") && allowedMethods(mux, r) == "" {
			site.ServeHTTP(w, r)
			return
		}
		unmatched.ServeHTTP(w, r)
	}))
	return mux
}

// allowedMethods lists the methods with which r's path has a route.
func allowedMethods(mux *http.ServeMux, r *http.Request) string {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost} {
		if m == r.Method {
			continue
		}
		r2 := r.Clone(r.Context())
		r2.Method = m
		if _, pattern := mux.Handler(r2); pattern != "" && pattern != "/" {
			allow = append(allow, m)
		}
	}
	out := ""
	for i, m := range allow {
		if i > 0 {
			out += ", "
		}
		out += m
	}
	return out
}

func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	if s.cfg.ReadyCheck != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		if err := s.cfg.ReadyCheck(ctx); err != nil {
			// Not ready is 503: projection_lagging when the read models
			// are behind, else unavailable.
			if k := domain.ErrorKind(err); k != domain.KindLagging && k != domain.KindUnavailable {
				err = &domain.Error{Kind: domain.KindUnavailable, Message: "not ready: " + err.Error(), Err: err}
			}
			s.writeError(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
