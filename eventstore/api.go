package eventstore

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Sentinel errors. Append and Load return them wrapped in a *domain.Error
// of the matching kind, so both errors.Is(err, ErrX) and
// domain.IsKind(err, domain.KindX) work.
var (
	// ErrConflict is returned by Append when an aggregate is no longer at
	// the expected version (someone else appended first). Kind: version_conflict.
	ErrConflict = errors.New("eventstore: aggregate changed concurrently")
	// ErrUnavailable is returned when JetStream cannot be reached or does
	// not answer in time. Kind: unavailable.
	ErrUnavailable = errors.New("eventstore: event store unavailable")
	// ErrCorrupt is returned when a stored message cannot be decoded as an
	// event envelope. Kind: internal.
	ErrCorrupt = errors.New("eventstore: stored message is not a valid event")
)

// Config configures the store and the stream it creates or checks.
type Config struct {
	Stream   string // default "PORTFOLIO"
	Replicas int    // default 1
	// Source is the CloudEvents source attribute, default "/portfolio".
	Source string
	Logger *slog.Logger
}

// NewEvent is one event to append.
type NewEvent struct {
	ID   string          // ULID, assigned by the caller
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
	Events           []NewEvent
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
}

// Store is the event log on JetStream. Safe for concurrent use.
type Store struct {
	js  jetstream.JetStream
	cfg Config
}

// STUBS: replaced by store.go.

// Open creates the stream if missing, or checks it matches cfg.
func Open(ctx context.Context, js jetstream.JetStream, cfg Config) (*Store, error) {
	return &Store{js: js, cfg: cfg}, errors.New("not implemented")
}

// Append writes the events of one command atomically.
func (s *Store) Append(ctx context.Context, meta Meta, aggs ...AggregateAppend) (Result, error) {
	return Result{}, errors.New("not implemented")
}

// Load returns the aggregate's events with position > afterPosition, in order.
func (s *Store) Load(ctx context.Context, aggType, aggID string, afterPosition uint64) ([]Record, error) {
	return nil, errors.New("not implemented")
}

// LastPosition returns the stream sequence of the aggregate's last event, 0 if none.
func (s *Store) LastPosition(ctx context.Context, aggType, aggID string) (uint64, error) {
	return 0, errors.New("not implemented")
}

// Head returns the stream's last sequence.
func (s *Store) Head(ctx context.Context) (uint64, error) { return 0, errors.New("not implemented") }

// Read returns up to limit records with position > afterPosition, in log order.
func (s *Store) Read(ctx context.Context, afterPosition uint64, limit int) ([]Record, error) {
	return nil, errors.New("not implemented")
}

// DecodeRecord decodes a stored message into a Record.
func DecodeRecord(subject string, seq uint64, raw []byte) (Record, error) {
	return Record{}, errors.New("not implemented")
}
