package projections

import (
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/ehelse/portfolio/domain"
)

// sim runs commands through domain.Needs, Decide and Evolve, as the command
// service does, and records the events as batch items.
type sim struct {
	t      testing.TB
	states map[domain.Ref]domain.State
	items  []item
	now    time.Time
	// changes lists each accepted command's changes (for appending to a
	// real event store).
	commands [][]item
	accepted map[string]int
	events   map[string]int
	refused  map[string]string // a refusal per command name, for debugging
}

func newSim(t testing.TB) *sim {
	return &sim{t: t, states: map[domain.Ref]domain.State{}, now: t0, accepted: map[string]int{}, events: map[string]int{}}
}

// exec runs one command; a refused command returns its error and records
// nothing.
func (s *sim) exec(cmd domain.Command) error {
	for {
		added := false
		for _, r := range domain.Needs(cmd, s.states) {
			if _, ok := s.states[r]; !ok {
				s.states[r] = domain.NewState(r)
				added = true
			}
		}
		if !added {
			break
		}
	}
	changes, err := domain.Decide(cmd, s.states, s.now)
	if err != nil {
		return err
	}
	var written []item
	for _, ch := range changes {
		st := s.states[ch.Ref]
		pos := uint64(len(s.items) + 1)
		rec := domain.Recorded{ID: evID(int(pos)), Version: st.StateVersion() + 1, Position: pos, Time: s.now, Actor: "sekretariat", Event: ch.Event}
		next, err := domain.Evolve(st, rec)
		if err != nil {
			s.t.Fatalf("evolve %s after %s: %v", ch.Event.EventType(), cmd.CommandName(), err)
		}
		s.states[ch.Ref] = next
		it := item{Position: pos, EventID: rec.ID, AggType: string(ch.Ref.Type), AggID: ch.Ref.ID, Type: ch.Event.EventType(), Rec: rec}
		s.items = append(s.items, it)
		written = append(written, it)
		s.events[ch.Event.EventType()]++
	}
	s.commands = append(s.commands, written)
	s.accepted[cmd.CommandName()]++
	s.now = s.now.Add(6*time.Hour + 7*time.Minute)
	return nil
}

// emit records an event the product decides itself (the dependency
// policy's), as the policy would: actor policy, no command.
func (s *sim) emit(ref domain.Ref, ev domain.Event) {
	st, ok := s.states[ref]
	if !ok {
		st = domain.NewState(ref)
	}
	pos := uint64(len(s.items) + 1)
	rec := domain.Recorded{ID: evID(int(pos)), Version: st.StateVersion() + 1, Position: pos, Time: s.now, Actor: domain.PolicyActor, Event: ev}
	next, err := domain.Evolve(st, rec)
	if err != nil {
		s.t.Fatalf("evolve %s: %v", ev.EventType(), err)
	}
	s.states[ref] = next
	it := item{Position: pos, EventID: rec.ID, AggType: string(ref.Type), AggID: ref.ID, Type: ev.EventType(), Rec: rec}
	s.items = append(s.items, it)
	s.commands = append(s.commands, []item{it})
	s.events[ev.EventType()]++
	s.now = s.now.Add(time.Hour)
}

func (s *sim) must(cmd domain.Command) {
	s.t.Helper()
	if err := s.exec(cmd); err != nil {
		s.t.Fatalf("%s: %v", cmd.CommandName(), err)
	}
}

