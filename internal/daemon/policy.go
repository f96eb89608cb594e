package daemon

import (
	"context"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ehelse/portfolio/projections"
	"github.com/ehelse/portfolio/services"
	"github.com/ehelse/portfolio/services/httpapi"
)

// startPolicy runs the dependency policy (services.DependencyPolicy) until
// runCtx ends. Its checkpoint is a file in the data directory: every
// instance keeps its own, and the policy's writes are exactly once per
// cause across instances.
func (d *Daemon) startPolicy(runCtx context.Context) error {
	d.policyReaction = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "portfolio_policy_reaction_seconds",
		Help:    "Time from an event being recorded to the dependency policy having acted on it (its lag).",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	})
	p, err := services.NewDependencyPolicy(services.DependencyPolicyConfig{
		Log: d.Store, Checkpoint: filepath.Join(d.cfg.DataDir, "policy-dependencies.checkpoint"), Logger: d.log,
		TrustedKeys: d.trusted, Written: d.Store.Written(), Now: d.cfg.Now,
		Observe: func(lag time.Duration) { d.policyReaction.Observe(lag.Seconds()) },
	})
	if err != nil {
		return err
	}
	d.Policy = p
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		if err := p.Run(runCtx); err != nil && runCtx.Err() == nil {
			d.log.Error("dependency policy stopped", "err", err)
			d.runErr <- err
		}
	}()
	return nil
}

// policyCollectors are the policy's metrics: its position, how far it is
// behind the read models' view of the log, and its reaction time.
func (d *Daemon) policyCollectors() []prometheus.Collector {
	return []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "portfolio_policy_position", Help: "Stream position the dependency policy has handled."},
			func() float64 { return float64(d.Policy.Position()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "portfolio_policy_lag_events", Help: "Events the dependency policy is behind the read models (0 when ahead)."},
			func() float64 {
				if r, p := d.Reads.Position(), d.Policy.Position(); r > p {
					return float64(r - p)
				}
				return 0
			}),
		d.policyReaction,
	}
}

// The read models answer the plan's queries.
var _ httpapi.PlanQueries = (*projections.ReadModels)(nil)
