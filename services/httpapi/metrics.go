package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the server's Prometheus metrics:
//
//	portfolio_commands_total{command,outcome}      outcome: created, replayed, or the error code
//	portfolio_command_duration_seconds{command}    time to answer a command request
//	portfolio_http_request_duration_seconds{method,route,status}
type metrics struct {
	commands        *prometheus.CounterVec
	commandDuration *prometheus.HistogramVec
	httpDuration    *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portfolio_commands_total",
			Help: "Command requests by command name and outcome (created, replayed, or the error code).",
		}, []string{"command", "outcome"}),
		commandDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "portfolio_command_duration_seconds",
			Help:    "Time to answer a command request, by command name.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"command"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "portfolio_http_request_duration_seconds",
			Help:    "HTTP requests by method, route pattern and status.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "route", "status"}),
	}
	for _, c := range []prometheus.Collector{m.commands, m.commandDuration, m.httpDuration} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *metrics) observeCommand(name, outcome string, took time.Duration) {
	m.commands.WithLabelValues(name, outcome).Inc()
	m.commandDuration.WithLabelValues(name).Observe(took.Seconds())
}

func (m *metrics) observeHTTP(method, route string, status int, took time.Duration) {
	m.httpDuration.WithLabelValues(method, route, strconv.Itoa(status)).Observe(took.Seconds())
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
