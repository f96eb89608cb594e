package eventstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go"

	"github.com/ehelse/portfolio/audit"
	"github.com/ehelse/portfolio/eventlog"
)

// Direct get headers and statuses.
const (
	hdrStream     = "Nats-Stream"
	hdrSubject    = "Nats-Subject"
	hdrSequence   = "Nats-Sequence"
	hdrNumPending = "Nats-Num-Pending"
	hdrLastSeq    = "Nats-Last-Sequence"

	// nats.go puts a status reply's code and text in these headers.
	statusHdr = "Status"
	descrHdr  = "Description"

	statusEOB      = "204"
	statusNotFound = "404"
	statusNoResp   = "503"
)

// DirectBatch is how many messages one batched direct get asks for.
const DirectBatch = 256

// DefaultReadLimit is the limit Read uses when given limit <= 0.
const DefaultReadLimit = 1000

// msgGetRequest is the request of both $JS.API.DIRECT.GET.<stream> and
// $JS.API.STREAM.MSG.GET.<stream>.
type msgGetRequest struct {
	Seq        uint64 `json:"seq,omitempty"`
	LastBySubj string `json:"last_by_subj,omitempty"`
	NextBySubj string `json:"next_by_subj,omitempty"`
	Batch      int    `json:"batch,omitempty"`
	MaxBytes   int    `json:"max_bytes,omitempty"`
}

// storedMsg is a message read back from the stream.
type storedMsg struct {
	subject string
	seq     uint64
	msgID   string
	sig     string // Portfolio-Signature header
	data    []byte
}

// decodeFunc turns a stored message into a Record.
type decodeFunc func(subject string, seq uint64, data []byte, sig string) (eventlog.Record, error)

// strictDecode is DecodeRecord plus the signature header.
func strictDecode(subject string, seq uint64, data []byte, sig string) (eventlog.Record, error) {
	rec, err := eventlog.DecodeRecord(subject, seq, data)
	rec.Signature = sig
	return rec, err
}

// auditDecode never fails: a message that is not a valid event becomes a
// Record with Invalid set.
func auditDecode(subject string, seq uint64, data []byte, sig string) (eventlog.Record, error) {
	rec, err := eventlog.DecodeRecord(subject, seq, data)
	if err != nil {
		rec = eventlog.Record{Position: seq, Subject: subject, Raw: data, Hash: audit.HashEvent(data).String(), Invalid: err.Error()}
	}
	rec.Signature = sig
	return rec, nil
}

// Load returns the events of aggregate aggType/aggID with position >
// afterPosition, in log order (nil if there are none). It uses batched
// direct gets (no consumer), starting at afterPosition+1 and stepping with
// the aggregate's subject filter, so its cost depends on the events it
// returns, not on the history before afterPosition.
//
// Load sees every append acknowledged before it was called: in a cluster a
// direct get may be answered by a follower that lags the leader, so Load
// asks the stream leader for the aggregate's last position at the same
// time and reads any missing tail from the leader.
//
// Errors: ErrUnavailable, ErrCorrupt (kind internal) for a stored message
// that is not an event envelope, kind invalid for unsafe aggType/aggID.
func (s *Store) Load(ctx context.Context, aggType, aggID string, afterPosition uint64) ([]eventlog.Record, error) {
	if err := validAggregate(aggType, aggID); err != nil {
		return nil, err
	}
	filter := eventlog.AggregateSubject(aggType, aggID)
	return s.readRange(ctx, filter, afterPosition, 0, strictDecode, func(ctx context.Context) (uint64, error) {
		m, err := s.leaderGet(ctx, msgGetRequest{LastBySubj: filter})
		if m == nil || err != nil {
			return 0, err
		}
		return m.seq, nil
	})
}

