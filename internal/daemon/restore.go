package daemon

// portfoliod restore: build a new data directory from a backup
// (portfolioctl backup) or from an audit export, through an embedded NATS
// server started on it and stopped at the end. The file is checked whole
// before anything is written; a restore that fails later removes what it
// wrote.

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/ehelse/portfolio/services"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ehelse/portfolio/audit"
	"github.com/ehelse/portfolio/backupfile"
	"github.com/ehelse/portfolio/eventstore"
	"github.com/ehelse/portfolio/eventstore/embedded"
)

// RestoreConfig configures Restore and RestoreExport.
type RestoreConfig struct {
	// DataDir is the data directory to create; it must be missing or empty.
	DataDir string
	// File is the backup (Restore) or the JSONL audit export (RestoreExport).
	File string
	// Stream names the event stream RestoreExport creates; default "PORTFOLIO".
	Stream string
	Logger *slog.Logger
	// Progress, if not nil, is called now and then with the bytes of File
	// read so far and its size, once per pass (check, then restore).
	Progress func(phase string, done, total int64)
}

// RestoreResult says what was restored.
type RestoreResult struct {
	// Stream is the event stream; its messages are at FirstPosition…LastPosition.
	Stream        string
	Events        uint64
	FirstPosition uint64
	LastPosition  uint64
	// Verify is the audit chain of the restored log (trusting the keys the
	// backup or export names); it equals the backup's or the export's.
	Verify audit.Result
	KeyID  string
	// IdempotencyRecords is the number of messages of the restored
	// Idempotency-Key bucket (0 from an export, which has none).
	IdempotencyRecords uint64
	// Manifest is the backup's manifest (Restore only).
	Manifest *backupfile.Manifest
	Took     time.Duration
}

// restoreTarget is a data directory being restored into.
type restoreTarget struct {
	dir     string
	existed bool
}

// checkTarget refuses a data directory that is not missing or empty.
func checkTarget(dir string) (*restoreTarget, error) {
	if dir == "" {
		return nil, errors.New("no data directory given")
	}
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return &restoreTarget{dir: dir}, nil
	case err != nil:
		return nil, fmt.Errorf("data directory %s: %w", dir, err)
	case len(entries) > 0:
		return nil, fmt.Errorf("refusing to restore into %s: it is not empty (restore needs a new or empty data directory; nothing was written)", dir)
	}
	return &restoreTarget{dir: dir, existed: true}, nil
}

// create makes the directory (mode 0750, like a first start).
func (t *restoreTarget) create() error {
	return os.MkdirAll(t.dir, 0o750)
}

// undo removes what the restore wrote.
func (t *restoreTarget) undo() {
	if !t.existed {
		_ = os.RemoveAll(t.dir)
		return
	}
	entries, _ := os.ReadDir(t.dir)
	for _, e := range entries {
		_ = os.RemoveAll(filepath.Join(t.dir, e.Name()))
	}
}

// progressReader reports the bytes read through it.
type progressReader struct {
	r     io.Reader
	n     int64
	total int64
	phase string
	fn    func(string, int64, int64)
	last  time.Time
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.n += int64(n)
	if p.fn != nil && (err != nil || time.Since(p.last) >= 200*time.Millisecond) {
		p.last = time.Now()
		p.fn(p.phase, p.n, p.total)
	}
	return n, err
}

// open fills in the logger, checks the target directory and opens the
// file to restore from.
func (cfg *RestoreConfig) open() (*restoreTarget, *os.File, int64, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	target, err := checkTarget(cfg.DataDir)
	if err != nil {
		return nil, nil, 0, err
	}
	f, size, err := openFile(cfg.File)
	if err != nil {
		return nil, nil, 0, err
	}
	return target, f, size, nil
}

func openFile(path string) (*os.File, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, fi.Size(), nil
}

