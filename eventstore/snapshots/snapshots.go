// Package snapshots keeps the command path's aggregate snapshots in a
// JetStream key-value bucket: the adapter behind services.Snapshots. See
// Store for what a snapshot is trusted for.
package snapshots

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ehelse/portfolio/audit"
	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/eventlog"
	"github.com/ehelse/portfolio/eventstore"
)

// DefaultBucket is the default name of the JetStream key-value bucket
// that holds aggregate snapshots.
const DefaultBucket = "PORTFOLIO_SNAPSHOTS"

// Config configures a Store.
type Config struct {
	Bucket   string // default DefaultBucket
	Replicas int    // default 1
	// Signer signs every snapshot Put writes (the event signing key).
	// Nil: snapshots are written unsigned.
	Signer ed25519.PrivateKey
	// TrustedKeys, when not empty, makes Get accept only snapshots signed
	// by one of these keys (the command service's, services.CommandConfig.TrustedKeys). Empty:
	// unsigned snapshots are accepted, as unverified events are then.
	TrustedKeys []ed25519.PublicKey
	// Timeout bounds each Get and Put (default 2s): a slow bucket costs a
	// command at most that before it folds the history instead.
	Timeout time.Duration
	Logger  *slog.Logger
}

// Store keeps one snapshot per aggregate in a JetStream key-value
// bucket (file storage, history 1), under the key "<type>.<id>"; the value
// is JSON {schema, version, position, hash, state, signature}, state being
// domain.EncodeState's encoding.
//
// Snapshots are a cache: the command path uses one only if it decodes, is
// of this version's schema (domain.StateSchema) and is signed by a trusted
// key, and only if the log still holds the snapshot's last event at its
// position with its hash; it then reads and verifies the events after
// that position as usual, the hash chain continuing from the snapshot's
// hash and version. A missing, stale or unusable snapshot costs time,
// never a different outcome.
//
// Who can write the bucket: anyone allowed to publish to
// $KV.<bucket>.> on the NATS server — the product's own connection, and
// with an external NATS server whoever its accounts let. Subscribing
// services cannot: the embedded server gives them only reads of the
// PORTFOLIO stream (daemon.SubscriberPermissions). Because a snapshot is
// taken instead of the events it summarises, an unsigned snapshot would
// let such a writer decide what commands are decided on, bypassing the
// event signatures the command path checks (CommandConfig.TrustedKeys).
// So snapshots are signed with the event signing key, over the aggregate,
// the schema, version, position, hash and state, and Get refuses one that
// a trusted key did not sign: a writer without the signing key can delete
// snapshots or put back older genuine ones, which only costs a longer
// read. See docs/ARCHITECTURE.md ("What is consistent when").
type Store struct {
	kv   jetstream.KeyValue
	cfg  Config
	keys audit.Keyring // nil: signatures are not checked
}

// snapshotRecord is the stored value.
type snapshotRecord struct {
	Schema   string          `json:"schema"`
	Version  uint64          `json:"version"`
	Position uint64          `json:"position"`
	Hash     string          `json:"hash"`
	State    json.RawMessage `json:"state"`
	// Signature is audit.Sign's "ed25519;<keyid>;<base64>" over
	// snapshotDigest; empty when unsigned.
	Signature string `json:"signature,omitempty"`
}

// Open creates the KV bucket if missing (or updates its
// configuration) and returns the store.
func Open(ctx context.Context, js jetstream.JetStream, cfg Config) (*Store, error) {
	if cfg.Bucket == "" {
		cfg.Bucket = DefaultBucket
	}
	if cfg.Replicas <= 0 {
		cfg.Replicas = 1
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      cfg.Bucket,
		Description: "Aggregate snapshots of the portfolio command path (a cache; safe to delete)",
		History:     1,
		Storage:     jetstream.FileStorage,
		Replicas:    cfg.Replicas,
	})
	if err != nil {
		return nil, eventstore.Unavailable("snapshots: open bucket "+cfg.Bucket, err)
	}
	s := &Store{kv: kv, cfg: cfg}
	if len(cfg.TrustedKeys) > 0 {
		s.keys = audit.NewKeyring(cfg.TrustedKeys...)
	}
	return s, nil
}

// Key is the bucket key of an aggregate's snapshot: "<type>.<id>".
// It is "" when the aggregate's id is not a valid key (the aggregate then
// has no snapshot).
func Key(ref domain.Ref) string {
	k := string(ref.Type) + "." + ref.ID
	if ref.Type == "" || ref.ID == "" {
		return ""
	}
	for _, c := range k {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '=', c == '.':
		default:
			return ""
		}
	}
	return k
}

