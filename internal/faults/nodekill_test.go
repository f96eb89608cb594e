package faults

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ehelse/portfolio/eventstore/natstest"
	"github.com/ehelse/portfolio/projections"
)

// maxReadLag is how far the read models may fall behind an acknowledged
// command while a node is lost: a read with minPosition at the command's
// position must answer within it, on every instance.
const maxReadLag = 3 * time.Second

// TestClusterReadModelsRideOutNodeKills runs two portfoliod instances on
// an external three-node cluster (nats-server processes, the stream at R3)
// under command load and kills each node twice in turn with SIGKILL — the
// node holding a read-model runner's consumer, the stream leader, a plain
// follower —, restarting it and waiting for the cluster to be current
// before the next kill. After every acknowledged command (position p) a
// query with minPosition=p must answer on both instances within
// maxReadLag of the acknowledgement; the worst lag of each kill is logged.
// Failed commands are retried with their Idempotency-Keys, and nothing
// acknowledged may be lost.
func TestClusterReadModelsRideOutNodeKills(t *testing.T) {
	if testing.Short() {
		t.Skip("cluster formation and elections take several seconds")
	}
	begin := time.Now()
	pc := natstest.RunProcessCluster(t, 3)
	t.Logf("cluster of nats-server processes formed in %s", time.Since(begin).Round(time.Millisecond))
	t.Cleanup(func() {
		if t.Failed() {
			for _, n := range pc.Nodes {
				t.Logf("%s log (tail):\n%s", n.Name, n.LogTail(15))
			}
		}
	})
	cd := newDaemonSet(t)
	t.Cleanup(func() {
		// What the runners said about the faults (warnings and errors).
		for _, l := range strings.Split(tail(filepath.Join(cd.dir, "daemons.log"), 1000), "\n") {
			if strings.Contains(l, "projections") {
				t.Log(l)
			}
		}
	})
	ds := time.Now()
	startCtx, cancelStart := context.WithTimeout(context.Background(), 120*time.Second)
	a := cd.start(t, startCtx, "a", pc.URL(), true) // records the demo data
	b := cd.start(t, startCtx, "b", pc.URL(), false)
	cancelStart()
	t.Logf("two instances started (with demo data) in %s", time.Since(ds).Round(time.Millisecond))
	sek, aud := a.Token("sekretariat"), a.Token("riksrevisjonen")
	ca, cb := newClient(a.URL(), 40*time.Second), newClient(b.URL(), 40*time.Second)
	defer ca.close()
	defer cb.close()
	ca.waitReady(t, 30*time.Second)
	cb.waitReady(t, 30*time.Second)
	initiatives := inPortfolio(t, ca, 3)
	instances := []*client{ca, cb}
	_, js := natstest.Connect(t, pc.URL())

	const (
		loadClients = 4
		kills       = 6 // each node twice
	)
	lags := newLagBook(loadClients)
	led := &ledger{}
	done := make(chan struct{})
	var wg sync.WaitGroup
	for k := range loadClients {
		wg.Go(func() {
			cl := instances[k%2]
			for n := 0; ; n++ {
				at := newAttempt(0, k, n, initiatives[k%len(initiatives)])
				led.add(at)
				pos, ackAt, ok := sendUntilAcked(t, led, at, cl, sek, done, lags)
				if !ok {
					return
				}
				phase := lags.phase.Load()
				var rw sync.WaitGroup
				for i, in := range instances {
					rw.Go(func() {
						lag := readLag(in, pos, ackAt)
						// A lag counts for the kill in whose time the read
						// answered: a command acknowledged just before a
						// kill waits on it too.
						lags.record(killOf(lags.phase.Load()), i, pos, lag)
					})
				}
				rw.Wait()
				lags.checked(phase, k)
			}
		})
	}
	killed := make([]int, len(pc.Nodes))
	var covered []string
	killAt := map[int32]time.Time{}
	// report logs the worst lag of each kill so far, while the node was
	// down and after it came back, on each instance, and fails the test
	// for a lag above maxReadLag.
	report := func() {
		for kill := 0; kill <= len(covered); kill++ {
			what := "before the first kill"
			if kill > 0 {
				what = fmt.Sprintf("kill %d (%s)", kill, covered[kill-1])
			}
			var parts []string
			for i := range instances {
				s := lags.stats(int32(kill), i)
				parts = append(parts, fmt.Sprintf("instance %c worst lag %s over %d reads", 'a'+i, s.worst.Round(time.Millisecond), s.n))
				if s.worst > maxReadLag {
					t.Errorf("%s: instance %c answered a read with minPosition=%d %s after the command's acknowledgement, want within %s",
						what, 'a'+i, s.worstPos, s.worst.Round(time.Millisecond), maxReadLag)
				}
			}
			resumed := ""
			if down := int32(2*kill - 1); kill > 0 {
				resumed = "; no command acknowledged while the node was down"
				if first := lags.first(down); !first.IsZero() {
					resumed = fmt.Sprintf("; first acknowledgement %s after the kill", first.Sub(killAt[down]).Round(time.Millisecond))
				}
				resumed += fmt.Sprintf(", %d failed command requests", lags.failures(down)+lags.failures(down+1))
			}
			t.Logf("%s: %s%s", what, strings.Join(parts, ", "), resumed)
		}
	}
	fail := func(format string, args ...any) {
		close(done)
		wg.Wait()
		report()
		t.Fatalf(format, args...)
	}
	for kill := 1; kill <= kills; kill++ {
		if ph := lags.phase.Load(); !lags.wait(ph, 3, 45*time.Second) {
			fail("phase %d: the load clients did not get 3 commands each through (with their reads) within 45 s", ph)
		}
		r := clusterRoles(t, js, pc)
		target := pickTarget(r, pc, killed, kill)
		killed[target]++
		name := pc.Nodes[target].Name
		what := r.describe(name)
		covered = append(covered, what)
		down := int32(2*kill - 1)
		killAt[down] = time.Now()
		lags.phase.Store(down)
		pc.Kill(target)
		t.Logf("kill %d: SIGKILL %s (%s; %s)", kill, name, what, r)
		if !lags.wait(down, 3, 45*time.Second) {
			fail("kill %d: the load clients did not get 3 commands each through (with their reads) within 45 s of killing %s", kill, name)
		}
		downFor := time.Since(killAt[down])
		pc.Restart(target)
		if err := pc.WaitReady(60 * time.Second); err != nil {
			fail("kill %d: after restarting %s: %v", kill, name, err)
		}
		killAt[down+1] = time.Now()
		lags.phase.Store(down + 1)
		t.Logf("kill %d: %s was down %s, back and current %s after the kill",
			kill, name, downFor.Round(time.Millisecond), killAt[down+1].Sub(killAt[down]).Round(time.Millisecond))
	}
	if !lags.wait(2*kills, 2, 45*time.Second) {
		t.Errorf("after the last restart: the load clients did not get 2 commands each through within 45 s")
	}
	close(done)
	wg.Wait()
	report()
	var hitConsumer, hitLeader, hitPlain bool
	for _, c := range covered {
		hitConsumer = hitConsumer || strings.Contains(c, "runner consumer")
		hitLeader = hitLeader || strings.Contains(c, "stream leader")
		hitPlain = hitPlain || strings.HasPrefix(c, "plain follower")
	}
	if !hitConsumer || !hitLeader {
		t.Errorf("the kills did not cover both a node holding a runner's consumer and the stream leader: %q", covered)
	}
	if !hitPlain {
		t.Logf("no kill hit a plain follower (every node held the stream's leadership or a runner's consumer at its kill): %q", covered)
	}

	// Nothing acknowledged is lost, in the log and in both instances'
	// read models; then retry what was not acknowledged.
	facts := verifyAcked(t, led, ca, aud, ca, cb)
	pending := retryUnacked(t, ca, led, sek, facts, 10*time.Second)
	verifyAcked(t, led, cb, aud, ca, cb)
	acked, unacked := led.snapshot()
	t.Logf("%d acked, %d unacked (%d pending); total %s", len(acked), len(unacked), pending, time.Since(begin).Round(time.Millisecond))
}

