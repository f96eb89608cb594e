package domain

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"reflect"
	"strings"
	"testing"
	"time"
)

// snapRoundTrip is DecodeState(EncodeState(s)).
func snapRoundTrip(t *testing.T, s State) State {
	t.Helper()
	data, err := EncodeState(s)
	if err != nil {
		t.Fatalf("encode %s: %v", s.StateRef(), err)
	}
	got, err := DecodeState(s.StateRef(), data)
	if err != nil {
		t.Fatalf("decode %s: %v\n%s", s.StateRef(), err, data)
	}
	return got
}

// snapSim runs commands through Needs, Decide and Evolve as the command
// service does and, before folding every event, checks the snapshot
// property on the state it folds into: the round-tripped state equals it,
// and folding the event into either gives equal states.
type snapSim struct {
	t        *testing.T
	r        *rand.Rand
	states   map[Ref]State
	now      time.Time
	events   int
	checked  map[AggregateType]int
	accepted map[string]int
}

func (s *snapSim) exec(cmd Command) ([]Change, error) {
	for {
		added := false
		for _, r := range Needs(cmd, s.states) {
			if _, ok := s.states[r]; !ok {
				s.states[r] = NewState(r)
				added = true
			}
		}
		if !added {
			break
		}
	}
	changes, err := Decide(cmd, s.states, s.now)
	if err != nil {
		return nil, err
	}
	for _, ch := range changes {
		s.record(ch.Ref, ch.Event)
	}
	s.accepted[cmd.CommandName()]++
	// Odd nanoseconds, so the times' full precision must survive.
	s.now = s.now.Add(6*time.Hour + 7*time.Minute + time.Duration(s.r.Intn(1_000_000_000)))
	return changes, nil
}

// record folds one event into ref's state, checking the snapshot property.
func (s *snapSim) record(ref Ref, ev Event) {
	st := s.states[ref]
	s.events++
	rec := Recorded{ID: eventID(s.events), Version: st.StateVersion() + 1, Position: uint64(s.events),
		Time: s.now, Actor: "sekretariat", Event: ev}
	next, err := Evolve(st, rec)
	if err != nil {
		s.t.Fatalf("evolve %s: %v", ev.EventType(), err)
	}
	back := snapRoundTrip(s.t, st)
	if !reflect.DeepEqual(back, st) {
		s.t.Fatalf("%s at version %d does not survive a round trip:\n got %#v\nwant %#v", ref, st.StateVersion(), back, st)
	}
	next2, err := Evolve(back, rec)
	if err != nil {
		s.t.Fatalf("evolve the round-tripped %s with %s: %v", ref, ev.EventType(), err)
	}
	if !reflect.DeepEqual(next2, next) {
		s.t.Fatalf("%s: %s folds differently into the round-tripped state:\n got %#v\nwant %#v", ref, ev.EventType(), next2, next)
	}
	if back2 := snapRoundTrip(s.t, next); !reflect.DeepEqual(back2, next) {
		s.t.Fatalf("%s at version %d does not survive a round trip", ref, next.StateVersion())
	}
	s.checked[ref.Type]++
	s.states[ref] = next
}

