package ctl

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// queryOpts are the flags every query has.
type queryOpts struct {
	minPosition uint64
}

func addQueryFlags(cmd *cobra.Command, o *queryOpts) {
	cmd.Flags().Uint64Var(&o.minPosition, "min-position", 0, "answer only once the read models have applied this log position (a command's \"position\")")
}

// get runs a query. formats are the --output values the query supports
// (default table and json).
func (a *app) get(ctx context.Context, path string, q url.Values, o *queryOpts, formats ...string) (*response, error) {
	if len(formats) == 0 {
		formats = []string{outTable, outJSON}
	}
	if err := a.checkOutput(formats...); err != nil {
		return nil, err
	}
	if q == nil {
		q = url.Values{}
	}
	if o != nil && o.minPosition > 0 {
		q.Set("minPosition", strconv.FormatUint(o.minPosition, 10))
	}
	var h http.Header
	if a.output == outCSV {
		q.Set("format", "csv")
		h = http.Header{"Accept": {"text/csv, application/problem+json"}}
	}
	c, err := a.client()
	if err != nil {
		return nil, err
	}
	return c.do(ctx, http.MethodGet, path, q, nil, h)
}

// show gets path and prints the answer through render.
func (a *app) show(ctx context.Context, path string, q url.Values, o *queryOpts, render func(io.Writer, []byte) error, formats ...string) error {
	resp, err := a.get(ctx, path, q, o, formats...)
	if err != nil {
		return err
	}
	return a.print(resp, render)
}

// decoded adapts a renderer of T to the JSON body of an answer.
func decoded[T any](render func(io.Writer, T) error) func(io.Writer, []byte) error {
	return func(w io.Writer, body []byte) error {
		var v T
		if err := json.Unmarshal(body, &v); err != nil {
			return err
		}
		return render(w, v)
	}
}

// print prints an answer: as is for json and csv, else through render.
func (a *app) print(resp *response, render func(io.Writer, []byte) error) error {
	if a.output != outTable {
		return writeRaw(a.stdout, resp.body)
	}
	var buf bytes.Buffer
	if err := render(&buf, resp.body); err != nil {
		return failf("unexpected answer from the server: %v", err)
	}
	_, err := a.stdout.Write(buf.Bytes())
	return err
}

// setIf sets a query parameter when the value is not empty.
func setIf(q url.Values, key, value string) {
	if value != "" {
		q.Set(key, value)
	}
}

func id(s string) string { return url.PathEscape(s) }

// ---- strategy ----

func (a *app) strategyCmd() *cobra.Command {
	var o queryOpts
	cmd := &cobra.Command{
		Use:   "strategy",
		Short: "Show the strategies, goals and sub-goals; define goals and sub-goals",
		Args:  cobra.NoArgs,
	}
	cmd.RunE = runE(func(cmd *cobra.Command, _ []string) error {
		return a.show(cmd.Context(), "/v1/strategy", nil, &o, decoded(renderStrategy))
	})
	addQueryFlags(cmd, &o)
	cmd.AddCommand(a.defineGoalCmd(), a.defineSubGoalCmd())
	return cmd
}

// ---- initiatives ----

func (a *app) initiativeCmd() *cobra.Command {
	g := groupCmd("initiative", "Record and show one initiative (tiltak)")
	g.AddGroup(&cobra.Group{ID: "cmd", Title: "Commands:"}, &cobra.Group{ID: "query", Title: "Queries:"})
	for _, c := range []*cobra.Command{
		a.proposeCmd(),
		a.reasonCmd("withdraw", "Withdraw a proposed initiative", "WithdrawInitiative"),
		a.reasonCmd("pause", "Pause an initiative (midlertidig stans)", "PauseInitiative"),
		a.reasonCmd("resume", "Resume a paused initiative", "ResumeInitiative"),
		a.closeCmd(),
		a.reasonCmd("cancel", "Cancel an initiative (avbrutt)", "CancelInitiative"),
		a.reportStatusCmd(),
		a.milestoneCmd(),
	} {
		c.GroupID = "cmd"
		g.AddCommand(c)
	}
	for _, c := range []*cobra.Command{a.showInitiativeCmd(), a.historyCmd()} {
		c.GroupID = "query"
		g.AddCommand(c)
	}
	return g
}

