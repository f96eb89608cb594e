package services

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v5"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/oklog/ulid/v2"

	"github.com/ehelse/portfolio/audit"
	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/eventstore"
)

// EventLog is what the command path needs of the event store.
// *eventstore.Store implements it.
type EventLog interface {
	Append(ctx context.Context, meta eventstore.Meta, aggs ...eventstore.AggregateAppend) (eventstore.Result, error)
	Load(ctx context.Context, aggType, aggID string, afterPosition uint64) ([]eventstore.Record, error)
}

// CommandConfig configures a CommandService.
type CommandConfig struct {
	Log    EventLog
	Logger *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
	// CacheSize bounds the number of aggregate states kept in memory
	// (default 50,000).
	CacheSize int
	// MaxTries bounds the attempts of a command without If-Match that
	// keeps losing the optimistic-concurrency race (default 64).
	MaxTries uint
	// Observe, when set, is called after every Execute with the command
	// name, its outcome kind ("" for success) and the time it took.
	Observe func(command string, kind domain.Kind, took time.Duration)
	// TrustedKeys, when not empty, makes the command path verify every
	// event it loads (package audit: signed by one of these keys, and
	// continuing its aggregate's hash chain). An event that fails — one
	// published into the stream by someone without the signing key, or
	// altered — is logged at Error and ignored: it does not change the
	// state commands are decided on, and the next event chains to the last
	// good one. Empty: events are not verified.
	TrustedKeys []ed25519.PublicKey
	// Snapshots, when set, is where aggregate snapshots are read from on a
	// cache miss (then only the events after the snapshot are read and
	// verified) and written to, in the background: each time an
	// aggregate's version passes a multiple of SnapshotEvery, and after a
	// cache miss that found the snapshot behind the log (a read that
	// starts far back in the stream costs more, however few events it
	// returns). A snapshot that is missing, unusable or does not match the
	// log is ignored: it costs time, never a different outcome. Nil: no
	// snapshots.
	Snapshots Snapshots
	// SnapshotEvery is the number of events between snapshots of an
	// aggregate (default 100).
	SnapshotEvery uint64
}

// CommandService runs commands: validate, authorize, load, decide, append.
// A command without If-Match that loses a race against a concurrent writer
// is retried on fresh state with jittered exponential backoff; with
// If-Match it is refused with KindConflict.
type CommandService struct {
	cfg   CommandConfig
	cache *lru.Cache[domain.Ref, cached]
	keys  audit.Keyring // nil: no verification

	// snapq holds the snapshots waiting to be written; snapWriting is
	// true while a goroutine drains it (see queueSnapshot); snapPending
	// counts the queued snapshots not written yet.
	snapq       chan snapshotJob
	snapWriting atomic.Bool
	snapPending atomic.Int64
}

// cached is an aggregate's state, the stream position of its last message
// (the optimistic-concurrency expectation) and the hash of its last good
// event (the next event's prevhash). Position and hash name the same event
// unless a rejected message follows the last good event.
type cached struct {
	state    domain.State
	position uint64
	hash     string
}

