package eventstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/cenkalti/backoff/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/oklog/ulid/v2"
	"github.com/synadia-io/orbit.go/jetstreamext"

	"github.com/ehelse/portfolio/audit"
	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/eventlog"
)

// JetStream publish headers.
const (
	hdrMsgID             = "Nats-Msg-Id"
	hdrExpectedStream    = "Nats-Expected-Stream"
	hdrExpectedSubjSeq   = "Nats-Expected-Last-Subject-Sequence"
	hdrExpectedSubjSeqOn = "Nats-Expected-Last-Subject-Sequence-Subject"
)

// MaxBatch is the largest number of events one Append may write. It is the
// server's default atomic batch limit (streamMaxAtomicBatchSize).
const MaxBatch = 1000

// MsgID returns the Nats-Msg-Id of the index-th event (0-based, counted over
// all aggregates in argument order) of the command commandID. It is stable
// across retries of the same command, which is what makes a retried Append
// idempotent.
func MsgID(commandID string, index int) string {
	return commandID + ":" + strconv.Itoa(index)
}

// pubAck is a JetStream publish acknowledgement (or error).
type pubAck struct {
	Stream    string    `json:"stream"`
	Seq       uint64    `json:"seq"`
	Duplicate bool      `json:"duplicate,omitempty"`
	Batch     string    `json:"batch,omitempty"`
	Count     int       `json:"count,omitempty"`
	Error     *apiError `json:"error,omitempty"`
}

// planned is one event of an Append, ready to publish.
type planned struct {
	agg      int // index into aggs
	msg      *nats.Msg
	appended eventlog.Appended
	hash     audit.Hash // of the payload
	sig      string     // the signature header; "" without a Signer
}

