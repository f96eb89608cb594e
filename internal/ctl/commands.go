package ctl

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

// The command bodies, field for field as in the contract (and
// domain/commands.go; the e2e test checks that the server decodes every
// body this package sends). They are kept here so that portfolioctl
// depends on the HTTP contract only, not on the server's packages.

type defineStrategicGoal struct {
	GoalID   string `json:"goalId"`
	Strategy string `json:"strategy"`
	Title    string `json:"title"`
}

type defineSubGoal struct {
	SubGoalID string `json:"subGoalId"`
	GoalID    string `json:"goalId"`
	Title     string `json:"title"`
}

type proposeInitiative struct {
	InitiativeID     string   `json:"initiativeId,omitempty"`
	Title            string   `json:"title"`
	Description      string   `json:"description"`
	Owner            string   `json:"owner"`
	PrimarySubGoal   string   `json:"primarySubGoal"`
	SubGoals         []string `json:"subGoals,omitempty"`
	UserGroups       []string `json:"userGroups,omitempty"`
	PlannedStart     string   `json:"plannedStart"`
	PlannedEnd       string   `json:"plannedEnd"`
	EstimatedCostNOK *int64   `json:"estimatedCostNOK,omitempty"`
	Phase            string   `json:"phase,omitempty"`
}

// initiativeReason is the body of WithdrawInitiative, PauseInitiative,
// ResumeInitiative and CancelInitiative.
type initiativeReason struct {
	InitiativeID string `json:"initiativeId"`
	Reason       string `json:"reason"`
}

type closeInitiative struct {
	InitiativeID string `json:"initiativeId"`
	FinalReport  string `json:"finalReport"`
}

type reportStatus struct {
	InitiativeID string `json:"initiativeId"`
	ReportDate   string `json:"reportDate"`
	Overall      string `json:"overall"`
	Schedule     string `json:"schedule"`
	Cost         string `json:"cost"`
	Benefit      string `json:"benefit"`
	Comment      string `json:"comment,omitempty"`
}

type reportMilestone struct {
	InitiativeID   string `json:"initiativeId"`
	MilestoneID    string `json:"milestoneId,omitempty"`
	Title          string `json:"title,omitempty"`
	Status         string `json:"status"`
	PlannedDate    string `json:"plannedDate,omitempty"`
	AchievedDate   string `json:"achievedDate,omitempty"`
	NewPlannedDate string `json:"newPlannedDate,omitempty"`
}

type scheduleMeeting struct {
	MeetingID string `json:"meetingId,omitempty"`
	Forum     string `json:"forum"`
	Date      string `json:"date"`
}

type holdMeeting struct {
	MeetingID string `json:"meetingId"`
}

type registerCase struct {
	CaseID             string `json:"caseId,omitempty"`
	Forum              string `json:"forum"`
	Title              string `json:"title"`
	CaseType           string `json:"caseType"`
	Purpose            string `json:"purpose"`
	InitiativeID       string `json:"initiativeId,omitempty"`
	TargetPhase        string `json:"targetPhase,omitempty"`
	ProposedResolution string `json:"proposedResolution"`
	ArchiveRef         string `json:"archiveRef,omitempty"`
}

type placeCaseOnAgenda struct {
	CaseID    string `json:"caseId"`
	MeetingID string `json:"meetingId"`
}

// caseRemarks is the body of NoteCase and DiscussCase.
type caseRemarks struct {
	CaseID    string `json:"caseId"`
	MeetingID string `json:"meetingId"`
	Remarks   string `json:"remarks,omitempty"`
}

type recommendInCouncil struct {
	CaseID     string `json:"caseId"`
	MeetingID  string `json:"meetingId"`
	Resolution string `json:"resolution"`
	Conditions string `json:"conditions,omitempty"`
}

// caseResolution is the body of ApproveInCouncil and RejectInCouncil.
type caseResolution struct {
	CaseID     string `json:"caseId"`
	MeetingID  string `json:"meetingId"`
	Resolution string `json:"resolution"`
}

type deferCase struct {
	CaseID    string `json:"caseId"`
	MeetingID string `json:"meetingId"`
	Reason    string `json:"reason"`
}

