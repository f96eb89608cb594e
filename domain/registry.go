package domain

// The API documents' command and event parts follow from the registry and
// the doc comments of the command and event types:
//go:generate go run ../scripts/specgen -root ..

import (
	"encoding/json"
	"fmt"
	"slices"
)

// The registry declares every aggregate, command and event once, beside
// its rules (strategy.go, initiative.go, meeting.go, case.go, series.go):
//
//   - an aggregate: its type, its empty state, and what every event stamps
//     on it (version, times);
//   - a command: its Go type (whose CommandName is its name), the aggregate
//     it addresses and how to find it (Target), what else Decide must see
//     (Needs), who may give it (GivenBy) and its decider;
//   - an event: its Go type (whose EventType is its name), its aggregate,
//     whether it creates the aggregate, the aggregate id it names, and its
//     evolve step.
//
// Everything that lists commands or events is derived from it:
// CommandNames, NewCommand, Target, Needs, Decide, CommandGivenBy,
// EventTypes, NewEvent, DecodeEvent, AggregateOf, NewState and Evolve.
// registry_test.go fails by name when a part is missing.
//
// Commands and events are values with value receivers. A command may also
// arrive as a pointer (NewCommand returns one, for decoding); the
// registry's generic entries accept both without reflection.

// GivenBy says which roles may give a command. The council secretariat may
// give every command; auditors, subscribers and anonymous callers none.
type GivenBy uint8

const (
	// Secretariat: only the council secretariat.
	Secretariat GivenBy = iota + 1
	// SecretariatOrOwner: also an initiative owner, for its own
	// organisation's initiatives only.
	SecretariatOrOwner
)

// String names the rule, as in the generated specs.
func (g GivenBy) String() string {
	switch g {
	case Secretariat:
		return "secretariat"
	case SecretariatOrOwner:
		return "secretariat; an initiative owner, for its own initiatives"
	}
	return fmt.Sprintf("GivenBy(%d)", uint8(g))
}

// ---- aggregates ----

// aggregateDef declares one aggregate type. S is *T.
type aggregateDef[T any, S interface {
	*T
	State
}] struct {
	typ AggregateType
	// empty is the state of version 0.
	empty func(id string) S
	// created: the aggregate's first event must be its creating event,
	// and that one only first.
	created bool
	// check, when set, refuses to fold into a state (before any event).
	check func(S) error
	// stamp sets what every event changes (version, times) on the new state.
	stamp func(n S, r Recorded)
}

type aggregateEntry interface {
	aggregateType() AggregateType
	newState(id string) State
	// createdByEvent: the first event must be the aggregate's creating event.
	createdByEvent() bool
	// isNilState reports whether s is a nil pointer of this aggregate's state.
	isNilState(s State) bool
}

func (a *aggregateDef[T, S]) aggregateType() AggregateType { return a.typ }
func (a *aggregateDef[T, S]) newState(id string) State     { return a.empty(id) }
func (a *aggregateDef[T, S]) createdByEvent() bool         { return a.created }
func (a *aggregateDef[T, S]) isNilState(s State) bool {
	p, ok := any(s).(*T)
	return ok && p == nil
}

// aggregateRegistry lists every aggregate, in the order of AggregateTypes.
var aggregateRegistry = []aggregateEntry{strategyAggregate, initiativeAggregate, meetingAggregate, caseAggregate, seriesAggregate,
	indicatorAggregate, roundAggregate, dependencyAggregate,
	consultationAggregate,
}

var aggregatesByType = func() map[AggregateType]aggregateEntry {
	m := make(map[AggregateType]aggregateEntry, len(aggregateRegistry))
	for _, a := range aggregateRegistry {
		m[a.aggregateType()] = a
	}
	return m
}()

// nilState reports whether s is nil or a nil pointer to a state.
func nilState(s State) bool {
	if s == nil {
		return true
	}
	for _, a := range aggregateRegistry {
		if a.isNilState(s) {
			return true
		}
	}
	return false
}

// ---- commands ----

// commandDef declares one command C.
type commandDef[C Command] struct {
	agg AggregateType
	who GivenBy
	// target is the aggregate the command addresses (If-Match, the HTTP
	// response); its type is agg.
	to func(C) Ref
	// more lists what Decide must see besides the target, given the
	// states loaded so far (nil: nothing more).
	more func(C, map[Ref]State) []Ref
	rule func(*decider, C) ([]Change, error)
}

// command declares a command of aggregate agg that who may give, with its
// target and decider.
func command[C Command](agg AggregateType, who GivenBy, target func(C) Ref, decide func(*decider, C) ([]Change, error)) *commandDef[C] {
	return &commandDef[C]{agg: agg, who: who, to: target, rule: decide}
}

// needing adds what Decide must see besides the target.
func (d *commandDef[C]) needing(needs func(C, map[Ref]State) []Ref) *commandDef[C] {
	d.more = needs
	return d
}

