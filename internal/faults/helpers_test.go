package faults

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
)

// ---- HTTP ----

// client is a small HTTP client for one portfoliod instance.
type client struct {
	base string
	hc   *http.Client
}

func newClient(base string, timeout time.Duration) *client {
	return &client{base: base, hc: &http.Client{
		Timeout:   timeout,
		Transport: &http.Transport{MaxIdleConnsPerHost: 32, IdleConnTimeout: 30 * time.Second},
	}}
}

func (c *client) close() { c.hc.CloseIdleConnections() }

type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) String() string {
	b := r.body
	if len(b) > 400 {
		b = b[:400]
	}
	return fmt.Sprintf("%d %s", r.status, b)
}

// do sends one request. hdr are extra headers ("Authorization" is set from
// token when token is not empty).
func (c *client) do(ctx context.Context, method, path, token string, body []byte, hdr map[string]string) (reply, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return reply{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, err
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: data}, nil
}

// get is a GET that must answer 200; it fails the test otherwise.
func (c *client) get(t testing.TB, path, token string) reply {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r, err := c.do(ctx, http.MethodGet, path, token, nil, nil)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	if r.status != http.StatusOK {
		t.Fatalf("GET %s: %s", path, r)
	}
	return r
}

// waitReady polls /readyz until it answers 200.
func (c *client) waitReady(t testing.TB, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		r, err := c.do(ctx, http.MethodGet, "/readyz", "", nil, nil)
		cancel()
		if err == nil && r.status == http.StatusOK {
			return
		}
		if err != nil {
			last = err.Error()
		} else {
			last = r.String()
		}
		time.Sleep(50 * time.Millisecond) // readiness of another process is polled, as a load balancer does
	}
	t.Fatalf("%s/readyz not ready after %s: %s", c.base, timeout, last)
}

func newULID() string { return ulid.MustNew(ulid.Now(), rand.Reader).String() }

// ---- the command load: planned milestones with client-chosen ids ----

// attempt is one ReportMilestone (planned) request and what became of it.
type attempt struct {
	key          string // Idempotency-Key
	initiativeID string
	milestoneID  string
	body         []byte
	round        int

	acked    bool   // got 201 (or a 200 replay) at some point
	position uint64 // the acknowledged position
	answer   string // the last answer or error, for messages
	sentAt   time.Time
}

func newAttempt(round, client, n int, initiativeID string) *attempt {
	mid := newULID()
	body, _ := json.Marshal(map[string]string{
		"initiativeId": initiativeID,
		"milestoneId":  mid,
		"title":        fmt.Sprintf("Feiltest r%d k%d n%d", round, client, n),
		"status":       "planned",
		"plannedDate":  "2027-03-01",
	})
	return &attempt{key: fmt.Sprintf("faults-%s-r%d-k%d-n%d", mid, round, client, n),
		initiativeID: initiativeID, milestoneID: mid, body: body, round: round}
}

// commandResult is the 201 body.
type commandResult struct {
	AggregateType string `json:"aggregateType"`
	AggregateID   string `json:"aggregateId"`
	Version       uint64 `json:"version"`
	Position      uint64 `json:"position"`
	Events        []struct {
		ID       string `json:"id"`
		Type     string `json:"type"`
		Position uint64 `json:"position"`
	} `json:"events"`
}

type problem struct {
	Status int    `json:"status"`
	Code   string `json:"code"`
	Detail string `json:"detail"`
}

func problemCode(r reply) string {
	var p problem
	_ = json.Unmarshal(r.body, &p)
	return p.Code
}

// send posts the attempt's command with its Idempotency-Key.
func (a *attempt) send(ctx context.Context, c *client, token string) (reply, error) {
	a.sentAt = time.Now()
	return c.do(ctx, http.MethodPost, "/v1/commands/ReportMilestone", token, a.body,
		map[string]string{"Idempotency-Key": a.key})
}

// ledger records every attempt of a test.
type ledger struct {
	mu       sync.Mutex
	attempts []*attempt
	acks     int
}