// Append writes the events of one command: for each aggregate, its events
// with versions ExpectedVersion+1, +2, …, provided the aggregate's last
// event is still at ExpectedPosition (0: the aggregate has no events).
//
// One event is one JetStream publish with the per-aggregate expectation
// (Nats-Expected-Last-Subject-Sequence on portfolio.events.<type>.<id>.*).
// More than one event — several events of one aggregate, or events of
// several aggregates — is one atomic batch: all of it is stored, with
// contiguous positions, or none of it.
//
// Every event's Nats-Msg-Id is MsgID(meta.CommandID, index). Appending a
// command again (a retry after a timeout, say) within the duplicate window
// writes nothing and returns Result{Duplicate: true} describing the stored
// events.
//
// Errors: ErrConflict (kind version_conflict) when an aggregate moved past
// its expected position — nothing was written; ErrUnavailable (kind
// unavailable) when JetStream could not be reached or did not answer — the
// outcome is unknown and the command may be retried with the same
// CommandID; kind invalid for arguments that cannot be stored (no events,
// unsafe subject tokens, empty CommandID, data that is not a JSON object);
// kind internal for other JetStream errors.
func (s *Store) Append(ctx context.Context, meta eventlog.Meta, aggs ...eventlog.AggregateAppend) (eventlog.Result, error) {
	if err := validate(meta, aggs); err != nil {
		return eventlog.Result{}, err
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	prev, err := s.prevHashes(ctx, aggs)
	if err != nil {
		return eventlog.Result{}, err
	}
	plan, err := s.plan(meta, aggs, prev)
	if err != nil {
		return eventlog.Result{}, err
	}

	for _, p := range plan {
		s.written.Expect(p.hash, p.sig)
	}
	defer func() {
		for _, p := range plan {
			s.written.Done(p.hash, p.sig)
		}
	}()
	var ack *pubAck
	if len(plan) == 1 {
		ack, err = s.publish(ctx, plan[0].msg)
	} else {
		ack, err = s.publishBatch(ctx, plan)
	}
	if err != nil {
		return eventlog.Result{}, translate("eventstore: append", err)
	}
	if ack.Error != nil {
		return s.appendFailed(ctx, meta, aggs, plan, ack.Error)
	}
	if ack.Duplicate {
		// A single publish whose Nats-Msg-Id was already stored (the
		// clustered path checks the id before the expectation).
		return s.duplicateAt(ctx, meta, plan, ack.Seq)
	}
	if len(plan) > 1 && ack.Count != len(plan) {
		return eventlog.Result{}, internal("eventstore: append", fmt.Errorf("batch ack counts %d messages, sent %d", ack.Count, len(plan)))
	}
	if ack.Seq < uint64(len(plan)) {
		return eventlog.Result{}, internal("eventstore: append", fmt.Errorf("ack sequence %d for %d messages", ack.Seq, len(plan)))
	}
	res := eventlog.Result{Events: make([]eventlog.Appended, len(plan))}
	first := ack.Seq - uint64(len(plan)-1)
	for i, p := range plan {
		res.Events[i] = p.appended
		res.Events[i].Position = first + uint64(i)
		// Stored as sent, at that position: what this process signed.
		s.written.Add(first+uint64(i), p.hash, p.sig)
	}
	return res, nil
}

// validate checks the arguments of an Append.
func validate(meta eventlog.Meta, aggs []eventlog.AggregateAppend) error {
	var v domain.Validation
	if meta.CommandID == "" {
		v.Add("commandId", "is required")
	} else if !validHeaderValue(meta.CommandID) {
		v.Add("commandId", "must not contain whitespace or control characters")
	}
	if len(aggs) == 0 {
		v.Add("aggregates", "at least one is required")
	}
	total := 0
	seen := make(map[string]bool, len(aggs))
	for i, a := range aggs {
		field := fmt.Sprintf("aggregates[%d]", i)
		if !eventlog.ValidToken(a.Type) {
			v.Add(field+".type", "must be a non-empty subject token (no '.', '*', '>', whitespace)")
		}
		if !eventlog.ValidToken(a.ID) {
			v.Add(field+".id", "must be a non-empty subject token (no '.', '*', '>', whitespace)")
		}
		if seen[a.Type+"/"+a.ID] {
			v.Add(field, "the same aggregate appears twice")
		}
		seen[a.Type+"/"+a.ID] = true
		if len(a.Events) == 0 {
			v.Add(field+".events", "at least one is required")
		}
		// ExpectedPosition may be above 0 with ExpectedVersion 0: the
		// aggregate's subject holds only messages the caller rejected as
		// forged (see AggregateAppend.PrevHash).
		if a.ExpectedPosition == 0 && a.ExpectedVersion != 0 {
			v.Add(field+".expectedPosition", "must not be 0 when expectedVersion is not 0")
		}
		if a.PrevHash != "" && !audit.IsHashText(a.PrevHash) {
			v.Add(field+".prevHash", "must be 64 lowercase hex characters")
		}
		if a.PrevHash != "" && a.ExpectedVersion == 0 {
			v.Add(field+".prevHash", "must be empty for a new aggregate (expectedVersion 0)")
		}
		for j, e := range a.Events {
			if !eventlog.ValidToken(e.Type) {
				v.Add(fmt.Sprintf("%s.events[%d].type", field, j), "must be a non-empty subject token (no '.', '*', '>', whitespace)")
			}
			if !isJSONObject(e.Data) {
				v.Add(fmt.Sprintf("%s.events[%d].data", field, j), "must be a JSON object")
			}
		}
		total += len(a.Events)
	}
	if total > MaxBatch {
		v.Add("events", fmt.Sprintf("at most %d per append", MaxBatch))
	}
	return v.Err()
}

// prevHashes returns, for each aggregate, the prevhash of its first new
// event: AggregateAppend.PrevHash, or for an existing aggregate without
// one the hash of the event stored at ExpectedPosition (read from the
// stream leader). When there is no event of the aggregate at
// ExpectedPosition the append would fail its expectation anyway: that is
// ErrConflict.
func (s *Store) prevHashes(ctx context.Context, aggs []eventlog.AggregateAppend) ([]string, error) {
	out := make([]string, len(aggs))
	for i, a := range aggs {
		if a.PrevHash != "" || a.ExpectedVersion == 0 {
			out[i] = a.PrevHash
			continue
		}
		m, err := s.leaderGet(ctx, msgGetRequest{Seq: a.ExpectedPosition})
		if err != nil {
			return nil, err
		}
		if m == nil || m.seq != a.ExpectedPosition || !subjectOf(m.subject, a.Type, a.ID) {
			return nil, &domain.Error{
				Kind:    domain.KindConflict,
				Message: fmt.Sprintf("%s/%s has no event at position %d", a.Type, a.ID, a.ExpectedPosition),
				Err:     eventlog.ErrConflict,
			}
		}
		out[i] = audit.HashEvent(m.data).String()
	}
	return out, nil
}

// subjectOf reports whether subject is an event subject of aggType/aggID.
func subjectOf(subject, aggType, aggID string) bool {
	rest, ok := strings.CutPrefix(subject, eventlog.SubjectPrefix+"."+aggType+"."+aggID+".")
	return ok && eventlog.ValidToken(rest)
}

// plan builds the messages of a validated Append: each event's payload
// with its prevhash (prev[i] for the first event of aggregate i, then the
// hash of the event before it), its hash and, with a Signer, its
// signature header.
func (s *Store) plan(meta eventlog.Meta, aggs []eventlog.AggregateAppend, prev []string) ([]planned, error) {
	total := 0
	for _, a := range aggs {
		total += len(a.Events)
	}
	if meta.Time.IsZero() {
		meta.Time = time.Now()
	}
	plan := make([]planned, 0, total)
	for ai, a := range aggs {
		filter := eventlog.AggregateSubject(a.Type, a.ID)
		prevHash := prev[ai]
		for j, e := range a.Events {
			if e.ID == "" {
				e.ID = ulid.Make().String()
			}
			version := a.ExpectedVersion + 1 + uint64(j)
			payload, err := eventlog.EncodeEvent(s.cfg.Source, meta, a.Type, a.ID, version, prevHash, e)
			if err != nil {
				return nil, internal("eventstore: encode event", err)
			}
			h := audit.HashEvent(payload)
			prevHash = h.String()
			m := nats.NewMsg(eventlog.Subject(a.Type, a.ID, e.Type))
			m.Data = payload
			var sig string
			if s.cfg.Signer != nil {
				sig = audit.Sign(s.cfg.Signer, h)
				m.Header.Set(audit.SignatureHeader, sig)
			}
			m.Header.Set(hdrMsgID, MsgID(meta.CommandID, len(plan)))
			m.Header.Set(hdrExpectedStream, s.cfg.Stream)
			if j == 0 {
				// One expectation per aggregate, on its first message: the
				// server checks it against the stored log before any message
				// of the batch is applied. (A later message of the same
				// aggregate may not carry one: it would be checked against
				// the log without the staged messages.)
				m.Header.Set(hdrExpectedSubjSeq, strconv.FormatUint(a.ExpectedPosition, 10))
				m.Header.Set(hdrExpectedSubjSeqOn, filter)
			}
			plan = append(plan, planned{agg: ai, msg: m, hash: h, sig: sig, appended: eventlog.Appended{
				ID: e.ID, Type: e.Type, AggregateType: a.Type, AggregateID: a.ID, Version: version, Hash: prevHash,
			}})
		}
	}
	return plan, nil
}

func validHeaderValue(s string) bool {
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return false
		}
	}
	return true
}

