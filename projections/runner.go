package projections

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/nats-io/nats.go/jetstream"
	bolt "go.etcd.io/bbolt"

	"github.com/ehelse/portfolio/audit"
	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/eventlog"
	"github.com/ehelse/portfolio/services"
)

// Sentinel errors, wrapped by the errors the package returns.
var (
	// ErrStreamMismatch: the stream is not the one the read models were
	// built from (recreated, missing the checkpoint's event, behind the
	// checkpoint) or the file's schema is another version. The runner
	// rebuilds when it sees it.
	ErrStreamMismatch = errors.New("projections: read models do not match the event stream")
	// ErrRebuildInProgress: Rebuild was called while a rebuild is running.
	// It wraps services.ErrRebuildInProgress, which the rebuild use case
	// (services.Rebuilds) recognises.
	ErrRebuildInProgress = fmt.Errorf("projections: %w", services.ErrRebuildInProgress)
	// ErrClosed: the read models were closed. Queries return it inside a
	// KindUnavailable *domain.Error.
	ErrClosed = errors.New("projections: read models closed")
)

// Subject is the filter of the runner's consumer.
const Subject = "portfolio.events.>"

// ReadModels is the opened bbolt read models and the runner that keeps them
// up to date from the event stream. Its query methods are safe for
// concurrent use; Run runs in one goroutine.
type ReadModels struct {
	js   jetstream.JetStream
	cfg  Config
	log  *slog.Logger
	keys audit.Keyring // nil: no verification

	// swapMu: queries hold it shared for their transaction; switching to a
	// rebuilt file or closing holds it exclusively.
	swapMu  sync.RWMutex
	db      *bolt.DB
	invalid string // why the read models are not served; "" when they are
	closed  bool
	noSync  bool // commits are not fsynced (unsynced.go)

	// applyMu is held while a batch is applied, and by Rebuild for its
	// final catch-up and the switch, so that no batch goes to the old file
	// after the new one caught up.
	applyMu sync.Mutex
	// docs keeps the documents the last commits wrote (guarded by
	// applyMu).
	docs *docCache
	// rebuildMu serialises rebuilds.
	rebuildMu sync.Mutex

	// state is the published position and card index (see index.go):
	// replaced, never changed, after each commit.
	state  atomic.Pointer[readState]
	mu     sync.Mutex    // guards notify
	notify chan struct{} // closed and replaced on every position change

	head                                          atomic.Uint64
	applied, skipped, rejected, batches, rebuilds atomic.Uint64
	ready                                         atomic.Bool
	// readyAt is the position at which a following runner becomes ready
	// (the head seen at its start); 0 while no runner is catching up.
	readyAt atomic.Uint64

	reported sync.Map // event types already reported as skipped

	// hook, when set (tests), runs before each event of a batch; its error
	// aborts the batch.
	hook func(item) error
	// parked, when set (tests), runs when WaitFor finds the position short
	// and is about to wait for the next commit.
	parked func()

	// pace spaces the runner's commits while events keep arriving (see
	// pacing); now is its clock. Tests change both before Run.
	pace pacing
	now  func() time.Time
}

func (c *Config) defaults() {
	if c.Stream == "" {
		c.Stream = DefaultStream
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 1000
	}
	if c.BatchWait <= 0 {
		c.BatchWait = time.Millisecond
	}
	if c.CheckInterval <= 0 {
		c.CheckInterval = 30 * time.Second
	}
}

// keyring returns the trusted keys, nil when verification is off.
func (c *Config) keyring() audit.Keyring {
	if len(c.TrustedKeys) == 0 {
		return nil
	}
	return audit.NewKeyring(c.TrustedKeys...)
}