// startRestoreServer starts the embedded NATS server on the new data
// directory, in-process only. It does not fsync each write (with it, a
// restore spends most of its time waiting for the disk); syncTree makes
// the result durable once the server has stopped.
func startRestoreServer(ctx context.Context, dir string) (*embedded.Server, jetstream.JetStream, error) {
	noSync := false
	ns, err := embedded.Start(ctx, embedded.Options{DataDir: dir, SyncAlways: &noSync})
	if err != nil {
		return nil, nil, fmt.Errorf("embedded NATS: %w", err)
	}
	js, err := jetstream.New(ns.Conn)
	if err != nil {
		_ = ns.Shutdown(context.Background())
		return nil, nil, err
	}
	return ns, js, nil
}

// syncTree fsyncs every file and directory under dir.
func syncTree(dir string) error {
	return filepath.WalkDir(dir, func(path string, _ os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		serr := f.Sync()
		if cerr := f.Close(); serr == nil {
			serr = cerr
		}
		if serr != nil {
			return fmt.Errorf("fsync %s: %w", path, serr)
		}
		return nil
	})
}

// start creates the target directory and starts an embedded server on it.
// finish, deferred with the restore's error, stops the server, syncs the
// new tree to disk and, when anything failed, removes the directory again.
func (t *restoreTarget) start(ctx context.Context) (ns *embedded.Server, js jetstream.JetStream, finish func(*error), err error) {
	if err := t.create(); err != nil {
		return nil, nil, nil, err
	}
	ns, js, err = startRestoreServer(ctx, t.dir)
	if err != nil {
		t.undo()
		return nil, nil, nil, err
	}
	finish = func(errp *error) {
		if cerr := ns.Shutdown(context.Background()); cerr != nil && *errp == nil {
			*errp = fmt.Errorf("stop the embedded NATS server: %w", cerr)
		}
		if *errp == nil {
			*errp = syncTree(t.dir)
		}
		if *errp != nil {
			t.undo()
		}
	}
	return ns, js, finish, nil
}

