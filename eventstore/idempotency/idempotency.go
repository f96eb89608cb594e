// Package idempotency keeps the HTTP API's Idempotency-Key records in a
// JetStream key-value bucket: the adapter behind services.Idempotency.
package idempotency

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/oklog/ulid/v2"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/eventstore"
	"github.com/ehelse/portfolio/services"
)

// DefaultBucket is the default name of the JetStream key-value bucket
// that holds Idempotency-Key records.
const DefaultBucket = "PORTFOLIO_IDEMPOTENCY"

var _ services.Idempotency = (*Store)(nil)

// Config configures an Store.
type Config struct {
	Bucket   string        // default DefaultBucket
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
	// the instance and the run (a random id per Open) that
	// holds it; a pending record of an earlier run of this same instance
	// belongs to a request that died with that run (a crash), and is taken
	// over at once instead of after Lease. Empty: only Lease.
	Instance string
	Logger   *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Store remembers, per principal and Idempotency-Key, the
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
type Store struct {
	kv   jetstream.KeyValue
	cfg  Config
	boot string // this run's id, in the records it holds
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
	// Config.Instance); empty in records of older versions.
	Instance  string                   `json:"instance,omitempty"`
	Boot      string                   `json:"boot,omitempty"`
	Completed *time.Time               `json:"completed,omitempty"`
	Response  *services.StoredResponse `json:"response,omitempty"`
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
	return &Store{kv: kv, cfg: cfg, boot: ulid.Make().String()}, nil
}

// Key is the bucket key of a principal's Idempotency-Key: the
// hex SHA-256 of the principal's name and the key, so keys of different
// principals never collide and any client string is a valid KV key.
func Key(principal, key string) string {
	h := sha256.Sum256([]byte(principal + "\x00" + key))
	return hex.EncodeToString(h[:])
}

// Begin starts a request with an Idempotency-Key for principal (see
// services.Idempotency). While a concurrent request with the same key and
// fingerprint runs, Begin waits (polling, with exponential backoff) up to
// MaxWait for its response; a request to the bucket that times out or
// finds no leader is repeated within the same bound.
func (s *Store) Begin(ctx context.Context, principal, key, fingerprint string) (services.BeginResult, error) {
	kvKey := Key(principal, key)
	ctx, cancel := context.WithTimeout(ctx, s.cfg.MaxWait+time.Second)
	defer cancel()
	sum := sha256.Sum256([]byte(kvKey))
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
	inUse := &domain.Error{Kind: domain.KindConflict,
		Message: "a request with this Idempotency-Key is still in progress; retry later",
		Err:     services.ErrIdempotencyKeyInUse}
	// again marks a failure worth another attempt after the backoff; any
	// other error is final.
	again := func(err error) error { return err }
	final := func(err error) error { return backoff.Permanent(err) }
	var last error
	res, err := backoff.Retry(ctx, func() (services.BeginResult, error) {
		r, err := s.tryBegin(ctx, kvKey, fingerprint, sum, &mine, ours, inUse, again, final)
		last = err
		return r, err
	}, backoff.WithBackOff(s.pollBackOff()), backoff.WithMaxElapsedTime(s.cfg.MaxWait))
	if err != nil && last != nil && !errors.As(err, new(*domain.Error)) {
		// ctx ended while waiting: say what was being waited for.
		if last == inUse {
			return services.BeginResult{}, &domain.Error{Kind: domain.KindConflict, Message: inUse.Message,
				Err: errors.Join(services.ErrIdempotencyKeyInUse, err)}
		}
		return services.BeginResult{}, last
	}
	return res, err
}

// tryBegin is one attempt of Begin: create the record, or read the one
// there and replay it, take it over or wait for it.
func (s *Store) tryBegin(ctx context.Context, kvKey, fingerprint string, sum [32]byte, mine *[]idemRecord, ours func(idemRecord) bool,
	inUse error, again, final func(error) error) (services.BeginResult, error) {
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
		return services.BeginResult{}, final(&domain.Error{Kind: domain.KindInternal, Err: err})
	}
	var rev uint64
	err = s.do(ctx, func(ctx context.Context) (err error) {
		rev, err = s.kv.Create(ctx, kvKey, data)
		return err
	})
	if err == nil {
		return services.BeginResult{Reservation: s.reservation(kvKey, rev, rec, false)}, nil
	}
	if !errors.Is(err, jetstream.ErrKeyExists) {
		if s.transient(ctx, err) {
			*mine = append(*mine, rec)
			return services.BeginResult{}, again(unavailable("idempotency: create", err))
		}
		return services.BeginResult{}, final(unavailable("idempotency: create", err))
	}

	var entry jetstream.KeyValueEntry
	err = s.do(ctx, func(ctx context.Context) (err error) {
		entry, err = s.kv.Get(ctx, kvKey)
		return err
	})
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		// Deleted or expired in between: create again at once.
		return services.BeginResult{}, &backoff.RetryAfterError{}
	}
	if err != nil {
		if s.transient(ctx, err) {
			return services.BeginResult{}, again(unavailable("idempotency: get", err))
		}
		return services.BeginResult{}, final(unavailable("idempotency: get", err))
	}
	var old idemRecord
	if err := json.Unmarshal(entry.Value(), &old); err != nil {
		return services.BeginResult{}, final(&domain.Error{Kind: domain.KindInternal, Message: "idempotency: stored record", Err: err})
	}
	if old.Fingerprint != fingerprint {
		return services.BeginResult{}, final(&domain.Error{Kind: domain.KindInvalid,
			Message: "the Idempotency-Key was already used with another request body",
			Fields:  []domain.FieldError{{Field: "Idempotency-Key", Detail: "was used with another request body"}},
			Err:     services.ErrIdempotencyKeyReused})
	}
	switch {
	case ours(old):
		// A write of this call landed although its answer was lost.
		return services.BeginResult{Reservation: s.reservation(kvKey, entry.Revision(), old, old.Attempts > 1)}, nil
	case old.State == idemDone && old.Response != nil:
		return services.BeginResult{Replay: old.Response}, nil
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
			return services.BeginResult{}, final(&domain.Error{Kind: domain.KindInternal, Err: err})
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
			return services.BeginResult{Reservation: s.reservation(kvKey, rev, old, true)}, nil
		}
		if !isCASConflict(err) {
			if s.transient(ctx, err) {
				*mine = append(*mine, old)
				return services.BeginResult{}, again(unavailable("idempotency: update", err))
			}
			return services.BeginResult{}, final(unavailable("idempotency: update", err))
		}
		// Someone else took it over first: wait for them.
	}
	// Pending: wait for the other request.
	return services.BeginResult{}, again(inUse)
}

