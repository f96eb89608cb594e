package audit

import (
	"context"
	"errors"
	"fmt"
)

// Event is one stored message as verification sees it.
type Event struct {
	Position  uint64 // stream sequence
	Subject   string // NATS subject
	Payload   []byte // the stored CloudEvent, byte for byte
	Signature string // the Portfolio-Signature header ("" when absent)
}

// Link is the last good event of an aggregate: its hash and version. The
// zero Link is an aggregate without good events.
type Link struct {
	Hash    Hash
	Version uint64
}

// PrevHash is the prevhash the next event of the aggregate must carry: ""
// for the first event, else the hash of the last good event in hex.
func (l Link) PrevHash() string {
	if l.Version == 0 {
		return ""
	}
	return l.Hash.String()
}

// Checked is an event that passed Inspect.
type Checked struct {
	Hash     Hash
	Envelope Envelope
}

// Follows checks that the event continues its aggregate's chain: its
// prevhash is the hash of the aggregate's last good event ("" or absent
// for the first) and its aggregateversion is one more. It returns nil or
// the reason it does not.
func (c Checked) Follows(last Link) error {
	if want := last.PrevHash(); c.Envelope.PrevHash != want {
		if want == "" {
			return fmt.Errorf("chain broken: %s has no good event before, but prevhash is %s", c.Envelope.Aggregate(), c.Envelope.PrevHash)
		}
		if c.Envelope.PrevHash == "" {
			return fmt.Errorf("chain broken: no prevhash, but %s's last good event (version %d) has hash %s", c.Envelope.Aggregate(), last.Version, want)
		}
		return fmt.Errorf("chain broken: prevhash %s is not the hash of %s's last good event (version %d, %s)", c.Envelope.PrevHash, c.Envelope.Aggregate(), last.Version, want)
	}
	if c.Envelope.Version != last.Version+1 {
		return fmt.Errorf("aggregateversion %d does not follow %s's last good version %d", c.Envelope.Version, c.Envelope.Aggregate(), last.Version)
	}
	return nil
}

// Link returns the Link the event leaves its aggregate at.
func (c Checked) Link() Link { return Link{Hash: c.Hash, Version: c.Envelope.Version} }

// Inspect checks what can be checked of one event on its own: it decodes
// (DecodeEnvelope, including that the NATS subject matches the envelope)
// and a trusted key signed its hash. The hash is returned also for a bad
// event (the running digest covers every event). The chain is checked by
// Checked.Follows.
func Inspect(keys Keyring, ev Event) (Checked, error) {
	c := Checked{Hash: HashEvent(ev.Payload)}
	env, err := DecodeEnvelope(ev.Subject, ev.Payload)
	c.Envelope = env
	if err != nil {
		return c, err
	}
	if err := keys.Check(ev.Signature, c.Hash); err != nil {
		return c, err
	}
	return c, nil
}

// Options configure a Verifier.
type Options struct {
	// Keys are the trusted public keys. An event is good only if one of
	// them signed it; with no keys every event is bad.
	Keys Keyring
	// Since, when set, is a digest the log must extend: the head after
	// Since.Events events must be Since.Head (and the position of that
	// event Since.Position, when not 0). Checkpoints in it locate where a
	// log that does not extend it stops agreeing.
	Since *Digest
	// CheckpointEvery, when not 0, records the head after every
	// CheckpointEvery events in Result.Checkpoints.
	CheckpointEvery uint64
}

// SinceResult says whether the log extends a saved digest.
type SinceResult struct {
	// OK: the log's head after Events events is Head (and that event is at
	// Position): the log extends the digest.
	OK       bool   `json:"ok"`
	Events   uint64 `json:"events"`
	Position uint64 `json:"position,omitempty"`
	Head     string `json:"head"`
	// AgreedThrough is the position of the last checkpoint of the digest
	// that the log matches (0: none). Everything up to it is as it was.
	AgreedThrough uint64 `json:"agreedThrough"`
	// DivergedAt, when the log does not extend the digest, is the position
	// (in this log) of the first checkpoint that does not match: the log
	// differs from the one the digest was taken of at some event after
	// AgreedThrough and at or before DivergedAt. With a checkpoint at
	// every event it is the first event that differs. Absent when the log
	// ends before the digest's events.
	DivergedAt *uint64 `json:"divergedAt,omitempty"`
	Reason     string  `json:"reason,omitempty"`
}