// Restore creates cfg.DataDir from a backup written by portfolioctl
// backup: it checks the whole file (structure, every checksum, the
// manifest), restores each stream through JetStream's restore API into an
// embedded server on the new directory, checks that the event log's
// positions and audit head are the manifest's, and stops the server.
// Tokens and the signing key are not in a backup: give them to the next
// start (or copy them in).
func Restore(ctx context.Context, cfg RestoreConfig) (res RestoreResult, err error) {
	start := time.Now()
	target, f, size, err := cfg.open()
	if err != nil {
		return res, err
	}
	defer f.Close()
	m, err := backupfile.Check(bufio.NewReaderSize(&progressReader{r: f, total: size, phase: "checking", fn: cfg.Progress}, 1<<20), nil)
	if err != nil {
		return res, fmt.Errorf("%s: %w; nothing was written", cfg.File, err)
	}
	ev, _ := m.EventStream()
	keys, err := manifestKeys(m.Audit)
	if err != nil {
		return res, fmt.Errorf("%s: %w; nothing was written", cfg.File, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return res, err
	}

	ns, js, finish, err := target.start(ctx)
	if err != nil {
		return res, err
	}
	defer finish(&err)

	r := backupfile.NewReader(bufio.NewReaderSize(&progressReader{r: f, total: size, phase: "restoring", fn: cfg.Progress}, 1<<20))
	it, err := r.Next()
	for err == nil && it.Manifest == nil {
		if it.Meta == nil {
			return res, fmt.Errorf("%s: %w: stream data without its header", cfg.File, backupfile.ErrDamaged)
		}
		stream := it.Stream
		var h eventstore.SnapshotHeader
		if err := json.Unmarshal(it.Meta, &h); err != nil {
			return res, fmt.Errorf("%s: %w: %s/stream.json: %v", cfg.File, backupfile.ErrDamaged, stream, err)
		}
		if h.Config, err = singleReplica(h.Config); err != nil {
			return res, fmt.Errorf("%s: %s/stream.json: %w", cfg.File, stream, err)
		}
		var pending *backupfile.Item
		next := func() ([]byte, error) {
			n, err := r.Next()
			if err != nil {
				return nil, err
			}
			if n.Chunk != nil && n.Stream == stream {
				return n.Chunk, nil
			}
			pending = &n
			return nil, nil
		}
		if err := eventstore.Restore(ctx, ns.Conn, "", stream, h, next); err != nil {
			return res, fmt.Errorf("restore of %s: %w", stream, err)
		}
		it = *pending
	}
	if err != nil {
		return res, fmt.Errorf("%s (it changed since it was checked?): %w", cfg.File, err)
	}

	// The restored streams must be what the manifest says. The event log
	// may hold events written while the snapshot was taken (see
	// backupfile.Audit); the manifest has the chain's head for each.
	var last uint64
	for _, s := range m.Streams {
		st, err := js.Stream(ctx, s.Name)
		if err != nil {
			return res, fmt.Errorf("restored stream %s: %w", s.Name, err)
		}
		state := st.CachedInfo().State
		switch s.Role {
		case backupfile.RoleIdempotency:
			res.IdempotencyRecords = state.Msgs
		case backupfile.RoleEvents:
			if state.FirstSeq != s.FirstSeq || state.LastSeq < s.LastSeq || state.LastSeq > m.Audit.LastPossible() {
				return res, fmt.Errorf("restored stream %s has messages %d…%d, the backup %d…%d (up to %d)",
					s.Name, state.FirstSeq, state.LastSeq, s.FirstSeq, s.LastSeq, m.Audit.LastPossible())
			}
			last = state.LastSeq
		}
	}
	want, ok := m.Audit.At(last)
	if !ok {
		return res, fmt.Errorf("%s: %w: the manifest has no audit head for position %d", cfg.File, backupfile.ErrDamaged, last)
	}
	v, err := verifyRestored(ctx, js, ev.Name, last, keys, cfg.Logger)
	if err != nil {
		return res, err
	}
	if v.Head != want.Head || v.Events != want.Events || v.OK != want.OK {
		return res, fmt.Errorf("the restored log's audit chain (ok %t, %d events, head %s) is not the backup's (ok %t, %d events, head %s at position %d)",
			v.OK, v.Events, v.Head, want.OK, want.Events, want.Head, last)
	}
	return RestoreResult{Stream: ev.Name, Events: v.Events, FirstPosition: ev.FirstSeq, LastPosition: last,
		Verify: v, KeyID: m.Audit.KeyID, IdempotencyRecords: res.IdempotencyRecords, Manifest: &m, Took: time.Since(start)}, nil
}

// manifestKeys are the public keys a backup's manifest names.
func manifestKeys(a backupfile.Audit) (audit.Keyring, error) {
	var keys []ed25519.PublicKey
	for _, s := range append([]string{a.PublicKey}, a.TrustedKeys...) {
		k, err := audit.ParsePublicKey(s)
		if err != nil {
			return nil, fmt.Errorf("%w: manifest: public key: %v", backupfile.ErrDamaged, err)
		}
		keys = append(keys, k)
	}
	return audit.NewKeyring(keys...), nil
}

// singleReplica sets a stream config's replicas to 1 and drops its
// placement: the embedded server is a single node, whatever cluster the
// backed-up stream lived on.
func singleReplica(cfg json.RawMessage) (json.RawMessage, error) {
	var c map[string]json.RawMessage
	if err := json.Unmarshal(cfg, &c); err != nil {
		return nil, fmt.Errorf("%w: stream config: %v", backupfile.ErrDamaged, err)
	}
	c["num_replicas"] = json.RawMessage("1")
	delete(c, "placement")
	return json.Marshal(c)
}

// verifyRestored opens the restored event log as the event store (which
// also puts its settings right) and walks its audit chain up to upTo.
func verifyRestored(ctx context.Context, js jetstream.JetStream, stream string, upTo uint64, keys audit.Keyring, log *slog.Logger) (audit.Result, error) {
	store, err := eventstore.Open(ctx, js, eventstore.Config{Stream: stream, Logger: log})
	if err != nil {
		return audit.Result{}, fmt.Errorf("open the restored event log: %w", err)
	}
	if upTo == 0 {
		return audit.Result{OK: true, Head: audit.Hash{}.String()}, nil
	}
	res, err := audit.VerifyLog(ctx, services.AuditPages(store), services.VerifyPage, upTo, audit.Options{Keys: keys}, nil)
	if err != nil {
		return res, fmt.Errorf("verify the restored event log: %w", err)
	}
	return res, nil
}
