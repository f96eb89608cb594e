package daemon

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/ehelse/portfolio/services"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ehelse/portfolio/audit"
	"github.com/ehelse/portfolio/backupfile"
	"github.com/ehelse/portfolio/eventstore/natstest"
	"github.com/ehelse/portfolio/internal/ctl"
)

// acked is a command the server acknowledged (201) with its position and
// Idempotency-Key.
type acked struct {
	key, body string
	position  uint64
}

// commandLoad gives DefineStrategicGoal commands, one after another, each
// with an Idempotency-Key, until stop is closed. Every acknowledged one is
// recorded; count is signalled after each.
type commandLoad struct {
	t     *testing.T
	d     *Daemon
	token string
	stop  chan struct{}
	done  chan struct{}
	mu    sync.Mutex
	acks  []acked
	count chan int
}

func startLoad(t *testing.T, d *Daemon, token string) *commandLoad {
	l := &commandLoad{t: t, d: d, token: token, stop: make(chan struct{}), done: make(chan struct{}), count: make(chan int, 1<<16)}
	go l.run()
	return l
}

func (l *commandLoad) run() {
	defer close(l.done)
	for i := 1; ; i++ {
		select {
		case <-l.stop:
			return
		default:
		}
		body := fmt.Sprintf(`{"goalId":"L%d","strategy":"2023-2030","title":"Last under backup %d"}`, i, i)
		key := fmt.Sprintf("load-%d", i)
		code, pos, err := postCommand(l.d.URL(), l.token, "DefineStrategicGoal", key, body)
		if err != nil || code != 201 {
			l.t.Errorf("load command %d: %d %v", i, code, err)
			return
		}
		l.mu.Lock()
		l.acks = append(l.acks, acked{key: key, body: body, position: pos})
		n := len(l.acks)
		l.mu.Unlock()
		l.count <- n
	}
}

// waitFor waits until n commands are acknowledged.
func (l *commandLoad) waitFor(n int) {
	l.t.Helper()
	timeout := time.After(2 * time.Minute)
	for {
		select {
		case c := <-l.count:
			if c >= n {
				return
			}
		case <-l.done:
			l.t.Fatalf("the load stopped before %d commands", n)
		case <-timeout:
			l.t.Fatalf("fewer than %d commands in 2 minutes", n)
		}
	}
}

func (l *commandLoad) finish() []acked {
	close(l.stop)
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]acked(nil), l.acks...)
}

// postCommand sends a command with an Idempotency-Key and returns the
// status and the position of a 201 or a replay.
func postCommand(base, token, name, key, body string) (int, uint64, error) {
	req, _ := http.NewRequest("POST", base+"/v1/commands/"+name, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Idempotency-Key", key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var r struct {
		Position uint64 `json:"position"`
	}
	if res.StatusCode < 300 {
		if err := json.Unmarshal(b, &r); err != nil {
			return res.StatusCode, 0, fmt.Errorf("%v: %s", err, b)
		}
	}
	return res.StatusCode, r.Position, nil
}

// storedLog reads events 1…upTo of d's log as verification sees them.
func storedLog(t *testing.T, d *Daemon, upTo uint64) []audit.Event {
	t.Helper()
	var out []audit.Event
	for after := uint64(0); after < upTo; {
		evs, err := services.AuditPages(d.Store)(context.Background(), after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			break
		}
		for _, ev := range evs {
			if ev.Position <= upTo {
				out = append(out, ev)
			}
			after = ev.Position
		}
	}
	return out
}

// sameLog fails unless got is want event for event: positions, subjects,
// stored bytes and signatures.
func sameLog(t *testing.T, got, want []audit.Event) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("restored log has %d events, the source %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Position != w.Position || g.Subject != w.Subject || !bytes.Equal(g.Payload, w.Payload) || g.Signature != w.Signature {
			t.Fatalf("event %d differs:\nrestored %d %s %s\nsource   %d %s %s", i, g.Position, g.Subject, g.Payload, w.Position, w.Subject, w.Payload)
		}
	}
}

