package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/projections"
	"github.com/ehelse/portfolio/services/httpapi"
)

// rebuilder is what the job rebuilds: *projections.ReadModels.
type rebuilder interface {
	Rebuild(ctx context.Context, progress func(done, total uint64)) error
}

// rebuildJob is the operator-triggered read model rebuild behind
// /v1/admin/rebuild (httpapi.Rebuilder): one at a time, in the
// background, its progress kept for GET. close cancels a running rebuild
// (the read models then keep the file they serve) and waits for it.
type rebuildJob struct {
	reads  rebuilder
	log    *slog.Logger
	now    func() time.Time
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	closed   bool
	state    string
	started  time.Time // with its monotonic reading, for the rate
	finished time.Time
	done     uint64
	total    uint64
	err      string
}

func newRebuildJob(reads rebuilder, log *slog.Logger) *rebuildJob {
	ctx, cancel := context.WithCancel(context.Background())
	return &rebuildJob{reads: reads, log: log, now: time.Now, ctx: ctx, cancel: cancel, state: httpapi.RebuildIdle}
}

// StartRebuild starts a rebuild unless one is running
// (projections.ErrRebuildInProgress) or the server is shutting down.
func (j *rebuildJob) StartRebuild(by string) (httpapi.RebuildStatus, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	switch {
	case j.closed:
		return httpapi.RebuildStatus{}, &domain.Error{Kind: domain.KindUnavailable, Message: "the server is shutting down"}
	case j.state == httpapi.RebuildRunning:
		return httpapi.RebuildStatus{}, fmt.Errorf("read model rebuild: %w", projections.ErrRebuildInProgress)
	}
	j.state, j.started, j.finished, j.done, j.total, j.err = httpapi.RebuildRunning, j.now(), time.Time{}, 0, 0, ""
	j.log.Info("read model rebuild requested", "by", by)
	j.wg.Add(1)
	go j.run()
	return j.statusLocked(), nil
}

func (j *rebuildJob) run() {
	defer j.wg.Done()
	err := j.reads.Rebuild(j.ctx, j.progress)
	j.mu.Lock()
	defer j.mu.Unlock()
	j.finished = j.now()
	took := j.finished.Sub(j.started)
	switch {
	case err == nil:
		j.state = httpapi.RebuildDone
		j.total = j.done
		j.log.Info("read model rebuild done", "position", j.done, "took", took.Round(time.Millisecond).String())
	default:
		j.state = httpapi.RebuildFailed
		switch {
		case errors.Is(err, projections.ErrRebuildInProgress):
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

// progress is Rebuild's callback, after each batch.
func (j *rebuildJob) progress(done, total uint64) {
	j.mu.Lock()
	j.done, j.total = done, max(total, done)
	j.mu.Unlock()
}

// RebuildStatus is the running or last rebuild.
func (j *rebuildJob) RebuildStatus() httpapi.RebuildStatus {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.statusLocked()
}

func (j *rebuildJob) statusLocked() httpapi.RebuildStatus {
	st := httpapi.RebuildStatus{State: j.state, Done: j.done, Total: j.total, Error: j.err}
	if j.state == httpapi.RebuildIdle {
		return st
	}
	started := j.started.UTC().Round(0)
	st.StartedAt = &started
	end := j.now()
	if j.state != httpapi.RebuildRunning {
		finished := j.finished.UTC().Round(0)
		st.FinishedAt = &finished
		end = j.finished
	}
	if secs := end.Sub(j.started).Seconds(); secs > 0 && j.done > 0 {
		st.EventsPerSecond = math.Round(float64(j.done)/secs*10) / 10
		if j.state == httpapi.RebuildRunning && j.total >= j.done {
			eta := math.Round(float64(j.total-j.done)/(float64(j.done)/secs)*10) / 10
			st.EtaSeconds = &eta
		}
	}
	return st
}

// close cancels a running rebuild, waits for it, and refuses new ones.
func (j *rebuildJob) close() {
	j.mu.Lock()
	j.closed = true
	j.mu.Unlock()
	j.cancel()
	j.wg.Wait()
}