// Result is the outcome of a verification.
type Result struct {
	// OK: every event is good, no position is missing, and the log extends
	// Since (when given).
	OK bool `json:"ok"`
	// Events is the number of events walked, good or bad.
	Events uint64 `json:"events"`
	// Position is the position of the last event walked.
	Position uint64 `json:"position"`
	// Head is the running digest over all events walked, in walk order.
	Head string `json:"head"`
	// FirstBad is the position of the first bad event; Reason says why
	// (or, when no event is bad, why OK is false).
	FirstBad *uint64 `json:"firstBad,omitempty"`
	Reason   string  `json:"reason,omitempty"`
	// Bad counts the bad events.
	Bad uint64 `json:"bad"`
	// Missing counts positions skipped between events (events deleted, or
	// lines dropped from an export); FirstMissing is the first of them.
	Missing      uint64  `json:"missing"`
	FirstMissing *uint64 `json:"firstMissing,omitempty"`
	// Since is the comparison with Options.Since.
	Since *SinceResult `json:"since,omitempty"`
	// CheckpointEvery and Checkpoints: see Options.CheckpointEvery.
	CheckpointEvery uint64       `json:"checkpointEvery,omitempty"`
	Checkpoints     []Checkpoint `json:"checkpoints,omitempty"`
}

// Digest returns the digest of the walked log (with its checkpoints).
func (r Result) Digest() Digest {
	return Digest{Events: r.Events, Position: r.Position, Head: r.Head,
		CheckpointEvery: r.CheckpointEvery, Checkpoints: r.Checkpoints}
}

// BadEvent is why one event is bad.
type BadEvent struct {
	Position uint64
	Reason   string
}

func (b *BadEvent) Error() string { return fmt.Sprintf("position %d: %s", b.Position, b.Reason) }

// Verifier walks a log in stream order and checks every event. Memory
// grows with the number of aggregates (one Link each), not with the log.
// Not safe for concurrent use.
type Verifier struct {
	opts   Options
	chains map[string]Link

	head     Hash
	events   uint64
	position uint64

	firstBad     *BadEvent
	bad          uint64
	missing      uint64
	firstMissing uint64
	checkpoints  []Checkpoint

	points []Checkpoint // of Since, in order
	next   int          // index into points
	since  *SinceResult
}

// NewVerifier returns a Verifier.
func NewVerifier(opts Options) *Verifier {
	v := &Verifier{opts: opts, chains: map[string]Link{}}
	if opts.Since != nil {
		v.points = opts.Since.points()
		v.since = &SinceResult{Events: opts.Since.Events, Position: opts.Since.Position, Head: opts.Since.Head}
	}
	return v
}

// Add checks the next event of the log. It returns nil for a good event
// and the reason for a bad one. Every event, good or bad, goes into the
// running digest; only good events extend their aggregate's chain.
func (v *Verifier) Add(ev Event) *BadEvent {
	c, err := Inspect(v.opts.Keys, ev)
	if err == nil && ev.Position <= v.position {
		err = fmt.Errorf("position %d does not follow %d (events out of order or repeated)", ev.Position, v.position)
	}
	if err == nil {
		err = c.Follows(v.chains[c.Envelope.Aggregate()])
	}
	// Positions and the digest.
	if ev.Position > v.position {
		if gap := ev.Position - v.position - 1; gap > 0 {
			if v.missing == 0 {
				v.firstMissing = v.position + 1
			}
			v.missing += gap
		}
		v.position = ev.Position
	}
	v.events++
	v.head = NextHead(v.head, c.Hash)
	if k := v.opts.CheckpointEvery; k > 0 && v.events%k == 0 {
		v.checkpoints = append(v.checkpoints, Checkpoint{Events: v.events, Position: ev.Position, Head: v.head.String()})
	}
	v.compareSince(ev.Position)

	if err != nil {
		b := &BadEvent{Position: ev.Position, Reason: err.Error()}
		v.bad++
		if v.firstBad == nil {
			v.firstBad = b
		}
		return b
	}
	v.chains[c.Envelope.Aggregate()] = c.Link()
	return nil
}

