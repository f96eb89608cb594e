package services

import (
	"context"
	"time"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/eventlog"
)

// Snapshots is what the command path needs of a snapshot store.
// *snapshots.Store (package eventstore/snapshots) implements it.
//
// Get returns only a snapshot it trusts and can decode: false (and no
// error) for a missing one, and for one that is malformed, of another
// schema or not signed by a trusted key. An error means the store could
// not be asked. The command path treats every failure as a miss.
type Snapshots interface {
	Get(ctx context.Context, ref domain.Ref) (eventlog.Snapshot, bool, error)
	Put(ctx context.Context, ref domain.Ref, s eventlog.Snapshot) error
}

// loadFromSnapshot returns the aggregate's snapshot and the records after
// it, ok false when there is no usable snapshot. The read starts at the
// snapshot's own last event, which must still be in the log at that
// position with that hash: a snapshot that does not match the log (the
// stream was restored from a backup or recreated) is ignored. An error is
// the log's; the snapshot store's are logged and taken as a miss.
func (s *CommandService) loadFromSnapshot(ctx context.Context, ref domain.Ref) (cached, []eventlog.Record, bool, error) {
	if s.cfg.Snapshots == nil {
		return cached{}, nil, false, nil
	}
	snap, ok, err := s.cfg.Snapshots.Get(ctx, ref)
	if err != nil {
		s.cfg.Logger.Warn("command path: snapshot not read; folding the history", "aggregate", ref.String(), "err", err)
		return cached{}, nil, false, nil
	}
	if !ok || snap.State == nil || snap.State.StateRef() != ref || snap.Position == 0 || snap.State.StateVersion() == 0 {
		return cached{}, nil, false, nil
	}
	if ll, ok := s.cfg.Log.(LastLoader); ok {
		last, found, err := ll.LoadLast(ctx, string(ref.Type), ref.ID)
		if err != nil {
			return cached{}, nil, false, err
		}
		c := cached{state: snap.State, position: snap.Position, hash: snap.Hash}
		if found && last.Position == snap.Position && last.Hash == snap.Hash {
			return c, nil, true, nil
		}
		if found && last.Version == snap.State.StateVersion()+1 && last.PrevHash == snap.Hash &&
			(s.keys == nil || verifyRecord(s.keys, last, snap.State.StateVersion(), snap.Hash) == nil) {
			return c, []eventlog.Record{last}, true, nil
		}
	}
	recs, err := s.cfg.Log.Load(ctx, string(ref.Type), ref.ID, snap.Position-1)
	if err != nil {
		return cached{}, nil, false, err
	}
	if len(recs) == 0 || recs[0].Position != snap.Position || recs[0].Hash != snap.Hash || recs[0].Version != snap.State.StateVersion() {
		s.cfg.Logger.Warn("command path: ignoring a snapshot that does not match the log; folding the history",
			"aggregate", ref.String(), "version", snap.State.StateVersion(), "position", snap.Position)
		return cached{}, nil, false, nil
	}
	return cached{state: snap.State, position: snap.Position, hash: snap.Hash}, recs[1:], true, nil
}

// snapshotQueue bounds the snapshots waiting to be written; more are
// dropped (the next multiple of SnapshotEvery tries again).
const snapshotQueue = 64

type snapshotJob struct {
	ref domain.Ref
	c   cached
}

// maybeSnapshot queues a snapshot of c when the aggregate's version went
// from from past a multiple of SnapshotEvery.
func (s *CommandService) maybeSnapshot(ref domain.Ref, from uint64, c cached) {
	if s.snapq == nil || c.state == nil {
		return
	}
	if to, every := c.state.StateVersion(), s.cfg.SnapshotEvery; to/every > from/every {
		s.queueSnapshot(ref, c)
	}
}

// queueSnapshot queues a snapshot of c, or drops it when the queue is full.
func (s *CommandService) queueSnapshot(ref domain.Ref, c cached) {
	if s.snapq == nil || c.state == nil {
		return
	}
	s.snapPending.Add(1)
	select {
	case s.snapq <- snapshotJob{ref, c}:
	default:
		s.snapPending.Add(-1)
		s.cfg.Logger.Debug("command path: snapshot queue full; dropping a snapshot", "aggregate", ref.String(), "version", c.state.StateVersion())
		return
	}
	// One writer at a time, started on demand and gone when the queue is
	// empty: a command never waits for a snapshot, and an idle service
	// holds no goroutine.
	if s.snapWriting.CompareAndSwap(false, true) {
		go s.writeSnapshots()
	}
}

// FlushSnapshots waits until the snapshots queued so far are written (or
// failed), or ctx ends: for a graceful shutdown, tests and benchmarks.
func (s *CommandService) FlushSnapshots(ctx context.Context) error {
	for s.snapPending.Load() > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Microsecond):
		}
	}
	return nil
}

// writeSnapshots writes the queued snapshots until the queue is empty.
func (s *CommandService) writeSnapshots() {
	for {
		select {
		case j := <-s.snapq:
			snap := eventlog.Snapshot{State: j.c.state, Position: j.c.position, Hash: j.c.hash}
			if err := s.cfg.Snapshots.Put(context.Background(), j.ref, snap); err != nil {
				s.cfg.Logger.Warn("command path: snapshot not written", "aggregate", j.ref.String(),
					"version", j.c.state.StateVersion(), "err", err)
			}
			s.snapPending.Add(-1)
		default:
			s.snapWriting.Store(false)
			// A job queued after the empty check whose sender saw this
			// writer still running: take it (unless a new writer did).
			if len(s.snapq) == 0 || !s.snapWriting.CompareAndSwap(false, true) {
				return
			}
		}
	}
}
