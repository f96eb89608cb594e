package services

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/oklog/ulid/v2"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/eventstore"
)

// IdempotencyBucket is the default name of the JetStream key-value bucket
// that holds Idempotency-Key records.
const IdempotencyBucket = "PORTFOLIO_IDEMPOTENCY"

// ErrIdempotencyKeyReused: the Idempotency-Key was used before with another
// request body. Begin returns it wrapped in a KindInvalid *domain.Error;
// the HTTP layer answers 422 idempotency_key_reused.
var ErrIdempotencyKeyReused = errors.New("idempotency key was used with another request")

// ErrIdempotencyKeyInUse: another request with the same Idempotency-Key is
// still running and did not finish within the wait. Begin returns it
// wrapped in a KindConflict *domain.Error; the HTTP layer answers 409
// idempotency_key_in_use with Retry-After.
var ErrIdempotencyKeyInUse = errors.New("a request with this idempotency key is still in progress")

// IdempotencyConfig configures an IdempotencyStore.
type IdempotencyConfig struct {
	Bucket   string        // default IdempotencyBucket
	Replicas int           // default 1
	TTL      time.Duration // how long a key is remembered; default 48h, at least 24h
	// Lease is how long a pending record (a request being executed) is
	// trusted. A pending record older than that belongs to a request that
	// died (a crash between Begin and Complete); the next request with the
	// same key and body takes it over and runs the command again with the
	// same command id, which the event log deduplicates. Default 45s.
	Lease time.Duration
	// MaxWait bounds how long Begin waits for a concurrent request with the
	// same key to finish before it gives up with ErrIdempotencyKeyInUse.
	// Default 20s.
	MaxWait time.Duration
	// OpTimeout bounds each request to the bucket (default 5s, as the
	// event store's). A request that times out or finds no leader (the
	// bucket's leader moved to another node) is repeated until MaxWait,
	// instead of holding the HTTP request for all of it.
	OpTimeout time.Duration
	// Instance names this portfoliod installation: stable across its
	// restarts and different for each instance sharing the bucket (the
	// daemon keeps one in its data directory). Every pending record names
	// the instance and the run (a random id per OpenIdempotencyStore) that
	// holds it; a pending record of an earlier run of this same instance
	// belongs to a request that died with that run (a crash), and is taken
	// over at once instead of after Lease. Empty: only Lease.
	Instance string
	Logger   *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// IdempotencyStore remembers, per principal and Idempotency-Key, the
// request's fingerprint and the response it got, in a JetStream KV bucket
// (file storage), so a repeated request is answered with the first
// response, also after a restart. Safe for concurrent use, also across
// processes sharing the bucket.
//
// The protocol is Begin, then Complete (a response to remember: success or
// a 4xx that wrote nothing) or Release (a 5xx: the outcome is unknown and a
// retry must be able to run). Begin atomically creates a pending record;
// exactly one of concurrent requests with the same key wins, the others
// wait for its response and replay it.
type IdempotencyStore struct {
	kv   jetstream.KeyValue
	cfg  IdempotencyConfig
	boot string // this run's id, in the records it holds
}

// StoredResponse is a remembered HTTP response.
type StoredResponse struct {
	Status int               `json:"status"`
	Header map[string]string `json:"header,omitempty"`
	Body   []byte            `json:"body,omitempty"`
}

// Reservation is the right to execute a request with an Idempotency-Key,
// handed out by Begin.
type Reservation struct {
	kvKey    string
	revision uint64
	rec      idemRecord
	// CommandID is the command id to execute with (ExecOptions.CommandID).
	// It is the same for every attempt with this key, so a command that was
	// appended before a crash or a 5xx is deduplicated by the event log
	// when it is retried.
	CommandID string
	// AssignedID is the id to give a creating command that came without
	// one, the same for every attempt with this key.
	AssignedID string
	// Retry is true when an earlier attempt with this key got a 5xx or died.
	Retry bool
}

// BeginResult is what Begin found: either a response to replay, or a
// reservation to execute under.
type BeginResult struct {
	Replay      *StoredResponse
	Reservation *Reservation
}

type idemState string

const (
	idemPending idemState = "pending"
	idemDone    idemState = "done"
	// idemFailed: the last attempt got a 5xx; the outcome is unknown and
	// the next request with the same key and body runs again.
	idemFailed idemState = "failed"
)

type idemRecord struct {
	State       idemState `json:"state"`
	Fingerprint string    `json:"fingerprint"`
	CommandID   string    `json:"commandId"`
	AssignedID  string    `json:"assignedId"`
	Started     time.Time `json:"started"`
	Attempts    int       `json:"attempts"`
	// Instance and Boot name who holds a pending record (see
	// IdempotencyConfig.Instance); empty in records of older versions.
	Instance  string          `json:"instance,omitempty"`
	Boot      string          `json:"boot,omitempty"`
	Completed *time.Time      `json:"completed,omitempty"`
	Response  *StoredResponse `json:"response,omitempty"`
}

// OpenIdempotencyStore creates the KV bucket if missing (or updates its
// configuration) and returns the store.
func OpenIdempotencyStore(ctx context.Context, js jetstream.JetStream, cfg IdempotencyConfig) (*IdempotencyStore, error) {
	if cfg.Bucket == "" {
		cfg.Bucket = IdempotencyBucket
	}
	if cfg.Replicas <= 0 {
		cfg.Replicas = 1
	}
	if cfg.TTL == 0 {
		cfg.TTL = 48 * time.Hour
	}
	if cfg.TTL < 24*time.Hour {
		return nil, fmt.Errorf("idempotency: TTL %s is below the contract's 24h", cfg.TTL)
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 45 * time.Second
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = 20 * time.Second
	}
	if cfg.OpTimeout <= 0 {
		cfg.OpTimeout = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      cfg.Bucket,
		Description: "Idempotency-Key records of the portfolio HTTP API",
		History:     1,
		TTL:         cfg.TTL,
		Storage:     jetstream.FileStorage,
		Replicas:    cfg.Replicas,
	})
	if err != nil {
		return nil, unavailable("idempotency: open bucket "+cfg.Bucket, err)
	}
	return &IdempotencyStore{kv: kv, cfg: cfg, boot: ulid.Make().String()}, nil
}

