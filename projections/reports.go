package projections

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/ehelse/portfolio/domain"
)

// The reporting rounds and the frozen portfolio reports. A round's report
// is computed when ReportingRoundClosed is applied, from the read models
// as they stand at that position of the log, and stored as bytes: later
// events (a late status, a decision correction, a new initiative) do not
// touch it, and a rebuild computes the same bytes at the same position.
const (
	// BucketRounds: roundId → roundDoc.
	BucketRounds = "rounds"
	// BucketRoundStatus: "roundId\x00initiativeId" → the StatusView
	// reported for the round (the latest by report date).
	BucketRoundStatus = "round_status"
	// BucketSlips: position → SlipView, every milestone slip in log order.
	BucketSlips = "milestone_slips"
	// BucketReports: roundId → the frozen PortfolioReport, as JSON.
	BucketReports = "reports"
)

// roundDoc is what BucketRounds stores.
type roundDoc = RoundSummary

// ---- apply ----

func applyRound(a *applier, r domain.Recorded) (bool, error) {
	tx := a.tx
	switch e := r.Event.(type) {
	case domain.ReportingRoundOpened:
		return true, putJSON(tx, BucketRounds, []byte(e.RoundID), roundDoc{
			RoundID: e.RoundID, Label: e.Label, PeriodEnd: e.PeriodEnd, Deadline: e.Deadline, State: RoundOpen,
			OpenedAt: r.Time.UTC(), OpenPosition: r.Position,
		})
	case domain.ReportingRoundClosed:
		var d roundDoc
		found, err := getJSON(tx, BucketRounds, []byte(e.RoundID), &d)
		if err != nil || !found {
			return false, err
		}
		at := r.Time.UTC()
		d.State, d.ClosedAt, d.ClosePosition = RoundClosed, &at, r.Position
		if err := putJSON(tx, BucketRounds, []byte(e.RoundID), d); err != nil {
			return false, err
		}
		// The report reads the initiative documents: write out what the
		// batch holds first.
		if err := a.flush(); err != nil {
			return false, err
		}
		rep, err := buildReport(tx, d)
		if err != nil {
			return false, err
		}
		data, err := json.Marshal(rep)
		if err != nil {
			return false, fmt.Errorf("projections: encode report %s: %w", d.RoundID, err)
		}
		b, err := bucket(tx, BucketReports)
		if err != nil {
			return false, err
		}
		return true, b.Put([]byte(d.RoundID), data)
	}
	return false, nil
}

// putRoundStatus keeps an initiative's latest status report for its round.
func putRoundStatus(tx *bolt.Tx, initiativeID string, s StatusView) error {
	if s.RoundID == "" {
		return nil
	}
	k := key(s.RoundID, initiativeID)
	var old StatusView
	found, err := getJSON(tx, BucketRoundStatus, k, &old)
	if err != nil {
		return err
	}
	if found && s.ReportDate < old.ReportDate {
		return nil
	}
	return putJSON(tx, BucketRoundStatus, k, s)
}

// putSlip records a milestone slip in log order.
func putSlip(tx *bolt.Tx, d InitiativeDetail, m MilestoneView, e domain.MilestoneSlipped, r domain.Recorded) error {
	return putJSON(tx, BucketSlips, []byte(posKey(r.Position)), SlipView{
		InitiativeID: d.InitiativeID, InitiativeTitle: d.Title, MilestoneID: m.MilestoneID, Title: m.Title,
		From: e.PreviousPlannedDate, To: e.NewPlannedDate, Position: r.Position,
	})
}

// ---- the report ----

// inReport: an initiative in the portfolio is in every report; one that
// left it (closed, cancelled) is in the first report after it left.
func inReport(d *InitiativeDetail, prev map[string]ReportInitiative) bool {
	switch d.State {
	case domain.LifecycleInPortfolio, domain.LifecyclePaused:
		return true
	case domain.LifecycleClosed, domain.LifecycleCancelled:
		p, ok := prev[d.InitiativeID]
		return ok && p.State != d.State
	}
	return false
}

