package projections

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"
	bolt "go.etcd.io/bbolt"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/eventlog"
	"github.com/ehelse/portfolio/eventstore"
	"github.com/ehelse/portfolio/eventstore/natstest"
)

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// publisher appends a sim's commands to a real event store, one Append per
// command, as the command service does.
type publisher struct {
	t     testing.TB
	store *eventstore.Store
	last  map[domain.Ref]uint64 // aggregate → position of its last event
	n     int
}

func newPublisher(t testing.TB, js jetstream.JetStream) *publisher {
	t.Helper()
	store, err := eventstore.Open(context.Background(), js, eventstore.Config{Logger: quietLogger()})
	if err != nil {
		t.Fatalf("eventstore: %v", err)
	}
	return &publisher{t: t, store: store, last: map[domain.Ref]uint64{}}
}

// publish appends the commands' events; positions in the stream are the
// sim's positions when the stream started empty.
func (p *publisher) publish(commands [][]item) uint64 {
	p.t.Helper()
	var head uint64
	for _, cmd := range commands {
		if len(cmd) == 0 {
			continue
		}
		p.n++
		var aggs []eventlog.AggregateAppend
		index := map[domain.Ref]int{}
		for _, it := range cmd {
			ref := domain.Ref{Type: domain.AggregateType(it.AggType), ID: it.AggID}
			data, err := domain.EncodeEvent(it.Rec.Event)
			if err != nil {
				p.t.Fatal(err)
			}
			i, ok := index[ref]
			if !ok {
				i = len(aggs)
				index[ref] = i
				aggs = append(aggs, eventlog.AggregateAppend{Type: it.AggType, ID: it.AggID,
					ExpectedVersion: it.Rec.Version - 1, ExpectedPosition: p.last[ref]})
			}
			aggs[i].Events = append(aggs[i].Events, eventlog.NewEvent{ID: it.EventID, Type: it.Type, Data: data})
		}
		res, err := p.store.Append(context.Background(), eventlog.Meta{
			CommandID: fmt.Sprintf("cmd-%d-%s", p.n, cmd[0].EventID), Actor: "sekretariat", Time: cmd[0].Rec.Time,
		}, aggs...)
		if err != nil {
			p.t.Fatalf("append: %v", err)
		}
		for _, e := range res.Events {
			p.last[domain.Ref{Type: domain.AggregateType(e.AggregateType), ID: e.AggregateID}] = e.Position
			head = e.Position
		}
	}
	return head
}

type runner struct {
	m      *ReadModels
	cancel context.CancelFunc
	done   chan error
}

func startModels(t *testing.T, js jetstream.JetStream, cfg Config) *runner {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = quietLogger()
	}
	m, err := Open(context.Background(), js, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &runner{m: m, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- m.Run(ctx) }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

func (r *runner) stop(t *testing.T) {
	if r.cancel == nil {
		return
	}
	r.cancel()
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("Run did not return")
	}
	r.cancel = nil
	if err := r.m.Close(); err != nil {
		t.Error(err)
	}
}

func waitPos(t *testing.T, m *ReadModels, pos uint64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := m.WaitFor(ctx, pos); err != nil {
		t.Fatalf("WaitFor(%d): %v (stats %+v)", pos, err, m.Stats())
	}
}

// waitUntil waits until cond holds, checking it again on every position
// change the read models broadcast (commits, invalidations, switches to a
// rebuilt file); it fails the test after 20 s.
func waitUntil(t *testing.T, m *ReadModels, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(20 * time.Second)
	defer deadline.Stop()
	for {
		m.mu.Lock()
		ch := m.notify
		m.mu.Unlock()
		if cond() {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("waiting for %s: stats %+v", what, m.Stats())
		}
	}
}

func (m *ReadModels) dump(t *testing.T) string {
	t.Helper()
	var s string
	if err := m.view(func(tx *bolt.Tx) error { s = Dump(tx); return nil }); err != nil {
		t.Fatal(err)
	}
	return s
}