// IdempotencyKVKey is the bucket key of a principal's Idempotency-Key: the
// hex SHA-256 of the principal's name and the key, so keys of different
// principals never collide and any client string is a valid KV key.
func IdempotencyKVKey(principal, key string) string {
	h := sha256.Sum256([]byte(principal + "\x00" + key))
	return hex.EncodeToString(h[:])
}

// Fingerprint returns the fingerprint Begin compares: the hex SHA-256 of
// the parts (e.g. the command name and its canonical JSON).
func Fingerprint(parts ...[]byte) string {
	h := sha256.New()
	for _, p := range parts {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write(p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Begin starts a request with an Idempotency-Key for principal. It returns
//   - a stored response to replay, when the key was used with the same
//     fingerprint and that request finished;
//   - a Reservation, when this request is to run (the key is new, or the
//     last attempt failed with a 5xx or died);
//   - a KindInvalid error wrapping ErrIdempotencyKeyReused, when the key
//     was used with another fingerprint;
//   - a KindConflict error wrapping ErrIdempotencyKeyInUse, when a
//     concurrent request with the key did not finish within MaxWait;
//   - a KindUnavailable error when the bucket cannot be reached.
//
// While a concurrent request with the same key and fingerprint runs, Begin
// waits (polling) for its response.
func (s *IdempotencyStore) Begin(ctx context.Context, principal, key, fingerprint string) (BeginResult, error) {
	kvKey := IdempotencyKVKey(principal, key)
	deadline := time.Now().Add(s.cfg.MaxWait) // real time: how long this call waits
	ctx, cancel := context.WithDeadline(ctx, deadline.Add(time.Second))
	defer cancel()
	sum := sha256.Sum256([]byte(kvKey))
	backoff := 20 * time.Millisecond
	// mine holds the records this call tried to write whose outcome is
	// unknown (the request timed out): finding one of them pending means
	// the write landed and the reservation is this call's.
	var mine []idemRecord
	ours := func(r idemRecord) bool {
		for _, m := range mine {
			if r.State == idemPending && r.CommandID == m.CommandID && r.Started.Equal(m.Started) {
				return true
			}
		}
		return false
	}
	for {
		now := s.cfg.Now().UTC()
		rec := idemRecord{
			State:       idemPending,
			Fingerprint: fingerprint,
			CommandID:   deterministicULID(now, sum[0:10]),
			AssignedID:  deterministicULID(now, sum[10:20]),
			Started:     now,
			Attempts:    1,
			Instance:    s.cfg.Instance,
			Boot:        s.boot,
		}
		data, err := json.Marshal(rec)
		if err != nil {
			return BeginResult{}, &domain.Error{Kind: domain.KindInternal, Err: err}
		}
		var rev uint64
		err = s.do(ctx, func(ctx context.Context) (err error) {
			rev, err = s.kv.Create(ctx, kvKey, data)
			return err
		})
		if err == nil {
			return BeginResult{Reservation: s.reservation(kvKey, rev, rec, false)}, nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) {
			if s.transient(ctx, err) && s.pause(ctx, deadline, &backoff) {
				mine = append(mine, rec)
				continue
			}
			return BeginResult{}, unavailable("idempotency: create", err)
		}

		var entry jetstream.KeyValueEntry
		err = s.do(ctx, func(ctx context.Context) (err error) {
			entry, err = s.kv.Get(ctx, kvKey)
			return err
		})
		if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
			continue // deleted or expired in between: create again
		}
		if err != nil {
			if s.transient(ctx, err) && s.pause(ctx, deadline, &backoff) {
				continue
			}
			return BeginResult{}, unavailable("idempotency: get", err)
		}
		var old idemRecord
		if err := json.Unmarshal(entry.Value(), &old); err != nil {
			return BeginResult{}, &domain.Error{Kind: domain.KindInternal, Message: "idempotency: stored record", Err: err}
		}
		if old.Fingerprint != fingerprint {
			return BeginResult{}, &domain.Error{Kind: domain.KindInvalid,
				Message: "the Idempotency-Key was already used with another request body",
				Fields:  []domain.FieldError{{Field: "Idempotency-Key", Detail: "was used with another request body"}},
				Err:     ErrIdempotencyKeyReused}
		}
		switch {
		case ours(old):
			// A write of this call landed although its answer was lost.
			return BeginResult{Reservation: s.reservation(kvKey, entry.Revision(), old, old.Attempts > 1)}, nil
		case old.State == idemDone && old.Response != nil:
			return BeginResult{Replay: old.Response}, nil
		case old.State == idemFailed || (old.State == idemPending && (now.Sub(old.Started) >= s.cfg.Lease || s.orphan(old))):
			// Take over, keeping the ids so the log deduplicates.
			orphan := old.State == idemPending && s.orphan(old)
			stale := old.State == idemPending && !orphan
			old.State = idemPending
			old.Instance, old.Boot = s.cfg.Instance, s.boot
			old.Started = now
			old.Attempts++
			old.Response = nil
			old.Completed = nil
			data, err := json.Marshal(old)
			if err != nil {
				return BeginResult{}, &domain.Error{Kind: domain.KindInternal, Err: err}
			}
			var rev uint64
			err = s.do(ctx, func(ctx context.Context) (err error) {
				rev, err = s.kv.Update(ctx, kvKey, data, entry.Revision())
				return err
			})
			if err == nil {
				switch {
				case orphan:
					s.cfg.Logger.Warn("idempotency: took over a request an earlier run of this instance did not finish", "attempt", old.Attempts)
				case stale:
					s.cfg.Logger.Warn("idempotency: took over a stale pending request", "attempt", old.Attempts)
				}
				return BeginResult{Reservation: s.reservation(kvKey, rev, old, true)}, nil
			}
			if !isCASConflict(err) {
				if s.transient(ctx, err) && s.pause(ctx, deadline, &backoff) {
					mine = append(mine, old)
					continue
				}
				return BeginResult{}, unavailable("idempotency: update", err)
			}
			// Someone else took it over first: wait for them.
		}
		// Pending: wait for the other request.
		if !time.Now().Add(backoff).Before(deadline) {
			return BeginResult{}, &domain.Error{Kind: domain.KindConflict,
				Message: "a request with this Idempotency-Key is still in progress; retry later",
				Err:     ErrIdempotencyKeyInUse}
		}
		select {
		case <-ctx.Done():
			return BeginResult{}, &domain.Error{Kind: domain.KindConflict,
				Message: "a request with this Idempotency-Key is still in progress; retry later",
				Err:     errors.Join(ErrIdempotencyKeyInUse, ctx.Err())}
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 250*time.Millisecond)
	}
}

// orphan reports whether the pending record r is held by an earlier run of
// this instance, which is gone.
func (s *IdempotencyStore) orphan(r idemRecord) bool {
	return s.cfg.Instance != "" && r.Instance == s.cfg.Instance && r.Boot != s.boot
}

// do runs one request to the bucket, bounded by OpTimeout.
func (s *IdempotencyStore) do(ctx context.Context, f func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.OpTimeout)
	defer cancel()
	return f(ctx)
}

// transient reports whether err, from a request made under ctx, is worth
// repeating: the bucket did not answer in time or had no leader, and ctx
// itself is still live.
func (s *IdempotencyStore) transient(ctx context.Context, err error) bool {
	return ctx.Err() == nil && eventstore.IsTransient(err)
}

// pause waits the backoff before a repeated request and doubles it
// (at most 250ms). It reports false when the wait would pass deadline or
// ctx ends first.
func (s *IdempotencyStore) pause(ctx context.Context, deadline time.Time, backoff *time.Duration) bool {
	if !time.Now().Add(*backoff).Before(deadline) {
		return false
	}
	select {
	case <-ctx.Done():
		return false
	case <-time.After(*backoff):
	}
	*backoff = min(*backoff*2, 250*time.Millisecond)
	return true
}

func (s *IdempotencyStore) reservation(kvKey string, rev uint64, rec idemRecord, retry bool) *Reservation {
	return &Reservation{kvKey: kvKey, revision: rev, rec: rec,
		CommandID: rec.CommandID, AssignedID: rec.AssignedID, Retry: retry}
}

// Complete remembers resp as the answer to the reserved request. Use it for
// every response except 5xx (see Release). If the reservation was taken
// over meanwhile (this request outlived its lease), the record is left to
// the newer attempt.
func (s *IdempotencyStore) Complete(ctx context.Context, r *Reservation, resp StoredResponse) error {
	now := s.cfg.Now().UTC()
	rec := r.rec
	rec.State = idemDone
	rec.Completed = &now
	rec.Response = &resp
	return s.write(ctx, r, rec)
}

// Release gives the reservation up after a 5xx: the outcome is unknown (the
// command may or may not have been written), so the next request with the
// same key and body runs again, with the same command id.
func (s *IdempotencyStore) Release(ctx context.Context, r *Reservation) error {
	rec := r.rec
	rec.State = idemFailed
	return s.write(ctx, r, rec)
}

func (s *IdempotencyStore) write(ctx context.Context, r *Reservation, rec idemRecord) error {
	data, err := json.Marshal(rec)
	if err != nil {
		return &domain.Error{Kind: domain.KindInternal, Err: err}
	}
	deadline := time.Now().Add(s.cfg.MaxWait)
	backoff := 20 * time.Millisecond
	repeated := false
	for {
		var rev uint64
		err = s.do(ctx, func(ctx context.Context) (err error) {
			rev, err = s.kv.Update(ctx, r.kvKey, data, r.revision)
			return err
		})
		switch {
		case err == nil:
			r.revision, r.rec = rev, rec
			return nil
		case isCASConflict(err) && repeated:
			// Either the timed-out write landed, or another attempt
			// took the reservation over meanwhile.
			var e jetstream.KeyValueEntry
			gerr := s.do(ctx, func(ctx context.Context) (err error) {
				e, err = s.kv.Get(ctx, r.kvKey)
				return err
			})
			if gerr == nil && bytes.Equal(e.Value(), data) {
				r.revision, r.rec = e.Revision(), rec
				return nil
			}
			s.cfg.Logger.Warn("idempotency: reservation was taken over before it completed")
			return nil
		case isCASConflict(err):
			s.cfg.Logger.Warn("idempotency: reservation was taken over before it completed")
			return nil
		case s.transient(ctx, err) && s.pause(ctx, deadline, &backoff):
			repeated = true
		default:
			return unavailable("idempotency: update", err)
		}
	}
}

// isCASConflict reports whether err is a failed compare-and-set.
func isCASConflict(err error) bool {
	if errors.Is(err, jetstream.ErrKeyExists) {
		return true
	}
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence || apiErr.ErrorCode == 10164)
}

// deterministicULID returns a ULID with t's millisecond timestamp and the
// given 10 bytes of entropy.
func deterministicULID(t time.Time, entropy []byte) string {
	var u ulid.ULID
	if err := u.SetTime(ulid.Timestamp(t)); err != nil {
		_ = u.SetTime(ulid.Now())
	}
	copy(u[6:], entropy)
	return u.String()
}

func unavailable(msg string, err error) error {
	if errors.Is(err, context.Canceled) {
		return &domain.Error{Kind: domain.KindUnavailable, Message: msg + ": request cancelled", Err: err}
	}
	return &domain.Error{Kind: domain.KindUnavailable, Message: msg, Err: err}
}