type initiativeFilter struct {
	goal, subGoal, owner, userGroup, phase, state, q string
}

func (f *initiativeFilter) flags(cmd *cobra.Command, withState bool) {
	fs := cmd.Flags()
	fs.StringVar(&f.goal, "goal", "", "only initiatives contributing to this goal, e.g. M1")
	fs.StringVar(&f.subGoal, "subgoal", "", "only initiatives linked to this sub-goal, e.g. 1A")
	fs.StringVar(&f.owner, "owner", "", "only this owner organisation")
	fs.StringVar(&f.userGroup, "user-group", "", "only initiatives for this user group")
	fs.StringVar(&f.phase, "phase", "", "only this phase")
	fs.StringVar(&f.q, "q", "", "free-text search in title, description and owner")
	complete(cmd, "phase", phases)
	if withState {
		fs.StringVar(&f.state, "state", "", "only this lifecycle state, e.g. in_portfolio")
		complete(cmd, "state", lifecycles)
	}
}

func (f *initiativeFilter) values() url.Values {
	q := url.Values{}
	setIf(q, "goal", f.goal)
	setIf(q, "subGoal", f.subGoal)
	setIf(q, "owner", f.owner)
	setIf(q, "userGroup", f.userGroup)
	setIf(q, "phase", f.phase)
	setIf(q, "state", f.state)
	setIf(q, "q", f.q)
	return q
}

func (f *initiativeFilter) any() bool { return len(f.values()) > 0 }

func (a *app) initiativesCmd() *cobra.Command {
	var (
		o queryOpts
		f initiativeFilter
	)
	cmd := &cobra.Command{
		Use:   "initiatives",
		Short: "Show the portfolio overview (tiltaksoversikt)",
		Args:  cobra.NoArgs,
	}
	cmd.RunE = runE(func(cmd *cobra.Command, _ []string) error {
		return a.show(cmd.Context(), "/v1/initiatives", f.values(), &o, decoded(renderInitiatives))
	})
	f.flags(cmd, true)
	addQueryFlags(cmd, &o)
	return cmd
}

func (a *app) roadmapCmd() *cobra.Command {
	var (
		o queryOpts
		f initiativeFilter
	)
	cmd := &cobra.Command{
		Use:   "roadmap",
		Short: "Show the roadmap (veikart): goal → sub-goal → initiatives",
		Example: `  portfolioctl roadmap
  portfolioctl roadmap --goal M1 --user-group fastleger
  portfolioctl roadmap --q "journal" -o json`,
		Args: cobra.NoArgs,
	}
	cmd.RunE = runE(func(cmd *cobra.Command, _ []string) error {
		resp, err := a.get(cmd.Context(), "/v1/roadmap", f.values(), &o)
		if err != nil {
			return err
		}
		return a.print(resp, func(w io.Writer, b []byte) error { return renderRoadmap(w, b, f.any()) })
	})
	f.flags(cmd, false)
	addQueryFlags(cmd, &o)
	return cmd
}