// sendUntilAcked sends at until it is acknowledged (201, or 200 replaying
// it), repeating it with its Idempotency-Key after a failure; ok is false
// when done closed first.
func sendUntilAcked(t *testing.T, led *ledger, at *attempt, cl *client, token string, done <-chan struct{}, lags *lagBook) (pos uint64, ackAt time.Time, ok bool) {
	for {
		select {
		case <-done:
			return 0, time.Time{}, false
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 35*time.Second)
		r, err := at.send(ctx, cl, token)
		cancel()
		ackAt = time.Now()
		switch {
		case err == nil && (r.status == http.StatusCreated || r.status == http.StatusOK && r.header.Get("Idempotent-Replayed") == "true"):
			p, err := checkAnswer(at, r)
			if err != nil {
				t.Error(err)
				led.fail(at, err.Error())
				return 0, time.Time{}, false
			}
			led.ack(at, p, r.String())
			lags.acked(lags.phase.Load(), ackAt)
			return p, ackAt, true
		case err != nil:
			led.fail(at, err.Error())
		case r.status >= 500 || r.status == http.StatusConflict && problemCode(r) == "idempotency_key_in_use":
			// Unavailable while the stream elects a leader, or the first
			// try is still in progress.
			led.fail(at, r.String())
		default:
			led.fail(at, r.String())
			t.Errorf("%s: unexpected answer %s", at.key, r)
			return 0, time.Time{}, false
		}
		lags.failed(lags.phase.Load())
		select {
		case <-done:
			return 0, time.Time{}, false
		case <-time.After(50 * time.Millisecond): // a client pausing before it repeats the request
		}
	}
}

