package projections

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	bolt "go.etcd.io/bbolt"

	"github.com/ehelse/portfolio/audit"
	"github.com/ehelse/portfolio/eventstore"
	"github.com/ehelse/portfolio/eventstore/natstest"
)

// The verified prefix (verified.go): a rebuild that trusts the record of
// the file it replaces must end with the same file and the same rejections
// as one that checks every signature, whatever was done to the log since
// the record was written.

const (
	logMatched    = "the log matches the verified record"
	logMismatched = "the log does not match the verified record"
	logFull       = "rebuilding with every signature checked"
)

var notCheckedLine = regexp.MustCompile(`verifiedThrough=(\d+) notChecked=(\d+)`)

// trustedPrefix returns the position and the number of signatures not
// checked from the log line of a confirmed prefix (ok false: none).
func trustedPrefix(logs string) (through, notChecked uint64, ok bool) {
	for _, l := range strings.Split(logs, "\n") {
		if !strings.Contains(l, logMatched) {
			continue
		}
		if m := notCheckedLine.FindStringSubmatch(l); m != nil {
			through, _ = strconv.ParseUint(m[1], 10, 64)
			notChecked, _ = strconv.ParseUint(m[2], 10, 64)
			return through, notChecked, true
		}
	}
	return 0, 0, false
}

