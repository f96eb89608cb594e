package idempotency

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/services"
)

// startJetStream runs an embedded NATS server with JetStream on a random
// port, storing under dir.
func startJetStream(t *testing.T, dir string) *server.Server {
	t.Helper()
	ns, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: dir,
		NoLog: true, NoSigs: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats server not ready")
	}
	return ns
}

func connectJS(t *testing.T, ns *server.Server, opts ...nats.Option) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(ns.ClientURL(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

func newTestIdem(t *testing.T, cfg Config) (*Store, *server.Server, string) {
	t.Helper()
	dir := t.TempDir()
	ns := startJetStream(t, dir)
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	s, err := Open(context.Background(), connectJS(t, ns), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s, ns, dir
}

func TestIdempotencyReplay(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newTestIdem(t, Config{})
	fp := services.Fingerprint([]byte("ProposeInitiative"), []byte(`{"title":"x"}`))

	b, err := s.Begin(ctx, "hso", "k1", fp)
	if err != nil || b.Reservation == nil || b.Replay != nil {
		t.Fatalf("first Begin: %+v %v", b, err)
	}
	if !domain.IsULID(b.Reservation.CommandID) || !domain.IsULID(b.Reservation.AssignedID) {
		t.Fatalf("ids are not ULIDs: %q %q", b.Reservation.CommandID, b.Reservation.AssignedID)
	}
	if b.Reservation.CommandID == b.Reservation.AssignedID {
		t.Fatal("command id and assigned id should differ")
	}
	resp := services.StoredResponse{Status: 201, Header: map[string]string{"Location": "/v1/initiatives/x"}, Body: []byte(`{"version":1}`)}
	if err := s.Complete(ctx, b.Reservation, resp); err != nil {
		t.Fatal(err)
	}

	b2, err := s.Begin(ctx, "hso", "k1", fp)
	if err != nil || b2.Replay == nil {
		t.Fatalf("second Begin: %+v %v", b2, err)
	}
	if b2.Replay.Status != 201 || string(b2.Replay.Body) != `{"version":1}` || b2.Replay.Header["Location"] != "/v1/initiatives/x" {
		t.Fatalf("replay = %+v", b2.Replay)
	}

	// Another principal with the same key is independent.
	b3, err := s.Begin(ctx, "nhn", "k1", fp)
	if err != nil || b3.Reservation == nil {
		t.Fatalf("other principal: %+v %v", b3, err)
	}
	if b3.Reservation.CommandID == b.Reservation.CommandID {
		t.Fatal("command ids of different principals collide")
	}
}

func TestIdempotencyReusedWithOtherBody(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newTestIdem(t, Config{})
	b, err := s.Begin(ctx, "hso", "k", services.Fingerprint([]byte("a")))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Complete(ctx, b.Reservation, services.StoredResponse{Status: 201}); err != nil {
		t.Fatal(err)
	}
	_, err = s.Begin(ctx, "hso", "k", services.Fingerprint([]byte("b")))
	if !errors.Is(err, services.ErrIdempotencyKeyReused) || !domain.IsKind(err, domain.KindInvalid) {
		t.Fatalf("err = %v", err)
	}
	// Also while the first is still pending.
	b, err = s.Begin(ctx, "hso", "k2", services.Fingerprint([]byte("a")))
	if err != nil || b.Reservation == nil {
		t.Fatal(err)
	}
	if _, err = s.Begin(ctx, "hso", "k2", services.Fingerprint([]byte("b"))); !errors.Is(err, services.ErrIdempotencyKeyReused) {
		t.Fatalf("pending: err = %v", err)
	}
}

func TestIdempotencyConcurrentExecutesOnce(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newTestIdem(t, Config{})
	fp := services.Fingerprint([]byte("same"))
	var executed atomic.Int32
	var wg sync.WaitGroup
	const n = 8
	results := make([]services.StoredResponse, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := s.Begin(ctx, "hso", "concurrent", fp)
			if err != nil {
				errs[i] = err
				return
			}
			if b.Replay != nil {
				results[i] = *b.Replay
				return
			}
			executed.Add(1)
			time.Sleep(100 * time.Millisecond) // the command runs
			resp := services.StoredResponse{Status: 201, Body: []byte(`{"n":1}`)}
			errs[i] = s.Complete(ctx, b.Reservation, resp)
			results[i] = resp
		}()
	}
	wg.Wait()
	if got := executed.Load(); got != 1 {
		t.Fatalf("executed %d times", got)
	}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("request %d: %v", i, errs[i])
		}
		if results[i].Status != 201 || string(results[i].Body) != `{"n":1}` {
			t.Fatalf("request %d got %+v", i, results[i])
		}
	}
}

