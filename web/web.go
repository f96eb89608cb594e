// Package web is the public web site (see the contract, "Web pages"):
// server-rendered HTML in Norwegian bokmål, read from the same read models
// as the API, with templates and assets embedded in the binary.
//
// Wiring (internal/daemon):
//
//	site, err := web.New(web.Config{
//		Queries:   readModels, // *projections.ReadModels
//		History:   history,    // *services.History, for "as it stood on"
//		EventTime: func(ctx context.Context, pos uint64) (time.Time, error) { … },
//		Logger:    logger,
//		// Optional: sign-in and the signed-in pages (secretariat.go).
//		Secretariat: &web.SecretariatConfig{Sessions: sessions, Executor: commands, …},
//	})
//	api, err := httpapi.New(httpapi.Config{…, Web: site.Handler()})
//
// A handler decodes the request into a filter, calls the read models and
// renders a view struct; templates never see projection or domain types.
package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/projections"
	"github.com/ehelse/portfolio/services"
)

// Queries are the read models. *projections.ReadModels implements it.
type Queries interface {
	Position() uint64
	// WaitFor blocks until Position() >= pos, or returns an error when
	// ctx is done first. The live updates (SSE) wait on it.
	WaitFor(ctx context.Context, pos uint64) error
	Strategy() (projections.StrategyView, error)
	Initiatives(f projections.InitiativeFilter) ([]projections.InitiativeSummary, error)
	Initiative(id string) (projections.InitiativeDetail, error)
	Roadmap(f projections.RoadmapFilter) (projections.RoadmapView, error)
	Meetings(forum string, year int) ([]projections.MeetingSummary, error)
	Meeting(id string) (projections.MeetingDetail, error)
	Case(id string) (projections.CaseDetail, error)
	Decisions(f projections.DecisionFilter) ([]projections.DecisionEntry, error)
}

// History answers "as it stood on" from the event log.
// *services.History implements it.
type History interface {
	InitiativeAt(ctx context.Context, id string, asOf *time.Time, atVersion *uint64) (*domain.InitiativeState, uint64, error)
}

// Config configures a Server.
type Config struct {
	// Queries are the read models. Required.
	Queries Queries
	// History serves /tiltak/{id}?dato=…; nil: that parameter answers 404.
	History History
	// EventTime returns when the event at stream position pos was
	// recorded; the pages say "Sist oppdatert" with it. Nil, or an error:
	// the time the site first saw the position.
	EventTime func(ctx context.Context, pos uint64) (time.Time, error)
	Logger    *slog.Logger
	// Now is the clock (today's marker on the time lines); default time.Now.
	Now func() time.Time
	// Secretariat, when set, serves sign-in (/logg-inn) and the signed-in
	// pages under /sekretariat (secretariat.go).
	Secretariat *SecretariatConfig
	// Responses records responses from the public consultation form; nil:
	// the form is not offered.
	Responses ResponseRecorder
	// FormKey signs the response form's ids (HMAC-SHA256), so that a
	// posted id is one the site rendered for that consultation; it must
	// be the same on every instance and across restarts. Empty: ids are
	// not signed.
	FormKey []byte
	// Contacts opens the contact addresses of consultation responses on
	// the secretariat's pages; nil: they are not shown.
	Contacts services.ContactOpener
	// FormPosts and FormBurst bound the form posts per client address:
	// FormBurst at once, then FormPosts per second; defaults one per six
	// seconds, ten at once.
	FormPosts rate.Limit
	FormBurst int
}

// Server is the web site.
type Server struct {
	cfg     Config
	log     *slog.Logger
	pages   *pages
	assets  *assets
	handler http.Handler
	sek     *sekPages  // the signed-in area's templates
	oidc    *oidcLogin // nil: no OpenID Connect sign-in

	// done ends the live streams when the server shuts down (Close).
	done    context.Context
	close   context.CancelFunc
	streams chan struct{}

	// crossOrigin refuses cross-site form posts; posts bounds them per
	// client address.
	crossOrigin *http.CrossOriginProtection
	posts       *postLimiter

	roadmaps *roadmapCache

	lookup  sync.Mutex // serialises EventTime calls
	mu      sync.Mutex // guards changed
	changed struct {
		pos uint64
		at  time.Time
	}
}

// New returns the site. It fails when the embedded templates do not parse.
func New(cfg Config) (*Server, error) {
	if cfg.Queries == nil {
		return nil, errors.New("web: Config.Queries is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	a, err := loadAssets()
	if err != nil {
		return nil, err
	}
	p, err := parsePages(a)
	if err != nil {
		return nil, err
	}
	if cfg.FormPosts <= 0 {
		cfg.FormPosts = rate.Every(6 * time.Second)
	}
	if cfg.FormBurst <= 0 {
		cfg.FormBurst = 10
	}
	s := &Server{cfg: cfg, log: cfg.Logger, pages: p, assets: a, roadmaps: newRoadmapCache(), streams: make(chan struct{}, maxStreams),
		crossOrigin: http.NewCrossOriginProtection(), posts: newPostLimiter(cfg.FormPosts, cfg.FormBurst, cfg.Now)}
	if err := s.initSecretariat(a); err != nil {
		return nil, err
	}
	s.done, s.close = context.WithCancel(context.Background())
	s.handler = s.secure(s.routes())
	return s, nil
}

// Handler serves the site's pages, feeds and assets. Paths it does not
// know get a Norwegian 404 page.
func (s *Server) Handler() http.Handler { return s.handler }

// Close ends the open live streams, so that an HTTP server's Shutdown
// need not wait for them (http.Server.RegisterOnShutdown(site.Close)).
func (s *Server) Close() { s.close() }

func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.page(s.handleFront))
	mux.HandleFunc("GET /veikart", s.page(s.handleRoadmap))
	mux.HandleFunc("GET /portefolje", s.page(s.handlePortfolio))
	mux.HandleFunc("GET /tiltak/{id}", s.page(s.handleInitiative))
	mux.HandleFunc("GET /strategi", s.page(s.handleStrategy))
	mux.HandleFunc("GET /radsmodell", s.page(s.handleCouncil))
	mux.HandleFunc("GET /radsmodell/moter/{id}", s.page(s.handleMeeting))
	mux.HandleFunc("GET /radsmodell/saker/{id}", s.page(s.handleCase))
	mux.HandleFunc("GET /vedtak", s.page(s.handleDecisions))
	mux.HandleFunc("GET /rapporter", s.page(s.handleReports))
	mux.HandleFunc("GET /rapporter/{roundId}", s.page(s.handleReport))
	mux.HandleFunc("GET /feed/vedtak.atom", s.page(s.handleDecisionFeed))
	mux.HandleFunc("GET /horinger", s.page(s.handleConsultations))
	mux.HandleFunc("GET /horinger/{id}", s.noStorePage(s.handleConsultation))
	mux.HandleFunc("POST /horinger/{id}", s.handleRespond)
	mux.HandleFunc("GET /hendelser", s.handleEvents)
	mux.HandleFunc("GET /assets/{name}", s.assets.serve)
	s.secretariatRoutes(mux)
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(withMethod(r, http.MethodGet)); pattern != "" && pattern != "/" {
			w.Header().Set("Allow", "GET, HEAD")
			s.renderError(w, r, &pageError{status: http.StatusMethodNotAllowed, msg: "Denne siden kan bare leses (GET)."})
			return
		}
		s.renderError(w, r, errNotFound("Vi fant ikke siden %s.", r.URL.Path))
	})
	return mux
}

func withMethod(r *http.Request, m string) *http.Request {
	r2 := r.Clone(r.Context())
	r2.Method = m
	return r2
}
