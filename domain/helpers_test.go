package domain

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// now is the time of every decision in the tests.
var now = time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC)

// tid returns a ULID-shaped test id: tid('N', 1) is "01JD000000000000000000N001".
func tid(kind byte, n int) string { return fmt.Sprintf("01JD%018d%c%03d", 0, kind, n) }

// eventID is the id fold gives the n-th given event (1-based).
func eventID(n int) string { return tid('E', n) }

var (
	ini1, ini2      = tid('N', 1), tid('N', 2)
	mNUFA, mNUIT    = tid('M', 1), tid('M', 2)
	mEHR, mNUIT2    = tid('M', 3), tid('M', 4)
	mEHR2, mFuture  = tid('M', 5), tid('M', 6)
	case1, case2    = tid('C', 1), tid('C', 2)
	ms1, ms2        = tid('K', 1), tid('K', 2)
	catRef          = Ref{Strategy, StrategyCatalogID}
	dNUFA, dNUIT    = Date("2026-02-02"), Date("2026-02-16")
	dEHR, dFuture   = Date("2026-03-02"), Date("2026-04-20")
	cost            = int64(12_500_000)
	defaultProposal = ProposeInitiative{
		InitiativeID: ini1, Title: "Digital hjemmeoppfølging", Description: "Spredning til 19 helsefellesskap.",
		Owner: "Helse Sør-Øst RHF", PrimarySubGoal: "1A", PlannedStart: "2024-01-01", PlannedEnd: "2027-12-31",
	}
)

func iref(id string) Ref { return Ref{Initiative, id} }
func mref(id string) Ref { return Ref{Meeting, id} }
func cref(id string) Ref { return Ref{Case, id} }

// world builds a consistent given history: meeting and case numbers follow
// their series, decisions carry their meeting's and placement's data.
type world struct {
	changes  []Change
	meetings map[string]MeetingScheduled
	numbers  map[string]string // case|meeting → case number
	series   map[Ref][2]int    // last meeting, last case number
}

func given() *world {
	return &world{meetings: map[string]MeetingScheduled{}, numbers: map[string]string{}, series: map[Ref][2]int{}}
}

func (w *world) add(ref Ref, events ...Event) *world {
	for _, e := range events {
		w.changes = append(w.changes, Change{ref, e})
	}
	return w
}

// lastID is the event id fold gives the last event added so far.
func (w *world) lastID() string { return eventID(len(w.changes)) }

// catalogue defines M1 (1A, 1B) and M2 (2A) of 2023-2030 and S1 (S1A) of 2017-2022.
func (w *world) catalogue() *world {
	return w.add(catRef,
		StrategicGoalDefined{"M1", "2023-2030", "Aktiv medvirkning i egen og næres helse"},
		StrategicGoalDefined{"M2", "2023-2030", "Enklere arbeidshverdag"},
		SubGoalDefined{"1A", "M1", "2023-2030", "Innbygger skal ha mulighet for å administrere behandlingsforløp, digital dialog og innsynstjenester gjennom Helsenorge"},
		SubGoalDefined{"1B", "M1", "2023-2030", "Illustrativt delmål 1B"},
		SubGoalDefined{"2A", "M2", "2023-2030", "Illustrativt delmål 2A"},
		StrategicGoalDefined{"S1", "2017-2022", "Illustrativt innsatsområde"},
		SubGoalDefined{"S1A", "S1", "2017-2022", "Illustrativt delmål S1A"},
	)
}

func (w *world) proposed(id string, phase Phase) *world {
	return w.add(iref(id), InitiativeProposed{
		InitiativeID: id, Title: "Digital hjemmeoppfølging", Description: "Spredning.", Owner: "Helse Sør-Øst RHF",
		PrimarySubGoal: "1A", PrimaryGoal: "M1", SubGoals: []string{"2A"}, UserGroups: []string{"innbyggere"},
		PlannedStart: "2024-01-01", PlannedEnd: "2027-12-31", Phase: phase,
	})
}

// admitted proposes and admits an initiative in the phase.
func (w *world) admitted(id string, phase Phase) *world {
	return w.proposed(id, phase).add(iref(id), InitiativeAdmitted{InitiativeID: id, CaseID: tid('C', 900), MeetingID: tid('M', 900), Phase: phase})
}

func (w *world) schedule(id string, f Forum, d Date) *world {
	sr := SeriesRef(f, d.Year())
	n := w.series[sr]
	n[0]++
	w.series[sr] = n
	e := MeetingScheduled{MeetingID: id, Forum: f, Date: d, Year: d.Year(), Number: n[0], Label: MeetingLabel(n[0], d.Year())}
	w.meetings[id] = e
	return w.add(mref(id), e).add(sr, MeetingNumberAssigned{f, d.Year(), n[0], id})
}

