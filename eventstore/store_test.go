package eventstore_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ehelse/portfolio/eventlog"
	"github.com/ehelse/portfolio/eventstore"
	"github.com/ehelse/portfolio/eventstore/natstest"
)

var quiet = slog.New(slog.DiscardHandler)

// TestStoreR1 runs the suite against a single server (an R1 stream).
func TestStoreR1(t *testing.T) {
	srv, _, _ := natstest.RunServer(t)
	runStoreSuite(t, eventstore.Config{Logger: quiet}, func(t *testing.T) jetstream.JetStream {
		_, js := natstest.Connect(t, srv.ClientURL())
		return js
	})
}

// TestStoreR3 runs the suite against an R3 stream on a three-node cluster,
// then stops a node and keeps appending.
func TestStoreR3(t *testing.T) {
	if testing.Short() {
		t.Skip("cluster test")
	}
	c := natstest.RunCluster(t, 3)
	cfg := eventstore.Config{Replicas: 3, Logger: quiet}
	runStoreSuite(t, cfg, func(t *testing.T) jetstream.JetStream {
		_, js := c.Connect(t)
		return js
	})

	for _, which := range []string{"follower", "leader"} {
		t.Run("StopStream"+which, func(t *testing.T) {
			_, js := c.Connect(t)
			ctx := testCtx(t)
			s, err := eventstore.Open(ctx, js, cfg)
			if err != nil {
				t.Fatal(err)
			}
			id := newID()
			r := mustAppend(t, s, meta("c-"+newID()), agg("initiative", id, 0, 0, "InitiativeProposed"))
			leader := c.WaitStreamLeader(s.StreamName(), 10*time.Second)
			if leader < 0 {
				t.Fatal("no stream leader")
			}
			stop := leader
			if which == "follower" {
				stop = (leader + 1) % len(c.Servers)
			}
			c.Stop(stop)
			t.Cleanup(func() {
				c.Restart(stop)
				c.WaitReady(30 * time.Second)
			})

			start := time.Now()
			v, pos := r.Events[0].Version, r.Events[0].Position
			unavailable := 0
			for i := range 10 {
				deadline := time.Now().Add(20 * time.Second)
				for {
					ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
					res, err := s.Append(ctx, meta("c-"+newID()), agg("initiative", id, v, pos, "StatusReported"))
					cancel()
					if err == nil {
						v, pos = res.Events[0].Version, res.Events[0].Position
						break
					}
					if !errors.Is(err, eventlog.ErrUnavailable) || time.Now().After(deadline) {
						t.Fatalf("append %d after stopping the stream %s: %v", i, which, err)
					}
					unavailable++
					time.Sleep(100 * time.Millisecond) // a client pausing before its retry while the stream elects a leader
				}
			}
			t.Logf("stopped the stream %s (server %d): 10 appends in %s, %d unavailable answers retried",
				which, stop, time.Since(start).Round(time.Millisecond), unavailable)
			recs := mustLoad(t, s, "initiative", id, 0)
			if len(recs) != 11 || recs[10].Version != 11 {
				t.Fatalf("%d events after the stop", len(recs))
			}
		})
	}
}