// LastPosition returns the stream sequence of the aggregate's last event,
// 0 if it has none. It is one get of the last message on the aggregate's
// subject filter, answered by the stream leader, so it reflects every
// acknowledged append.
//
// Errors: ErrUnavailable, kind invalid for unsafe aggType/aggID.
func (s *Store) LastPosition(ctx context.Context, aggType, aggID string) (uint64, error) {
	if err := validAggregate(aggType, aggID); err != nil {
		return 0, err
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	m, err := s.leaderGet(ctx, msgGetRequest{LastBySubj: eventlog.AggregateSubject(aggType, aggID)})
	if m == nil || err != nil {
		return 0, err
	}
	return m.seq, nil
}

// DirectLastPosition is LastPosition answered by a direct get, which any
// replica may serve: cheaper for the leader, but in a cluster it may lag
// the leader for a moment (an append based on it then fails with
// ErrConflict).
//
// Errors: ErrUnavailable, kind invalid for unsafe aggType/aggID.
func (s *Store) DirectLastPosition(ctx context.Context, aggType, aggID string) (uint64, error) {
	if err := validAggregate(aggType, aggID); err != nil {
		return 0, err
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	req, _ := json.Marshal(msgGetRequest{LastBySubj: eventlog.AggregateSubject(aggType, aggID)})
	resp, err := s.nc.RequestWithContext(ctx, s.directSubj, req)
	if err != nil {
		return 0, translate("eventstore: last position", err)
	}
	switch st := resp.Header.Get(statusHdr); st {
	case "":
	case statusNotFound:
		return 0, nil
	default:
		return 0, statusError("eventstore: last position", resp)
	}
	seq, err := strconv.ParseUint(resp.Header.Get(hdrSequence), 10, 64)
	if err != nil {
		return 0, internal("eventstore: last position", fmt.Errorf("direct get reply without %s", hdrSequence))
	}
	return seq, nil
}

// Read returns up to limit events with position > afterPosition, in log
// order, across all aggregates (DefaultReadLimit when limit <= 0). Like
// Load it uses batched direct gets and sees every append acknowledged
// before it was called. It is meant for audit, time travel and tests;
// the read models follow the log with their own consumer (package projections).
//
// Errors: ErrUnavailable, ErrCorrupt (kind internal).
func (s *Store) Read(ctx context.Context, afterPosition uint64, limit int) ([]eventlog.Record, error) {
	if limit <= 0 {
		limit = DefaultReadLimit
	}
	return s.readRange(ctx, eventlog.StreamSubjects, afterPosition, limit, strictDecode, s.head)
}

// ReadAudit is Read for auditors: a stored message that is not a valid
// event does not fail the read but is returned as a Record with Invalid
// set (and only Position, Subject, Raw, Hash and Signature), so that an
// export or a verification sees the whole log.
//
// Errors: ErrUnavailable.
func (s *Store) ReadAudit(ctx context.Context, afterPosition uint64, limit int) ([]eventlog.Record, error) {
	if limit <= 0 {
		limit = DefaultReadLimit
	}
	return s.readRange(ctx, eventlog.StreamSubjects, afterPosition, limit, auditDecode, s.head)
}

// readRange returns the messages matching filter with sequence > after, up
// to limit (0: all), read with batched direct gets. fence, asked
// concurrently, returns the last matching sequence known to the stream
// leader; messages up to it that the direct gets did not return (a lagging
// follower answered) are read from the leader.
func (s *Store) readRange(ctx context.Context, filter string, after uint64, limit int, decode decodeFunc, fence func(context.Context) (uint64, error)) ([]eventlog.Record, error) {
	ctx, cancelTimeout := s.withTimeout(ctx)
	defer cancelTimeout()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type fenceResult struct {
		seq uint64
		err error
	}
	fc := make(chan fenceResult, 1)
	go func() {
		seq, err := fence(ctx)
		fc <- fenceResult{seq, err}
	}()

	var out []eventlog.Record
	last := after
	err := s.directRange(ctx, filter, after, limit, decode, func(r eventlog.Record) error {
		out = append(out, r)
		last = r.Position
		return nil
	})
	if err != nil {
		cancel()
		<-fc
		return nil, err
	}
	f := <-fc
	if f.err != nil {
		return nil, f.err
	}
	for last < f.seq && (limit == 0 || len(out) < limit) {
		m, err := s.leaderGet(ctx, msgGetRequest{Seq: last + 1, NextBySubj: filter})
		if err != nil {
			return nil, err
		}
		if m == nil || m.seq > f.seq {
			break
		}
		rec, err := decode(m.subject, m.seq, m.data, m.sig)
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
		last = m.seq
	}
	return out, nil
}

func validAggregate(aggType, aggID string) error {
	if !eventlog.ValidToken(aggType) || !eventlog.ValidToken(aggID) {
		return invalidf("eventstore: invalid aggregate %q/%q: type and id must be subject tokens (no '.', '*', '>', whitespace)", aggType, aggID)
	}
	return nil
}

// directRange calls fn for each message matching filter with sequence >
// after, in order, up to limit messages (0: all), with batched direct gets.
func (s *Store) directRange(ctx context.Context, filter string, after uint64, limit int, decode decodeFunc, fn func(eventlog.Record) error) error {
	seq := after + 1
	got := 0
	for {
		n := DirectBatch
		if limit > 0 && limit-got < n {
			n = limit - got
		}
		count, pending, last, err := s.directBatch(ctx, filter, seq, n, decode, fn)
		if err != nil {
			return err
		}
		got += count
		if count == 0 || pending == 0 || (limit > 0 && got >= limit) {
			return nil
		}
		seq = last + 1
	}
}

// directBatch sends one batched direct get ({"seq", "next_by_subj",
// "batch"}) with a fresh inbox as reply subject. The server answers with
// up to n messages followed by an EOB status message (204) carrying
// Nats-Num-Pending and Nats-Last-Sequence, or with a single 404 when no
// message matches.
func (s *Store) directBatch(ctx context.Context, filter string, seq uint64, n int, decode decodeFunc, fn func(eventlog.Record) error) (count int, pending, last uint64, err error) {
	const op = "eventstore: read"
	inbox := s.nc.NewInbox()
	// A channel sized for the whole answer (n messages and the end-of-batch
	// status): SubscribeSync would allocate a large pending buffer on every
	// read, which dominated the command path's CPU.
	ch := make(chan *nats.Msg, n+2)
	sub, err := s.nc.ChanSubscribe(inbox, ch)
	if err != nil {
		return 0, 0, 0, translate(op, err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	req, _ := json.Marshal(msgGetRequest{Seq: seq, NextBySubj: filter, Batch: n})
	if err := s.nc.PublishRequest(s.directSubj, inbox, req); err != nil {
		return 0, 0, 0, translate(op, err)
	}
	for {
		var m *nats.Msg
		select {
		case m = <-ch:
		case <-ctx.Done():
			return count, 0, 0, translate(op, ctx.Err())
		}
		switch st := m.Header.Get(statusHdr); st {
		case "":
		case statusEOB:
			pending, _ = strconv.ParseUint(m.Header.Get(hdrNumPending), 10, 64)
			last, _ = strconv.ParseUint(m.Header.Get(hdrLastSeq), 10, 64)
			return count, pending, last, nil
		case statusNotFound:
			if count > 0 {
				return count, 0, last, nil
			}
			return 0, 0, 0, nil
		default:
			return count, 0, 0, statusError(op, m)
		}
		subject := m.Header.Get(hdrSubject)
		sq, err := strconv.ParseUint(m.Header.Get(hdrSequence), 10, 64)
		if err != nil || subject == "" {
			return count, 0, 0, internal(op, fmt.Errorf("direct get reply without %s/%s", hdrSubject, hdrSequence))
		}
		rec, err := decode(subject, sq, m.Data, m.Header.Get(audit.SignatureHeader))
		if err != nil {
			return count, 0, 0, err
		}
		if err := fn(rec); err != nil {
			return count, 0, 0, err
		}
		count++
		last = sq
		if count > n {
			return count, 0, 0, internal(op, errors.New("direct get sent more messages than asked for"))
		}
	}
}

// statusError turns a status-only reply into an error.
func statusError(op string, m *nats.Msg) error {
	st := m.Header.Get(statusHdr)
	code, _ := strconv.Atoi(st)
	ae := &apiError{Code: code, Description: m.Header.Get(descrHdr)}
	if st == statusNoResp {
		return unavailable(op, fmt.Errorf("%w: %w", nats.ErrNoResponders, ae))
	}
	return translate(op, ae)
}

// leaderGet reads one message with $JS.API.STREAM.MSG.GET, which the stream
// leader answers, so it sees every acknowledged write. It returns nil when
// no message matches.
func (s *Store) leaderGet(ctx context.Context, req msgGetRequest) (*storedMsg, error) {
	const op = "eventstore: get message"
	body, _ := json.Marshal(req)
	resp, err := s.nc.RequestWithContext(ctx, s.msgGetSubj, body)
	if err != nil {
		return nil, translate(op, err)
	}
	if st := resp.Header.Get(statusHdr); st != "" && len(resp.Data) == 0 {
		return nil, statusError(op, resp)
	}
	var r struct {
		Error   *apiError `json:"error"`
		Message *struct {
			Subject string `json:"subject"`
			Seq     uint64 `json:"seq"`
			Header  []byte `json:"hdrs"`
			Data    []byte `json:"data"`
		} `json:"message"`
	}
	if err := json.Unmarshal(resp.Data, &r); err != nil {
		return nil, internal(op, fmt.Errorf("malformed reply: %w", err))
	}
	if r.Error != nil {
		if r.Error.ErrCode == codeMessageNotFound || r.Error.Code == 404 && r.Error.ErrCode != codeStreamNotFound {
			return nil, nil
		}
		return nil, translate(op, r.Error)
	}
	if r.Message == nil {
		return nil, nil
	}
	return &storedMsg{
		subject: r.Message.Subject,
		seq:     r.Message.Seq,
		msgID:   headerValue(r.Message.Header, hdrMsgID),
		sig:     headerValue(r.Message.Header, audit.SignatureHeader),
		data:    r.Message.Data,
	}, nil
}

// headerValue returns the value of key in a raw NATS header block
// ("NATS/1.0\r\nKey: Value\r\n...\r\n\r\n").
func headerValue(hdr []byte, key string) string {
	lines := bytes.Split(hdr, []byte("\r\n"))
	for _, l := range lines[min(1, len(lines)):] {
		k, v, ok := bytes.Cut(l, []byte(":"))
		if ok && string(bytes.TrimSpace(k)) == key {
			return string(bytes.TrimSpace(v))
		}
	}
	return ""
}

// LoadLast returns the aggregate's last message, read from the stream leader,
// and whether there is one. It is one request whatever the history's
// length; the command path uses it to check a snapshot is current.
//
// Errors: ErrUnavailable, ErrCorrupt, or a kind-invalid error for a bad
// aggregate type or id.
func (s *Store) LoadLast(ctx context.Context, aggType, aggID string) (eventlog.Record, bool, error) {
	if err := validAggregate(aggType, aggID); err != nil {
		return eventlog.Record{}, false, err
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	m, err := s.leaderGet(ctx, msgGetRequest{LastBySubj: eventlog.AggregateSubject(aggType, aggID)})
	if m == nil || err != nil {
		return eventlog.Record{}, false, err
	}
	rec, err := strictDecode(m.subject, m.seq, m.data, m.sig)
	return rec, err == nil, err
}
