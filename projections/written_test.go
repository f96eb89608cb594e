package projections

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/ehelse/portfolio/audit"
	"github.com/ehelse/portfolio/eventlog"
	"github.com/ehelse/portfolio/eventstore"
	"github.com/ehelse/portfolio/eventstore/natstest"
)

// TestWrittenSkipsOnlyTheSignatureCheck: the runner takes the record of
// what this process wrote (eventlog.Written) as the verdict of a
// signature check only for an event stored at the recorded position with
// the recorded payload and signature header; an event altered after it was
// written, or recorded at another position, is verified in full and
// rejected; and a vouched event's chain is still checked.
func TestWrittenSkipsOnlyTheSignatureCheck(t *testing.T) {
	ctx := context.Background()
	_, _, js := natstest.RunServer(t)
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	store, err := eventstore.Open(ctx, js, eventstore.Config{Logger: quietLogger(), Signer: priv})
	if err != nil {
		t.Fatal(err)
	}
	written := store.Written()
	if written == nil {
		t.Fatal("a store with a signer keeps no record of what it wrote")
	}
	encode := func(id string, version uint64, prev string) []byte {
		t.Helper()
		b, err := eventlog.EncodeEvent(eventlog.DefaultSource, eventlog.Meta{CommandID: "c-" + id, Actor: "t"}, "case", id, version, prev,
			eventlog.NewEvent{ID: fmt.Sprintf("01JDTEST%018d", len(id)+int(version)), Type: "CaseNoted", Data: []byte(`{}`)})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	// put stores payload with signature header sig straight into the
	// stream (as whoever can write to it could) and returns its position.
	put := func(id string, payload []byte, sig string) uint64 {
		t.Helper()
		m := nats.NewMsg(eventlog.Subject("case", id, "CaseNoted"))
		m.Data = payload
		m.Header.Set(audit.SignatureHeader, sig)
		ack, err := js.PublishMsg(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		return ack.Sequence
	}
	// A signature by the trusted key over something else: invalid for
	// the event it is put on.
	badSig := audit.Sign(priv, audit.HashEvent([]byte("something else")))

	// 1: appended by the store itself; the record vouches for it.
	res, err := store.Append(ctx, eventlog.Meta{CommandID: "c1", Actor: "t"}, eventlog.AggregateAppend{Type: "case", ID: "a",
		Events: []eventlog.NewEvent{{Type: "CaseNoted", Data: []byte(`{}`)}}})
	if err != nil {
		t.Fatal(err)
	}
	p1 := res.Events[0].Position
	// 2: this process wrote (and recorded) one event here, but the stream
	// holds another payload under the same signature header: altered.
	original := encode("b", 1, "")
	sigOriginal := audit.Sign(priv, audit.HashEvent(original))
	altered := encode("bb", 1, "")
	p2 := put("bb", altered, sigOriginal)
	written.Add(p2, audit.HashEvent(original), sigOriginal)
	// 3: the record holds exactly these bytes, but at another position.
	third := encode("c", 1, "")
	p3 := put("c", third, badSig)
	written.Add(p3+100, audit.HashEvent(third), badSig)
	// 4: the record holds exactly these bytes at this position: the
	// signature is not checked again, so even a bad one passes. (Only
	// this process's own appends are recorded, so this cannot happen
	// but by a test; it shows that the check is the one skipped.)
	fourth := encode("d", 1, "")
	p4 := put("d", fourth, badSig)
	written.Add(p4, audit.HashEvent(fourth), badSig)
	// 5: vouched for, but it does not continue its aggregate's chain
	// (case/a is at version 1; this says version 3 after nothing).
	fifth := encode("a", 3, audit.HashEvent([]byte("x")).String())
	sigFifth := audit.Sign(priv, audit.HashEvent(fifth))
	p5 := put("a", fifth, sigFifth)
	written.Add(p5, audit.HashEvent(fifth), sigFifth)
	if p5 != 5 {
		t.Fatalf("positions %d %d %d %d %d", p1, p2, p3, p4, p5)
	}

	var logs syncBuffer
	m, err := Open(ctx, js, Config{Dir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		TrustedKeys: []ed25519.PublicKey{pub}, Written: written})
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- m.Run(rctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		_ = m.Close()
	}()
	waitPos(t, m, p5)
	var rejected []uint64
	for _, g := range regexp.MustCompile(`rejected an event.* position=(\d+)`).FindAllStringSubmatch(logs.String(), -1) {
		n, _ := strconv.ParseUint(g[1], 10, 64)
		rejected = append(rejected, n)
	}
	slices.Sort(rejected)
	if want := []uint64{p2, p3, p5}; !slices.Equal(rejected, want) || m.Stats().Rejected != 3 {
		t.Fatalf("rejected positions %v (stats %+v), want %v\n%s", rejected, m.Stats(), want, logs.String())
	}
}
