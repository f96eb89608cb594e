package domain

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestRegistryComplete fails by name when a registered command or event
// lacks one of its parts: a command its aggregate, who may give it, its
// target or its decider; an event its evolve step, its aggregate, a golden
// file in testdata/events or a sample. It is the check behind "Adding a
// command" in docs/CONTRIBUTING.md.
func TestRegistryComplete(t *testing.T) {
	samples := commandSamples()
	seen := map[string]bool{}
	for _, c := range commandRegistry {
		name := c.name()
		t.Run("command/"+name, func(t *testing.T) {
			if seen[name] {
				t.Fatalf("command %s is registered twice", name)
			}
			seen[name] = true
			for _, part := range c.missing() {
				t.Errorf("command %s has no %s", name, part)
			}
			if _, ok := aggregatesByType[c.aggregate()]; !ok {
				t.Errorf("command %s: aggregate %q is not registered", name, c.aggregate())
			}
			p, ok := NewCommand(name)
			if !ok || p.CommandName() != name {
				t.Fatalf("NewCommand(%s) = %v, %v", name, p, ok)
			}
			s, ok := samples[name]
			if !ok {
				t.Fatalf("command %s has no sample in commandSamples", name)
			}
			if got := Target(s); got.Type != c.aggregate() || got.ID == "" {
				t.Errorf("command %s: Target(sample) = %s, want an aggregate of type %s", name, got, c.aggregate())
			}
			if refs := Needs(s, map[Ref]State{}); len(refs) == 0 || refs[0] != Target(s) {
				t.Errorf("command %s: Needs does not list the target first: %v", name, refs)
			}
		})
	}
	creators := map[AggregateType][]string{}
	for _, e := range eventRegistry {
		et := e.eventType()
		t.Run("event/"+et, func(t *testing.T) {
			if seen[et] {
				t.Fatalf("event %s is registered twice (or named like a command)", et)
			}
			seen[et] = true
			for _, part := range e.missing() {
				t.Errorf("event %s has no %s", et, part)
			}
			if _, err := os.Stat(filepath.Join("testdata", "events", et+".json")); err != nil {
				t.Errorf("event %s has no golden file (go test ./domain -run TestEventGolden -update): %v", et, err)
			}
			if _, ok := eventSamples()[et]; !ok {
				t.Errorf("event %s has no sample in eventSamples", et)
			}
			if e.isCreating() {
				creators[e.aggregate()] = append(creators[e.aggregate()], et)
			}
		})
	}
	for _, a := range AggregateTypes {
		def, ok := aggregatesByType[a]
		if !ok {
			t.Errorf("aggregate type %s is not registered", a)
			continue
		}
		created := def.createdByEvent()
		if n := len(creators[a]); created && n != 1 || !created && n != 0 {
			t.Errorf("aggregate %s (created by an event: %v) has creating events %v", a, created, creators[a])
		}
	}
	if len(aggregateRegistry) != len(AggregateTypes) {
		t.Errorf("%d aggregates registered, AggregateTypes lists %d", len(aggregateRegistry), len(AggregateTypes))
	}
}

// Commands are given as values or as pointers (decoded JSON); nil
// pointers are no command.
func TestRegistryValuesAndPointers(t *testing.T) {
	v := ReportStatus{InitiativeID: ini1}
	if Target(v) != Target(&v) || Target(v) != iref(ini1) {
		t.Errorf("Target(value) = %s, Target(pointer) = %s", Target(v), Target(&v))
	}
	if got := Target((*ReportStatus)(nil)); got != (Ref{}) {
		t.Errorf("Target(nil pointer) = %s", got)
	}
	if _, err := Decide((*ReportStatus)(nil), nil, now); !IsKind(err, KindInvalid) {
		t.Errorf("Decide(nil pointer) = %v, want invalid", err)
	}
	if !slices.Equal(CommandNames[:3], []string{"DefineStrategicGoal", "DefineSubGoal", "ProposeInitiative"}) {
		t.Errorf("CommandNames starts %v, not in the order of the contract", CommandNames[:3])
	}
	if w, ok := CommandGivenBy("ReportStatus"); !ok || w != SecretariatOrOwner {
		t.Errorf("CommandGivenBy(ReportStatus) = %v, %v", w, ok)
	}
	if _, ok := CommandGivenBy("NoSuchCommand"); ok {
		t.Error("CommandGivenBy(NoSuchCommand) is known")
	}
}