func (a *app) showInitiativeCmd() *cobra.Command {
	var (
		o         queryOpts
		asOf      string
		atVersion uint64
	)
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show one initiative, now or as it was (--as-of, --at-version)",
		Example: `  portfolioctl initiative show 01JD…
  portfolioctl initiative show 01JD… --as-of 2026-03-31
  portfolioctl initiative show 01JD… --at-version 3`,
		Args: cobra.ExactArgs(1),
	}
	cmd.RunE = runE(func(cmd *cobra.Command, args []string) error {
		q := url.Values{}
		asked := ""
		if asOf != "" {
			t, err := parseAsOf(asOf)
			if err != nil {
				return err
			}
			q.Set("asOf", t)
			asked = "as of " + t
			if pt, err := time.Parse(time.RFC3339Nano, t); err == nil {
				asked = "as of " + ts(pt)
			}
		}
		if cmd.Flags().Changed("at-version") {
			q.Set("atVersion", strconv.FormatUint(atVersion, 10))
			asked = "at version " + strconv.FormatUint(atVersion, 10)
		}
		resp, err := a.get(cmd.Context(), "/v1/initiatives/"+id(args[0]), q, &o)
		if err != nil {
			return err
		}
		return a.print(resp, func(w io.Writer, b []byte) error {
			return renderInitiative(w, b, strings.Trim(resp.header.Get("ETag"), `W/"`), asked)
		})
	})
	cmd.Flags().StringVar(&asOf, "as-of", "", "the state at this time, RFC 3339 (a date alone: the end of that day, UTC)")
	cmd.Flags().Uint64Var(&atVersion, "at-version", 0, "the state after this many of its events")
	cmd.MarkFlagsMutuallyExclusive("as-of", "at-version")
	addQueryFlags(cmd, &o)
	return cmd
}

// parseAsOf accepts RFC 3339, or a date meaning the end of that day (UTC).
func parseAsOf(s string) (string, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.Format(time.RFC3339Nano), nil
	}
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		return d.Add(24*time.Hour - time.Nanosecond).Format(time.RFC3339Nano), nil
	}
	return "", usagef("--as-of %q is neither an RFC 3339 time (2026-03-31T12:00:00Z) nor a date (2026-03-31)", s)
}

func (a *app) historyCmd() *cobra.Command {
	var o queryOpts
	cmd := &cobra.Command{
		Use:   "history ID",
		Short: "Show every event of one initiative, from the log",
		Args:  cobra.ExactArgs(1),
	}
	cmd.RunE = runE(func(cmd *cobra.Command, args []string) error {
		return a.show(cmd.Context(), "/v1/initiatives/"+id(args[0])+"/events", nil, &o, decoded(renderEvents))
	})
	addQueryFlags(cmd, &o)
	return cmd
}

// ---- council ----

func (a *app) councilCmd() *cobra.Command {
	g := groupCmd("council", "Record and show council meetings, cases and decisions (rådsmodellen)")
	g.AddGroup(&cobra.Group{ID: "cmd", Title: "Commands:"}, &cobra.Group{ID: "query", Title: "Queries:"})
	for _, c := range []*cobra.Command{
		a.scheduleMeetingCmd(),
		a.holdMeetingCmd(),
		a.registerCaseCmd(),
		a.placeCaseCmd(),
		a.remarksCmd("note", "Record that a forum took a case to note (tatt til orientering)", "NoteCase"),
		a.remarksCmd("discuss", "Record that a forum discussed a case (drøftet)", "DiscussCase"),
		a.recommendCmd(),
		a.resolutionCmd("approve", "Record EHR's approval (tilslutning)", "ApproveInCouncil"),
		a.resolutionCmd("reject", "Record a rejection (EHR) or \"not supported\" (NUIT)", "RejectInCouncil"),
		a.deferCmd(),
		a.correctCmd(),
	} {
		c.GroupID = "cmd"
		g.AddCommand(c)
	}
	for _, c := range []*cobra.Command{a.meetingsCmd(), a.meetingCmd(), a.caseCmd(), a.decisionsCmd()} {
		c.GroupID = "query"
		g.AddCommand(c)
	}
	return g
}

func (a *app) meetingsCmd() *cobra.Command {
	var (
		o     queryOpts
		forum string
		year  int
	)
	cmd := &cobra.Command{
		Use:   "meetings",
		Short: "List meetings",
		Args:  cobra.NoArgs,
	}
	cmd.RunE = runE(func(cmd *cobra.Command, _ []string) error {
		q := url.Values{}
		setIf(q, "forum", forum)
		if cmd.Flags().Changed("year") {
			q.Set("year", strconv.Itoa(year))
		}
		return a.show(cmd.Context(), "/v1/council/meetings", q, &o, decoded(renderMeetings))
	})
	cmd.Flags().StringVar(&forum, "forum", "", "only this forum: NUFA, NUIT or EHR")
	cmd.Flags().IntVar(&year, "year", 0, "only this year")
	complete(cmd, "forum", forums)
	addQueryFlags(cmd, &o)
	return cmd
}