func isJSONObject(b json.RawMessage) bool {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '{':
			return json.Valid(b)
		}
		return false
	}
	return false
}

// publish sends one message as a JetStream publish and returns the ack.
func (s *Store) publish(ctx context.Context, m *nats.Msg) (*pubAck, error) {
	resp, err := s.nc.RequestMsgWithContext(ctx, m)
	if err != nil {
		return nil, err
	}
	return parseAck(resp)
}

// publishBatch sends the messages as one atomic batch with the maintained
// client, github.com/synadia-io/orbit.go/jetstreamext: every message
// carries Nats-Batch-Id and Nats-Batch-Sequence 1..n, the last one also
// Nats-Batch-Commit: 1 and its reply is the ack of the whole batch. No flow
// control (AckFirst off): the earlier messages are published without a
// reply, so a batch costs one round trip like a single publish; a gap or a
// lost message makes the commit fail with "batch incomplete". A JetStream
// error answer (a failed expectation, a duplicate message id) is returned
// as the ack's Error, as publish does.
func (s *Store) publishBatch(ctx context.Context, plan []planned) (*pubAck, error) {
	msgs := make([]*nats.Msg, len(plan))
	for i, p := range plan {
		msgs[i] = p.msg
	}
	ack, err := jetstreamext.PublishMsgBatch(ctx, s.js, msgs, jetstreamext.BatchFlowControl{AckFirst: false})
	if err != nil {
		var ae *jetstream.APIError
		if errors.As(err, &ae) && ae.ErrorCode != 0 {
			return &pubAck{Error: &apiError{Code: ae.Code, ErrCode: int(ae.ErrorCode), Description: ae.Description}}, nil
		}
		return nil, err
	}
	return &pubAck{Stream: ack.Stream, Seq: ack.Sequence, Batch: ack.BatchID, Count: int(ack.BatchSize)}, nil
}

