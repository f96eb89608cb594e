package domain

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"reflect"
	"strings"
)

// stateSchemaVersion is the hand-kept part of StateSchema. Bump it when
// Evolve starts deriving a state differently from the same events (a field
// computed another way, an event folded differently): snapshots written by
// the old code then no longer decode, and the command path folds the
// history again. A change to the state types' fields needs no bump: the
// shape fingerprint in StateSchema changes by itself.
const stateSchemaVersion = 1

// StateSchema names the encoding EncodeState writes: stateSchemaVersion and
// a fingerprint of the state types (their fields, field types and JSON
// tags), e.g. "1.3f9a0c12be47". DecodeState accepts only its own schema.
var StateSchema = fmt.Sprintf("%d.%s", stateSchemaVersion, stateShape())

// ErrStateSchema is wrapped by DecodeState's error for a snapshot of
// another schema (written by another version of the product).
var ErrStateSchema = errors.New("domain: state of another schema")

// encodedState is what EncodeState writes: the schema, the aggregate and
// the state's JSON (the shape the HTTP API also shows).
type encodedState struct {
	Schema string          `json:"schema"`
	Type   AggregateType   `json:"type"`
	ID     string          `json:"id"`
	State  json.RawMessage `json:"state"`
}

// EncodeState returns the snapshot encoding of a state: JSON with the
// schema (StateSchema) and the aggregate, from which DecodeState restores
// a state equal to s (reflect.DeepEqual) that Evolve folds further exactly
// as it would s.
//
// The states have only exported fields with JSON names, nil and empty
// slices and maps keep their difference through JSON (null, [] and {}),
// pointers are nil or point to a value, and every time in a state is a
// UTC time from the log (RFC 3339 with nanoseconds keeps it exactly), so
// the state's own JSON is the encoding; snapshot_test.go checks that this
// stays so.
func EncodeState(s State) ([]byte, error) {
	if nilState(s) {
		return nil, Errorf(KindInternal, "encode state: no state")
	}
	if _, ok := stateTypes[reflect.TypeOf(s)]; !ok {
		return nil, Errorf(KindInternal, "encode state: unknown state %T", s)
	}
	raw, err := json.Marshal(s)
	if err != nil {
		return nil, Errorf(KindInternal, "encode state %s: %v", s.StateRef(), err)
	}
	ref := s.StateRef()
	return json.Marshal(encodedState{Schema: StateSchema, Type: ref.Type, ID: ref.ID, State: raw})
}

// DecodeState restores a state that EncodeState wrote for the aggregate
// ref. It returns an error wrapping ErrStateSchema when data is of another
// schema, and an error when data is not a state of ref; a caller holding a
// snapshot then ignores it and folds the history instead.
func DecodeState(ref Ref, data []byte) (State, error) {
	// The schema first, whatever its JSON type: an encoding of another
	// version is ErrStateSchema, not malformed.
	var head struct {
		Schema json.RawMessage `json:"schema"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("domain: decode state of %s: %w", ref, err)
	}
	var schema string
	if err := json.Unmarshal(head.Schema, &schema); err != nil || schema != StateSchema {
		return nil, fmt.Errorf("%w: %s has schema %s, this version reads %q", ErrStateSchema, ref, head.Schema, StateSchema)
	}
	var env encodedState
	if err := json.Unmarshal(data, &env); err != nil {
		return nil, fmt.Errorf("domain: decode state of %s: %w", ref, err)
	}
	if env.Type != ref.Type || env.ID != ref.ID {
		return nil, fmt.Errorf("domain: decode state: the state is of %s/%s, not %s", env.Type, env.ID, ref)
	}
	empty := NewState(ref)
	if empty == nil {
		return nil, fmt.Errorf("domain: decode state: unknown aggregate type %q", ref.Type)
	}
	// A fresh zero value, not NewState's: fields the JSON leaves out
	// (omitzero times) must stay zero.
	st := reflect.New(reflect.TypeOf(empty).Elem()).Interface().(State)
	dec := json.NewDecoder(bytes.NewReader(env.State))
	dec.DisallowUnknownFields()
	if err := dec.Decode(st); err != nil {
		return nil, fmt.Errorf("domain: decode state of %s: %w", ref, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("domain: decode state of %s: data after the state", ref)
	}
	if got := st.StateRef(); got != ref {
		return nil, fmt.Errorf("domain: decode state: the state names %s, not %s", got, ref)
	}
	return st, nil
}

// stateTypes are the State implementations EncodeState accepts.
var stateTypes = map[reflect.Type]bool{
	reflect.TypeFor[*StrategyState]():   true,
	reflect.TypeFor[*InitiativeState](): true,
	reflect.TypeFor[*MeetingState]():    true,
	reflect.TypeFor[*CaseState]():       true,
	reflect.TypeFor[*SeriesState]():     true,
	reflect.TypeFor[*IndicatorState]():  true,
	reflect.TypeFor[*RoundsState]():     true,
	reflect.TypeFor[*DependencyState](): true,

	reflect.TypeFor[*ConsultationState](): true,
}

// stateShape fingerprints the state types: every field's name, type and
// JSON tag, through nested structs, slices, maps and pointers (a type with
// its own JSON encoding, like time.Time, counts by name).
func stateShape() string {
	var b strings.Builder
	seen := map[reflect.Type]bool{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		b.WriteString(t.String())
		b.WriteString(";")
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array:
			walk(t.Elem())
		case reflect.Map:
			walk(t.Key())
			walk(t.Elem())
		case reflect.Struct:
			if seen[t] || t.Implements(jsonMarshaler) || reflect.PointerTo(t).Implements(jsonMarshaler) {
				return
			}
			seen[t] = true
			b.WriteString("{")
			for i := range t.NumField() {
				f := t.Field(i)
				fmt.Fprintf(&b, "%s %q ", f.Name, f.Tag.Get("json"))
				walk(f.Type)
			}
			b.WriteString("}")
		}
	}
	for _, t := range []reflect.Type{
		reflect.TypeFor[StrategyState](), reflect.TypeFor[InitiativeState](), reflect.TypeFor[MeetingState](),
		reflect.TypeFor[CaseState](), reflect.TypeFor[SeriesState](),
		reflect.TypeFor[IndicatorState](), reflect.TypeFor[RoundsState](), reflect.TypeFor[DependencyState](),
		reflect.TypeFor[ConsultationState](),
	} {
		walk(t)
	}
	// A fingerprint, not a security measure: FNV keeps the domain free of
	// the crypto packages.
	h := fnv.New64a()
	h.Write([]byte(b.String()))
	return hex.EncodeToString(h.Sum(nil)[:6])
}

var jsonMarshaler = reflect.TypeFor[json.Marshaler]()