// Open opens (creating if needed) the read models in cfg.Dir/FileName and
// removes files left by an interrupted rebuild. It does not start following
// the stream; call Run. Queries answer from the file at once (with its
// checkpoint's position).
func Open(ctx context.Context, js jetstream.JetStream, cfg Config) (*ReadModels, error) {
	cfg.defaults()
	if cfg.Dir == "" {
		return nil, errors.New("projections: Config.Dir is required")
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("projections: create %s: %w", cfg.Dir, err)
	}
	if stale, _ := filepath.Glob(filepath.Join(cfg.Dir, "readmodels-*.db")); len(stale) > 0 {
		for _, p := range stale {
			cfg.Logger.Info("projections: removing file of an interrupted rebuild", "path", p)
			_ = os.Remove(p)
		}
	}
	path := filepath.Join(cfg.Dir, FileName)
	noSync, lost, err := guardUnsynced(path)
	if err != nil {
		return nil, err
	}
	db, err := bolt.Open(path, 0o644, &bolt.Options{Timeout: 5 * time.Second, NoSync: noSync})
	if err != nil {
		return nil, fmt.Errorf("projections: open %s: %w", path, err)
	}
	var cp checkpoint
	err = db.Update(func(tx *bolt.Tx) error {
		cp = readCheckpoint(tx)
		return ensureBuckets(tx)
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("projections: open %s: %w", path, err)
	}
	m := &ReadModels{js: js, cfg: cfg, log: cfg.Logger, keys: cfg.keyring(), db: db, notify: make(chan struct{}), docs: newDocCache(maxCachedDocs),
		pace: defaultPacing, now: time.Now, noSync: noSync}
	switch {
	case lost != "":
		m.invalid = lost
	case cp.Position > 0 && cp.Schema != SchemaVersion:
		m.invalid = fmt.Sprintf("file has schema version %d, want %d", cp.Schema, SchemaVersion)
	case cp.StreamName != "" && cp.StreamName != cfg.Stream:
		m.invalid = fmt.Sprintf("file follows stream %s, not %s", cp.StreamName, cfg.Stream)
	case cp.Position > 0 && cp.TrustedKeys != keysText(m.keys):
		m.invalid = fmt.Sprintf("file was built trusting keys [%s], now [%s]", cp.TrustedKeys, keysText(m.keys))
	default:
		m.state.Store(loadState(db, cp.Position))
	}
	if m.invalid != "" {
		m.state.Store(&readState{})
		m.log.Warn("projections: read models will be rebuilt", "reason", m.invalid)
	}
	return m, nil
}

// Close closes the read model file. Call it after Run has returned.
// Queries after Close return a KindUnavailable error.
func (m *ReadModels) Close() error {
	m.swapMu.Lock()
	defer m.swapMu.Unlock()
	if m.closed {
		return nil
	}
	m.closed = true
	m.broadcast()
	if m.noSync {
		if err := m.db.Sync(); err != nil {
			_ = m.db.Close()
			return fmt.Errorf("projections: close: sync: %w", err)
		}
	}
	if err := m.db.Close(); err != nil {
		return fmt.Errorf("projections: close: %w", err)
	}
	if m.noSync {
		return releaseUnsynced(filepath.Join(m.cfg.Dir, FileName))
	}
	return nil
}

// Lag is the stream head last seen minus Position.
func (m *ReadModels) Lag() uint64 {
	h, p := m.head.Load(), m.Position()
	if h > p {
		return h - p
	}
	return 0
}

// Ready reports whether the runner has caught up with the stream head it
// saw when it started (or after its last rebuild).
func (m *ReadModels) Ready() bool { return m.ready.Load() }

// Stats returns the runner's counters.
func (m *ReadModels) Stats() Stats {
	return Stats{
		Position: m.Position(), Head: m.head.Load(), Lag: m.Lag(),
		Applied: m.applied.Load(), Skipped: m.skipped.Load(), Rejected: m.rejected.Load(), Batches: m.batches.Load(),
		Rebuilds: m.rebuilds.Load(), Ready: m.Ready(),
	}
}

// view runs fn in a read transaction of the current file.
func (m *ReadModels) view(fn func(tx *bolt.Tx) error) error {
	m.swapMu.RLock()
	defer m.swapMu.RUnlock()
	if m.closed {
		return &domain.Error{Kind: domain.KindUnavailable, Message: "read models closed", Err: ErrClosed}
	}
	if m.invalid != "" {
		return &domain.Error{Kind: domain.KindLagging, Message: "read models are being rebuilt: " + m.invalid, Err: ErrStreamMismatch}
	}
	err := m.db.View(fn)
	if err != nil {
		var de *domain.Error
		if !errors.As(err, &de) {
			err = &domain.Error{Kind: domain.KindInternal, Message: "read models", Err: err}
		}
	}
	return err
}

// loadState reads the card index of db, whose checkpoint is at pos.
func loadState(db *bolt.DB, pos uint64) *readState {
	s := &readState{pos: pos}
	s.err = db.View(func(tx *bolt.Tx) error {
		var err error
		s.idx, err = loadIndex(tx)
		return err
	})
	return s
}

// publish makes s the state queries, Position and WaitFor see, and wakes
// WaitFor.
func (m *ReadModels) publish(s *readState) {
	// Ready before the position is visible: whoever sees the start head
	// reached (WaitFor, Position) also sees Ready.
	if at := m.readyAt.Load(); at != 0 && s.pos >= at && m.ready.CompareAndSwap(false, true) {
		m.readyAt.Store(0)
		m.log.Info("projections: caught up", "position", s.pos)
	}
	m.state.Store(s)
	m.broadcast()
}

func (m *ReadModels) position() uint64 {
	if s := m.state.Load(); s != nil {
		return s.pos
	}
	return 0
}

func (m *ReadModels) broadcast() {
	m.mu.Lock()
	if m.notify != nil {
		close(m.notify)
	}
	m.notify = make(chan struct{})
	m.mu.Unlock()
}

func (m *ReadModels) waitFor(ctx context.Context, pos uint64) error {
	for {
		m.mu.Lock()
		ch := m.notify
		m.mu.Unlock()
		if m.position() >= pos {
			return nil
		}
		if m.parked != nil {
			m.parked()
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return &domain.Error{
				Kind:    domain.KindLagging,
				Message: fmt.Sprintf("read models at position %d have not reached %d", m.position(), pos),
				Err:     ctx.Err(),
			}
		}
	}
}

// invalidate stops serving the read models until a rebuild switches.
func (m *ReadModels) invalidate(reason string) {
	m.swapMu.Lock()
	m.invalid = reason
	m.swapMu.Unlock()
	m.ready.Store(false)
	m.publish(&readState{})
}

func (m *ReadModels) isInvalid() string {
	m.swapMu.RLock()
	defer m.swapMu.RUnlock()
	return m.invalid
}

// Run follows the stream until ctx is done, then returns nil. It restarts
// its consumer from the checkpoint after errors, and rebuilds the read
// models when the stream no longer matches them.
func (m *ReadModels) Run(ctx context.Context) error {
	// 100ms after a failure, doubling up to 5s; back to 100ms after a
	// successful rebuild.
	wait := backoff.NewExponentialBackOff()
	wait.InitialInterval, wait.Multiplier, wait.MaxInterval, wait.RandomizationFactor = 100*time.Millisecond, 2, 5*time.Second, 0
	for {
		from := m.position()
		err := m.follow(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if m.position() > from {
			// It followed for a while: a new failure is not the same
			// one again, and waiting long before retrying would leave
			// the read models behind.
			wait.Reset()
		}
		if errors.Is(err, ErrStreamMismatch) {
			m.log.Warn("projections: stream does not match the read models; rebuilding", "err", err)
			m.invalidate(err.Error())
			m.rebuildMu.Lock()
			err = m.rebuild(ctx, m.logProgress(), true)
			m.rebuildMu.Unlock()
			if err == nil {
				wait.Reset()
				continue
			}
			if ctx.Err() != nil {
				return nil
			}
		}
		retryIn := wait.NextBackOff()
		m.log.Error("projections: runner failed; restarting from the checkpoint", "err", err, "retryIn", retryIn)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(retryIn):
		}
	}
}

// logProgress returns a progress function that logs at most every few
// seconds.
func (m *ReadModels) logProgress() func(done, total uint64) {
	var last time.Time
	return func(done, total uint64) {
		if time.Since(last) < 5*time.Second {
			return
		}
		last = time.Now()
		m.log.Info("projections: rebuilding", "position", done, "head", total)
	}
}

func (m *ReadModels) currentCheckpoint() (checkpoint, error) {
	m.swapMu.RLock()
	defer m.swapMu.RUnlock()
	if m.closed {
		return checkpoint{}, ErrClosed
	}
	var cp checkpoint
	err := m.db.View(func(tx *bolt.Tx) error {
		cp = readCheckpoint(tx)
		return nil
	})
	return cp, err
}

func streamCreated(info *jetstream.StreamInfo) string {
	return info.Created.UTC().Format(time.RFC3339Nano)
}

// verify checks that the stream is the one cp was built from. deep also
// reads the events at the checkpoint and at the start of the stream.
func verify(ctx context.Context, stream jetstream.Stream, info *jetstream.StreamInfo, cp checkpoint, deep bool) error {
	if cp.Position == 0 {
		return nil
	}
	if cp.StreamCreated != "" && cp.StreamCreated != streamCreated(info) {
		return fmt.Errorf("%w: stream %s was recreated (created %s, read models built from one created %s)",
			ErrStreamMismatch, info.Config.Name, streamCreated(info), cp.StreamCreated)
	}
	if cp.Position > info.State.LastSeq {
		return fmt.Errorf("%w: read models at position %d are ahead of the stream head %d",
			ErrStreamMismatch, cp.Position, info.State.LastSeq)
	}
	if !deep {
		return nil
	}
	check := func(seq uint64, want, what string) error {
		if want == "" {
			return nil
		}
		msg, err := stream.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			if what == "first" {
				return nil // trimmed by limits; nothing to compare
			}
			return fmt.Errorf("%w: the %s event (position %d) is missing", ErrStreamMismatch, what, seq)
		}
		if err != nil {
			return fmt.Errorf("projections: read position %d: %w", seq, err)
		}
		rec, err := eventlog.DecodeRecord(msg.Subject, msg.Sequence, msg.Data)
		if err != nil || rec.ID != want {
			return fmt.Errorf("%w: the %s event (position %d) is not %s", ErrStreamMismatch, what, seq, want)
		}
		return nil
	}
	if err := check(cp.Position, cp.LastEventID, "checkpoint"); err != nil {
		return err
	}
	return check(1, cp.FirstEventID, "first")
}

