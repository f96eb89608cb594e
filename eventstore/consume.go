package eventstore

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ehelse/portfolio/audit"
	"github.com/ehelse/portfolio/eventlog"
)

// Consume calls fn for every event with position > afterPosition, in log
// order, and then for each new event as it is appended, until ctx ends or
// fn returns an error. It uses an ordered consumer (ephemeral, no acks,
// recreated by the client on gaps or reconnects) starting at
// afterPosition+1, so a projection that stores the position of the last
// event it applied resumes exactly after it.
//
// filters narrow the events to subjects such as
// "portfolio.events.initiative.>" (default: all events).
//
// It returns fn's error as is, ctx.Err() when ctx ends, ErrCorrupt (kind
// internal) for a message that is not an event, or ErrUnavailable when the
// consumer cannot be created.
func (s *Store) Consume(ctx context.Context, afterPosition uint64, fn func(eventlog.Record) error, filters ...string) error {
	return s.consume(ctx, afterPosition, nil, fn, filters)
}

// ConsumeSelected is Consume for a consumer that acts on few of the
// events: an event of an aggregate that want rejects is neither decoded
// nor checked, and fn gets it as a Record with only Position, Subject,
// AggregateType, AggregateID, Type (all from the subject) and Time (when
// the stream stored it). want is called in the goroutine that calls fn,
// after fn has returned for every earlier event.
func (s *Store) ConsumeSelected(ctx context.Context, afterPosition uint64, want func(aggType, aggID string) bool, fn func(eventlog.Record) error) error {
	return s.consume(ctx, afterPosition, want, fn, nil)
}

func (s *Store) consume(ctx context.Context, afterPosition uint64, want func(aggType, aggID string) bool, fn func(eventlog.Record) error, filters []string) error {
	cctx, cancel := s.withTimeout(ctx)
	cons, err := s.js.OrderedConsumer(cctx, s.cfg.Stream, jetstream.OrderedConsumerConfig{
		FilterSubjects: filters,
		DeliverPolicy:  jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:    afterPosition + 1,
	})
	cancel()
	if err != nil {
		return translate("eventstore: consume", err)
	}
	// A short heartbeat: when the first pull request is lost (in a cluster
	// it can reach a server before the new consumer's interest does), the
	// ordered consumer notices the missing heartbeats and recreates itself
	// after two of them rather than the default ten seconds.
	it, err := cons.Messages(jetstream.PullExpiry(10*time.Second), jetstream.PullHeartbeat(time.Second))
	if err != nil {
		return translate("eventstore: consume", err)
	}
	defer it.Stop()
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	for {
		msg, err := it.Next()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return unavailable("eventstore: consume", err)
			}
			return translate("eventstore: consume", err)
		}
		md, err := msg.Metadata()
		if err != nil {
			return internal("eventstore: consume", err)
		}
		if want != nil {
			if r, ok := undecoded(msg.Subject(), md.Sequence.Stream, md.Timestamp); ok && !want(r.AggregateType, r.AggregateID) {
				if err := fn(r); err != nil {
					return err
				}
				continue
			}
		}
		rec, err := strictDecode(msg.Subject(), md.Sequence.Stream, msg.Data(), msg.Headers().Get(audit.SignatureHeader))
		if err != nil {
			return err
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
}

// undecoded is the Record ConsumeSelected passes for an event it does not
// decode; false when the subject is not an event subject (the event is
// then decoded, which reports it).
func undecoded(subject string, seq uint64, stored time.Time) (eventlog.Record, bool) {
	rest, ok := strings.CutPrefix(subject, eventlog.SubjectPrefix+".")
	if !ok {
		return eventlog.Record{}, false
	}
	aggType, rest, ok1 := strings.Cut(rest, ".")
	aggID, typ, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || aggType == "" || aggID == "" || typ == "" || strings.Contains(typ, ".") {
		return eventlog.Record{}, false
	}
	return eventlog.Record{Position: seq, Subject: subject, AggregateType: aggType, AggregateID: aggID, Type: typ, Time: stored}, true
}