func parseAck(resp *nats.Msg) (*pubAck, error) {
	if len(resp.Data) == 0 {
		if st := resp.Header.Get(statusHdr); st != "" {
			code, _ := strconv.Atoi(st)
			return &pubAck{Error: &apiError{Code: code, Description: resp.Header.Get(descrHdr)}}, nil
		}
		return nil, errors.New("empty publish acknowledgement")
	}
	var ack pubAck
	if err := json.Unmarshal(resp.Data, &ack); err != nil {
		return nil, fmt.Errorf("malformed publish acknowledgement %q: %w", resp.Data, err)
	}
	return &ack, nil
}

// appendFailed handles an error ack: a failed expectation or a duplicate
// message id may mean that this very command is already stored (a retry),
// which is reported as a Duplicate result rather than a conflict.
func (s *Store) appendFailed(ctx context.Context, meta eventlog.Meta, aggs []eventlog.AggregateAppend, plan []planned, ae *apiError) (eventlog.Result, error) {
	switch ae.ErrCode {
	case codeWrongLastSequence, codeWrongLastSequenceConst:
		// R1 checks the expectation before the message id, so a retried
		// single publish lands here.
		res, found, err := s.findStored(ctx, meta, aggs, plan)
		if err != nil {
			return eventlog.Result{}, err
		}
		if found {
			return res, nil
		}
		return eventlog.Result{}, s.conflict(aggs, ae)
	case codeBatchDuplicate:
		res, found, err := s.findStored(ctx, meta, aggs, plan)
		if err != nil {
			return eventlog.Result{}, err
		}
		if found {
			return res, nil
		}
		return eventlog.Result{}, conflictError("eventstore: command %s: its message ids are already in the log, but not as this command's events", meta.CommandID)
	case codeDuplicateInProcess:
		// The same command is being stored right now (a concurrent retry):
		// wait a little for it to land (20ms, doubling, six looks).
		b := backoff.NewExponentialBackOff()
		b.InitialInterval, b.Multiplier, b.RandomizationFactor = 20*time.Millisecond, 2, 0
		res, err := backoff.Retry(ctx, func() (eventlog.Result, error) {
			res, found, err := s.findStored(ctx, meta, aggs, plan)
			switch {
			case err != nil:
				return eventlog.Result{}, backoff.Permanent(err)
			case !found:
				return eventlog.Result{}, ae
			}
			return res, nil
		}, backoff.WithBackOff(b), backoff.WithMaxTries(6), backoff.WithMaxElapsedTime(0))
		switch {
		case err == nil:
			return res, nil
		case err == ae:
			return eventlog.Result{}, unavailable("eventstore: append", ae)
		case ctx.Err() != nil && !errors.As(err, new(*domain.Error)):
			return eventlog.Result{}, unavailable("eventstore: append", ctx.Err())
		}
		return eventlog.Result{}, err
	}
	return eventlog.Result{}, translate("eventstore: append", ae)
}