// checkRestored starts a server on the restored directory with the
// source's key and tokens and checks it: every acknowledged command up to
// last is in the log, the log is the source's, audit verify is ok with
// head, and the read models equal an online rebuild.
func checkRestored(t *testing.T, srcDir, dir string, source []audit.Event, acks []acked, last uint64, head string) *Daemon {
	t.Helper()
	d := startDemo(t, Config{DataDir: dir, SigningKeyFile: filepath.Join(srcDir, "signing.key"), AuthFile: filepath.Join(srcDir, "tokens.json")})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if h, err := d.Store.Head(ctx); err != nil || h != last {
		t.Fatalf("restored head %d %v, want %d", h, err, last)
	}
	if err := d.Reads.WaitFor(ctx, last); err != nil {
		t.Fatal(err)
	}
	restored := storedLog(t, d, last)
	sameLog(t, restored, source)
	at := map[uint64]audit.Event{}
	for _, ev := range restored {
		at[ev.Position] = ev
	}
	in, after := 0, 0
	for _, a := range acks {
		if a.position > last {
			after++
			continue
		}
		in++
		ev, ok := at[a.position]
		if !ok || !strings.Contains(string(ev.Payload), "Last under backup") {
			t.Errorf("acknowledged command at %d (%s) is not in the restored log", a.position, a.key)
		}
	}
	if in == 0 || after == 0 {
		t.Fatalf("%d acknowledged commands before the backup's last position %d, %d after: the load did not span the backup", in, last, after)
	}
	t.Logf("%d acknowledged commands up to position %d are restored; %d came after it", in, last, after)

	var v services.VerifyResult
	if code := getJSON(t, d, d.Token("riksrevisjonen"), "/v1/audit/verify", &v); code != 200 || !v.OK || v.Head != head || v.Position != last {
		t.Fatalf("verify after restore: %d %+v, want head %s at %d", code, v, head, last)
	}

	before := snapshot(t, d, last)
	if _, err := d.rebuild.StartRebuild("test"); err != nil {
		t.Fatal(err)
	}
	if st, err := d.rebuild.Wait(context.Background()); err != nil || st.State != services.RebuildDone {
		t.Fatalf("rebuild: %+v", st)
	}
	after2 := snapshot(t, d, last)
	if len(after2) != len(before) {
		t.Fatalf("%d answers after the rebuild, %d before", len(after2), len(before))
	}
	for path, b := range before {
		if !bytes.Equal(after2[path], b) {
			t.Errorf("%s differs from a rebuild:\nrestored %s\nrebuilt  %s", path, short(b), short(after2[path]))
		}
	}
	return d
}