type correctDecision struct {
	CaseID          string `json:"caseId"`
	CorrectsEventID string `json:"correctsEventId"`
	Reason          string `json:"reason"`
	Resolution      string `json:"resolution"`
}

// commandNames are the commands the contract lists, plus DiscussCase; the
// generic `command` offers them for completion but sends any name.
var commandNames = []string{
	"DefineStrategicGoal", "DefineSubGoal", "ProposeInitiative", "WithdrawInitiative",
	"ReportStatus", "ReportMilestone", "PauseInitiative", "ResumeInitiative",
	"CloseInitiative", "CancelInitiative", "ScheduleMeeting", "HoldMeeting",
	"RegisterCase", "PlaceCaseOnAgenda", "NoteCase", "DiscussCase",
	"RecommendInCouncil", "ApproveInCouncil", "RejectInCouncil", "DeferCase",
	"CorrectDecision",
}

// Values offered for completion (the server decides what is valid).
var (
	forums     = []string{"NUFA", "NUIT", "EHR"}
	phases     = []string{"concept", "planning", "execution", "rollout", "closed"}
	rags       = []string{"green", "yellow", "red"}
	caseTypes  = []string{"approval", "discussion", "information"}
	purposes   = []string{"admission", "phase_gate", "prioritisation", "other"}
	lifecycles = []string{"proposed", "in_portfolio", "paused", "rejected", "withdrawn", "closed", "cancelled"}
)

// commandResult is the answer to an accepted command.
type commandResult struct {
	AggregateType string `json:"aggregateType"`
	AggregateID   string `json:"aggregateId"`
	Version       uint64 `json:"version"`
	Position      uint64 `json:"position"`
	Events        []struct {
		ID       string `json:"id"`
		Type     string `json:"type"`
		Position uint64 `json:"position"`
	} `json:"events"`
}

// writeOpts are the flags every command has.
type writeOpts struct {
	idempotencyKey string
	ifMatch        string
}

func addWriteFlags(cmd *cobra.Command, o *writeOpts) {
	cmd.Flags().StringVar(&o.idempotencyKey, "idempotency-key", "", "Idempotency-Key: the same key and body again returns the first answer and writes nothing")
	cmd.Flags().StringVar(&o.ifMatch, "if-match", "", "refuse unless the target is at this version (If-Match)")
}

// writeCmd returns a subcommand that sends the command name with the body
// body() returns; the caller binds the typed flags to what body reads.
func (a *app) writeCmd(use, short, name string, body func() any) *cobra.Command {
	var o writeOpts
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Long:  short + ".\n\nSends the command " + name + " (POST /v1/commands/" + name + ").",
		Args:  cobra.NoArgs,
	}
	cmd.RunE = runE(func(cmd *cobra.Command, _ []string) error {
		data, err := json.Marshal(body())
		if err != nil {
			return err
		}
		return a.send(cmd.Context(), name, data, o)
	})
	addWriteFlags(cmd, &o)
	return cmd
}

// send posts a command and prints the result.
func (a *app) send(ctx context.Context, name string, body []byte, o writeOpts) error {
	if err := a.checkOutput(outTable, outJSON); err != nil {
		return err
	}
	h := http.Header{}
	if o.idempotencyKey != "" {
		h.Set("Idempotency-Key", o.idempotencyKey)
	}
	if o.ifMatch != "" {
		v := strings.Trim(strings.TrimSpace(o.ifMatch), `"`)
		if _, err := strconv.ParseUint(v, 10, 64); err != nil {
			return usagef("--if-match %q is not a version number", o.ifMatch)
		}
		h.Set("If-Match", `"`+v+`"`)
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	resp, err := c.do(ctx, http.MethodPost, "/v1/commands/"+url.PathEscape(name), nil, body, h)
	if err != nil {
		return err
	}
	if a.output == outJSON {
		return writeRaw(a.stdout, resp.body)
	}
	var r commandResult
	if err := json.Unmarshal(resp.body, &r); err != nil {
		return failf("unexpected answer from %s: %v", c.server(), err)
	}
	line := formatResult(r)
	if resp.header.Get("Idempotent-Replayed") == "true" {
		line += " (idempotent replay: nothing new written)"
	}
	_, err = fmt.Fprintln(a.stdout, line)
	return err
}

// formatResult is the one line printed for an accepted command:
// "InitiativeProposed initiative/01J… version 1 position 57".
func formatResult(r commandResult) string {
	types := make([]string, 0, len(r.Events))
	for _, e := range r.Events {
		types = append(types, e.Type)
	}
	what := strings.Join(types, "+")
	if what == "" {
		what = "(no events)"
	}
	return fmt.Sprintf("%s %s/%s version %d position %d", what, r.AggregateType, r.AggregateID, r.Version, r.Position)
}

// required marks flags as required; cobra then refuses the command line
// without them (exit 2).
func required(cmd *cobra.Command, names ...string) {
	for _, n := range names {
		if err := cmd.MarkFlagRequired(n); err != nil {
			panic(err)
		}
	}
}

// complete offers fixed values for a flag.
func complete(cmd *cobra.Command, flag string, values []string) {
	if err := cmd.RegisterFlagCompletionFunc(flag, cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp)); err != nil {
		panic(err)
	}
}

