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
//	refs := Needs(cmd, loaded)          // repeat until no new refs
//	changes, err := Decide(cmd, states, now)
//	state = Evolve(state, recorded)     // for every event, in order
//
// Decide returns every event a command produces, across aggregates; the
// caller writes them in one atomic append with an optimistic-concurrency
// expectation for each aggregate written.
//
// Errors are *Error values with a Kind (see errors.go); callers check them
// with errors.As or the helpers ErrorKind and IsKind.
package domain
