package main

import (
	"bytes"
	"cmp"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	bolt "go.etcd.io/bbolt"

	"github.com/ehelse/portfolio/audit"
	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/eventstore"
	"github.com/ehelse/portfolio/eventstore/embedded"
	"github.com/ehelse/portfolio/eventstore/snapshots"
	"github.com/ehelse/portfolio/internal/daemon"
	"github.com/ehelse/portfolio/projections"
	"github.com/ehelse/portfolio/services"
)

// dataset is the P3 stream: a data directory of the product (DataDir/
// jetstream) holding a realistic event log, shared by the profiles.
type dataset struct {
	dir         string
	events      uint64
	initiatives int
	avgBytes    float64
	took        time.Duration
	age         time.Duration // reused: since the stream's last write
}

// datasetFile, in the dataset directory, says how it was generated.
const datasetFile = "bench-dataset.json"

// reuse takes the dataset of an earlier run (-dataset).
func (b *bench) reuse(ctx context.Context, dir string) (*dataset, error) {
	var meta struct {
		Initiatives int `json:"initiatives"`
	}
	raw, err := os.ReadFile(filepath.Join(dir, datasetFile))
	if err != nil {
		return nil, fmt.Errorf("-dataset: %w", err)
	}
	if err := json.Unmarshal(raw, &meta); err != nil {
		return nil, fmt.Errorf("-dataset: %s: %w", datasetFile, err)
	}
	srv, js, err := startServer(ctx, dir, false)
	if err != nil {
		return nil, err
	}
	defer shutdown(srv)
	stream, err := js.Stream(ctx, projections.DefaultStream)
	if err != nil {
		return nil, fmt.Errorf("-dataset: %w", err)
	}
	st := stream.CachedInfo().State
	return &dataset{dir: dir, events: st.Msgs, initiatives: meta.Initiatives,
		avgBytes: float64(st.Bytes) / float64(max(st.Msgs, 1)), age: time.Since(st.LastTime)}, nil
}

// signingKey returns the event signing key of data directory dir,
// generating dir/signing.key first when it has none: the file and format
// internal/daemon reads, so a daemon started on dir later signs and
// verifies with the same key.
func signingKey(dir string) (ed25519.PrivateKey, error) {
	path := filepath.Join(dir, "signing.key")
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, err
		}
		return audit.GenerateSigningKey(path)
	}
	return audit.ReadSigningKey(path)
}

func publicKey(k ed25519.PrivateKey) []ed25519.PublicKey {
	return []ed25519.PublicKey{k.Public().(ed25519.PublicKey)}
}

// openStore opens the event store on js as the daemon does: signed with
// dir's signing key.
// startStore starts a server on dir and opens the event store on it as
// the daemon would.
func (b *bench) startStore(ctx context.Context, dir string, syncAlways bool) (*embedded.Server, jetstream.JetStream, *eventstore.Store, ed25519.PrivateKey, error) {
	srv, js, err := startServer(ctx, dir, syncAlways)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	store, key, err := b.openStore(ctx, js, dir)
	if err != nil {
		shutdown(srv)
		return nil, nil, nil, nil, err
	}
	return srv, js, store, key, nil
}

func (b *bench) openStore(ctx context.Context, js jetstream.JetStream, dir string) (*eventstore.Store, ed25519.PrivateKey, error) {
	key, err := signingKey(dir)
	if err != nil {
		return nil, nil, err
	}
	store, err := eventstore.Open(ctx, js, eventstore.Config{Logger: b.log, Signer: key})
	return store, key, err
}

// seedDir starts the embedded server on dir without SyncAlways (bulk
// loading with an fsync per message would take minutes and measures
// nothing), runs seed on a store and stops the server. The measurements
// then start the server again with their profile's setting.
func (b *bench) seedDir(ctx context.Context, dir string, seed func(w *world) error) (*world, error) {
	srv, js, err := startServer(ctx, dir, false)
	if err != nil {
		return nil, err
	}
	defer shutdown(srv)
	store, _, err := b.openStore(ctx, js, dir)
	if err != nil {
		return nil, err
	}
	w := newWorld(ctx, store, uint64(time.Now().UnixNano()))
	if err := seed(w); err != nil {
		return nil, err
	}
	return w, w.flush()
}

// generate writes the P3 stream.
func (b *bench) generate(ctx context.Context) (*dataset, error) {
	dir := filepath.Join(b.root, "dataset")
	start := time.Now()
	var stored uint64
	w, err := b.seedDir(ctx, dir, func(w *world) error {
		ids, err := w.seedInitiatives(b.cfg.initiatives)
		if err != nil {
			return err
		}
		if err := w.fill(ids, uint64(b.cfg.events)); err != nil {
			return err
		}
		info, err := w.store.JetStream().Stream(ctx, w.store.StreamName())
		if err != nil {
			return err
		}
		stored = info.CachedInfo().State.Bytes
		return nil
	})
	if err != nil {
		return nil, err
	}
	meta, _ := json.Marshal(map[string]int{"initiatives": b.cfg.initiatives})
	if err := os.WriteFile(filepath.Join(dir, datasetFile), meta, 0o644); err != nil {
		return nil, err
	}
	return &dataset{dir: dir, events: w.written, initiatives: b.cfg.initiatives,
		avgBytes: float64(stored) / float64(max(w.written, 1)), took: time.Since(start)}, nil
}

var secretariat = services.Principal{Name: "sekretariat", Role: services.RoleSecretariat}

// statusCmd is the measured command: a status report on a fixed date (the
// same date again is allowed), with a comment.
func statusCmd(id string) *domain.ReportStatus {
	return &domain.ReportStatus{InitiativeID: id, ReportDate: fixedReportDate, Overall: domain.Yellow, Schedule: domain.Green,
		Cost: domain.Green, Benefit: domain.Green, Comment: comments[0]}
}