// ---- strategy ----

func (a *app) defineGoalCmd() *cobra.Command {
	var b defineStrategicGoal
	cmd := a.writeCmd("define-goal", "Define a strategic goal of a strategy period", "DefineStrategicGoal", func() any { return b })
	f := cmd.Flags()
	f.StringVar(&b.GoalID, "goal", "", "goal id, e.g. M1")
	f.StringVar(&b.Strategy, "strategy", "", `strategy period, e.g. "2023-2030"`)
	f.StringVar(&b.Title, "title", "", "the goal's title")
	required(cmd, "goal", "strategy", "title")
	return cmd
}

func (a *app) defineSubGoalCmd() *cobra.Command {
	var b defineSubGoal
	cmd := a.writeCmd("define-subgoal", "Define a sub-goal (delmål) of a goal", "DefineSubGoal", func() any { return b })
	f := cmd.Flags()
	f.StringVar(&b.SubGoalID, "subgoal", "", "sub-goal id, e.g. 1A")
	f.StringVar(&b.GoalID, "goal", "", "the goal it belongs to, e.g. M1")
	f.StringVar(&b.Title, "title", "", "the sub-goal's title")
	required(cmd, "subgoal", "goal", "title")
	return cmd
}

// ---- initiatives ----

func (a *app) proposeCmd() *cobra.Command {
	var (
		b    proposeInitiative
		cost int64
	)
	var cmd *cobra.Command
	cmd = a.writeCmd("propose", "Report an initiative into the portfolio (melde inn)", "ProposeInitiative", func() any {
		if cmd.Flags().Changed("cost") {
			c := cost
			b.EstimatedCostNOK = &c
		}
		return b
	})
	cmd.Example = `  portfolioctl initiative propose --title Helsenorge --description "…" --owner "Norsk helsenett SF" \
    --primary-subgoal 1A --subgoal 4A --user-group innbyggere --start 2026-01-01 --end 2027-12-31 \
    --cost 1000000 --phase planning`
	f := cmd.Flags()
	f.StringVar(&b.InitiativeID, "id", "", "the initiative's id (ULID or UUID; default: the server assigns one)")
	f.StringVar(&b.Title, "title", "", "title")
	f.StringVar(&b.Description, "description", "", "description")
	f.StringVar(&b.Owner, "owner", "", "owner organisation, e.g. \"Helse Sør-Øst RHF\"")
	f.StringVar(&b.PrimarySubGoal, "primary-subgoal", "", "primary sub-goal, e.g. 1A")
	f.StringSliceVar(&b.SubGoals, "subgoal", nil, "other sub-goal (repeat or comma-separate)")
	f.StringSliceVar(&b.UserGroups, "user-group", nil, "user group, e.g. fastleger (repeat or comma-separate)")
	f.StringVar(&b.PlannedStart, "start", "", "planned start, YYYY-MM-DD")
	f.StringVar(&b.PlannedEnd, "end", "", "planned end, YYYY-MM-DD")
	f.Int64Var(&cost, "cost", 0, "estimated cost in NOK")
	f.StringVar(&b.Phase, "phase", "", "phase it is in (default on the server: concept)")
	required(cmd, "title", "description", "owner", "primary-subgoal", "start", "end")
	complete(cmd, "phase", phases)
	return cmd
}

