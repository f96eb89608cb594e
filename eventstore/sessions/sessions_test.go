package sessions_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/eventstore/natstest"
	"github.com/ehelse/portfolio/eventstore/sessions"
	"github.com/ehelse/portfolio/services"
)

// clock is a settable clock for the timeouts.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestSessions(t *testing.T) {
	ctx := context.Background()
	_, _, js := natstest.RunServer(t)
	bucket, err := sessions.Open(ctx, js, sessions.Config{})
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{now: time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)}
	// Two instances sharing the bucket.
	newSessions := func() *services.Sessions {
		s, err := services.NewSessions(services.SessionConfig{Store: bucket, Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	a, b := newSessions(), newSessions()
	p := services.Principal{Name: "sekretariat", Role: services.RoleSecretariat}
	ended := func(t *testing.T, s *services.Sessions, id string) {
		t.Helper()
		_, err := s.Resume(ctx, id)
		if !errors.Is(err, services.ErrNoSession) || !domain.IsKind(err, domain.KindUnauthorized) {
			t.Fatalf("Resume = %v, want ErrNoSession (unauthorized)", err)
		}
	}

	t.Run("a session started on one instance is known to the other", func(t *testing.T) {
		id, _, err := a.Start(ctx, p, "token")
		if err != nil {
			t.Fatal(err)
		}
		if len(id) < 43 {
			t.Fatalf("session id %q is short", id)
		}
		got, err := b.Resume(ctx, id)
		if err != nil || got.Principal != p || got.Method != "token" {
			t.Fatalf("Resume = %+v, %v", got, err)
		}
		// The store holds a hash of the id, never the id.
		if _, ok, _ := bucket.Get(ctx, id); ok {
			t.Fatal("the session id itself is a key of the store")
		}
	})
	t.Run("sign-out on one instance ends it on all", func(t *testing.T) {
		id, _, _ := a.Start(ctx, p, "token")
		if err := b.End(ctx, id); err != nil {
			t.Fatal(err)
		}
		ended(t, a, id)
	})
	t.Run("idle timeout", func(t *testing.T) {
		id, _, _ := a.Start(ctx, p, "token")
		clk.Add(29 * time.Minute)
		if _, err := a.Resume(ctx, id); err != nil {
			t.Fatalf("after 29 idle minutes: %v", err)
		}
		clk.Add(29 * time.Minute) // used a moment ago: still alive
		if _, err := b.Resume(ctx, id); err != nil {
			t.Fatalf("29 minutes after the last use: %v", err)
		}
		clk.Add(30 * time.Minute)
		ended(t, a, id)
	})
	t.Run("absolute timeout however busy", func(t *testing.T) {
		id, _, _ := a.Start(ctx, p, "token")
		for range 12 * 3 {
			if _, err := a.Resume(ctx, id); err != nil {
				t.Fatalf("a session in use ended early: %v", err)
			}
			clk.Add(20 * time.Minute)
		}
		ended(t, a, id)
	})
	t.Run("anonymous and subscribers do not sign in", func(t *testing.T) {
		for _, q := range []services.Principal{services.Anonymous, {Name: "s", Role: services.RoleSubscriber}} {
			if _, _, err := a.Start(ctx, q, "token"); !domain.IsKind(err, domain.KindForbidden) {
				t.Errorf("Start(%s) = %v, want forbidden", q.Role, err)
			}
		}
	})
	t.Run("a login flow is used once", func(t *testing.T) {
		id, err := a.BeginLogin(ctx, services.LoginFlow{State: "st", Nonce: "n", Verifier: "v", Next: "/sekretariat"})
		if err != nil {
			t.Fatal(err)
		}
		f, err := b.FinishLogin(ctx, id)
		if err != nil || f.State != "st" || f.Verifier != "v" {
			t.Fatalf("FinishLogin = %+v, %v", f, err)
		}
		if _, err := a.FinishLogin(ctx, id); !domain.IsKind(err, domain.KindUnauthorized) {
			t.Fatalf("second FinishLogin = %v, want unauthorized", err)
		}
		id, _ = a.BeginLogin(ctx, services.LoginFlow{State: "late"})
		clk.Add(11 * time.Minute)
		if _, err := a.FinishLogin(ctx, id); !domain.IsKind(err, domain.KindUnauthorized) {
			t.Fatalf("FinishLogin after 11 minutes = %v, want unauthorized", err)
		}
	})
	t.Run("drafts", func(t *testing.T) {
		id, err := a.SaveDraft(ctx, services.Draft{Path: "/sekretariat/x", Values: map[string][]string{"comment": {"æøå"}}})
		if err != nil {
			t.Fatal(err)
		}
		d, ok, err := b.Draft(ctx, id)
		if err != nil || !ok || d.Values["comment"][0] != "æøå" || d.Path != "/sekretariat/x" {
			t.Fatalf("Draft = %+v, %v, %v", d, ok, err)
		}
		if err := a.DropDraft(ctx, id); err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := b.Draft(ctx, id); ok {
			t.Fatal("a dropped draft is still there")
		}
	})
}
