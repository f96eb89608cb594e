package domain

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"testing"
)

// pathWorld is an in-memory log of states: commands go through Needs,
// Decide and Evolve as in the command path.
type pathWorld struct {
	states  map[Ref]State
	events  int
	meeting int // meetings scheduled, for their ids
}

func (w *pathWorld) clone() *pathWorld {
	c := *w
	c.states = maps.Clone(w.states) // states are copy-on-write
	return &c
}

func (w *pathWorld) state(ref Ref) State {
	if s, ok := w.states[ref]; ok {
		return s
	}
	return NewState(ref)
}

// exec decides cmd and folds its events; a refusal leaves w as it was.
func (w *pathWorld) exec(t testing.TB, cmd Command) error {
	t.Helper()
	have := map[Ref]State{}
	for range 8 {
		added := false
		for _, r := range Needs(cmd, have) {
			if _, ok := have[r]; !ok {
				have[r], added = w.state(r), true
			}
		}
		if !added {
			break
		}
	}
	changes, err := Decide(cmd, have, now)
	if err != nil {
		if k := ErrorKind(err); k != KindRuleViolated && k != KindNotFound {
			t.Fatalf("%s: %v", cmd.CommandName(), err)
		}
		return err
	}
	for _, ch := range changes {
		w.events++
		s := w.state(ch.Ref)
		next, err := Evolve(s, Recorded{ID: tid('E', w.events), Version: s.StateVersion() + 1, Time: now, Event: ch.Event})
		if err != nil {
			t.Fatalf("%s: evolve %s: %v", cmd.CommandName(), ch.Ref, err)
		}
		w.states[ch.Ref] = next
	}
	return nil
}

// newMeeting schedules a meeting of forum f on today's date, so that it
// may be held.
func (w *pathWorld) newMeeting(t testing.TB, f Forum) string {
	t.Helper()
	w.meeting++
	id := tid('M', 100+w.meeting)
	if err := w.exec(t, ScheduleMeeting{MeetingID: id, Forum: f, Date: DateOf(now)}); err != nil {
		t.Fatalf("schedule: %v", err)
	}
	return id
}

func (w *pathWorld) caseState() *CaseState { return w.state(cref(case1)).(*CaseState) }

// macro takes the case to a new meeting of forum f, holds it and records
// the outcome there. It reports whether every step was accepted.
func (w *pathWorld) macro(t testing.TB, f Forum, o Outcome) bool {
	m := w.newMeeting(t, f)
	if w.exec(t, PlaceCaseOnAgenda{case1, m}) != nil || w.exec(t, HoldMeeting{m}) != nil {
		return false
	}
	return w.exec(t, decision(case1, m, o)) == nil
}

func decision(caseID, meetingID string, o Outcome) Command {
	switch o {
	case OutcomeNoted:
		return NoteCase{caseID, meetingID, "notert"}
	case OutcomeDiscussed:
		return DiscussCase{caseID, meetingID, "drøftet"}
	case OutcomeRecommended:
		return RecommendInCouncil{caseID, meetingID, "anbefalt", ""}
	case OutcomeApproved:
		return ApproveInCouncil{caseID, meetingID, "godkjent"}
	case OutcomeRejected:
		return RejectInCouncil{caseID, meetingID, "avvist"}
	}
	return DeferCase{caseID, meetingID, "utsatt"}
}

type step struct {
	forum   Forum
	outcome Outcome
}

// finishers are the steps the search for a final decision tries. The
// search is sound with any set: it only ever reports a path it took.
var finishers = []step{
	{NUFA, OutcomeRecommended}, {NUIT, OutcomeRecommended}, {EHR, OutcomeApproved}, {EHR, OutcomeRejected},
}

// reaches reports whether, within depth steps from w, the case reaches a
// state final reports, and the path.
func reaches(t testing.TB, w *pathWorld, depth int, final func(*CaseState) bool) ([]step, bool) {
	if final(w.caseState()) {
		return nil, true
	}
	if depth == 0 {
		return nil, false
	}
	for _, s := range finishers {
		next := w.clone()
		if !next.macro(t, s.forum, s.outcome) {
			continue
		}
		if path, ok := reaches(t, next, depth-1, final); ok {
			return append([]step{s}, path...), true
		}
	}
	return nil, false
}

