package projections

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ehelse/portfolio/audit"
	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/services"
	"github.com/nats-io/nats.go/jetstream"
	bolt "go.etcd.io/bbolt"
)

// The rebuild's sizes (variables for the tests).
var (
	// rebuildBatchSize is the most events in one transaction of a full
	// rebuild. With fsync off, large transactions are cheapest (a page
	// that several events change is written once), but a transaction holds
	// every page it changes in memory until it commits, so a transaction
	// also ends once it has changed rebuildMaxInitiatives initiatives
	// (their documents, cards and status leaves are most of its pages):
	// many events per transaction in a small portfolio, fewer in a large
	// one.
	rebuildBatchSize      = 5000
	rebuildMaxInitiatives = 1500
	// rebuildReadSize is the size of the batches the rebuild's reader
	// prepares (a transaction applies one or more).
	rebuildReadSize = 1000
	// rebuildPull is how many messages the rebuild's consumer fetches
	// ahead.
	rebuildPull = 2000
	// maxMappedFile: when the file-backed pages mapped into the process
	// have grown by more than this since the file was (re)opened or its
	// pages dropped, the builder drops them (dropMapped) or, where it
	// cannot, closes and reopens it (see reopen).
	maxMappedFile int64 = 64 << 20
	// reopenEvery, when > 0, reopens the file after every reopenEvery
	// transactions instead (tests).
	reopenEvery = 0
)

// builder builds read models from position 0 into a new file with fsync
// off. finish fsyncs it and turns fsync back on.
//
// It is a pipeline: a reader goroutine takes the next batch from the stream
// and prepares it (decodes every message once and checks its envelope and
// signature, on workers() goroutines) while the previous batch is applied;
// batches are applied one after the other, in stream order, and the
// per-aggregate chain check stays in the apply.
type builder struct {
	db *bolt.DB
	// dbMu: the reader reads db (prefetching documents) holding it shared;
	// reopen replaces db holding it.
	dbMu   sync.RWMutex
	path   string
	stream jetstream.Stream
	it     jetstream.MessagesContext
	id     identity
	head   uint64 // the stream head when the build started
	pos    uint64
	m      *ReadModels // for reading, decoding and logging

	feed       chan prepared // prepared batches, in stream order
	stopReader func()
	txs        int
	mappedBase int64 // mappedFileBytes when the file was (re)opened
	// reopenMapped: the mapped pages cannot be dropped (watchMapped), the
	// file is reopened instead.
	reopenMapped atomic.Bool
	cache        *applier // initiative documents kept decoded between transactions

	// prior is the verified prefix of the file being replaced (nil: every
	// signature is checked); confirmed: the log matched it. Until then the
	// skips and rejections are held back (held), to be logged once they
	// are known to stand.
	prior     *prior
	confirmed bool
	announced bool
	held      []item
	heldSkips int
}

// maxHeldSkips bounds the skipped events a rebuild holds back for logging
// until its verified prefix is confirmed (past it, they are counted only).
const maxHeldSkips = 1000

// buildOptions open the file of a build: no fsync until finish.
var buildOptions = &bolt.Options{Timeout: 5 * time.Second, NoSync: true, NoGrowSync: true}

// mappedFileBytes is the resident file-backed memory of the process
// (RssFile in /proc/self/status; 0 where there is none).
func mappedFileBytes() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "RssFile:"); ok {
			if f := strings.Fields(v); len(f) > 0 {
				if n, err := strconv.ParseInt(f[0], 10, 64); err == nil {
					return n << 10
				}
			}
		}
	}
	return 0
}

