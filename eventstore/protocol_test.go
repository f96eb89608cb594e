package eventstore

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/eventlog"
	"github.com/ehelse/portfolio/eventstore/natstest"
)

// TestRetriedPublishAnswers records how the server answers a retried
// publish of an already stored command, on R1 and on R3, and checks that
// the answer is one Append turns into a Duplicate result. Measured with
// nats-server 2.15.2: a single publish with an expectation gets "wrong last
// sequence" (10071) on R1, where the expectation is checked before the
// message id, and a duplicate ack on R3, where the message id is checked
// first; an atomic batch gets "batch contains duplicate message" (10201) on
// both.
func TestRetriedPublishAnswers(t *testing.T) {
	run := func(t *testing.T, js jetstream.JetStream, replicas int) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		s, err := Open(ctx, js, Config{Replicas: replicas, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{1, 2} {
			id := strings.ToLower(time.Now().Format("150405.000000000"))
			id = strings.ReplaceAll(id, ".", "")
			a := eventlog.AggregateAppend{Type: "case", ID: id}
			for range n {
				a.Events = append(a.Events, eventlog.NewEvent{ID: "E", Type: "CaseNoted", Data: json.RawMessage(`{}`)})
			}
			meta := eventlog.Meta{CommandID: "cmd-" + id}
			if _, err := s.Append(ctx, meta, a); err != nil {
				t.Fatal(err)
			}
			// Send the same messages again, as Append would on a retry.
			plan, err := s.plan(meta, []eventlog.AggregateAppend{a}, []string{""})
			if err != nil {
				t.Fatal(err)
			}
			var ack *pubAck
			if n == 1 {
				ack, err = s.publish(ctx, plan[0].msg)
			} else {
				ack, err = s.publishBatch(ctx, plan)
			}
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case ack.Duplicate:
				t.Logf("R%d, %d event(s): duplicate ack (seq %d)", replicas, n, ack.Seq)
			case ack.Error != nil:
				t.Logf("R%d, %d event(s): error %d %q", replicas, n, ack.Error.ErrCode, ack.Error.Description)
				switch ack.Error.ErrCode {
				case codeWrongLastSequence, codeWrongLastSequenceConst, codeBatchDuplicate:
				default:
					t.Errorf("unexpected answer %v", ack.Error)
				}
			default:
				t.Fatalf("R%d: the retry was stored again: %+v", replicas, ack)
			}
			res, err := s.Append(ctx, meta, a)
			if err != nil || !res.Duplicate {
				t.Fatalf("Append retry: %+v, %v", res, err)
			}
		}
	}
	t.Run("R1", func(t *testing.T) {
		_, _, js := natstest.RunServer(t)
		run(t, js, 1)
	})
	t.Run("R3", func(t *testing.T) {
		if testing.Short() {
			t.Skip("cluster test")
		}
		c := natstest.RunCluster(t, 3)
		_, js := c.Connect(t)
		run(t, js, 3)
	})
}

// TestUnavailable: with the server gone every call fails with
// ErrUnavailable (kind unavailable) within its context.
func TestUnavailable(t *testing.T) {
	srv, _, js := natstest.RunServer(t)
	ctx := context.Background()
	s, err := Open(ctx, js, Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv.Shutdown()
	srv.WaitForShutdown()

	check := func(name string, err error) {
		t.Helper()
		if !errors.Is(err, eventlog.ErrUnavailable) || !domain.IsKind(err, domain.KindUnavailable) {
			t.Errorf("%s: %v, want ErrUnavailable", name, err)
		}
	}
	short := func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(ctx, 300*time.Millisecond)
	}
	c, cancel := short()
	_, err = s.Append(c, eventlog.Meta{CommandID: "x"}, eventlog.AggregateAppend{Type: "case", ID: "c", Events: []eventlog.NewEvent{{Type: "CaseNoted", Data: json.RawMessage(`{}`)}}})
	cancel()
	check("Append", err)
	c, cancel = short()
	_, err = s.Append(c, eventlog.Meta{CommandID: "y"}, eventlog.AggregateAppend{Type: "case", ID: "c", Events: []eventlog.NewEvent{
		{Type: "CaseNoted", Data: json.RawMessage(`{}`)}, {Type: "CaseNoted", Data: json.RawMessage(`{}`)}}})
	cancel()
	check("Append batch", err)
	c, cancel = short()
	_, err = s.Load(c, "case", "c", 0)
	cancel()
	check("Load", err)
	c, cancel = short()
	_, err = s.LastPosition(c, "case", "c")
	cancel()
	check("LastPosition", err)
	c, cancel = short()
	_, err = s.Head(c)
	cancel()
	check("Head", err)
	c, cancel = short()
	_, err = s.Read(c, 0, 10)
	cancel()
	check("Read", err)
	c, cancel = short()
	_, err = Open(c, js, Config{})
	cancel()
	check("Open", err)
}

// TestOpenExistingStream: Open fixes what is safe to update and refuses
// what is not, saying what differs.
func TestOpenExistingStream(t *testing.T) {
	_, _, js := natstest.RunServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	quiet := slog.New(slog.DiscardHandler)

	// Missing safe settings are added.
	_, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "OLD", Subjects: []string{"portfolio.events.>"}, Storage: jetstream.FileStorage})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, js, Config{Stream: "OLD", Logger: quiet}); err != nil {
		t.Fatalf("Open: %v", err)
	}
	st, err := js.Stream(ctx, "OLD")
	if err != nil {
		t.Fatal(err)
	}
	cfg := st.CachedInfo().Config
	if !cfg.DenyDelete || !cfg.DenyPurge || !cfg.AllowDirect || !cfg.AllowAtomicPublish || cfg.Duplicates != DefaultDuplicates {
		t.Fatalf("not updated: %+v", cfg)
	}
	if err := js.DeleteStream(ctx, "OLD"); err != nil {
		t.Fatal(err)
	}

	// What cannot be fixed is reported.
	_, err = js.CreateStream(ctx, jetstream.StreamConfig{Name: "BAD", Subjects: []string{"portfolio.events.>", "other.>"},
		Storage: jetstream.MemoryStorage, MaxAge: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(ctx, js, Config{Stream: "BAD", Logger: quiet})
	if !errors.Is(err, ErrStreamMismatch) {
		t.Fatalf("Open: %v, want ErrStreamMismatch", err)
	}
	for _, want := range []string{"subjects", "storage is Memory", "max age"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if _, err := Open(ctx, js, Config{Stream: "a.b"}); !domain.IsKind(err, domain.KindInvalid) {
		t.Errorf("Open with stream a.b: %v", err)
	}
}
