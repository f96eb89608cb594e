package eventstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/eventlog"
)

// JetStream API error codes the store handles (nats-server errors.json).
const (
	codeWrongLastSequence      = 10071 // JSStreamWrongLastSequenceErrF
	codeWrongLastSequenceConst = 10164 // JSStreamWrongLastSequenceConstantErr (R>1, subject in process)
	codeDuplicateInProcess     = 10158 // JSStreamDuplicateMessageConflict
	codeBatchIncomplete        = 10176 // JSAtomicPublishIncompleteBatchErr
	codeBatchDuplicate         = 10201 // JSAtomicPublishContainsDuplicateMessageErr
	codeBatchTooManyInflight   = 10210 // JSAtomicPublishTooManyInflight
	codeMessageNotFound        = 10037 // JSNoMessageFoundErr
	codeStreamNotFound         = 10059 // JSStreamNotFoundErr
)

// apiError is the error object of a JetStream API response.
type apiError struct {
	Code        int    `json:"code"`
	ErrCode     int    `json:"err_code"`
	Description string `json:"description"`
}

func (e *apiError) Error() string {
	return fmt.Sprintf("jetstream: %s (status %d, code %d)", e.Description, e.Code, e.ErrCode)
}

// conflictError is the error Append returns when an expectation failed.
func conflictError(format string, args ...any) error {
	return &domain.Error{Kind: domain.KindConflict, Message: fmt.Sprintf(format, args...), Err: eventlog.ErrConflict}
}

// unavailable wraps cause as a KindUnavailable error; errors.Is matches both
// ErrUnavailable and cause.
// Unavailable is unavailable for the other JetStream adapters (the key-value
// buckets of package idempotency and package snapshots).
func Unavailable(op string, cause error) error { return unavailable(op, cause) }

func unavailable(op string, cause error) error {
	return &domain.Error{Kind: domain.KindUnavailable, Message: op, Err: fmt.Errorf("%w: %w", eventlog.ErrUnavailable, cause)}
}

func internal(op string, cause error) error {
	return &domain.Error{Kind: domain.KindInternal, Message: op, Err: cause}
}

// IsTransient reports whether err means JetStream (or NATS) could not be
// reached or did not answer in time — a leader moving, a node down, a
// timeout — so that the same request may succeed when repeated. It is
// what the store itself retries on; other users of JetStream in the
// product (the idempotency bucket) use it too.
func IsTransient(err error) bool { return isTransient(err) }

// isTransient reports whether err means JetStream could not be reached or
// did not answer in time.
func isTransient(err error) bool {
	switch {
	case errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, context.Canceled),
		errors.Is(err, nats.ErrTimeout),
		errors.Is(err, nats.ErrNoResponders),
		errors.Is(err, nats.ErrConnectionClosed),
		errors.Is(err, nats.ErrConnectionDraining),
		errors.Is(err, nats.ErrConnectionReconnecting),
		errors.Is(err, nats.ErrDisconnected),
		errors.Is(err, nats.ErrStaleConnection),
		errors.Is(err, nats.ErrMaxConnectionsExceeded),
		errors.Is(err, nats.ErrSlowConsumer),
		errors.Is(err, jetstream.ErrNoStreamResponse),
		errors.Is(err, jetstream.ErrJetStreamNotEnabled),
		errors.Is(err, jetstream.ErrJetStreamPublisherClosed):
		return true
	}
	var js *jetstream.APIError
	if errors.As(err, &js) && (js.Code == 503 || js.Code == 408 || js.Code == 429) {
		return true
	}
	var ae *apiError
	if errors.As(err, &ae) && (ae.Code == 503 || ae.Code == 408 || ae.Code == 429 ||
		ae.ErrCode == codeBatchIncomplete || ae.ErrCode == codeBatchTooManyInflight) {
		return true
	}
	return false
}

// translate maps an error from nats.go or a JetStream API response to a
// *domain.Error: wrong-last-sequence errors become KindConflict/ErrConflict,
// transport errors KindUnavailable/ErrUnavailable, anything else
// KindInternal. A *domain.Error passes through unchanged.
func translate(op string, err error) error {
	if err == nil {
		return nil
	}
	var de *domain.Error
	if errors.As(err, &de) {
		return err
	}
	if isTransient(err) {
		return unavailable(op, err)
	}
	if code := errCode(err); code == codeWrongLastSequence || code == codeWrongLastSequenceConst {
		return &domain.Error{Kind: domain.KindConflict, Message: op, Err: fmt.Errorf("%w: %w", eventlog.ErrConflict, err)}
	}
	return internal(op, err)
}

// errCode returns the JetStream error code of err, 0 if it has none.
func errCode(err error) int {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.ErrCode
	}
	var js *jetstream.APIError
	if errors.As(err, &js) {
		return int(js.ErrorCode)
	}
	return 0
}

func invalidf(format string, args ...any) error {
	return &domain.Error{Kind: domain.KindInvalid, Message: fmt.Sprintf(format, args...)}
}
