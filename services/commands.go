package services

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v5"
	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/ehelse/portfolio/audit"
	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/eventlog"
)

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
		if errors.Is(err, eventlog.ErrConflict) && opts.IfMatch == nil {
			if tries > 1 && tries%16 == 0 {
				s.cfg.Logger.Debug("command keeps conflicting", "command", cmd.CommandName(), "tries", tries)
			}
			return r, err // retry on fresh state
		}
		if errors.Is(err, eventlog.ErrUnavailable) {
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
	if errors.Is(err, eventlog.ErrUnavailable) && *unavailable < 3 {
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
	var mine []eventlog.Record
	for _, r := range recs {
		if r.CausationID == commandID {
			mine = append(mine, r)
		}
	}
	if len(mine) == 0 {
		return CommandResult{}, false, nil
	}
	if rd, ok := s.cfg.Log.(EventReader); ok {
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
	res := eventlog.Result{Duplicate: true}
	for _, r := range mine {
		res.Events = append(res.Events, eventlog.Appended{ID: r.ID, Type: r.Type, AggregateType: r.AggregateType,
			AggregateID: r.AggregateID, Version: r.Version, Position: r.Position, Hash: r.Hash})
	}
	return resultFor(target, res), true, nil
}

// maxCommandEvents bounds the events one command writes (Decide writes at
// most a handful); findApplied reads that far around the target's event.
const maxCommandEvents = 16

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
				Message: fmt.Sprintf("%s is at version %d, not %d", target, v, *opts.IfMatch), Err: eventlog.ErrConflict}
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
	var aggs []eventlog.AggregateAppend
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
			aggs = append(aggs, eventlog.AggregateAppend{
				Type: string(ch.Ref.Type), ID: ch.Ref.ID,
				ExpectedVersion: v, ExpectedPosition: positions[ch.Ref],
			})
			if v > 0 {
				aggs[j].PrevHash = hashes[ch.Ref]
			}
		}
		aggs[j].Events = append(aggs[j].Events, eventlog.NewEvent{
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
	meta := eventlog.Meta{CommandID: opts.CommandID, CorrelationID: opts.CorrelationID, Actor: p.Name, Time: now}
	res, err := s.cfg.Log.Append(ctx, meta, aggs...)
	if err != nil {
		if errors.Is(err, eventlog.ErrConflict) {
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

// resultFor builds the response: the target aggregate's version and the
// position of the command's last event.
func resultFor(target domain.Ref, res eventlog.Result) CommandResult {
	out := CommandResult{AggregateType: string(target.Type), AggregateID: target.ID, Events: make([]EventRef, 0, len(res.Events))}
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
