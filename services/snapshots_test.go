package services

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/eventlog"
	"github.com/ehelse/portfolio/eventstore"
	"github.com/ehelse/portfolio/eventstore/natstest"
	"github.com/ehelse/portfolio/eventstore/snapshots"
)

var catalogue = domain.Ref{Type: domain.Strategy, ID: domain.StrategyCatalogID}

// snapEnv is a NATS server with a signed event store and a snapshot store
// that signs and verifies with the same key.
type snapEnv struct {
	js    jetstream.JetStream
	store *eventstore.Store
	pub   ed25519.PublicKey
	key   ed25519.PrivateKey
	snaps *snapshots.Store
	logs  *bytes.Buffer
}

func newSnapEnv(t *testing.T) *snapEnv {
	t.Helper()
	_, _, js := natstest.RunServer(t)
	ctx := context.Background()
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	store, err := eventstore.Open(ctx, js, eventstore.Config{Signer: key})
	if err != nil {
		t.Fatal(err)
	}
	e := &snapEnv{js: js, store: store, pub: pub, key: key, logs: &bytes.Buffer{}}
	e.snaps = e.openSnapshots(t, snapshots.Config{Signer: key, TrustedKeys: []ed25519.PublicKey{pub}})
	return e
}

func (e *snapEnv) openSnapshots(t *testing.T, cfg snapshots.Config) *snapshots.Store {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(syncWriter{e.logs}, nil))
	}
	s, err := snapshots.Open(context.Background(), e.js, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var logMu sync.Mutex

type syncWriter struct{ b *bytes.Buffer }

func (w syncWriter) Write(p []byte) (int, error) {
	logMu.Lock()
	defer logMu.Unlock()
	return w.b.Write(p)
}

func (e *snapEnv) logged(s string) bool {
	logMu.Lock()
	defer logMu.Unlock()
	return strings.Contains(e.logs.String(), s)
}

// loadCall is one EventLog.Load: where it started and what it returned.
type loadCall struct {
	after uint64
	n     int
}

// recordingLog is an EventLog that records the Load calls.
type recordingLog struct {
	EventLog
	mu    sync.Mutex
	loads []loadCall
}

func (l *recordingLog) Load(ctx context.Context, aggType, aggID string, after uint64) ([]eventlog.Record, error) {
	recs, err := l.EventLog.Load(ctx, aggType, aggID, after)
	l.mu.Lock()
	l.loads = append(l.loads, loadCall{after, len(recs)})
	l.mu.Unlock()
	return recs, err
}

func (l *recordingLog) calls() []loadCall {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.loads
	l.loads = nil
	return out
}

// service returns a command service on the env's store, verifying events
// against its key, with snaps (nil: none).
func (e *snapEnv) service(t *testing.T, snaps Snapshots, every uint64) (*CommandService, *recordingLog) {
	t.Helper()
	log := &recordingLog{EventLog: e.store}
	cfg := CommandConfig{Log: log, TrustedKeys: []ed25519.PublicKey{e.pub}, SnapshotEvery: every,
		Logger: slog.New(slog.NewTextHandler(syncWriter{e.logs}, nil))}
	if snaps != nil {
		cfg.Snapshots = snaps
	}
	svc, err := NewCommandService(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return svc, log
}

var secretariat = Principal{Name: "sekretariat", Role: RoleSecretariat}

// defineGoals records goals M<from>… M<from+n-1>: one event each on the
// strategy catalogue.
func defineGoals(t *testing.T, svc *CommandService, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		if _, err := svc.Execute(context.Background(), secretariat,
			&domain.DefineStrategicGoal{GoalID: fmt.Sprintf("M%d", i), Strategy: "2023-2030", Title: fmt.Sprintf("Mål %d", i)},
			ExecOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

// waitSnapshot waits until the aggregate's snapshot is at version want.
func waitSnapshot(t *testing.T, s Snapshots, ref domain.Ref, want uint64) eventlog.Snapshot {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		snap, ok, err := s.Get(context.Background(), ref)
		if err != nil {
			t.Fatal(err)
		}
		if ok && snap.State.StateVersion() == want {
			return snap
		}
		if time.Now().After(deadline) {
			v := uint64(0)
			if ok {
				v = snap.State.StateVersion()
			}
			t.Fatalf("no snapshot of %s at version %d (have %v, version %d)", ref, want, ok, v)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// truth folds the aggregate's whole history with a fresh service without
// snapshots.
func (e *snapEnv) truth(t *testing.T, ref domain.Ref) cached {
	t.Helper()
	svc, _ := e.service(t, nil, 0)
	c, err := svc.load(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func sameCached(t *testing.T, what string, got, want cached) {
	t.Helper()
	if got.position != want.position || got.hash != want.hash || !reflect.DeepEqual(got.state, want.state) {
		t.Fatalf("%s: got version %d position %d hash %.8s, want version %d position %d hash %.8s\n got %#v\nwant %#v", what,
			got.state.StateVersion(), got.position, got.hash, want.state.StateVersion(), want.position, want.hash, got.state, want.state)
	}
}

// TestCommandsUseSnapshots: versions passing a multiple of SnapshotEvery
// write snapshots in the background; a cold service then reads only the
// events after the snapshot, verifies them, and ends up with the state a
// full fold gives.
func TestCommandsUseSnapshots(t *testing.T) {
	e := newSnapEnv(t)
	svc, _ := e.service(t, e.snaps, 10)
	defineGoals(t, svc, 1, 25) // versions 1…25: snapshots at 10 and 20
	snap := waitSnapshot(t, e.snaps, catalogue, 20)
	if snap.State.(*domain.StrategyState).Goals["M20"].Title != "Mål 20" {
		t.Fatalf("snapshot state %+v", snap.State)
	}

	cold, log := e.service(t, e.snaps, 10)
	got, err := cold.load(context.Background(), catalogue)
	if err != nil {
		t.Fatal(err)
	}
	sameCached(t, "from the snapshot", got, e.truth(t, catalogue))
	// One read, from the snapshot's own event: it and the 5 after it.
	if calls := log.calls(); len(calls) != 1 || calls[0].after != snap.Position-1 || calls[0].n != 6 {
		t.Fatalf("loads %+v, want one after %d returning 6", calls, snap.Position-1)
	}
	// The snapshot was behind the log: the cold load wrote a fresh one.
	if err := cold.FlushSnapshots(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s, ok, err := e.snaps.Get(context.Background(), catalogue); !ok || err != nil || s.State.StateVersion() != 25 || s.Position != got.position {
		t.Fatalf("after a cold load past the snapshot: %v %v %+v", ok, err, s)
	}
	// A cold load from a current snapshot reads one event and writes nothing.
	cur, log := e.service(t, &countingSnapshots{Snapshots: e.snaps, puts: new(atomic.Int64)}, 10)
	if c, err := cur.load(context.Background(), catalogue); err != nil || c.state.StateVersion() != 25 {
		t.Fatalf("from a current snapshot: %v %d", err, c.state.StateVersion())
	}
	_ = cur.FlushSnapshots(context.Background())
	if calls := log.calls(); len(calls) != 1 || calls[0].n != 1 || cur.cfg.Snapshots.(*countingSnapshots).puts.Load() != 0 {
		t.Fatalf("loads %+v, puts %d", calls, cur.cfg.Snapshots.(*countingSnapshots).puts.Load())
	}

	// A command on the cold service decides on that state and continues
	// the hash chain (the append's prevhash is checked by the next load).
	defineGoals(t, cold, 26, 5) // version 30: a snapshot from remember
	waitSnapshot(t, e.snaps, catalogue, 30)
	if _, err := cold.Execute(context.Background(), secretariat,
		&domain.DefineStrategicGoal{GoalID: "M3", Strategy: "2023-2030", Title: "again"}, ExecOptions{}); !domain.IsKind(err, domain.KindRuleViolated) {
		t.Fatalf("a goal defined before the snapshot was defined again: %v", err)
	}
	cold2, _ := e.service(t, e.snaps, 10)
	c2, err := cold2.load(context.Background(), catalogue)
	if err != nil {
		t.Fatal(err)
	}
	sameCached(t, "after commands on a snapshot", c2, e.truth(t, catalogue))
	if e.logged("fails verification") {
		t.Fatalf("an event failed verification:\n%s", e.logs)
	}

	// A cold load of a long history without a snapshot writes one.
	kv, err := e.js.KeyValue(context.Background(), snapshots.DefaultBucket)
	if err != nil {
		t.Fatal(err)
	}
	if err := kv.Purge(context.Background(), "strategy.national"); err != nil {
		t.Fatal(err)
	}
	cold3, _ := e.service(t, e.snaps, 10)
	if _, err := cold3.load(context.Background(), catalogue); err != nil {
		t.Fatal(err)
	}
	waitSnapshot(t, e.snaps, catalogue, 30)
}

// TestUnusableSnapshotsChangeNothing: a forged, mismatched or foreign
// snapshot is ignored; the cold service folds the whole history and gets
// the true state.
func TestUnusableSnapshotsChangeNothing(t *testing.T) {
	e := newSnapEnv(t)
	ctx := context.Background()
	svc, _ := e.service(t, nil, 0)
	defineGoals(t, svc, 1, 12)
	truth := e.truth(t, catalogue)
	cat := truth.state.(*domain.StrategyState)

	// A lie: the catalogue without goal M1, at the current position.
	lie := *cat
	lie.Goals = map[string]domain.Goal{}
	for k, v := range cat.Goals {
		if k != "M1" {
			lie.Goals[k] = v
		}
	}
	_, stranger, _ := ed25519.GenerateKey(rand.Reader)
	unsigned := e.openSnapshots(t, snapshots.Config{})
	foreign := e.openSnapshots(t, snapshots.Config{Signer: stranger})

	// Genuine, signed snapshots that do not match the log: a state from
	// another stream (the log was recreated or restored from a backup).
	past := cached{state: cat, position: truth.position + 1000, hash: truth.hash}
	otherHash := cached{state: cat, position: truth.position, hash: strings.Repeat("a", 64)}

	for _, c := range []struct {
		name  string
		store *snapshots.Store
		snap  eventlog.Snapshot
		log   string
	}{
		{"unsigned", unsigned, eventlog.Snapshot{State: &lie, Position: truth.position, Hash: truth.hash}, "not signed"},
		{"untrusted key", foreign, eventlog.Snapshot{State: &lie, Position: truth.position, Hash: truth.hash}, "not trusted"},
		{"beyond the log", e.snaps, eventlog.Snapshot{State: past.state, Position: past.position, Hash: past.hash}, "does not match the log"},
		{"another hash", e.snaps, eventlog.Snapshot{State: otherHash.state, Position: otherHash.position, Hash: otherHash.hash}, "does not match the log"},
	} {
		t.Run(c.name, func(t *testing.T) {
			logMu.Lock()
			e.logs.Reset()
			logMu.Unlock()
			if err := c.store.Put(ctx, catalogue, c.snap); err != nil {
				t.Fatal(err)
			}
			cold, log := e.service(t, e.snaps, 10)
			// Loading the whole history queues a genuine snapshot; let it
			// be written before the next case puts its own, or it could
			// land after that one and replace it.
			defer func() {
				if err := cold.FlushSnapshots(ctx); err != nil {
					t.Error(err)
				}
			}()
			got, err := cold.load(ctx, catalogue)
			if err != nil {
				t.Fatal(err)
			}
			sameCached(t, c.name, got, truth)
			calls := log.calls()
			if last := calls[len(calls)-1]; last.after != 0 || last.n != 12 {
				t.Errorf("loads %+v: want the whole history at last", calls)
			}
			if !e.logged(c.log) {
				t.Errorf("nothing logged with %q:\n%s", c.log, e.logs)
			}
			// And a command decides on the truth: M1 exists.
			if _, err := cold.Execute(ctx, secretariat, &domain.DefineStrategicGoal{GoalID: "M1", Strategy: "2023-2030", Title: "x"},
				ExecOptions{}); !domain.IsKind(err, domain.KindRuleViolated) {
				t.Errorf("M1 defined again: %v", err)
			}
		})
	}
}

// TestSnapshotThenUnsignedEvent: an event appended without the signing
// key after a snapshot fails verification and is ignored, exactly as
// without the snapshot; the chain continues from the snapshot's hash.
func TestSnapshotThenUnsignedEvent(t *testing.T) {
	e := newSnapEnv(t)
	ctx := context.Background()
	svc, _ := e.service(t, e.snaps, 5)
	defineGoals(t, svc, 1, 5)
	snap := waitSnapshot(t, e.snaps, catalogue, 5)

	// Someone with write access to the stream but not the key.
	intruder, err := eventstore.Open(ctx, e.js, eventstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := domain.EncodeEvent(domain.StrategicGoalDefined{GoalID: "EVIL", Strategy: "2023-2030", Title: "forged"})
	if _, err := intruder.Append(ctx, eventlog.Meta{CommandID: NewID(), Actor: "intruder"}, eventlog.AggregateAppend{
		Type: string(domain.Strategy), ID: domain.StrategyCatalogID, ExpectedVersion: 5, ExpectedPosition: snap.Position, PrevHash: snap.Hash,
		Events: []eventlog.NewEvent{{ID: NewID(), Type: "StrategicGoalDefined", Data: data}},
	}); err != nil {
		t.Fatal(err)
	}
	// A genuine command after it (a fresh service: ExpectedPosition is the
	// intruder's message, prevhash the last good event).
	cmdSvc, _ := e.service(t, nil, 0)
	defineGoals(t, cmdSvc, 6, 2)

	truth := e.truth(t, catalogue)
	if _, evil := truth.state.(*domain.StrategyState).Goals["EVIL"]; evil || truth.state.StateVersion() != 7 {
		t.Fatalf("the full fold took the unsigned event: version %d", truth.state.StateVersion())
	}
	cold, log := e.service(t, e.snaps, 5)
	got, err := cold.load(ctx, catalogue)
	if err != nil {
		t.Fatal(err)
	}
	sameCached(t, "from the snapshot", got, truth)
	if calls := log.calls(); len(calls) != 1 || calls[0].after != snap.Position-1 {
		t.Fatalf("loads %+v: the snapshot was not used", calls)
	}
	if !e.logged("fails verification") {
		t.Error("the unsigned event was not reported")
	}
}

// blockingSnapshots is a Snapshots whose Put waits for release.
type blockingSnapshots struct {
	release chan struct{}
	puts    atomic.Int64
}

func (b *blockingSnapshots) Get(context.Context, domain.Ref) (eventlog.Snapshot, bool, error) {
	return eventlog.Snapshot{}, false, nil
}

func (b *blockingSnapshots) Put(ctx context.Context, ref domain.Ref, s eventlog.Snapshot) error {
	<-b.release
	b.puts.Add(1)
	return nil
}

// TestSnapshotWritesNeverBlock: with a snapshot store that hangs, commands
// go on; the queue is bounded and the excess dropped.
func TestSnapshotWritesNeverBlock(t *testing.T) {
	e := newSnapEnv(t)
	b := &blockingSnapshots{release: make(chan struct{})}
	svc, _ := e.service(t, b, 1) // a snapshot after every event
	n := snapshotQueue + 20
	done := make(chan struct{})
	go func() {
		defer close(done)
		defineGoals(t, svc, 1, n)
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("commands blocked on snapshot writes")
	}
	close(b.release)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := svc.FlushSnapshots(ctx); err != nil {
		t.Fatal("the snapshot writer did not finish")
	}
	if svc.snapPending.Load() != 0 || len(svc.snapq) != 0 {
		t.Fatalf("pending %d queued %d", svc.snapPending.Load(), len(svc.snapq))
	}
	// One in the writer's hands, a full queue, the rest dropped.
	if p := b.puts.Load(); p < 1 || p > snapshotQueue+1 {
		t.Fatalf("%d snapshots written of %d, queue %d", p, n, snapshotQueue)
	}
}

// TestSnapshotWriterStartsAndStops: the writer goroutine runs only while
// there is something to write, and every queued snapshot gets written.
func TestSnapshotWriterStartsAndStops(t *testing.T) {
	e := newSnapEnv(t)
	var puts atomic.Int64
	counting := &countingSnapshots{Snapshots: e.snaps, puts: &puts}
	svc, _ := e.service(t, counting, 1)
	for round := range 3 {
		defineGoals(t, svc, 1+round*5, 5)
		deadline := time.Now().Add(10 * time.Second)
		for puts.Load() < int64(5*(round+1)) {
			if time.Now().After(deadline) {
				t.Fatalf("round %d: %d snapshots written", round, puts.Load())
			}
			time.Sleep(time.Millisecond)
		}
		for svc.snapWriting.Load() {
			if time.Now().After(deadline) {
				t.Fatal("the writer did not stop")
			}
			time.Sleep(time.Millisecond)
		}
	}
	waitSnapshot(t, e.snaps, catalogue, 15)
}

type countingSnapshots struct {
	Snapshots
	puts *atomic.Int64
}

func (c *countingSnapshots) Put(ctx context.Context, ref domain.Ref, s eventlog.Snapshot) error {
	err := c.Snapshots.Put(ctx, ref, s)
	c.puts.Add(1)
	return err
}