func (w *world) hold(id string) *world {
	m := w.meetings[id]
	return w.add(mref(id), MeetingHeld{id, m.Forum, m.Label})
}

// held schedules and holds a meeting.
func (w *world) held(id string, f Forum, d Date) *world { return w.schedule(id, f, d).hold(id) }

// meetingsHeld schedules and holds the NUFA, NUIT and EHR meetings.
func (w *world) meetingsHeld() *world {
	return w.held(mNUFA, NUFA, dNUFA).held(mNUIT, NUIT, dNUIT).held(mEHR, EHR, dEHR)
}

func (w *world) register(id string, f Forum, t CaseType, p Purpose, ini string, target Phase) *world {
	return w.add(cref(id), CaseRegistered{
		CaseID: id, Forum: f, Title: "Sak", CaseType: t, Purpose: p, InitiativeID: ini, TargetPhase: target,
		ProposedResolution: "Rådet gir sin tilslutning.", ArchiveRef: "22/414-1",
	})
}

func (w *world) place(caseID, meetingID string) *world { return w.placement(caseID, meetingID, false) }

// sendBack places a case that reached EHR on a NUIT agenda again.
func (w *world) sendBack(caseID, meetingID string) *world {
	return w.placement(caseID, meetingID, true)
}

func (w *world) placement(caseID, meetingID string, sentBack bool) *world {
	m := w.meetings[meetingID]
	sr := SeriesRef(m.Forum, m.Year)
	n := w.series[sr]
	n[1]++
	w.series[sr] = n
	cn := CaseNumber(n[1], m.Year)
	w.numbers[caseID+"|"+meetingID] = cn
	return w.add(cref(caseID), CasePlacedOnAgenda{
		CaseID: caseID, MeetingID: meetingID, Forum: m.Forum, MeetingLabel: m.Label, MeetingDate: m.Date,
		Year: m.Year, Number: n[1], CaseNumber: cn, SentBack: sentBack,
	}).add(sr, CaseNumberAssigned{m.Forum, m.Year, n[1], cn, caseID, meetingID})
}

// dec is the Decision of a case placed on a meeting.
func (w *world) dec(caseID, meetingID string) Decision {
	m := w.meetings[meetingID]
	return Decision{caseID, meetingID, m.Forum, m.Label, m.Date, w.numbers[caseID+"|"+meetingID]}
}

// decide records a decision of the outcome.
func (w *world) decide(caseID, meetingID string, o Outcome) *world {
	d := w.dec(caseID, meetingID)
	var e Event
	switch o {
	case OutcomeNoted:
		e = CaseNoted{d, ""}
	case OutcomeDiscussed:
		e = CaseDiscussed{d, ""}
	case OutcomeRecommended:
		e = CaseRecommended{d, "Anbefales.", ""}
	case OutcomeApproved:
		e = CaseApproved{d, "Godkjent."}
	case OutcomeRejected:
		e = CaseRejected{d, "Avvist."}
	case OutcomeDeferred:
		e = CaseDeferred{d, "Utsatt."}
	}
	return w.add(cref(caseID), e)
}

// recommendedByNUIT registers an approval case at NUIT for the purpose,
// places it on the NUIT meeting, recommends it there, and places it on the
// EHR meeting. The meetings must be held.
func (w *world) recommendedByNUIT(caseID string, p Purpose, ini string, target Phase) *world {
	return w.register(caseID, NUIT, CaseApproval, p, ini, target).
		place(caseID, mNUIT).decide(caseID, mNUIT, OutcomeRecommended).place(caseID, mEHR)
}

func (w *world) clone() *world {
	c := given()
	c.changes = slices.Clone(w.changes)
	for k, v := range w.meetings {
		c.meetings[k] = v
	}
	for k, v := range w.numbers {
		c.numbers[k] = v
	}
	for k, v := range w.series {
		c.series[k] = v
	}
	return c
}

// fold builds states from changes with Evolve; the i-th change gets event
// id eventID(i+1).
func fold(t testing.TB, changes []Change) map[Ref]State {
	t.Helper()
	states := map[Ref]State{}
	at := now.Add(-time.Duration(len(changes)+1) * time.Minute)
	for i, ch := range changes {
		s, ok := states[ch.Ref]
		if !ok {
			s = NewState(ch.Ref)
		}
		next, err := Evolve(s, Recorded{
			ID: eventID(i + 1), Version: s.StateVersion() + 1, Position: uint64(i + 1),
			Time: at.Add(time.Duration(i) * time.Minute), Actor: "test", Event: ch.Event,
		})
		if err != nil {
			t.Fatalf("given event %d (%s on %s): %v", i+1, ch.Event.EventType(), ch.Ref, err)
		}
		states[ch.Ref] = next
	}
	return states
}

