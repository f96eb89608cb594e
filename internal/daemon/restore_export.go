package daemon

// portfoliod restore --from-export: an event log rebuilt from a JSONL
// audit export.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ehelse/portfolio/eventlog"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ehelse/portfolio/audit"
	"github.com/ehelse/portfolio/eventstore"
)

// exportLine is one checked line of an export.
type exportLine struct {
	audit.Line
	msgID string
}

// exportScan reads an export's lines in order, checking that each is
// whole and as audit export writes it, and gives each event the
// Nats-Msg-Id the event store gave it (its command id and its index among
// the command's events, which are contiguous in the log).
type exportScan struct {
	br     *bufio.Reader
	line   int
	last   uint64
	cause  string
	index  int
	Header audit.Header
}

func newExportScan(r io.Reader) (*exportScan, error) {
	s := &exportScan{br: bufio.NewReaderSize(r, 1<<20)}
	raw, err := s.readLine()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty file: not an audit export")
		}
		return nil, err
	}
	if err := json.Unmarshal(raw, &s.Header); err != nil || s.Header.Format != audit.ExportFormat {
		return nil, fmt.Errorf("the first line is not an audit export header (format %q)", audit.ExportFormat)
	}
	return s, nil
}

// readLine reads one whole line without its newline; a last line without
// a newline is a truncated file (audit export ends every line).
func (s *exportScan) readLine() ([]byte, error) {
	b, err := s.br.ReadBytes('\n')
	if errors.Is(err, io.EOF) {
		if len(b) == 0 {
			return nil, io.EOF
		}
		return nil, fmt.Errorf("line %d is incomplete (the file is truncated)", s.line+1)
	}
	if err != nil {
		return nil, err
	}
	s.line++
	return bytes.TrimSuffix(b, []byte("\n")), nil
}

// next returns the next event line, or io.EOF.
func (s *exportScan) next() (exportLine, error) {
	raw, err := s.readLine()
	if err != nil {
		return exportLine{}, err
	}
	var l audit.Line
	if err := json.Unmarshal(raw, &l); err != nil {
		return exportLine{}, fmt.Errorf("line %d is not an export line: %v", s.line, err)
	}
	var canon bytes.Buffer
	enc := json.NewEncoder(&canon)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(l)
	switch {
	case !bytes.Equal(bytes.TrimSuffix(canon.Bytes(), []byte("\n")), raw):
		return exportLine{}, fmt.Errorf("line %d is not as audit export wrote it (edited or damaged)", s.line)
	case l.Hash != audit.HashEvent(l.Raw).String():
		return exportLine{}, fmt.Errorf("line %d: the hash field is not the hash of raw (damaged)", s.line)
	case l.Position <= s.last:
		return exportLine{}, fmt.Errorf("line %d: position %d does not follow %d", s.line, l.Position, s.last)
	case !eventSubject(l.Subject):
		return exportLine{}, fmt.Errorf("line %d: subject %q is not an event subject", s.line, l.Subject)
	}
	var env struct {
		CausationID string `json:"causationid"`
	}
	_ = json.Unmarshal(l.Raw, &env)
	if env.CausationID != "" && env.CausationID == s.cause && l.Position == s.last+1 {
		s.index++
	} else {
		s.index = 0
	}
	s.cause = env.CausationID
	s.last = l.Position
	out := exportLine{Line: l}
	if env.CausationID != "" {
		out.msgID = eventstore.MsgID(env.CausationID, s.index)
	}
	return out, nil
}

// exportSummary is what the first pass learns of an export.
type exportSummary struct {
	header      audit.Header
	first, last uint64
	events      uint64
	gaps        bool
	verify      audit.Result
}

// scanExport reads a whole export, checking every line, and verifies it
// trusting the key in its header.
func scanExport(r io.Reader) (exportSummary, audit.Keyring, error) {
	var sum exportSummary
	s, err := newExportScan(r)
	if err != nil {
		return sum, nil, err
	}
	sum.header = s.Header
	pub, err := audit.ParsePublicKey(s.Header.PublicKey)
	if err != nil {
		return sum, nil, fmt.Errorf("header publicKey: %w", err)
	}
	keys := audit.NewKeyring(pub)
	v := audit.NewVerifier(audit.Options{Keys: keys})
	for {
		l, err := s.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return sum, nil, err
		}
		if sum.events == 0 {
			sum.first = l.Position
		} else if l.Position != sum.last+1 {
			sum.gaps = true
		}
		sum.last = l.Position
		sum.events++
		v.Add(audit.Event{Position: l.Position, Subject: l.Subject, Payload: l.Raw, Signature: l.Signature})
	}
	sum.verify = v.Result()
	return sum, keys, nil
}

// gapSubject is where RestoreExport puts the stand-ins for positions an
// export skips, deleted at once; no event type is called so.
const gapSubject = eventlog.SubjectPrefix + "._restore._gap._gap"

