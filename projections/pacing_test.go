package projections

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ehelse/portfolio/eventlog"
	"github.com/ehelse/portfolio/eventstore"
	"github.com/ehelse/portfolio/eventstore/natstest"
)

// startPaced starts a runner whose commits are paced by p on the clock now.
func startPaced(t *testing.T, js jetstream.JetStream, p pacing, now func() time.Time) *ReadModels {
	t.Helper()
	m, err := Open(context.Background(), js, Config{Dir: t.TempDir(), Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	m.pace = p
	m.now = now
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		if err := m.Close(); err != nil {
			t.Error(err)
		}
	})
	return m
}

// appendOne appends one event of a new aggregate and returns its position.
func appendOne(t *testing.T, store *eventstore.Store, n int) uint64 {
	t.Helper()
	res, err := store.Append(context.Background(), eventlog.Meta{CommandID: fmt.Sprintf("c%d", n), Actor: "t"},
		eventlog.AggregateAppend{Type: "case", ID: fmt.Sprintf("k%d", n),
			Events: []eventlog.NewEvent{{Type: "CaseNoted", Data: []byte(`{}`)}}})
	if err != nil {
		t.Fatal(err)
	}
	return res.Events[0].Position
}

// TestPacingGroupsUnderLoad: events that arrive within the gap after a
// commit are committed together once the gap has passed, not one commit
// each as they arrive.
func TestPacingGroupsUnderLoad(t *testing.T) {
	_, _, js := natstest.RunServer(t)
	store, err := eventstore.Open(context.Background(), js, eventstore.Config{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	// A gap of 2 s after every commit: far longer than appending ten
	// events takes, so they all arrive within it.
	m := startPaced(t, js, pacing{factor: 1 << 20, max: 2 * time.Second}, time.Now)
	waitPos(t, m, appendOne(t, store, 0))
	before := m.Stats().Batches
	var last uint64
	for i := 1; i <= 10; i++ {
		last = appendOne(t, store, i) // each acknowledged before the next is sent
	}
	waitPos(t, m, last)
	if got := m.Stats().Batches - before; got != 1 {
		t.Fatalf("10 events appended one after the other within the gap made %d commits, want 1", got)
	}
}

// TestPacingDoesNotDelayAnIsolatedEvent: with a gap of up to an hour after
// every commit, an event that arrives once the gap has passed (the runner
// was idle) is committed at once. The runner's clock moves two hours on
// every reading: between the end of one commit and the next event there
// are always more than the gap.
func TestPacingDoesNotDelayAnIsolatedEvent(t *testing.T) {
	_, _, js := natstest.RunServer(t)
	store, err := eventstore.Open(context.Background(), js, eventstore.Config{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	var readings atomic.Int64
	m := startPaced(t, js, pacing{factor: 1 << 20, max: time.Hour}, func() time.Time {
		return time.Now().Add(time.Duration(readings.Add(1)) * 2 * time.Hour)
	})
	for i := range 4 {
		// waitPos gives up after 20 s; a paced commit would wait an hour.
		waitPos(t, m, appendOne(t, store, i))
	}
	if readings.Load() == 0 {
		t.Fatal("the runner never read its clock")
	}
}

func TestPacingRule(t *testing.T) {
	p := pacing{factor: 2, max: 3 * time.Millisecond}
	if defaultPacing.max > 5*time.Millisecond || defaultPacing.factor < 0 {
		t.Fatalf("default pacing %+v: an event may wait longer than half of P4's 10 ms", defaultPacing)
	}
	t0 := time.Unix(1000, 0)
	for _, c := range []struct {
		last lastCommit
		now  time.Time
		want time.Duration
	}{
		{lastCommit{}, t0, 0}, // no commit yet
		{lastCommit{ended: t0, took: time.Millisecond}, t0, 2 * time.Millisecond},
		{lastCommit{ended: t0, took: time.Millisecond}, t0.Add(500 * time.Microsecond), 1500 * time.Microsecond},
		{lastCommit{ended: t0, took: 10 * time.Millisecond}, t0, 3 * time.Millisecond}, // at most max
		{lastCommit{ended: t0, took: time.Millisecond}, t0.Add(2 * time.Millisecond), 0},
	} {
		got := max(c.last.until(p, c.now), 0)
		if got != c.want {
			t.Errorf("until(%+v, now+%s) = %s, want %s", c.last, c.now.Sub(t0), got, c.want)
		}
	}
}
