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

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/services"
)

// The command bodies are the domain's command types (domain/commands.go):
// their JSON is the body of POST /v1/commands/{name}. The domain package is
// pure standard library, so portfolioctl still depends on nothing of the
// server's but the contract's types.

// commandNames are the commands the contract lists, plus DiscussCase; the
// generic `command` offers them for completion but sends any name.
var commandNames = domain.CommandNames

// Values offered for completion (the server decides what is valid).
var (
	forums     = []string{"NUFA", "NUIT", "EHR"}
	phases     = []string{"concept", "planning", "execution", "rollout", "closed"}
	rags       = []string{"green", "yellow", "red"}
	caseTypes  = []string{"approval", "discussion", "information"}
	purposes   = []string{"admission", "phase_gate", "prioritisation", "other"}
	lifecycles = []string{"proposed", "in_portfolio", "paused", "rejected", "withdrawn", "closed", "cancelled"}
)

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
	var r services.CommandResult
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
func formatResult(r services.CommandResult) string {
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
	var b domain.DefineStrategicGoal
	cmd := a.writeCmd("define-goal", "Define a strategic goal of a strategy period", b.CommandName(), func() any { return b })
	f := cmd.Flags()
	f.StringVar(&b.GoalID, "goal", "", "goal id, e.g. M1")
	f.StringVar(&b.Strategy, "strategy", "", `strategy period, e.g. "2023-2030"`)
	f.StringVar(&b.Title, "title", "", "the goal's title")
	required(cmd, "goal", "strategy", "title")
	return cmd
}