// serviceFigures measures P1 and P5 on the command service over a plain
// store (no read models, no HTTP).
func (b *bench) serviceFigures(ctx context.Context, p profile, c ceilings) error {
	cfg := b.cfg
	dir := filepath.Join(b.root, p.name, "service")
	defer os.RemoveAll(dir)
	const bigEvents = 1000
	nBig := 8
	var workerIDs, small, big []string
	_, err := b.seedDir(ctx, dir, func(w *world) error {
		ids, err := w.seedInitiatives(cfg.workers + cfg.samples + nBig)
		if err != nil {
			return err
		}
		workerIDs, small, big = ids[:cfg.workers], ids[cfg.workers:cfg.workers+cfg.samples], ids[cfg.workers+cfg.samples:]
		for _, id := range big {
			if err := w.fillOne(id, bigEvents); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	srv, js, store, key, err := b.startStore(ctx, dir, p.syncAlways)
	if err != nil {
		return err
	}
	defer shutdown(srv)
	// As the daemon configures it: events verified against the signing
	// key, snapshots signed with it.
	snaps, err := snapshots.Open(ctx, js, snapshots.Config{Logger: b.log, Signer: key, TrustedKeys: publicKey(key)})
	if err != nil {
		return err
	}
	newService := func() (*services.CommandService, error) {
		return services.NewCommandService(services.CommandConfig{Log: store, Logger: b.log, TrustedKeys: publicKey(key), Snapshots: snaps})
	}

	if cfg.sel("P1") {
		svc, err := newService()
		if err != nil {
			return err
		}
		cmds := make([]*domain.ReportStatus, len(workerIDs))
		for i, id := range workerIDs {
			cmds[i] = statusCmd(id)
		}
		stop := b.profileFigure("P1", p)
		meter := startCPU()
		r, _, err := throughput(ctx, len(cmds), cfg.warmup, cfg.window, func(ctx context.Context, w int) error {
			_, err := svc.Execute(ctx, secretariat, cmds[w], services.ExecOptions{})
			return err
		})
		stop()
		cpu := meter.per(r)
		if err != nil {
			return fmt.Errorf("P1: %w", err)
		}
		ratio := r / c.append16
		b.emit(result{id: "P1", profile: p.name, what: fmt.Sprintf("service commands/s %d concurrent", len(cmds)), value: rate(r),
			ceiling: rate(c.append16), ratio: fmt.Sprintf("%.2f", ratio), goal: ">=0.70", verdict: verdict(ratio >= 0.70),
			note: fmt.Sprintf("CommandService.Execute ReportStatus, one initiative per worker, warm cache; process CPU %.0f µs per command", cpu)})
	}

	if cfg.sel("P5") {
		// The product snapshots an aggregate each time its version passes
		// a multiple of 100; the seed wrote the big histories straight into
		// the store, so give them the snapshot the product would have
		// written (one unmeasured command each) before measuring.
		for _, id := range big {
			if _, err := timeCommand(ctx, newService, id); err != nil {
				return fmt.Errorf("P5 snapshot: %w", err)
			}
			if _, ok, err := snaps.Get(ctx, domain.Ref{Type: domain.Initiative, ID: id}); err != nil || !ok {
				return fmt.Errorf("P5: no snapshot of %s (%v)", id, err)
			}
		}
		// Cold: a fresh service (empty cache) for every command, so each
		// one loads the aggregate's snapshot and the events after it.
		var coldBig, coldSmall latencies
		stop := b.profileFigure("P5cold", p)
		for i := range cfg.samples {
			for side := range 2 {
				if (i+side)%2 == 0 {
					id := big[i%len(big)]
					d, err := timeCommand(ctx, newService, id)
					if err != nil {
						return fmt.Errorf("P5 cold, %d events: %w", bigEvents, err)
					}
					coldBig = append(coldBig, d)
				} else {
					d, err := timeCommand(ctx, newService, small[i])
					if err != nil {
						return fmt.Errorf("P5 cold, 2 events: %w", err)
					}
					coldSmall = append(coldSmall, d)
				}
			}
		}
		stop()
		// Warm: one service that has seen every aggregate once.
		svc, err := newService()
		if err != nil {
			return err
		}
		shared := func() (*services.CommandService, error) { return svc, nil }
		for _, id := range append(append([]string{}, big...), small...) {
			if _, err := timeCommand(ctx, shared, id); err != nil {
				return fmt.Errorf("P5 warm-up: %w", err)
			}
		}
		var warmBig, warmSmall latencies
		stop = b.profileFigure("P5warm", p)
		for i := range cfg.samples {
			d1, err := timeCommand(ctx, shared, big[i%len(big)])
			if err != nil {
				return err
			}
			d2, err := timeCommand(ctx, shared, small[i])
			if err != nil {
				return err
			}
			warmBig, warmSmall = append(warmBig, d1), append(warmSmall, d2)
		}
		stop()
		for _, s := range []struct {
			kind       string
			big, small latencies
		}{{"cold cache (fresh CommandService per command)", coldBig, coldSmall}, {"warm cache (one CommandService)", warmBig, warmSmall}} {
			ratio := float64(s.big.pct(50)) / float64(s.small.pct(50))
			b.emit(result{id: "P5", profile: p.name,
				what:  fmt.Sprintf("command latency %d-event vs 2-event aggregate, %s", bigEvents, s.kind),
				value: fmt.Sprintf("median %s vs %s (p99 %s vs %s)", ms(s.big.pct(50)), ms(s.small.pct(50)), ms(s.big.pct(99)), ms(s.small.pct(99))),
				ratio: fmt.Sprintf("%.2f", ratio), goal: "<=1.5", verdict: verdict(ratio <= 1.5),
				note: fmt.Sprintf("ReportStatus, %d samples per side; the small aggregate is an admitted initiative (proposed+admitted)", cfg.samples)})
		}
	}
	return nil
}

// timeCommand times one ReportStatus on initiative id with the service
// newService returns (created before the clock starts).
func timeCommand(ctx context.Context, newService func() (*services.CommandService, error), id string) (time.Duration, error) {
	svc, err := newService()
	if err != nil {
		return 0, err
	}
	cmd := statusCmd(id)
	start := time.Now()
	_, err = svc.Execute(ctx, secretariat, cmd, services.ExecOptions{})
	took := time.Since(start)
	// Snapshots are written in the background: let them finish before the
	// next command is timed, so one side's writes do not slow the other.
	if ferr := svc.FlushSnapshots(ctx); err == nil {
		err = ferr
	}
	return took, err
}

// startDaemon starts the whole server on dir with HTTP on 127.0.0.1:0.
func (b *bench) startDaemon(ctx context.Context, dir string, p profile) (*daemon.Daemon, error) {
	return daemon.Start(ctx, daemon.Config{DataDir: dir, HTTPAddr: "127.0.0.1:0", SyncAlways: p.syncAlways,
		Logger: b.log, Out: io.Discard})
}

func closeDaemon(d *daemon.Daemon) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = d.Close(ctx)
}

// waitReady polls GET /readyz until it answers 200 (at most limit).
func waitReady(ctx context.Context, client *http.Client, url string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/readyz", nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		time.Sleep(2 * time.Millisecond)
	}
	return fmt.Errorf("%s/readyz not 200 within %s", url, limit)
}

func httpClient(conns int) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: conns * 2, MaxIdleConnsPerHost: conns * 2, IdleConnTimeout: time.Minute, DisableCompression: true,
	}}
}

