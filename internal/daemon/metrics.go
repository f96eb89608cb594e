package daemon

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ehelse/portfolio/domain"
)

// metrics are the daemon's own collectors: command outcomes and latency at
// the service layer, and the read models' position and lag.
type metrics struct {
	commands *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newMetrics(reg *prometheus.Registry, d *Daemon) *metrics {
	m := &metrics{
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portfolio_service_commands_total", Help: "Commands executed by the service layer, by name and outcome kind.",
		}, []string{"command", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "portfolio_service_command_seconds", Help: "Service-layer command latency (load, decide, append).",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}, []string{"command"}),
	}
	reg.MustRegister(m.commands, m.latency,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "portfolio_projection_position", Help: "Stream position the read models have applied."},
			func() float64 { return float64(d.Reads.Position()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "portfolio_projection_lag_events", Help: "Events the read models are behind the stream head."},
			func() float64 { return float64(d.Reads.Lag()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "portfolio_projection_applied_total", Help: "Events applied to the read models since start."},
			func() float64 { return float64(d.Reads.Stats().Applied) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "portfolio_projection_skipped_total", Help: "Events skipped by the read models since start."},
			func() float64 { return float64(d.Reads.Stats().Skipped) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "portfolio_projection_rejected_total", Help: "Events the read models rejected since start because they fail verification (forged or altered: bad signature or broken hash chain)."},
			func() float64 { return float64(d.Reads.Stats().Rejected) }),
	)
	return m
}

func (m *metrics) observeCommand(command string, kind domain.Kind, took time.Duration) {
	outcome := string(kind)
	if outcome == "" {
		outcome = "ok"
	}
	m.commands.WithLabelValues(command, outcome).Inc()
	m.latency.WithLabelValues(command).Observe(took.Seconds())
}