func (s *Store) conflict(aggs []eventlog.AggregateAppend, ae *apiError) error {
	if len(aggs) == 1 {
		return &domain.Error{
			Kind:    domain.KindConflict,
			Message: fmt.Sprintf("%s/%s is no longer at position %d", aggs[0].Type, aggs[0].ID, aggs[0].ExpectedPosition),
			Err:     fmt.Errorf("%w: %w", eventlog.ErrConflict, ae),
		}
	}
	return &domain.Error{
		Kind:    domain.KindConflict,
		Message: fmt.Sprintf("one of %d aggregates is no longer at its expected position", len(aggs)),
		Err:     fmt.Errorf("%w: %w", eventlog.ErrConflict, ae),
	}
}

// findStored looks for this command's events in the log. Stored by an
// earlier attempt, they are the first events of the first aggregate after
// its ExpectedPosition (the attempt carried the same expectation), or, if
// the caller reloaded in between, that aggregate's last events; and the
// command's events are contiguous in the stream (one publish, or one atomic
// batch). Every message's Nats-Msg-Id is compared. Reads go to the stream
// leader so that they see every acknowledged write.
func (s *Store) findStored(ctx context.Context, meta eventlog.Meta, aggs []eventlog.AggregateAppend, plan []planned) (eventlog.Result, bool, error) {
	a := aggs[0]
	filter := eventlog.AggregateSubject(a.Type, a.ID)
	m, err := s.leaderGet(ctx, msgGetRequest{Seq: a.ExpectedPosition + 1, NextBySubj: filter})
	if err != nil {
		return eventlog.Result{}, false, err
	}
	first := uint64(0)
	if m != nil && m.msgID == MsgID(meta.CommandID, 0) {
		first = m.seq
	} else {
		m, err = s.leaderGet(ctx, msgGetRequest{LastBySubj: filter})
		if err != nil {
			return eventlog.Result{}, false, err
		}
		n := len(a.Events)
		if m == nil || m.msgID != MsgID(meta.CommandID, n-1) || m.seq < uint64(n) {
			return eventlog.Result{}, false, nil
		}
		first = m.seq - uint64(n-1)
	}
	res, ok, err := s.storedFrom(ctx, meta, plan, first)
	return res, ok, err
}

// duplicateAt builds the Duplicate result of a command whose first message
// is stored at seq.
func (s *Store) duplicateAt(ctx context.Context, meta eventlog.Meta, plan []planned, seq uint64) (eventlog.Result, error) {
	res, ok, err := s.storedFrom(ctx, meta, plan, seq)
	if err != nil {
		return eventlog.Result{}, err
	}
	if !ok {
		return eventlog.Result{}, conflictError("eventstore: command %s: its message id is already in the log at %d, but not as this command's event", meta.CommandID, seq)
	}
	return res, nil
}

// storedFrom reads the len(plan) messages from position first and returns
// them as a Duplicate result if they are this command's events.
func (s *Store) storedFrom(ctx context.Context, meta eventlog.Meta, plan []planned, first uint64) (eventlog.Result, bool, error) {
	res := eventlog.Result{Duplicate: true, Events: make([]eventlog.Appended, len(plan))}
	for i, p := range plan {
		m, err := s.leaderGet(ctx, msgGetRequest{Seq: first + uint64(i)})
		if err != nil {
			return eventlog.Result{}, false, err
		}
		if m == nil || m.msgID != MsgID(meta.CommandID, i) || m.subject != p.msg.Subject {
			return eventlog.Result{}, false, nil
		}
		rec, err := eventlog.DecodeRecord(m.subject, m.seq, m.data)
		if err != nil {
			return eventlog.Result{}, false, err
		}
		res.Events[i] = eventlog.Appended{
			ID: rec.ID, Type: rec.Type, AggregateType: rec.AggregateType, AggregateID: rec.AggregateID,
			Version: rec.Version, Position: rec.Position, Hash: rec.Hash,
		}
	}
	s.log.Debug("eventstore: duplicate append", "command", meta.CommandID, "first", first, "events", len(plan))
	return res, true, nil
}