// daemonFigures measures P2 (HTTP commands) and P4 (append → visible in
// the read models) on internal/daemon.Start.
func (b *bench) daemonFigures(ctx context.Context, p profile, c ceilings) error {
	cfg := b.cfg
	dir := filepath.Join(b.root, p.name, "daemon")
	defer os.RemoveAll(dir)
	var ids []string
	if _, err := b.seedDir(ctx, dir, func(w *world) error {
		var err error
		ids, err = w.seedInitiatives(2 * cfg.workers)
		return err
	}); err != nil {
		return err
	}
	d, err := b.startDaemon(ctx, dir, p)
	if err != nil {
		return err
	}
	defer closeDaemon(d)
	client := httpClient(cfg.workers)
	if err := waitReady(ctx, client, d.URL(), time.Minute); err != nil {
		return err
	}

	if cfg.sel("P2") {
		token := d.Token("sekretariat")
		if token == "" {
			return errors.New("P2: no plaintext token for sekretariat in the token file")
		}
		bodies := make([][]byte, cfg.workers)
		for i := range bodies {
			bodies[i], _ = json.Marshal(statusCmd(ids[i]))
		}
		url := d.URL() + "/v1/commands/ReportStatus"
		before := d.Reads.Stats()
		stop := b.profileFigure("P2", p)
		meter := startCPU()
		r, _, err := throughput(ctx, cfg.workers, cfg.warmup, cfg.window, func(ctx context.Context, w int) error {
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(bodies[w]))
			if err != nil {
				return err
			}
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			if err != nil {
				return err
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				return fmt.Errorf("HTTP %d: %s", resp.StatusCode, body)
			}
			return nil
		})
		stop()
		cpu := meter.per(r)
		after := d.Reads.Stats()
		if err != nil {
			return fmt.Errorf("P2: %w", err)
		}
		commits, events := after.Batches-before.Batches, after.Applied+after.Skipped+after.Rejected-before.Applied-before.Skipped-before.Rejected
		// The same commands without HTTP, on the daemon's own command
		// service while its read models follow: splits the gap between P1
		// and P2 into what HTTP costs and what the rest of the process does.
		cmds := make([]*domain.ReportStatus, cfg.workers)
		for i := range cmds {
			cmds[i] = statusCmd(ids[i])
		}
		meter = startCPU()
		inproc, _, err := throughput(ctx, cfg.workers, cfg.warmup, cfg.window, func(ctx context.Context, w int) error {
			_, err := d.Cmds.Execute(ctx, secretariat, cmds[w], services.ExecOptions{})
			return err
		})
		inprocCPU := meter.per(inproc)
		if err != nil {
			return fmt.Errorf("P2 in-process: %w", err)
		}
		ratio := r / c.append16
		b.emit(result{id: "P2", profile: p.name, what: fmt.Sprintf("HTTP commands/s %d concurrent clients", cfg.workers), value: rate(r),
			ceiling: rate(c.append16), ratio: fmt.Sprintf("%.2f", ratio), goal: ">=0.70", verdict: verdict(ratio >= 0.70),
			note: fmt.Sprintf("POST /v1/commands/ReportStatus on loopback, keep-alive, no Idempotency-Key; read models follow in the same process; process CPU %.0f µs per command (load generator included); the same commands in-process (CommandService.Execute, no HTTP) in this daemon right after: %s, %.0f µs per command; runner during P2: %d commits, %.1f events/commit (not fsynced: projections/unsynced.go)",
				cpu, rate(inproc), inprocCPU, commits, float64(events)/float64(max(commits, 1)))})
	}

	if cfg.sel("P4") {
		head, err := d.Store.Head(ctx)
		if err != nil {
			return err
		}
		wctx, cancel := context.WithTimeout(ctx, time.Minute)
		err = d.Reads.WaitFor(wctx, head)
		cancel()
		if err != nil {
			return fmt.Errorf("P4: read models did not catch up: %w", err)
		}
		before := d.Reads.Stats()
		stop := b.profileFigure("P4", p)
		res, err := paced(ctx, d, ids[cfg.workers:], deliveryRate, cfg.window)
		stop()
		after := d.Reads.Stats()
		if err != nil {
			return fmt.Errorf("P4: %w", err)
		}
		p99 := res.visible.pct(99)
		r := result{id: "P4", profile: p.name, what: fmt.Sprintf("append → visible in the read models at %d commands/s", deliveryRate),
			value: fmt.Sprintf("p50=%s p99=%s", ms(res.visible.pct(50)), ms(p99)),
			goal:  "(p99)<=10ms", verdict: verdict(p99 <= 10*time.Millisecond && res.achieved >= 0.9*deliveryRate),
			note: fmt.Sprintf("from Execute returning to ReadModels.WaitFor returning; achieved %s of %d/s, %d samples, %d not sent (all %d workers busy), Execute p50=%s p99=%s; runner: %d commits, %.1f events/commit",
				rate(res.achieved), deliveryRate, len(res.visible), res.missed, cfg.workers, ms(res.exec.pct(50)), ms(res.exec.pct(99)),
				after.Batches-before.Batches, float64(after.Applied+after.Skipped-before.Applied-before.Skipped)/float64(max(after.Batches-before.Batches, 1)))}
		b.emit(withDelivery(r, p99, c.delivery, "P4"))
	}
	return nil
}