type commandEntry interface {
	name() string
	aggregate() AggregateType
	givenBy() GivenBy
	newCommand() Command
	// value returns cmd as a C value and true if cmd is a C or a *C (nil
	// for a nil *C).
	value(cmd Command) (Command, bool)
	target(cmd Command) Ref
	needs(cmd Command, have map[Ref]State) []Ref
	decide(d *decider, cmd Command) ([]Change, error)
	// missing names the parts of the declaration that are not given.
	missing() []string
}

func (d *commandDef[C]) name() string {
	var c C
	return c.CommandName()
}
func (d *commandDef[C]) aggregate() AggregateType { return d.agg }
func (d *commandDef[C]) givenBy() GivenBy         { return d.who }

// newCommand: a *C is a Command too (C's methods have value receivers).
func (d *commandDef[C]) newCommand() Command { return any(new(C)).(Command) }

func (d *commandDef[C]) of(cmd Command) (C, bool) {
	switch c := any(cmd).(type) {
	case C:
		return c, true
	case *C:
		if c != nil {
			return *c, true
		}
	}
	var zero C
	return zero, false
}

func (d *commandDef[C]) value(cmd Command) (Command, bool) {
	switch c := any(cmd).(type) {
	case C:
		return c, true
	case *C:
		if c == nil {
			return nil, true
		}
		return *c, true
	}
	return nil, false
}

func (d *commandDef[C]) target(cmd Command) Ref {
	c, _ := d.of(cmd)
	return d.to(c)
}

func (d *commandDef[C]) needs(cmd Command, have map[Ref]State) []Ref {
	c, _ := d.of(cmd)
	refs := []Ref{d.to(c)}
	if d.more != nil {
		refs = append(refs, d.more(c, have)...)
	}
	return refs
}

func (d *commandDef[C]) decide(dc *decider, cmd Command) ([]Change, error) {
	c, _ := d.of(cmd)
	return d.rule(dc, c)
}

func (d *commandDef[C]) missing() []string {
	var out []string
	if d.agg == "" {
		out = append(out, "aggregate")
	}
	if d.who == 0 {
		out = append(out, "who may give it")
	}
	if d.to == nil {
		out = append(out, "target")
	}
	if d.rule == nil {
		out = append(out, "decider")
	}
	return out
}

// commandRegistry lists every command, in the order of the contract.
var commandRegistry = slices.Concat(strategyCommands, initiativeCommands, meetingCommands, caseCommands,
	indicatorCommands, roundCommands, dependencyCommands,
	consultationCommands,
)

var commandsByName = byKey(commandRegistry, commandEntry.name)

// commandOf finds the declaration of cmd and returns cmd as a value; false
// for nil, a nil pointer or an unknown command.
func commandOf(cmd Command) (commandEntry, Command, bool) { return declOf(commandRegistry, cmd) }

// byKey indexes a registry by key.
func byKey[D any](reg []D, key func(D) string) map[string]D {
	m := make(map[string]D, len(reg))
	for _, d := range reg {
		m[key(d)] = d
	}
	return m
}

// lookup is what f says of the entry under k, or false when there is none.
func lookup[D, R any](m map[string]D, k string, f func(D) R) (R, bool) {
	d, ok := m[k]
	if !ok {
		var zero R
		return zero, false
	}
	return f(d), true
}

// declOf finds the declaration in reg that x is one of and returns x as a
// value; false for nil, a nil pointer or an unknown one.
func declOf[D interface{ value(V) (V, bool) }, V comparable](reg []D, x V) (D, V, bool) {
	var (
		none D
		zero V
	)
	if x == zero {
		return none, zero, false
	}
	for _, d := range reg {
		if v, ok := d.value(x); ok {
			return d, v, v != zero
		}
	}
	return none, zero, false
}

// CommandNames lists every command name, in the order of the contract.
var CommandNames = func() []string {
	out := make([]string, 0, len(commandRegistry))
	for _, c := range commandRegistry {
		out = append(out, c.name())
	}
	return out
}()

// NewCommand returns a new zero command of the given name as a pointer, for
// decoding, or false if there is no such command.
func NewCommand(name string) (Command, bool) {
	return lookup(commandsByName, name, commandEntry.newCommand)
}

// CommandGivenBy says who may give the named command, or false if there is
// no such command.
func CommandGivenBy(name string) (GivenBy, bool) {
	return lookup(commandsByName, name, commandEntry.givenBy)
}

// CommandAggregate is the aggregate type the named command addresses, or
// false if there is no such command.
func CommandAggregate(name string) (AggregateType, bool) {
	return lookup(commandsByName, name, commandEntry.aggregate)
}

// ---- events ----

