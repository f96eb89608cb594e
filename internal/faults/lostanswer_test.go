package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/eventstore"
	"github.com/ehelse/portfolio/eventstore/idempotency"
	"github.com/ehelse/portfolio/eventstore/natstest"
	"github.com/ehelse/portfolio/services"
	"github.com/ehelse/portfolio/services/httpapi"
)

// TestRetryOfWrittenButUnansweredCommand covers the gap the kill -9 suite
// can only reach after the idempotency lease: a command whose events were
// written, but whose answer never reached the client and was never
// remembered for its Idempotency-Key. The contract: "the same key with the
// same body returns the first response again and writes nothing new (also
// after a restart, for at least 24 hours)", and "a command that gets a 5xx
// either wrote all its events or none". So the retry must answer with the
// command's outcome (its events at their positions, 201 or 200), must not
// refuse it, and must not write it again.
//
// It wires the real event store, command service, idempotency store and
// HTTP handler in-process on an embedded JetStream server, with a clock for
// the idempotency store and a short duplicate window for the stream.
func TestRetryOfWrittenButUnansweredCommand(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_, _, js := natstest.RunServer(t)
	discard := slog.New(slog.DiscardHandler)
	const dupWindow = time.Second
	store, err := eventstore.Open(ctx, js, eventstore.Config{Logger: discard, Duplicates: dupWindow})
	if err != nil {
		t.Fatal(err)
	}
	cmds, err := services.NewCommandService(services.CommandConfig{Log: store, Logger: discard})
	if err != nil {
		t.Fatal(err)
	}
	clock := &testClock{now: time.Now()}
	idem, err := idempotency.Open(ctx, js, idempotency.Config{Logger: discard, Now: clock.Now, MaxWait: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	sek := services.Principal{Name: "sekretariat", Role: services.RoleSecretariat}
	token, _ := services.NewToken()
	auth, err := services.NewAuthenticator([]services.TokenEntry{{Name: sek.Name, Token: token, Role: sek.Role}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := services.SeedDemo(ctx, cmds, sek, time.Now()); err != nil {
		t.Fatal(err)
	}
	history := &services.History{Log: store}
	initiative := firstInPortfolio(ctx, t, store, history)

	lossy := &lossyExecutor{inner: cmds}
	api, err := httpapi.New(httpapi.Config{Logger: discard, Auth: auth, Idempotency: idem, Executor: lossy,
		History: history, Registry: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	post := func(name, key string, body []byte) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/v1/commands/"+name, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", key)
		rec := httptest.NewRecorder()
		api.Handler().ServeHTTP(rec, req)
		return rec
	}
	// eventsOf returns the positions of the events of type typ on the
	// initiative whose data has field == value.
	eventsOf := func(typ, field, value string) []uint64 {
		recs, err := store.Load(ctx, "initiative", initiative, 0)
		if err != nil {
			t.Fatal(err)
		}
		var out []uint64
		for _, r := range recs {
			var d map[string]any
			_ = json.Unmarshal(r.Data, &d)
			if r.Type == typ && d[field] == value {
				out = append(out, r.Position)
			}
		}
		return out
	}
	// expectOutcome: the retry answers with the written events, not a
	// refusal, and the log holds them once.
	expectOutcome := func(t *testing.T, rec *httptest.ResponseRecorder, written []uint64) {
		t.Helper()
		if len(written) != 1 {
			t.Fatalf("the command is in the log %d times: %v", len(written), written)
		}
		if rec.Code != http.StatusCreated && rec.Code != http.StatusOK {
			t.Fatalf("the command was written at position %d, but the retry with its Idempotency-Key answers %d %s",
				written[0], rec.Code, rec.Body.String())
		}
		var res commandResult
		if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil || res.Position != written[0] {
			t.Errorf("the retry answers position %d (%v), the command is at %d: %s", res.Position, err, written[0], rec.Body.String())
		}
	}

	t.Run("5xx after the append", func(t *testing.T) {
		// The append landed but the answer was lost (an ack timeout, a
		// leader change): the API answers 503 and releases the key.
		mid := services.NewID()
		body := milestoneBody(initiative, mid)
		lossy.loseNext()
		rec := post("ReportMilestone", "lost-5xx-"+mid, body)
		if rec.Code != http.StatusServiceUnavailable {
			t.Fatalf("first attempt: %d %s", rec.Code, rec.Body.String())
		}
		written := eventsOf("MilestonePlanned", "milestoneId", mid)
		rec = post("ReportMilestone", "lost-5xx-"+mid, body)
		expectOutcome(t, rec, eventsOf("MilestonePlanned", "milestoneId", mid))
		if len(written) != 1 {
			t.Errorf("before the retry the command was in the log %d times", len(written))
		}
	})

	t.Run("crash after the append", func(t *testing.T) {
		// What the handler does up to the crash: Begin (pending record),
		// Execute with the reservation's command id. Complete never runs:
		// the process was killed.
		mid := services.NewID()
		body := milestoneBody(initiative, mid)
		key := "lost-crash-" + mid
		res, err := idem.Begin(ctx, sek.Name, key, fingerprint(t, "ReportMilestone", body))
		if err != nil || res.Reservation == nil {
			t.Fatalf("Begin: %+v %v", res, err)
		}
		cmd := decode(t, "ReportMilestone", body)
		if _, err := cmds.Execute(ctx, sek, cmd, services.ExecOptions{CommandID: res.Reservation.CommandID}); err != nil {
			t.Fatalf("execute: %v", err)
		}
		// The client retries after the restart, once the lease is over.
		clock.advance(46 * time.Second)
		rec := post("ReportMilestone", key, body)
		if rec.Code == http.StatusUnprocessableEntity {
			t.Fatalf("the test computes another fingerprint than the API: %s", rec.Body.String())
		}
		expectOutcome(t, rec, eventsOf("MilestonePlanned", "milestoneId", mid))
	})

	t.Run("retry after the duplicate window", func(t *testing.T) {
		// A command the rules allow again (a status report): the retry
		// comes after the stream's duplicate window (2 minutes by
		// default, 1 s here), well within the contract's 24 hours.
		id := services.NewID()
		comment := "lost answer " + id
		body, _ := json.Marshal(map[string]string{"initiativeId": initiative, "reportDate": "2026-10-31",
			"overall": "green", "schedule": "green", "cost": "yellow", "benefit": "green", "comment": comment})
		key := "lost-dup-" + id
		lossy.loseNext()
		if rec := post("ReportStatus", key, body); rec.Code != http.StatusServiceUnavailable {
			t.Fatalf("first attempt: %d %s", rec.Code, rec.Body.String())
		}
		time.Sleep(dupWindow + 500*time.Millisecond) // the scenario: the retry comes after JetStream forgot the message id
		rec := post("ReportStatus", key, body)
		expectOutcome(t, rec, eventsOf("StatusReported", "comment", comment))
	})
}

// lossyExecutor runs commands with the real service; when told, it runs
// the next one and then loses its answer (a 503, as when the append's
// acknowledgement does not arrive in time).
type lossyExecutor struct {
	inner services.Executor
	mu    sync.Mutex
	lose  bool
}

func (l *lossyExecutor) loseNext() {
	l.mu.Lock()
	l.lose = true
	l.mu.Unlock()
}

func (l *lossyExecutor) Execute(ctx context.Context, p services.Principal, cmd domain.Command, opts services.ExecOptions) (services.CommandResult, error) {
	l.mu.Lock()
	lose := l.lose
	l.lose = false
	l.mu.Unlock()
	res, err := l.inner.Execute(ctx, p, cmd, opts)
	if lose && err == nil {
		return services.CommandResult{}, domain.Errorf(domain.KindUnavailable, "the event store did not acknowledge in time (simulated)")
	}
	return res, err
}

type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func milestoneBody(initiative, milestone string) []byte {
	b, _ := json.Marshal(map[string]string{"initiativeId": initiative, "milestoneId": milestone,
		"title": "Tapt svar", "status": "planned", "plannedDate": "2027-06-01"})
	return b
}

func decode(t *testing.T, name string, body []byte) domain.Command {
	t.Helper()
	cmd, ok := domain.NewCommand(name)
	if !ok {
		t.Fatalf("no command %s", name)
	}
	if err := json.Unmarshal(body, cmd); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// fingerprint is the request fingerprint as the HTTP API computes it: the
// command name and the canonical JSON of the decoded command.
func fingerprint(t *testing.T, name string, body []byte) string {
	t.Helper()
	canonical, err := json.Marshal(decode(t, name, body))
	if err != nil {
		t.Fatal(err)
	}
	return services.Fingerprint([]byte(name), canonical)
}

// firstInPortfolio returns an initiative that is in the portfolio and not
// paused, from the log.
func firstInPortfolio(ctx context.Context, t *testing.T, store *eventstore.Store, h *services.History) string {
	t.Helper()
	seen := map[string]bool{}
	var ids []string
	for after := uint64(0); ; {
		recs, err := store.Read(ctx, after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 {
			break
		}
		for _, r := range recs {
			if r.AggregateType == "initiative" && !seen[r.AggregateID] {
				seen[r.AggregateID] = true
				ids = append(ids, r.AggregateID)
			}
		}
		after = recs[len(recs)-1].Position
	}
	for _, id := range ids {
		st, _, err := h.InitiativeAt(ctx, id, nil, nil)
		if err == nil && st.Lifecycle == domain.LifecycleInPortfolio {
			return id
		}
	}
	t.Fatal("no initiative in the portfolio")
	return ""
}
