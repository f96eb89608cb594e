package services

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ehelse/portfolio/audit"
	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/eventlog"
)

// PolicyLog is what the dependency policy needs of the event store.
// *eventlog.Store implements it.
type PolicyLog interface {
	EventLog
	Consume(ctx context.Context, afterPosition uint64, fn func(eventlog.Record) error, filters ...string) error
}

// DependencyPolicyConfig configures a DependencyPolicy.
type DependencyPolicyConfig struct {
	Log PolicyLog
	// Checkpoint is the file that keeps the position up to which the
	// policy has acted. Required.
	Checkpoint string
	Logger     *slog.Logger
	// TrustedKeys, when set, makes the policy ignore events that are not
	// signed by one of them or break their aggregate's chain, as the read
	// models do: a forged event causes nothing.
	TrustedKeys []ed25519.PublicKey
	// Written, when set, is the record of the events this process signed
	// and appended: the policy does not check again the signature of an
	// event it vouches for (see eventlog.Written), and checks the rest.
	Written *eventlog.Written
	// Now is the clock for the reaction time; default time.Now.
	Now func() time.Time
	// Observe, when set, receives the time from a cause being recorded to
	// the policy having acted on it (written or found nothing to write).
	Observe func(time.Duration)
}

// DependencyPolicy is the product's first policy: a consumer of the event
// log that records DependencyAtRisk and DependencyRiskCleared itself when
// a cause appears or goes away (domain.AssessDependency), with actor
// "policy" and the causing event's id as causation id.
//
// Exactly once per cause: the events caused by one event are one atomic
// append whose command id is the cause's event id, so their Nats-Msg-Ids
// derive from the cause; every append expects the dependencies' versions.
// A second writer of the same cause — this policy after a crash between
// its write and its checkpoint, or another portfoliod on the cluster —
// is deduplicated by JetStream or loses the version race, reloads the
// dependency, finds the cause's events there and writes nothing.
//
// It folds the dependencies, and the initiatives they depend on, from the
// start of the log on every start and acts only on events after its
// checkpoint.
type DependencyPolicy struct {
	cfg  DependencyPolicyConfig
	keys audit.Keyring

	inits map[string]*tracked
	deps  map[string]*tracked
	// on lists the dependencies on an initiative.
	on map[string][]string

	mu       sync.Mutex
	position uint64 // last event folded
	acted    uint64 // checkpoint: every cause up to here is handled
	saved    time.Time
	wake     chan struct{}
	written  uint64
}

// tracked is an aggregate's folded state, the position of its last event
// and the hash of its last good event.
type tracked struct {
	state    domain.State
	position uint64
	hash     string
}

// NewDependencyPolicy returns a policy; Run starts it.
func NewDependencyPolicy(cfg DependencyPolicyConfig) (*DependencyPolicy, error) {
	if cfg.Log == nil || cfg.Checkpoint == "" {
		return nil, errors.New("services: DependencyPolicyConfig needs Log and Checkpoint")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	p := &DependencyPolicy{cfg: cfg, inits: map[string]*tracked{}, deps: map[string]*tracked{}, on: map[string][]string{},
		wake: make(chan struct{})}
	if len(cfg.TrustedKeys) > 0 {
		p.keys = audit.NewKeyring(cfg.TrustedKeys...)
	}
	return p, nil
}

// Position is the last position the policy has folded (and acted on).
func (p *DependencyPolicy) Position() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.position
}

// Written counts the events this policy instance wrote.
func (p *DependencyPolicy) Written() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.written
}

