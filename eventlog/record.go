package eventlog

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/ehelse/portfolio/audit"
)

// Sentinel errors. The event store's methods return them wrapped in a
// *domain.Error of the matching kind, so both errors.Is(err, ErrX) and
// domain.IsKind(err, domain.KindX) work.
var (
	// ErrConflict is returned by Append when an aggregate is no longer at
	// the expected version (someone else appended first). Kind: version_conflict.
	ErrConflict = errors.New("eventlog: aggregate changed concurrently")
	// ErrUnavailable is returned when JetStream cannot be reached or does
	// not answer in time. Kind: unavailable.
	ErrUnavailable = errors.New("eventlog: event store unavailable")
	// ErrCorrupt is returned when a stored message cannot be decoded as an
	// event envelope. Kind: internal.
	ErrCorrupt = errors.New("eventlog: stored message is not a valid event")
)

// NewEvent is one event to append.
type NewEvent struct {
	ID   string          // ULID, assigned by the caller (Append assigns one if empty)
	Type string          // event name, e.g. "InitiativeProposed"
	Data json.RawMessage // the event's data (JSON object)
}

// AggregateAppend is what one command writes to one aggregate.
type AggregateAppend struct {
	Type string // aggregate type, e.g. "initiative"
	ID   string // aggregate id
	// ExpectedVersion is the version the caller decided on (0: new aggregate).
	ExpectedVersion uint64
	// ExpectedPosition is the stream sequence of the aggregate's last event
	// at ExpectedVersion (0: new aggregate). It becomes the per-subject
	// expectation on "portfolio.events.<type>.<id>.*".
	ExpectedPosition uint64
	// PrevHash is the hash (lowercase hex SHA-256 of the stored payload,
	// Record.Hash or Appended.Hash) of the aggregate's last good event, the
	// one at ExpectedVersion; "" for a new aggregate. It becomes the first
	// new event's prevhash attribute; each further event of the append
	// carries its predecessor's hash. When it is "" and ExpectedVersion is
	// not 0, Append reads the event at ExpectedPosition and uses its hash
	// (one extra read; callers that track hashes pass it, and callers
	// that skip forged events must).
	PrevHash string
	Events   []NewEvent
}

// Meta is the metadata shared by every event of one command.
type Meta struct {
	CommandID     string // causation id; each event's Nats-Msg-Id derives from it
	CorrelationID string
	Actor         string
	Time          time.Time
}

// Appended describes one event that was written.
type Appended struct {
	ID            string
	Type          string
	AggregateType string
	AggregateID   string
	Version       uint64
	Position      uint64
	// Hash is the event's hash: lowercase hex SHA-256 of its stored payload.
	Hash string
}

// Result is what Append wrote.
type Result struct {
	Events []Appended
	// Duplicate is true when the command's events were already in the log
	// (a retried append); Events then describes the stored ones.
	Duplicate bool
}

// Record is one event as stored in the log.
type Record struct {
	Position      uint64 // stream sequence
	Subject       string
	ID            string
	Type          string // event name, without prefix or version
	SchemaVersion int    // the ".vN" suffix of the CloudEvents type
	AggregateType string
	AggregateID   string
	Version       uint64
	Time          time.Time
	Actor         string
	CausationID   string
	CorrelationID string
	Data          json.RawMessage
	Raw           []byte // the stored CloudEvent, byte for byte
	// PrevHash is the envelope's prevhash attribute ("" when absent).
	PrevHash string
	// Hash is lowercase hex SHA-256 of Raw.
	Hash string
	// Signature is the message's Portfolio-Signature header ("" when the
	// message has none, or the record was decoded without headers).
	Signature string
	// Invalid is set only by ReadAudit, for a stored message that is not a
	// valid event: why. Such a record has only Position, Subject, Raw,
	// Hash and Signature.
	Invalid string
}

// AuditEvent returns the record as package audit verifies it.
func (r Record) AuditEvent() audit.Event {
	return audit.Event{Position: r.Position, Subject: r.Subject, Payload: r.Raw, Signature: r.Signature}
}