// follow runs one consumer from the checkpoint until an error.
func (m *ReadModels) follow(ctx context.Context) error {
	if reason := m.isInvalid(); reason != "" {
		return fmt.Errorf("%w: %s", ErrStreamMismatch, reason)
	}
	cp, err := m.currentCheckpoint()
	if err != nil {
		return err
	}
	stream, err := m.js.Stream(ctx, m.cfg.Stream)
	if err != nil {
		if errors.Is(err, jetstream.ErrStreamNotFound) && cp.Position > 0 {
			return fmt.Errorf("%w: stream %s is gone", ErrStreamMismatch, m.cfg.Stream)
		}
		return fmt.Errorf("projections: stream %s: %w", m.cfg.Stream, err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		return fmt.Errorf("projections: stream %s info: %w", m.cfg.Stream, err)
	}
	if err := verify(ctx, stream, info, cp, true); err != nil {
		return err
	}
	id := identity{Name: m.cfg.Stream, Created: streamCreated(info)}
	startHead := info.State.LastSeq
	m.head.Store(startHead)
	if cp.Position >= startHead {
		m.ready.Store(true)
	} else {
		m.readyAt.Store(startHead)
	}
	defer m.readyAt.Store(0)

	occ := jetstream.OrderedConsumerConfig{FilterSubjects: []string{Subject}, DeliverPolicy: jetstream.DeliverAllPolicy}
	if cp.Position > 0 {
		occ.DeliverPolicy = jetstream.DeliverByStartSequencePolicy
		occ.OptStartSeq = cp.Position + 1
	}
	cons, err := stream.OrderedConsumer(ctx, occ)
	if err != nil {
		return fmt.Errorf("projections: create consumer: %w", err)
	}
	// Heartbeats every second: when the server holding the ordered
	// consumer goes away (the stream's leader stopped, on a cluster), two
	// missed heartbeats make the client recreate the consumer on another
	// server after about 2 s, not the default 10 s.
	it, err := cons.Messages(jetstream.PullMaxMessages(max(m.cfg.BatchSize, 100)), jetstream.PullHeartbeat(runnerHeartbeat))
	if err != nil {
		return fmt.Errorf("projections: consume: %w", err)
	}
	msgs := m.startFeed(it, max(m.cfg.BatchSize, 100))
	defer func() {
		msgs.stop()
		it.Stop()
		<-msgs.gone
	}()

	nextCheck := time.Now().Add(m.cfg.CheckInterval)
	check := func() error {
		nextCheck = time.Now().Add(m.cfg.CheckInterval)
		ictx, cancel := context.WithTimeout(ctx, bridgeGet)
		info, err := stream.Info(ictx)
		cancel()
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			return fmt.Errorf("%w: stream %s is gone", ErrStreamMismatch, m.cfg.Stream)
		}
		if err != nil {
			// Stream info needs the stream's leader (and, on a cluster,
			// the meta leader), which a lost node can take away for
			// several seconds; the read models keep following (bridge)
			// and the check is made again later.
			m.log.Warn("projections: stream info for the periodic check failed; checking again later", "err", err)
			return nil
		}
		m.head.Store(info.State.LastSeq)
		cp, err := m.currentCheckpoint()
		if err != nil {
			return err
		}
		return verify(ctx, stream, info, cp, false)
	}
	// On a cluster that loses a node the consumer can fall silent for
	// far longer than the read models may lag: the client recreates an
	// ordered consumer after missed heartbeats or a reconnect, and the
	// recreation needs the meta leader, whose election after a crash
	// takes the servers' election timeout (4-9 s by default), each try
	// waiting up to 10 s for an answer (TestClusterReadModelsRideOutNodeKills
	// saw 13 s with a SIGKILLed node; restarting the runner does not
	// help, as stream info and consumer creation wait for the same
	// leaders). So whenever the consumer has brought nothing for
	// stallProbe, the runner asks the stream itself, with direct gets
	// that any replica answers without either leader, for the events
	// after its position and applies them (bridge); while that finds
	// events it asks again every bridgePoll. Events the consumer brings
	// later that are already applied are dropped. Only a consumer silent
	// while the runner bridged for bridgeLimit is started over (Run).
	lastMsg := time.Now()
	var bridgingSince time.Time // zero while the consumer keeps up
	var last lastCommit         // the runner's last commit, for pacing
	for {
		wait := stallProbe
		if !bridgingSince.IsZero() {
			wait = bridgePoll
		}
		deadline := nextCheck
		if d := lastMsg.Add(wait); d.Before(deadline) {
			deadline = d
		}
		batch, err := m.readBatch(ctx, msgs, m.cfg.BatchSize, m.cfg.BatchWait, deadline)
		if err == nil && len(batch) > 0 && len(batch) < m.cfg.BatchSize {
			if wait := last.until(m.pace, m.now()); wait > 0 {
				batch, err = m.more(ctx, msgs, batch, m.cfg.BatchSize, wait)
			}
		}
		if err != nil {
			return err
		}
		now := time.Now()
		if len(batch) > 0 {
			lastMsg = now
			if !bridgingSince.IsZero() {
				m.log.Info("projections: consumer delivers again", "position", batch[0].Position,
					"bridged", now.Sub(bridgingSince).Round(time.Millisecond))
				bridgingSince = time.Time{}
			}
			if batch = unapplied(batch, m.position()); len(batch) > 0 {
				start := m.now()
				if err := m.commit(batch, id); err != nil {
					return err
				}
				last = lastCommit{ended: m.now()}
				last.took = last.ended.Sub(start)
			}
		}
		switch {
		case !now.Before(nextCheck):
			if err := check(); err != nil {
				return err
			}
		case now.Sub(lastMsg) >= wait:
			lastMsg = now
			n, err := m.bridge(ctx, stream, id)
			if err != nil {
				return err
			}
			switch {
			case n == 0:
			case bridgingSince.IsZero():
				bridgingSince = now
				m.log.Warn("projections: consumer silent while the stream has events; reading them directly", "applied", n, "position", m.position())
			case now.Sub(bridgingSince) >= bridgeLimit:
				return fmt.Errorf("projections: consumer silent for %s while the stream grew (at position %d)", bridgeLimit, m.position())
			}
		}
	}
}