// WaitFor blocks until the policy has handled position pos, or ctx ends.
func (p *DependencyPolicy) WaitFor(ctx context.Context, pos uint64) error {
	for {
		p.mu.Lock()
		done, wake := p.position >= pos, p.wake
		p.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Run consumes the log until ctx ends. It returns ctx.Err() then, or the
// error that stopped it.
func (p *DependencyPolicy) Run(ctx context.Context) error {
	acted, err := readPolicyCheckpoint(p.cfg.Checkpoint)
	if err != nil {
		return err
	}
	p.acted = acted
	defer func() { _ = p.save(true) }()
	// Every event, not only the initiatives' and dependencies': Position
	// then covers the whole log, so WaitFor(any position) returns.
	handle := func(r eventlog.Record) error { return p.handle(ctx, r) }
	if sl, ok := p.cfg.Log.(selectiveLog); ok {
		// Most events are of initiatives no dependency names, or of other
		// aggregates: handle needs only their position and time, so they
		// are not decoded (≈ 14 µs of JSON each, on every command).
		return sl.ConsumeSelected(ctx, 0, p.folds, handle)
	}
	return p.cfg.Log.Consume(ctx, 0, handle)
}

// selectiveLog is a PolicyLog that can leave the events the policy does
// not fold undecoded (*eventstore.Store).
type selectiveLog interface {
	ConsumeSelected(ctx context.Context, afterPosition uint64, want func(aggType, aggID string) bool, fn func(eventlog.Record) error) error
}

// folds reports whether the policy folds the events of an aggregate: every
// dependency, and the initiatives a dependency names. It is asked before
// each event is handled, so a DependencyDeclared's initiative is folded
// from the next event on (track folds the ones before).
func (p *DependencyPolicy) folds(aggType, aggID string) bool {
	switch aggType {
	case string(domain.Dependency):
		return true
	case string(domain.Initiative):
		return p.inits[aggID] != nil
	}
	return false
}

// handle folds one record and, past the checkpoint, acts on it.
func (p *DependencyPolicy) handle(ctx context.Context, r eventlog.Record) error {
	defer p.advance(r.Position)
	if r.AggregateType != string(domain.Initiative) && r.AggregateType != string(domain.Dependency) {
		return nil
	}
	rec, ok, err := p.fold(ctx, r)
	if err != nil {
		return err
	}
	if r.Position <= p.acted {
		return nil
	}
	if !ok {
		if r.AggregateType == string(domain.Initiative) && p.inits[r.AggregateID] == nil {
			// No dependency names this initiative: nothing to act on.
			p.handled(r)
			return p.save(false)
		}
		return nil
	}
	var affected []string
	switch e := rec.Event.(type) {
	case domain.DependencyDeclared:
		affected = []string{e.DependencyID}
	case domain.DependencyAtRisk, domain.DependencyRiskCleared, domain.DependencyRemoved:
		// The policy's own events, and removals, cause nothing.
	default:
		if r.AggregateType == string(domain.Initiative) {
			affected = slices.Clone(p.on[r.AggregateID])
		}
	}
	if len(affected) > 0 {
		if err := p.act(ctx, r, affected); err != nil {
			return err
		}
	}
	p.handled(r)
	return p.save(false)
}

// handled records that the policy has acted on r.
func (p *DependencyPolicy) handled(r eventlog.Record) {
	if p.cfg.Observe != nil {
		p.cfg.Observe(p.cfg.Now().Sub(r.Time))
	}
	p.acted = r.Position
}

// fold evolves the record's aggregate; false when the record is not
// applied (unknown type, forged, already folded after a reload, or an
// initiative no dependency names).
//
// Only the initiatives some dependency depends on are folded: the others
// cause nothing, and verifying and folding every initiative event made
// each start cost CPU and memory in proportion to the whole log. When a
// DependencyDeclared names an initiative not yet folded, track folds that
// initiative's events before it from the log, so its state is what
// folding everything in order would have given.
func (p *DependencyPolicy) fold(ctx context.Context, r eventlog.Record) (domain.Recorded, bool, error) {
	m := p.inits
	if r.AggregateType == string(domain.Dependency) {
		m = p.deps
	}
	t := m[r.AggregateID]
	if t == nil {
		if r.AggregateType == string(domain.Initiative) {
			return domain.Recorded{}, false, nil
		}
		t = &tracked{state: domain.NewState(domain.Ref{Type: domain.AggregateType(r.AggregateType), ID: r.AggregateID})}
		if t.state == nil {
			return domain.Recorded{}, false, nil
		}
	}
	rec, ok := p.evolve(t, r)
	if !ok {
		return domain.Recorded{}, false, nil
	}
	m[r.AggregateID] = t
	if e, ok := rec.Event.(domain.DependencyDeclared); ok {
		p.on[e.DependsOn] = append(p.on[e.DependsOn], e.DependencyID)
		if p.inits[e.DependsOn] == nil {
			if err := p.track(ctx, e.DependsOn, r.Position); err != nil {
				return domain.Recorded{}, false, err
			}
		}
	}
	return rec, true, nil
}

// evolve applies r to t (verified, when the policy has keys); false when
// it is not applied.
func (p *DependencyPolicy) evolve(t *tracked, r eventlog.Record) (domain.Recorded, bool) {
	if r.Version <= t.state.StateVersion() {
		return domain.Recorded{}, false // folded already, by a reload after a lost race
	}
	if p.keys != nil {
		if err := verifyWritten(p.keys, p.cfg.Written, r, t.state.StateVersion(), t.hash); err != nil {
			p.cfg.Logger.Error("policy: event rejected", "position", r.Position, "err", err)
			return domain.Recorded{}, false
		}
	}
	rec, err := recordedOf(r)
	if err != nil {
		p.cfg.Logger.Warn("policy: event skipped", "position", r.Position, "err", err)
		return domain.Recorded{}, false
	}
	next, err := domain.Evolve(t.state, rec)
	if err != nil {
		p.cfg.Logger.Warn("policy: event does not fold", "position", r.Position, "err", err)
		return domain.Recorded{}, false
	}
	t.state, t.position, t.hash = next, r.Position, r.Hash
	return rec, true
}

// track starts folding initiative id: its events before position before,
// read from the log; the consumer folds the later ones as they come.
func (p *DependencyPolicy) track(ctx context.Context, id string, before uint64) error {
	recs, err := p.cfg.Log.Load(ctx, string(domain.Initiative), id, 0)
	if err != nil {
		return fmt.Errorf("policy: load initiative %s: %w", id, err)
	}
	t := &tracked{state: domain.NewState(domain.Ref{Type: domain.Initiative, ID: id})}
	for _, r := range recs {
		if r.Position >= before {
			break
		}
		p.evolve(t, r)
	}
	p.inits[id] = t
	return nil
}

// act assesses the affected dependencies after cause and writes what
// changes, once.
func (p *DependencyPolicy) act(ctx context.Context, cause eventlog.Record, affected []string) error {
	slices.Sort(affected)
	affected = slices.Compact(affected)
	for attempt := 0; ; attempt++ {
		var aggs []eventlog.AggregateAppend
		var events []domain.Event
		for _, id := range affected {
			t := p.deps[id]
			if t == nil {
				continue
			}
			dep := t.state.(*domain.DependencyState)
			var on *domain.InitiativeState
			if it := p.inits[dep.DependsOn]; it != nil {
				on = it.state.(*domain.InitiativeState)
			}
			ev := domain.AssessDependency(dep, on, cause.ID, cause.Type)
			if ev == nil {
				continue
			}
			data, err := json.Marshal(ev)
			if err != nil {
				return fmt.Errorf("policy: encode %s: %w", ev.EventType(), err)
			}
			aggs = append(aggs, eventlog.AggregateAppend{Type: string(domain.Dependency), ID: id,
				ExpectedVersion: dep.Version, ExpectedPosition: t.position, PrevHash: t.hash,
				Events: []eventlog.NewEvent{{Type: ev.EventType(), Data: data}}})
			events = append(events, ev)
		}
		if len(aggs) == 0 {
			return nil
		}
		res, err := p.cfg.Log.Append(ctx, eventlog.Meta{CommandID: cause.ID, CorrelationID: cause.CorrelationID,
			Actor: domain.PolicyActor, Time: p.cfg.Now()}, aggs...)
		switch {
		case err == nil:
			p.wrote(res, events)
			return nil
		case errors.Is(err, eventlog.ErrConflict) && attempt < 8:
			// Someone else moved a dependency: perhaps another instance
			// acting on the same cause. Reload and decide again; what is
			// already written for this cause is found and not repeated.
			for _, a := range aggs {
				if err := p.reload(ctx, a.ID); err != nil {
					return err
				}
			}
		case errors.Is(err, eventlog.ErrUnavailable) && attempt < 8:
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Duration(attempt+1) * 50 * time.Millisecond):
			}
		default:
			return fmt.Errorf("policy: write after %s at position %d: %w", cause.Type, cause.Position, err)
		}
	}
}