// TestCasePathHasNoDeadEnd walks random command sequences over one case
// and its meetings, and checks in every state it reaches that a final
// decision is still reachable: EHR's approval for an approval case (the
// decision a dead end used to block) until the case is finally decided,
// and EHR's approval or rejection for every case.
func TestCasePathHasNoDeadEnd(t *testing.T) {
	const walks, steps = 400, 20
	forums := []Forum{NUFA, NUIT, EHR}
	outcomes := []Outcome{OutcomeNoted, OutcomeDiscussed, OutcomeRecommended, OutcomeApproved, OutcomeRejected, OutcomeDeferred}
	types := []CaseType{CaseApproval, CaseApproval, CaseDiscussion, CaseInformation}
	approved := func(cs *CaseState) bool { return cs.Approved }
	final := func(cs *CaseState) bool { return cs.Final() }
	var checked, sentBack, ehrDeferred, unrecommendedAtEHR int
	for walk := range walks {
		r := rand.New(rand.NewPCG(uint64(walk), 10))
		w := &pathWorld{states: map[Ref]State{}}
		ct := types[r.IntN(len(types))]
		if err := w.exec(t, RegisterCase{CaseID: case1, Forum: forums[r.IntN(3)], Title: "Sak", CaseType: ct,
			Purpose: PurposeOther, ProposedResolution: "Tilslutning"}); err != nil {
			t.Fatal(err)
		}
		var meetings []string
		var trace []string
		for range steps {
			var cmd Command
			switch k := r.IntN(10); {
			case k < 2 || len(meetings) == 0:
				id := w.newMeeting(t, forums[r.IntN(3)])
				meetings = append(meetings, id)
				trace = append(trace, "schedule "+string(w.state(mref(id)).(*MeetingState).Forum))
				continue
			case k < 3:
				cmd = HoldMeeting{meetings[r.IntN(len(meetings))]}
			case k < 6:
				cmd = PlaceCaseOnAgenda{case1, meetings[r.IntN(len(meetings))]}
			default:
				// a decision at a meeting the case is on, mostly
				m := meetings[r.IntN(len(meetings))]
				if ps := w.caseState().Placements; len(ps) > 0 && r.IntN(4) > 0 {
					m = ps[r.IntN(len(ps))].MeetingID
				}
				cmd = decision(case1, m, outcomes[r.IntN(len(outcomes))])
			}
			if w.exec(t, cmd) != nil {
				continue
			}
			trace = append(trace, fmt.Sprintf("%s %+v", cmd.CommandName(), cmd))
			cs := w.caseState()
			checked++
			if n := len(cs.Placements); n > 0 && cs.Placements[n-1].SentBack {
				sentBack++
			}
			if n := len(cs.Decisions); n > 0 && cs.Decisions[n-1].Forum == EHR && cs.Decisions[n-1].Outcome == OutcomeDeferred {
				ehrDeferred++
			}
			if cs.furthestForum() == EHR && !cs.NUITRecommended && !cs.Final() {
				unrecommendedAtEHR++
			}
			if _, ok := reaches(t, w, 3, final); !ok {
				t.Fatalf("walk %d: no final decision is reachable after %v", walk, trace)
			}
			if ct == CaseApproval && !cs.Final() {
				if _, ok := reaches(t, w, 3, approved); !ok {
					t.Fatalf("walk %d: the approval case can no longer be approved after %v", walk, trace)
				}
			}
		}
	}
	// The walks must have met the states the property is about.
	t.Logf("%d states checked; %d just sent back, %d just deferred by EHR, %d at EHR without NUIT's recommendation",
		checked, sentBack, ehrDeferred, unrecommendedAtEHR)
	if sentBack == 0 || ehrDeferred == 0 || unrecommendedAtEHR == 0 {
		t.Fatalf("the walks did not reach every kind of state: %d sent back, %d deferred by EHR, %d unrecommended at EHR",
			sentBack, ehrDeferred, unrecommendedAtEHR)
	}
}