func dumpFile(t *testing.T, path string) string {
	t.Helper()
	db, err := bolt.Open(path, 0o644, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	return dumpDB(t, db)
}

// directDump applies items straight to a fresh file.
func directDump(t *testing.T, items []item) string {
	db := openDB(t)
	applyItems(t, db, items, 0)
	return dumpDB(t, db)
}

func TestRunnerFollowsStream(t *testing.T) {
	_, _, js := natstest.RunServer(t)
	pub := newPublisher(t, js)
	s := randomHistory(t, 11, 400)
	half := len(s.commands) / 2
	head := pub.publish(s.commands[:half])

	r := startModels(t, js, Config{Dir: t.TempDir(), BatchSize: 50})
	waitPos(t, r.m, head)
	if !r.m.Ready() {
		t.Fatal("not ready after catching up")
	}
	// live: the rest, while the runner follows
	head = pub.publish(s.commands[half:])
	if head != uint64(len(s.items)) {
		t.Fatalf("head %d, items %d", head, len(s.items))
	}
	waitPos(t, r.m, head)
	st := r.m.Stats()
	if st.Applied+st.Skipped != head || st.Lag != 0 || st.Batches < 2 || st.Batches >= head {
		t.Fatalf("stats %+v", st)
	}
	if got, want := r.m.dump(t), directDump(t, s.items); got != want {
		t.Fatal("runner's read models differ from applying the events directly")
	}
	// a query through the public API
	if list, err := r.m.Initiatives(InitiativeFilter{Q: "HJEMMEOPPFØLGING"}); err != nil || len(list) == 0 {
		t.Fatalf("initiatives: %v %v", list, err)
	}
}

func TestWaitForLaggingAndWake(t *testing.T) {
	_, _, js := natstest.RunServer(t)
	pub := newPublisher(t, js)
	h, _ := scenario()
	var cmds [][]item
	for _, it := range h.items {
		cmds = append(cmds, []item{it})
	}
	head := pub.publish(cmds[:10])
	r := startModels(t, js, Config{Dir: t.TempDir()})
	waitPos(t, r.m, head)

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := r.m.WaitFor(ctx, head+5)
	if !domain.IsKind(err, domain.KindLagging) {
		t.Fatalf("WaitFor beyond the head: %v", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("cause: %v", err)
	}
	// a waiter is woken by the commit, not by a poll: the events are
	// published once the waiter has found the position short and parked
	parked := make(chan struct{})
	var once sync.Once
	r.m.parked = func() { once.Do(func() { close(parked) }) }
	woke := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		woke <- r.m.WaitFor(ctx, head+5)
	}()
	<-parked
	if r.m.Position() >= head+5 {
		t.Fatalf("position %d before the publish", r.m.Position())
	}
	pub.publish(cmds[10:15])
	if err := <-woke; err != nil {
		t.Fatal(err)
	}
	if err := r.m.WaitFor(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
}

func TestRestartResumesWithoutReplay(t *testing.T) {
	_, _, js := natstest.RunServer(t)
	pub := newPublisher(t, js)
	s := randomHistory(t, 12, 300)
	half := len(s.commands) / 2
	head1 := pub.publish(s.commands[:half])
	dir := t.TempDir()

	r := startModels(t, js, Config{Dir: dir})
	waitPos(t, r.m, head1)
	r.stop(t)

	head2 := pub.publish(s.commands[half:])
	r2 := startModels(t, js, Config{Dir: dir})
	if r2.m.Position() != head1 {
		t.Fatalf("reopened at %d, want %d", r2.m.Position(), head1)
	}
	waitPos(t, r2.m, head2)
	st := r2.m.Stats()
	if st.Applied+st.Skipped != head2-head1 || st.Rebuilds != 0 {
		t.Fatalf("after restart the runner handled %d events (%+v), want %d", st.Applied+st.Skipped, st, head2-head1)
	}
	if got, want := r2.m.dump(t), directDump(t, s.items); got != want {
		t.Fatal("resumed read models differ from a full build")
	}
}

func TestStreamRecreatedIsRebuilt(t *testing.T) {
	_, _, js := natstest.RunServer(t)
	ctx := context.Background()
	pub := newPublisher(t, js)
	s1 := randomHistory(t, 13, 200)
	head1 := pub.publish(s1.commands)
	dir := t.TempDir()
	r := startModels(t, js, Config{Dir: dir})
	waitPos(t, r.m, head1)
	r.stop(t)

	// The stream is deleted and recreated with another, shorter history.
	if err := js.DeleteStream(ctx, DefaultStream); err != nil {
		t.Fatal(err)
	}
	pub2 := newPublisher(t, js)
	s2 := randomHistory(t, 14, 60)
	head2 := pub2.publish(s2.commands)
	if head2 >= head1 {
		t.Fatalf("want a shorter history: %d >= %d", head2, head1)
	}

	logs := &syncBuffer{}
	r2 := startModels(t, js, Config{Dir: dir, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	// The file at Open is ahead of the new stream (head1 > head2), so the
	// position alone does not say the rebuild is done.
	waitUntil(t, r2.m, "the rebuild", func() bool { return r2.m.Stats().Rebuilds > 0 })
	waitPos(t, r2.m, head2)
	if r2.m.Stats().Rebuilds != 1 {
		t.Fatalf("stats %+v", r2.m.Stats())
	}
	if !strings.Contains(logs.String(), "rebuild") {
		t.Fatalf("no rebuild reported:\n%s", logs.String())
	}
	if got, want := r2.m.dump(t), directDump(t, s2.items); got != want {
		t.Fatal("rebuilt read models differ from the new stream")
	}
}

func TestStreamRecreatedWhileRunning(t *testing.T) {
	_, _, js := natstest.RunServer(t)
	ctx := context.Background()
	pub := newPublisher(t, js)
	s1 := randomHistory(t, 15, 150)
	head1 := pub.publish(s1.commands)
	r := startModels(t, js, Config{Dir: t.TempDir(), CheckInterval: 100 * time.Millisecond})
	waitPos(t, r.m, head1)

	if err := js.DeleteStream(ctx, DefaultStream); err != nil {
		t.Fatal(err)
	}
	pub2 := newPublisher(t, js)
	s2 := randomHistory(t, 16, 400) // longer: the consumer alone would not notice
	head2 := pub2.publish(s2.commands)

	waitUntil(t, r.m, "a rebuild to the new head", func() bool { return r.m.Stats().Rebuilds > 0 && r.m.Position() >= head2 })
	if st := r.m.Stats(); st.Rebuilds == 0 || st.Position != head2 {
		t.Fatalf("stats %+v, want a rebuild to %d", st, head2)
	}
	if got, want := r.m.dump(t), directDump(t, s2.items); got != want {
		t.Fatal("rebuilt read models differ from the new stream")
	}
}

func TestAheadOfStreamIsRebuilt(t *testing.T) {
	// read models built from a longer stream in another server, then pointed
	// at a stream that is behind them
	_, _, js := natstest.RunServer(t)
	s := randomHistory(t, 17, 120)
	dir := t.TempDir()
	db, err := bolt.Open(filepath.Join(dir, FileName), 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := applyBatch(tx, s.items, identity{Name: DefaultStream}, nil)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	_ = db.Close()

	pub := newPublisher(t, js)
	head := pub.publish(s.commands[:len(s.commands)/3])
	r := startModels(t, js, Config{Dir: dir})
	waitUntil(t, r.m, "a rebuild to the head", func() bool { return r.m.Stats().Rebuilds > 0 && r.m.Position() == head })
	if st := r.m.Stats(); st.Rebuilds != 1 || st.Position != head {
		t.Fatalf("stats %+v, want a rebuild to %d", st, head)
	}
}

func TestUnknownEventsAreSkippedAndReported(t *testing.T) {
	_, _, js := natstest.RunServer(t)
	pub := newPublisher(t, js)
	h, _ := scenario()
	var cmds [][]item
	for _, it := range h.items[:20] {
		cmds = append(cmds, []item{it})
	}
	pub.publish(cmds)
	// a newer product's event type
	res, err := pub.store.Append(context.Background(), eventlog.Meta{CommandID: "future-1", Actor: "x", Time: t0},
		eventlog.AggregateAppend{Type: "initiative", ID: "01JDFUTURE0000000000000001", Events: []eventlog.NewEvent{
			{ID: "01JDFUTUREEV00000000000001", Type: "InitiativeTeleported", Data: []byte(`{"to":"Mars"}`)}}})
	if err != nil {
		t.Fatal(err)
	}
	head := res.Events[0].Position
	logs := &syncBuffer{}
	r := startModels(t, js, Config{Dir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(logs, nil))})
	waitPos(t, r.m, head)
	if st := r.m.Stats(); st.Skipped == 0 {
		t.Fatalf("stats %+v", st)
	}
	if !strings.Contains(logs.String(), "InitiativeTeleported") {
		t.Fatalf("skip not reported:\n%s", logs.String())
	}
}

func TestRebuildWithoutDowntime(t *testing.T) {
	_, _, js := natstest.RunServer(t)
	pub := newPublisher(t, js)
	s := randomHistory(t, 18, 1200)
	third := len(s.commands) / 3
	head := pub.publish(s.commands[:2*third])
	dir := t.TempDir()
	r := startModels(t, js, Config{Dir: dir})
	waitPos(t, r.m, head)

	// readers and a writer keep going during the rebuild
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var readErr error
	var mu sync.Mutex
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := r.m.Roadmap(RoadmapFilter{}); err != nil {
					mu.Lock()
					readErr = err
					mu.Unlock()
					return
				}
				if _, err := r.m.Decisions(DecisionFilter{}); err != nil {
					mu.Lock()
					readErr = err
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		pub.publish(s.commands[2*third:])
	}()

	var calls int
	var last uint64
	err := r.m.Rebuild(context.Background(), func(done, total uint64) {
		calls++
		if done < last || done > total {
			t.Errorf("progress %d/%d after %d", done, total, last)
		}
		last = done
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.m.Rebuild(context.Background(), nil); err != nil { // a second one works too
		t.Fatal(err)
	}
	close(stop)
	wg.Wait()
	if readErr != nil {
		t.Fatalf("a query failed during the rebuild: %v", readErr)
	}
	if calls == 0 || r.m.Stats().Rebuilds != 2 {
		t.Fatalf("progress calls %d, stats %+v", calls, r.m.Stats())
	}
	waitPos(t, r.m, uint64(len(s.items)))
	if got, want := r.m.dump(t), directDump(t, s.items); got != want {
		t.Fatal("read models after the rebuild differ from a full build")
	}
	if files := dataFiles(t, dir); len(files) != 1 || files[0] != FileName {
		t.Fatalf("files left: %v", files)
	}
	// the switched file is the one on disk: reopen after stop
	r.stop(t)
	if got, want := dumpFile(t, filepath.Join(dir, FileName)), directDump(t, s.items); got != want {
		t.Fatal("file on disk differs")
	}
}

func TestBuildFile(t *testing.T) {
	_, _, js := natstest.RunServer(t)
	pub := newPublisher(t, js)
	s := randomHistory(t, 19, 300)
	head := pub.publish(s.commands)
	path := filepath.Join(t.TempDir(), FileName)
	var last uint64
	if err := BuildFile(context.Background(), js, path, func(done, total uint64) {
		if total != head || done < last {
			t.Errorf("progress %d/%d", done, total)
		}
		last = done
	}); err != nil {
		t.Fatal(err)
	}
	if last != head {
		t.Fatalf("progress ended at %d, want %d", last, head)
	}
	if got, want := dumpFile(t, path), directDump(t, s.items); got != want {
		t.Fatal("built file differs from applying the events directly")
	}
	// and in tiny transactions, holding every document to the end or
	// dropping them often
	for _, sizes := range []func() func(){tinyTransactions, tinyRebuilds} {
		restore := sizes()
		tiny := filepath.Join(t.TempDir(), FileName)
		err := BuildFile(context.Background(), js, tiny, nil)
		restore()
		if err != nil {
			t.Fatal(err)
		}
		if got, want := dumpFile(t, tiny), directDump(t, s.items); got != want {
			t.Fatal("file built in tiny transactions differs from applying the events directly")
		}
	}
	// the built file serves, and the runner continues after it without replay
	r := startModels(t, js, Config{Dir: filepath.Dir(path)})
	if r.m.Position() != head {
		t.Fatalf("position %d", r.m.Position())
	}
	// One more event: the runner applies it, and only it — its consumer
	// starts after the built file's checkpoint, in stream order, so a
	// replay would have come before it.
	res, err := pub.store.Append(context.Background(), eventlog.Meta{CommandID: "marker-1", Actor: "x", Time: t0},
		eventlog.AggregateAppend{Type: "initiative", ID: "01JDMARKER0000000000000001", Events: []eventlog.NewEvent{
			{ID: "01JDMARKEREV00000000000001", Type: "InitiativeTeleported", Data: []byte(`{"to":"Mars"}`)}}})
	if err != nil {
		t.Fatal(err)
	}
	waitPos(t, r.m, res.Events[0].Position)
	if st := r.m.Stats(); st.Applied+st.Skipped != 1 || st.Rebuilds != 0 {
		t.Fatalf("stats %+v, want only the one new event handled", st)
	}
	if files := dataFiles(t, filepath.Dir(path)); len(files) != 1 {
		t.Fatalf("files %v", files)
	}
}

// dataFiles lists the files in dir but the marker of an open file with
// unsynced commits (unsynced.go), which is there while it is open where
// the machine has a boot id.
func dataFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.Name() == FileName+openMarkerSuffix && bootID() != "" {
			continue
		}
		out = append(out, e.Name())
	}
	return out
}

func TestQueriesAfterClose(t *testing.T) {
	_, _, js := natstest.RunServer(t)
	m, err := Open(context.Background(), js, Config{Dir: t.TempDir(), Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Strategy(); !domain.IsKind(err, domain.KindUnavailable) || !errors.Is(err, ErrClosed) {
		t.Fatalf("after close: %v", err)
	}
}

// TestServerRestartKeepsIdentity: a NATS restart on the same store keeps the
// stream's identity, so the read models resume and do not rebuild.
func TestServerRestartKeepsIdentity(t *testing.T) {
	storeDir, dir := t.TempDir(), t.TempDir()
	s := randomHistory(t, 20, 200)
	half := len(s.commands) / 2
	var head1 uint64
	for round := 0; round < 2; round++ {
		srv, err := server.NewServer(natstest.ServerOptions(storeDir))
		if err != nil {
			t.Fatal(err)
		}
		go srv.Start()
		if !srv.ReadyForConnections(10 * time.Second) {
			t.Fatal("server not ready")
		}
		_, js := natstest.Connect(t, srv.ClientURL())
		pub := newPublisher(t, js)
		r := startModels(t, js, Config{Dir: dir})
		if round == 0 {
			head1 = pub.publish(s.commands[:half])
			waitPos(t, r.m, head1)
		} else {
			if r.m.Position() != head1 {
				t.Fatalf("reopened at %d", r.m.Position())
			}
			for ref, p := range lastPositions(s.items[:head1]) {
				pub.last[ref] = p
			}
			head := pub.publish(s.commands[half:])
			waitPos(t, r.m, head)
			if st := r.m.Stats(); st.Rebuilds != 0 || st.Applied+st.Skipped != head-head1 {
				t.Fatalf("stats %+v", st)
			}
			if got, want := r.m.dump(t), directDump(t, s.items); got != want {
				t.Fatal("read models differ")
			}
		}
		r.stop(t)
		srv.Shutdown()
		srv.WaitForShutdown()
	}
}

func lastPositions(items []item) map[domain.Ref]uint64 {
	out := map[domain.Ref]uint64{}
	for _, it := range items {
		out[domain.Ref{Type: domain.AggregateType(it.AggType), ID: it.AggID}] = it.Position
	}
	return out
}
