package httpapi

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the server's Prometheus metrics, one per fact:
//
//	portfolio_http_request_duration_seconds{code,method,route}  every request (its _count is the request count)
//	portfolio_http_requests_in_flight                            requests being answered
//	portfolio_commands_total{command,outcome}                    outcome: created, replayed, or the problem code
//	portfolio_command_duration_seconds{command}                  time to answer a command request
//
// The HTTP metrics are promhttp's instrumenters around each route's
// handler, so route is the mux pattern ("GET /v1/initiatives/{id}"), or
// "unmatched" for a request no route takes. A command's name and outcome
// are known only inside the command handler, which records them.
type metrics struct {
	httpDuration    *prometheus.HistogramVec
	inFlight        prometheus.Gauge
	commands        *prometheus.CounterVec
	commandDuration *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "portfolio_http_request_duration_seconds",
			Help:    "HTTP requests by status code, method and route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"code", "method", "route"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "portfolio_http_requests_in_flight",
			Help: "HTTP requests being answered.",
		}),
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portfolio_commands_total",
			Help: "Command requests by command name and outcome (created, replayed, or the problem code).",
		}, []string{"command", "outcome"}),
		commandDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "portfolio_command_duration_seconds",
			Help:    "Time to answer a command request, by command name.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"command"}),
	}
	for _, c := range []prometheus.Collector{m.httpDuration, m.inFlight, m.commands, m.commandDuration} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// route instruments the handler of one route.
func (m *metrics) route(pattern string, h http.Handler) http.Handler {
	return promhttp.InstrumentHandlerDuration(m.httpDuration.MustCurryWith(prometheus.Labels{"route": pattern}), h)
}

// inFlightHandler counts the requests h is answering.
func (m *metrics) inFlightHandler(h http.Handler) http.Handler {
	return promhttp.InstrumentHandlerInFlight(m.inFlight, h)
}

func (m *metrics) observeCommand(name, outcome string, took time.Duration) {
	m.commands.WithLabelValues(name, outcome).Inc()
	m.commandDuration.WithLabelValues(name).Observe(took.Seconds())
}

func (m *metrics) handler(g prometheus.Gatherer) http.Handler {
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{})
}

// opsHandler serves /metrics, /healthz and /readyz with the middleware,
// and a 404 problem for anything else.
func (s *Server) opsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.metrics.handler(s.cfg.Registry))
	mux.HandleFunc("GET /healthz", s.handleHealthz)
	mux.HandleFunc("GET /readyz", s.handleReadyz)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { s.writeError(w, r, errNoRoute(r.URL.Path)) })
	return s.middleware(mux)
}
