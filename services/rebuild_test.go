package services

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ehelse/portfolio/domain"
)

// fakeRebuild is a Rebuild the test steps through: it reports progress
// from the steps channel until that is closed, then returns result (or the
// context's error when cancelled).
type fakeRebuild struct {
	steps  chan [2]uint64
	acks   chan struct{}
	result chan error
}

func newFakeRebuild() *fakeRebuild {
	return &fakeRebuild{steps: make(chan [2]uint64), acks: make(chan struct{}), result: make(chan error, 1)}
}

// step reports progress and waits until the job has it.
func (f *fakeRebuild) step(done, total uint64) {
	f.steps <- [2]uint64{done, total}
	<-f.acks
}

func (f *fakeRebuild) Rebuild(ctx context.Context, progress func(done, total uint64)) error {
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("projections: rebuild: %w", ctx.Err())
		case s, ok := <-f.steps:
			if !ok {
				return <-f.result
			}
			progress(s[0], s[1])
			f.acks <- struct{}{}
		}
	}
}

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// waitState waits for the running rebuild to end and wants it in state.
func waitState(t *testing.T, j *Rebuilds, state string) RebuildStatus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := j.Wait(ctx)
	if err != nil || st.State != state {
		t.Fatalf("state %s (%v), want %s: %+v", st.State, err, state, st)
	}
	return st
}

// TestRebuildJob: one rebuild at a time; progress, rate and ETA; done,
// failed, and cancelled at close.
func TestRebuildJob(t *testing.T) {
	fr := newFakeRebuild()
	clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	j := NewRebuilds(fr, slog.New(slog.DiscardHandler))
	j.now = clk.now
	defer j.Close()

	if st := j.RebuildStatus(); st.State != RebuildIdle || st.StartedAt != nil {
		t.Fatalf("idle: %+v", st)
	}
	st, err := j.StartRebuild("sekretariat")
	if err != nil || st.State != RebuildRunning || st.StartedAt == nil || !st.StartedAt.Equal(clk.now()) || st.EtaSeconds != nil {
		t.Fatalf("start: %+v %v", st, err)
	}
	if _, err := j.StartRebuild("riksrevisjonen"); !errors.Is(err, ErrRebuildInProgress) {
		t.Fatalf("second start: %v", err)
	}

	fr.step(100, 1000)
	clk.add(time.Second)
	st = j.RebuildStatus()
	if st.Done != 100 || st.Total != 1000 || st.EventsPerSecond != 100 || st.EtaSeconds == nil || *st.EtaSeconds != 9 || st.FinishedAt != nil {
		t.Fatalf("running: %+v eta %v", st, st.EtaSeconds)
	}
	fr.step(1000, 1200) // the log grew
	clk.add(time.Second)
	close(fr.steps)
	fr.result <- nil
	st = waitState(t, j, RebuildDone)
	if st.Done != 1000 || st.Total != 1000 || st.EventsPerSecond != 500 || st.EtaSeconds != nil || st.FinishedAt == nil ||
		st.FinishedAt.Sub(*st.StartedAt) != 2*time.Second || st.Error != "" {
		t.Fatalf("done: %+v", st)
	}
	clk.add(time.Hour) // a finished job's rate does not decay
	if st2 := j.RebuildStatus(); st2.EventsPerSecond != 500 {
		t.Fatalf("done later: %+v", st2)
	}

	// A failure; then the read models' own rebuild in the way.
	fr.steps = make(chan [2]uint64)
	if _, err := j.StartRebuild("sekretariat"); err != nil {
		t.Fatal(err)
	}
	if st := j.RebuildStatus(); st.Done != 0 || st.FinishedAt != nil {
		t.Fatalf("restart keeps the old job: %+v", st)
	}
	close(fr.steps)
	fr.result <- errors.New("projections: rebuild: disk full")
	if st := waitState(t, j, RebuildFailed); !strings.Contains(st.Error, "disk full") || st.FinishedAt == nil {
		t.Fatalf("failed: %+v", st)
	}
	fr.steps = make(chan [2]uint64)
	if _, err := j.StartRebuild("sekretariat"); err != nil {
		t.Fatal(err)
	}
	close(fr.steps)
	fr.result <- ErrRebuildInProgress
	if st := waitState(t, j, RebuildFailed); !strings.Contains(st.Error, "rebuilding themselves") {
		t.Fatalf("in the way: %+v", st)
	}

	// Close cancels a running one and waits for it; then starts are 503.
	fr.steps = make(chan [2]uint64)
	if _, err := j.StartRebuild("sekretariat"); err != nil {
		t.Fatal(err)
	}
	j.Close()
	if st := j.RebuildStatus(); st.State != RebuildFailed || !strings.Contains(st.Error, "shutting down") {
		t.Fatalf("after close: %+v", st)
	}
	if _, err := j.StartRebuild("sekretariat"); domain.ErrorKind(err) != domain.KindUnavailable {
		t.Fatalf("start after close: %v", err)
	}
}

// ---- the real thing ----
