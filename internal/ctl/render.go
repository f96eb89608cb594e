package ctl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/services"
	"github.com/ehelse/portfolio/services/wire"
)

// Column widths for long texts in tables.
const (
	titleWidth = 48
	textWidth  = 60
)

func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
}

// row writes one tab-separated row; empty cells print as "-".
func row(w io.Writer, cells ...string) {
	for i, c := range cells {
		if c == "" {
			cells[i] = "-"
		} else {
			// Keep the indentation; fold the rest onto one line.
			indent := c[:len(c)-len(strings.TrimLeft(c, " "))]
			cells[i] = indent + oneLine(c)
		}
	}
	fmt.Fprintln(w, strings.Join(cells, "\t"))
}

// header writes a row as is.
func header(w io.Writer, cells ...string) {
	fmt.Fprintln(w, strings.Join(cells, "\t"))
}

// ts shows a time as UTC to the second; the zero time as "".
func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

func u64(n uint64) string {
	if n == 0 {
		return ""
	}
	return strconv.FormatUint(n, 10)
}

// nok formats an amount with thin groups: 1 000 000.
func nok(n *int64) string {
	if n == nil {
		return ""
	}
	s := strconv.FormatInt(*n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func span(start, end domain.Date) string {
	if start == "" && end == "" {
		return ""
	}
	return first(string(start), "?") + " → " + first(string(end), "?")
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func statusLine(s *wire.StatusView) string {
	if s == nil {
		return ""
	}
	line := fmt.Sprintf("%s overall %s, schedule %s, cost %s, benefit %s", s.ReportDate, s.Overall, s.Schedule, s.Cost, s.Benefit)
	if s.Comment != "" {
		line += ": " + s.Comment
	}
	return line
}

func rag(s *wire.StatusView) string {
	if s == nil {
		return ""
	}
	return string(s.Overall)
}

// milestoneCount is "achieved/total".
func milestoneCount(ms []wire.MilestoneView) string {
	if len(ms) == 0 {
		return ""
	}
	n := 0
	for _, m := range ms {
		if m.Status == domain.MilestoneAchievedStatus {
			n++
		}
	}
	return fmt.Sprintf("%d/%d", n, len(ms))
}

func renderStrategy(w io.Writer, v wire.StrategyView) error {
	if len(v.Strategies) == 0 {
		fmt.Fprintln(w, "(no strategy defined)")
		return nil
	}
	tw := newTable(w)
	for i, s := range v.Strategies {
		if i > 0 {
			header(tw, "")
		}
		header(tw, "Strategy "+s.Strategy)
		for _, g := range s.Goals {
			header(tw, "  "+g.GoalID, oneLine(g.Title))
			for _, sg := range g.SubGoals {
				header(tw, "    "+sg.SubGoalID, oneLine(sg.Title))
			}
		}
	}
	return tw.Flush()
}

func renderInitiatives(w io.Writer, list wire.InitiativeList) error {
	v := list.Initiatives
	if len(v) == 0 {
		fmt.Fprintln(w, "(no initiatives)")
		return nil
	}
	tw := newTable(w)
	header(tw, "TITLE", "OWNER", "PHASE", "STATE", "GOAL", "START", "END", "RAG", "UPDATED", "ID")
	for _, in := range v {
		goal := in.PrimaryGoal
		if in.PrimarySubGoal != "" {
			goal = strings.TrimPrefix(goal+"/"+in.PrimarySubGoal, "/")
		}
		row(tw, truncate(in.Title, titleWidth), in.Owner, string(in.Phase), string(in.State), goal,
			string(in.PlannedStart), string(in.PlannedEnd), rag(in.LatestStatus), ts(in.LastUpdated), in.InitiativeID)
	}
	return tw.Flush()
}

// renderRoadmap prints goal and sub-goal headings with the initiatives
// under them as rows of one table, aligned across the whole roadmap. With
// filters, goals and sub-goals without initiatives are left out.
func renderRoadmap(w io.Writer, body []byte, filtered bool) error {
	var v wire.RoadmapView
	if err := json.Unmarshal(body, &v); err != nil {
		return err
	}
	var rows bytes.Buffer
	tw := newTable(&rows)
	header(tw, "      INITIATIVE", "PHASE", "STATE", "OWNER", "START", "END", "RAG", "MILESTONES", "ID")
	const rowMark = "\x00"
	var layout []string
	for _, g := range v.Goals {
		n := 0
		for _, sg := range g.SubGoals {
			n += len(sg.Initiatives)
		}
		if filtered && n == 0 {
			continue
		}
		heading := g.GoalID + "  " + oneLine(g.Title)
		if g.Strategy != "" {
			heading += "  [" + g.Strategy + "]"
		}
		layout = append(layout, heading)
		for _, sg := range g.SubGoals {
			if filtered && len(sg.Initiatives) == 0 {
				continue
			}
			layout = append(layout, "  "+sg.SubGoalID+"  "+oneLine(sg.Title))
			if len(sg.Initiatives) == 0 {
				layout = append(layout, "      (no initiatives)")
			}
			for _, in := range sg.Initiatives {
				mark := " "
				if in.Primary {
					mark = "*"
				}
				r := first(string(in.LatestRAG), rag(in.LatestStatus))
				row(tw, "    "+mark+" "+truncate(in.Title, titleWidth), string(in.Phase), string(in.State), in.Owner,
					string(in.PlannedStart), string(in.PlannedEnd), r, milestoneCount(in.Milestones), in.InitiativeID)
				layout = append(layout, rowMark)
			}
		}
	}
	if len(layout) == 0 {
		fmt.Fprintln(w, "(no initiatives on the roadmap)")
		return nil
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	lines := strings.Split(strings.TrimSuffix(rows.String(), "\n"), "\n")
	fmt.Fprintln(w, strings.TrimRight(lines[0], " "))
	next := 1
	for _, l := range layout {
		if l == rowMark {
			fmt.Fprintln(w, strings.TrimRight(lines[next], " "))
			next++
			continue
		}
		fmt.Fprintln(w, l)
	}
	fmt.Fprintln(w, "(* primary sub-goal)")
	return nil
}

// renderInitiative prints one initiative; asked says which past state was
// asked for ("" for the current one).
func renderInitiative(w io.Writer, body []byte, etag, asked string) error {
	var v wire.InitiativeDetail
	if err := json.Unmarshal(body, &v); err != nil {
		return err
	}
	state := string(v.State)
	goal := v.PrimarySubGoal
	if v.PrimaryGoal != "" {
		goal = v.PrimaryGoal + " / " + v.PrimarySubGoal
	}
	goal += " (primary)"
	var others []string
	for _, s := range v.SubGoals {
		if s != v.PrimarySubGoal {
			others = append(others, s)
		}
	}
	if len(others) > 0 {
		goal += "; also " + strings.Join(others, ", ")
	}
	version := u64(v.Version)
	if etag != "" {
		version = etag
	}
	tw := newTable(w)
	kv := func(k, val string) {
		if val != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", k, oneLine(val))
		}
	}
	kv("ID", v.InitiativeID)
	kv("Shown", asked)
	kv("Title", v.Title)
	kv("Owner", v.Owner)
	kv("State", state)
	kv("Phase", string(v.Phase))
	kv("Sub-goals", goal)
	kv("User groups", strings.Join(v.UserGroups, ", "))
	kv("Planned", span(v.PlannedStart, v.PlannedEnd))
	kv("Cost (NOK)", nok(v.EstimatedCostNOK))
	kv("Latest status", statusLine(v.LatestStatus))
	kv("Final report", v.FinalReport)
	kv("Proposed", ts(v.ProposedAt))
	kv("Last updated", ts(v.LastUpdated))
	kv("Version", version)
	kv("Position", u64(v.Position))
	kv("Description", v.Description)
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(v.Milestones) > 0 {
		fmt.Fprintln(w, "\nMilestones:")
		tw = newTable(w)
		header(tw, "  TITLE", "STATUS", "PLANNED", "ORIGINAL", "ACHIEVED", "SLIPS", "ID")
		for _, m := range v.Milestones {
			row(tw, "  "+truncate(m.Title, titleWidth), string(m.Status), string(m.PlannedDate), string(m.OriginalPlannedDate),
				string(m.AchievedDate), strconv.Itoa(m.Slips), m.MilestoneID)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(v.StatusHistory) > 0 {
		fmt.Fprintln(w, "\nStatus reports:")
		tw = newTable(w)
		header(tw, "  DATE", "OVERALL", "SCHEDULE", "COST", "BENEFIT", "BY", "COMMENT")
		for _, s := range v.StatusHistory {
			row(tw, "  "+string(s.ReportDate), string(s.Overall), string(s.Schedule), string(s.Cost), string(s.Benefit), s.ReportedBy, truncate(s.Comment, textWidth))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(v.History) > 0 {
		fmt.Fprintln(w, "\nHistory:")
		tw = newTable(w)
		header(tw, "  TIME", "EVENT", "STATE", "PHASE", "CASE", "REASON")
		for _, h := range v.History {
			row(tw, "  "+ts(h.At), h.Event, string(h.State), string(h.Phase), h.CaseID, truncate(h.Reason, textWidth))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(v.Cases) > 0 {
		fmt.Fprintln(w, "\nCouncil cases:")
		tw = newTable(w)
		header(tw, "  NUMBERS", "FORUM", "PURPOSE", "TITLE", "LAST OUTCOME", "ID")
		for _, c := range v.Cases {
			purpose := string(c.Purpose)
			if c.TargetPhase != "" {
				purpose += " → " + string(c.TargetPhase)
			}
			last := string(c.LastOutcome)
			if last != "" && c.LastForum != "" {
				last += " (" + string(c.LastForum) + ")"
			}
			row(tw, "  "+strings.Join(c.CaseNumbers, ", "), string(c.Forum), purpose, truncate(c.Title, titleWidth), last, c.CaseID)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

func renderEvents(w io.Writer, list wire.EventList) error {
	if len(list.Events) == 0 {
		fmt.Fprintln(w, "(no events)")
		return nil
	}
	tw := newTable(w)
	header(tw, "POSITION", "TIME", "TYPE", "AGGREGATE", "VERSION", "ACTOR", "ID")
	for _, e := range list.Events {
		row(tw, u64(e.Position), ts(e.Time), e.Type, e.AggregateType+"/"+e.AggregateID, u64(e.Version), e.Actor, e.ID)
	}
	return tw.Flush()
}

func renderMeetings(w io.Writer, list wire.MeetingList) error {
	v := list.Meetings
	if len(v) == 0 {
		fmt.Fprintln(w, "(no meetings)")
		return nil
	}
	tw := newTable(w)
	header(tw, "FORUM", "MEETING", "DATE", "HELD", "CASES", "ID")
	for _, m := range v {
		row(tw, string(m.Forum), m.Label, string(m.Date), yesNo(m.Held), strconv.Itoa(m.AgendaItems), m.MeetingID)
	}
	return tw.Flush()
}

// outcomeText is what a decision said, with the correction in force.
func outcomeText(resolution, conditions, remarks, reason string, corr []wire.CorrectionView) string {
	text := first(resolution, remarks, reason)
	if len(corr) > 0 {
		text = corr[len(corr)-1].Resolution + " (corrected)"
	}
	if conditions != "" {
		text += " [conditions: " + conditions + "]"
	}
	return text
}

func renderMeeting(w io.Writer, v wire.MeetingDetail) error {
	held := "no (scheduled)"
	if v.Held {
		held = "yes"
		if v.HeldAt != nil {
			held += ", recorded " + ts(*v.HeldAt)
		}
	}
	tw := newTable(w)
	fmt.Fprintf(tw, "Meeting:\t%s %s\n", v.Forum, v.Label)
	fmt.Fprintf(tw, "Date:\t%s\n", v.Date)
	fmt.Fprintf(tw, "Held:\t%s\n", held)
	fmt.Fprintf(tw, "ID:\t%s\n", v.MeetingID)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nAgenda:")
	if len(v.Agenda) == 0 {
		fmt.Fprintln(w, "  (no cases)")
		return nil
	}
	tw = newTable(w)
	header(tw, "  NO", "TITLE", "TYPE", "PURPOSE", "FROM", "OUTCOME", "RESOLUTION", "CASE")
	for _, it := range v.Agenda {
		var from domain.Forum
		if it.RegisteredForum != "" && it.RegisteredForum != v.Forum {
			from = it.RegisteredForum
		}
		if len(it.Outcomes) == 0 {
			row(tw, "  "+it.CaseNumber, truncate(it.Title, titleWidth), string(it.CaseType), string(it.Purpose), string(from), "", "proposed: "+truncate(it.ProposedResolution, textWidth), it.CaseID)
		}
		for _, o := range it.Outcomes {
			row(tw, "  "+it.CaseNumber, truncate(it.Title, titleWidth), string(it.CaseType), string(it.Purpose), string(from), string(o.Outcome),
				truncate(outcomeText(o.Resolution, o.Conditions, o.Remarks, o.Reason, o.Corrections), textWidth), it.CaseID)
		}
	}
	return tw.Flush()
}

func renderCase(w io.Writer, v wire.CaseDetail) error {
	purpose := string(v.Purpose)
	if v.TargetPhase != "" {
		purpose += " → " + string(v.TargetPhase)
	}
	tw := newTable(w)
	kv := func(k, val string) {
		if val != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", k, oneLine(val))
		}
	}
	kv("Case", v.Title)
	kv("ID", v.CaseID)
	kv("Registered", strings.TrimSpace(string(v.Forum)+" "+ts(v.RegisteredAt)))
	kv("Type", string(v.CaseType))
	kv("Purpose", purpose)
	kv("Initiative", v.InitiativeID)
	kv("Archive ref", v.ArchiveRef)
	kv("Proposed", v.ProposedResolution)
	kv("Status", first(string(v.Status), "undecided"))
	kv("Version", u64(v.Version))
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nPath through the forums:")
	if len(v.Path) == 0 {
		fmt.Fprintln(w, "  (not on any agenda yet)")
	} else {
		tw = newTable(w)
		header(tw, "  DATE", "FORUM", "MEETING", "NO", "STEP", "TEXT", "EVENT")
		for _, s := range v.Path {
			step := s.Kind
			if s.Kind == wire.StepDecision || s.Outcome != "" {
				step = string(s.Outcome)
				if s.Corrected {
					step += " (corrected)"
				}
			}
			text := first(s.Resolution, s.Remarks, s.Reason)
			if s.Conditions != "" {
				text += " [conditions: " + s.Conditions + "]"
			}
			row(tw, "  "+string(s.MeetingDate), string(s.Forum), s.MeetingLabel, s.CaseNumber, step, truncate(text, textWidth), s.EventID)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(v.Corrections) > 0 {
		fmt.Fprintln(w, "\nCorrections:")
		tw = newTable(w)
		header(tw, "  TIME", "CORRECTS", "RESOLUTION", "REASON", "EVENT")
		for _, c := range v.Corrections {
			row(tw, "  "+ts(c.RecordedAt), c.CorrectsEventID, truncate(c.Resolution, textWidth), truncate(c.Reason, textWidth), c.EventID)
		}
		return tw.Flush()
	}
	return nil
}

func renderDecisions(w io.Writer, list wire.DecisionList) error {
	v := list.Decisions
	if len(v) == 0 {
		fmt.Fprintln(w, "(no decisions)")
		return nil
	}
	tw := newTable(w)
	header(tw, "DATE", "FORUM", "MEETING", "NO", "OUTCOME", "CASE", "RESOLUTION", "CASE ID")
	for _, d := range v {
		row(tw, string(d.MeetingDate), string(d.Forum), d.MeetingLabel, d.CaseNumber, string(d.Outcome), truncate(d.CaseTitle, titleWidth),
			truncate(outcomeText(d.Resolution, d.Conditions, d.Remarks, d.Reason, d.Corrections), textWidth), d.CaseID)
	}
	return tw.Flush()
}

func renderVerify(w io.Writer, v services.VerifyResult) error {
	tw := newTable(w)
	fmt.Fprintf(tw, "ok:\t%t\n", v.OK)
	fmt.Fprintf(tw, "events:\t%d\n", v.Events)
	fmt.Fprintf(tw, "head:\t%s\n", first(v.Head, "-"))
	if v.FirstBad != nil {
		fmt.Fprintf(tw, "firstBad:\t%d\n", *v.FirstBad)
	}
	renderVerifyMore(tw, v)
	return tw.Flush()
}

// first returns the first non-empty string.
func first(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
