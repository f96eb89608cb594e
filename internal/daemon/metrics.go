package daemon

import (
	"github.com/prometheus/client_golang/prometheus"
)

// collectors are the daemon's own metrics, served at /metrics beside the
// HTTP API's: the read models' position, lag and counts. Command outcomes
// are the API's (portfolio_commands_total).
func (d *Daemon) collectors() []prometheus.Collector {
	return []prometheus.Collector{
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
	}
}
