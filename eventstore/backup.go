package eventstore

// Online backup and restore of whole streams through JetStream's own
// snapshot API ($JS.API.STREAM.SNAPSHOT.<stream>, $JS.API.STREAM.RESTORE.<stream>),
// the same protocol the nats CLI's `stream backup` and `stream restore`
// speak. A snapshot is consistent: the server takes it from the stream's
// store at one point in time while writes go on.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// SnapshotChunkSize is the chunk size Snapshot asks for: large enough to
// keep the number of chunks (and acknowledgements) small, well below the
// default NATS max payload of 1 MiB so that Restore can send them back.
const SnapshotChunkSize = 256 << 10

// snapshotIdle bounds the wait for the next chunk of a snapshot.
const snapshotIdle = 30 * time.Second

// SnapshotHeader is what the server answers to a snapshot request before
// the data: the stream's configuration and its state at the snapshot, as
// JSON the server wrote (kept verbatim: Restore hands them back).
type SnapshotHeader struct {
	Config json.RawMessage `json:"config"`
	State  json.RawMessage `json:"state"`
}

// SnapshotState is the part of a stream's state a backup reports.
type SnapshotState struct {
	Messages uint64    `json:"messages"`
	Bytes    uint64    `json:"bytes"`
	FirstSeq uint64    `json:"first_seq"`
	FirstTS  time.Time `json:"first_ts"`
	LastSeq  uint64    `json:"last_seq"`
	LastTS   time.Time `json:"last_ts"`
}

// ParsedState decodes the header's state.
func (h SnapshotHeader) ParsedState() (SnapshotState, error) {
	var st SnapshotState
	if err := json.Unmarshal(h.State, &st); err != nil {
		return st, fmt.Errorf("snapshot state: %w", err)
	}
	return st, nil
}

type snapshotRequest struct {
	DeliverSubject string `json:"deliver_subject"`
	NoConsumers    bool   `json:"no_consumers,omitempty"`
	ChunkSize      int    `json:"chunk_size,omitempty"`
}

type snapshotResponse struct {
	SnapshotHeader
	Error *apiError `json:"error,omitempty"`
}