// snapHistory runs a strategy preamble and n random commands, chosen with
// a look at the states so that most are accepted and every event type
// occurs (after projections/sim_test.go's randomHistory).
func snapHistory(t *testing.T, seed int64, n int) *snapSim {
	r := rand.New(rand.NewSource(seed))
	s := &snapSim{t: t, r: r, states: map[Ref]State{}, now: now.Add(time.Duration(r.Intn(1e9))),
		checked: map[AggregateType]int{}, accepted: map[string]int{}}
	must := func(c Command) {
		t.Helper()
		if _, err := s.exec(c); err != nil {
			t.Fatalf("%s: %v", c.CommandName(), err)
		}
	}
	for _, g := range []string{"M1", "M2", "M3"} {
		must(DefineStrategicGoal{GoalID: g, Strategy: "2023-2030", Title: "Mål " + g + " æøå"})
	}
	subs := []string{"1A", "1B", "2A", "3A"}
	for _, sg := range subs {
		must(DefineSubGoal{SubGoalID: sg, GoalID: "M" + sg[:1], Title: "Delmål " + sg + ` "<&>"`})
	}
	id := func(kind string, i int) string { return fmt.Sprintf("01JD%s%021d", kind, i) }
	owners := []string{"Helse Sør-Øst RHF", "Helse Vest RHF", "KS", "Norsk helsenett SF"}
	groups := []string{"fastleger", "kommuner", "helseforetak", "innbyggere", "Pårørende"}
	forums := []Forum{NUFA, NUIT, NUIT, EHR, EHR}
	rags := []RAG{Green, Yellow, Red}
	day := 0
	date := func() Date { day++; return DateOf(now.AddDate(0, 0, day)) }
	var inis, mtgs, cases []string
	milestones := map[string][]string{}
	msCount := 0
	decisionIDs := map[string][]string{}
	one := func(xs []string) string {
		if len(xs) == 0 {
			return "01JDX000000000000000000000"
		}
		return xs[r.Intn(len(xs))]
	}
	iniState := func(id string) *InitiativeState {
		st, _ := s.states[Ref{Initiative, id}].(*InitiativeState)
		return st
	}
	meetingState := func(id string) *MeetingState {
		st, _ := s.states[Ref{Meeting, id}].(*MeetingState)
		return st
	}
	openMeeting := func(f Forum) string {
		var open []string
		for _, m := range mtgs {
			if st := meetingState(m); st != nil && !st.Held && (f == "" || st.Forum == f) {
				open = append(open, m)
			}
		}
		return one(open)
	}
	holdable := func() string {
		var ok []string
		for _, m := range mtgs {
			if st := meetingState(m); st != nil && !st.Held && st.Date <= DateOf(s.now) {
				ok = append(ok, m)
			}
		}
		return one(ok)
	}
	for range n {
		ini := one(inis)
		var admitted []string
		for _, x := range inis {
			if st := iniState(x); st != nil && (st.Lifecycle == LifecycleInPortfolio || st.Lifecycle == LifecyclePaused) {
				admitted = append(admitted, x)
			}
		}
		if len(admitted) > 0 && r.Intn(3) != 0 {
			ini = one(admitted)
		}
		var live []string
		for _, c := range cases {
			if st, ok := s.states[Ref{Case, c}].(*CaseState); ok && !st.Approved && !st.Rejected {
				live = append(live, c)
			}
		}
		cs := one(cases)
		if len(live) > 0 && r.Intn(5) != 0 {
			cs = one(live)
		}
		decisionMeeting := one(mtgs)
		var cst *CaseState
		if c, ok := s.states[Ref{Case, cs}].(*CaseState); ok {
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
		var cmd Command
		switch r.Intn(28) {
		case 0:
			if len(inis) >= 14 {
				continue
			}
			ini = id("N", len(inis))
			sgs := []string{}
			if r.Intn(2) == 0 {
				sgs = append(sgs, subs[r.Intn(len(subs))])
			}
			pc := ProposeInitiative{InitiativeID: ini, Title: "Tiltak " + ini[len(ini)-2:], Description: "Beskrivelse med æ, ø og å",
				Owner: owners[r.Intn(len(owners))], PrimarySubGoal: subs[r.Intn(len(subs))], SubGoals: sgs,
				UserGroups: []string{groups[r.Intn(len(groups))]}, PlannedStart: "2026-01-01", PlannedEnd: "2028-12-31",
				Phase: []Phase{"", PhaseConcept, PhasePlanning}[r.Intn(3)]}
			if r.Intn(2) == 0 {
				pc.EstimatedCostNOK = i64(int64(r.Intn(3)) * 1_000_000) // 0 too: a pointer to zero
			}
			if _, err := s.exec(pc); err == nil {
				inis = append(inis, ini)
			}
			continue
		case 1:
			if r.Intn(5) != 0 {
				continue
			}
			cmd = WithdrawInitiative{InitiativeID: ini, Reason: "trukket"}
		case 2, 3:
			cmd = ReportStatus{InitiativeID: ini, ReportDate: date(), Overall: rags[r.Intn(3)], Schedule: rags[r.Intn(3)],
				Cost: rags[r.Intn(3)], Benefit: rags[r.Intn(3)], Comment: []string{"", "kommentar"}[r.Intn(2)]}
		case 4:
			msCount++
			ms := id("K", msCount)
			c := ReportMilestone{InitiativeID: ini, MilestoneID: ms, Title: "Milepæl " + ms, Status: MilestonePlannedStatus, PlannedDate: date()}
			if _, err := s.exec(c); err == nil {
				milestones[ini] = append(milestones[ini], ms)
			}
			continue
		case 5:
			if len(milestones[ini]) == 0 {
				continue
			}
			ms := milestones[ini][r.Intn(len(milestones[ini]))]
			if r.Intn(2) == 0 {
				cmd = ReportMilestone{InitiativeID: ini, MilestoneID: ms, Status: MilestoneAchievedStatus, AchievedDate: date()}
			} else {
				cmd = ReportMilestone{InitiativeID: ini, MilestoneID: ms, Status: MilestoneSlippedStatus, NewPlannedDate: date()}
			}
		case 6:
			cmd = PauseInitiative{InitiativeID: ini, Reason: "pause"}
		case 7:
			cmd = ResumeInitiative{InitiativeID: ini, Reason: "videre"}
		case 8:
			if r.Intn(4) != 0 {
				continue
			}
			if r.Intn(2) == 0 {
				cmd = CloseInitiative{InitiativeID: ini, FinalReport: "sluttrapport"}
			} else {
				cmd = CancelInitiative{InitiativeID: ini, Reason: "avbrutt"}
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
			if _, err := s.exec(ScheduleMeeting{MeetingID: m, Forum: forums[r.Intn(len(forums))], Date: DateOf(s.now.AddDate(0, 0, r.Intn(4)))}); err == nil {
				mtgs = append(mtgs, m)
			}
			continue
		case 11:
			cmd = HoldMeeting{MeetingID: holdable()}
		case 12, 13:
			if len(live) >= 6 {
				continue
			}
			c := id("C", len(cases))
			rc := RegisterCase{CaseID: c, Forum: NUIT, Title: "Sak om " + ini[len(ini)-2:],
				CaseType: CaseApproval, ProposedResolution: "Forslag til vedtak", ArchiveRef: []string{"", "22/414-1"}[r.Intn(2)]}
			st := iniState(ini)
			switch {
			case st != nil && st.Lifecycle == LifecycleProposed:
				rc.Purpose, rc.InitiativeID = PurposeAdmission, ini
			case st != nil && st.Lifecycle == LifecycleInPortfolio && st.Phase.Index() >= 0 && st.Phase.Index() < 3:
				rc.Purpose, rc.InitiativeID, rc.TargetPhase = PurposePhaseGate, ini, Phases[st.Phase.Index()+1]
			default:
				rc.Purpose = []Purpose{PurposePrioritisation, PurposeOther}[r.Intn(2)]
				rc.CaseType = []CaseType{CaseDiscussion, CaseInformation}[r.Intn(2)]
				rc.Forum = forums[r.Intn(len(forums))]
			}
			if _, err := s.exec(rc); err == nil {
				cases = append(cases, c)
			}
			continue
		case 14, 15, 16:
			f := Forum("")
			if cst != nil {
				f = cst.Forum
				if cst.NUITRecommended {
					f = EHR
				}
			}
			cmd = PlaceCaseOnAgenda{CaseID: cs, MeetingID: openMeeting(f)}
		case 17:
			if r.Intn(2) == 0 {
				cmd = NoteCase{CaseID: cs, MeetingID: decisionMeeting, Remarks: "notert"}
			} else {
				cmd = DiscussCase{CaseID: cs, MeetingID: decisionMeeting}
			}
		case 18, 19:
			rc := RecommendInCouncil{CaseID: cs, MeetingID: decisionMeeting, Resolution: "anbefalt"}
			if r.Intn(3) == 0 {
				rc.Conditions = "med vilkår"
			}
			cmd = rc
		case 20, 21:
			cmd = ApproveInCouncil{CaseID: cs, MeetingID: decisionMeeting, Resolution: "godkjent"}
		case 22:
			if r.Intn(2) == 0 {
				cmd = RejectInCouncil{CaseID: cs, MeetingID: decisionMeeting, Resolution: "avvist"}
			} else {
				cmd = DeferCase{CaseID: cs, MeetingID: decisionMeeting, Reason: "utsatt"}
			}
		case 23:
			ds := decisionIDs[cs]
			if len(ds) == 0 || r.Intn(3) != 0 {
				continue
			}
			cmd = CorrectDecision{CaseID: cs, CorrectsEventID: ds[r.Intn(len(ds))], Reason: "feil", Resolution: "rettet"}
		case 24:
			ind := id("X", r.Intn(3))
			if r.Intn(3) == 0 {
				cmd = DefineIndicator{IndicatorID: ind, GoalID: "M1", Name: "Indikator", Unit: "prosent", Direction: Increase,
					Baseline: Measure{10, "2023-12-31"}, Target: Measure{90, "2030-12-31"}}
			} else {
				v := RecordIndicatorValue{IndicatorID: ind, Period: []string{"2026", "2026-H1", "2027-Q3"}[r.Intn(3)], Value: float64(r.Intn(100))}
				if r.Intn(2) == 0 {
					v.Correction = &Correction{Reason: "rettet"}
				}
				cmd = v
			}
		case 25:
			rs, _ := s.states[Ref{Round, RoundsCatalogID}].(*RoundsState)
			if rs != nil && rs.OpenRoundID != "" {
				cmd = CloseReportingRound{RoundID: rs.OpenRoundID}
			} else {
				k := 0
				if rs != nil {
					k = len(rs.Rounds)
				}
				cmd = OpenReportingRound{RoundID: id("R", k), Label: fmt.Sprintf("R%d", k), PeriodEnd: date(), Deadline: date()}
			}
		case 26:
			if rs, _ := s.states[Ref{Round, RoundsCatalogID}].(*RoundsState); rs != nil && rs.OpenRoundID != "" {
				cmd = ReportStatus{InitiativeID: ini, ReportDate: date(), Overall: Green, Schedule: Green, Cost: Green, Benefit: Green,
					RoundID: rs.OpenRoundID}
			}
		case 27:
			dep := id("D", r.Intn(4))
			if st, ok := s.states[Ref{Dependency, dep}].(*DependencyState); ok && st.Version > 0 {
				if ev := AssessDependency(st, iniState(st.DependsOn), eventID(s.events), "MilestoneSlipped"); ev != nil && r.Intn(2) == 0 {
					cmd = nil
					s.record(Ref{Dependency, dep}, ev)
					continue
				}
				cmd = RemoveDependency{DependencyID: dep, Reason: "fjernet"}
			} else {
				dc := DeclareDependency{DependencyID: dep, InitiativeID: ini, DependsOn: one(inis), NeededBy: date(), Description: "trenger"}
				if ms := milestones[dc.DependsOn]; len(ms) > 0 {
					dc.MilestoneID = ms[0]
				}
				cmd = dc
			}
		}
		if cmd == nil {
			continue
		}
		first := s.events + 1
		changes, err := s.exec(cmd)
		if err != nil {
			continue
		}
		for i, ch := range changes {
			if _, _, ok := DecisionOf(ch.Event); ok {
				decisionIDs[ch.Ref.ID] = append(decisionIDs[ch.Ref.ID], eventID(first+i))
			}
		}
	}
	snapConsultation(s, id("H", 1), id("R", 1), id("R", 2))
	return s
}

// snapConsultation runs one consultation through every event: opened,
// bodies invited, a response replaced, one published, closed.
func snapConsultation(s *snapSim, cid, r1, r2 string) {
	s.t.Helper()
	opened := DateOf(s.now.AddDate(0, 0, -30))
	for _, c := range []Command{
		OpenConsultation{ConsultationID: cid, Title: "Høring æøå", Description: "Forslag", Questions: []string{"Enig?", "Merknader?"},
			InvitedBodies: []string{"KS", "Helse Vest RHF"}, OpenedDate: opened, Deadline: DateOf(s.now.AddDate(0, 0, -2))},
		InviteToConsultation{ConsultationID: cid, Bodies: []string{"ks", "Sametinget"}},
		RegisterConsultationResponse{ConsultationID: cid, ResponseID: r1, Organisation: "KS", ReceivedDate: opened,
			Answers: []Answer{{Question: 1, Text: "Ja"}}},
		RegisterConsultationResponse{ConsultationID: cid, ResponseID: r2, Organisation: " ks ", ReceivedDate: DateOf(s.now),
			Answers: []Answer{{Question: 2, Text: "Sent"}}, Replaces: true, ContactSealed: "v1.abc"},
		PublishConsultationResponse{ConsultationID: cid, ResponseID: r2},
		CloseConsultation{ConsultationID: cid, Summary: "Oppsummert"},
	} {
		if _, err := s.exec(c); err != nil {
			s.t.Fatalf("%s: %v", c.CommandName(), err)
		}
	}
}

// TestStateSnapshotRandomHistories: for random valid histories, every
// state before every event survives EncodeState/DecodeState, and folding
// the event into the restored state gives the same state.
func TestStateSnapshotRandomHistories(t *testing.T) {
	seeds, n := 12, 600
	if testing.Short() {
		seeds, n = 3, 300
	}
	total := map[AggregateType]int{}
	accepted := map[string]int{}
	for seed := range seeds {
		s := snapHistory(t, int64(seed)+1, n)
		for k, v := range s.checked {
			total[k] += v
		}
		for k, v := range s.accepted {
			accepted[k] += v
		}
		// The final states too, with their JSON unchanged by the trip.
		for ref, st := range s.states {
			back := snapRoundTrip(t, st)
			if !reflect.DeepEqual(back, st) {
				t.Fatalf("seed %d: %s does not survive a round trip", seed, ref)
			}
			a, _ := json.Marshal(st)
			b, _ := json.Marshal(back)
			if string(a) != string(b) {
				t.Fatalf("seed %d: %s: the state's JSON changed:\n%s\n%s", seed, ref, a, b)
			}
		}
	}
	for _, at := range AggregateTypes {
		if total[at] == 0 {
			t.Errorf("no %s event was checked", at)
		}
	}
	// The generator must reach every command, or the property says little.
	for _, c := range []string{"ProposeInitiative", "ReportStatus", "ReportMilestone", "PauseInitiative", "ResumeInitiative",
		"ScheduleMeeting", "HoldMeeting", "RegisterCase", "PlaceCaseOnAgenda", "RecommendInCouncil", "ApproveInCouncil",
		"CorrectDecision"} {
		if accepted[c] == 0 {
			t.Errorf("the random histories accepted no %s (accepted: %v)", c, accepted)
		}
	}
}

// TestStateSnapshotEveryField fills every field of every state type with
// random values (nil, empty and filled slices, maps and pointers, UTC
// times with nanoseconds) and checks the round trip, so that a field the
// histories never set cannot be lost.
func TestStateSnapshotEveryField(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	for _, empty := range []State{&StrategyState{ID: StrategyCatalogID}, &InitiativeState{}, &MeetingState{},
		&CaseState{}, &SeriesState{}, &IndicatorState{}, &RoundsState{ID: RoundsCatalogID}, &DependencyState{},
		&ConsultationState{}} {
		typ := reflect.TypeOf(empty).Elem()
		for i := range 200 {
			v := reflect.New(typ)
			snapFill(r, v.Elem(), 0)
			st := v.Interface().(State)
			back := snapRoundTrip(t, st)
			if !reflect.DeepEqual(back, st) {
				t.Fatalf("%s #%d does not survive a round trip:\n got %#v\nwant %#v", typ, i, back, st)
			}
		}
	}
}

var timeType = reflect.TypeFor[time.Time]()

// snapFill sets v to a random value.
func snapFill(r *rand.Rand, v reflect.Value, depth int) {
	if v.Type() == timeType {
		switch r.Intn(4) {
		case 0: // zero
		default:
			v.Set(reflect.ValueOf(time.Unix(r.Int63n(4e9), r.Int63n(1e9)).UTC()))
		}
		return
	}
	switch v.Kind() {
	case reflect.String:
		words := []string{"", "a", "Pårørende æøå", `"quoted" <tag> & \back`, "\u2028\t\n", "🙂", "15/26"}
		v.SetString(words[r.Intn(len(words))])
	case reflect.Bool:
		v.SetBool(r.Intn(2) == 0)
	case reflect.Int, reflect.Int64:
		v.SetInt(r.Int63() - r.Int63())
	case reflect.Uint64:
		v.SetUint(r.Uint64())
	case reflect.Float64:
		v.SetFloat(r.NormFloat64() * 1000)
	case reflect.Pointer:
		if r.Intn(3) != 0 {
			p := reflect.New(v.Type().Elem())
			snapFill(r, p.Elem(), depth+1)
			v.Set(p)
		}
	case reflect.Slice:
		switch k := r.Intn(4); k {
		case 0: // nil
		default:
			n := k - 1 + r.Intn(2)
			s := reflect.MakeSlice(v.Type(), n, n)
			for i := range n {
				snapFill(r, s.Index(i), depth+1)
			}
			v.Set(s)
		}
	case reflect.Map:
		switch k := r.Intn(4); k {
		case 0: // nil
		default:
			m := reflect.MakeMap(v.Type())
			for range k - 1 {
				key := reflect.New(v.Type().Key()).Elem()
				snapFill(r, key, depth+1)
				val := reflect.New(v.Type().Elem()).Elem()
				snapFill(r, val, depth+1)
				m.SetMapIndex(key, val)
			}
			v.Set(m)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			snapFill(r, v.Field(i), depth+1)
		}
	default:
		panic(fmt.Sprintf("snapFill: no case for %s", v.Type()))
	}
}

// TestStateSnapshotFieldsHaveJSONNames: every field of the state types,
// nested ones too, is exported and has a JSON name, so JSON carries it.
func TestStateSnapshotFieldsHaveJSONNames(t *testing.T) {
	seen := map[reflect.Type]bool{}
	var walk func(t reflect.Type, path string)
	walk = func(typ reflect.Type, path string) {
		switch typ.Kind() {
		case reflect.Pointer, reflect.Slice:
			walk(typ.Elem(), path+"[]")
		case reflect.Map:
			walk(typ.Elem(), path+"{}")
		case reflect.Struct:
			if typ == timeType || seen[typ] {
				return
			}
			seen[typ] = true
			for i := range typ.NumField() {
				f := typ.Field(i)
				name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
				if !f.IsExported() || name == "" || name == "-" {
					t.Errorf("%s.%s (%s): a snapshot needs an exported field with a JSON name", path, f.Name, typ)
				}
				walk(f.Type, path+"."+f.Name)
			}
		}
	}
	for _, s := range []State{&StrategyState{}, &InitiativeState{}, &MeetingState{}, &CaseState{}, &SeriesState{}, &IndicatorState{}, &RoundsState{ID: RoundsCatalogID}, &DependencyState{}} {
		walk(reflect.TypeOf(s).Elem(), reflect.TypeOf(s).Elem().Name())
	}
}

func TestDecodeStateRefuses(t *testing.T) {
	_, states := fullHistory(t)
	ini := states[iref(ini1)]
	data, err := EncodeState(ini)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"schema":"`+StateSchema+`"`) {
		t.Fatalf("no schema in %s", data)
	}

	var env map[string]any
	if err := json.Unmarshal(data, &env); err != nil {
		t.Fatal(err)
	}
	with := func(k string, v any) []byte {
		m := map[string]any{}
		for k, v := range env {
			m[k] = v
		}
		m[k] = v
		b, _ := json.Marshal(m)
		return b
	}
	// Another schema: ErrStateSchema.
	for _, schema := range []any{"0.000000000000", "2." + StateSchema[2:], "", 1, nil} {
		_, err := DecodeState(iref(ini1), with("schema", schema))
		if !errors.Is(err, ErrStateSchema) {
			t.Errorf("schema %v: %v, want ErrStateSchema", schema, err)
		}
	}
	// Another aggregate, a mismatched state, garbage.
	for name, c := range map[string]struct {
		ref  Ref
		data []byte
	}{
		"other id":         {iref("01JD000000000000000000000X"), data},
		"other type":       {Ref{Case, ini1}, data},
		"unknown type":     {Ref{"widget", ini1}, with("type", "widget")},
		"state of another": {iref(ini1), with("state", map[string]any{"id": "01JD000000000000000000000X", "version": 3})},
		"unknown field":    {iref(ini1), with("state", map[string]any{"id": ini1, "version": 3, "shinyNewField": 1})},
		"wrong type":       {iref(ini1), with("state", map[string]any{"id": ini1, "version": "three"})},
		"not json":         {iref(ini1), []byte("{")},
		"empty":            {iref(ini1), nil},
	} {
		if st, err := DecodeState(c.ref, c.data); err == nil {
			t.Errorf("%s: decoded %#v", name, st)
		}
	}
	// EncodeState refuses what is not a state.
	var nilIni *InitiativeState
	for _, s := range []State{nil, nilIni, fakeState{}} {
		if _, err := EncodeState(s); err == nil {
			t.Errorf("EncodeState(%#v) succeeded", s)
		}
	}
}

type fakeState struct{}

func (fakeState) StateRef() Ref        { return Ref{Initiative, "x"} }
func (fakeState) StateVersion() uint64 { return 1 }

// TestStateSchemaShape: the schema names the hand-kept version and a
// fingerprint that a change to a state type's fields changes.
func TestStateSchemaShape(t *testing.T) {
	if !strings.HasPrefix(StateSchema, fmt.Sprint(stateSchemaVersion)+".") || len(StateSchema) < 10 {
		t.Fatalf("StateSchema %q", StateSchema)
	}
	if first, second := stateShape(), stateShape(); first != second {
		t.Fatal("the shape fingerprint is not deterministic")
	}
}