// eventDef declares one event E of the aggregate whose state is S (*T).
type eventDef[T any, S interface {
	*T
	State
}, E Event] struct {
	agg *aggregateDef[T, S]
	// creates: the event creates the aggregate.
	creates bool
	// id is the aggregate id the event names (nil: fold checks it).
	id func(E) string
	// fold changes n, a shallow copy of the state before the event, into
	// the state after it. It must not modify what n shares with the old
	// state (slices, maps): copy on write.
	fold func(n S, e E, r Recorded) error
}

// event declares an event of aggregate agg, naming the aggregate's id by
// id (nil: none), folded by fold.
func event[T any, S interface {
	*T
	State
}, E Event](agg *aggregateDef[T, S], id func(E) string, fold func(n S, e E, r Recorded) error) *eventDef[T, S, E] {
	return &eventDef[T, S, E]{agg: agg, id: id, fold: fold}
}

// creating marks the event that creates its aggregate.
func (d *eventDef[T, S, E]) creating() *eventDef[T, S, E] {
	d.creates = true
	return d
}

type eventEntry interface {
	eventType() string
	aggregate() AggregateType
	isCreating() bool
	newEvent() Event
	// value returns e as an E value and true if e is an E or an *E (nil
	// for a nil *E).
	value(e Event) (Event, bool)
	decode(data []byte) (Event, error)
	evolve(s State, e Event, r Recorded) (State, error)
	missing() []string
}

func (d *eventDef[T, S, E]) eventType() string {
	var e E
	return e.EventType()
}
func (d *eventDef[T, S, E]) aggregate() AggregateType { return d.agg.typ }
func (d *eventDef[T, S, E]) isCreating() bool         { return d.creates }
func (d *eventDef[T, S, E]) newEvent() Event {
	var e E
	return e
}

func (d *eventDef[T, S, E]) of(e Event) (E, bool) {
	switch v := any(e).(type) {
	case E:
		return v, true
	case *E:
		if v != nil {
			return *v, true
		}
	}
	var zero E
	return zero, false
}

func (d *eventDef[T, S, E]) value(e Event) (Event, bool) {
	switch v := any(e).(type) {
	case E:
		return v, true
	case *E:
		if v == nil {
			return nil, true
		}
		return *v, true
	}
	return nil, false
}

func (d *eventDef[T, S, E]) decode(data []byte) (Event, error) {
	var e E
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, err
	}
	return e, nil
}

func (d *eventDef[T, S, E]) evolve(s State, ev Event, r Recorded) (State, error) {
	old, ok := s.(S)
	if !ok {
		return nil, Errorf(KindInternal, "evolve: state %T is not of aggregate %s", s, d.agg.typ)
	}
	e, _ := d.of(ev)
	if d.agg.check != nil {
		if err := d.agg.check(old); err != nil {
			return nil, err
		}
	}
	if d.agg.created {
		if err := creation(old, e, d.creates); err != nil {
			return nil, err
		}
	}
	if d.id != nil {
		if id := d.id(e); id != old.StateRef().ID {
			return nil, mismatch(old, e, id)
		}
	}
	n := S(new(T))
	*n = *old
	if err := d.fold(n, e, r); err != nil {
		return nil, err
	}
	d.agg.stamp(n, r)
	return n, nil
}

func (d *eventDef[T, S, E]) missing() []string {
	var out []string
	if d.agg == nil {
		out = append(out, "aggregate")
	}
	if d.fold == nil {
		out = append(out, "evolve step")
	}
	return out
}

// eventRegistry lists every event, by aggregate.
var eventRegistry = slices.Concat(strategyEvents, initiativeEvents, meetingEvents, caseEvents, seriesEvents,
	indicatorEvents, roundEvents, dependencyEvents,
	consultationEvents,
)

var eventsByType = byKey(eventRegistry, eventEntry.eventType)

// eventOf finds the declaration of e and returns e as a value; false for
// nil, a nil pointer or an unknown event.
func eventOf(e Event) (eventEntry, Event, bool) { return declOf(eventRegistry, e) }

// EventTypes lists every event type name, sorted.
func EventTypes() []string {
	out := make([]string, 0, len(eventRegistry))
	for _, e := range eventRegistry {
		out = append(out, e.eventType())
	}
	slices.Sort(out)
	return out
}

// EventTypesOf lists the event types of an aggregate type, in the order
// they are declared.
func EventTypesOf(a AggregateType) []string {
	var out []string
	for _, e := range eventRegistry {
		if e.aggregate() == a {
			out = append(out, e.eventType())
		}
	}
	return out
}

// NewEvent returns the zero value of the named event type, or false if
// there is no such event type.
func NewEvent(eventType string) (Event, bool) {
	return lookup(eventsByType, eventType, eventEntry.newEvent)
}

// AggregateOf returns the aggregate type that events of this type belong to.
func AggregateOf(eventType string) (AggregateType, bool) {
	return lookup(eventsByType, eventType, eventEntry.aggregate)
}