// reopen closes the file and opens it again. bbolt reads through a shared
// read-only mmap of the file, and every page a transaction reads — with the
// neighbours the kernel maps on the same fault (fault-around) — stays
// resident in the process until the mapping goes: a rebuild touches most of
// a file that grows with the log, and the process's RSS with it. Reopening
// drops the mapping; the pages stay in the page cache, so reading them
// again costs a minor fault, not I/O.
func (b *builder) reopen() error {
	b.dbMu.Lock()
	defer b.dbMu.Unlock()
	if err := b.db.Close(); err != nil {
		return err
	}
	db, err := bolt.Open(b.path, 0o644, buildOptions)
	if err != nil {
		return err
	}
	b.db = db
	b.mappedBase = mappedFileBytes()
	return nil
}

// prepared is a batch the reader prepared, or the error that stopped it.
type prepared struct {
	items []item
	err   error
}

// startReader starts the reader goroutine on b.it.
func (b *builder) startReader() {
	ctx, cancel := context.WithCancel(context.Background())
	// A few batches prepared ahead, so that the reader goes on while the
	// apply commits.
	feed := make(chan prepared, 3)
	done := make(chan struct{})
	it, m := b.it, b.m
	var v voucher // nil, not a nil *prior
	if b.prior != nil {
		b.prior.trusted.Store(0)
		v = b.prior
	}
	msgs := m.startFeed(it, rebuildReadSize)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		b.watchMapped(ctx)
	}()
	go func() {
		defer close(done)
		for {
			batch, err := m.readBatch(ctx, msgs, rebuildReadSize, 20*time.Millisecond, time.Now().Add(time.Minute))
			if err == nil && len(batch) == 0 {
				continue
			}
			if err == nil {
				prepare(batch, m.keys, v)
				// Until the apply first drops the documents it holds, it
				// holds every document the file has.
				if b.cache.evictions.Load() > 0 {
					b.dbMu.RLock()
					err = prefetchDocs(b.db, batch, b.cache.kept.Load())
					b.dbMu.RUnlock()
				}
			}
			select {
			case feed <- prepared{items: batch, err: err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	b.feed = feed
	b.stopReader = func() {
		cancel()
		<-done
		<-watched
		msgs.stop()
		it.Stop()
		<-msgs.gone
	}
}

// watchMapped drops the file's pages mapped into the process whenever
// they have grown by maxMappedFile (see dropMapped), at any moment of the
// build — a transaction, the reader's prefetching, writing what the apply
// held — until ctx is done. Where it cannot, it sets reopenMapped and
// returns: runTo reopens the file between transactions instead.
func (b *builder) watchMapped(ctx context.Context) {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	base := mappedFileBytes()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if mappedFileBytes() <= base+maxMappedFile {
			continue
		}
		if !dropMapped(b.path) {
			b.reopenMapped.Store(true)
			return
		}
		base = mappedFileBytes()
	}
}

// stop stops the reader and the consumer.
func (b *builder) stop() {
	if b.stopReader != nil {
		b.stopReader() // stops b.it too
		b.stopReader = nil
		b.it = nil
	}
	if b.it != nil {
		b.it.Stop()
		b.it = nil
	}
}

// newBuilder starts a build into path. old, when not nil, reads the
// verified prefix of the file being replaced (see verified.go) for the
// stream's identity and the keys' text.
func newBuilder(ctx context.Context, js jetstream.JetStream, cfg Config, path string, old func(identity, string) (*prior, string)) (*builder, error) {
	stream, err := js.Stream(ctx, cfg.Stream)
	if err != nil {
		return nil, fmt.Errorf("projections: rebuild: stream %s: %w", cfg.Stream, err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("projections: rebuild: stream %s info: %w", cfg.Stream, err)
	}
	_ = os.Remove(path)
	db, err := bolt.Open(path, 0o644, buildOptions)
	if err != nil {
		return nil, fmt.Errorf("projections: rebuild: open %s: %w", path, err)
	}
	b := &builder{
		db: db, path: path, stream: stream, head: info.State.LastSeq,
		id: identity{Name: cfg.Stream, Created: streamCreated(info)},
		m:  &ReadModels{cfg: cfg, log: cfg.Logger, keys: cfg.keyring()},
	}
	b.cache = newApplier(nil)
	b.cache.hold = heldBudget()
	b.cache.chains = map[string]audit.Link{}
	if old != nil && b.m.keys != nil {
		var why string
		if b.prior, why = old(b.id, keysText(b.m.keys)); b.prior == nil {
			cfg.Logger.Info("projections: rebuilding with every signature checked", "reason", why)
		} else {
			cfg.Logger.Info("projections: rebuilding; signatures verified before are not checked again unless the log differs",
				"verifiedThrough", b.prior.upTo, "rejectedBefore", len(b.prior.rejected))
		}
	}
	err = db.Update(func(tx *bolt.Tx) error {
		if err := ensureBuckets(tx); err != nil {
			return err
		}
		return writeCheckpoint(tx, checkpoint{Schema: SchemaVersion, StreamName: b.id.Name, StreamCreated: b.id.Created})
	})
	if err != nil {
		b.abort()
		return nil, fmt.Errorf("projections: rebuild: %w", err)
	}
	return b, nil
}

// runTo applies events until the position reaches target.
func (b *builder) runTo(ctx context.Context, target uint64, progress func(done, total uint64)) error {
	if b.pos >= target {
		return nil
	}
	if b.it == nil {
		cons, err := b.stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
			FilterSubjects: []string{Subject}, DeliverPolicy: jetstream.DeliverAllPolicy,
		})
		if err != nil {
			return fmt.Errorf("projections: rebuild: create consumer: %w", err)
		}
		if b.it, err = cons.Messages(jetstream.PullMaxMessages(rebuildPull)); err != nil {
			return fmt.Errorf("projections: rebuild: consume: %w", err)
		}
		b.startReader()
		b.mappedBase = mappedFileBytes()
	}
	for b.pos < target {
		res, err := b.applyNext(ctx, target)
		if err != nil {
			return fmt.Errorf("projections: rebuild: %w", err)
		}
		b.report(res)
		b.m.applied.Add(res.Applied)
		b.m.skipped.Add(res.Skipped)
		b.m.rejected.Add(res.Rejected)
		b.pos = res.Position
		b.txs++
		if b.cache.heldBytes() > b.cache.hold {
			if err := b.evict(); err != nil {
				return fmt.Errorf("projections: rebuild: %w", err)
			}
		} else if b.cache.evictions.Load() > 0 {
			b.cache.storeKept()
		}
		switch {
		case reopenEvery > 0 && b.txs%reopenEvery == 0:
			if err := b.reopen(); err != nil {
				return fmt.Errorf("projections: rebuild: %w", err)
			}
		case reopenEvery == 0 && b.reopenMapped.Load() && mappedFileBytes() > b.mappedBase+maxMappedFile:
			if err := b.reopen(); err != nil {
				return fmt.Errorf("projections: rebuild: %w", err)
			}
		}
		if progress != nil {
			progress(b.pos, max(target, b.head, b.pos))
		}
	}
	return nil
}

// buildToHead builds into path up to the stream's head, trusting the
// verified prefix old reads (nil: none). When the log does not match it,
// the build is abandoned — its file removed, nothing of it kept — and
// started again with every signature checked.
func buildToHead(ctx context.Context, js jetstream.JetStream, cfg Config, path string, old func(identity, string) (*prior, string), progress func(done, total uint64)) (*builder, error) {
	b, err := newBuilder(ctx, js, cfg, path, old)
	if err != nil {
		return nil, err
	}
	err = b.runTo(ctx, b.head, progress)
	if err == nil && b.prior != nil && !b.confirmed {
		err = &prefixMismatch{fmt.Sprintf("the record covers position %d, the stream ends at %d", b.prior.upTo, b.pos)}
	}
	if mm := (*prefixMismatch)(nil); errors.As(err, &mm) {
		cfg.Logger.Warn("projections: the log does not match the verified record of the previous read models; rebuilding with every signature checked",
			"reason", mm.reason)
		b.abort()
		if b, err = newBuilder(ctx, js, cfg, path, nil); err != nil {
			return nil, err
		}
		err = b.runTo(ctx, b.head, progress)
	}
	if err != nil {
		b.abort()
		return nil, err
	}
	return b, nil
}

// report logs the skips and rejections of a transaction; while a verified
// prefix is unconfirmed they are held back.
func (b *builder) report(res batchResult) {
	if b.prior != nil && !b.confirmed {
		for _, it := range res.Skips {
			if b.heldSkips++; b.heldSkips <= maxHeldSkips {
				b.held = append(b.held, it.trimmed())
			}
		}
		for _, it := range res.Rejects {
			b.held = append(b.held, it.trimmed())
		}
		return
	}
	if b.prior != nil && !b.announced {
		b.announced = true
		b.m.log.Info("projections: the log matches the verified record; signatures up to it were not checked again",
			"verifiedThrough", b.prior.upTo, "notChecked", b.prior.trusted.Load())
		for _, it := range b.held {
			if it.Reject != "" {
				b.m.reportRejects([]item{it})
			} else {
				b.m.reportSkips([]item{it})
			}
		}
		if b.heldSkips > maxHeldSkips {
			b.m.log.Warn("projections: more skipped events in the verified prefix than were logged", "skipped", b.heldSkips, "logged", maxHeldSkips)
		}
		b.held = nil
	}
	b.m.reportSkips(res.Skips)
	b.m.reportRejects(res.Rejects)
}

// trimmed is the item without its message and event, for logging.
func (it item) trimmed() item {
	it.Msg.Payload, it.Rec = nil, domain.Recorded{}
	return it
}

// applyNext applies prepared batches in one transaction, until it holds
// rebuildBatchSize events or changed rebuildMaxInitiatives initiatives, or
// reaches target.
func (b *builder) applyNext(ctx context.Context, target uint64) (batchResult, error) {
	tx, err := b.db.Begin(true)
	if err != nil {
		return batchResult{}, err
	}
	defer func() { _ = tx.Rollback() }() // after Commit: ErrTxClosed, ignored
	t, err := beginApply(tx, b.id, nil, b.m.keys, b.cache)
	if err != nil {
		return batchResult{}, err
	}
	if b.prior != nil && !b.confirmed {
		if !t.ver.on {
			return batchResult{}, fmt.Errorf("projections: rebuild: the new file keeps no verified record")
		}
		t.prior, t.confirmed = b.prior, &b.confirmed
	}
	for n := 0; n < rebuildBatchSize && t.cp.Position < target && t.a.touched() < rebuildMaxInitiatives; {
		var p prepared
		select {
		case p = <-b.feed:
		case <-ctx.Done():
			return batchResult{}, ctx.Err()
		}
		if p.err != nil {
			return batchResult{}, p.err
		}
		if err := t.add(p.items); err != nil {
			return batchResult{}, err
		}
		n += len(p.items)
	}
	res, err := t.end()
	if err != nil {
		return batchResult{}, err
	}
	return res, tx.Commit()
}

// finish stops reading, writes the documents the apply holds and fsyncs
// the file; from then on every commit is fsynced again.
func (b *builder) finish() error {
	b.stop()
	if err := b.writeHeld(); err != nil {
		return fmt.Errorf("projections: rebuild: %w", err)
	}
	if err := b.db.Sync(); err != nil {
		return fmt.Errorf("projections: rebuild: sync %s: %w", b.path, err)
	}
	b.db.NoSync = false
	b.db.NoGrowSync = false
	return nil
}

// evict writes the documents the apply holds and drops them; from then
// on the reader prefetches the documents it does not hold.
func (b *builder) evict() error {
	if err := b.writeHeld(); err != nil {
		return err
	}
	b.cache.evictions.Add(1)
	b.cache.storeKept()
	return nil
}

// writeHeld writes the chains and documents the apply holds unwritten, in
// key order, heldChunk documents to a transaction (a transaction keeps
// what it writes in memory until it commits), and drops them all. Nobody
// reads the file before finish, so they need not be written with the
// checkpoint of the events that changed them.
func (b *builder) writeHeld() error {
	a := b.cache
	var ids []string
	for id, p := range a.inits {
		if p.dirty {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	aggs := slices.Sorted(maps.Keys(a.chains))
	for len(aggs) > 0 {
		chunk := aggs[:min(heldChunk*8, len(aggs))]
		aggs = aggs[len(chunk):]
		b.dbMu.RLock() // against reopen
		err := b.db.Update(func(tx *bolt.Tx) error {
			for _, agg := range chunk {
				if err := writeChain(tx, agg, a.chains[agg]); err != nil {
					return err
				}
			}
			return nil
		})
		b.dbMu.RUnlock()
		if err != nil {
			return err
		}
	}
	clear(a.chains)
	for len(ids) > 0 {
		chunk := ids[:min(heldChunk, len(ids))]
		ids = ids[len(chunk):]
		b.dbMu.RLock() // against reopen
		err := b.db.Update(func(tx *bolt.Tx) error {
			part := newApplier(tx)
			for _, id := range chunk {
				part.inits[id] = a.inits[id]
			}
			part.dirty = len(chunk)
			return part.flush()
		})
		b.dbMu.RUnlock()
		if err != nil {
			return err
		}
	}
	clear(a.inits)
	a.dirty, a.docBytes = 0, 0
	return nil
}

// heldChunk is the most held documents writeHeld writes in one
// transaction.
const heldChunk = 1024

// abort closes and removes the file.
func (b *builder) abort() {
	b.stop()
	_ = b.db.Close()
	_ = os.Remove(b.path)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

var _ services.ReadModelRebuilder = (*ReadModels)(nil)

// readPrior reads the verified prefix of the file being served (or, after
// a mismatch, not served).
func (m *ReadModels) readPrior(id identity, keys string) (*prior, string) {
	m.swapMu.RLock()
	defer m.swapMu.RUnlock()
	if m.closed {
		return nil, "closed"
	}
	var p *prior
	why := ""
	if err := m.db.View(func(tx *bolt.Tx) error {
		p, why = readPrior(tx, id, keys)
		return nil
	}); err != nil {
		return nil, err.Error()
	}
	return p, why
}

// readPriorFile reads the verified prefix of the file at path, if there is
// one that can be opened.
func readPriorFile(path string, id identity, keys string) (*prior, string) {
	if _, err := os.Stat(path); err != nil {
		return nil, "no previous read models at " + path
	}
	db, err := bolt.Open(path, 0o644, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return nil, fmt.Sprintf("the previous read models cannot be opened: %v", err)
	}
	defer db.Close()
	var p *prior
	why := ""
	if err := db.View(func(tx *bolt.Tx) error {
		p, why = readPrior(tx, id, keys)
		return nil
	}); err != nil {
		return nil, err.Error()
	}
	return p, why
}

// Rebuild builds fresh read models from position 0 into a new file
// (readmodels-<unixnano>.db) while the current ones keep serving, catches up
// with the runner, then switches to the new file atomically: it is renamed
// over FileName and queries move to it; the old file is closed once its
// readers are done. progress, if not nil, is called after each batch with
// the position reached and the stream head. It returns ErrRebuildInProgress
// if a rebuild is running.
func (m *ReadModels) Rebuild(ctx context.Context, progress func(done, total uint64)) error {
	if !m.rebuildMu.TryLock() {
		return ErrRebuildInProgress
	}
	defer m.rebuildMu.Unlock()
	return m.rebuild(ctx, progress, false)
}

// rebuild does the work of Rebuild. fromRunner: called by the runner after
// a stream mismatch; the current file is not served and there is nothing
// to catch up with. The caller holds rebuildMu.
func (m *ReadModels) rebuild(ctx context.Context, progress func(done, total uint64), fromRunner bool) error {
	start := time.Now()
	path := filepath.Join(m.cfg.Dir, fmt.Sprintf("readmodels-%d.db", start.UnixNano()))
	m.log.Info("projections: rebuilding read models", "path", path)
	b, err := buildToHead(ctx, m.js, m.cfg, path, m.readPrior, progress)
	if err != nil {
		return err
	}
	done := false
	defer func() {
		if !done {
			b.abort()
		}
	}()

	// Catch up with the runner and switch with no batch in between.
	m.applyMu.Lock()
	defer m.applyMu.Unlock()
	if !fromRunner && m.isInvalid() == "" {
		if err := b.runTo(ctx, m.Position(), progress); err != nil {
			return err
		}
	}
	if err := b.finish(); err != nil {
		return err
	}
	b.db.NoSync = m.noSync // see unsynced.go
	live := filepath.Join(m.cfg.Dir, FileName)
	if err := os.Rename(path, live); err != nil {
		return fmt.Errorf("projections: rebuild: rename %s: %w", path, err)
	}
	if err := syncDir(m.cfg.Dir); err != nil {
		return fmt.Errorf("projections: rebuild: sync %s: %w", m.cfg.Dir, err)
	}
	done = true
	state := loadState(b.db, b.pos) // the card index of the new file

	m.swapMu.Lock() // waits for running queries on the old file
	old := m.db
	closed := m.closed
	if !closed {
		m.db = b.db
		m.docs.clear() // the new file's documents are its own
		m.invalid = ""
		m.applied.Add(b.m.applied.Load())
		m.skipped.Add(b.m.skipped.Load())
		m.rejected.Add(b.m.rejected.Load())
		m.rebuilds.Add(1)
		if b.pos >= m.head.Load() {
			m.head.Store(b.pos)
		}
		if fromRunner {
			m.ready.Store(b.pos >= b.head)
		}
		m.state.Store(state) // the position and the index of the new file
	}
	m.swapMu.Unlock()
	if closed {
		_ = b.db.Close()
		return ErrClosed
	}
	m.broadcast()
	if err := old.Close(); err != nil {
		m.log.Warn("projections: closing the replaced file", "err", err)
	}
	m.log.Info("projections: switched to rebuilt read models", "position", b.pos, "took", time.Since(start))
	return nil
}

// BuildFile builds read models from the whole stream DefaultStream, up to
// its head when called, into a new file at path (replacing it), for
// start-up rebuilds. The file is written with fsync off, fsynced, and
// renamed into place at the end, so path holds either the old file or a
// complete new one.
func BuildFile(ctx context.Context, js jetstream.JetStream, path string, progress func(done, total uint64)) error {
	return Config{}.BuildFile(ctx, js, path, progress)
}

// BuildFile is BuildFile with the stream and logger of c.
func (c Config) BuildFile(ctx context.Context, js jetstream.JetStream, path string, progress func(done, total uint64)) error {
	c.defaults()
	tmp := path + fmt.Sprintf(".%d.tmp", time.Now().UnixNano())
	b, err := buildToHead(ctx, js, c, tmp, func(id identity, keys string) (*prior, string) { return readPriorFile(path, id, keys) }, progress)
	if err != nil {
		return err
	}
	if err := b.finish(); err != nil {
		b.abort()
		return err
	}
	if err := b.db.Close(); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("projections: build: close %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("projections: build: rename %s: %w", tmp, err)
	}
	// A marker of unsynced commits (unsynced.go) was about the file
	// replaced; this one is fsynced whole.
	if err := releaseUnsynced(path); err != nil {
		return fmt.Errorf("projections: build: %w", err)
	}
	c.Logger.Info("projections: built read models", "path", path, "position", b.pos)
	return nil
}
