package httpapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/eventstore/idempotency"
	"github.com/ehelse/portfolio/services"
)

// idemStore opens the real Idempotency-Key store on an embedded NATS
// server with JetStream.
func idemStore(t *testing.T) *idempotency.Store {
	t.Helper()
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true,
		StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats not ready")
	}
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	s, err := idempotency.Open(context.Background(), js, idempotency.Config{MaxWait: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestIdempotencyKeyOverHTTP(t *testing.T) {
	store := idemStore(t)
	h := newHarness(t, func(c *Config) { c.Idempotency = store })
	key := header("Idempotency-Key", "propose-dho-1")
	body := validBodies["ProposeInitiative"]

	first := h.do("POST", "/v1/commands/ProposeInitiative", body, bearer(tokHSO), key)
	if first.Code != 201 || first.Header().Get("Idempotent-Replayed") != "" {
		t.Fatalf("first: %d %s", first.Code, first.Body.String())
	}
	calls := h.exec.Calls()
	if len(calls) != 1 {
		t.Fatal(len(calls))
	}
	opts := calls[0].opts
	cmd := calls[0].cmd.(*domain.ProposeInitiative)
	if !domain.IsULID(opts.CommandID) || !domain.IsULID(cmd.InitiativeID) || cmd.InitiativeID == opts.CommandID {
		t.Fatalf("idempotent execution: command id %q, assigned id %q", opts.CommandID, cmd.InitiativeID)
	}

	// The same body again, reformatted: the first answer, 200, nothing executed.
	reformatted := strings.ReplaceAll(body, "\n\t\t", " ")
	again := h.do("POST", "/v1/commands/ProposeInitiative", reformatted, bearer(tokHSO), key)
	if again.Code != 200 || again.Header().Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %d %v", again.Code, again.Header())
	}
	if again.Body.String() != first.Body.String() || again.Header().Get("Location") != first.Header().Get("Location") ||
		again.Header().Get("ETag") != first.Header().Get("ETag") {
		t.Fatalf("replay differs:\n%s\n%s", first.Body.String(), again.Body.String())
	}
	if len(h.exec.Calls()) != 1 {
		t.Fatal("replay executed the command")
	}

	// Another body with the same key: 422 idempotency_key_reused.
	other := strings.Replace(body, "Digital hjemmeoppfølging", "Noe annet", 1)
	rec := h.do("POST", "/v1/commands/ProposeInitiative", other, bearer(tokHSO), key)
	h.problem(rec, 422, "idempotency_key_reused")
	// The same body under another command name is another request too.
	rec = h.do("POST", "/v1/commands/WithdrawInitiative", `{"initiativeId":"`+idInit+`","reason":"x"}`, bearer(tokHSO), key)
	h.problem(rec, 422, "idempotency_key_reused")

	// The same key from another principal is independent.
	rec = h.do("POST", "/v1/commands/ProposeInitiative", body, bearer(tokSek), key)
	if rec.Code != 201 {
		t.Fatalf("other principal: %d", rec.Code)
	}
	if len(h.exec.Calls()) != 2 {
		t.Fatal("other principal did not execute")
	}
}

func TestIdempotencyRemembersRefusals(t *testing.T) {
	store := idemStore(t)
	h := newHarness(t, func(c *Config) { c.Idempotency = store })
	h.exec.do = func(ctx context.Context, p services.Principal, cmd domain.Command, o services.ExecOptions) (services.CommandResult, error) {
		return services.CommandResult{}, domain.Refuse("meeting %s is already held", idMeeting)
	}
	key := header("Idempotency-Key", "hold-1")
	first := h.do("POST", "/v1/commands/HoldMeeting", validBodies["HoldMeeting"], bearer(tokSek), key)
	h.problem(first, 409, "rule_violated")
	h.exec.do = nil // would succeed now, but the key replays the refusal
	again := h.do("POST", "/v1/commands/HoldMeeting", validBodies["HoldMeeting"], bearer(tokSek), key)
	h.problem(again, 409, "rule_violated")
	if again.Header().Get("Idempotent-Replayed") != "true" || again.Body.String() != first.Body.String() {
		t.Fatalf("refusal not replayed: %v %s", again.Header(), again.Body.String())
	}
	if len(h.exec.Calls()) != 1 {
		t.Fatal("executed twice")
	}
}

func TestIdempotencyRetriesAfter5xx(t *testing.T) {
	store := idemStore(t)
	h := newHarness(t, func(c *Config) { c.Idempotency = store })
	h.exec.do = func(ctx context.Context, p services.Principal, cmd domain.Command, o services.ExecOptions) (services.CommandResult, error) {
		return services.CommandResult{}, &domain.Error{Kind: domain.KindUnavailable, Message: "event store unavailable"}
	}
	key := header("Idempotency-Key", "schedule-1")
	rec := h.do("POST", "/v1/commands/ScheduleMeeting", validBodies["ScheduleMeeting"], bearer(tokSek), key)
	h.problem(rec, 503, "unavailable")
	h.exec.do = nil
	rec = h.do("POST", "/v1/commands/ScheduleMeeting", validBodies["ScheduleMeeting"], bearer(tokSek), key)
	if rec.Code != 201 || rec.Header().Get("Idempotent-Replayed") != "" {
		t.Fatalf("retry: %d %s", rec.Code, rec.Body.String())
	}
	calls := h.exec.Calls()
	if len(calls) != 2 {
		t.Fatalf("%d executions", len(calls))
	}
	// Both attempts carry the same command id and the same assigned id, so
	// the event log deduplicates a first attempt that did write.
	a, b := calls[0], calls[1]
	if a.opts.CommandID == "" || a.opts.CommandID != b.opts.CommandID ||
		a.cmd.(*domain.ScheduleMeeting).MeetingID != b.cmd.(*domain.ScheduleMeeting).MeetingID {
		t.Fatalf("attempts differ: %+v / %+v", a, b)
	}
	rec = h.do("POST", "/v1/commands/ScheduleMeeting", validBodies["ScheduleMeeting"], bearer(tokSek), key)
	if rec.Code != 200 || rec.Header().Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay after success: %d", rec.Code)
	}
}