// withDelivery fills r's ceiling and ratio with C10's p99 (the raw
// delivery latency measured in this run), when it was measured.
func withDelivery(r result, p99 time.Duration, c10 latencies, id string) result {
	if len(c10) == 0 {
		return r
	}
	ceil := c10.pct(99)
	r.ceiling = "p99=" + ms(ceil)
	r.ratio = fmt.Sprintf("%.2f", float64(p99)/float64(max(ceil, time.Microsecond)))
	r.note += "; ratio = " + id + " p99 / C10 p99 (raw publish → ordered consumer delivery at the same pace)"
	return r
}

type pacedResult struct {
	visible, exec latencies
	achieved      float64
	missed        int
}

// paced sends commands at perSecond for window (open loop: a command is
// due every 1/perSecond; one whose slot finds every worker busy is counted
// as missed), one initiative per worker, and measures the time from
// Execute returning to WaitFor(position) returning.
func paced(ctx context.Context, d *daemon.Daemon, ids []string, perSecond int, window time.Duration) (pacedResult, error) {
	total := int(float64(perSecond) * window.Seconds())
	interval := time.Second / time.Duration(perSecond)
	work := make(chan struct{})
	var (
		mu       sync.Mutex
		res      pacedResult
		firstErr error
		done     atomic.Int64
		wg       sync.WaitGroup
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := statusCmd(id)
			for range work {
				t0 := time.Now()
				r, err := d.Cmds.Execute(ctx, secretariat, cmd, services.ExecOptions{})
				t1 := time.Now()
				if err == nil {
					wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
					err = d.Reads.WaitFor(wctx, r.Position)
					wcancel()
				}
				t2 := time.Now()
				mu.Lock()
				if err != nil {
					if firstErr == nil {
						firstErr = err
					}
					cancel()
				} else {
					res.exec = append(res.exec, t1.Sub(t0))
					res.visible = append(res.visible, t2.Sub(t1))
				}
				mu.Unlock()
				done.Add(1)
			}
		}()
	}
	start := time.Now()
	for i := range total {
		if wait := time.Until(start.Add(time.Duration(i) * interval)); wait > 0 {
			time.Sleep(wait)
		}
		if ctx.Err() != nil {
			break
		}
		select {
		case work <- struct{}{}:
		default:
			res.missed++
		}
	}
	close(work)
	wg.Wait()
	res.achieved = float64(done.Load()) / time.Since(start).Seconds()
	if firstErr != nil {
		return res, firstErr
	}
	return res, ctx.Err()
}

// childResult is what the rebuild child prints.
type childResult struct {
	Events      uint64  `json:"events"`
	Seconds     float64 `json:"seconds"`
	BaseKiB     uint64  `json:"baseKiB"`     // VmHWM after the server started, before the rebuild
	PeakKiB     uint64  `json:"peakKiB"`     // VmHWM after the rebuild
	RSSKiB      uint64  `json:"rssKiB"`      // VmRSS after the rebuild
	PeakAnonKiB uint64  `json:"peakAnonKiB"` // highest RssAnon sampled every 20ms (heap, stacks)
	PeakFileKiB uint64  `json:"peakFileKiB"` // highest RssFile sampled every 20ms (mapped files: bbolt's mmap)
	FileBytes   int64   `json:"fileBytes"`   // size of the built read model file
	StartSec    float64 `json:"startSeconds"`
	// MemLimit is the Go memory limit the child ran with (as portfoliod
	// would set it), GOGC the environment's.
	MemLimit string `json:"memLimit"`
	GOGC     string `json:"gogc"`
	// CPUSec is the rebuild's CPU time (user + system), GCs its collections.
	CPUSec float64 `json:"cpuSeconds"`
	GCs    uint32  `json:"gcs"`
	// LastWriteAgo is how long before the child started the stream's last
	// message was written, Duplicates the stream's duplicate window: the
	// server keeps the message ids written inside the window in memory.
	LastWriteAgo float64 `json:"lastWriteAgoSeconds"`
	Duplicates   float64 `json:"duplicatesSeconds"`
	Prefix       string  `json:"prefix"` // what the rebuild said about the verified record
}