func (a *app) defineSubGoalCmd() *cobra.Command {
	var b domain.DefineSubGoal
	cmd := a.writeCmd("define-subgoal", "Define a sub-goal (delmål) of a goal", b.CommandName(), func() any { return b })
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
		b    domain.ProposeInitiative
		cost int64
	)
	var cmd *cobra.Command
	cmd = a.writeCmd("propose", "Report an initiative into the portfolio (melde inn)", b.CommandName(), func() any {
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
	f.StringVar((*string)(&b.PlannedStart), "start", "", "planned start, YYYY-MM-DD")
	f.StringVar((*string)(&b.PlannedEnd), "end", "", "planned end, YYYY-MM-DD")
	f.Int64Var(&cost, "cost", 0, "estimated cost in NOK")
	f.StringVar((*string)(&b.Phase), "phase", "", "phase it is in (default on the server: concept)")
	required(cmd, "title", "description", "owner", "primary-subgoal", "start", "end")
	complete(cmd, "phase", phases)
	return cmd
}

// reasonCmd is withdraw, pause, resume and cancel. Their bodies have the
// same fields: the flags fill a WithdrawInitiative, sent as the named
// command's type.
func (a *app) reasonCmd(use, short, name string) *cobra.Command {
	var b domain.WithdrawInitiative
	body := bodyOf(name, map[string]func() any{
		"WithdrawInitiative": func() any { return b },
		"PauseInitiative":    func() any { return domain.PauseInitiative(b) },
		"ResumeInitiative":   func() any { return domain.ResumeInitiative(b) },
		"CancelInitiative":   func() any { return domain.CancelInitiative(b) },
	})
	cmd := a.writeCmd(use, short, name, body)
	cmd.Flags().StringVar(&b.InitiativeID, "id", "", "the initiative's id")
	cmd.Flags().StringVar(&b.Reason, "reason", "", "the reason")
	required(cmd, "id", "reason")
	return cmd
}

func (a *app) closeCmd() *cobra.Command {
	var b domain.CloseInitiative
	cmd := a.writeCmd("close", "Close an initiative with its final report (sluttrapport)", b.CommandName(), func() any { return b })
	cmd.Flags().StringVar(&b.InitiativeID, "id", "", "the initiative's id")
	cmd.Flags().StringVar(&b.FinalReport, "final-report", "", "the final report")
	required(cmd, "id", "final-report")
	return cmd
}

func (a *app) reportStatusCmd() *cobra.Command {
	var b domain.ReportStatus
	cmd := a.writeCmd("report-status", "Record a status report (statusrapport) with traffic lights", b.CommandName(), func() any { return b })
	f := cmd.Flags()
	f.StringVar(&b.InitiativeID, "id", "", "the initiative's id")
	f.StringVar((*string)(&b.ReportDate), "date", "", "report date, YYYY-MM-DD")
	for _, l := range []struct {
		rag  *domain.RAG
		name string
	}{{&b.Overall, "overall"}, {&b.Schedule, "schedule"}, {&b.Cost, "cost"}, {&b.Benefit, "benefit"}} {
		f.StringVar((*string)(l.rag), l.name, "", l.name+": green, yellow or red")
		complete(cmd, l.name, rags)
	}
	f.StringVar(&b.Comment, "comment", "", "comment (needed for yellow or red)")
	cmd.Example = `  portfolioctl initiative report-status --id 01JD… --date 2026-03-31 \
    --overall green --schedule yellow --cost green --benefit green --comment "vendor late"`
	required(cmd, "id", "date", "overall", "schedule", "cost", "benefit")
	return cmd
}

func (a *app) milestoneCmd() *cobra.Command {
	g := groupCmd("milestone", "Plan a milestone, or report it achieved or slipped")

	var b domain.ReportMilestone
	plan := a.reportMilestoneCmd("plan", "Plan a milestone", domain.MilestonePlannedStatus, &b)
	f := plan.Flags()
	f.StringVar(&b.MilestoneID, "milestone", "", "the milestone's id (default: the server assigns one)")
	f.StringVar(&b.Title, "title", "", "the milestone's title")
	f.StringVar((*string)(&b.PlannedDate), "planned-date", "", "planned date, YYYY-MM-DD")
	required(plan, "id", "title", "planned-date")

	achieve := a.milestoneDateCmd("achieve", "Report a milestone achieved", domain.MilestoneAchievedStatus,
		"achieved-date", "date achieved, YYYY-MM-DD", func(b *domain.ReportMilestone) *domain.Date { return &b.AchievedDate })
	slip := a.milestoneDateCmd("slip", "Report a milestone slipped to a new planned date", domain.MilestoneSlippedStatus,
		"new-planned-date", "the new planned date, YYYY-MM-DD", func(b *domain.ReportMilestone) *domain.Date { return &b.NewPlannedDate })

	g.AddCommand(plan, achieve, slip)
	return g
}

// reportMilestoneCmd is a milestone subcommand: it sends b, with the status
// given, as ReportMilestone, and binds --id.
func (a *app) reportMilestoneCmd(use, short string, status domain.MilestoneStatus, b *domain.ReportMilestone) *cobra.Command {
	cmd := a.writeCmd(use, short, b.CommandName(), func() any {
		b.Status = status
		return *b
	})
	cmd.Flags().StringVar(&b.InitiativeID, "id", "", "the initiative's id")
	return cmd
}

// milestoneDateCmd is achieve or slip: a milestone of an initiative gets
// the status and the date in the flag dateFlag, which date picks out.
func (a *app) milestoneDateCmd(use, short string, status domain.MilestoneStatus, dateFlag, dateUsage string, date func(*domain.ReportMilestone) *domain.Date) *cobra.Command {
	var b domain.ReportMilestone
	cmd := a.reportMilestoneCmd(use, short, status, &b)
	f := cmd.Flags()
	f.StringVar(&b.MilestoneID, "milestone", "", "the milestone's id")
	f.StringVar((*string)(date(&b)), dateFlag, "", dateUsage)
	required(cmd, "id", "milestone", dateFlag)
	return cmd
}

// ---- council ----

func (a *app) scheduleMeetingCmd() *cobra.Command {
	var b domain.ScheduleMeeting
	cmd := a.writeCmd("schedule-meeting", "Schedule a forum meeting (numbered n/YYYY)", b.CommandName(), func() any { return b })
	f := cmd.Flags()
	f.StringVar(&b.MeetingID, "id", "", "the meeting's id (default: the server assigns one)")
	f.StringVar((*string)(&b.Forum), "forum", "", "forum: NUFA, NUIT or EHR")
	f.StringVar((*string)(&b.Date), "date", "", "meeting date, YYYY-MM-DD")
	required(cmd, "forum", "date")
	complete(cmd, "forum", forums)
	return cmd
}

func (a *app) holdMeetingCmd() *cobra.Command {
	var b domain.HoldMeeting
	cmd := a.writeCmd("hold", "Record that a meeting was held", b.CommandName(), func() any { return b })
	cmd.Flags().StringVar(&b.MeetingID, "meeting", "", "the meeting's id")
	required(cmd, "meeting")
	return cmd
}

func (a *app) registerCaseCmd() *cobra.Command {
	var b domain.RegisterCase
	cmd := a.writeCmd("register-case", "Register a council case (sak)", b.CommandName(), func() any { return b })
	f := cmd.Flags()
	f.StringVar(&b.CaseID, "id", "", "the case's id (default: the server assigns one)")
	f.StringVar((*string)(&b.Forum), "forum", "", "forum it is registered in: NUFA, NUIT or EHR")
	f.StringVar(&b.Title, "title", "", "title")
	f.StringVar((*string)(&b.CaseType), "type", "", "case type: approval, discussion or information")
	f.StringVar((*string)(&b.Purpose), "purpose", "", "purpose: admission, phase_gate, prioritisation or other")
	f.StringVar(&b.InitiativeID, "initiative", "", "the initiative it is about")
	f.StringVar((*string)(&b.TargetPhase), "target-phase", "", "for a phase_gate case: the phase to move to")
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
	var b domain.PlaceCaseOnAgenda
	cmd := a.writeCmd("place", "Put a case on a meeting's agenda (sakskart); gives it a case number", b.CommandName(), func() any { return b })
	cmd.Flags().StringVar(&b.CaseID, "case", "", "the case's id")
	cmd.Flags().StringVar(&b.MeetingID, "meeting", "", "the meeting's id")
	required(cmd, "case", "meeting")
	return cmd
}

// remarksCmd is note and discuss. Their bodies have the same fields: the
// flags fill a NoteCase, sent as the named command's type.
func (a *app) remarksCmd(use, short, name string) *cobra.Command {
	var b domain.NoteCase
	body := bodyOf(name, map[string]func() any{
		"NoteCase":    func() any { return b },
		"DiscussCase": func() any { return domain.DiscussCase(b) },
	})
	cmd := a.caseAtMeetingCmd(use, short, name, body, &b.CaseID, &b.MeetingID)
	cmd.Flags().StringVar(&b.Remarks, "remarks", "", "remarks")
	return cmd
}

func (a *app) recommendCmd() *cobra.Command {
	var b domain.RecommendInCouncil
	cmd := a.caseAtMeetingCmd("recommend", "Record a forum's recommendation (innstilling); with conditions: conditionally supported", b.CommandName(), func() any { return b }, &b.CaseID, &b.MeetingID)
	resolutionFlag(cmd, &b.Resolution)
	cmd.Flags().StringVar(&b.Conditions, "conditions", "", "conditions")
	return cmd
}

// resolutionCmd is approve and reject. Their bodies have the same fields:
// the flags fill an ApproveInCouncil, sent as the named command's type.
func (a *app) resolutionCmd(use, short, name string) *cobra.Command {
	var b domain.ApproveInCouncil
	body := bodyOf(name, map[string]func() any{
		"ApproveInCouncil": func() any { return b },
		"RejectInCouncil":  func() any { return domain.RejectInCouncil(b) },
	})
	cmd := a.caseAtMeetingCmd(use, short, name, body, &b.CaseID, &b.MeetingID)
	resolutionFlag(cmd, &b.Resolution)
	return cmd
}

func (a *app) deferCmd() *cobra.Command {
	var b domain.DeferCase
	cmd := a.caseAtMeetingCmd("defer", "Record that a forum deferred a case", b.CommandName(), func() any { return b }, &b.CaseID, &b.MeetingID)
	cmd.Flags().StringVar(&b.Reason, "reason", "", "the reason")
	required(cmd, "reason")
	return cmd
}

// caseAtMeetingCmd is a command that records what a forum did with a case
// at a held meeting: it binds the required --case and --meeting.
func (a *app) caseAtMeetingCmd(use, short, name string, body func() any, caseID, meetingID *string) *cobra.Command {
	cmd := a.writeCmd(use, short, name, body)
	cmd.Flags().StringVar(caseID, "case", "", "the case's id")
	cmd.Flags().StringVar(meetingID, "meeting", "", "the held meeting's id")
	required(cmd, "case", "meeting")
	return cmd
}

// resolutionFlag binds the required --resolution of a council decision.
func resolutionFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVar(p, "resolution", "", "the resolution (vedtak)")
	required(cmd, "resolution")
}

func (a *app) correctCmd() *cobra.Command {
	var b domain.CorrectDecision
	cmd := a.writeCmd("correct", "Correct a recorded decision (a new event naming the corrected one)", b.CommandName(), func() any { return b })
	f := cmd.Flags()
	f.StringVar(&b.CaseID, "case", "", "the case's id")
	f.StringVar(&b.CorrectsEventID, "corrects-event", "", "the id of the decision event corrected")
	f.StringVar(&b.Reason, "reason", "", "why it is corrected")
	f.StringVar(&b.Resolution, "resolution", "", "the resolution in force from now on")
	required(cmd, "case", "corrects-event", "reason", "resolution")
	return cmd
}

// bodyOf picks the body function of the command name from those of the
// commands that share one set of flags; any other name is a programming
// error.
func bodyOf(name string, bodies map[string]func() any) func() any {
	body, ok := bodies[name]
	if !ok {
		panic("portfolioctl: no body for command " + name)
	}
	return body
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