func TestIdempotencyConcurrentOverHTTP(t *testing.T) {
	const n = 6
	// The command runs until every request has reached the idempotency
	// store, so the others meet it in progress and wait for its answer.
	store := enteringIdem{Idempotency: idemStore(t), entered: make(chan struct{}, n)}
	h := newHarness(t, func(c *Config) { c.Idempotency = store })
	var running atomic.Int32
	h.exec.do = func(ctx context.Context, p services.Principal, cmd domain.Command, o services.ExecOptions) (services.CommandResult, error) {
		running.Add(1)
		timeout := time.After(20 * time.Second)
		for range n {
			select {
			case <-store.entered:
			case <-timeout:
				return services.CommandResult{}, errors.New("not every request reached the idempotency store")
			}
		}
		return okResult(cmd, 1), nil
	}
	codes := make([]int, n)
	bodies := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := httptest.NewRequest("POST", "/v1/commands/HoldMeeting", strings.NewReader(validBodies["HoldMeeting"]))
			req.Header.Set("Authorization", "Bearer "+tokSek)
			req.Header.Set("Idempotency-Key", "same-key")
			rec := httptest.NewRecorder()
			h.h.ServeHTTP(rec, req)
			codes[i], bodies[i] = rec.Code, rec.Body.String()
		}()
	}
	wg.Wait()
	if running.Load() != 1 {
		t.Fatalf("executed %d times", running.Load())
	}
	created := 0
	for i := range n {
		switch codes[i] {
		case http.StatusCreated:
			created++
		case http.StatusOK:
		default:
			t.Fatalf("request %d: %d %s", i, codes[i], bodies[i])
		}
		if bodies[i] != bodies[0] {
			t.Fatalf("different bodies:\n%s\n%s", bodies[0], bodies[i])
		}
	}
	if created != 1 {
		t.Fatalf("%d created", created)
	}
}

// enteringIdem reports each call of Begin on entered, before it begins.
type enteringIdem struct {
	services.Idempotency
	entered chan struct{}
}

func (e enteringIdem) Begin(ctx context.Context, principal, key, fp string) (services.BeginResult, error) {
	e.entered <- struct{}{}
	return e.Idempotency.Begin(ctx, principal, key, fp)
}

func TestIdempotencyKeyWithoutStore(t *testing.T) {
	h := newHarness(t, nil)
	rec := h.do("POST", "/v1/commands/HoldMeeting", validBodies["HoldMeeting"], bearer(tokSek), header("Idempotency-Key", "k"))
	h.problem(rec, 503, "unavailable")
	if len(h.exec.Calls()) != 0 {
		t.Fatal("executed without the idempotency store")
	}
}

// fakeIdem answers Begin with an in-use error.
type fakeIdem struct{ services.Idempotency }

func (fakeIdem) Begin(ctx context.Context, principal, key, fp string) (services.BeginResult, error) {
	return services.BeginResult{}, &domain.Error{Kind: domain.KindConflict, Message: "in progress", Err: services.ErrIdempotencyKeyInUse}
}

func TestIdempotencyKeyInUse(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Idempotency = &fakeIdem{} })
	rec := h.do("POST", "/v1/commands/HoldMeeting", validBodies["HoldMeeting"], bearer(tokSek), header("Idempotency-Key", "k"))
	h.problem(rec, 409, "idempotency_key_in_use")
	if rec.Header().Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
}
