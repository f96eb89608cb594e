package services

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
)

// Idempotency remembers, per principal and Idempotency-Key, the request's
// fingerprint and the response it got, so that a repeated request is
// answered with the first response. *idempotency.Store (package
// eventstore/idempotency, a JetStream key-value bucket) implements it.
//
// The protocol is Begin, then Complete (a response to remember: success or
// a 4xx that wrote nothing) or Release (a 5xx: the outcome is unknown and a
// retry must be able to run). Exactly one of concurrent requests with the
// same key wins Begin; the others wait for its response and replay it.
//
// Begin returns
//   - a stored response to replay, when the key was used with the same
//     fingerprint and that request finished;
//   - a Reservation, when this request is to run (the key is new, or the
//     last attempt failed with a 5xx or died);
//   - a KindInvalid error wrapping ErrIdempotencyKeyReused, when the key
//     was used with another fingerprint;
//   - a KindConflict error wrapping ErrIdempotencyKeyInUse, when a
//     concurrent request with the key did not finish in time;
//   - a KindUnavailable error when the store cannot be reached.
type Idempotency interface {
	Begin(ctx context.Context, principal, key, fingerprint string) (BeginResult, error)
	Complete(ctx context.Context, r *Reservation, resp StoredResponse) error
	Release(ctx context.Context, r *Reservation) error
}

// ErrIdempotencyKeyReused: the Idempotency-Key was used before with another
// request body. Begin returns it wrapped in a KindInvalid *domain.Error;
// the HTTP layer answers 422 idempotency_key_reused.
var ErrIdempotencyKeyReused = errors.New("idempotency key was used with another request")

// ErrIdempotencyKeyInUse: another request with the same Idempotency-Key is
// still running and did not finish within the wait. Begin returns it
// wrapped in a KindConflict *domain.Error; the HTTP layer answers 409
// idempotency_key_in_use with Retry-After.
var ErrIdempotencyKeyInUse = errors.New("a request with this idempotency key is still in progress")

// StoredResponse is a remembered HTTP response.
type StoredResponse struct {
	Status int               `json:"status"`
	Header map[string]string `json:"header,omitempty"`
	Body   []byte            `json:"body,omitempty"`
}

// Reservation is the right to execute a request with an Idempotency-Key,
// handed out by Begin.
type Reservation struct {
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
	// Held is the store's own record of the reservation; callers hand the
	// Reservation back to Complete or Release as they got it.
	Held any
}

// BeginResult is what Begin found: either a response to replay, or a
// reservation to execute under.
type BeginResult struct {
	Replay      *StoredResponse
	Reservation *Reservation
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