func TestIdempotencyReleaseKeepsIDsAndAllowsRetry(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newTestIdem(t, Config{})
	fp := services.Fingerprint([]byte("x"))
	b, err := s.Begin(ctx, "sek", "k", fp)
	if err != nil {
		t.Fatal(err)
	}
	first := *b.Reservation
	if err := s.Release(ctx, b.Reservation); err != nil {
		t.Fatal(err)
	}
	b2, err := s.Begin(ctx, "sek", "k", fp)
	if err != nil || b2.Reservation == nil {
		t.Fatalf("retry: %+v %v", b2, err)
	}
	if !b2.Reservation.Retry || b2.Reservation.CommandID != first.CommandID || b2.Reservation.AssignedID != first.AssignedID {
		t.Fatalf("retry reservation %+v, first %+v", b2.Reservation, first)
	}
	// A failed key still refuses another body: the first may have written.
	if _, err := s.Begin(ctx, "sek", "k", services.Fingerprint([]byte("y"))); !errors.Is(err, services.ErrIdempotencyKeyReused) {
		t.Fatalf("err = %v", err)
	}
}

func TestIdempotencyStalePendingIsTakenOver(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s, _, _ := newTestIdem(t, Config{Lease: 10 * time.Second, MaxWait: 300 * time.Millisecond, Now: clock})
	fp := services.Fingerprint([]byte("x"))
	b, err := s.Begin(ctx, "sek", "k", fp) // then the process "dies"
	if err != nil {
		t.Fatal(err)
	}
	// Within the lease: the second request waits, then gives up.
	_, err = s.Begin(ctx, "sek", "k", fp)
	if !errors.Is(err, services.ErrIdempotencyKeyInUse) || !domain.IsKind(err, domain.KindConflict) {
		t.Fatalf("in lease: err = %v", err)
	}
	mu.Lock()
	now = now.Add(11 * time.Second)
	mu.Unlock()
	b2, err := s.Begin(ctx, "sek", "k", fp)
	if err != nil || b2.Reservation == nil || !b2.Reservation.Retry {
		t.Fatalf("takeover: %+v %v", b2, err)
	}
	if b2.Reservation.CommandID != b.Reservation.CommandID {
		t.Fatal("takeover changed the command id")
	}
	// The dead request's late Complete does not overwrite the new attempt.
	if err := s.Complete(ctx, b.Reservation, services.StoredResponse{Status: 500}); err != nil {
		t.Fatal(err)
	}
	if err := s.Complete(ctx, b2.Reservation, services.StoredResponse{Status: 201}); err != nil {
		t.Fatal(err)
	}
	b3, err := s.Begin(ctx, "sek", "k", fp)
	if err != nil || b3.Replay == nil || b3.Replay.Status != 201 {
		t.Fatalf("replay: %+v %v", b3, err)
	}
}

func TestIdempotencySurvivesServerRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ns := startJetStream(t, dir)
	s, err := Open(ctx, connectJS(t, ns), Config{})
	if err != nil {
		t.Fatal(err)
	}
	fp := services.Fingerprint([]byte("body"))
	b, err := s.Begin(ctx, "sek", "restart", fp)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Complete(ctx, b.Reservation, services.StoredResponse{Status: 201, Body: []byte("first")}); err != nil {
		t.Fatal(err)
	}
	ns.Shutdown()
	ns.WaitForShutdown()

	ns2 := startJetStream(t, dir)
	t.Cleanup(func() { ns2.Shutdown(); ns2.WaitForShutdown() })
	s2, err := Open(ctx, connectJS(t, ns2), Config{})
	if err != nil {
		t.Fatal(err)
	}
	b2, err := s2.Begin(ctx, "sek", "restart", fp)
	if err != nil || b2.Replay == nil || string(b2.Replay.Body) != "first" {
		t.Fatalf("after restart: %+v %v", b2, err)
	}
	if _, err := s2.Begin(ctx, "sek", "restart", services.Fingerprint([]byte("other"))); !errors.Is(err, services.ErrIdempotencyKeyReused) {
		t.Fatalf("after restart, other body: %v", err)
	}
}

func TestIdempotencyBucketConfig(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ns := startJetStream(t, dir)
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	js := connectJS(t, ns)
	if _, err := Open(ctx, js, Config{TTL: time.Hour}); err == nil {
		t.Fatal("TTL below 24h accepted")
	}
	if _, err := Open(ctx, js, Config{}); err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(ctx, DefaultBucket)
	if err != nil {
		t.Fatal(err)
	}
	st, err := kv.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.TTL() != 48*time.Hour {
		t.Fatalf("TTL = %s", st.TTL())
	}
	info := st.(*jetstream.KeyValueBucketStatus).StreamInfo()
	if info.Config.Storage != jetstream.FileStorage {
		t.Fatalf("storage = %v", info.Config.Storage)
	}
}

func TestIdempotencyUnavailable(t *testing.T) {
	ctx := context.Background()
	s, ns, _ := newTestIdem(t, Config{})
	ns.Shutdown()
	ns.WaitForShutdown()
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	_, err := s.Begin(ctx, "sek", "k", "fp")
	if !domain.IsKind(err, domain.KindUnavailable) {
		t.Fatalf("err = %v (kind %s)", err, domain.ErrorKind(err))
	}
}

