package eventstore

import (
	"context"
	"errors"
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
		rec, err := strictDecode(msg.Subject(), md.Sequence.Stream, msg.Data(), msg.Headers().Get(audit.SignatureHeader))
		if err != nil {
			return err
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
}