func (l *ledger) add(a *attempt) {
	l.mu.Lock()
	l.attempts = append(l.attempts, a)
	l.mu.Unlock()
}

// ack records an acknowledgement; it returns the number of acks so far.
func (l *ledger) ack(a *attempt, pos uint64, answer string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	a.acked, a.position, a.answer = true, pos, answer
	l.acks++
	return l.acks
}

func (l *ledger) fail(a *attempt, answer string) {
	l.mu.Lock()
	a.answer = answer
	l.mu.Unlock()
}

func (l *ledger) snapshot() (acked, unacked []*attempt) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, a := range l.attempts {
		if a.acked {
			acked = append(acked, a)
		} else {
			unacked = append(unacked, a)
		}
	}
	return acked, unacked
}

func maxPosition(as []*attempt) uint64 {
	var m uint64
	for _, a := range as {
		m = max(m, a.position)
	}
	return m
}

// checkAnswer interprets a 201 or 200 answer of a milestone command and
// returns the position of its MilestonePlanned event.
func checkAnswer(a *attempt, r reply) (uint64, error) {
	var res commandResult
	if err := json.Unmarshal(r.body, &res); err != nil {
		return 0, fmt.Errorf("answer %s: %v", r, err)
	}
	if res.AggregateType != "initiative" || res.AggregateID != a.initiativeID || len(res.Events) != 1 ||
		res.Events[0].Type != "MilestonePlanned" || res.Events[0].Position != res.Position || res.Position == 0 {
		return 0, fmt.Errorf("answer for milestone %s of %s does not describe its MilestonePlanned event: %s", a.milestoneID, a.initiativeID, r)
	}
	return res.Position, nil
}

// ---- the audit log ----

type auditEvent struct {
	Position      uint64          `json:"position"`
	ID            string          `json:"id"`
	Type          string          `json:"type"`
	AggregateType string          `json:"aggregateType"`
	AggregateID   string          `json:"aggregateId"`
	Version       uint64          `json:"version"`
	CausationID   string          `json:"causationId"`
	Actor         string          `json:"actor"`
	Data          json.RawMessage `json:"data"`
}

// auditLog reads the whole event log through GET /v1/audit/events.
func auditLog(t testing.TB, c *client, auditorToken string) []auditEvent {
	t.Helper()
	var all []auditEvent
	after := uint64(0)
	for {
		r := c.get(t, fmt.Sprintf("/v1/audit/events?after=%d&limit=1000", after), auditorToken)
		var page struct {
			Events []auditEvent `json:"events"`
			Next   uint64       `json:"next"`
		}
		if err := json.Unmarshal(r.body, &page); err != nil {
			t.Fatalf("audit events: %v", err)
		}
		if len(page.Events) == 0 {
			return all
		}
		all = append(all, page.Events...)
		if page.Next <= after {
			t.Fatalf("audit events: next %d after %d", page.Next, after)
		}
		after = page.Next
	}
}

// logFacts are the facts about the log the suites check.
type logFacts struct {
	head    uint64
	planned map[string][]uint64 // milestone id → positions of its MilestonePlanned events
}

// checkLog checks the log's own invariants (positions strictly increasing,
// event ids unique, aggregate versions contiguous from 1) and indexes the
// planned milestones.
func checkLog(t testing.TB, events []auditEvent) logFacts {
	t.Helper()
	f := logFacts{planned: map[string][]uint64{}}
	ids := map[string]uint64{}
	versions := map[string]uint64{}
	for i, e := range events {
		if i > 0 && e.Position <= events[i-1].Position {
			t.Errorf("log: position %d after %d", e.Position, events[i-1].Position)
		}
		if p, dup := ids[e.ID]; dup {
			t.Errorf("log: event id %s at %d and %d", e.ID, p, e.Position)
		}
		ids[e.ID] = e.Position
		agg := e.AggregateType + "/" + e.AggregateID
		if want := versions[agg] + 1; e.Version != want {
			t.Errorf("log: %s event at %d has version %d, want %d", agg, e.Position, e.Version, want)
		}
		versions[agg] = e.Version
		f.head = e.Position
		if e.Type == "MilestonePlanned" {
			var d struct {
				MilestoneID string `json:"milestoneId"`
			}
			_ = json.Unmarshal(e.Data, &d)
			f.planned[d.MilestoneID] = append(f.planned[d.MilestoneID], e.Position)
		}
	}
	return f
}