// TestBackupRestore: a backup taken with portfolioctl while commands are
// written restores into a fresh directory whose server has every command
// acknowledged up to the backup's last position, the same log byte for
// byte, audit verify ok with the manifest's head, read models equal to a
// rebuild, and the Idempotency-Keys of the commands before the backup.
// A damaged or truncated backup, or a non-empty directory, is refused
// and nothing is written.
func TestBackupRestore(t *testing.T) {
	srcDir := t.TempDir()
	d := startDemo(t, Config{DataDir: srcDir})
	sek, aud := d.Token("sekretariat"), d.Token("riksrevisjonen")
	load := startLoad(t, d, sek)
	load.waitFor(20)
	early := load.finishedSoFar()

	file := filepath.Join(t.TempDir(), "portfolio.backup")
	var stdout, stderr bytes.Buffer
	if code := ctl.Main(context.Background(), []string{"--server", d.URL(), "--token", aud, "backup", file}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("portfolioctl backup: %d\n%s%s", code, stdout.String(), stderr.String())
	}
	t.Logf("portfolioctl backup: %s", stdout.String())
	n := len(load.finishedSoFar())
	load.waitFor(n + 10)
	acks := load.finish()

	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	m, err := backupfile.Check(f, nil)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	ev, ok := m.EventStream()
	if !ok || ev.Name != "PORTFOLIO" || ev.LastSeq == 0 || ev.FirstSeq != 1 || ev.Messages != ev.LastSeq || len(m.Streams) != 2 {
		t.Fatalf("manifest: %+v", m)
	}
	if !m.Audit.OK || m.Audit.Position != ev.LastSeq || m.Audit.Events != ev.Messages || m.Audit.KeyID != audit.KeyID(d.PublicKey()) || m.Audit.Head == "" {
		t.Fatalf("manifest audit: %+v", m.Audit)
	}
	info, err := d.js.Stream(context.Background(), "PORTFOLIO")
	if err != nil || !info.CachedInfo().Created.Equal(ev.Created) {
		t.Fatalf("manifest stream identity %s, stream %v %v", ev.Created, info, err)
	}
	if !strings.Contains(stdout.String(), m.Audit.Head) {
		t.Errorf("portfolioctl backup does not print the head: %s", stdout.String())
	}
	source := storedLog(t, d, m.Audit.LastPossible())
	if err := d.Close(context.Background()); err != nil {
		t.Fatal(err)
	}

	// A damaged copy, a truncated one and a non-empty directory are refused.
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	bad := t.TempDir()
	flipped := append([]byte(nil), raw...)
	flipped[len(flipped)/2] ^= 0x40
	for name, data := range map[string][]byte{"flipped": flipped, "truncated": raw[:len(raw)*2/3], "truncated-at-manifest": raw[:bytes.LastIndex(raw, []byte("manifest.json"))-200]} {
		p := filepath.Join(bad, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		target := filepath.Join(bad, name+"-data")
		_, err := Restore(context.Background(), RestoreConfig{DataDir: target, File: p})
		if !errors.Is(err, backupfile.ErrDamaged) || !strings.Contains(err.Error(), "nothing was written") {
			t.Errorf("%s backup: %v", name, err)
		}
		if _, serr := os.Stat(target); !errors.Is(serr, os.ErrNotExist) {
			t.Errorf("%s backup: the data directory was created", name)
		}
		t.Logf("%s: %v", name, err)
	}
	if _, err := Restore(context.Background(), RestoreConfig{DataDir: srcDir, File: file}); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("restore into a non-empty directory: %v", err)
	}

	dir := filepath.Join(t.TempDir(), "restored")
	res, err := Restore(context.Background(), RestoreConfig{DataDir: dir, File: file})
	if err != nil {
		t.Fatal(err)
	}
	last := res.LastPosition
	point, ok := m.Audit.At(last)
	if last < ev.LastSeq || last > m.Audit.LastPossible() || !ok || res.Verify.Head != point.Head || !res.Verify.OK || res.IdempotencyRecords == 0 {
		t.Fatalf("restore: %+v, manifest %+v", res, m.Audit)
	}
	t.Logf("restored %d events (the snapshot's state said %d, up to %d were possible) and %d idempotency records in %s",
		res.Events, ev.LastSeq, m.Audit.LastPossible(), res.IdempotencyRecords, res.Took)

	d2 := checkRestored(t, srcDir, dir, source[:last], acks, last, point.Head)
	// JetStream gives the restored stream a new creation time: read models
	// kept from before the restore see another stream and rebuild.
	info2, err := d2.js.Stream(context.Background(), "PORTFOLIO")
	if err != nil || !info2.CachedInfo().Created.After(ev.Created) {
		t.Errorf("restored stream created %v %v, backed up %s", info2.CachedInfo().Created, err, ev.Created)
	}
	// Idempotency-Keys answered before the backup began replay, writing nothing.
	for _, a := range early {
		code, pos, err := postCommand(d2.URL(), sek, "DefineStrategicGoal", a.key, a.body)
		if err != nil || (code != 200 && code != 201) || pos != a.position {
			t.Errorf("replay of %s after restore: %d at %d %v, first at %d", a.key, code, pos, err, a.position)
		}
	}
	if h, _ := d2.Store.Head(context.Background()); h != last {
		t.Errorf("replays wrote: head %d, was %d", h, last)
	}
}

func (l *commandLoad) finishedSoFar() []acked {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]acked(nil), l.acks...)
}