// readLag queries c with minPosition=pos until it answers 200 and returns
// how long after ackAt it did. A 503 projection_lagging (after the API's
// own wait) or an error is repeated; after 30 s it gives up and returns
// the time waited.
func readLag(c *client, pos uint64, ackAt time.Time) time.Duration {
	giveUp := ackAt.Add(30 * time.Second)
	for time.Now().Before(giveUp) {
		ctx, cancel := context.WithDeadline(context.Background(), giveUp)
		r, err := c.do(ctx, http.MethodGet, fmt.Sprintf("/v1/reporting-rounds?minPosition=%d", pos), "", nil, nil)
		cancel()
		if err == nil && r.status == http.StatusOK {
			return time.Since(ackAt)
		}
		if err == nil && r.status == http.StatusServiceUnavailable && problemCode(r) == "projection_lagging" {
			continue // the API waited already
		}
		time.Sleep(50 * time.Millisecond) // another error: pause before repeating
	}
	return time.Since(ackAt)
}

// lagBook collects the read lags by kill (0 before the first; kill k from
// the k-th kill to the next) and instance, and by phase (0 before the
// first kill, 2k-1 while the k-th killed node is down, 2k after it is
// back) how many commands each load client got through with their reads,
// when the first was acknowledged, and how many requests failed.
type lagBook struct {
	phase   atomic.Int32
	clients int

	mu   sync.Mutex
	lag  map[[2]int32]lagStat // {kill, instance}
	ok   map[[2]int32]int     // {phase, client}: acknowledged and read
	fail map[int32]int        // phase: failed command requests
	// firstAck: phase → when its first command was acknowledged
	firstAck map[int32]time.Time
	wake     chan struct{} // signalled (buffered, 1) after each checked command
}

type lagStat struct {
	worst    time.Duration
	worstPos uint64
	n        int
}

func newLagBook(clients int) *lagBook {
	return &lagBook{clients: clients, lag: map[[2]int32]lagStat{}, ok: map[[2]int32]int{}, fail: map[int32]int{},
		firstAck: map[int32]time.Time{}, wake: make(chan struct{}, 1)}
}

// killOf is the kill a phase belongs to (0: before the first).
func killOf(phase int32) int32 { return (phase + 1) / 2 }

func (l *lagBook) record(kill int32, instance int, pos uint64, lag time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := [2]int32{kill, int32(instance)}
	s := l.lag[k]
	s.n++
	if lag > s.worst {
		s.worst, s.worstPos = lag, pos
	}
	l.lag[k] = s
}

func (l *lagBook) checked(phase int32, client int) {
	l.mu.Lock()
	l.ok[[2]int32{phase, int32(client)}]++
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

func (l *lagBook) acked(phase int32, at time.Time) {
	l.mu.Lock()
	if _, ok := l.firstAck[phase]; !ok {
		l.firstAck[phase] = at
	}
	l.mu.Unlock()
}

func (l *lagBook) failed(phase int32) {
	l.mu.Lock()
	l.fail[phase]++
	l.mu.Unlock()
}

func (l *lagBook) first(phase int32) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.firstAck[phase]
}

func (l *lagBook) failures(phase int32) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.fail[phase]
}

func (l *lagBook) stats(kill int32, instance int) lagStat {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lag[[2]int32{kill, int32(instance)}]
}