// fresh reports whether the stream's messages were (partly) inside its
// duplicate window when the child started.
func (r childResult) fresh() bool { return r.LastWriteAgo < r.Duplicates }

// rebuildFigures runs the rebuild (projections.BuildFile over the P3
// stream) in a child process that starts the embedded server itself, as
// portfoliod does, and reports P3full (events/s with no previous read
// models: every signature checked), P3 (events/s of a second rebuild over
// the read models the first left: their verified record spares the
// signature checks, as an upgrade, a schema change or a rebuild on request
// do) and P7 (the first child's VmHWM).
func (b *bench) rebuildFigures(ctx context.Context, p profile, c ceilings) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	child := func(mode, figure string, prior bool) (childResult, error) {
		args := []string{"-child=" + mode, "-child-dir=" + b.data.dir, "-child-sync=" + strconv.FormatBool(p.syncAlways),
			"-child-prior=" + strconv.FormatBool(prior), "-memory-limit=" + b.cfg.memoryLimit, "-procs=" + strconv.Itoa(runtime.GOMAXPROCS(0))}
		if b.cfg.cpuprofile != "" {
			args = append(args, fmt.Sprintf("-cpuprofile=%s.%s-%s.prof", b.cfg.cpuprofile, figure, p.name))
		}
		if b.cfg.memprofile != "" && !prior && mode == "rebuild" {
			args = append(args, fmt.Sprintf("-memprofile=%s.%s-%s.heap", b.cfg.memprofile, figure, p.name))
		}
		cctx, cancel := context.WithTimeout(ctx, b.cfg.childLimit)
		defer cancel()
		cmd := exec.CommandContext(cctx, exe, args...)
		cmd.Stderr = os.Stderr
		cmd.Env = os.Environ()
		out, err := cmd.Output()
		if err != nil {
			return childResult{}, fmt.Errorf("rebuild child (%s): %w", figure, err)
		}
		var r childResult
		if err := json.Unmarshal(bytes.TrimSpace(out), &r); err != nil {
			return childResult{}, fmt.Errorf("%s child printed %q: %w", mode, out, err)
		}
		if mode == "rebuild" && prior != strings.Contains(r.Prefix, "the log matches the verified record") {
			return childResult{}, fmt.Errorf("rebuild child (%s): the verified prefix was %s: %s", figure, map[bool]string{true: "used", false: "not used"}[!prior], r.Prefix)
		}
		return r, nil
	}
	emitRate := func(id, what, goal string, r childResult) {
		v := float64(r.Events) / r.Seconds
		note := fmt.Sprintf("projections.BuildFile, N=%d events, %d initiatives, took %.2fs, CPU %.0f µs/event (user+sys)",
			r.Events, b.data.initiatives, r.Seconds, r.CPUSec/float64(max(r.Events, 1))*1e6)
		res := result{id: id, profile: p.name, what: what, value: rate(v), goal: goal, note: note}
		if c.projection > 0 {
			ratio := v / c.projection
			res.ceiling, res.ratio = rate(c.projection), fmt.Sprintf("%.2f", ratio)
			if goal != "" {
				res.verdict = verdict(ratio >= 0.70)
			}
		}
		b.emit(res)
	}
	r, err := child("rebuild", "P3full", false)
	if err != nil {
		return err
	}
	if b.cfg.sel("P3") {
		emitRate("P3full", "read-model rebuild events/s, no previous read models (every signature checked)", "", r)
		again, err := child("rebuild", "P3", true)
		if err != nil {
			return err
		}
		emitRate("P3", "read-model rebuild events/s over previous read models (verified prefix)", ">=0.70", again)
	}
	if !b.cfg.sel("P7") {
		return nil
	}
	// C8: the embedded server alone reading the same stream, in a child
	// with the same memory limit: what P7 cannot go below.
	emitP7 := func(r childResult) error {
		c8, err := child("read", "C8", false)
		if err != nil {
			return err
		}
		b.emitC8(p, c8)
		b.emitP7(p, r, c8)
		return nil
	}
	if err := emitP7(r); err != nil {
		return err
	}
	if r.fresh() {
		// A stream written within its duplicate window (a bulk load just
		// now) makes the server keep every message id of it in memory; a
		// log older than the window, which is what a restart, an upgrade or
		// a restore sees, has none. Measure that too, once the window has
		// passed.
		wait := time.Duration((r.Duplicates - r.LastWriteAgo - r.StartSec - r.Seconds + 1) * float64(time.Second))
		if wait > 0 {
			b.progress("%s: P7 again on the aged stream, in %s (after the duplicate window)", p.name, wait.Round(time.Second))
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		aged, err := child("rebuild", "P7aged", false)
		if err != nil {
			return err
		}
		return emitP7(aged)
	}
	return nil
}

// streamAge describes the stream a child read: fresh (its message ids
// still held, inside the duplicate window) or aged.
func streamAge(r childResult) string {
	if r.fresh() {
		return fmt.Sprintf("fresh stream: its last write %.0fs before the start, inside the %.0fs duplicate window, so the server holds its message ids", r.LastWriteAgo, r.Duplicates)
	}
	return fmt.Sprintf("aged stream: its last write %.0fs before the start, outside the %.0fs duplicate window", r.LastWriteAgo, r.Duplicates)
}

