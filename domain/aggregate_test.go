package domain

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestEvolveRefusesBrokenHistories(t *testing.T) {
	proposed := fold(t, given().catalogue().proposed(ini1, "").changes)[iref(ini1)]
	series := fold(t, given().schedule(mNUIT, NUIT, dNUIT).changes)[SeriesRef(NUIT, 2026)]
	tests := []struct {
		name  string
		state State
		r     Recorded
	}{
		{"a version gap", proposed, Recorded{Version: 3, Event: InitiativeWithdrawn{ini1, "x"}}},
		{"a repeated version", proposed, Recorded{Version: 1, Event: InitiativeWithdrawn{ini1, "x"}}},
		{"an event of another aggregate type", proposed, Recorded{Version: 2, Event: MeetingHeld{mNUIT, NUIT, "1/2026"}}},
		{"an event naming another initiative", proposed, Recorded{Version: 2, Event: InitiativeWithdrawn{ini2, "x"}}},
		{"a second creation", proposed, Recorded{Version: 2, Event: InitiativeProposed{InitiativeID: ini1}}},
		{"an event before the creation", NewState(iref(ini1)), Recorded{Version: 1, Event: InitiativeWithdrawn{ini1, "x"}}},
		{"a nil event", proposed, Recorded{Version: 2}},
		{"a nil event pointer", proposed, Recorded{Version: 2, Event: (*InitiativeWithdrawn)(nil)}},
		{"an unknown milestone", proposed, Recorded{Version: 2, Event: MilestoneAchieved{ini1, ms1, "2026-01-01"}}},
		{"a meeting number gap", series, Recorded{Version: 2, Event: MeetingNumberAssigned{NUIT, 2026, 3, mNUIT2}}},
		{"a series of another forum", series, Recorded{Version: 2, Event: MeetingNumberAssigned{EHR, 2026, 2, mNUIT2}}},
		{"a case number gap", series, Recorded{Version: 2, Event: CaseNumberAssigned{NUIT, 2026, 2, "2/26", case1, mNUIT}}},
		{"a strategy aggregate other than the catalogue", NewState(Ref{Strategy, "other"}), Recorded{Version: 1, Event: StrategicGoalDefined{"M1", "2023-2030", "x"}}},
		{"a correction of an unknown decision", fold(t, given().register(case1, NUIT, CaseApproval, PurposeOther, "", "").changes)[cref(case1)],
			Recorded{Version: 2, Event: DecisionCorrected{CaseID: case1, CorrectsEventID: tid('E', 7)}}},
		{"a nil state", nil, Recorded{Version: 1, Event: InitiativeWithdrawn{ini1, "x"}}},
		{"a nil state pointer", (*CaseState)(nil), Recorded{Version: 1, Event: CaseRegistered{CaseID: case1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Evolve(tt.state, tt.r)
			if !IsKind(err, KindInternal) || s != nil {
				t.Fatalf("Evolve = %v, %v; want nil and an internal error", s, err)
			}
		})
	}
}

func TestEvolveAcceptsEventPointers(t *testing.T) {
	s, err := Evolve(NewState(iref(ini1)), Recorded{Version: 1, Event: &InitiativeProposed{InitiativeID: ini1, Title: "T"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.(*InitiativeState); got.Title != "T" || got.Phase != PhaseConcept || got.Lifecycle != LifecycleProposed {
		t.Fatalf("state %+v", got)
	}
}

// fullHistory is one initiative through the council: proposed, admitted,
// phase gate, status, milestones, pause and resume.
func fullHistory(t *testing.T) (*world, map[Ref]State) {
	w := given().catalogue().meetingsHeld().proposed(ini1, PhaseConcept).
		recommendedByNUIT(case1, PurposeAdmission, ini1, "").decide(case1, mEHR, OutcomeApproved).
		add(iref(ini1), InitiativeAdmitted{ini1, case1, mEHR, PhaseConcept}).
		recommendedByNUIT(case2, PurposePhaseGate, ini1, PhasePlanning).decide(case2, mEHR, OutcomeApproved).
		add(iref(ini1), InitiativePhaseChanged{ini1, PhaseConcept, PhasePlanning, case2, mEHR}).
		add(iref(ini1),
			StatusReported{ini1, "2026-03-01", Green, Yellow, Green, Green, "Litt forsinket", ""},
			MilestonePlanned{ini1, ms1, "Pilot", "2026-06-01"},
			MilestonePlanned{ini1, ms2, "Spredning", "2026-12-01"},
			MilestoneSlipped{ini1, ms1, "2026-06-01", "2026-08-01"},
			MilestoneAchieved{ini1, ms1, "2026-07-30"},
			InitiativePaused{ini1, "Stans"},
			InitiativeResumed{ini1, "Videre"},
		)
	return w, fold(t, w.changes)
}

func TestStatesFold(t *testing.T) {
	w, states := fullHistory(t)
	ini := states[iref(ini1)].(*InitiativeState)
	if ini.Lifecycle != LifecycleInPortfolio || ini.Paused || ini.Phase != PhasePlanning || ini.Version != 10 {
		t.Errorf("initiative lifecycle %s paused %v phase %s version %d", ini.Lifecycle, ini.Paused, ini.Phase, ini.Version)
	}
	if ini.Admission == nil || ini.Admission.CaseID != case1 || ini.Admission.Outcome != OutcomeApproved {
		t.Errorf("admission %+v", ini.Admission)
	}
	if len(ini.PhaseChanges) != 1 || ini.PhaseChanges[0].To != PhasePlanning {
		t.Errorf("phase changes %+v", ini.PhaseChanges)
	}
	if ini.LastStatus == nil || ini.LastStatus.Schedule != Yellow || ini.LastStatus.ReportedBy != "test" || ini.StatusReports != 1 {
		t.Errorf("last status %+v", ini.LastStatus)
	}
	m1, _ := ini.Milestone(ms1)
	if m1.Status != MilestoneAchievedStatus || m1.PlannedDate != "2026-08-01" || m1.OriginalPlannedDate != "2026-06-01" ||
		len(m1.Slips) != 1 || m1.AchievedDate != "2026-07-30" {
		t.Errorf("milestone 1 %+v", m1)
	}
	if m2, ok := ini.Milestone(ms2); !ok || m2.Status != MilestonePlannedStatus {
		t.Errorf("milestone 2 %+v", m2)
	}
	if ini.CreatedAt.IsZero() || !ini.UpdatedAt.After(ini.CreatedAt) {
		t.Errorf("created %v updated %v", ini.CreatedAt, ini.UpdatedAt)
	}

	cs := states[cref(case1)].(*CaseState)
	if !cs.Approved || cs.Rejected || !cs.NUITRecommended || cs.NUITStance != OutcomeRecommended || !cs.Final() {
		t.Errorf("case flags %+v", cs)
	}
	if len(cs.Placements) != 2 || cs.Placements[0].CaseNumber != "1/26" || cs.Placements[1].Forum != EHR {
		t.Errorf("placements %+v", cs.Placements)
	}
	if len(cs.Decisions) != 2 || cs.Decisions[1].Type != "CaseApproved" || cs.Decisions[1].EventID == "" {
		t.Errorf("decisions %+v", cs.Decisions)
	}

	m := states[mref(mEHR)].(*MeetingState)
	if !m.Held || m.Label != "1/2026" || m.Year != 2026 || m.Number != 1 || m.Forum != EHR || m.HeldAt.IsZero() {
		t.Errorf("meeting %+v", m)
	}
	ser := states[SeriesRef(EHR, 2026)].(*SeriesState)
	if ser.LastMeetingNumber != 1 || ser.LastCaseNumber != 2 || len(ser.Agenda(mEHR)) != 2 || ser.Agenda(mEHR)[1].CaseNumber != "2/26" {
		t.Errorf("series %+v", ser)
	}

	cat := states[catRef].(*StrategyState)
	tree := cat.Tree()
	if len(tree) != 2 || tree[0].Strategy != "2017-2022" || tree[1].Goals[0].ID != "M1" || len(tree[1].Goals[0].SubGoals) != 2 {
		t.Errorf("tree %+v", tree)
	}
	if g, _ := cat.Goal("M1"); !slices.Equal(g.SubGoals, []string{"1A", "1B"}) {
		t.Errorf("goal M1 %+v", g)
	}
	_ = w
}

// TestInitiativeStateJSON pins the JSON names the API returns.
func TestInitiativeStateJSON(t *testing.T) {
	_, states := fullHistory(t)
	b, err := json.Marshal(states[iref(ini1)])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "version", "title", "description", "owner", "primarySubGoal", "primaryGoal",
		"subGoals", "userGroups", "plannedStart", "plannedEnd", "lifecycle", "phase", "paused", "lastStatus",
		"milestones", "admission", "phaseChanges", "createdAt", "updatedAt"} {
		if _, ok := m[k]; !ok {
			t.Errorf("InitiativeState JSON has no %q: %s", k, b)
		}
	}
}

// TestEvolveCopyOnWrite proves Evolve leaves its input unchanged, also
// when two states are evolved from one (shared slices and maps).
func TestEvolveCopyOnWrite(t *testing.T) {
	w, states := fullHistory(t)
	steps := []struct {
		ref Ref
		e   Event
	}{
		{iref(ini1), MilestonePlanned{ini1, tid('K', 3), "Ny", "2027-01-01"}},
		{iref(ini1), MilestoneSlipped{ini1, ms2, "2026-12-01", "2027-03-01"}},
		{iref(ini1), MilestoneAchieved{ini1, ms2, "2026-11-01"}},
		{iref(ini1), InitiativePhaseChanged{ini1, PhasePlanning, PhaseExecution, case2, mEHR}},
		{iref(ini1), StatusReported{ini1, "2026-06-01", Red, Red, Red, Red, "Stopp", ""}},
		{iref(ini1), InitiativeCancelled{ini1, "x"}},
		{cref(case1), DecisionCorrected{case1, w.changes[len(w.changes)-1].Event.EventType(), "", EHR, mEHR, "r", "s"}},
		{cref(case2), CaseNoted{w.dec(case2, mEHR), "r"}},
		{cref(case2), CasePlacedOnAgenda{case2, mEHR2, EHR, "2/2026", dFuture, 2026, 3, "3/26", false}},
		{catRef, SubGoalDefined{"1C", "M1", "2023-2030", "x"}},
		{catRef, StrategicGoalDefined{"M3", "2023-2030", "x"}},
		{SeriesRef(EHR, 2026), CaseNumberAssigned{EHR, 2026, 3, "3/26", case1, mEHR}},
		{SeriesRef(EHR, 2026), MeetingNumberAssigned{EHR, 2026, 2, mEHR2}},
		{mref(mFuture), MeetingScheduled{mFuture, NUIT, dFuture, 2026, 3, "3/2026"}},
	}
	// a correction names a real decision
	cs := states[cref(case1)].(*CaseState)
	steps[6].e = DecisionCorrected{case1, cs.Decisions[0].EventID, cs.Decisions[0].Type, NUIT, mNUIT, "r", "s"}

	for _, st := range steps {
		s := states[st.ref]
		if s == nil {
			s = NewState(st.ref)
		}
		before := snapshot(t, map[Ref]State{st.ref: s})
		r := Recorded{ID: tid('E', 500), Version: s.StateVersion() + 1, Time: now, Event: st.e}
		a, err := Evolve(s, r)
		if err != nil {
			t.Fatalf("%s: %v", st.e.EventType(), err)
		}
		aJSON := snapshot(t, map[Ref]State{st.ref: a})
		// A second, different evolution of the same input must not show in the first.
		if _, err := Evolve(s, Recorded{ID: tid('E', 501), Version: s.StateVersion() + 1, Time: now.Add(time.Hour), Event: st.e}); err != nil {
			t.Fatal(err)
		}
		if after := snapshot(t, map[Ref]State{st.ref: s}); after != before {
			t.Errorf("Evolve(%s) modified its input:\nbefore %s\nafter  %s", st.e.EventType(), before, after)
		}
		if again := snapshot(t, map[Ref]State{st.ref: a}); again != aJSON {
			t.Errorf("Evolve(%s): a later Evolve of the same input changed the earlier result", st.e.EventType())
		}
		if reflect.ValueOf(a).Pointer() == reflect.ValueOf(s).Pointer() {
			t.Errorf("Evolve(%s) returned its input", st.e.EventType())
		}
	}
}

// TestEvolveSliceAliasing: two milestones planned from one state with
// spare slice capacity stay apart.
func TestEvolveSliceAliasing(t *testing.T) {
	_, states := fullHistory(t)
	base := states[iref(ini1)].(*InitiativeState)
	base2 := *base
	base2.Milestones = make([]Milestone, len(base.Milestones), len(base.Milestones)+8)
	copy(base2.Milestones, base.Milestones)
	r := func(id string) Recorded {
		return Recorded{Version: base.Version + 1, Event: MilestonePlanned{ini1, id, id, "2027-01-01"}}
	}
	a, _ := Evolve(&base2, r(tid('K', 7)))
	b, _ := Evolve(&base2, r(tid('K', 8)))
	am := a.(*InitiativeState).Milestones
	bm := b.(*InitiativeState).Milestones
	if am[len(am)-1].ID != tid('K', 7) || bm[len(bm)-1].ID != tid('K', 8) || len(base2.Milestones) != len(base.Milestones) {
		t.Fatalf("milestone slices alias: %v / %v", am[len(am)-1].ID, bm[len(bm)-1].ID)
	}
}

// TestConcurrentEvolveAndDecide shares one set of states between goroutines
// (run with -race).
func TestConcurrentEvolveAndDecide(t *testing.T) {
	_, states := fullHistory(t)
	cmd := ReportMilestone{InitiativeID: ini1, MilestoneID: tid('K', 9), Title: "x", Status: MilestonePlannedStatus, PlannedDate: "2027-01-01"}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			changes, err := Decide(cmd, states, now)
			if err != nil {
				t.Error(err)
				return
			}
			s := states[iref(ini1)]
			for j, ch := range changes {
				if s, err = Evolve(s, Recorded{ID: tid('E', 600+i), Version: s.StateVersion() + 1, Event: ch.Event}); err != nil {
					t.Error(err, j)
				}
			}
		}()
	}
	wg.Wait()
}

func TestTarget(t *testing.T) {
	s := Ref{Strategy, StrategyCatalogID}
	tests := []struct {
		cmd  Command
		want Ref
	}{
		{DefineStrategicGoal{}, s},
		{&DefineSubGoal{}, s},
		{&ProposeInitiative{InitiativeID: ini1}, iref(ini1)},
		{WithdrawInitiative{InitiativeID: ini1}, iref(ini1)},
		{ReportStatus{InitiativeID: ini1}, iref(ini1)},
		{ReportMilestone{InitiativeID: ini1, MilestoneID: ms1}, iref(ini1)},
		{PauseInitiative{InitiativeID: ini1}, iref(ini1)},
		{ResumeInitiative{InitiativeID: ini1}, iref(ini1)},
		{CloseInitiative{InitiativeID: ini1}, iref(ini1)},
		{CancelInitiative{InitiativeID: ini1}, iref(ini1)},
		{ScheduleMeeting{MeetingID: mNUIT}, mref(mNUIT)},
		{HoldMeeting{MeetingID: mNUIT}, mref(mNUIT)},
		{RegisterCase{CaseID: case1}, cref(case1)},
		{PlaceCaseOnAgenda{case1, mNUIT}, cref(case1)},
		{NoteCase{CaseID: case1, MeetingID: mNUIT}, cref(case1)},
		{DiscussCase{CaseID: case1, MeetingID: mNUIT}, cref(case1)},
		{RecommendInCouncil{CaseID: case1, MeetingID: mNUIT}, cref(case1)},
		{ApproveInCouncil{CaseID: case1, MeetingID: mNUIT}, cref(case1)},
		{RejectInCouncil{CaseID: case1, MeetingID: mNUIT}, cref(case1)},
		{DeferCase{CaseID: case1, MeetingID: mNUIT}, cref(case1)},
		{CorrectDecision{CaseID: case1}, cref(case1)},
		{DefineIndicator{IndicatorID: ini1}, Ref{Indicator, ini1}},
		{RecordIndicatorValue{IndicatorID: ini1}, Ref{Indicator, ini1}},
		{OpenReportingRound{RoundID: ini1}, Ref{Round, RoundsCatalogID}},
		{&CloseReportingRound{RoundID: ini1}, Ref{Round, RoundsCatalogID}},
		{DeclareDependency{DependencyID: ini1}, Ref{Dependency, ini1}},
		{RemoveDependency{DependencyID: ini1}, Ref{Dependency, ini1}},

		{&OpenConsultation{ConsultationID: cons1}, consRef(cons1)},
		{InviteToConsultation{ConsultationID: cons1}, consRef(cons1)},
		{RegisterConsultationResponse{ConsultationID: cons1}, consRef(cons1)},
		{PublishConsultationResponse{ConsultationID: cons1}, consRef(cons1)},
		{CloseConsultation{ConsultationID: cons1, ResultingCaseID: case1}, consRef(cons1)},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		if got := Target(tt.cmd); got != tt.want {
			t.Errorf("Target(%s) = %s, want %s", tt.cmd.CommandName(), got, tt.want)
		}
		covered[tt.cmd.CommandName()] = true
	}
	for _, name := range CommandNames {
		if !covered[name] {
			t.Errorf("no Target test for %s", name)
		}
		c, _ := NewCommand(name)
		if Target(c).Type == "" {
			t.Errorf("Target(%s) has no aggregate type", name)
		}
	}
}

func TestNeeds(t *testing.T) {
	w := given().catalogue().meetingsHeld().proposed(ini1, "").
		register(case1, NUIT, CaseApproval, PurposeAdmission, ini1, "").
		register(case2, NUIT, CaseApproval, PurposeOther, "", "")
	all := fold(t, w.changes)
	only := func(refs ...Ref) map[Ref]State {
		m := map[Ref]State{}
		for _, r := range refs {
			m[r] = all[r]
		}
		return m
	}
	none := map[Ref]State{}
	tests := []struct {
		name string
		cmd  Command
		have map[Ref]State
		want []Ref
	}{
		{"a proposal needs the catalogue", &ProposeInitiative{InitiativeID: ini2}, none, []Ref{iref(ini2), catRef}},
		{"a strategy command needs the catalogue", DefineSubGoal{}, none, []Ref{catRef}},
		{"a status report needs the initiative", ReportStatus{InitiativeID: ini1}, none, []Ref{iref(ini1)}},
		{"scheduling needs the series of the command's forum and year", ScheduleMeeting{MeetingID: mFuture, Forum: EHR, Date: "2027-05-05"}, none,
			[]Ref{mref(mFuture), SeriesRef(EHR, 2027)}},
		{"scheduling with a bad date needs no series", ScheduleMeeting{MeetingID: mFuture, Forum: EHR, Date: "x"}, none, []Ref{mref(mFuture)}},
		{"holding needs the meeting", HoldMeeting{mNUIT}, none, []Ref{mref(mNUIT)}},
		{"a case needs its initiative", RegisterCase{CaseID: case1, InitiativeID: ini1}, none, []Ref{cref(case1), iref(ini1)}},
		{"a case without initiative", RegisterCase{CaseID: case1}, none, []Ref{cref(case1)}},
		{"placing needs case and meeting first", PlaceCaseOnAgenda{case1, mNUIT}, none, []Ref{cref(case1), mref(mNUIT)}},
		{"placing then needs the meeting's series", PlaceCaseOnAgenda{case1, mNUIT}, only(cref(case1), mref(mNUIT)),
			[]Ref{cref(case1), mref(mNUIT), SeriesRef(NUIT, 2026)}},
		{"placing on an unknown meeting needs no series", PlaceCaseOnAgenda{case1, mFuture}, map[Ref]State{mref(mFuture): NewState(mref(mFuture))},
			[]Ref{cref(case1), mref(mFuture)}},
		{"a note needs case and meeting", NoteCase{CaseID: case1, MeetingID: mNUIT}, all, []Ref{cref(case1), mref(mNUIT)}},
		{"an approval needs case and meeting first", ApproveInCouncil{CaseID: case1, MeetingID: mEHR}, none, []Ref{cref(case1), mref(mEHR)}},
		{"an approval of an admission case then needs the initiative", ApproveInCouncil{CaseID: case1, MeetingID: mEHR}, only(cref(case1)),
			[]Ref{cref(case1), mref(mEHR), iref(ini1)}},
		{"a rejection of an admission case then needs the initiative", &RejectInCouncil{CaseID: case1, MeetingID: mEHR}, only(cref(case1)),
			[]Ref{cref(case1), mref(mEHR), iref(ini1)}},
		{"an approval of a case without initiative needs no more", ApproveInCouncil{CaseID: case2, MeetingID: mEHR}, all,
			[]Ref{cref(case2), mref(mEHR)}},
		{"a correction needs the case", CorrectDecision{CaseID: case1}, none, []Ref{cref(case1)}},
	}
	for _, tt := range tests {
		if got := Needs(tt.cmd, tt.have); !slices.Equal(got, tt.want) {
			t.Errorf("%s: Needs = %v, want %v", tt.name, got, tt.want)
		}
	}
	if got := Needs(nil, none); got != nil {
		t.Errorf("Needs(nil) = %v", got)
	}
}

func TestDecideNeedsLoadedStates(t *testing.T) {
	_, err := Decide(HoldMeeting{mNUIT}, map[Ref]State{}, now)
	if !IsKind(err, KindInternal) {
		t.Fatalf("Decide without states: %v, want internal", err)
	}
	_, err = Decide(HoldMeeting{mNUIT}, map[Ref]State{mref(mNUIT): NewState(cref(mNUIT))}, now)
	if !IsKind(err, KindInternal) {
		t.Fatalf("Decide with a state of the wrong type: %v, want internal", err)
	}
	_, err = Decide(&ProposeInitiative{Title: "x", Description: "x", Owner: "x", PrimarySubGoal: "1A", PlannedStart: "2026-01-01", PlannedEnd: "2026-01-01"},
		map[Ref]State{iref(""): NewState(iref("")), catRef: NewState(catRef)}, now)
	if !IsKind(err, KindInternal) || !strings.Contains(err.Error(), "AssignID") {
		t.Fatalf("Decide of a creator without id: %v, want internal", err)
	}
	_, err = Decide(nil, nil, now)
	if !IsKind(err, KindInvalid) {
		t.Fatalf("Decide(nil): %v", err)
	}
}

func TestNewState(t *testing.T) {
	for _, at := range AggregateTypes {
		s := NewState(Ref{at, "x"})
		if s == nil || s.StateVersion() != 0 || s.StateRef() != (Ref{at, "x"}) {
			t.Errorf("NewState(%s) = %#v", at, s)
		}
	}
	if s := NewState(SeriesRef(NUIT, 2026)).(*SeriesState); s.Forum != NUIT || s.Year != 2026 {
		t.Errorf("series state %+v", s)
	}
	if s := NewState(Ref{"nothing", "x"}); s != nil {
		t.Errorf("NewState of an unknown type = %v", s)
	}
	for _, et := range EventTypes() {
		if _, ok := AggregateOf(et); !ok {
			t.Errorf("event %s has no aggregate", et)
		}
	}
}