// loadFor completes states with empty states for everything Needs lists,
// as the command service does.
func loadFor(t testing.TB, cmd Command, states map[Ref]State) map[Ref]State {
	t.Helper()
	out := map[Ref]State{}
	for k, v := range states {
		out[k] = v
	}
	for range 8 {
		added := false
		for _, r := range Needs(cmd, out) {
			if _, ok := out[r]; !ok {
				out[r] = NewState(r)
				added = true
			}
		}
		if !added {
			return out
		}
	}
	t.Fatalf("Needs(%s) does not converge", cmd.CommandName())
	return nil
}

// snapshot is the JSON of every state, to prove nothing was mutated.
func snapshot(t testing.TB, states map[Ref]State) string {
	t.Helper()
	m := map[string]State{}
	for k, v := range states {
		m[k.String()] = v
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// spec is one given/when/then case.
type spec struct {
	name   string
	given  *world
	when   Command
	then   []Change // expected events, when accepted
	err    Kind     // expected error kind, when refused
	fields []string // for KindInvalid: the fields named, in order
	msg    string   // optional: a substring of the error message
}

func ok(events ...Change) []Change { return events }

func run(t *testing.T, specs []spec) {
	t.Helper()
	seen := map[string]bool{}
	for _, sp := range specs {
		if seen[sp.name] {
			t.Fatalf("duplicate spec name %q", sp.name)
		}
		seen[sp.name] = true
		t.Run(sp.name, func(t *testing.T) {
			var changes []Change
			if sp.given != nil {
				changes = sp.given.changes
			}
			states := loadFor(t, sp.when, fold(t, changes))
			before := snapshot(t, states)
			got, err := Decide(sp.when, states, now)
			if after := snapshot(t, states); after != before {
				t.Fatalf("Decide modified the states:\nbefore %s\nafter  %s", before, after)
			}
			// The same command given as a pointer decides the same.
			got2, err2 := Decide(pointerTo(sp.when), states, now)
			if !reflect.DeepEqual(got, got2) || ErrorKind(err) != ErrorKind(err2) {
				t.Fatalf("Decide(value) = %v, %v but Decide(pointer) = %v, %v", got, err, got2, err2)
			}
			check(t, sp, got, err)
			if err == nil {
				// What Decide produced must fold.
				all := append(slices.Clone(changes), got...)
				fold(t, all)
			}
		})
	}
}

func check(t *testing.T, sp spec, got []Change, err error) {
	t.Helper()
	if sp.err != "" {
		if err == nil {
			t.Fatalf("accepted with %s, want %s", dump(got), sp.err)
		}
		var de *Error
		if !errors.As(err, &de) {
			t.Fatalf("error %v is not a *Error", err)
		}
		if de.Kind != sp.err {
			t.Fatalf("error %v: kind %s, want %s", err, de.Kind, sp.err)
		}
		if sp.err == KindInvalid || sp.fields != nil {
			var names []string
			for _, f := range de.Fields {
				names = append(names, f.Field)
			}
			if !slices.Equal(names, sp.fields) {
				t.Fatalf("error %v: fields %q, want %q", err, names, sp.fields)
			}
		}
		if sp.msg != "" && !strings.Contains(err.Error(), sp.msg) {
			t.Fatalf("error %q does not mention %q", err, sp.msg)
		}
		// A refusal is shown to people on Norwegian pages.
		if de.Kind == KindRuleViolated || de.Kind == KindNotFound {
			if de.Norsk == "" || de.Norsk == de.Message || strings.Contains(de.Norsk, "%!") {
				t.Fatalf("error %q: Norwegian text %q", err, de.Norsk)
			}
		}
		return
	}
	if err != nil {
		t.Fatalf("refused: %v", err)
	}
	if !reflect.DeepEqual(got, sp.then) {
		t.Fatalf("events:\n got %s\nwant %s", dump(got), dump(sp.then))
	}
}

func dump(changes []Change) string {
	var b strings.Builder
	for _, c := range changes {
		data, _ := json.Marshal(c.Event)
		fmt.Fprintf(&b, "\n  %s %s %s", c.Ref, c.Event.EventType(), data)
	}
	return b.String()
}

// pointerTo returns a pointer to a copy of the command value.
func pointerTo(c Command) Command {
	v := reflect.ValueOf(c)
	if v.Kind() == reflect.Pointer {
		return c
	}
	p := reflect.New(v.Type())
	p.Elem().Set(v)
	return p.Interface().(Command)
}

func i64(n int64) *int64 { return &n }