// emitC8 prints the C8 line: the peak RSS of the embedded server reading
// the stream in a child, decoding nothing.
func (b *bench) emitC8(p profile, c childResult) {
	b.emit(result{id: "C8", profile: p.name, what: fmt.Sprintf("peak RSS of the embedded server reading %s events (ordered consumer, nothing decoded)", count(c.Events)),
		value: fmt.Sprintf("%.0f MiB", float64(c.PeakKiB)/1024),
		note: fmt.Sprintf("VmHWM of a child running the embedded server and reading the P3 stream as the rebuild's reader does; %s; %.0f MiB before the read; sampled peaks: anonymous %.0f MiB, file-backed %.0f MiB; memory limit %s, GOGC=%s; read %.1fs, CPU %.1fs, %d GCs",
			streamAge(c), float64(c.BaseKiB)/1024, float64(c.PeakAnonKiB)/1024, float64(c.PeakFileKiB)/1024, c.MemLimit, c.GOGC, c.Seconds, c.CPUSec, c.GCs)})
}

// emitP7 prints the P7 line of one rebuild child beside C8.
func (b *bench) emitP7(p profile, r, c8 childResult) {
	peak := float64(r.PeakKiB) / 1024
	note := fmt.Sprintf("VmHWM of a child running the embedded server + BuildFile; %s; %.0f MiB before the rebuild; sampled peaks: anonymous %.0f MiB, file-backed %.0f MiB (read model file %.0f MiB); memory limit %s, GOGC=%s; rebuild %.1fs, CPU %.1fs, %d GCs; ratio = P7 / C8 (the server reading the same stream alone)",
		streamAge(r), float64(r.BaseKiB)/1024, float64(r.PeakAnonKiB)/1024, float64(r.PeakFileKiB)/1024, float64(r.FileBytes)/(1<<20),
		r.MemLimit, r.GOGC, r.Seconds, r.CPUSec, r.GCs)
	if r.Events < 1_000_000 {
		note += "; the goal is for 1M events (BENCH_SCALE=5)"
	}
	state := "aged"
	if r.fresh() {
		state = "fresh"
	}
	ceiling := float64(c8.PeakKiB) / 1024
	b.emit(result{id: "P7", profile: p.name, what: fmt.Sprintf("peak RSS during a %s-event rebuild (%s stream)", count(r.Events), state),
		value: fmt.Sprintf("%.0f MiB", peak), ceiling: fmt.Sprintf("%.0f MiB", ceiling), ratio: fmt.Sprintf("%.2f", peak/max(ceiling, 1)),
		goal: "<=256MiB", verdict: verdict(peak <= 256), note: note})
}

// count writes n with thousands separators: 1,000,000.
func count(n uint64) string {
	s := strconv.FormatUint(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// restartFigures starts the daemon on the P3 stream with the read models
// the rebuild left (P6: roadmap queries), stops it and starts it again on
// the same DataDir (P8: time until /readyz is 200).
func (b *bench) restartFigures(ctx context.Context, p profile) error {
	cfg := b.cfg
	if err := b.ensureReadModels(ctx, p); err != nil {
		return err
	}
	client := httpClient(2)
	t0 := time.Now()
	d, err := b.startDaemon(ctx, b.data.dir, p)
	if err != nil {
		return err
	}
	if err := waitReady(ctx, client, d.URL(), 5*time.Minute); err != nil {
		closeDaemon(d)
		return err
	}
	first := time.Since(t0)

	var p6 *result
	var p6lat latencies
	if cfg.sel("P6") {
		var lat latencies
		shown := map[string]bool{}
		stop := b.profileFigure("P6", p)
		deadline := time.Now().Add(cfg.window)
		for i := 0; i < 2000 && (i < 30 || time.Now().Before(deadline)); i++ {
			t := time.Now()
			v, err := d.Reads.Roadmap(projections.RoadmapFilter{})
			lat = append(lat, time.Since(t))
			if err != nil {
				closeDaemon(d)
				return fmt.Errorf("P6: %w", err)
			}
			if i == 0 {
				for _, g := range v.Goals {
					for _, s := range g.SubGoals {
						for _, in := range s.Initiatives {
							shown[in.InitiativeID] = true
						}
					}
				}
			}
		}
		stop()
		mismatch := ""
		if len(shown) != b.data.initiatives {
			mismatch = fmt.Sprintf("; WARNING: the stream has %d initiatives, the roadmap shows %d (rejected events?)", b.data.initiatives, len(shown))
		}
		p99 := lat.pct(99)
		p6, p6lat = &result{id: "P6", profile: p.name, what: fmt.Sprintf("roadmap query with %d initiatives", len(shown)),
			value: fmt.Sprintf("p50=%s p99=%s", ms(lat.pct(50)), ms(p99)), goal: "(p99)<=5ms", verdict: verdict(p99 <= 5*time.Millisecond),
			note: fmt.Sprintf("ReadModels.Roadmap(no filter) in-process, %d sequential queries%s", len(lat), mismatch)}, lat
	}
	closeDaemon(d)

	if p6 != nil {
		// C12 opens the file the daemon held locked: after it stopped.
		raw, n, err := rawCardScans(ctx, filepath.Join(b.data.dir, "readmodels", projections.FileName), len(p6lat))
		if err != nil {
			return fmt.Errorf("C12: %w", err)
		}
		b.emit(result{id: "C12", profile: p.name, what: fmt.Sprintf("bbolt read transaction iterating %q (no decoding)", projections.BucketInitiativeCards),
			value: fmt.Sprintf("p50=%s p99=%s", ms(raw.pct(50)), ms(raw.pct(99))),
			note:  fmt.Sprintf("the read-model file P6's daemon used, opened read-only; %d cards; %d sequential transactions, as many as P6's queries", n, len(raw))})
		ceil := raw.pct(99)
		p6.ceiling = "p99=" + ms(ceil)
		p6.ratio = fmt.Sprintf("%.2f", float64(p6lat.pct(99))/float64(max(ceil, time.Microsecond)))
		p6.note += "; ratio = P6 p99 / C12 p99, below 1 expected: the roadmap reads an in-memory index, not the file"
		b.emit(*p6)
	}

	if cfg.sel("P8") {
		stop := b.profileFigure("P8", p)
		t0 := time.Now()
		d, err := b.startDaemon(ctx, b.data.dir, p)
		if err != nil {
			return err
		}
		err = waitReady(ctx, client, d.URL(), 5*time.Minute)
		took := time.Since(t0)
		stop()
		closeDaemon(d)
		if err != nil {
			return err
		}
		raw, err := rawRestart(ctx, b.data.dir, p.syncAlways)
		if err != nil {
			return fmt.Errorf("C9: %w", err)
		}
		b.emit(result{id: "C9", profile: p.name, what: "restart of the building blocks: the embedded server on the same DataDir until its stream answers, then bbolt opening the read-model file and reading its checkpoint",
			value: fmt.Sprintf("%.3fs", raw.Seconds()), note: fmt.Sprintf("N=%d events", b.data.events)})
		b.emit(result{id: "P8", profile: p.name, what: "restart to ready", value: fmt.Sprintf("%.3fs", took.Seconds()),
			ceiling: fmt.Sprintf("%.3fs", raw.Seconds()), ratio: fmt.Sprintf("%.2f", took.Seconds()/max(raw.Seconds(), 1e-6)),
			goal: "<=2s", verdict: verdict(took <= 2*time.Second),
			note: fmt.Sprintf("daemon.Start on the same DataDir until /readyz is 200, N=%d events, intact read models; first start after the rebuild took %.3fs; ratio = P8 / C9", b.data.events, first.Seconds())})
	}
	return nil
}

// rawCardScans is C12, the building block under P6 if the roadmap read
// the file: reps bbolt read transactions on the read-model file at path
// (opened read-only), each iterating every value of the initiative cards
// bucket without decoding it. It returns each transaction's time and the
// number of cards.
func rawCardScans(ctx context.Context, path string, reps int) (latencies, int, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second, ReadOnly: true})
	if err != nil {
		return nil, 0, err
	}
	defer db.Close()
	var (
		lat   latencies
		cards int
		sink  int
	)
	for range reps {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		cards = 0
		t := time.Now()
		err := db.View(func(tx *bolt.Tx) error {
			bk := tx.Bucket([]byte(projections.BucketInitiativeCards))
			if bk == nil {
				return fmt.Errorf("no bucket %q", projections.BucketInitiativeCards)
			}
			c := bk.Cursor()
			for k, v := c.First(); k != nil; k, v = c.Next() {
				cards++
				sink += len(v)
			}
			return nil
		})
		lat = append(lat, time.Since(t))
		if err != nil {
			return nil, 0, err
		}
	}
	if sink == 0 {
		return nil, 0, errors.New("the initiative cards are empty")
	}
	return lat, cards, nil
}