// reasonCmd is withdraw, pause, resume and cancel.
func (a *app) reasonCmd(use, short, name string) *cobra.Command {
	var b initiativeReason
	cmd := a.writeCmd(use, short, name, func() any { return b })
	cmd.Flags().StringVar(&b.InitiativeID, "id", "", "the initiative's id")
	cmd.Flags().StringVar(&b.Reason, "reason", "", "the reason")
	required(cmd, "id", "reason")
	return cmd
}

func (a *app) closeCmd() *cobra.Command {
	var b closeInitiative
	cmd := a.writeCmd("close", "Close an initiative with its final report (sluttrapport)", "CloseInitiative", func() any { return b })
	cmd.Flags().StringVar(&b.InitiativeID, "id", "", "the initiative's id")
	cmd.Flags().StringVar(&b.FinalReport, "final-report", "", "the final report")
	required(cmd, "id", "final-report")
	return cmd
}

func (a *app) reportStatusCmd() *cobra.Command {
	var b reportStatus
	cmd := a.writeCmd("report-status", "Record a status report (statusrapport) with traffic lights", "ReportStatus", func() any { return b })
	f := cmd.Flags()
	f.StringVar(&b.InitiativeID, "id", "", "the initiative's id")
	f.StringVar(&b.ReportDate, "date", "", "report date, YYYY-MM-DD")
	f.StringVar(&b.Overall, "overall", "", "overall: green, yellow or red")
	f.StringVar(&b.Schedule, "schedule", "", "schedule: green, yellow or red")
	f.StringVar(&b.Cost, "cost", "", "cost: green, yellow or red")
	f.StringVar(&b.Benefit, "benefit", "", "benefit: green, yellow or red")
	f.StringVar(&b.Comment, "comment", "", "comment (needed for yellow or red)")
	cmd.Example = `  portfolioctl initiative report-status --id 01JD… --date 2026-03-31 \
    --overall green --schedule yellow --cost green --benefit green --comment "vendor late"`
	required(cmd, "id", "date", "overall", "schedule", "cost", "benefit")
	for _, n := range []string{"overall", "schedule", "cost", "benefit"} {
		complete(cmd, n, rags)
	}
	return cmd
}

func (a *app) milestoneCmd() *cobra.Command {
	g := groupCmd("milestone", "Plan a milestone, or report it achieved or slipped")

	var pl reportMilestone
	plan := a.writeCmd("plan", "Plan a milestone", "ReportMilestone", func() any {
		pl.Status = "planned"
		return pl
	})
	f := plan.Flags()
	f.StringVar(&pl.InitiativeID, "id", "", "the initiative's id")
	f.StringVar(&pl.MilestoneID, "milestone", "", "the milestone's id (default: the server assigns one)")
	f.StringVar(&pl.Title, "title", "", "the milestone's title")
	f.StringVar(&pl.PlannedDate, "planned-date", "", "planned date, YYYY-MM-DD")
	required(plan, "id", "title", "planned-date")

	var ac reportMilestone
	achieve := a.writeCmd("achieve", "Report a milestone achieved", "ReportMilestone", func() any {
		ac.Status = "achieved"
		return ac
	})
	f = achieve.Flags()
	f.StringVar(&ac.InitiativeID, "id", "", "the initiative's id")
	f.StringVar(&ac.MilestoneID, "milestone", "", "the milestone's id")
	f.StringVar(&ac.AchievedDate, "achieved-date", "", "date achieved, YYYY-MM-DD")
	required(achieve, "id", "milestone", "achieved-date")

	var sl reportMilestone
	slip := a.writeCmd("slip", "Report a milestone slipped to a new planned date", "ReportMilestone", func() any {
		sl.Status = "slipped"
		return sl
	})
	f = slip.Flags()
	f.StringVar(&sl.InitiativeID, "id", "", "the initiative's id")
	f.StringVar(&sl.MilestoneID, "milestone", "", "the milestone's id")
	f.StringVar(&sl.NewPlannedDate, "new-planned-date", "", "the new planned date, YYYY-MM-DD")
	required(slip, "id", "milestone", "new-planned-date")

	g.AddCommand(plan, achieve, slip)
	return g
}