// buildReport computes the report of the round d, which has just closed,
// from the read models as they are within tx.
func buildReport(tx *bolt.Tx, d roundDoc) (*PortfolioReport, error) {
	prevRound, prev, err := previousReport(tx, d)
	if err != nil {
		return nil, err
	}
	rep := &PortfolioReport{RoundID: d.RoundID, Label: d.Label, PeriodEnd: d.PeriodEnd, Deadline: d.Deadline,
		Position: d.ClosePosition, Initiatives: []ReportInitiative{}, Milestones: []ReportMilestone{},
		Decisions: []ReportDecision{}}
	if d.ClosedAt != nil {
		rep.ClosedAt = *d.ClosedAt
	}
	prevRows := map[string]ReportInitiative{}
	var fromPos uint64
	if prev != nil {
		rep.PreviousRoundID = prev.RoundID
		rep.PeriodStart = domain.DateOf(prev.PeriodEnd.Time().AddDate(0, 0, 1))
		fromPos = prevRound.ClosePosition
		for _, row := range prev.Initiatives {
			prevRows[row.InitiativeID] = row
		}
	}
	inPeriod := func(date domain.Date) bool {
		return date != "" && date <= d.PeriodEnd && (rep.PeriodStart == "" || date >= rep.PeriodStart)
	}

	statuses := map[string]StatusView{}
	err = scanJSON(tx, BucketRoundStatus, key(d.RoundID, ""), func(k []byte, s StatusView) error {
		statuses[lastPart(k)] = s
		return nil
	})
	if err != nil {
		return nil, err
	}

	included := map[string]bool{}
	err = scanJSON(tx, BucketInitiatives, nil, func(k []byte, ini InitiativeDetail) error {
		if !inReport(&ini, prevRows) {
			return nil
		}
		included[ini.InitiativeID] = true
		row := ReportInitiative{InitiativeID: ini.InitiativeID, Title: ini.Title, Owner: ini.Owner,
			PrimaryGoal: ini.PrimaryGoal, Phase: ini.Phase, State: ini.State, StatusInRound: StatusNotReported}
		if s, ok := statuses[ini.InitiativeID]; ok {
			row.StatusInRound = StatusReportedInRound
			row.Status = &ReportStatus{ReportDate: s.ReportDate, Overall: s.Overall, Schedule: s.Schedule, Cost: s.Cost,
				Benefit: s.Benefit, Comment: s.Comment, ReportedBy: s.ReportedBy, EventID: s.EventID}
		}
		rep.Initiatives = append(rep.Initiatives, row)
		for _, m := range ini.Milestones {
			rm := ReportMilestone{InitiativeID: ini.InitiativeID, InitiativeTitle: ini.Title, MilestoneID: m.MilestoneID,
				Title: m.Title, PlannedDate: m.PlannedDate, AchievedDate: m.AchievedDate}
			switch {
			case m.Status == domain.MilestoneAchievedStatus && inPeriod(m.AchievedDate):
				rm.Kind = MilestoneKindAchieved
			case m.Status != domain.MilestoneAchievedStatus && inPeriod(m.PlannedDate):
				rm.Kind = MilestoneKindDue
			default:
				continue
			}
			rep.Milestones = append(rep.Milestones, rm)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	// Slips recorded since the previous round closed, up to this close.
	var slipped []ReportMilestone
	b, err := bucket(tx, BucketSlips)
	if err != nil {
		return nil, err
	}
	c := b.Cursor()
	end := []byte(posKey(d.ClosePosition))
	for k, v := c.Seek([]byte(posKey(fromPos + 1))); k != nil && bytes.Compare(k, end) <= 0; k, v = c.Next() {
		var s SlipView
		if err := json.Unmarshal(v, &s); err != nil {
			return nil, corrupt(BucketSlips, k, err)
		}
		if !included[s.InitiativeID] {
			continue
		}
		slipped = append(slipped, ReportMilestone{InitiativeID: s.InitiativeID, InitiativeTitle: s.InitiativeTitle,
			MilestoneID: s.MilestoneID, Title: s.Title, Kind: MilestoneKindSlipped, From: s.From, To: s.To})
	}
	rep.Milestones = append(rep.Milestones, slipped...)

	decisions, err := readDecisions(tx, DecisionFilter{From: rep.PeriodStart, To: d.PeriodEnd})
	if err != nil {
		return nil, err
	}
	for _, e := range decisions {
		rd := ReportDecision{EventID: e.EventID, Forum: e.Forum, MeetingLabel: e.MeetingLabel, MeetingDate: e.MeetingDate,
			CaseID: e.CaseID, CaseNumber: e.CaseNumber, CaseTitle: e.CaseTitle, InitiativeID: e.InitiativeID,
			Outcome: e.Outcome, Resolution: e.Resolution}
		if n := len(e.Corrections); n > 0 {
			rd.Resolution, rd.Corrected = e.Corrections[n-1].Resolution, true
		}
		rep.Decisions = append(rep.Decisions, rd)
	}

	sortReport(rep)
	rep.Changes = changesSince(prev, rep, slipped)
	rep.Summary = summarise(rep)
	return rep, nil
}

// previousReport is the report of the round closed last before d.
func previousReport(tx *bolt.Tx, d roundDoc) (roundDoc, *PortfolioReport, error) {
	var best roundDoc
	err := scanJSON(tx, BucketRounds, nil, func(k []byte, r roundDoc) error {
		if r.State == RoundClosed && r.RoundID != d.RoundID && r.ClosePosition < d.ClosePosition &&
			r.ClosePosition > best.ClosePosition {
			best = r
		}
		return nil
	})
	if err != nil || best.RoundID == "" {
		return best, nil, err
	}
	var rep PortfolioReport
	found, err := getJSON(tx, BucketReports, []byte(best.RoundID), &rep)
	if err != nil || !found {
		return best, nil, err
	}
	return best, &rep, nil
}

func sortReport(rep *PortfolioReport) {
	slices.SortStableFunc(rep.Initiatives, func(a, b ReportInitiative) int {
		return cmp.Or(strings.Compare(a.Owner, b.Owner), strings.Compare(a.Title, b.Title),
			strings.Compare(a.InitiativeID, b.InitiativeID))
	})
	kindOrder := map[string]int{MilestoneKindAchieved: 0, MilestoneKindSlipped: 1, MilestoneKindDue: 2}
	slices.SortStableFunc(rep.Milestones, func(a, b ReportMilestone) int {
		return cmp.Or(cmp.Compare(kindOrder[a.Kind], kindOrder[b.Kind]), strings.Compare(a.InitiativeTitle, b.InitiativeTitle),
			strings.Compare(a.InitiativeID, b.InitiativeID), strings.Compare(a.MilestoneID, b.MilestoneID))
	})
}

var ragRank = map[domain.RAG]int{domain.Green: 0, domain.Yellow: 1, domain.Red: 2}

// changesSince compares rep with the previous round's report.
func changesSince(prev *PortfolioReport, rep *PortfolioReport, slipped []ReportMilestone) ReportChanges {
	ch := ReportChanges{PhaseChanges: []PhaseChangeItem{}, RAG: []RAGChange{}, New: []InitiativeRef{},
		Closed: []InitiativeRef{}, Cancelled: []InitiativeRef{}, SlippedMilestones: []ReportMilestone{}}
	ch.SlippedMilestones = append(ch.SlippedMilestones, slipped...)
	old := map[string]ReportInitiative{}
	if prev != nil {
		ch.PreviousRoundID = prev.RoundID
		for _, r := range prev.Initiatives {
			old[r.InitiativeID] = r
		}
	}
	for _, r := range rep.Initiatives {
		ref := InitiativeRef{InitiativeID: r.InitiativeID, Title: r.Title, Owner: r.Owner}
		p, was := old[r.InitiativeID]
		if !was {
			ch.New = append(ch.New, ref)
		}
		switch {
		case r.State == domain.LifecycleClosed && (!was || p.State != domain.LifecycleClosed):
			ch.Closed = append(ch.Closed, ref)
		case r.State == domain.LifecycleCancelled && (!was || p.State != domain.LifecycleCancelled):
			ch.Cancelled = append(ch.Cancelled, ref)
		}
		if !was {
			continue
		}
		if p.Phase != r.Phase {
			ch.PhaseChanges = append(ch.PhaseChanges, PhaseChangeItem{InitiativeID: r.InitiativeID, Title: r.Title, From: p.Phase, To: r.Phase})
		}
		if p.Status == nil || r.Status == nil {
			continue
		}
		for _, dim := range []struct {
			name     string
			from, to domain.RAG
		}{
			{"overall", p.Status.Overall, r.Status.Overall}, {"schedule", p.Status.Schedule, r.Status.Schedule},
			{"cost", p.Status.Cost, r.Status.Cost}, {"benefit", p.Status.Benefit, r.Status.Benefit},
		} {
			if dim.from == dim.to {
				continue
			}
			dir := "better"
			if ragRank[dim.to] > ragRank[dim.from] {
				dir = "worse"
			}
			ch.RAG = append(ch.RAG, RAGChange{InitiativeID: r.InitiativeID, Title: r.Title, Dimension: dim.name, From: dim.from, To: dim.to, Direction: dir})
		}
	}
	return ch
}

func summarise(rep *PortfolioReport) ReportSummary {
	s := ReportSummary{Initiatives: len(rep.Initiatives), ByPhase: []Count{}, ByOverall: []Count{}, Milestones: []Count{},
		Decisions: len(rep.Decisions)}
	phases := map[domain.Phase]int{}
	lights := map[string]int{}
	for _, r := range rep.Initiatives {
		phases[r.Phase]++
		if r.Status != nil {
			s.Reported++
			lights[string(r.Status.Overall)]++
		} else {
			s.NotReported++
			lights[StatusNotReported]++
		}
	}
	for _, p := range domain.Phases {
		if n := phases[p]; n > 0 {
			s.ByPhase = append(s.ByPhase, Count{Key: string(p), Count: n})
		}
	}
	for _, l := range []string{string(domain.Green), string(domain.Yellow), string(domain.Red), StatusNotReported} {
		s.ByOverall = append(s.ByOverall, Count{Key: l, Count: lights[l]})
	}
	kinds := map[string]int{}
	for _, m := range rep.Milestones {
		kinds[m.Kind]++
	}
	for _, k := range []string{MilestoneKindAchieved, MilestoneKindSlipped, MilestoneKindDue} {
		s.Milestones = append(s.Milestones, Count{Key: k, Count: kinds[k]})
	}
	return s
}

// ---- queries ----

// Rounds returns every reporting round, the latest opened first.
func (m *ReadModels) Rounds() ([]RoundSummary, error) {
	out := []RoundSummary{}
	err := m.view(func(tx *bolt.Tx) error {
		return scanJSON(tx, BucketRounds, nil, func(k []byte, r roundDoc) error {
			out = append(out, r)
			return nil
		})
	})
	slices.SortStableFunc(out, func(a, b RoundSummary) int {
		return cmp.Compare(b.OpenPosition, a.OpenPosition) // newest first
	})
	return out, err
}

// Round returns one round with who has reported and who has not, or a
// KindNotFound error.
func (m *ReadModels) Round(id string) (RoundDetail, error) {
	var d RoundDetail
	var rows []ReportInitiative
	err := m.view(func(tx *bolt.Tx) error {
		if err := getOne(tx, BucketRounds, "reporting round", id, &d.RoundSummary); err != nil {
			return err
		}
		if d.State == RoundClosed {
			var rep PortfolioReport
			if _, err := getJSON(tx, BucketReports, []byte(id), &rep); err != nil {
				return err
			}
			rows = rep.Initiatives
			return nil
		}
		reported := map[string]bool{}
		if err := scanPrefix(tx, BucketRoundStatus, key(id, ""), func(k, _ []byte) error {
			reported[lastPart(k)] = true
			return nil
		}); err != nil {
			return err
		}
		return scanJSON(tx, BucketInitiatives, nil, func(k []byte, ini InitiativeDetail) error {
			if !inReport(&ini, nil) {
				return nil
			}
			row := ReportInitiative{InitiativeID: ini.InitiativeID, Title: ini.Title, Owner: ini.Owner, StatusInRound: StatusNotReported}
			if reported[ini.InitiativeID] {
				row.StatusInRound = StatusReportedInRound
			}
			rows = append(rows, row)
			return nil
		})
	})
	if err != nil {
		return RoundDetail{}, err
	}
	d.Owners = []OwnerReporting{}
	byOwner := map[string]int{}
	slices.SortStableFunc(rows, func(a, b ReportInitiative) int {
		return cmp.Or(strings.Compare(a.Owner, b.Owner), strings.Compare(a.Title, b.Title))
	})
	for _, r := range rows {
		i, ok := byOwner[r.Owner]
		if !ok {
			i = len(d.Owners)
			byOwner[r.Owner] = i
			d.Owners = append(d.Owners, OwnerReporting{Owner: r.Owner, Reported: []InitiativeRef{}, NotReported: []InitiativeRef{}})
		}
		ref := InitiativeRef{InitiativeID: r.InitiativeID, Title: r.Title, Owner: r.Owner}
		if r.StatusInRound == StatusReportedInRound {
			d.Owners[i].Reported = append(d.Owners[i].Reported, ref)
			d.Reported++
		} else {
			d.Owners[i].NotReported = append(d.Owners[i].NotReported, ref)
			d.NotReported++
		}
	}
	return d, nil
}

// ReportJSON returns the frozen report of a closed round as stored, byte
// for byte, or a KindNotFound error (no such round, or not closed yet).
func (m *ReadModels) ReportJSON(roundID string) ([]byte, error) {
	var out []byte
	err := m.view(func(tx *bolt.Tx) error {
		b, err := bucket(tx, BucketReports)
		if err != nil {
			return err
		}
		v := b.Get([]byte(roundID))
		if v == nil || roundID == "" {
			return &domain.Error{Kind: domain.KindNotFound,
				Message: fmt.Sprintf("no portfolio report for round %s: the round does not exist or is not closed", roundID)}
		}
		out = bytes.Clone(v)
		return nil
	})
	return out, err
}

// Report returns the frozen report of a closed round, decoded.
func (m *ReadModels) Report(roundID string) (PortfolioReport, error) {
	var rep PortfolioReport
	data, err := m.ReportJSON(roundID)
	if err != nil {
		return rep, err
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		return rep, corrupt(BucketReports, []byte(roundID), err)
	}
	return rep, nil
}
