// Package domain is the rulebook of the national e-health portfolio: the
// commands users give, the events that record what happened, the state each
// aggregate folds from its events, and the rules that decide whether a
// command is accepted.
//
// The package is pure: it uses only the standard library, performs no I/O
// and never reads the clock. Time is an argument to Decide.
//
// There are five aggregate types. Four are named by the public contract:
// strategy (one catalogue, id "national", holding every strategy period's
// goals and sub-goals), initiative, meeting and case. The fifth, series, is
// this product's addition: one per forum and year (id "NUIT-2026"), it hands
// out meeting numbers ("3/2026") and forum case numbers ("15/26") so that
// they are unique, gap-free and sequential under concurrent writers.
//
// The command path is:
//
//	err := cmd.Validate()               // KindInvalid: the command on its own
//	refs := Needs(cmd, loaded)          // repeat until no new refs
//	changes, err := Decide(cmd, states, now)
//	state = Evolve(state, recorded)     // for every event, in order
//
// Decide returns every event a command produces, across aggregates; the
// caller writes them in one atomic append with an optimistic-concurrency
// expectation for each aggregate written. Decide validates the command
// again, so it never accepts an invalid one.
//
// States (StrategyState, InitiativeState, MeetingState, CaseState,
// SeriesState) are copy-on-write: Evolve returns a new value and never
// modifies its input, and Decide never modifies the states it is given, so
// states may be cached and shared between goroutines.
//
// # Files
//
//   - values.go, ids.go: the value types (forums, phases, outcomes, dates) and
//     the id formats (ULID, UUID, goal codes, strategy periods).
//   - commands.go, events.go: the Command and Event interfaces, Recorded,
//     Change, and the events' JSON (EncodeEvent, DecodeEvent).
//   - validate.go: what every command's Validate uses.
//   - registry.go: how an aggregate, a command and an event are declared,
//     and what is derived from the declarations (CommandNames, NewCommand,
//     CommandGivenBy, EventTypes, EventTypesOf, NewEvent, AggregateOf).
//   - aggregate.go: NewState, Evolve, Target, Needs, Decide.
//   - strategy.go, initiative.go, meeting.go, case.go, series.go: one file
//     per aggregate: its state, its commands (type, Validate, decider), its
//     events (type, evolve step; their JSON is pinned by testdata/events),
//     and their registry entries. docs/CONTRIBUTING.md says how to add one.
//
// # Rules
//
// Initiatives: an initiative is proposed (its primary sub-goal and other
// sub-goals must be in the catalogue), then admitted by EHR's approval of
// an admission case or rejected by EHR's rejection of one; only a proposed
// initiative is withdrawn. In the portfolio it moves forward one phase at a
// time, only by EHR's approval of a phase_gate case whose target is the
// next phase; it may be paused and resumed, cancelled (paused or not), and
// closed from the rollout phase (not while paused). Nothing leaves closed,
// cancelled, rejected or withdrawn. Status is reported while in the
// portfolio (also paused), never dated before the previous report;
// milestones only while in the portfolio and not paused.
//
// Council: meetings are numbered per forum and year and held on or after
// their date; a case is placed on the agenda of a meeting that is not held,
// of its own forum or a later one (NUFA → NUIT → EHR), and gets the next
// forum case number. The one way back: a case that reached EHR without
// NUIT's recommendation, or that EHR deferred, may be placed on a NUIT
// agenda again (CasePlacedOnAgenda.SentBack), so that every case keeps a
// way to a final decision. Decisions are recorded for a case on the
// agenda of a held meeting, only with an outcome that forum may record
// (Forum.Outcomes), at most once per kind and meeting. EHR approves only an
// approval case whose latest NUIT position is a recommendation. EHR's
// approval or rejection is final; NUIT's "not supported" is not. Decisions
// are never edited: CorrectDecision records a DecisionCorrected naming the
// corrected decision event.
//
// Errors are *Error values with a Kind (see errors.go); callers check them
// with errors.As or the helpers ErrorKind and IsKind. An aggregate a command
// names that does not exist is KindNotFound; a creating command whose id
// exists is KindRuleViolated; a state the caller did not load is
// KindInternal. A refusal's Message is English and is the API's; every
// refusal and not-found error also says itself in Norwegian (Error.Norsk,
// set with WithNorsk) for the web site's pages.
package domain