func (a *app) meetingCmd() *cobra.Command {
	var o queryOpts
	cmd := &cobra.Command{
		Use:   "meeting ID",
		Short: "Show a meeting with its agenda (sakskart) and outcomes",
		Args:  cobra.ExactArgs(1),
	}
	cmd.RunE = runE(func(cmd *cobra.Command, args []string) error {
		return a.show(cmd.Context(), "/v1/council/meetings/"+id(args[0]), nil, &o, decoded(renderMeeting))
	})
	addQueryFlags(cmd, &o)
	return cmd
}

func (a *app) caseCmd() *cobra.Command {
	var o queryOpts
	cmd := &cobra.Command{
		Use:   "case ID",
		Short: "Show a case with its path through the forums",
		Args:  cobra.ExactArgs(1),
	}
	cmd.RunE = runE(func(cmd *cobra.Command, args []string) error {
		return a.show(cmd.Context(), "/v1/council/cases/"+id(args[0]), nil, &o, decoded(renderCase))
	})
	addQueryFlags(cmd, &o)
	return cmd
}

func (a *app) decisionsCmd() *cobra.Command {
	var (
		o                             queryOpts
		forum, initiative, from, till string
	)
	cmd := &cobra.Command{
		Use:   "decisions",
		Short: "Show the decision register (vedtaksregister); --output csv for a spreadsheet",
		Args:  cobra.NoArgs,
	}
	cmd.RunE = runE(func(cmd *cobra.Command, _ []string) error {
		q := url.Values{}
		setIf(q, "forum", forum)
		setIf(q, "initiativeId", initiative)
		setIf(q, "from", from)
		setIf(q, "to", till)
		return a.show(cmd.Context(), "/v1/council/decisions", q, &o, decoded(renderDecisions), outTable, outJSON, outCSV)
	})
	f := cmd.Flags()
	f.StringVar(&forum, "forum", "", "only this forum: NUFA, NUIT or EHR")
	f.StringVar(&initiative, "initiative", "", "only decisions about this initiative")
	f.StringVar(&from, "from", "", "only meetings on or after this date, YYYY-MM-DD")
	f.StringVar(&till, "to", "", "only meetings on or before this date, YYYY-MM-DD")
	complete(cmd, "forum", forums)
	addQueryFlags(cmd, &o)
	return cmd
}

// ---- audit ----

func (a *app) auditCmd() *cobra.Command {
	g := groupCmd("audit", "Read the raw event log and verify it is intact (auditors)")
	g.AddCommand(a.auditEventsCmd(), a.auditVerifyCmd(), a.auditDigestCmd(), a.auditExportCmd()) // audit_cmds.go
	return g
}

func (a *app) auditEventsCmd() *cobra.Command {
	var (
		o            queryOpts
		after, limit uint64
	)
	cmd := &cobra.Command{
		Use:   "events",
		Short: "Show the raw event log, in order",
		Args:  cobra.NoArgs,
	}
	cmd.RunE = runE(func(cmd *cobra.Command, _ []string) error {
		q := url.Values{}
		if cmd.Flags().Changed("after") {
			q.Set("after", strconv.FormatUint(after, 10))
		}
		if cmd.Flags().Changed("limit") {
			q.Set("limit", strconv.FormatUint(limit, 10))
		}
		return a.show(cmd.Context(), "/v1/audit/events", q, &o, decoded(renderEvents))
	})
	cmd.Flags().Uint64Var(&after, "after", 0, "only events after this log position")
	cmd.Flags().Uint64Var(&limit, "limit", 0, "at most this many events (the server caps it)")
	addQueryFlags(cmd, &o)
	return cmd
}