// randomHistory runs a fixed strategy preamble and then n random commands.
// The commands are chosen with a look at the folded states (decisions go to
// a meeting the case is on, agendas to meetings not yet held, gate cases
// target the next phase) so that most are accepted and every event type
// occurs; domain.Decide still has the last word, and refused commands are
// dropped.
func randomHistory(t testing.TB, seed int64, n int) *sim {
	s := newSim(t)
	r := rand.New(rand.NewSource(seed))
	for _, g := range []string{"M1", "M2", "M3"} {
		s.must(domain.DefineStrategicGoal{GoalID: g, Strategy: "2023-2030", Title: "Mål " + g + " æøå"})
	}
	subs := []string{"1A", "1B", "2A", "3A"}
	for _, sg := range subs {
		s.must(domain.DefineSubGoal{SubGoalID: sg, GoalID: "M" + sg[:1], Title: "Delmål " + sg})
	}
	id := func(kind string, i int) string { return fmt.Sprintf("01JD%s%021d", kind, i) }
	owners := []string{"Helse Sør-Øst RHF", "Helse Vest RHF", "KS", "Norsk helsenett SF"}
	groups := []string{"fastleger", "kommuner", "helseforetak", "innbyggere", "Pårørende"}
	forums := []domain.Forum{domain.NUFA, domain.NUIT, domain.NUIT, domain.EHR, domain.EHR}
	rags := []domain.RAG{domain.Green, domain.Yellow, domain.Red}
	day := 0
	date := func() domain.Date { day++; return domain.DateOf(t0.AddDate(0, 0, day)) }
	var inis, mtgs, cases []string
	milestones := map[string][]string{}
	msCount := 0
	decisionIDs := map[string][]string{} // case → decision event ids
	one := func(xs []string) string {
		if len(xs) == 0 {
			return "01JDX000000000000000000000"
		}
		return xs[r.Intn(len(xs))]
	}
	iniState := func(id string) *domain.InitiativeState {
		st, _ := s.states[domain.Ref{Type: domain.Initiative, ID: id}].(*domain.InitiativeState)
		return st
	}
	openMeeting := func(f domain.Forum) string {
		var open []string
		for _, m := range mtgs {
			if st, ok := s.states[domain.Ref{Type: domain.Meeting, ID: m}].(*domain.MeetingState); ok && !st.Held && (f == "" || st.Forum == f) {
				open = append(open, m)
			}
		}
		return one(open)
	}
	meetingState := func(id string) *domain.MeetingState {
		st, _ := s.states[domain.Ref{Type: domain.Meeting, ID: id}].(*domain.MeetingState)
		return st
	}
	holdable := func() string {
		var ok []string
		for _, m := range mtgs {
			if st := meetingState(m); st != nil && !st.Held && st.Date <= domain.DateOf(s.now) {
				ok = append(ok, m)
			}
		}
		return one(ok)
	}
	for i := 0; i < n; i++ {
		ini := one(inis)
		var admitted []string
		for _, x := range inis {
			if st := iniState(x); st != nil && (st.Lifecycle == domain.LifecycleInPortfolio || st.Lifecycle == domain.LifecyclePaused) {
				admitted = append(admitted, x)
			}
		}
		if len(admitted) > 0 && r.Intn(3) != 0 {
			ini = one(admitted)
		}
		// prefer cases still open
		var live []string
		for _, c := range cases {
			if st, ok := s.states[domain.Ref{Type: domain.Case, ID: c}].(*domain.CaseState); ok && !st.Approved && !st.Rejected {
				live = append(live, c)
			}
		}
		cs := one(cases)
		if len(live) > 0 && r.Intn(5) != 0 {
			cs = one(live)
		}
		decisionMeeting := one(mtgs)
		var cst *domain.CaseState
		if c, ok := s.states[domain.Ref{Type: domain.Case, ID: cs}].(*domain.CaseState); ok {
			cst = c
			var held []string
			for _, p := range c.Placements {
				if st := meetingState(p.MeetingID); st != nil && st.Held {
					held = append(held, p.MeetingID)
				}
			}
			if len(held) > 0 {
				decisionMeeting = held[len(held)-1]
				if r.Intn(4) == 0 {
					decisionMeeting = one(held)
				}
			}
		}
		var cmd domain.Command
		switch k := r.Intn(28); k {
		case 0:
			if len(inis) >= 14 {
				continue
			}
			ini = id("N", len(inis))
			sgs := []string{}
			if r.Intn(2) == 0 {
				sgs = append(sgs, subs[r.Intn(len(subs))])
			}
			pc := domain.ProposeInitiative{InitiativeID: ini, Title: "Tiltak " + ini[len(ini)-2:] + " hjemmeoppfølging", Description: "Beskrivelse med æ, ø og å",
				Owner: owners[r.Intn(len(owners))], PrimarySubGoal: subs[r.Intn(len(subs))], SubGoals: sgs,
				UserGroups: []string{groups[r.Intn(len(groups))]}, PlannedStart: "2026-01-01", PlannedEnd: "2028-12-31",
				Phase: []domain.Phase{"", domain.PhaseConcept, domain.PhasePlanning}[r.Intn(3)]}
			if err := s.exec(pc); err == nil {
				inis = append(inis, ini)
			}
			continue
		case 1:
			if r.Intn(5) != 0 {
				continue // rarely, so that initiatives get admitted
			}
			cmd = domain.WithdrawInitiative{InitiativeID: ini, Reason: "trukket"}
		case 2, 3:
			cmd = domain.ReportStatus{InitiativeID: ini, ReportDate: date(), Overall: rags[r.Intn(3)], Schedule: rags[r.Intn(3)],
				Cost: rags[r.Intn(3)], Benefit: rags[r.Intn(3)], Comment: "kommentar"}
		case 4:
			msCount++
			ms := id("K", msCount)
			c := domain.ReportMilestone{InitiativeID: ini, MilestoneID: ms, Title: "Milepæl " + ms, Status: domain.MilestonePlannedStatus, PlannedDate: date()}
			if err := s.exec(c); err == nil {
				milestones[ini] = append(milestones[ini], ms)
			}
			continue
		case 5:
			if len(milestones[ini]) == 0 {
				continue
			}
			ms := milestones[ini][r.Intn(len(milestones[ini]))]
			if r.Intn(2) == 0 {
				cmd = domain.ReportMilestone{InitiativeID: ini, MilestoneID: ms, Status: domain.MilestoneAchievedStatus, AchievedDate: date()}
			} else {
				cmd = domain.ReportMilestone{InitiativeID: ini, MilestoneID: ms, Status: domain.MilestoneSlippedStatus, NewPlannedDate: date()}
			}
		case 6:
			cmd = domain.PauseInitiative{InitiativeID: ini, Reason: "pause"}
		case 7:
			cmd = domain.ResumeInitiative{InitiativeID: ini, Reason: "videre"}
		case 8:
			if r.Intn(4) != 0 {
				continue // rarely, so that initiatives live long enough
			}
			if r.Intn(2) == 0 {
				cmd = domain.CloseInitiative{InitiativeID: ini, FinalReport: "sluttrapport"}
			} else {
				cmd = domain.CancelInitiative{InitiativeID: ini, Reason: "avbrutt"}
			}
		case 9, 10:
			open := 0
			for _, m := range mtgs {
				if st := meetingState(m); st != nil && !st.Held {
					open++
				}
			}
			if open >= 4 {
				continue
			}
			m := id("M", len(mtgs))
			if err := s.exec(domain.ScheduleMeeting{MeetingID: m, Forum: forums[r.Intn(len(forums))], Date: domain.DateOf(s.now.AddDate(0, 0, r.Intn(4)))}); err == nil {
				mtgs = append(mtgs, m)
			}
			continue
		case 11:
			cmd = domain.HoldMeeting{MeetingID: holdable()}
		case 12, 13:
			if len(live) >= 6 {
				continue
			}
			c := id("C", len(cases))
			rc := domain.RegisterCase{CaseID: c, Forum: domain.NUIT, Title: "Sak om " + ini[len(ini)-2:],
				CaseType: domain.CaseApproval, ProposedResolution: "Forslag til vedtak", ArchiveRef: "22/414-1"}
			st := iniState(ini)
			switch {
			case st != nil && st.Lifecycle == domain.LifecycleProposed:
				rc.Purpose, rc.InitiativeID = domain.PurposeAdmission, ini
			case st != nil && st.Lifecycle == domain.LifecycleInPortfolio && st.Phase.Index() >= 0 && st.Phase.Index() < 3:
				rc.Purpose, rc.InitiativeID, rc.TargetPhase = domain.PurposePhaseGate, ini, domain.Phases[st.Phase.Index()+1]
			default:
				rc.Purpose = []domain.Purpose{domain.PurposePrioritisation, domain.PurposeOther}[r.Intn(2)]
				rc.CaseType = []domain.CaseType{domain.CaseDiscussion, domain.CaseInformation}[r.Intn(2)]
				rc.Forum = forums[r.Intn(len(forums))]
			}
			if err := s.exec(rc); err == nil {
				cases = append(cases, c)
			}
			continue
		case 14, 15, 16:
			f := domain.Forum("")
			if cst != nil {
				f = cst.Forum
				if cst.NUITRecommended {
					f = domain.EHR
				}
			}
			cmd = domain.PlaceCaseOnAgenda{CaseID: cs, MeetingID: openMeeting(f)}
		case 17:
			if r.Intn(2) == 0 {
				cmd = domain.NoteCase{CaseID: cs, MeetingID: decisionMeeting, Remarks: "notert"}
			} else {
				cmd = domain.DiscussCase{CaseID: cs, MeetingID: decisionMeeting}
			}
		case 18, 19:
			cmd = domain.RecommendInCouncil{CaseID: cs, MeetingID: decisionMeeting, Resolution: "anbefalt"}
		case 20, 21:
			cmd = domain.ApproveInCouncil{CaseID: cs, MeetingID: decisionMeeting, Resolution: "godkjent"}
		case 22:
			if r.Intn(2) == 0 {
				cmd = domain.RejectInCouncil{CaseID: cs, MeetingID: decisionMeeting, Resolution: "avvist"}
			} else {
				cmd = domain.DeferCase{CaseID: cs, MeetingID: decisionMeeting, Reason: "utsatt"}
			}
		case 23:
			ds := decisionIDs[cs]
			if len(ds) == 0 || r.Intn(3) != 0 {
				continue
			}
			cmd = domain.CorrectDecision{CaseID: cs, CorrectsEventID: ds[r.Intn(len(ds))], Reason: "feil", Resolution: "rettet"}
		case 24:
			ind := id("X", r.Intn(3))
			if r.Intn(3) == 0 {
				cmd = domain.DefineIndicator{IndicatorID: ind, GoalID: "M" + fmt.Sprint(1+r.Intn(3)), Name: "Indikator " + ind[len(ind)-1:],
					Unit: "prosent", Direction: domain.Increase, Baseline: domain.Measure{Value: 10, Date: "2023-12-31"},
					Target: domain.Measure{Value: 90, Date: "2030-12-31"}}
			} else {
				v := domain.RecordIndicatorValue{IndicatorID: ind, Period: []string{"2026", "2026-H1", "2027-Q3", "2026-05-17"}[r.Intn(4)],
					Value: float64(r.Intn(1000)) / 10}
				if r.Intn(2) == 0 {
					v.Correction = &domain.Correction{Reason: "rettet"}
				}
				cmd = v
			}
		case 25:
			rs, _ := s.states[domain.Ref{Type: domain.Round, ID: domain.RoundsCatalogID}].(*domain.RoundsState)
			if rs != nil && rs.OpenRoundID != "" {
				if r.Intn(2) == 0 {
					continue // let reports arrive first
				}
				cmd = domain.CloseReportingRound{RoundID: rs.OpenRoundID}
			} else {
				k := 0
				if rs != nil {
					k = len(rs.Rounds)
				}
				cmd = domain.OpenReportingRound{RoundID: id("R", k), Label: fmt.Sprintf("2026-T%d", k), PeriodEnd: date(), Deadline: date()}
			}
		case 26:
			if rs, _ := s.states[domain.Ref{Type: domain.Round, ID: domain.RoundsCatalogID}].(*domain.RoundsState); rs != nil && rs.OpenRoundID != "" {
				cmd = domain.ReportStatus{InitiativeID: ini, ReportDate: date(), Overall: rags[r.Intn(3)], Schedule: rags[r.Intn(3)],
					Cost: rags[r.Intn(3)], Benefit: rags[r.Intn(3)], Comment: "kommentar", RoundID: rs.OpenRoundID}
			} else {
				continue
			}
		case 27:
			dep := id("D", r.Intn(5))
			if st, ok := s.states[domain.Ref{Type: domain.Dependency, ID: dep}].(*domain.DependencyState); ok && st.Version > 0 {
				on := iniState(st.DependsOn)
				if ev := domain.AssessDependency(st, on, evID(len(s.items)), "MilestoneSlipped"); ev != nil {
					s.emit(domain.Ref{Type: domain.Dependency, ID: dep}, ev)
					continue
				}
				if r.Intn(6) != 0 {
					continue
				}
				cmd = domain.RemoveDependency{DependencyID: dep, Reason: "fjernet"}
			} else {
				dc := domain.DeclareDependency{DependencyID: dep, InitiativeID: ini, DependsOn: one(inis), NeededBy: date(), Description: "trenger"}
				if ms := milestones[dc.DependsOn]; len(ms) > 0 {
					dc.MilestoneID = ms[r.Intn(len(ms))]
				}
				cmd = dc
			}
		}
		before := len(s.items)
		if err := s.exec(cmd); err != nil {
			if s.refused == nil {
				s.refused = map[string]string{}
			}
			s.refused[cmd.CommandName()] = err.Error()
			continue
		}
		for _, it := range s.items[before:] {
			switch it.Rec.Event.(type) {
			case domain.CaseNoted, domain.CaseDiscussed, domain.CaseRecommended, domain.CaseApproved, domain.CaseRejected, domain.CaseDeferred:
				decisionIDs[it.AggID] = append(decisionIDs[it.AggID], it.EventID)
			}
		}
	}
	return s
}