// ---- read models ----

// milestonesOf returns how often each milestone id appears on the
// initiative in the read models, once they have applied minPos.
func milestonesOf(t testing.TB, c *client, id string, minPos uint64) map[string]int {
	t.Helper()
	r := c.get(t, fmt.Sprintf("/v1/initiatives/%s?minPosition=%d", id, minPos), "")
	var d struct {
		Milestones []struct {
			MilestoneID string `json:"milestoneId"`
		} `json:"milestones"`
	}
	if err := json.Unmarshal(r.body, &d); err != nil {
		t.Fatalf("initiative %s: %v", id, err)
	}
	out := map[string]int{}
	for _, m := range d.Milestones {
		out[m.MilestoneID]++
	}
	return out
}

// inPortfolio returns up to n initiatives in the portfolio (admitted, not
// paused), from the read models.
func inPortfolio(t testing.TB, c *client, n int) []string {
	t.Helper()
	r := c.get(t, "/v1/initiatives?state=in_portfolio", "")
	var l struct {
		Initiatives []struct {
			InitiativeID string `json:"initiativeId"`
		} `json:"initiatives"`
	}
	if err := json.Unmarshal(r.body, &l); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, i := range l.Initiatives {
		ids = append(ids, i.InitiativeID)
	}
	sort.Strings(ids)
	if len(ids) < n {
		t.Fatalf("need %d initiatives in the portfolio, have %d", n, len(ids))
	}
	return ids[:n]
}

// verifyAcked checks, against the log read through the audit API and the
// read models of every given instance, that every acknowledged command is
// present exactly once at its acknowledged position and that no attempted
// milestone is in the log twice. It returns the log facts.
func verifyAcked(t testing.TB, led *ledger, auditor *client, auditorToken string, readers ...*client) logFacts {
	t.Helper()
	acked, unacked := led.snapshot()
	facts := checkLog(t, auditLog(t, auditor, auditorToken))
	for _, a := range acked {
		switch ps := facts.planned[a.milestoneID]; {
		case len(ps) != 1:
			t.Errorf("acknowledged milestone %s (position %d, key %s) is in the log %d times: %v", a.milestoneID, a.position, a.key, len(ps), ps)
		case ps[0] != a.position:
			t.Errorf("acknowledged milestone %s was acknowledged at position %d but is in the log at %d", a.milestoneID, a.position, ps[0])
		}
	}
	for _, a := range unacked {
		if ps := facts.planned[a.milestoneID]; len(ps) > 1 {
			t.Errorf("unacknowledged milestone %s (key %s) is in the log %d times: %v", a.milestoneID, a.key, len(ps), ps)
		}
	}
	// The read models of every instance.
	minPos := max(maxPosition(acked), 1)
	byInit := map[string][]*attempt{}
	for _, a := range led.attemptsCopy() {
		byInit[a.initiativeID] = append(byInit[a.initiativeID], a)
	}
	for _, rc := range readers {
		for id, as := range byInit {
			ms := milestonesOf(t, rc, id, minPos)
			for _, a := range as {
				n := ms[a.milestoneID]
				if a.acked && n != 1 {
					t.Errorf("%s: acknowledged milestone %s of %s appears %d times in the read model", rc.base, a.milestoneID, id, n)
				}
				if n > 1 {
					t.Errorf("%s: milestone %s of %s appears %d times in the read model", rc.base, a.milestoneID, id, n)
				}
			}
		}
	}
	return facts
}

func (l *ledger) attemptsCopy() []*attempt {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]*attempt(nil), l.attempts...)
}

// ---- logs ----

// tail returns the last n lines of a file, for failure messages.
func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