// TestIdempotencyRidesOutAnOutage: while the bucket cannot be reached (its
// server is down, or up without JetStream: no responders, as when the
// leader of an R3 bucket moves), Begin repeats
// its requests, each bounded by OpTimeout, and succeeds once the bucket is
// back within MaxWait, instead of failing or holding the request until its
// deadline.
func TestIdempotencyRidesOutAnOutage(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ns := startJetStream(t, dir)
	port := ns.Addr().(*net.TCPAddr).Port
	js := connectJS(t, ns, nats.ReconnectWait(50*time.Millisecond), nats.MaxReconnects(-1))
	s, err := Open(ctx, js, Config{OpTimeout: 300 * time.Millisecond, MaxWait: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ns.Shutdown()
	ns.WaitForShutdown()

	restarted := make(chan *server.Server, 1)
	go func() {
		// First a server without JetStream on the same port, so that the
		// bucket's requests find nobody to answer them ("no responders"),
		// then the real one again.
		time.Sleep(300 * time.Millisecond)
		bare, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: port, NoLog: true, NoSigs: true})
		if err == nil {
			go bare.Start()
			bare.ReadyForConnections(10 * time.Second)
			time.Sleep(700 * time.Millisecond)
			bare.Shutdown()
			bare.WaitForShutdown()
		}
		ns2, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: port, JetStream: true, StoreDir: dir, NoLog: true, NoSigs: true})
		if err != nil {
			restarted <- nil
			return
		}
		go ns2.Start()
		ns2.ReadyForConnections(10 * time.Second)
		restarted <- ns2
	}()
	start := time.Now()
	b, err := s.Begin(ctx, "sek", "outage", services.Fingerprint([]byte("body")))
	took := time.Since(start)
	ns2 := <-restarted
	if ns2 == nil {
		t.Fatal("could not restart the server")
	}
	t.Cleanup(func() { ns2.Shutdown(); ns2.WaitForShutdown() })
	if err != nil || b.Reservation == nil {
		t.Fatalf("Begin across the outage: %+v %v (after %s)", b, err, took)
	}
	if took < time.Second {
		t.Fatalf("Begin returned after %s, before the server was back", took)
	}
	if err := s.Complete(ctx, b.Reservation, services.StoredResponse{Status: 201, Body: []byte("first")}); err != nil {
		t.Fatal(err)
	}
	again, err := s.Begin(ctx, "sek", "outage", services.Fingerprint([]byte("body")))
	if err != nil || again.Replay == nil || string(again.Replay.Body) != "first" {
		t.Fatalf("replay after the outage: %+v %v", again, err)
	}
}

// TestIdempotencyOrphanOfEarlierRun: a pending record left by an earlier
// run of the same instance (a crash) is taken over at once, with the same
// command id; one held by another instance, or by this run, is waited for.
func TestIdempotencyOrphanOfEarlierRun(t *testing.T) {
	ctx := context.Background()
	ns := startJetStream(t, t.TempDir())
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	js := connectJS(t, ns)
	open := func(instance string) *Store {
		t.Helper()
		s, err := Open(ctx, js, Config{Instance: instance, MaxWait: 300 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	fp := services.Fingerprint([]byte("body"))
	crashed := open("A") // begins and never finishes
	first, err := crashed.Begin(ctx, "sek", "k", fp)
	if err != nil || first.Reservation == nil {
		t.Fatalf("first: %+v %v", first, err)
	}

	// The same run, and another instance, wait and give up: the lease
	// (45 s) has not run out.
	if _, err := crashed.Begin(ctx, "sek", "k", fp); !errors.Is(err, services.ErrIdempotencyKeyInUse) {
		t.Fatalf("the same run: %v", err)
	}
	if _, err := open("B").Begin(ctx, "sek", "k", fp); !errors.Is(err, services.ErrIdempotencyKeyInUse) {
		t.Fatalf("another instance: %v", err)
	}

	// The next run of instance A takes it over at once.
	restarted := open("A")
	start := time.Now()
	b, err := restarted.Begin(ctx, "sek", "k", fp)
	if err != nil || b.Reservation == nil {
		t.Fatalf("restarted: %+v %v", b, err)
	}
	if !b.Reservation.Retry || b.Reservation.CommandID != first.Reservation.CommandID || b.Reservation.AssignedID != first.Reservation.AssignedID {
		t.Fatalf("takeover %+v, first %+v", b.Reservation, first.Reservation)
	}
	if took := time.Since(start); took > 200*time.Millisecond {
		t.Errorf("takeover took %s", took)
	}
	// Now the restarted run holds it: the crashed run's late answer does
	// not overwrite it, and the restarted run's answer is replayed.
	if err := crashed.Complete(ctx, first.Reservation, services.StoredResponse{Status: 500}); err != nil {
		t.Fatal(err)
	}
	if err := restarted.Complete(ctx, b.Reservation, services.StoredResponse{Status: 201, Body: []byte("done")}); err != nil {
		t.Fatal(err)
	}
	if r, err := open("B").Begin(ctx, "sek", "k", fp); err != nil || r.Replay == nil || string(r.Replay.Body) != "done" {
		t.Fatalf("replay: %+v %v", r, err)
	}
}