// NewCommandService returns a CommandService.
func NewCommandService(cfg CommandConfig) (*CommandService, error) {
	if cfg.Log == nil {
		return nil, errors.New("services: CommandConfig.Log is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.CacheSize <= 0 {
		cfg.CacheSize = 50_000
	}
	if cfg.MaxTries == 0 {
		cfg.MaxTries = 64
	}
	if cfg.SnapshotEvery == 0 {
		cfg.SnapshotEvery = 100
	}
	c, err := lru.New[domain.Ref, cached](cfg.CacheSize)
	if err != nil {
		return nil, err
	}
	s := &CommandService{cfg: cfg, cache: c}
	if cfg.Snapshots != nil {
		s.snapq = make(chan snapshotJob, snapshotQueue)
	}
	if len(cfg.TrustedKeys) > 0 {
		s.keys = audit.NewKeyring(cfg.TrustedKeys...)
	}
	return s, nil
}

// NewID returns a fresh ULID string.
func NewID() string { return ulid.MustNew(ulid.Now(), rand.Reader).String() }

// Execute runs cmd for principal p. It returns the result of the accepted
// command, or an error whose kind is KindInvalid, KindUnauthorized,
// KindForbidden, KindNotFound, KindRuleViolated, KindConflict,
// KindUnavailable or KindInternal. A refused command writes nothing.
func (s *CommandService) Execute(ctx context.Context, p Principal, cmd domain.Command, opts ExecOptions) (res CommandResult, err error) {
	start := time.Now()
	if s.cfg.Observe != nil {
		defer func() { s.cfg.Observe(cmd.CommandName(), domain.ErrorKind(err), time.Since(start)) }()
	}
	if err := AuthorizeCommand(p, cmd); err != nil {
		return CommandResult{}, err
	}
	if opts.CommandID == "" {
		opts.CommandID = NewID()
	}
	if c, ok := cmd.(domain.Creator); ok && CreatorNeedsID(cmd) {
		c.AssignID(NewID())
	}
	if err := cmd.Validate(); err != nil {
		return CommandResult{}, err
	}
	if opts.CorrelationID == "" {
		opts.CorrelationID = opts.CommandID
	}

	b := backoff.NewExponentialBackOff()
	b.InitialInterval = 2 * time.Millisecond
	b.MaxInterval = 100 * time.Millisecond
	b.RandomizationFactor = 0.5
	tries, unavailable := uint(0), 0
	maybeDone := opts.Retry
	return backoff.Retry(ctx, func() (CommandResult, error) {
		tries++
		if maybeDone {
			// The command id may already be in the log (a retry after a lost
			// answer, or after an append whose outcome was unknown): answer
			// with what was written instead of deciding again.
			if r, ok, err := s.findApplied(ctx, domain.Target(cmd), opts.CommandID); err != nil {
				return r, retryable(err, &unavailable)
			} else if ok {
				return r, nil
			}
		}
		r, err := s.attempt(ctx, p, cmd, opts, false)
		if errors.Is(err, errStale) {
			r, err = s.attempt(ctx, p, cmd, opts, true)
		}
		if err == nil {
			return r, nil
		}
		if errors.Is(err, eventstore.ErrConflict) && opts.IfMatch == nil {
			if tries > 1 && tries%16 == 0 {
				s.cfg.Logger.Debug("command keeps conflicting", "command", cmd.CommandName(), "tries", tries)
			}
			return r, err // retry on fresh state
		}
		if errors.Is(err, eventstore.ErrUnavailable) {
			// The append's outcome is unknown; the retry uses the same
			// command id, so the log cannot hold it twice.
			maybeDone = true
		}
		return r, retryable(err, &unavailable)
	}, backoff.WithBackOff(b), backoff.WithMaxTries(s.cfg.MaxTries), backoff.WithMaxElapsedTime(30*time.Second))
}

// retryable lets up to three ErrUnavailable failures be retried (a cluster
// electing a new stream leader) and makes every other error final.
func retryable(err error, unavailable *int) error {
	if errors.Is(err, eventstore.ErrUnavailable) && *unavailable < 3 {
		*unavailable++
		return err
	}
	return backoff.Permanent(err)
}

// errStale asks Execute to run an attempt again on freshly loaded state: the
// first attempt decided on cached state that may be behind the log.
var errStale = errors.New("services: decided on cached state that may be stale")

// findApplied looks in the target aggregate's history for events written
// by commandID and, when there are some, returns the command's result with
// every event it wrote (the events of one command are adjacent in the log).
func (s *CommandService) findApplied(ctx context.Context, target domain.Ref, commandID string) (CommandResult, bool, error) {
	recs, err := s.cfg.Log.Load(ctx, string(target.Type), target.ID, 0)
	if err != nil {
		return CommandResult{}, false, err
	}
	var mine []eventstore.Record
	for _, r := range recs {
		if r.CausationID == commandID {
			mine = append(mine, r)
		}
	}
	if len(mine) == 0 {
		return CommandResult{}, false, nil
	}
	if rd, ok := s.cfg.Log.(interface {
		Read(ctx context.Context, afterPosition uint64, limit int) ([]eventstore.Record, error)
	}); ok {
		from := mine[0].Position
		after := uint64(0)
		if from > maxCommandEvents {
			after = from - maxCommandEvents
		}
		around, err := rd.Read(ctx, after, 2*maxCommandEvents+len(mine))
		if err != nil {
			return CommandResult{}, false, err
		}
		mine = mine[:0]
		for _, r := range around {
			if r.CausationID == commandID {
				mine = append(mine, r)
			}
		}
	}
	res := eventstore.Result{Duplicate: true}
	for _, r := range mine {
		res.Events = append(res.Events, eventstore.Appended{ID: r.ID, Type: r.Type, AggregateType: r.AggregateType,
			AggregateID: r.AggregateID, Version: r.Version, Position: r.Position, Hash: r.Hash})
	}
	return resultFor(target, res), true, nil
}

// maxCommandEvents bounds the events one command writes (Decide writes at
// most a handful); findApplied reads that far around the target's event.
const maxCommandEvents = 16

// CreatorNeedsID reports whether a creating command came without its id
// (a milestone only when it is being planned). Execute assigns a ULID then;
// the HTTP layer assigns the id remembered for an Idempotency-Key instead.
func CreatorNeedsID(cmd domain.Command) bool {
	switch c := cmd.(type) {
	case *domain.ProposeInitiative:
		return c.InitiativeID == ""
	case *domain.ScheduleMeeting:
		return c.MeetingID == ""
	case *domain.RegisterCase:
		return c.CaseID == ""
	case *domain.ReportMilestone:
		return c.MilestoneID == "" && c.Status == domain.MilestonePlannedStatus
	case *domain.DefineIndicator:
		return c.IndicatorID == ""
	case *domain.OpenReportingRound:
		return c.RoundID == ""
	case *domain.DeclareDependency:
		return c.DependencyID == ""
	}
	return false
}

// attempt decides and appends once. With fresh false it decides on cached
// states without reading the log (the append's per-aggregate expectation
// catches a stale cache of every aggregate it writes); it returns errStale
// when the outcome might differ on fresh state: a refusal, an If-Match
// mismatch, or an aggregate it only reads that has moved on.
func (s *CommandService) attempt(ctx context.Context, p Principal, cmd domain.Command, opts ExecOptions, fresh bool) (CommandResult, error) {
	states := map[domain.Ref]domain.State{}
	positions := map[domain.Ref]uint64{}
	hashes := map[domain.Ref]string{}
	stale := map[domain.Ref]bool{} // taken from the cache without a read
	for range 8 {                  // Needs converges in at most a few rounds
		var missing []domain.Ref
		for _, r := range domain.Needs(cmd, states) {
			if _, ok := states[r]; !ok {
				missing = append(missing, r)
			}
		}
		if len(missing) == 0 {
			break
		}
		for _, r := range missing {
			c, fromCache := s.cache.Get(r)
			if !fromCache || fresh {
				var err error
				if c, err = s.load(ctx, r); err != nil {
					return CommandResult{}, err
				}
			}
			states[r], positions[r], hashes[r] = c.state, c.position, c.hash
			stale[r] = fromCache && !fresh
		}
	}
	// Authorization comes before the precondition (RFC 9110 §13.2.1): an
	// If-Match must not tell an unauthorized caller anything.
	if err := AuthorizeOwner(p, cmd, states); err != nil {
		return CommandResult{}, err
	}
	target := domain.Target(cmd)
	if opts.IfMatch != nil {
		var v uint64
		if st, ok := states[target]; ok {
			v = st.StateVersion()
		}
		if v != *opts.IfMatch {
			if stale[target] {
				return CommandResult{}, errStale
			}
			return CommandResult{}, &domain.Error{Kind: domain.KindConflict,
				Message: fmt.Sprintf("%s is at version %d, not %d", target, v, *opts.IfMatch), Err: eventstore.ErrConflict}
		}
	}
	now := s.cfg.Now().UTC()
	changes, err := domain.Decide(cmd, states, now)
	if err != nil {
		if anyTrue(stale) && (domain.IsKind(err, domain.KindRuleViolated) || domain.IsKind(err, domain.KindNotFound)) {
			return CommandResult{}, errStale
		}
		return CommandResult{}, err
	}
	if len(changes) == 0 {
		return CommandResult{}, &domain.Error{Kind: domain.KindInternal, Message: cmd.CommandName() + " decided no events"}
	}

	// One AggregateAppend per aggregate, in the order Decide named them.
	var aggs []eventstore.AggregateAppend
	index := map[domain.Ref]int{}
	events := make([]domain.Event, 0, len(changes))
	for _, ch := range changes {
		data, err := domain.EncodeEvent(ch.Event)
		if err != nil {
			return CommandResult{}, &domain.Error{Kind: domain.KindInternal, Err: err}
		}
		j, ok := index[ch.Ref]
		if !ok {
			j = len(aggs)
			index[ch.Ref] = j
			var v uint64
			if st, ok := states[ch.Ref]; ok {
				v = st.StateVersion()
			}
			aggs = append(aggs, eventstore.AggregateAppend{
				Type: string(ch.Ref.Type), ID: ch.Ref.ID,
				ExpectedVersion: v, ExpectedPosition: positions[ch.Ref],
			})
			if v > 0 {
				aggs[j].PrevHash = hashes[ch.Ref]
			}
		}
		aggs[j].Events = append(aggs[j].Events, eventstore.NewEvent{
			ID: NewID(), Type: ch.Event.EventType(), Data: json.RawMessage(data),
		})
		events = append(events, ch.Event)
	}
	// Aggregates the command reads but does not write are not guarded by
	// the append: check that their cached state is still current.
	for r, st := range stale {
		if _, written := index[r]; written || !st {
			continue
		}
		newer, err := s.cfg.Log.Load(ctx, string(r.Type), r.ID, positions[r])
		if err != nil {
			return CommandResult{}, err
		}
		if len(newer) > 0 {
			s.cache.Remove(r)
			return CommandResult{}, errStale
		}
	}
	meta := eventstore.Meta{CommandID: opts.CommandID, CorrelationID: opts.CorrelationID, Actor: p.Name, Time: now}
	res, err := s.cfg.Log.Append(ctx, meta, aggs...)
	if err != nil {
		if errors.Is(err, eventstore.ErrConflict) {
			for r := range index {
				s.cache.Remove(r)
			}
		}
		return CommandResult{}, err
	}
	if !res.Duplicate {
		s.remember(states, positions, hashes, res, events, now, p.Name)
	} else {
		for r := range index {
			s.cache.Remove(r)
		}
	}
	return resultFor(target, res), nil
}

func anyTrue(m map[domain.Ref]bool) bool {
	for _, v := range m {
		if v {
			return true
		}
	}
	return false
}

// remember folds the appended events into the cached states, so the next
// command on these aggregates needs no history read.
func (s *CommandService) remember(states map[domain.Ref]domain.State, positions map[domain.Ref]uint64, hashes map[domain.Ref]string, res eventstore.Result, events []domain.Event, now time.Time, actor string) {
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
	var recs []eventstore.Record
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

// loadFromSnapshot returns the aggregate's snapshot and the records after
// it, ok false when there is no usable snapshot. The read starts at the
// snapshot's own last event, which must still be in the log at that
// position with that hash: a snapshot that does not match the log (the
// stream was restored from a backup or recreated) is ignored. An error is
// the log's; the snapshot store's are logged and taken as a miss.
func (s *CommandService) loadFromSnapshot(ctx context.Context, ref domain.Ref) (cached, []eventstore.Record, bool, error) {
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
	if ll, ok := s.cfg.Log.(interface {
		LoadLast(ctx context.Context, aggType, aggID string) (eventstore.Record, bool, error)
	}); ok {
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
			return c, []eventstore.Record{last}, true, nil
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
			snap := Snapshot{State: j.c.state, Position: j.c.position, Hash: j.c.hash}
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

// verifyRecord checks one record of an aggregate whose last good event is
// at version with hash: signature by a trusted key, envelope, and chain.
func verifyRecord(keys audit.Keyring, r eventstore.Record, version uint64, hash string) error {
	c, err := audit.Inspect(keys, r.AuditEvent())
	if err != nil {
		return err
	}
	last := audit.Link{Version: version}
	if version > 0 {
		h, err := audit.ParseHash(hash)
		if err != nil {
			return fmt.Errorf("no hash of the aggregate's last good event: %w", err)
		}
		last.Hash = h
	}
	return c.Follows(last)
}

// recordedOf decodes a stored record for Evolve.
func recordedOf(r eventstore.Record) (domain.Recorded, error) {
	e, err := domain.DecodeEvent(r.Type, r.SchemaVersion, r.Data)
	if err != nil {
		return domain.Recorded{}, &domain.Error{Kind: domain.KindInternal, Message: fmt.Sprintf("event at position %d", r.Position), Err: err}
	}
	return domain.Recorded{ID: r.ID, Version: r.Version, Position: r.Position, Time: r.Time, Actor: r.Actor, Event: e}, nil
}

// resultFor builds the response: the target aggregate's version and the
// position of the command's last event.
func resultFor(target domain.Ref, res eventstore.Result) CommandResult {
	out := CommandResult{AggregateType: string(target.Type), AggregateID: target.ID}
	for _, a := range res.Events {
		out.Events = append(out.Events, EventRef{ID: a.ID, Type: a.Type, Position: a.Position})
		if a.Position > out.Position {
			out.Position = a.Position
		}
		if a.AggregateType == string(target.Type) && a.AggregateID == target.ID && a.Version > out.Version {
			out.Version = a.Version
		}
	}
	return out
}