// wrote folds what the append wrote (or found already written).
func (p *DependencyPolicy) wrote(res eventlog.Result, events []domain.Event) {
	for i, a := range res.Events {
		t := p.deps[a.AggregateID]
		if t == nil || i >= len(events) || a.Version <= t.state.StateVersion() {
			continue
		}
		next, err := domain.Evolve(t.state, domain.Recorded{ID: a.ID, Version: a.Version, Position: a.Position,
			Actor: domain.PolicyActor, Event: events[i]})
		if err != nil {
			p.cfg.Logger.Warn("policy: own event does not fold", "err", err)
			continue
		}
		t.state, t.position, t.hash = next, a.Position, a.Hash
	}
	if !res.Duplicate {
		p.mu.Lock()
		p.written += uint64(len(res.Events))
		p.mu.Unlock()
	}
}

// reload folds a dependency afresh from the log (it may then be ahead of
// the consumer; fold skips what it has).
func (p *DependencyPolicy) reload(ctx context.Context, id string) error {
	recs, err := p.cfg.Log.Load(ctx, string(domain.Dependency), id, 0)
	if err != nil {
		return fmt.Errorf("policy: reload dependency %s: %w", id, err)
	}
	t := &tracked{state: domain.NewState(domain.Ref{Type: domain.Dependency, ID: id})}
	for _, r := range recs {
		if p.keys != nil {
			if err := verifyRecord(p.keys, r, t.state.StateVersion(), t.hash); err != nil {
				continue
			}
		}
		rec, err := recordedOf(r)
		if err != nil {
			continue
		}
		next, err := domain.Evolve(t.state, rec)
		if err != nil {
			continue
		}
		t.state, t.position, t.hash = next, r.Position, r.Hash
	}
	p.deps[id] = t
	return nil
}

func (p *DependencyPolicy) advance(pos uint64) {
	p.mu.Lock()
	if pos > p.position {
		p.position = pos
		close(p.wake)
		p.wake = make(chan struct{})
	}
	p.mu.Unlock()
}

// save writes the checkpoint at most every 200 ms (or now, with force): a
// checkpoint behind the log only costs re-deciding what is already
// written, which writes nothing.
func (p *DependencyPolicy) save(force bool) error {
	now := time.Now()
	if !force && now.Sub(p.saved) < 200*time.Millisecond {
		return nil
	}
	p.saved = now
	return writePolicyCheckpoint(p.cfg.Checkpoint, p.acted)
}

func readPolicyCheckpoint(path string) (uint64, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("policy checkpoint: %w", err)
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("policy checkpoint %s: %w", path, err)
	}
	return n, nil
}

func writePolicyCheckpoint(path string, pos uint64) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".policy-*")
	if err != nil {
		return fmt.Errorf("policy checkpoint: %w", err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	if _, err := tmp.WriteString(strconv.FormatUint(pos, 10) + "\n"); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("policy checkpoint: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("policy checkpoint: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("policy checkpoint: %w", err)
	}
	return os.Rename(tmp.Name(), path)
}