// Snapshot takes a snapshot of stream (without its consumers) over nc and
// hands it to started (the header, before any data) and then chunk by
// chunk to chunk, acknowledging each chunk only after chunk returned, so
// a slow writer slows the server down instead of losing data. apiPrefix
// is the JetStream API prefix ("" for "$JS.API.").
//
// The server gives up when chunks are not acknowledged for 5 s; the whole
// snapshot fails then, as it does when ctx ends or a chunk goes missing.
func Snapshot(ctx context.Context, nc *nats.Conn, apiPrefix, stream string, started func(SnapshotHeader) error, chunk func([]byte) error) error {
	if apiPrefix == "" {
		apiPrefix = "$JS.API."
	}
	inbox := nc.NewInbox()
	sub, err := nc.SubscribeSync(inbox)
	if err != nil {
		return fmt.Errorf("snapshot %s: subscribe: %w", stream, err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	// The window of chunks in flight (8 MiB by default) must fit.
	_ = sub.SetPendingLimits(-1, 64<<20)

	req, _ := json.Marshal(snapshotRequest{DeliverSubject: inbox, NoConsumers: true, ChunkSize: SnapshotChunkSize})
	var resp snapshotResponse
	if err := apiRequest(ctx, nc, "snapshot "+stream, apiPrefix+"STREAM.SNAPSHOT."+stream, req, 30*time.Second, &resp); err != nil {
		return err
	}
	if err := started(resp.SnapshotHeader); err != nil {
		return err
	}
	next := 1
	for {
		mctx, cancel := context.WithTimeout(ctx, snapshotIdle)
		m, err := sub.NextMsgWithContext(mctx)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return unavailable("snapshot "+stream, fmt.Errorf("no data from the server for %s: %w", snapshotIdle, err))
		}
		if len(m.Data) == 0 {
			// The end: status 204 (or none for a stream of one chunk) is
			// success, any other says why the server gave up.
			if st := m.Header.Get(statusHdr); st != "" && st != "204" {
				return internal("snapshot "+stream, fmt.Errorf("the server ended the snapshot with %s %s", st, m.Header.Get(descrHdr)))
			}
			return nil
		}
		if m.Reply != "" {
			// The acknowledgement subject ends with the chunk's index: a
			// lost chunk would silently corrupt the snapshot.
			idx := m.Reply[strings.LastIndexByte(m.Reply, '.')+1:]
			if n, err := strconv.Atoi(idx); err != nil || n != next {
				return internal("snapshot "+stream, fmt.Errorf("chunk %s arrived, expected %d", idx, next))
			}
			next++
		}
		if err := chunk(m.Data); err != nil {
			return err
		}
		if m.Reply != "" {
			if err := m.Respond(nil); err != nil {
				return unavailable("snapshot "+stream, err)
			}
		}
	}
}

type restoreRequest struct {
	Config json.RawMessage `json:"config"`
	State  json.RawMessage `json:"state"`
}

type restoreResponse struct {
	DeliverSubject string    `json:"deliver_subject"`
	Error          *apiError `json:"error,omitempty"`
}

type restoreDone struct {
	Error *apiError `json:"error,omitempty"`
}

// Restore creates stream from a snapshot taken by Snapshot: h is its
// header, and next returns its chunks in order, nil and no error at the
// end. The stream must not exist. The server checks the snapshot as it
// reads it; an error from next, ctx or the server leaves no stream behind
// on a single server.
func Restore(ctx context.Context, nc *nats.Conn, apiPrefix, stream string, h SnapshotHeader, next func() ([]byte, error)) error {
	if apiPrefix == "" {
		apiPrefix = "$JS.API."
	}
	req, _ := json.Marshal(restoreRequest(h))
	var resp restoreResponse
	if err := apiRequest(ctx, nc, "restore "+stream, apiPrefix+"STREAM.RESTORE."+stream, req, 30*time.Second, &resp); err != nil {
		return err
	}
	if resp.DeliverSubject == "" {
		return internal("restore "+stream, errors.New("the server named no subject for the data"))
	}
	for {
		chunk, err := next()
		if err != nil {
			// Stop sending: the server gives up on a stalled restore.
			return err
		}
		if len(chunk) == 0 {
			break
		}
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		r, err := nc.RequestWithContext(cctx, resp.DeliverSubject, chunk)
		cancel()
		if err != nil {
			return translate("restore "+stream, err)
		}
		if len(r.Data) > 0 {
			var done restoreDone
			if json.Unmarshal(r.Data, &done) == nil && done.Error != nil {
				return translate("restore "+stream, done.Error)
			}
		}
	}
	// An empty message ends the data; the answer is the new stream's info
	// or why the server could not restore it.
	var done restoreDone
	return apiRequest(ctx, nc, "restore "+stream, resp.DeliverSubject, nil, 5*time.Minute, &done)
}

// apiAnswer is an answer of the JetStream API, with the error it may carry.
type apiAnswer interface{ apiErr() *apiError }

func (r *snapshotResponse) apiErr() *apiError { return r.Error }
func (r *restoreResponse) apiErr() *apiError  { return r.Error }
func (r *restoreDone) apiErr() *apiError      { return r.Error }

// apiRequest sends payload to subject, waits up to timeout and decodes the
// answer into resp; an error the answer carries is returned. what names
// the operation in errors.
func apiRequest(ctx context.Context, nc *nats.Conn, what, subject string, payload []byte, timeout time.Duration, resp apiAnswer) error {
	rctx, cancel := context.WithTimeout(ctx, timeout)
	msg, err := nc.RequestWithContext(rctx, subject, payload)
	cancel()
	if err != nil {
		return translate(what, err)
	}
	if err := json.Unmarshal(msg.Data, resp); err != nil {
		return internal(what, fmt.Errorf("malformed answer %q: %w", msg.Data, err))
	}
	if e := resp.apiErr(); e != nil {
		return translate(what, e)
	}
	return nil
}
