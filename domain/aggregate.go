package domain

import "time"

// State is the folded state of one aggregate. Implementations:
// *StrategyState, *InitiativeState, *MeetingState, *CaseState, *SeriesState.
// A State is never mutated after Evolve returns it (copy on write), so it
// may be cached and shared between goroutines.
type State interface {
	// StateRef names the aggregate.
	StateRef() Ref
	// StateVersion is the number of events folded in (0: does not exist).
	StateVersion() uint64
}

// NewState returns the empty state (version 0) of an aggregate. It returns
// nil for an unknown aggregate type.
//
//	st := NewState(Ref{Initiative, id})
//	for _, r := range history {
//		if st, err = Evolve(st, r); err != nil { … }
//	}
func NewState(ref Ref) State {
	a, ok := aggregatesByType[ref.Type]
	if !ok {
		return nil
	}
	return a.newState(ref.ID)
}

// Evolve returns the state after event r. It does not modify s. It returns
// a KindInternal error if the event does not belong to the aggregate or
// does not follow its version.
//
// Evolve checks the structure of the history (the first event creates the
// aggregate, the ids in the event name this aggregate, series numbers run
// without gaps), not the rules: a recorded event is a fact.
func Evolve(s State, r Recorded) (State, error) {
	if nilState(s) {
		return nil, Errorf(KindInternal, "evolve: no state")
	}
	ref := s.StateRef()
	def, e, ok := eventOf(r.Event)
	if !ok {
		if r.Event == nil || def != nil {
			return nil, Errorf(KindInternal, "evolve %s: event %s has no data", ref, r.ID)
		}
		return nil, Errorf(KindInternal, "evolve %s: event %s (%T) is no known event", ref, r.ID, r.Event)
	}
	if def.aggregate() != ref.Type {
		return nil, Errorf(KindInternal, "evolve %s: event %s (%s) belongs to no %s", ref, r.ID, e.EventType(), ref.Type)
	}
	if r.Version != s.StateVersion()+1 {
		return nil, Errorf(KindInternal, "evolve %s: event %s (%s) has version %d, want %d",
			ref, r.ID, e.EventType(), r.Version, s.StateVersion()+1)
	}
	return def.evolve(s, e, r)
}

// mismatch is Evolve's error for an event that names another aggregate.
func mismatch(s State, e Event, id string) error {
	return Errorf(KindInternal, "evolve %s: %s names %q", s.StateRef(), e.EventType(), id)
}

// creation checks that the creating event comes first and only first.
func creation(s State, e Event, creates bool) error {
	switch {
	case creates && s.StateVersion() != 0:
		return Errorf(KindInternal, "evolve %s: %s on an existing aggregate", s.StateRef(), e.EventType())
	case !creates && s.StateVersion() == 0:
		return Errorf(KindInternal, "evolve %s: %s before the aggregate was created", s.StateRef(), e.EventType())
	}
	return nil
}

// Target is the aggregate a command is addressed to: the one If-Match
// refers to and the one the HTTP response names. It is the zero Ref for an
// unknown command.
//
//	Target(&ApproveInCouncil{CaseID: c, MeetingID: m}) // Ref{Case, c}
func Target(cmd Command) Ref {
	def, c, ok := commandOf(cmd)
	if !ok {
		return Ref{}
	}
	return def.target(c)
}

// Needs lists the aggregates Decide must see for cmd, given the states
// loaded so far (have may be empty). The caller loads what is missing and
// calls Needs again until it lists nothing new. Needs is pure.
//
// It always lists the target first. Some needs show only once another
// state is loaded: PlaceCaseOnAgenda needs the numbering series of the
// meeting's forum and year, and ApproveInCouncil and RejectInCouncil need
// the initiative of an admission or phase_gate case. A state that does not
// exist (version 0) adds no further needs; Decide then refuses.
//
//	have := map[Ref]State{}
//	for {
//		missing := missingOf(Needs(cmd, have), have)
//		if len(missing) == 0 { break }
//		load(missing, have)
//	}
func Needs(cmd Command, have map[Ref]State) []Ref {
	def, c, ok := commandOf(cmd)
	if !ok {
		return nil
	}
	return def.needs(c, have)
}