// rawRestart is C9: how long the embedded server takes to start on dir
// until the event stream answers, and bbolt to open the read-model file
// and read its checkpoint — what a restart cannot do without.
func rawRestart(ctx context.Context, dir string, syncAlways bool) (time.Duration, error) {
	t0 := time.Now()
	srv, js, err := startServer(ctx, dir, syncAlways)
	if err != nil {
		return 0, err
	}
	defer shutdown(srv)
	if _, err := js.Stream(ctx, projections.DefaultStream); err != nil {
		return 0, err
	}
	db, err := bolt.Open(filepath.Join(dir, "readmodels", projections.FileName), 0o600, &bolt.Options{Timeout: 5 * time.Second, ReadOnly: true})
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var cp []byte
	if err := db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(projections.BucketMeta))
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error { cp = append(cp, v...); return nil })
	}); err != nil {
		return 0, err
	}
	if len(cp) == 0 {
		return 0, errors.New("the read-model file has no checkpoint")
	}
	return time.Since(t0), nil
}

// ensureReadModels builds the read models of the P3 stream in-process
// when P3/P7 did not leave them in this invocation.
func (b *bench) ensureReadModels(ctx context.Context, p profile) error {
	path := filepath.Join(b.data.dir, "readmodels", projections.FileName)
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	b.progress("%s: building the P3 stream's read models", p.name)
	srv, js, err := startServer(ctx, b.data.dir, p.syncAlways)
	if err != nil {
		return err
	}
	defer shutdown(srv)
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return err
	}
	key, err := signingKey(b.data.dir)
	if err != nil {
		return err
	}
	return projections.Config{Logger: b.log, TrustedKeys: publicKey(key)}.BuildFile(ctx, js, path, nil)
}

