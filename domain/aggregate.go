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

// NewState returns the empty state (version 0) of an aggregate.
func NewState(ref Ref) State {
	panic("domain.NewState: not implemented yet")
}

// Evolve returns the state after event r. It does not modify s. It returns
// a KindInternal error if the event does not belong to the aggregate or
// does not follow its version.
func Evolve(s State, r Recorded) (State, error) {
	panic("domain.Evolve: not implemented yet")
}

// Target is the aggregate a command is addressed to: the one If-Match
// refers to and the one the HTTP response names.
func Target(cmd Command) Ref {
	panic("domain.Target: not implemented yet")
}

// Needs lists the aggregates Decide must see for cmd, given the states
// loaded so far (have may be empty). The caller loads what is missing and
// calls Needs again until it lists nothing new. Needs is pure.
func Needs(cmd Command, have map[Ref]State) []Ref {
	panic("domain.Needs: not implemented yet")
}

// Decide checks cmd against the rules and the states and returns the events
// to record, or an *Error (KindInvalid, KindRuleViolated, KindNotFound). It
// does not modify states. now is the time of the decision.
func Decide(cmd Command, states map[Ref]State, now time.Time) ([]Change, error) {
	panic("domain.Decide: not implemented yet")
}
