package faults

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// streamName is the product's stream.
const streamName = "PORTFOLIO"

// TestClusterStreamLeaderLoss runs two portfoliod instances (internal/daemon,
// each with its own data directory and so its own read models) on an
// in-process three-node JetStream cluster with the stream at R3, puts them
// under concurrent command load, and stops the node that leads the
// PORTFOLIO stream in the middle of it. Commands must be accepted again
// within 20 s of the stop, and nothing acknowledged may be lost: every
// acknowledged command is in the log exactly once and in the read models
// of both instances (queried with minPosition). Unacknowledged requests
// are retried with their Idempotency-Keys. The stopped node is restarted
// and the cluster must become current again.
func TestClusterStreamLeaderLoss(t *testing.T) {
	if testing.Short() {
		t.Skip("cluster formation takes several seconds")
	}
	begin := time.Now()
	cd := newClusterDaemons(t)
	c := cd.c
	ds := time.Now()
	startCtx, cancelStart := context.WithTimeout(context.Background(), 120*time.Second)
	a := cd.start(t, startCtx, "a", c.URL(), true) // records the demo data
	b := cd.start(t, startCtx, "b", c.URL(), false)
	cancelStart()
	t.Logf("two instances started (with demo data) in %s", time.Since(ds).Round(time.Millisecond))
	sek, aud := a.Token("sekretariat"), a.Token("riksrevisjonen")
	ca, cb := newClient(a.URL(), 60*time.Second), newClient(b.URL(), 60*time.Second)
	defer ca.close()
	defer cb.close()
	ca.waitReady(t, 30*time.Second)
	cb.waitReady(t, 30*time.Second)
	initiatives := inPortfolio(t, ca, 3)
	clients := []*client{ca, cb}

	leader := c.WaitStreamLeader(streamName, 10*time.Second)
	if leader < 0 {
		t.Fatal("the stream has no leader")
	}

	// The load: four clients, two on each instance. Each client sends its
	// next command when it has the answer to the last one (a 503 is
	// followed by the next command after 50 ms).
	const loadClients = 4
	led := &ledger{}
	var (
		acks     atomic.Int64
		stopAt   atomic.Int64              // unix nanos of the stop; 0 before
		progress [loadClients]atomic.Int64 // per client: unix nanos of its first ack after the stop
		after    [loadClients]atomic.Int64 // per client: acks after the stop
		failures atomic.Int64
		mu       sync.Mutex
		events   []string // what happened to requests answered after the stop
	)
	note := func(format string, args ...any) {
		mu.Lock()
		events = append(events, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	done := make(chan struct{})
	// ackWake wakes waitFor after an acknowledgement (buffered: a wake-up
	// between its check and its wait is kept).
	ackWake := make(chan struct{}, 1)
	wake := func() {
		select {
		case ackWake <- struct{}{}:
		default:
		}
	}
	var wg sync.WaitGroup
	for k := range loadClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := clients[k%2]
			for n := 0; ; n++ {
				select {
				case <-done:
					return
				default:
				}
				a := newAttempt(0, k, n, initiatives[k%len(initiatives)])
				led.add(a)
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				r, err := a.send(ctx, cl, sek)
				cancel()
				now := time.Now()
				sinceStop := time.Duration(0)
				if st := stopAt.Load(); st != 0 {
					sinceStop = now.Sub(time.Unix(0, st))
				}
				took := now.Sub(a.sentAt).Round(time.Millisecond)
				switch {
				case err == nil && r.status == http.StatusCreated:
					pos, err := checkAnswer(a, r)
					if err != nil {
						t.Error(err)
						continue
					}
					led.ack(a, pos, r.String())
					acks.Add(1)
					if sinceStop > 0 {
						after[k].Add(1)
						progress[k].CompareAndSwap(0, now.UnixNano())
						if took > time.Second {
							note("client %d: 201 after %s (%s after the stop)", k, took, sinceStop.Round(time.Millisecond))
						}
					}
					wake()
				case err != nil:
					failures.Add(1)
					led.fail(a, err.Error())
					note("client %d: no answer after %s (%s after the stop): %v", k, took, sinceStop.Round(time.Millisecond), err)
					time.Sleep(50 * time.Millisecond) // a client pausing before its next request
				case r.status >= 500:
					// Unavailable while the stream elects a new leader.
					failures.Add(1)
					led.fail(a, r.String())
					note("client %d: %d %s after %s (%s after the stop)", k, r.status, problemCode(r), took, sinceStop.Round(time.Millisecond))
					time.Sleep(50 * time.Millisecond) // a client pausing before its next request
				default:
					led.fail(a, r.String())
					t.Errorf("%s: unexpected answer %s", a.key, r)
					time.Sleep(50 * time.Millisecond) // a client pausing before its next request
				}
			}
		}()
	}
	stopLoad := func() {
		close(done)
		wg.Wait()
	}

	// Stop the stream leader after some acknowledged commands.
	waitFor := func(cond func() bool, timeout time.Duration) bool {
		deadline := time.After(timeout)
		for !cond() {
			select {
			case <-ackWake:
			case <-deadline:
				return false
			}
		}
		return true
	}
	if !waitFor(func() bool { return acks.Load() >= 20 }, 30*time.Second) {
		stopLoad()
		t.Fatalf("only %d acks within 30 s before the fault", acks.Load())
	}
	leader = c.StreamLeader(streamName)
	if leader < 0 {
		stopLoad()
		t.Fatal("the stream has no leader")
	}
	before := acks.Load()
	stop := time.Now()
	stopAt.Store(stop.UnixNano())
	c.Stop(leader)
	t.Logf("stopped stream leader S-%d after %d acks", leader+1, before)

	// Every client must get commands through again: wait until each has
	// three acks after the stop (bounded: a request stuck for the whole
	// command timeout of 30 s is answered before 35 s).
	waitFor(func() bool {
		for k := range loadClients {
			if after[k].Load() < 3 {
				return false
			}
		}
		return true
	}, 35*time.Second)
	stopLoad()
	mu.Lock()
	for _, e := range events {
		t.Log(e)
	}
	mu.Unlock()
	t.Logf("new stream leader S-%d; %d failed requests", c.StreamLeader(streamName)+1, failures.Load())
	for k := range loadClients {
		p := progress[k].Load()
		if p == 0 {
			t.Errorf("client %d: no command accepted within 35 s of stopping the stream leader", k)
			continue
		}
		took := time.Unix(0, p).Sub(stop)
		t.Logf("client %d: first command accepted %s after the stop, %d after it", k, took.Round(time.Millisecond), after[k].Load())
		if took > 20*time.Second {
			t.Errorf("client %d: commands resumed only %s after the stream leader stopped, want within 20 s", k, took.Round(time.Millisecond))
		}
	}

	// Nothing acknowledged is lost, in the log and in both instances'
	// read models; then retry what was not acknowledged.
	facts := verifyAcked(t, led, ca, aud, ca, cb)
	pending := retryUnacked(t, ca, led, sek, facts, 10*time.Second)
	verifyAcked(t, led, cb, aud, ca, cb)
	acked, unacked := led.snapshot()
	t.Logf("%d acked, %d unacked (%d pending)", len(acked), len(unacked), pending)

	// The stopped node comes back and catches up.
	c.Restart(leader)
	c.WaitReady(60 * time.Second)
	r := newClient(b.URL(), 15*time.Second)
	defer r.close()
	a2 := newAttempt(1, 0, 0, initiatives[0])
	led.add(a2)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if rep, err := a2.send(ctx, r, sek); err != nil || rep.status != http.StatusCreated {
		t.Fatalf("a command after the restart of S-%d: %v %v", leader+1, err, rep)
	} else if pos, err := checkAnswer(a2, rep); err != nil {
		t.Error(err)
	} else {
		led.ack(a2, pos, rep.String())
	}
	verifyAcked(t, led, ca, aud, ca, cb)
	t.Logf("total %s", time.Since(begin).Round(time.Millisecond))
}

// lockedWriter serialises writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  *os.File
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