// ---- council ----

func (a *app) scheduleMeetingCmd() *cobra.Command {
	var b scheduleMeeting
	cmd := a.writeCmd("schedule-meeting", "Schedule a forum meeting (numbered n/YYYY)", "ScheduleMeeting", func() any { return b })
	f := cmd.Flags()
	f.StringVar(&b.MeetingID, "id", "", "the meeting's id (default: the server assigns one)")
	f.StringVar(&b.Forum, "forum", "", "forum: NUFA, NUIT or EHR")
	f.StringVar(&b.Date, "date", "", "meeting date, YYYY-MM-DD")
	required(cmd, "forum", "date")
	complete(cmd, "forum", forums)
	return cmd
}

func (a *app) holdMeetingCmd() *cobra.Command {
	var b holdMeeting
	cmd := a.writeCmd("hold", "Record that a meeting was held", "HoldMeeting", func() any { return b })
	cmd.Flags().StringVar(&b.MeetingID, "meeting", "", "the meeting's id")
	required(cmd, "meeting")
	return cmd
}

func (a *app) registerCaseCmd() *cobra.Command {
	var b registerCase
	cmd := a.writeCmd("register-case", "Register a council case (sak)", "RegisterCase", func() any { return b })
	f := cmd.Flags()
	f.StringVar(&b.CaseID, "id", "", "the case's id (default: the server assigns one)")
	f.StringVar(&b.Forum, "forum", "", "forum it is registered in: NUFA, NUIT or EHR")
	f.StringVar(&b.Title, "title", "", "title")
	f.StringVar(&b.CaseType, "type", "", "case type: approval, discussion or information")
	f.StringVar(&b.Purpose, "purpose", "", "purpose: admission, phase_gate, prioritisation or other")
	f.StringVar(&b.InitiativeID, "initiative", "", "the initiative it is about")
	f.StringVar(&b.TargetPhase, "target-phase", "", "for a phase_gate case: the phase to move to")
	f.StringVar(&b.ProposedResolution, "proposed-resolution", "", "proposed resolution (forslag til vedtak)")
	f.StringVar(&b.ArchiveRef, "archive-ref", "", "archive reference, e.g. 22/414-1")
	required(cmd, "forum", "title", "type", "purpose", "proposed-resolution")
	complete(cmd, "forum", forums)
	complete(cmd, "type", caseTypes)
	complete(cmd, "purpose", purposes)
	complete(cmd, "target-phase", phases)
	return cmd
}

func (a *app) placeCaseCmd() *cobra.Command {
	var b placeCaseOnAgenda
	cmd := a.writeCmd("place", "Put a case on a meeting's agenda (sakskart); gives it a case number", "PlaceCaseOnAgenda", func() any { return b })
	cmd.Flags().StringVar(&b.CaseID, "case", "", "the case's id")
	cmd.Flags().StringVar(&b.MeetingID, "meeting", "", "the meeting's id")
	required(cmd, "case", "meeting")
	return cmd
}

func (a *app) remarksCmd(use, short, name string) *cobra.Command {
	var b caseRemarks
	cmd := a.writeCmd(use, short, name, func() any { return b })
	f := cmd.Flags()
	f.StringVar(&b.CaseID, "case", "", "the case's id")
	f.StringVar(&b.MeetingID, "meeting", "", "the held meeting's id")
	f.StringVar(&b.Remarks, "remarks", "", "remarks")
	required(cmd, "case", "meeting")
	return cmd
}

func (a *app) recommendCmd() *cobra.Command {
	var b recommendInCouncil
	cmd := a.writeCmd("recommend", "Record a forum's recommendation (innstilling); with conditions: conditionally supported", "RecommendInCouncil", func() any { return b })
	f := cmd.Flags()
	f.StringVar(&b.CaseID, "case", "", "the case's id")
	f.StringVar(&b.MeetingID, "meeting", "", "the held meeting's id")
	f.StringVar(&b.Resolution, "resolution", "", "the resolution (vedtak)")
	f.StringVar(&b.Conditions, "conditions", "", "conditions")
	required(cmd, "case", "meeting", "resolution")
	return cmd
}