// unapplied drops the leading items at or before pos: events a recreated
// consumer delivers again after bridge applied them.
func unapplied(batch []item, pos uint64) []item {
	i := 0
	for i < len(batch) && batch[i].Position <= pos {
		i++
	}
	return batch[i:]
}

// bridge reads the events after the read models' position one by one with
// direct gets (next message on Subject from a sequence: any replica of the
// stream answers, without the meta leader or the stream's leader) and
// applies them, until the stream has no more or a get fails; a failed get
// is tried again at the next probe. It returns how many events it applied.
func (m *ReadModels) bridge(ctx context.Context, stream jetstream.Stream, id identity) (int, error) {
	applied := 0
	next := m.position() + 1
	var batch []item
	for {
		gctx, cancel := context.WithTimeout(ctx, bridgeGet)
		msg, err := stream.GetMsg(gctx, next, jetstream.WithGetMsgSubject(Subject))
		cancel()
		if err == nil {
			var sig string
			if msg.Header != nil {
				sig = msg.Header.Get(audit.SignatureHeader)
			}
			batch = append(batch, rawItem(msg.Subject, msg.Sequence, msg.Data, sig))
			next = msg.Sequence + 1
			if msg.Sequence > m.head.Load() {
				m.head.Store(msg.Sequence)
			}
		} else if ctx.Err() != nil {
			return applied, ctx.Err()
		} else if !errors.Is(err, jetstream.ErrMsgNotFound) {
			m.log.Debug("projections: direct get failed", "position", next, "err", err)
		}
		if len(batch) > 0 && (err != nil || len(batch) >= min(m.cfg.BatchSize, bridgeBatch)) {
			if err := m.commit(batch, id); err != nil {
				return applied, err
			}
			applied += len(batch)
			batch = batch[:0]
		}
		if err != nil {
			return applied, nil
		}
	}
}