// runChild is the child process: -child=rebuild (P3, P7) or -child=read
// (C8).
func runChild(ctx context.Context, cfg *config) error {
	if cfg.child != "rebuild" && cfg.child != "read" {
		return fmt.Errorf("unknown child %q", cfg.child)
	}
	if cfg.childDir == "" {
		return errors.New("-child-dir is required")
	}
	key, err := signingKey(cfg.childDir)
	if err != nil {
		return err
	}
	// The memory limit portfoliod would set (--memory-limit, default auto).
	limit, err := daemon.ResolveMemoryLimit(cfg.memoryLimit, os.Getenv, daemon.CgroupMemoryLimit)
	if err != nil {
		return err
	}
	limit.Apply()
	t0 := time.Now()
	srv, js, err := startServer(ctx, cfg.childDir, cfg.childSync)
	if err != nil {
		return err
	}
	defer shutdown(srv)
	stream, err := js.Stream(ctx, projections.DefaultStream)
	if err != nil {
		return err
	}
	info := stream.CachedInfo()
	head := info.State.LastSeq
	lastWriteAgo := t0.Sub(info.State.LastTime)
	started := time.Since(t0)
	base := procStatusKiB("VmHWM")
	if cfg.child == "read" {
		r, err := readWhole(ctx, stream, head)
		if err != nil {
			return err
		}
		r.BaseKiB, r.StartSec, r.MemLimit, r.GOGC = base, started.Seconds(), limit.String(), cmp.Or(os.Getenv("GOGC"), "100")
		r.LastWriteAgo, r.Duplicates = lastWriteAgo.Seconds(), info.Config.Duplicates.Seconds()
		out, _ := json.Marshal(r)
		fmt.Println(strings.TrimSpace(string(out)))
		return nil
	}
	path := filepath.Join(cfg.childDir, "readmodels", projections.FileName)
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return err
	}
	if !cfg.childPrior {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	stopSampling := sampleRSS(cfg.memprofile)
	stopProfile := startCPUProfile(cfg.cpuprofile)
	cpu0 := cpuTime()
	var ms0 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	t1 := time.Now()
	// As the daemon configures it: every event verified against the key.
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if err := (projections.Config{Logger: logger, TrustedKeys: publicKey(key)}).BuildFile(ctx, js, path, nil); err != nil {
		return err
	}
	took := time.Since(t1)
	cpu := cpuTime() - cpu0
	var ms1 runtime.MemStats
	runtime.ReadMemStats(&ms1)
	stopProfile()
	if cfg.memprofile != "" {
		if f, err := os.Create(cfg.memprofile); err == nil {
			_ = pprof.Lookup("allocs").WriteTo(f, 0)
			f.Close()
		}
	}
	peakAnon, peakFile := stopSampling()
	r := childResult{Events: head, Seconds: took.Seconds(), BaseKiB: base, PeakKiB: procStatusKiB("VmHWM"),
		RSSKiB: procStatusKiB("VmRSS"), PeakAnonKiB: peakAnon, PeakFileKiB: peakFile, StartSec: started.Seconds(),
		MemLimit: limit.String(), GOGC: cmp.Or(os.Getenv("GOGC"), "100"), CPUSec: cpu.Seconds(), GCs: ms1.NumGC - ms0.NumGC,
		LastWriteAgo: lastWriteAgo.Seconds(), Duplicates: info.Config.Duplicates.Seconds()}
	if fi, err := os.Stat(path); err == nil {
		r.FileBytes = fi.Size()
	}
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "verified record") || strings.Contains(l, "every signature checked") {
			r.Prefix += strings.TrimSpace(l) + "; "
		}
	}
	out, _ := json.Marshal(r)
	fmt.Println(strings.TrimSpace(string(out)))
	return nil
}

// sampleRSS samples the anonymous and file-backed parts of the RSS every
// 20 ms until the returned function is called, which returns their peaks
// in KiB: VmHWM counts both, and bbolt's mmap of a growing file is
// file-backed. With memprofile it writes the heap near the anonymous peak
// to memprofile.peak.
func sampleRSS(memprofile string) (stop func() (anonKiB, fileKiB uint64)) {
	var peakAnon, peakFile atomic.Uint64
	sampled := make(chan struct{})
	stopSampling := make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		var lastHeap time.Time
		for {
			if a := procStatusKiB("RssAnon"); a > peakAnon.Load() {
				peakAnon.Store(a)
				if memprofile != "" && time.Since(lastHeap) > 500*time.Millisecond {
					// The heap at (about) the peak: inuse_space.
					lastHeap = time.Now()
					if f, err := os.Create(memprofile + ".peak"); err == nil {
						_ = pprof.Lookup("heap").WriteTo(f, 0)
						f.Close()
					}
				}
			}
			if f := procStatusKiB("RssFile"); f > peakFile.Load() {
				peakFile.Store(f)
			}
			select {
			case <-stopSampling:
				return
			case <-t.C:
			}
		}
	}()
	return func() (uint64, uint64) {
		close(stopSampling)
		<-sampled
		return peakAnon.Load(), peakFile.Load()
	}
}

// readWhole is C8's child: it reads the whole stream up to head with an
// ordered consumer, as the rebuild's reader does (the same filter and
// pull size), decoding nothing, and reports its time and peak memory.
func readWhole(ctx context.Context, stream jetstream.Stream, head uint64) (childResult, error) {
	stop := sampleRSS("")
	cpu0 := cpuTime()
	var ms0 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	t0 := time.Now()
	cons, err := stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{projections.Subject}, DeliverPolicy: jetstream.DeliverAllPolicy})
	if err != nil {
		stop()
		return childResult{}, err
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(2000))
	if err != nil {
		stop()
		return childResult{}, err
	}
	var n uint64
	for n < head {
		msg, err := it.Next()
		if err != nil {
			it.Stop()
			stop()
			return childResult{}, fmt.Errorf("read child: after %d messages: %w", n, err)
		}
		md, err := msg.Metadata()
		if err != nil {
			it.Stop()
			stop()
			return childResult{}, err
		}
		n++
		if md.Sequence.Stream >= head {
			break
		}
	}
	it.Stop()
	took := time.Since(t0)
	cpu := cpuTime() - cpu0
	var ms1 runtime.MemStats
	runtime.ReadMemStats(&ms1)
	anon, file := stop()
	return childResult{Events: n, Seconds: took.Seconds(), PeakKiB: procStatusKiB("VmHWM"), RSSKiB: procStatusKiB("VmRSS"),
		PeakAnonKiB: anon, PeakFileKiB: file, CPUSec: cpu.Seconds(), GCs: ms1.NumGC - ms0.NumGC}, nil
}

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
