package embedded_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/ehelse/portfolio/eventlog"
	"github.com/ehelse/portfolio/eventstore"
	"github.com/ehelse/portfolio/eventstore/embedded"
)

func TestInProcessRestartKeepsEvents(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	quiet := slog.New(slog.DiscardHandler)

	srv, err := embedded.Start(ctx, embedded.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if srv.ClientURL() != "" {
		t.Fatalf("in-process server listens on %s", srv.ClientURL())
	}
	if !srv.NATS.JetStreamConfig().SyncAlways {
		t.Fatal("SyncAlways is off by default")
	}
	js, err := srv.JetStream()
	if err != nil {
		t.Fatal(err)
	}
	s, err := eventstore.Open(ctx, js, eventstore.Config{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Append(ctx, eventlog.Meta{CommandID: "c1", Actor: "a"}, eventlog.AggregateAppend{
		Type: "case", ID: "k1", Events: []eventlog.NewEvent{{Type: "CaseRegistered", Data: json.RawMessage(`{"caseId":"k1"}`)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if !srv.Conn.IsClosed() || srv.NATS.Running() {
		t.Fatal("not shut down")
	}

	srv, err = embedded.Start(ctx, embedded.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	js, _ = srv.JetStream()
	s, err = eventstore.Open(ctx, js, eventstore.Config{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := s.Load(ctx, "case", "k1", 0)
	if err != nil || len(recs) != 1 || recs[0].Position != res.Events[0].Position {
		t.Fatalf("after restart: %+v, %v", recs, err)
	}
}

func TestListenWithUsers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	noSync := false
	srv, err := embedded.Start(ctx, embedded.Options{
		DataDir:    t.TempDir(),
		ListenAddr: "127.0.0.1:0",
		SyncAlways: &noSync,
		Users: []embedded.User{
			{Name: "reader", Password: "secret", Permissions: &server.Permissions{
				Publish: &server.SubjectPermission{Deny: []string{"portfolio.events.>"}},
			}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	url := srv.ClientURL()
	if !strings.HasPrefix(url, "nats://127.0.0.1:") {
		t.Fatalf("client URL %q", url)
	}
	if srv.NATS.JetStreamConfig().SyncAlways {
		t.Fatal("SyncAlways on although switched off")
	}
	// The in-process connection is authenticated and may do everything.
	js, _ := srv.JetStream()
	if _, err := eventstore.Open(ctx, js, eventstore.Config{Logger: slog.New(slog.DiscardHandler)}); err != nil {
		t.Fatalf("Open over the in-process connection: %v", err)
	}
	if _, err := nats.Connect(url); err == nil {
		t.Fatal("connected without credentials")
	}
	nc, err := nats.Connect(url, nats.UserInfo("reader", "secret"), nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}))
	if err != nil {
		t.Fatalf("connect as reader: %v", err)
	}
	defer nc.Close()
	if err := nc.Publish("portfolio.events.case.x.CaseNoted", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if err := nc.FlushTimeout(time.Second); err != nil {
		t.Fatal(err)
	}
	if err := nc.LastError(); err == nil || !strings.Contains(strings.ToLower(err.Error()), "permissions violation") {
		t.Fatalf("publish as reader: %v, want a permissions violation", err)
	}
}

func TestStartRequiresDataDir(t *testing.T) {
	if _, err := embedded.Start(context.Background(), embedded.Options{}); err == nil {
		t.Fatal("started without a data dir")
	}
	if _, err := embedded.Start(context.Background(), embedded.Options{DataDir: t.TempDir(), ListenAddr: "nonsense"}); err == nil {
		t.Fatal("started with a bad listen address")
	}
}
