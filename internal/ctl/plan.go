package ctl

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/ehelse/portfolio/services/wire"
)

// The realisation plan: indicators, reporting rounds, the portfolio
// report and dependencies.

func (a *app) planCmds() []*cobra.Command {
	return []*cobra.Command{a.indicatorsCmd(), a.roundsCmd(), a.reportCmd(), a.dependenciesCmd()}
}

func (a *app) indicatorsCmd() *cobra.Command {
	var (
		o    queryOpts
		goal string
	)
	cmd := &cobra.Command{
		Use:   "indicators [INDICATOR_ID]",
		Short: "Show the goal indicators (målindikatorer) with baseline, target, latest value and progress",
		Args:  cobra.MaximumNArgs(1),
	}
	cmd.RunE = runE(func(cmd *cobra.Command, args []string) error {
		if len(args) == 1 {
			return a.show(cmd.Context(), "/v1/indicators/"+id(args[0]), nil, &o, decoded(renderIndicator))
		}
		q := url.Values{}
		setIf(q, "goal", goal)
		return a.show(cmd.Context(), "/v1/indicators", q, &o, renderIndicators)
	})
	cmd.Flags().StringVar(&goal, "goal", "", "only the indicators of this goal, e.g. M1")
	addQueryFlags(cmd, &o)
	return cmd
}

func (a *app) roundsCmd() *cobra.Command {
	var o queryOpts
	cmd := &cobra.Command{
		Use:   "rounds [ROUND_ID]",
		Short: "Show the reporting rounds; with an id, who has reported and who has not, by owner",
		Args:  cobra.MaximumNArgs(1),
	}
	cmd.RunE = runE(func(cmd *cobra.Command, args []string) error {
		if len(args) == 1 {
			return a.show(cmd.Context(), "/v1/reporting-rounds/"+id(args[0]), nil, &o, decoded(renderRound))
		}
		return a.show(cmd.Context(), "/v1/reporting-rounds", nil, &o, renderRounds)
	})
	addQueryFlags(cmd, &o)
	return cmd
}

func (a *app) reportCmd() *cobra.Command {
	var (
		o       queryOpts
		section string
		xlsx    string
	)
	cmd := &cobra.Command{
		Use:   "report ROUND_ID",
		Short: "Show the portfolio report frozen when a round closed; --output csv for one section, --xlsx FILE for Excel",
		Args:  cobra.ExactArgs(1),
	}
	cmd.RunE = runE(func(cmd *cobra.Command, args []string) error {
		path := "/v1/reports/" + id(args[0])
		if xlsx != "" {
			c, err := a.client()
			if err != nil {
				return err
			}
			q := url.Values{"format": {"xlsx"}}
			if o.minPosition > 0 {
				q.Set("minPosition", strconv.FormatUint(o.minPosition, 10))
			}
			resp, err := c.do(cmd.Context(), http.MethodGet, path, q, nil, nil)
			if err != nil {
				return err
			}
			if err := os.WriteFile(xlsx, resp.body, 0o644); err != nil {
				return failf("write %s: %v", xlsx, err)
			}
			_, err = fmt.Fprintf(a.stdout, "wrote %s (%d bytes)\n", xlsx, len(resp.body))
			return err
		}
		q := url.Values{}
		if a.output == outCSV {
			setIf(q, "section", section)
		}
		return a.show(cmd.Context(), path, q, &o, decoded(renderReport), outTable, outJSON, outCSV)
	})
	cmd.Flags().StringVar(&section, "section", "", "with --output csv: initiatives (default), milestones, decisions or changes")
	cmd.Flags().StringVar(&xlsx, "xlsx", "", "write the report as an Excel workbook (one sheet per section) to `FILE`")
	complete(cmd, "section", []string{"initiatives", "milestones", "decisions", "changes"})
	addQueryFlags(cmd, &o)
	return cmd
}

func (a *app) dependenciesCmd() *cobra.Command {
	var (
		o          queryOpts
		initiative string
		atRisk     bool
	)
	cmd := &cobra.Command{
		Use:   "dependencies",
		Short: "Show the dependencies between initiatives with their state (ok, or at risk and why)",
		Args:  cobra.NoArgs,
	}
	cmd.RunE = runE(func(cmd *cobra.Command, _ []string) error {
		q := url.Values{}
		setIf(q, "initiativeId", initiative)
		if atRisk {
			q.Set("atRisk", "true")
		}
		return a.show(cmd.Context(), "/v1/dependencies", q, &o, renderDependencies)
	})
	cmd.Flags().StringVar(&initiative, "initiative", "", "only the dependencies of or on this initiative")
	cmd.Flags().BoolVar(&atRisk, "at-risk", false, "only the dependencies at risk")
	addQueryFlags(cmd, &o)
	return cmd
}

// ---- rendering ----

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func progress(p *float64) string {
	if p == nil {
		return ""
	}
	return fmt.Sprintf("%.0f %%", *p*100)
}