// Get returns the aggregate's snapshot: false when there is none or it is
// not usable (logged: at Info when of another schema, at Error when not
// signed by a trusted key, else at Warn), an error when the bucket could
// not be read.
func (s *Store) Get(ctx context.Context, ref domain.Ref) (eventlog.Snapshot, bool, error) {
	key := Key(ref)
	if key == "" {
		return eventlog.Snapshot{}, false, nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	e, err := s.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return eventlog.Snapshot{}, false, nil
	}
	if err != nil {
		return eventlog.Snapshot{}, false, eventstore.Unavailable("snapshots: get "+key, err)
	}
	snap, err := s.decode(ref, e.Value())
	if err != nil {
		level := slog.LevelWarn
		switch {
		case errors.Is(err, errSnapshotSignature):
			level = slog.LevelError
		case errors.Is(err, domain.ErrStateSchema): // written by another version
			level = slog.LevelInfo
		}
		s.cfg.Logger.Log(ctx, level, "snapshots: ignoring an unusable snapshot", "key", key, "reason", err.Error())
		return eventlog.Snapshot{}, false, nil
	}
	return snap, true, nil
}

var errSnapshotSignature = errors.New("not signed by a trusted key")

// decode checks and decodes a stored snapshot of ref.
func (s *Store) decode(ref domain.Ref, value []byte) (eventlog.Snapshot, error) {
	var rec snapshotRecord
	if err := json.Unmarshal(value, &rec); err != nil {
		return eventlog.Snapshot{}, err
	}
	if s.keys != nil {
		if err := s.keys.Check(rec.Signature, snapshotDigest(ref, rec)); err != nil {
			return eventlog.Snapshot{}, fmt.Errorf("%w: %v", errSnapshotSignature, err)
		}
	}
	if rec.Schema != domain.StateSchema {
		return eventlog.Snapshot{}, fmt.Errorf("%w: schema %q, this version reads %q", domain.ErrStateSchema, rec.Schema, domain.StateSchema)
	}
	if rec.Version == 0 || rec.Position == 0 || !audit.IsHashText(rec.Hash) {
		return eventlog.Snapshot{}, fmt.Errorf("version %d, position %d, hash %q: not a snapshot of an existing aggregate", rec.Version, rec.Position, rec.Hash)
	}
	st, err := domain.DecodeState(ref, rec.State)
	if err != nil {
		return eventlog.Snapshot{}, err
	}
	if st.StateVersion() != rec.Version {
		return eventlog.Snapshot{}, fmt.Errorf("the state is at version %d, the snapshot says %d", st.StateVersion(), rec.Version)
	}
	return eventlog.Snapshot{State: st, Position: rec.Position, Hash: rec.Hash}, nil
}

// Put writes the aggregate's snapshot, signed when the store has a Signer.
func (s *Store) Put(ctx context.Context, ref domain.Ref, snap eventlog.Snapshot) error {
	key := Key(ref)
	if key == "" {
		return nil
	}
	if snap.State == nil || snap.State.StateRef() != ref {
		return fmt.Errorf("snapshots: put %s: the state is not of that aggregate", ref)
	}
	raw, err := domain.EncodeState(snap.State)
	if err != nil {
		return err
	}
	rec := snapshotRecord{Schema: domain.StateSchema, Version: snap.State.StateVersion(), Position: snap.Position, Hash: snap.Hash, State: raw}
	if s.cfg.Signer != nil {
		rec.Signature = audit.Sign(s.cfg.Signer, snapshotDigest(ref, rec))
	}
	value, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	if _, err := s.kv.Put(ctx, key, value); err != nil {
		return eventstore.Unavailable("snapshots: put "+key, err)
	}
	return nil
}

// snapshotDigest is what a snapshot's signature signs: SHA-256 over a
// label and the length-prefixed aggregate, schema, version, position, hash
// and state. The signed bytes start with a binary length, not "{", so
// they are never a valid stored event (a CloudEvent JSON object, signed
// over its SHA-256): a snapshot's signature cannot pass for an event's.
func snapshotDigest(ref domain.Ref, rec snapshotRecord) audit.Hash {
	h := sha256.New()
	part := func(b []byte) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	num := func(v uint64) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], v)
		part(n[:])
	}
	part([]byte("portfolio aggregate snapshot v1"))
	part([]byte(ref.Type))
	part([]byte(ref.ID))
	part([]byte(rec.Schema))
	num(rec.Version)
	num(rec.Position)
	part([]byte(rec.Hash))
	part(rec.State)
	var out audit.Hash
	h.Sum(out[:0])
	return out
}