// runnerHeartbeat is the idle heartbeat the runner's consumer asks for.
const runnerHeartbeat = time.Second

const (
	// stallProbe is how long the runner waits for its consumer before it
	// asks the stream for events after its position (bridge).
	stallProbe = time.Second
	// bridgePoll is how often it asks while the consumer stays silent
	// and the stream has had events for it.
	bridgePoll = 100 * time.Millisecond
	// bridgeGet bounds one direct get.
	bridgeGet = time.Second
	// bridgeBatch is how many events read one by one make a commit:
	// small, so that the first of them are visible long before a
	// backlog is read.
	bridgeBatch = 100
	// bridgeLimit is how long the runner bridges for a silent consumer
	// before it starts over from its checkpoint with a new one.
	bridgeLimit = 30 * time.Second
)

// feed takes messages off a consumer in a goroutine of its own, so that
// readBatch can see without waiting what has arrived.
type feed struct {
	ch   chan fetched
	done chan struct{} // closed by stop
	gone chan struct{} // closed when the goroutine has returned
	err  error         // the error that ended the feed, once readBatch saw it
}

// fetched is one message from the consumer, or the error that ended it.
type fetched struct {
	it      item
	pending uint64 // NumPending: messages in the stream after this one
	err     error
}

// startFeed starts taking messages off it, up to size ahead of readBatch.
// stop (or it.Stop) ends it.
func (m *ReadModels) startFeed(it jetstream.MessagesContext, size int) *feed {
	f := &feed{ch: make(chan fetched, size), done: make(chan struct{}), gone: make(chan struct{})}
	go func() {
		defer close(f.gone)
		for {
			var x fetched
			msg, err := it.Next()
			if err != nil {
				err = fmt.Errorf("projections: read stream: %w", err)
			} else {
				x.it, x.pending, err = m.decode(msg)
			}
			x.err = err
			select {
			case f.ch <- x:
			case <-f.done:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return f
}

// stop ends the feed; it.Stop must be called too (before or after) so that
// the goroutine's Next returns.
func (f *feed) stop() {
	select {
	case <-f.done:
	default:
		close(f.done)
	}
}

// readBatch waits (until deadline) for a message, then takes what follows,
// up to n messages: while the consumer reports more pending in the stream
// it waits up to wait for each; once it reports nothing pending, it takes
// only what has already arrived (events appended while the previous batch
// was committed), so that one commit covers every event that is waiting
// (group commit). It returns an empty batch at the deadline. The items are
// raw: prepare decodes and inspects them. An error ends the batch; the
// next call returns it.
func (m *ReadModels) readBatch(ctx context.Context, f *feed, n int, wait time.Duration, deadline time.Time) ([]item, error) {
	if f.err != nil {
		return nil, f.err
	}
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	var x fetched
	select {
	case x = <-f.ch:
	case <-timer.C:
		return nil, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	var batch []item
	for {
		if x.err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			f.err = x.err
			if len(batch) == 0 {
				return nil, f.err
			}
			return batch, nil // commit what we have
		}
		batch = append(batch, x.it)
		if h := x.it.Position + x.pending; h > m.head.Load() {
			m.head.Store(h)
		}
		if len(batch) >= n {
			return batch, nil
		}
		if x.pending == 0 {
			select {
			case x = <-f.ch:
				continue
			default:
				return batch, nil
			}
		}
		timer.Reset(wait)
		select {
		case x = <-f.ch:
		case <-timer.C:
			return batch, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Pacing the runner's commits. Each commit of the read models is a bbolt
// transaction, two fdatasyncs; under SyncAlways every appended event is
// also one fsync of the stream, on the same disk. Left alone, the runner
// commits as soon as the previous commit is done, so under a steady load
// of commands it commits about five events at a time and adds 0.3–0.4
// fdatasyncs per command beside the log's fsync, and those writes queue
// with the log's. So while events keep arriving, a commit starts no
// sooner than a gap after the previous one ended, collecting what arrives
// meanwhile; the gap is the previous commit's duration times
// pacing.factor, at most pacing.max. Tied to the commit's duration, the
// runner's share of the disk stays at most 1/(1+factor) when commits are
// fast, and an event waits at most max plus one commit: P4 asks for
// append → visible within 10 ms at p99 at 1,000 commands/s. An event that
// arrives after the gap has passed (the runner was idle) is committed at
// once, exactly as without pacing: pacing never delays visibility when
// nothing else is happening.
//
// The cost is latency under load: measured in alternating slices of P2
// and of P4's paced load in one daemon, a 2 ms max took events per commit
// under P2 from 5.0 to 8.7 and the process's CPU per command from 584 to
// 532 µs, and added 2.2 ms to P4's median (3.8 → 6.0 ms on a loaded
// machine); 3 ms and 5 ms bought little more grouping for 0.7 and 3.3 ms
// more. Hence 2 ms.

// pacing is the rule of the gap between commits.
type pacing struct {
	factor int           // the gap is the previous commit's duration times factor
	max    time.Duration // and at most max
}

// defaultPacing: see above and docs/PERFORMANCE.md ("Group commit and the
// gap between P1 and P2").
var defaultPacing = pacing{factor: 2, max: 2 * time.Millisecond}

// lastCommit is when the runner's last commit ended and how long it took.
type lastCommit struct {
	ended time.Time
	took  time.Duration
}

// until returns how long from now the next commit should wait for more
// events: 0 once the gap after the last commit has passed.
func (l lastCommit) until(p pacing, now time.Time) time.Duration {
	if l.ended.IsZero() {
		return 0
	}
	gap := min(time.Duration(p.factor)*l.took, p.max)
	return l.ended.Add(gap).Sub(now)
}

// more adds to batch what arrives within wait, up to n items: the rest of
// a paced commit. An error ends it as in readBatch.
func (m *ReadModels) more(ctx context.Context, f *feed, batch []item, n int, wait time.Duration) ([]item, error) {
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for len(batch) < n {
		select {
		case x := <-f.ch:
			if x.err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				f.err = x.err
				return batch, nil // commit what we have; the next readBatch returns the error
			}
			batch = append(batch, x.it)
			if h := x.it.Position + x.pending; h > m.head.Load() {
				m.head.Store(h)
			}
		case <-timer.C:
			return batch, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return batch, nil
}

// decode turns a stream message into a raw batch item.
func (m *ReadModels) decode(msg jetstream.Msg) (item, uint64, error) {
	md, err := msg.Metadata()
	if err != nil {
		return item{}, 0, fmt.Errorf("projections: message metadata: %w", err)
	}
	var sig string
	if h := msg.Headers(); h != nil {
		sig = h.Get(audit.SignatureHeader)
	}
	return rawItem(msg.Subject(), md.Sequence.Stream, msg.Data(), sig), md.NumPending, nil
}

// commit applies a batch to the current file in one transaction.
func (m *ReadModels) commit(batch []item, id identity) error {
	m.applyMu.Lock()
	defer m.applyMu.Unlock()
	m.swapMu.RLock()
	db, closed := m.db, m.closed
	m.swapMu.RUnlock()
	if closed {
		return ErrClosed
	}
	var v voucher
	if m.cfg.Written != nil {
		v = written{m.cfg.Written, m.keys}
	}
	prepare(batch, m.keys, v)
	cur := m.state.Load()
	var res batchResult
	var next *readState
	err := db.Update(func(tx *bolt.Tx) error {
		var err error
		a := newApplier(tx)
		a.docs = m.docs
		t, err := beginApply(tx, id, m.hook, m.keys, a)
		if err != nil {
			return err
		}
		if err := t.add(batch); err != nil {
			return err
		}
		if res, err = t.end(); err != nil {
			return err
		}
		// The card index as of this commit: the published one with the
		// cards the batch wrote, or the whole file's.
		next = &readState{pos: res.Position}
		if cur != nil && cur.idx != nil {
			next.idx, err = cur.idx.updated(tx, res.Initiatives, res.Strategy)
		} else {
			next.idx, err = loadIndex(tx)
		}
		if err != nil {
			next.idx, next.err = nil, err
		}
		return nil
	})
	if err != nil {
		// What the failed transaction wrote is not in the file; the
		// entries would not be used, but need not be kept either.
		m.docs.clear()
		return err
	}
	m.applied.Add(res.Applied)
	m.skipped.Add(res.Skipped)
	m.rejected.Add(res.Rejected)
	m.batches.Add(1)
	m.reportSkips(res.Skips) // usually none; logged before they are visible
	m.reportRejects(res.Rejects)
	m.publish(next) // wakes WaitFor
	return nil
}

// reportRejects logs events rejected by verification, each at Error: a
// rejected event is a forged or altered message in the log.
func (m *ReadModels) reportRejects(rejects []item) {
	for _, r := range rejects {
		m.log.Error("projections: rejected an event that fails verification; it does not change the read models",
			"position", r.Position, "subject", r.Msg.Subject, "id", r.EventID, "reason", r.Reject)
	}
}

// reportSkips logs skipped events: the first of each event type at Warn,
// the rest at Debug.
func (m *ReadModels) reportSkips(skips []item) {
	for _, s := range skips {
		level := slog.LevelDebug
		if _, seen := m.reported.LoadOrStore(s.Type, true); !seen {
			level = slog.LevelWarn
		}
		m.log.Log(context.Background(), level, "projections: skipped event",
			"position", s.Position, "type", s.Type, "id", s.EventID,
			"aggregate", s.AggType+"/"+s.AggID, "reason", s.Skip)
	}
}