// pollBackOff is the wait between attempts: 20ms, doubling up to 250ms.
func (s *Store) pollBackOff() backoff.BackOff {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = 20 * time.Millisecond
	b.Multiplier = 2
	b.MaxInterval = 250 * time.Millisecond
	b.RandomizationFactor = 0
	return b
}

// orphan reports whether the pending record r is held by an earlier run of
// this instance, which is gone.
func (s *Store) orphan(r idemRecord) bool {
	return s.cfg.Instance != "" && r.Instance == s.cfg.Instance && r.Boot != s.boot
}

// do runs one request to the bucket, bounded by OpTimeout.
func (s *Store) do(ctx context.Context, f func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.OpTimeout)
	defer cancel()
	return f(ctx)
}

// transient reports whether err, from a request made under ctx, is worth
// repeating: the bucket did not answer in time or had no leader, and ctx
// itself is still live.
func (s *Store) transient(ctx context.Context, err error) bool {
	return ctx.Err() == nil && eventstore.IsTransient(err)
}

// held is the store's record of a reservation (services.Reservation.Held).
type held struct {
	kvKey    string
	revision uint64
	rec      idemRecord
}

func (s *Store) reservation(kvKey string, rev uint64, rec idemRecord, retry bool) *services.Reservation {
	return &services.Reservation{CommandID: rec.CommandID, AssignedID: rec.AssignedID, Retry: retry,
		Held: &held{kvKey: kvKey, revision: rev, rec: rec}}
}

// Complete remembers resp as the answer to the reserved request. Use it for
// every response except 5xx (see Release). If the reservation was taken
// over meanwhile (this request outlived its lease), the record is left to
// the newer attempt.
func (s *Store) Complete(ctx context.Context, r *services.Reservation, resp services.StoredResponse) error {
	h, err := heldOf(r)
	if err != nil {
		return err
	}
	now := s.cfg.Now().UTC()
	rec := h.rec
	rec.State = idemDone
	rec.Completed = &now
	rec.Response = &resp
	return s.write(ctx, h, rec)
}

// Release gives the reservation up after a 5xx: the outcome is unknown (the
// command may or may not have been written), so the next request with the
// same key and body runs again, with the same command id.
func (s *Store) Release(ctx context.Context, r *services.Reservation) error {
	h, err := heldOf(r)
	if err != nil {
		return err
	}
	rec := h.rec
	rec.State = idemFailed
	return s.write(ctx, h, rec)
}

func heldOf(r *services.Reservation) (*held, error) {
	if h, ok := r.Held.(*held); ok && h != nil {
		return h, nil
	}
	return nil, &domain.Error{Kind: domain.KindInternal, Message: "idempotency: not a reservation of this store"}
}

// write replaces the reserved record with rec, repeating a request that
// times out or finds no leader until MaxWait.
func (s *Store) write(ctx context.Context, h *held, rec idemRecord) error {
	data, err := json.Marshal(rec)
	if err != nil {
		return &domain.Error{Kind: domain.KindInternal, Err: err}
	}
	repeated := false
	_, err = backoff.Retry(ctx, func() (struct{}, error) {
		var rev uint64
		err := s.do(ctx, func(ctx context.Context) (err error) {
			rev, err = s.kv.Update(ctx, h.kvKey, data, h.revision)
			return err
		})
		switch {
		case err == nil:
			h.revision, h.rec = rev, rec
		case isCASConflict(err) && repeated:
			// Either the timed-out write landed, or another attempt
			// took the reservation over meanwhile.
			var e jetstream.KeyValueEntry
			gerr := s.do(ctx, func(ctx context.Context) (err error) {
				e, err = s.kv.Get(ctx, h.kvKey)
				return err
			})
			if gerr == nil && bytes.Equal(e.Value(), data) {
				h.revision, h.rec = e.Revision(), rec
				return struct{}{}, nil
			}
			s.cfg.Logger.Warn("idempotency: reservation was taken over before it completed")
		case isCASConflict(err):
			s.cfg.Logger.Warn("idempotency: reservation was taken over before it completed")
		case s.transient(ctx, err):
			repeated = true
			return struct{}{}, unavailable("idempotency: update", err)
		default:
			return struct{}{}, backoff.Permanent(unavailable("idempotency: update", err))
		}
		return struct{}{}, nil
	}, backoff.WithBackOff(s.pollBackOff()), backoff.WithMaxElapsedTime(s.cfg.MaxWait))
	if err != nil && !errors.As(err, new(*domain.Error)) {
		return unavailable("idempotency: update", err)
	}
	return err
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
