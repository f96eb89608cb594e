package eventstore_test

import (
	"errors"
	"testing"

	"github.com/ehelse/portfolio/eventlog"
	"github.com/ehelse/portfolio/eventstore"
	"github.com/ehelse/portfolio/eventstore/natstest"
)

// TestConsumeSelected: the events of the aggregates want takes come
// decoded, as Consume gives them; the others come with only their
// position, subject parts and stored time, without being decoded — so a
// message there that is not an event does not stop the consumer, while
// one on a wanted aggregate still does.
func TestConsumeSelected(t *testing.T) {
	srv, _, _ := natstest.RunServer(t)
	_, js := natstest.Connect(t, srv.ClientURL())
	ctx := testCtx(t)
	s, err := eventstore.Open(ctx, js, eventstore.Config{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	kept, passed := newID(), newID()
	a := mustAppend(t, s, meta("cmd-"+newID()), agg("initiative", kept, 0, 0, "InitiativeProposed"))
	b := mustAppend(t, s, meta("cmd-"+newID()), agg("initiative", passed, 0, 0, "InitiativeProposed"))
	if _, err := js.Publish(ctx, eventlog.Subject("initiative", passed, "StatusReported"), []byte("not an event")); err != nil {
		t.Fatal(err)
	}
	c := mustAppend(t, s, meta("cmd-"+newID()), agg("initiative", kept, 1, a.Events[0].Position, "StatusReported"))

	var got []eventlog.Record
	stop := errors.New("seen enough")
	want := func(aggType, aggID string) bool { return aggType == "initiative" && aggID == kept }
	err = s.ConsumeSelected(ctx, 0, want, func(r eventlog.Record) error {
		got = append(got, r)
		if r.Position == c.Events[0].Position {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Fatalf("ConsumeSelected: %v", err)
	}
	if len(got) != 4 {
		t.Fatalf("%d records, want 4", len(got))
	}
	for _, w := range []struct {
		r eventlog.Record
		a eventlog.Appended
	}{{got[0], a.Events[0]}, {got[3], c.Events[0]}} {
		if w.r.Position != w.a.Position || w.r.ID != w.a.ID || w.r.Version != w.a.Version || w.r.Hash != w.a.Hash || w.r.Raw == nil {
			t.Errorf("wanted event: %+v, appended %+v", w.r, w.a)
		}
	}
	for _, r := range got[1:3] {
		if r.AggregateType != "initiative" || r.AggregateID != passed || r.Raw != nil || r.ID != "" || r.Time.IsZero() {
			t.Errorf("passed event: %+v", r)
		}
	}
	if got[1].Position != b.Events[0].Position || got[1].Type != "InitiativeProposed" || got[2].Type != "StatusReported" {
		t.Errorf("passed events: %+v, %+v", got[1], got[2])
	}

	// The same message on a wanted aggregate is reported as Consume does.
	err = s.ConsumeSelected(ctx, 0, func(string, string) bool { return true }, func(eventlog.Record) error { return nil })
	if !errors.Is(err, eventlog.ErrCorrupt) {
		t.Fatalf("ConsumeSelected over a corrupt wanted message: %v, want ErrCorrupt", err)
	}
}
