package daemon

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ehelse/portfolio/eventlog"
	"github.com/ehelse/portfolio/eventstore"
)

// testInbox is the inbox prefix of TestSubscribers' subscriber connection.
const testInbox = "_INBOX.roadmap-site"

// TestSubscribers: the embedded server's listener lets the token file's
// subscriber users read the stream and do nothing else.
func TestSubscribers(t *testing.T) {
	d := startDemo(t, Config{NATSListen: "127.0.0.1:0"})
	natsURL := d.NATSURL()
	if natsURL == "" {
		t.Fatal("no NATS listener")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	stream := d.cfg.Stream

	// Anonymous connections and wrong passwords are refused.
	if nc, err := nats.Connect(natsURL, nats.MaxReconnects(0)); err == nil {
		nc.Close()
		t.Fatal("anonymous connection accepted")
	}
	if nc, err := nats.Connect(natsURL, nats.UserInfo("subscriber", "wrong"), nats.MaxReconnects(0)); err == nil {
		nc.Close()
		t.Fatal("wrong password accepted")
	}

	// Errors the server reports asynchronously (permission violations).
	violations := make(chan error, 100)
	nc, err := nats.Connect(natsURL, nats.UserInfo("subscriber", d.Token("subscriber")),
		nats.CustomInboxPrefix(testInbox),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			select {
			case violations <- err:
			default:
			}
		}))
	if err != nil {
		t.Fatalf("subscriber connection: %v", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}

	// A subscriber listening on every inbox it may subscribe to hears
	// none of the product's replies (its KV buckets, stream info): the
	// in-process connection's inbox prefix is not _INBOX.
	spy, err := nats.Connect(natsURL, nats.UserInfo("subscriber", d.Token("subscriber")))
	if err != nil {
		t.Fatal(err)
	}
	defer spy.Close()
	overheard, err := spy.SubscribeSync("_INBOX.>")
	if err != nil {
		t.Fatal(err)
	}
	if err := spy.Flush(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		for {
			m, err := overheard.NextMsg(100 * time.Millisecond)
			if err != nil {
				return
			}
			// The other subscriber connection below, the one under test,
			// uses inboxes under its own prefix; messages of the stream
			// delivered to a consumer (any subscriber may read those)
			// keep their own subject and carry an ack reply.
			if !strings.HasPrefix(m.Subject, testInbox+".") && !strings.HasPrefix(m.Reply, "$JS.ACK.") {
				t.Errorf("a subscriber overheard a reply on %s: %.80q", m.Subject, m.Data)
			}
		}
	}()

	// The product's view, to check that nothing changes.
	own, err := d.js.Stream(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	info0, err := own.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// A durable consumer of another service, which the subscriber must not
	// be able to delete.
	if _, err := own.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{Durable: "warehouse", AckPolicy: jetstream.AckExplicitPolicy}); err != nil {
		t.Fatal(err)
	}

	// Reading: stream info, a consumer of its own, fetch and ack, get.
	s, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatalf("stream info: %v", err)
	}
	if s.CachedInfo().State.LastSeq != info0.State.LastSeq {
		t.Fatalf("stream info %+v", s.CachedInfo().State)
	}
	cons, err := s.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{Durable: "roadmap-site", AckPolicy: jetstream.AckExplicitPolicy,
		FilterSubject: "portfolio.events.initiative.>"})
	if err != nil {
		t.Fatalf("create consumer: %v", err)
	}
	batch, err := cons.Fetch(5, jetstream.FetchMaxWait(5*time.Second))
	if err != nil {
		t.Fatalf("fetch: %v", err)
	}
	n := 0
	for m := range batch.Messages() {
		if !strings.HasPrefix(m.Subject(), "portfolio.events.initiative.") {
			t.Errorf("subject %s", m.Subject())
		}
		if err := m.DoubleAck(ctx); err != nil {
			t.Errorf("ack: %v", err)
		}
		n++
	}
	if batch.Error() != nil || n != 5 {
		t.Fatalf("fetched %d, %v", n, batch.Error())
	}
	if ci, err := cons.Info(ctx); err != nil || ci.AckFloor.Consumer != 5 {
		t.Fatalf("consumer info %+v %v", ci, err)
	}
	if m, err := s.GetMsg(ctx, 1); err != nil || !strings.HasPrefix(m.Subject, "portfolio.events.") {
		t.Fatalf("get message 1: %v", err)
	}
	if m, err := s.GetLastMsgForSubject(ctx, "portfolio.events.initiative.>"); err != nil || m.Sequence == 0 {
		t.Fatalf("get last message: %v", err)
	}
	// An ordered consumer (what the projections use).
	oc, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{"portfolio.events.strategy.>"}})
	if err != nil {
		t.Fatalf("ordered consumer: %v", err)
	}
	if m, err := oc.Next(jetstream.FetchMaxWait(5 * time.Second)); err != nil || !strings.HasPrefix(m.Subject(), "portfolio.events.strategy.") {
		t.Fatalf("ordered consumer next: %v", err)
	}
	// And the product's own reader works over the subscriber's connection.
	sub, err := eventstore.Open(ctx, js, eventstore.Config{Stream: stream})
	if err == nil {
		t.Log("eventstore.Open succeeded (the stream matched)")
		if recs, err := sub.Read(ctx, 0, 10); err != nil || len(recs) != 10 {
			t.Errorf("read: %d, %v", len(recs), err)
		}
	}

	// Writing: every attempt is refused.
	short := func() (context.Context, context.CancelFunc) { return context.WithTimeout(ctx, 2*time.Second) }
	refused := func(what string, err error) {
		t.Helper()
		if err == nil {
			t.Errorf("%s: not refused", what)
		}
	}
	c, cc := short()
	_, err = js.Publish(c, eventlog.Subject("initiative", "01JFORGED", "StatusReported"), []byte(`{"specversion":"1.0"}`))
	cc()
	refused("publish into the stream", err)
	_ = nc.Publish("portfolio.events.case.x.CaseApproved", []byte(`{}`))
	_ = nc.Flush()
	c, cc = short()
	refused("delete the stream", js.DeleteStream(c, stream))
	cc()
	c, cc = short()
	refused("purge the stream", s.Purge(c))
	cc()
	c, cc = short()
	cfg := info0.Config
	cfg.DenyDelete, cfg.DenyPurge, cfg.Description = false, false, "hijacked"
	_, err = js.UpdateStream(c, cfg)
	cc()
	refused("update the stream", err)
	c, cc = short()
	refused("delete a message", s.DeleteMsg(c, 1))
	cc()
	c, cc = short()
	refused("delete another's consumer", s.DeleteConsumer(c, "warehouse"))
	cc()
	c, cc = short()
	_, err = js.CreateStream(c, jetstream.StreamConfig{Name: "MINE", Subjects: []string{"mine.>"}})
	cc()
	refused("create a stream", err)
	_ = nc.Publish("$JS.API.STREAM.PURGE."+stream, nil)
	_ = nc.Flush()

	// Nothing reached the log or changed the stream.
	info1, err := own.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info1.State.LastSeq != info0.State.LastSeq || info1.State.Msgs != info0.State.Msgs {
		t.Fatalf("the stream changed: %+v → %+v", info0.State, info1.State)
	}
	if !info1.Config.DenyDelete || !info1.Config.DenyPurge || info1.Config.Description != info0.Config.Description {
		t.Fatalf("the stream config changed: %+v", info1.Config)
	}
	if _, err := own.Consumer(ctx, "warehouse"); err != nil {
		t.Fatalf("the other consumer is gone: %v", err)
	}
	if _, err := d.js.Stream(ctx, "MINE"); !errors.Is(err, jetstream.ErrStreamNotFound) {
		t.Fatalf("stream MINE: %v", err)
	}
	if len(violations) == 0 {
		t.Error("the server reported no permission violation")
	}

	// The two events of an approval are adjacent, also through a filtered
	// consumer: every InitiativeAdmitted or InitiativePhaseChanged comes
	// right after its CaseApproved (or CaseRejected/InitiativeRejected).
	pair, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{
		"portfolio.events.case.*.CaseApproved", "portfolio.events.case.*.CaseRejected",
		"portfolio.events.initiative.*.InitiativeAdmitted", "portfolio.events.initiative.*.InitiativePhaseChanged",
		"portfolio.events.initiative.*.InitiativeRejected",
	}})
	if err != nil {
		t.Fatal(err)
	}
	var prevSubj string
	var prevSeq uint64
	pairs := 0
	for {
		m, err := pair.Next(jetstream.FetchMaxWait(2 * time.Second))
		if errors.Is(err, jetstream.ErrMsgNotFound) || errors.Is(err, nats.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		md, _ := m.Metadata()
		name := m.Subject()[strings.LastIndexByte(m.Subject(), '.')+1:]
		switch name {
		case "InitiativeAdmitted", "InitiativePhaseChanged", "InitiativeRejected":
			want := "CaseApproved"
			if name == "InitiativeRejected" {
				want = "CaseRejected"
			}
			if !strings.HasSuffix(prevSubj, "."+want) || md.Sequence.Stream != prevSeq+1 {
				t.Errorf("%s at %d follows %s at %d", m.Subject(), md.Sequence.Stream, prevSubj, prevSeq)
			}
			pairs++
		}
		prevSubj, prevSeq = m.Subject(), md.Sequence.Stream
		if md.NumPending == 0 {
			break
		}
	}
	if pairs == 0 {
		t.Fatal("the demo has no approval pairs")
	}
}