// RestoreExport creates cfg.DataDir with an event log rebuilt from a JSONL
// audit export: every event's stored bytes, subject and signature as they
// were, at the same positions (a position the export skips is skipped in
// the new log too), and the Nats-Msg-Id the event store had given it. It
// checks the whole export first (every line whole and unedited, positions
// increasing), and at the end that the new log's audit chain is the
// export's. An export holds no Idempotency-Keys.
func RestoreExport(ctx context.Context, cfg RestoreConfig) (res RestoreResult, err error) {
	start := time.Now()
	if cfg.Stream == "" {
		cfg.Stream = eventstore.DefaultStream
	}
	target, f, size, err := cfg.open()
	if err != nil {
		return res, err
	}
	defer f.Close()
	sum, keys, err := scanExport(&progressReader{r: f, total: size, phase: "checking", fn: cfg.Progress})
	if err != nil {
		return res, fmt.Errorf("%s: %w; nothing was written", cfg.File, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return res, err
	}

	_, js, finish, err := target.start(ctx)
	if err != nil {
		return res, err
	}
	defer finish(&err)

	sc := eventstore.StreamConfig(eventstore.Config{Stream: cfg.Stream})
	if sum.first > 1 {
		sc.FirstSeq = sum.first
	}
	if sum.gaps {
		sc.DenyDelete = false // for the stand-ins; Open denies it again
	}
	st, err := js.CreateStream(ctx, sc)
	if err != nil {
		return res, fmt.Errorf("create stream %s: %w", cfg.Stream, err)
	}
	s, err := newExportScan(&progressReader{r: f, total: size, phase: "restoring", fn: cfg.Progress})
	if err != nil {
		return res, err
	}
	pub := &exportPublisher{ctx: ctx, js: js, st: st}
	for {
		l, err := s.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return res, fmt.Errorf("%s (it changed since it was checked?): %w", cfg.File, err)
		}
		if err := pub.add(l); err != nil {
			return res, err
		}
	}
	if err := pub.flush(); err != nil {
		return res, err
	}
	v, err := verifyRestored(ctx, js, cfg.Stream, sum.last, keys, cfg.Logger)
	if err != nil {
		return res, err
	}
	w := sum.verify
	if v.Head != w.Head || v.Events != w.Events || v.OK != w.OK || v.Bad != w.Bad || v.Missing != w.Missing {
		return res, fmt.Errorf("the restored log's audit chain (ok %t, %d events, head %s) is not the export's (ok %t, %d events, head %s)",
			v.OK, v.Events, v.Head, w.OK, w.Events, w.Head)
	}
	return RestoreResult{Stream: cfg.Stream, Events: sum.events, FirstPosition: sum.first, LastPosition: sum.last,
		Verify: v, KeyID: sum.header.KeyID, Took: time.Since(start)}, nil
}

// exportPublisher publishes an export's events asynchronously, a window
// at a time, and checks that each lands at its position.
type exportPublisher struct {
	ctx     context.Context
	js      jetstream.JetStream
	st      jetstream.Stream
	next    uint64 // the position the next publish lands at; 0: unknown yet
	pending []pendingPub
}

type pendingPub struct {
	pos uint64
	f   jetstream.PubAckFuture
}

const exportWindow = 1000

func (p *exportPublisher) add(l exportLine) error {
	if p.next != 0 && l.Position > p.next {
		if err := p.skip(l.Position); err != nil {
			return err
		}
	}
	m := nats.NewMsg(l.Subject)
	m.Data = l.Raw
	if l.Signature != "" {
		m.Header.Set(audit.SignatureHeader, l.Signature)
	}
	if l.msgID != "" {
		m.Header.Set(jetstream.MsgIDHeader, l.msgID)
	}
	f, err := p.js.PublishMsgAsync(m)
	if err != nil {
		return fmt.Errorf("publish position %d: %w", l.Position, err)
	}
	p.pending = append(p.pending, pendingPub{pos: l.Position, f: f})
	p.next = l.Position + 1
	if len(p.pending) >= exportWindow {
		return p.flush()
	}
	return nil
}

// flush waits for the acknowledgements of the window.
func (p *exportPublisher) flush() error {
	if len(p.pending) == 0 {
		return nil
	}
	select {
	case <-p.js.PublishAsyncComplete():
	case <-p.ctx.Done():
		return p.ctx.Err()
	case <-time.After(time.Minute):
		return errors.New("publish: no acknowledgements for a minute")
	}
	for _, pp := range p.pending {
		select {
		case ack := <-pp.f.Ok():
			if ack.Duplicate {
				return fmt.Errorf("the event at position %d was taken for a duplicate of an earlier one (its Nats-Msg-Id %s repeats)", pp.pos, pp.f.Msg().Header.Get(jetstream.MsgIDHeader))
			}
			if ack.Sequence != pp.pos {
				return fmt.Errorf("the event of position %d landed at %d", pp.pos, ack.Sequence)
			}
		case err := <-pp.f.Err():
			return fmt.Errorf("publish position %d: %w", pp.pos, err)
		}
	}
	p.pending = p.pending[:0]
	return nil
}

// skip leaves positions p.next…to-1 empty, as in the export: a stand-in
// is stored at each and deleted.
func (p *exportPublisher) skip(to uint64) error {
	if err := p.flush(); err != nil {
		return err
	}
	for ; p.next < to; p.next++ {
		ack, err := p.js.Publish(p.ctx, gapSubject, []byte("{}"))
		if err != nil {
			return fmt.Errorf("stand-in for position %d: %w", p.next, err)
		}
		if ack.Sequence != p.next {
			return fmt.Errorf("the stand-in for position %d landed at %d", p.next, ack.Sequence)
		}
		if err := p.st.DeleteMsg(p.ctx, ack.Sequence); err != nil {
			return fmt.Errorf("delete the stand-in at %d: %w", ack.Sequence, err)
		}
	}
	return nil
}

// eventSubject reports whether subject can be stored in the event stream:
// under portfolio.events., of valid tokens.
func eventSubject(subject string) bool {
	rest, ok := strings.CutPrefix(subject, eventlog.SubjectPrefix+".")
	if !ok {
		return false
	}
	for _, tok := range strings.Split(rest, ".") {
		if !eventlog.ValidToken(tok) {
			return false
		}
	}
	return true
}