// AddUnreadable records a bad entry that is not an event at all (an export
// line that does not parse). It is counted as bad but is not in the
// digest; position is the best guess of where it stands.
func (v *Verifier) AddUnreadable(position uint64, reason string) {
	v.bad++
	if v.firstBad == nil {
		v.firstBad = &BadEvent{Position: position, Reason: reason}
	}
}

func (v *Verifier) compareSince(position uint64) {
	if v.since == nil || v.next >= len(v.points) {
		return
	}
	p := v.points[v.next]
	if p.Events != v.events {
		return
	}
	v.next++
	if p.Head == v.head.String() && (p.Position == 0 || p.Position == position) {
		v.since.AgreedThrough = position
		if v.next == len(v.points) {
			v.since.OK = true
		}
		return
	}
	// Diverged: stop comparing.
	pos := position
	v.since.DivergedAt = &pos
	if p.Head != v.head.String() {
		v.since.Reason = fmt.Sprintf("the head after %d events is %s, the digest says %s", p.Events, v.head, p.Head)
	} else {
		v.since.Reason = fmt.Sprintf("event %d is at position %d, the digest says %d", p.Events, position, p.Position)
	}
	v.next = len(v.points)
}

// Result returns the outcome so far.
func (v *Verifier) Result() Result {
	r := Result{
		Events: v.events, Position: v.position, Head: v.head.String(),
		Bad: v.bad, Missing: v.missing,
		CheckpointEvery: v.opts.CheckpointEvery, Checkpoints: v.checkpoints,
	}
	if v.firstBad != nil {
		p := v.firstBad.Position
		r.FirstBad, r.Reason = &p, v.firstBad.Error()
	}
	if v.missing > 0 {
		p := v.firstMissing
		r.FirstMissing = &p
		if r.Reason == "" {
			r.Reason = fmt.Sprintf("%d position(s) missing, the first is %d: events were removed", v.missing, p)
		}
	}
	if v.since != nil {
		s := *v.since
		if !s.OK && s.DivergedAt == nil && s.Reason == "" {
			s.Reason = fmt.Sprintf("the log has %d events, fewer than the digest's %d: events were removed", v.events, s.Events)
		}
		if s.Events == 0 && v.opts.Since.Head == (Hash{}).String() {
			s.OK = true // every log extends the empty one
		}
		r.Since = &s
		if !s.OK && r.Reason == "" {
			r.Reason = "the log does not extend the saved digest: " + s.Reason
		}
	}
	r.OK = v.bad == 0 && v.missing == 0 && (r.Since == nil || r.Since.OK)
	return r
}

// Page reads up to limit events after position after, in order; an empty
// page ends the log.
type Page func(ctx context.Context, after uint64, limit int) ([]Event, error)

// VerifyLog walks a log page by page up to position upTo (0: until an
// empty page) and returns the result. progress, if not nil, is called
// after each page with the result so far.
func VerifyLog(ctx context.Context, read Page, pageSize int, upTo uint64, opts Options, progress func(Result)) (Result, error) {
	if read == nil {
		return Result{}, errors.New("audit: no reader")
	}
	v := NewVerifier(opts)
	var after uint64
	for upTo == 0 || after < upTo {
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
		evs, err := read(ctx, after, pageSize)
		if err != nil {
			return Result{}, err
		}
		if len(evs) == 0 {
			break
		}
		for _, ev := range evs {
			if upTo > 0 && ev.Position > upTo {
				return v.Result(), nil
			}
			v.Add(ev)
			after = max(after, ev.Position)
		}
		if progress != nil {
			progress(v.Result())
		}
	}
	return v.Result(), nil
}
