package projections

import (
	"context"
	"testing"

	"github.com/ehelse/portfolio/eventstore/natstest"
)

// TestBridgeAppliesWhatTheConsumerMissed: bridge, which the runner uses
// while its consumer is silent, reads the events after the read models'
// position with direct gets and applies them as the consumer would — in
// order, in commits of bridgeBatch —, and events a consumer then delivers
// again are dropped by unapplied.
func TestBridgeAppliesWhatTheConsumerMissed(t *testing.T) {
	_, _, js := natstest.RunServer(t)
	pub := newPublisher(t, js)
	s := randomHistory(t, 14, 300)
	half := len(s.commands) / 2
	head1 := pub.publish(s.commands[:half])

	ctx := context.Background()
	m, err := Open(ctx, js, Config{Dir: t.TempDir(), Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	stream, err := js.Stream(ctx, DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !info.Config.AllowDirect {
		t.Fatal("the stream does not allow direct gets, so bridge would need its leader")
	}
	id := identity{Name: DefaultStream, Created: streamCreated(info)}

	n, err := m.bridge(ctx, stream, id)
	if err != nil || uint64(n) != head1 || m.Position() != head1 {
		t.Fatalf("bridge applied %d (%v), position %d; want %d", n, err, m.Position(), head1)
	}
	if got, want := m.Stats().Batches, (head1+bridgeBatch-1)/bridgeBatch; got != want {
		t.Errorf("%d events in %d commits, want %d (of %d)", head1, got, want, bridgeBatch)
	}
	if n, err := m.bridge(ctx, stream, id); err != nil || n != 0 {
		t.Fatalf("bridge at the head applied %d (%v), want 0", n, err)
	}

	head2 := pub.publish(s.commands[half:])
	if n, err := m.bridge(ctx, stream, id); err != nil || uint64(n) != head2-head1 {
		t.Fatalf("bridge applied %d (%v), want %d", n, err, head2-head1)
	}
	if got, want := m.dump(t), directDump(t, s.items); got != want {
		t.Fatal("bridged read models differ from applying the events directly")
	}
	if st := m.Stats(); st.Applied+st.Skipped != head2 || st.Head != head2 || st.Lag != 0 {
		t.Fatalf("stats %+v, want %d events handled, head %d", st, head2, head2)
	}

	// A consumer that delivers the bridged events again, then new ones.
	again := s.items[head1-3 : head1+2]
	if rest := unapplied(again, head1); len(rest) != 2 || rest[0].Position != head1+1 {
		t.Fatalf("unapplied after %d kept %d items, want 2 from %d", head1, len(rest), head1+1)
	}
	if rest := unapplied(s.items[:head1], head2); len(rest) != 0 {
		t.Fatalf("unapplied kept %d items already applied", len(rest))
	}
}