// TestRestoreFromExport: an audit export taken while commands are written
// rebuilds the log in a fresh directory: the same events at the same
// positions, verify ok with the export's head, read models equal a
// rebuild. A truncated or edited export is refused and nothing written.
func TestRestoreFromExport(t *testing.T) {
	srcDir := t.TempDir()
	d := startDemo(t, Config{DataDir: srcDir})
	sek, aud := d.Token("sekretariat"), d.Token("riksrevisjonen")
	load := startLoad(t, d, sek)
	load.waitFor(20)

	file := filepath.Join(t.TempDir(), "export.jsonl")
	var stdout, stderr bytes.Buffer
	if code := ctl.Main(context.Background(), []string{"--server", d.URL(), "--token", aud, "audit", "export", "--out", file}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("portfolioctl audit export: %d\n%s%s", code, stdout.String(), stderr.String())
	}
	n := len(load.finishedSoFar())
	load.waitFor(n + 10)
	acks := load.finish()

	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	want, err := audit.VerifyJSONL(f, []ed25519.PublicKey{d.PublicKey()}, nil)
	f.Close()
	if err != nil || !want.OK || want.Position == 0 {
		t.Fatalf("export: %+v %v", want, err)
	}
	source := storedLog(t, d, want.Position)
	if err := d.Close(context.Background()); err != nil {
		t.Fatal(err)
	}

	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	bad := t.TempDir()
	lines := bytes.SplitAfter(raw, []byte("\n"))
	edited := bytes.Replace(raw, []byte(`"raw":"eyJ`), []byte(`"raw":"eyK`), 1)
	for name, data := range map[string][]byte{"truncated": raw[:len(raw)-40], "edited": edited, "empty": nil,
		"reordered": bytes.Join(append([][]byte{lines[0], lines[2], lines[1]}, lines[3:]...), nil)} {
		p := filepath.Join(bad, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		target := filepath.Join(bad, name+"-data")
		_, err := RestoreExport(context.Background(), RestoreConfig{DataDir: target, File: p})
		if err == nil || !strings.Contains(err.Error(), "nothing was written") {
			t.Errorf("%s export: %v", name, err)
		}
		if _, serr := os.Stat(target); !errors.Is(serr, os.ErrNotExist) {
			t.Errorf("%s export: the data directory was created", name)
		}
		t.Logf("%s: %v", name, err)
	}

	// An export of a log with a position missing restores as it was: the
	// same gap, the same (failed) verification.
	gapped := filepath.Join(bad, "gapped")
	if err := os.WriteFile(gapped, bytes.Join(append([][]byte{lines[0], lines[1]}, lines[3:]...), nil), 0o600); err != nil {
		t.Fatal(err)
	}
	gf, _ := os.Open(gapped)
	wantGap, err := audit.VerifyJSONL(gf, []ed25519.PublicKey{d.PublicKey()}, nil)
	gf.Close()
	if err != nil || wantGap.OK || wantGap.Missing != 1 {
		t.Fatalf("gapped export: %+v %v", wantGap, err)
	}
	gres, err := RestoreExport(context.Background(), RestoreConfig{DataDir: filepath.Join(bad, "gapped-data"), File: gapped})
	if err != nil || gres.Verify.OK || gres.Verify.Missing != 1 || gres.Verify.Head != wantGap.Head || gres.Verify.Bad != wantGap.Bad ||
		gres.LastPosition != wantGap.Position || gres.Events != wantGap.Events {
		t.Fatalf("restore of the gapped export: %+v %v, export %+v", gres, err, wantGap)
	}

	dir := filepath.Join(t.TempDir(), "restored")
	res, err := RestoreExport(context.Background(), RestoreConfig{DataDir: dir, File: file})
	if err != nil {
		t.Fatal(err)
	}
	if res.LastPosition != want.Position || res.Verify.Head != want.Head || res.Events != want.Events {
		t.Fatalf("restore: %+v, export %+v", res, want)
	}
	t.Logf("restored %d events from the export in %s", res.Events, res.Took)
	checkRestored(t, srcDir, dir, source, acks, want.Position, want.Head)
}

// TestBackupFromCluster: a backup taken by an instance on an external
// three-node cluster (R3 streams, snapshot by the stream leader) restores
// into an embedded data directory with the manifest's head.
func TestBackupFromCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("cluster formation takes several seconds")
	}
	c := natstest.RunCluster(t, 3)
	srcDir := t.TempDir()
	d := startDemo(t, Config{DataDir: srcDir, NATSURLs: c.URL(), Replicas: 3})
	var buf bytes.Buffer
	if err := d.Backup(context.Background(), "test", &buf); err != nil {
		t.Fatal(err)
	}
	m, err := backupfile.Check(bytes.NewReader(buf.Bytes()), nil)
	if err != nil {
		t.Fatal(err)
	}
	ev, _ := m.EventStream()
	if ev.LastSeq == 0 || !m.Audit.OK || len(m.Streams) != 2 {
		t.Fatalf("manifest %+v", m)
	}
	file := filepath.Join(t.TempDir(), "cluster.backup")
	if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	source := storedLog(t, d, m.Audit.LastPossible())
	if err := d.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "restored")
	res, err := Restore(context.Background(), RestoreConfig{DataDir: dir, File: file})
	if err != nil {
		t.Fatal(err)
	}
	if point, ok := m.Audit.At(res.LastPosition); !ok || res.Verify.Head != point.Head || !res.Verify.OK {
		t.Fatalf("restore %+v, manifest %+v", res, m.Audit)
	}
	d2 := startDemo(t, Config{DataDir: dir, SigningKeyFile: filepath.Join(srcDir, "signing.key"), AuthFile: filepath.Join(srcDir, "tokens.json")})
	sameLog(t, storedLog(t, d2, res.LastPosition), source[:res.LastPosition])
	var v services.VerifyResult
	if code := getJSON(t, d2, d2.Token("riksrevisjonen"), "/v1/audit/verify", &v); code != 200 || !v.OK || v.Head != res.Verify.Head {
		t.Fatalf("verify after restore: %d %+v", code, v)
	}
}