// recordOf reads the verified record of a file.
func recordOf(t *testing.T, path string) verifiedRecord {
	t.Helper()
	db, err := bolt.Open(path, 0o644, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var r verifiedRecord
	var ok bool
	_ = db.View(func(tx *bolt.Tx) error { r, ok = readVerified(tx); return nil })
	if !ok {
		t.Fatalf("%s has no verified record", path)
	}
	return r
}

// patchFile changes a file's verified record and checkpoint.
func patchFile(t *testing.T, path string, record func(*verifiedRecord), meta map[string][]byte) {
	t.Helper()
	db, err := bolt.Open(path, 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		if record != nil {
			r, ok := readVerified(tx)
			if !ok {
				return fmt.Errorf("no record")
			}
			record(&r)
			data, _ := json.Marshal(r)
			if err := tx.Bucket([]byte(BucketVerified)).Put(verifiedKey, data); err != nil {
				return err
			}
		}
		for k, v := range meta {
			if err := tx.Bucket([]byte(BucketMeta)).Put([]byte(k), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// buildLogged runs BuildFile into path and returns its log.
func buildLogged(t *testing.T, js jetstream.JetStream, pub ed25519.PublicKey, path string) string {
	t.Helper()
	var logs syncBuffer
	cfg := Config{Logger: slog.New(slog.NewTextHandler(&logs, nil)), TrustedKeys: []ed25519.PublicKey{pub}}
	if err := cfg.BuildFile(context.Background(), js, path, nil); err != nil {
		t.Fatal(err)
	}
	return logs.String()
}

// TestVerifiedPrefixRebuildAgrees: rebuilds that trust the verified record
// (BuildFile over an existing file; Rebuild of a file the runner wrote,
// with events after its record; the runner's rebuild after a schema
// change) give the read models and the rejections — including those of
// events rejected within the prefix — of verifying every event in turn,
// and do skip the signature checks of the prefix.
func TestVerifiedPrefixRebuildAgrees(t *testing.T) {
	_, _, js := natstest.RunServer(t)
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	ctx := context.Background()
	dir := t.TempDir()
	var mid uint64
	head := forgedLog(t, js, key, func() {
		// The runner follows the first half, then stops.
		stream, err := js.Stream(ctx, DefaultStream)
		if err != nil {
			t.Fatal(err)
		}
		info, _ := stream.Info(ctx)
		mid = info.State.LastSeq
		rn := startModels(t, js, Config{Dir: dir, BatchSize: 11, TrustedKeys: []ed25519.PublicKey{pub}})
		waitPos(t, rn.m, mid)
		rn.stop(t)
	})
	want, wantRejects := verifyInTurn(t, js, audit.NewKeyring(pub))
	var inPrefix int
	for _, r := range wantRejects {
		if p, _ := strconv.ParseUint(strings.TrimPrefix(strings.Fields(r)[0], "position="), 10, 64); p <= mid {
			inPrefix++
		}
	}
	if inPrefix < 5 || len(wantRejects) <= inPrefix {
		t.Fatalf("%d of %d rejections up to position %d: the log does not test both sides", inPrefix, len(wantRejects), mid)
	}
	live := filepath.Join(dir, FileName)
	if r := recordOf(t, live); r.Position != mid || r.Events != mid {
		t.Fatalf("the runner's record %+v, want position and events %d", r, mid)
	}

	// Rebuild of the runner's file: trusted up to mid, checked after.
	var logs syncBuffer
	m, err := Open(ctx, js, Config{Dir: dir, TrustedKeys: []ed25519.PublicKey{pub}, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Rebuild(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if got := m.dump(t); got != want {
		t.Fatal("Rebuild trusting the runner's record differs from verifying each event in turn")
	}
	if got := rejections(logs.String()); !slices.Equal(got, wantRejects) {
		t.Fatalf("Rebuild rejected\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantRejects, "\n"))
	}
	through, notChecked, ok := trustedPrefix(logs.String())
	if !ok || through != mid || notChecked < mid/2 || notChecked >= mid {
		t.Fatalf("trusted through %d, %d signatures not checked (ok %v), want through %d:\n%s", through, notChecked, ok, mid, logs.String())
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if r := recordOf(t, live); r.Position != head || r.Events != head {
		t.Fatalf("the rebuilt file's record %+v, want position %d", r, head)
	}

	// BuildFile over that file, at its sizes and with tiny ones.
	for _, tiny := range []bool{false, true} {
		if tiny {
			defer tinyRebuilds()()
		}
		out := buildLogged(t, js, pub, live)
		if got := dumpFile(t, live); got != want {
			t.Fatalf("BuildFile trusting the record differs from verifying each event in turn (tiny %v)", tiny)
		}
		if got := rejections(out); !slices.Equal(got, wantRejects) {
			t.Fatalf("BuildFile rejected\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantRejects, "\n"))
		}
		if through, notChecked, ok := trustedPrefix(out); !ok || through != head || notChecked < head/2 {
			t.Fatalf("tiny %v: trusted through %d, %d not checked (ok %v), want through %d:\n%s", tiny, through, notChecked, ok, head, out)
		}
		if strings.Contains(out, logMismatched) {
			t.Fatalf("a mismatch on an unchanged log:\n%s", out)
		}
	}

	// After a schema change the runner rebuilds, trusting the old file's
	// record.
	patchFile(t, live, nil, map[string][]byte{metaSchema: []byte(strconv.Itoa(SchemaVersion - 1))})
	logs = syncBuffer{}
	rn := startModels(t, js, Config{Dir: dir, TrustedKeys: []ed25519.PublicKey{pub}, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	waitPos(t, rn.m, head)
	if got := rn.m.dump(t); got != want {
		t.Fatal("the runner's rebuild after a schema change differs from verifying each event in turn")
	}
	if through, _, ok := trustedPrefix(logs.String()); !ok || through != head {
		t.Fatalf("the schema rebuild did not trust the record through %d:\n%s", head, logs.String())
	}
}

// copyLog copies the stream of src into a new stream of dst, message by
// message (the same positions, subjects, payloads and signature headers),
// letting edit change or drop messages first, and returns dst's head.
func copyLog(t *testing.T, src, dst jetstream.JetStream, edit func(msgs []*nats.Msg) []*nats.Msg) uint64 {
	t.Helper()
	ctx := context.Background()
	// The product's stream, but one the test may delete from.
	sc := eventstore.StreamConfig(eventstore.Config{})
	sc.DenyDelete = false
	if _, err := dst.CreateStream(ctx, sc); err != nil {
		t.Fatal(err)
	}
	stream, err := src.Stream(ctx, DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	info, _ := stream.Info(ctx)
	var msgs []*nats.Msg
	for seq := uint64(1); seq <= info.State.LastSeq; seq++ {
		m, err := stream.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		n := nats.NewMsg(m.Subject)
		n.Data = m.Data
		if sig := m.Header.Get(audit.SignatureHeader); sig != "" {
			n.Header.Set(audit.SignatureHeader, sig)
		}
		msgs = append(msgs, n)
	}
	if edit != nil {
		msgs = edit(msgs)
	}
	var head uint64
	for _, n := range msgs {
		ack, err := dst.PublishMsg(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		head = ack.Sequence
	}
	return head
}

// TestVerifiedPrefixCatchesTampering: the log is changed after the record
// was written — an event altered, re-signed, removed, moved, added; the
// record forged or beyond the log; the stream replaced — and the rebuild
// that finds the record ends as a rebuild checking every signature does,
// having said why it fell back.
func TestVerifiedPrefixCatchesTampering(t *testing.T) {
	_, _, js := natstest.RunServer(t)
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	_, stranger, _ := ed25519.GenerateKey(rand.Reader)
	keys := audit.NewKeyring(pub)
	ctx := context.Background()
	head := forgedLog(t, js, key, nil)
	built := filepath.Join(t.TempDir(), FileName)
	_ = buildLogged(t, js, pub, built)
	orig := recordOf(t, built)

	// k: a genuine initiative event in the middle, which every check
	// passes.
	stream, _ := js.Stream(ctx, DefaultStream)
	var k uint64
	for seq := head / 3; seq < head && k == 0; seq++ {
		m, err := stream.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		ev := audit.Event{Position: seq, Subject: m.Subject, Payload: m.Data, Signature: m.Header.Get(audit.SignatureHeader)}
		if _, err := audit.Inspect(keys, ev); err == nil && strings.Contains(m.Subject, ".initiative.") && bytes.Contains(m.Data, []byte(`"actor":"`)) {
			k = seq
		}
	}
	if k == 0 {
		t.Fatal("no genuine event to tamper with")
	}
	at := k - 1 // index of position k in the copied messages
	alter := func(msgs []*nats.Msg) []*nats.Msg {
		msgs[at].Data = bytes.Replace(msgs[at].Data, []byte(`"actor":"`), []byte(`"actor":"Y`), 1)
		return msgs
	}

	cases := []struct {
		name string
		edit func([]*nats.Msg) []*nats.Msg
		// after: run on the copy's stream after copying
		after func(t *testing.T, js jetstream.JetStream)
		// record changes the copied file's record (after its stream
		// identity was set to the copy's)
		record func(*verifiedRecord)
		// keepIdentity: the record keeps the original stream's identity
		keepIdentity bool
		// rejected: a position full verification must reject
		rejected uint64
		why      string // what the log says about falling back
	}{
		{name: "payload altered", edit: alter, rejected: k, why: logMismatched},
		{name: "signature header replaced", edit: func(msgs []*nats.Msg) []*nats.Msg {
			msgs[at].Header.Set(audit.SignatureHeader, audit.Sign(stranger, audit.HashEvent(msgs[at].Data)))
			return msgs
		}, rejected: k, why: logMismatched},
		{name: "signature header removed", edit: func(msgs []*nats.Msg) []*nats.Msg {
			msgs[at].Header.Del(audit.SignatureHeader)
			return msgs
		}, rejected: k, why: logMismatched},
		{name: "event removed", after: func(t *testing.T, js jetstream.JetStream) {
			s, _ := js.Stream(context.Background(), DefaultStream)
			if err := s.DeleteMsg(context.Background(), k); err != nil {
				t.Fatal(err)
			}
		}, why: logMismatched},
		{name: "events reordered", edit: func(msgs []*nats.Msg) []*nats.Msg {
			msgs[at], msgs[at+1] = msgs[at+1], msgs[at]
			return msgs
		}, why: logMismatched},
		{name: "event inserted", edit: func(msgs []*nats.Msg) []*nats.Msg {
			return slices.Insert(msgs, int(at), msgs[at+5])
		}, why: logMismatched},
		{name: "record digest forged", record: func(r *verifiedRecord) {
			r.Digest = audit.HashEvent([]byte("forged")).String()
		}, why: logMismatched},
		{name: "record beyond the log", record: func(r *verifiedRecord) {
			r.Position, r.Events = r.Position+3, r.Events+3
		}, why: logMismatched},
		{name: "record count forged", record: func(r *verifiedRecord) {
			r.Events--
		}, why: logMismatched},
		{name: "stream replaced", edit: alter, keepIdentity: true, rejected: k, why: logFull},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, js2 := natstest.RunServer(t)
			copyLog(t, js, js2, c.edit)
			if c.after != nil {
				c.after(t, js2)
			}
			want, wantRejects := verifyInTurn(t, js2, keys)
			if c.rejected != 0 && !slices.ContainsFunc(wantRejects, func(r string) bool {
				return strings.HasPrefix(r, fmt.Sprintf("position=%d ", c.rejected))
			}) {
				t.Fatalf("full verification does not reject position %d: %v", c.rejected, wantRejects)
			}
			path := filepath.Join(t.TempDir(), FileName)
			copyFile(t, built, path)
			s2, _ := js2.Stream(ctx, DefaultStream)
			info, _ := s2.Info(ctx)
			patchFile(t, path, func(r *verifiedRecord) {
				if !c.keepIdentity {
					r.StreamCreated = streamCreated(info)
				}
				if c.record != nil {
					c.record(r)
				}
			}, nil)
			out := buildLogged(t, js2, pub, path)
			if !strings.Contains(out, c.why) {
				t.Fatalf("the build did not say %q:\n%s", c.why, out)
			}
			if c.why == logFull && strings.Contains(out, logMismatched) {
				t.Fatalf("the build compared with a record of another stream:\n%s", out)
			}
			if _, _, ok := trustedPrefix(out); ok {
				t.Fatalf("the build trusted the record:\n%s", out)
			}
			if got := dumpFile(t, path); got != want {
				t.Fatal("the read models differ from verifying each event in turn")
			}
			// The rejections logged after the fallback (the abandoned
			// build logs none).
			if got := rejections(out); !slices.Equal(got, wantRejects) {
				t.Fatalf("rejected\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantRejects, "\n"))
			}
			if r := recordOf(t, path); r.Digest == orig.Digest && c.edit != nil {
				t.Fatal("the rebuilt file kept the old digest")
			}
		})
	}
}