func renderIndicators(w io.Writer, body []byte) error {
	var v struct {
		Indicators []wire.IndicatorView `json:"indicators"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return err
	}
	tw := newTable(w)
	header(tw, "GOAL", "INDICATOR", "UNIT", "BASELINE", "TARGET", "LATEST", "PROGRESS", "ID")
	for _, i := range v.Indicators {
		latest := ""
		if i.Latest != nil {
			latest = num(i.Latest.Value) + " (" + i.Latest.Period + ")"
		}
		row(tw, i.GoalID+" "+i.SubGoalID, i.Name, i.Unit, num(i.Baseline.Value)+" ("+string(i.Baseline.Date)+")",
			num(i.Target.Value)+" ("+string(i.Target.Date)+")", latest, progress(i.Progress), i.IndicatorID)
	}
	return tw.Flush()
}

func renderIndicator(w io.Writer, i wire.IndicatorView) error {
	fmt.Fprintf(w, "%s\n  goal %s %s, %s, %s is better; source: %s\n  baseline %s (%s), target %s (%s), progress %s\n",
		i.Name, i.GoalID, i.SubGoalID, i.Unit, i.Direction, i.Source, num(i.Baseline.Value), i.Baseline.Date,
		num(i.Target.Value), i.Target.Date, progress(i.Progress))
	tw := newTable(w)
	header(tw, "PERIOD", "VALUE", "CORRECTED FROM")
	for _, v := range i.Values {
		corr := ""
		for _, c := range v.Corrections {
			corr += num(c.PreviousValue) + " (" + c.Reason + ") "
		}
		row(tw, v.Period, num(v.Value), corr)
	}
	return tw.Flush()
}

func renderRounds(w io.Writer, body []byte) error {
	var v struct {
		Rounds []wire.RoundSummary `json:"rounds"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return err
	}
	tw := newTable(w)
	header(tw, "ROUND", "STATE", "PERIOD END", "DEADLINE", "ID")
	for _, r := range v.Rounds {
		row(tw, r.Label, r.State, string(r.PeriodEnd), string(r.Deadline), r.RoundID)
	}
	return tw.Flush()
}

func renderRound(w io.Writer, r wire.RoundDetail) error {
	fmt.Fprintf(w, "%s (%s): period ends %s, deadline %s; %d reported, %d not\n", r.Label, r.State, r.PeriodEnd, r.Deadline,
		r.Reported, r.NotReported)
	tw := newTable(w)
	header(tw, "OWNER", "REPORTED", "NOT REPORTED")
	for _, o := range r.Owners {
		titles := func(refs []wire.InitiativeRef) string {
			s := ""
			for i, x := range refs {
				if i > 0 {
					s += ", "
				}
				s += x.Title
			}
			return s
		}
		row(tw, o.Owner, titles(o.Reported), titles(o.NotReported))
	}
	return tw.Flush()
}

func renderReport(w io.Writer, r wire.PortfolioReport) error {
	fmt.Fprintf(w, "Portfolio report %s (period %s–%s, closed %s at position %d)\n", r.Label, r.PeriodStart, r.PeriodEnd,
		r.ClosedAt.UTC().Format("2006-01-02 15:04"), r.Position)
	fmt.Fprintf(w, "%d initiatives: %d reported, %d not; %d decisions\n\n", r.Summary.Initiatives, r.Summary.Reported,
		r.Summary.NotReported, r.Summary.Decisions)
	tw := newTable(w)
	header(tw, "OWNER", "INITIATIVE", "PHASE", "STATE", "STATUS", "O", "S", "C", "B")
	for _, i := range r.Initiatives {
		o, s, c, b := "", "", "", ""
		if st := i.Status; st != nil {
			o, s, c, b = string(st.Overall), string(st.Schedule), string(st.Cost), string(st.Benefit)
		}
		row(tw, i.Owner, i.Title, string(i.Phase), string(i.State), i.StatusInRound, o, s, c, b)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	ch := r.Changes
	fmt.Fprintf(w, "\nChanges since the previous round: %d phase changes, %d lights changed, %d new, %d closed, %d cancelled, %d milestones slipped\n",
		len(ch.PhaseChanges), len(ch.RAG), len(ch.New), len(ch.Closed), len(ch.Cancelled), len(ch.SlippedMilestones))
	return nil
}

func renderDependencies(w io.Writer, body []byte) error {
	var v struct {
		Dependencies []wire.DependencyView `json:"dependencies"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return err
	}
	tw := newTable(w)
	header(tw, "INITIATIVE", "NEEDS", "BY", "STATE", "WHY", "ID")
	for _, d := range v.Dependencies {
		why := ""
		if d.Risk != nil {
			why = d.Risk.Reason
		}
		row(tw, d.InitiativeTitle, d.DependsOnTitle, string(d.NeededBy), d.State, why, d.DependencyID)
	}
	return tw.Flush()
}
