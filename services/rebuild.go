package services

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/ehelse/portfolio/domain"
)

// ReadModelRebuilder is what a Rebuilds job rebuilds: *projections.ReadModels.
// Rebuild returns an error wrapping ErrRebuildInProgress when the read
// models are rebuilding already (on their own, after a stream mismatch).
type ReadModelRebuilder interface {
	Rebuild(ctx context.Context, progress func(done, total uint64)) error
}

// ErrRebuildInProgress: a read model rebuild was asked for while one is
// running.
var ErrRebuildInProgress = errors.New("a read model rebuild is already running")

// Rebuild states (RebuildStatus.State).
const (
	RebuildIdle    = "idle"    // no rebuild since the server started
	RebuildRunning = "running" // one is running
	RebuildDone    = "done"    // the last one finished and the server serves its result
	RebuildFailed  = "failed"  // the last one failed (Error says why); the old read models still serve
)

// RebuildStatus is the running or last operator-triggered rebuild of the
// read models (the answer of POST and GET /v1/admin/rebuild).
type RebuildStatus struct {
	State string `json:"state"`
	// StartedAt is absent only when State is idle; FinishedAt once it is
	// done or failed.
	StartedAt  *time.Time `json:"startedAt,omitempty"`
	FinishedAt *time.Time `json:"finishedAt,omitempty"`
	// Done is the event log position the new read models have reached;
	// Total the position they must reach (the log's head, which grows
	// while commands are written).
	Done  uint64 `json:"done"`
	Total uint64 `json:"total"`
	// EventsPerSecond is Done over the time since StartedAt (until
	// FinishedAt once finished).
	EventsPerSecond float64 `json:"eventsPerSecond"`
	// EtaSeconds estimates the time left; only while running and known.
	EtaSeconds *float64 `json:"etaSeconds,omitempty"`
	// Error says why a failed rebuild failed.
	Error string `json:"error,omitempty"`
}

// Rebuilds runs the operator-triggered read model rebuilds: one at a
// time, in the background, its progress kept for RebuildStatus. Close
// cancels a running rebuild (the read models then keep the file they
// serve) and waits for it.
type Rebuilds struct {
	reads  ReadModelRebuilder
	log    *slog.Logger
	now    func() time.Time
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	closed   bool
	finish   chan struct{} // closed when the running rebuild ends
	state    string
	started  time.Time // with its monotonic reading, for the rate
	finished time.Time
	done     uint64
	total    uint64
	err      string
}

// NewRebuilds returns the rebuild job of reads.
func NewRebuilds(reads ReadModelRebuilder, log *slog.Logger) *Rebuilds {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Rebuilds{reads: reads, log: log, now: time.Now, ctx: ctx, cancel: cancel, state: RebuildIdle}
}

// StartRebuild starts a rebuild unless one is running (an error wrapping
// ErrRebuildInProgress) or the server is shutting down. by names who
// asked, for the log.
func (j *Rebuilds) StartRebuild(by string) (RebuildStatus, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	switch {
	case j.closed:
		return RebuildStatus{}, &domain.Error{Kind: domain.KindUnavailable, Message: "the server is shutting down"}
	case j.state == RebuildRunning:
		return RebuildStatus{}, fmt.Errorf("read model rebuild: %w", ErrRebuildInProgress)
	}
	j.state, j.started, j.finished, j.done, j.total, j.err = RebuildRunning, j.now(), time.Time{}, 0, 0, ""
	j.finish = make(chan struct{})
	j.log.Info("read model rebuild requested", "by", by)
	j.wg.Add(1)
	go j.run()
	return j.statusLocked(), nil
}

func (j *Rebuilds) run() {
	defer j.wg.Done()
	err := j.reads.Rebuild(j.ctx, j.progress)
	j.mu.Lock()
	defer j.mu.Unlock()
	defer close(j.finish)
	j.finished = j.now()
	took := j.finished.Sub(j.started)
	switch {
	case err == nil:
		j.state = RebuildDone
		j.total = j.done
		j.log.Info("read model rebuild done", "position", j.done, "took", took.Round(time.Millisecond).String())
	default:
		j.state = RebuildFailed
		switch {
		case errors.Is(err, ErrRebuildInProgress):
			// Not ours: the read models rebuild themselves after a stream
			// mismatch; /readyz is not ready until they are done.
			j.err = "the read models are already rebuilding themselves (the stream was recreated or restored); wait until /readyz answers ready"
		case j.ctx.Err() != nil:
			j.err = "cancelled: the server is shutting down"
		default:
			j.err = err.Error()
		}
		j.log.Warn("read model rebuild failed; the previous read models keep serving", "err", err, "position", j.done)
	}
}

// Wait waits until no rebuild is running, or ctx ends, and returns the
// status then.
func (j *Rebuilds) Wait(ctx context.Context) (RebuildStatus, error) {
	j.mu.Lock()
	finish := j.finish
	j.mu.Unlock()
	if finish != nil {
		select {
		case <-finish:
		case <-ctx.Done():
			return j.RebuildStatus(), ctx.Err()
		}
	}
	return j.RebuildStatus(), nil
}

// progress is Rebuild's callback, after each batch.
func (j *Rebuilds) progress(done, total uint64) {
	j.mu.Lock()
	j.done, j.total = done, max(total, done)
	j.mu.Unlock()
}

// RebuildStatus is the running or last rebuild.
func (j *Rebuilds) RebuildStatus() RebuildStatus {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.statusLocked()
}

func (j *Rebuilds) statusLocked() RebuildStatus {
	st := RebuildStatus{State: j.state, Done: j.done, Total: j.total, Error: j.err}
	if j.state == RebuildIdle {
		return st
	}
	started := j.started.UTC().Round(0)
	st.StartedAt = &started
	end := j.now()
	if j.state != RebuildRunning {
		finished := j.finished.UTC().Round(0)
		st.FinishedAt = &finished
		end = j.finished
	}
	if secs := end.Sub(j.started).Seconds(); secs > 0 && j.done > 0 {
		st.EventsPerSecond = math.Round(float64(j.done)/secs*10) / 10
		if j.state == RebuildRunning && j.total >= j.done {
			eta := math.Round(float64(j.total-j.done)/(float64(j.done)/secs)*10) / 10
			st.EtaSeconds = &eta
		}
	}
	return st
}

// Close cancels a running rebuild, waits for it, and refuses new ones.
func (j *Rebuilds) Close() {
	j.mu.Lock()
	j.closed = true
	j.mu.Unlock()
	j.cancel()
	j.wg.Wait()
}