func (a *app) resolutionCmd(use, short, name string) *cobra.Command {
	var b caseResolution
	cmd := a.writeCmd(use, short, name, func() any { return b })
	f := cmd.Flags()
	f.StringVar(&b.CaseID, "case", "", "the case's id")
	f.StringVar(&b.MeetingID, "meeting", "", "the held meeting's id")
	f.StringVar(&b.Resolution, "resolution", "", "the resolution (vedtak)")
	required(cmd, "case", "meeting", "resolution")
	return cmd
}

func (a *app) deferCmd() *cobra.Command {
	var b deferCase
	cmd := a.writeCmd("defer", "Record that a forum deferred a case", "DeferCase", func() any { return b })
	f := cmd.Flags()
	f.StringVar(&b.CaseID, "case", "", "the case's id")
	f.StringVar(&b.MeetingID, "meeting", "", "the held meeting's id")
	f.StringVar(&b.Reason, "reason", "", "the reason")
	required(cmd, "case", "meeting", "reason")
	return cmd
}

func (a *app) correctCmd() *cobra.Command {
	var b correctDecision
	cmd := a.writeCmd("correct", "Correct a recorded decision (a new event naming the corrected one)", "CorrectDecision", func() any { return b })
	f := cmd.Flags()
	f.StringVar(&b.CaseID, "case", "", "the case's id")
	f.StringVar(&b.CorrectsEventID, "corrects-event", "", "the id of the decision event corrected")
	f.StringVar(&b.Reason, "reason", "", "why it is corrected")
	f.StringVar(&b.Resolution, "resolution", "", "the resolution in force from now on")
	required(cmd, "case", "corrects-event", "reason", "resolution")
	return cmd
}

// ---- any command ----

func (a *app) genericCmd() *cobra.Command {
	var (
		o    writeOpts
		data string
	)
	cmd := &cobra.Command{
		Use:   "command NAME --data JSON|@FILE|-",
		Short: "Send any command with a JSON body",
		Long: `Send the command NAME (POST /v1/commands/NAME) with a JSON body given as
text ('{"meetingId":"…"}'), as @FILE, or as - for standard input. The body is
sent byte for byte as given.`,
		Example: `  portfolioctl command HoldMeeting --data '{"meetingId":"01JD…"}'
  portfolioctl command ProposeInitiative --data @initiative.json
  cat case.json | portfolioctl command RegisterCase --data -`,
		Args:      cobra.ExactArgs(1),
		ValidArgs: commandNames,
	}
	cmd.RunE = runE(func(cmd *cobra.Command, args []string) error {
		body, err := a.readData(data)
		if err != nil {
			return err
		}
		return a.send(cmd.Context(), args[0], body, o)
	})
	cmd.Flags().StringVarP(&data, "data", "d", "", "the body: JSON text, @FILE, or - for standard input")
	required(cmd, "data")
	addWriteFlags(cmd, &o)
	return cmd
}

// readData reads --data: "-" is standard input, "@file" a file, anything
// else the JSON itself. It must be JSON.
func (a *app) readData(s string) ([]byte, error) {
	var (
		b   []byte
		err error
		src = "--data"
	)
	switch {
	case s == "-":
		src = "standard input"
		b, err = io.ReadAll(io.LimitReader(a.stdin, 1<<20+1))
		if err != nil {
			return nil, failf("reading standard input: %v", err)
		}
	case strings.HasPrefix(s, "@"):
		src = s[1:]
		b, err = os.ReadFile(s[1:])
		if err != nil {
			return nil, usagef("--data: %v", err)
		}
	default:
		b = []byte(s)
	}
	if len(b) > 1<<20 {
		return nil, usagef("%s: the body is over 1 MiB", src)
	}
	if !json.Valid(b) {
		return nil, usagef("%s is not valid JSON", src)
	}
	return b, nil
}
