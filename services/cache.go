package services

import (
	"context"
	"time"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/eventlog"
)

// cached is an aggregate's state, the stream position of its last message
// (the optimistic-concurrency expectation) and the hash of its last good
// event (the next event's prevhash). Position and hash name the same event
// unless a rejected message follows the last good event.
type cached struct {
	state    domain.State
	position uint64
	hash     string
}

// remember folds the appended events into the cached states, so the next
// command on these aggregates needs no history read.
func (s *CommandService) remember(states map[domain.Ref]domain.State, positions map[domain.Ref]uint64, hashes map[domain.Ref]string, res eventlog.Result, events []domain.Event, now time.Time, actor string) {
	if len(res.Events) != len(events) {
		return
	}
	next := map[domain.Ref]cached{}
	for i, a := range res.Events {
		ref := domain.Ref{Type: domain.AggregateType(a.AggregateType), ID: a.AggregateID}
		c, ok := next[ref]
		if !ok {
			st := states[ref]
			if st == nil {
				st = domain.NewState(ref)
			}
			c = cached{state: st, position: positions[ref], hash: hashes[ref]}
		}
		st, err := domain.Evolve(c.state, domain.Recorded{ID: a.ID, Version: a.Version, Position: a.Position, Time: now, Actor: actor, Event: events[i]})
		if err != nil {
			s.cache.Remove(ref)
			delete(next, ref)
			continue
		}
		next[ref] = cached{state: st, position: a.Position, hash: a.Hash}
	}
	for r, c := range next {
		s.cache.Add(r, c)
		var from uint64
		if st := states[r]; st != nil {
			from = st.StateVersion()
		}
		s.maybeSnapshot(r, from, c)
	}
}

// load returns an aggregate's current state: the cached state plus the
// events recorded after it (one read, whatever the history's length). On a
// cache miss it starts from the aggregate's snapshot, if there is a usable
// one, instead of from the beginning.
func (s *CommandService) load(ctx context.Context, ref domain.Ref) (cached, error) {
	c, hit := s.cache.Get(ref)
	var recs []eventlog.Record
	var err error
	fromSnapshot := false
	if !hit {
		if c, recs, fromSnapshot, err = s.loadFromSnapshot(ctx, ref); err != nil {
			return cached{}, err
		}
	}
	if !fromSnapshot {
		if !hit {
			c = cached{state: domain.NewState(ref)}
		}
		if recs, err = s.cfg.Log.Load(ctx, string(ref.Type), ref.ID, c.position); err != nil {
			return cached{}, err
		}
	}
	if len(recs) == 0 {
		if fromSnapshot {
			s.cache.Add(ref, c)
		}
		return c, nil
	}
	st, hash, good := c.state, c.hash, false
	for _, r := range recs {
		good = false
		if s.keys != nil {
			if reason := verifyRecord(s.keys, r, st.StateVersion(), hash); reason != nil {
				s.cfg.Logger.Error("command path: ignoring an event that fails verification",
					"position", r.Position, "subject", r.Subject, "reason", reason.Error())
				continue
			}
		}
		d, err := recordedOf(r)
		if err != nil {
			return cached{}, err
		}
		if st, err = domain.Evolve(st, d); err != nil {
			return cached{}, err
		}
		hash, good = r.Hash, true
	}
	from := c.state.StateVersion()
	c = cached{state: st, position: recs[len(recs)-1].Position, hash: hash}
	s.cache.Add(ref, c)
	switch {
	case !good: // a snapshot's position is that of its hash's event
	case fromSnapshot: // the snapshot was behind the log
		s.queueSnapshot(ref, c)
	default:
		s.maybeSnapshot(ref, from, c)
	}
	return c, nil
}