// gateInitiative is the initiative an admission or phase_gate case decides
// on, once the case is loaded.
func gateInitiative(caseRef Ref, have map[Ref]State) []Ref {
	cs, ok := have[caseRef].(*CaseState)
	if !ok || cs == nil || cs.Version == 0 || cs.InitiativeID == "" {
		return nil
	}
	if cs.Purpose != PurposeAdmission && cs.Purpose != PurposePhaseGate {
		return nil
	}
	return []Ref{{Initiative, cs.InitiativeID}}
}

// Decide checks cmd against the rules and the states and returns the events
// to record, or an *Error (KindInvalid, KindRuleViolated, KindNotFound). It
// does not modify states. now is the time of the decision.
//
// states must hold every Ref that Needs lists (a state of version 0 for an
// aggregate that does not exist); a missing one is a KindInternal error.
// Decide validates the command first. The events come target first; the
// caller writes them all in one atomic append.
//
//	changes, err := Decide(&ApproveInCouncil{CaseID: c, MeetingID: m, Resolution: "…"}, states, now)
//	// changes: CaseApproved on case c, and InitiativeAdmitted on its
//	// initiative when c is an admission case.
func Decide(cmd Command, states map[Ref]State, now time.Time) ([]Change, error) {
	def, c, ok := commandOf(cmd)
	switch {
	case !ok && (def != nil || cmd == nil):
		return nil, Errorf(KindInvalid, "no command")
	case !ok:
		return nil, Errorf(KindInternal, "decide: unknown command %T", cmd)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return def.decide(&decider{states: states, now: now}, c)
}

// decider is one Decide call: the states it may read and the time.
type decider struct {
	states map[Ref]State
	now    time.Time
}

// stateOf returns the loaded state of ref as a T, or a KindInternal error
// if the caller did not load it.
func stateOf[T State](states map[Ref]State, ref Ref) (T, error) {
	var zero T
	s, ok := states[ref]
	if !ok || nilState(s) {
		return zero, Errorf(KindInternal, "decide: %s was not loaded", ref)
	}
	t, ok := s.(T)
	if !ok {
		return zero, Errorf(KindInternal, "decide: %s has state %T", ref, s)
	}
	if got := t.StateRef(); got != ref {
		return zero, Errorf(KindInternal, "decide: the state loaded for %s is %s", ref, got)
	}
	return t, nil
}

// existing returns the state of an aggregate that must exist.
func existing[T State](d *decider, ref Ref, what string) (T, error) {
	t, err := stateOf[T](d.states, ref)
	if err != nil {
		return t, err
	}
	if t.StateVersion() == 0 {
		return t, Errorf(KindNotFound, "%s %s does not exist", what, ref.ID).
			WithNorsk("%s %s finnes ikke.", aggregateNB(ref.Type), ref.ID)
	}
	return t, nil
}

// fresh returns the state of an aggregate a creating command creates: it
// must not exist yet, and its id must have been assigned.
func fresh[T State](d *decider, ref Ref, what string) (T, error) {
	var zero T
	if ref.ID == "" {
		return zero, Errorf(KindInternal, "decide: %s without an id (AssignID first)", what)
	}
	t, err := stateOf[T](d.states, ref)
	if err != nil {
		return t, err
	}
	if t.StateVersion() != 0 {
		return t, Refuse("%s %s already exists", what, ref.ID).
			WithNorsk("%s %s finnes allerede.", aggregateNB(ref.Type), ref.ID)
	}
	return t, nil
}

func (d *decider) catalogue() (*StrategyState, error) {
	return stateOf[*StrategyState](d.states, Ref{Strategy, StrategyCatalogID})
}

func (d *decider) initiative(id string) (*InitiativeState, error) {
	return existing[*InitiativeState](d, Ref{Initiative, id}, "initiative")
}

func (d *decider) meeting(id string) (*MeetingState, error) {
	return existing[*MeetingState](d, Ref{Meeting, id}, "meeting")
}

func (d *decider) caseOf(id string) (*CaseState, error) {
	return existing[*CaseState](d, Ref{Case, id}, "case")
}

func (d *decider) series(f Forum, year int) (*SeriesState, error) {
	return stateOf[*SeriesState](d.states, SeriesRef(f, year))
}

// today is the date of now in Norway, taken generously as UTC+2 (summer
// time) all year: a meeting may be held from midnight Norwegian time on
// its date, at most an hour early in winter.
func today(now time.Time) Date {
	return DateOf(now.Add(2 * time.Hour))
}