// wait waits until every load client has n commands acknowledged and
// read in phase, or timeout.
func (l *lagBook) wait(phase int32, n int, timeout time.Duration) bool {
	deadline := time.After(timeout)
	for {
		l.mu.Lock()
		all := true
		for c := range l.clients {
			if l.ok[[2]int32{phase, int32(c)}] < n {
				all = false
			}
		}
		l.mu.Unlock()
		if all {
			return true
		}
		select {
		case <-l.wake:
		case <-deadline:
			return false
		}
	}
}

// roles is what the cluster's nodes hold, by server name.
type roles struct {
	streamLeader string
	metaLeader   string
	consumers    map[string]int // runner consumers (read models) held
}

func (r roles) String() string {
	var cs []string
	for n, c := range r.consumers {
		cs = append(cs, fmt.Sprintf("%s:%d", n, c))
	}
	sort.Strings(cs)
	return fmt.Sprintf("stream leader %s, meta leader %s, runner consumers %s", r.streamLeader, r.metaLeader, strings.Join(cs, " "))
}

// describe names what node holds.
func (r roles) describe(node string) string {
	var what []string
	if r.streamLeader == node {
		what = append(what, "stream leader")
	}
	if n := r.consumers[node]; n > 0 {
		what = append(what, fmt.Sprintf("%d runner consumer(s)", n))
	}
	if r.metaLeader == node {
		what = append(what, "meta leader")
	}
	if len(what) == 0 || len(what) == 1 && r.metaLeader == node {
		what = append([]string{"plain follower"}, what...)
	}
	return strings.Join(what, ", ")
}

// clusterRoles finds the stream leader, the meta leader and the nodes
// holding the read-model runners' consumers (ordered consumers, R1,
// filtered on projections.Subject). It waits (polling, up to 10 s) until
// it sees both instances' consumers: one may be being recreated.
func clusterRoles(t *testing.T, js jetstream.JetStream, pc *natstest.ProcessCluster) roles {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var r roles
	var err error
	for {
		r, err = readRoles(js, pc)
		if err == nil && r.streamLeader != "" && r.metaLeader != "" && total(r.consumers) >= 2 {
			return r
		}
		if time.Now().After(deadline) {
			t.Logf("cluster roles incomplete after 10 s (%v): %s", err, r)
			return r
		}
		time.Sleep(100 * time.Millisecond) // consumer placement is announced nowhere: poll
	}
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func readRoles(js jetstream.JetStream, pc *natstest.ProcessCluster) (roles, error) {
	r := roles{consumers: map[string]int{}}
	for i, n := range pc.Nodes {
		if n.Running() {
			if r.metaLeader = pc.MetaLeader(i); r.metaLeader != "" {
				break
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	stream, err := js.Stream(ctx, streamName)
	if err != nil {
		return r, err
	}
	info, err := stream.Info(ctx)
	if err != nil {
		return r, err
	}
	if info.Cluster != nil {
		r.streamLeader = info.Cluster.Leader
	}
	l := stream.ListConsumers(ctx)
	for ci := range l.Info() {
		cfg := ci.Config
		runner := cfg.FilterSubject == projections.Subject ||
			len(cfg.FilterSubjects) == 1 && cfg.FilterSubjects[0] == projections.Subject
		// A live runner has a pull request waiting; consumers left on a
		// node that was killed while they were being replaced have none.
		if runner && ci.NumWaiting > 0 && ci.Cluster != nil && ci.Cluster.Leader != "" {
			r.consumers[ci.Cluster.Leader]++
		}
	}
	if err := l.Err(); err != nil && !errors.Is(err, context.Canceled) {
		return r, err
	}
	return r, nil
}

// pickTarget chooses the node to kill: the kills go round the roles (a
// node holding a runner's consumer but not the stream, the stream
// leader, a plain follower), among the nodes killed fewer than twice.
func pickTarget(r roles, pc *natstest.ProcessCluster, killed []int, kill int) int {
	want := (kill - 1) % 3
	score := func(i int) int {
		name := pc.Nodes[i].Name
		leader, cons := r.streamLeader == name, r.consumers[name] > 0
		switch want {
		case 0:
			if cons && !leader {
				return 3
			}
			if cons {
				return 2
			}
		case 1:
			if leader {
				return 3
			}
		default:
			if !leader && !cons {
				return 3
			}
			if !leader {
				return 2
			}
		}
		return 0
	}
	best, bestScore := -1, -1000
	for i := range killed {
		if killed[i] >= 2 {
			continue
		}
		// Prefer the wanted role, then the node killed least.
		s := score(i)*10 - killed[i]
		if s > bestScore {
			best, bestScore = i, s
		}
	}
	return best
}
