package services

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
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
}

// CommandService runs commands: validate, authorize, load, decide, append.
// A command without If-Match that loses a race against a concurrent writer
// is retried on fresh state with jittered exponential backoff; with
// If-Match it is refused with KindConflict.
type CommandService struct {
	cfg   CommandConfig
	cache *lru.Cache[domain.Ref, cached]
	keys  audit.Keyring // nil: no verification
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
	c, err := lru.New[domain.Ref, cached](cfg.CacheSize)
	if err != nil {
		return nil, err
	}
	s := &CommandService{cfg: cfg, cache: c}
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
	if c, ok := cmd.(domain.Creator); ok && creatorNeedsID(cmd) {
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
	tries := uint(0)
	return backoff.Retry(ctx, func() (CommandResult, error) {
		tries++
		r, err := s.attempt(ctx, p, cmd, opts)
		if err == nil {
			return r, nil
		}
		if errors.Is(err, eventstore.ErrConflict) && opts.IfMatch == nil {
			if tries > 1 && tries%16 == 0 {
				s.cfg.Logger.Debug("command keeps conflicting", "command", cmd.CommandName(), "tries", tries)
			}
			return r, err // retry on fresh state
		}
		return r, backoff.Permanent(err)
	}, backoff.WithBackOff(b), backoff.WithMaxTries(s.cfg.MaxTries), backoff.WithMaxElapsedTime(30*time.Second))
}

// creatorNeedsID reports whether a creating command came without its id.
func creatorNeedsID(cmd domain.Command) bool {
	switch c := cmd.(type) {
	case *domain.ProposeInitiative:
		return c.InitiativeID == ""
	case *domain.ScheduleMeeting:
		return c.MeetingID == ""
	case *domain.RegisterCase:
		return c.CaseID == ""
	case *domain.ReportMilestone:
		return c.MilestoneID == "" && c.Status == domain.MilestonePlannedStatus
	}
	return false
}

func (s *CommandService) attempt(ctx context.Context, p Principal, cmd domain.Command, opts ExecOptions) (CommandResult, error) {
	states := map[domain.Ref]domain.State{}
	positions := map[domain.Ref]uint64{}
	hashes := map[domain.Ref]string{}
	for range 8 { // Needs converges in at most a few rounds
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
			c, err := s.load(ctx, r)
			if err != nil {
				return CommandResult{}, err
			}
			states[r], positions[r], hashes[r] = c.state, c.position, c.hash
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
			return CommandResult{}, &domain.Error{Kind: domain.KindConflict,
				Message: fmt.Sprintf("%s is at version %d, not %d", target, v, *opts.IfMatch), Err: eventstore.ErrConflict}
		}
	}
	now := s.cfg.Now().UTC()
	changes, err := domain.Decide(cmd, states, now)
	if err != nil {
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
	}
}

// load returns an aggregate's current state: the cached state plus the
// events recorded after it (one read, whatever the history's length).
func (s *CommandService) load(ctx context.Context, ref domain.Ref) (cached, error) {
	c, ok := s.cache.Get(ref)
	if !ok {
		c = cached{state: domain.NewState(ref)}
	}
	recs, err := s.cfg.Log.Load(ctx, string(ref.Type), ref.ID, c.position)
	if err != nil {
		return cached{}, err
	}
	if len(recs) == 0 {
		return c, nil
	}
	st, hash := c.state, c.hash
	for _, r := range recs {
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
		hash = r.Hash
	}
	c = cached{state: st, position: recs[len(recs)-1].Position, hash: hash}
	s.cache.Add(ref, c)
	return c, nil
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
