package domain

import (
	"encoding/json"
	"fmt"
	"time"
)

// Event is a fact recorded in the log. Events are a persisted contract:
// their JSON is pinned by golden files in testdata/, and a change to a
// type's fields needs a new version and an upcaster.
type Event interface {
	// EventType is the event's name, e.g. "InitiativeProposed".
	EventType() string
}

// Recorded is an event as read back from the log, with the metadata that
// Evolve may use.
type Recorded struct {
	ID       string    // event id (ULID)
	Version  uint64    // the aggregate's version after this event (first event: 1)
	Position uint64    // stream sequence
	Time     time.Time // when it was recorded
	Actor    string    // who gave the command
	Event    Event
}

// Change is one event Decide produced, for one aggregate.
type Change struct {
	Ref   Ref
	Event Event
}

// EventVersion is the schema version of every current event type. It is
// the suffix of the CloudEvents type ("…InitiativeProposed.v1").
const EventVersion = 1

// EncodeEvent returns the JSON of an event's data.
func EncodeEvent(e Event) ([]byte, error) { return json.Marshal(e) }

// DecodeEvent decodes an event's data of the given type and schema version.
// It returns a value (not a pointer), e.g. InitiativeProposed. Older
// versions are upcast here. It returns a KindInvalid error for an unknown
// type, version or malformed data.
func DecodeEvent(eventType string, version int, data []byte) (Event, error) {
	def, ok := eventsByType[eventType]
	if !ok {
		return nil, Errorf(KindInvalid, "unknown event type %q", eventType)
	}
	if version != EventVersion {
		return nil, Errorf(KindInvalid, "unknown version %d of event type %q", version, eventType)
	}
	e, err := def.decode(data)
	if err != nil {
		return nil, &Error{Kind: KindInvalid, Message: fmt.Sprintf("event %s data", eventType), Err: err}
	}
	return e, nil
}
