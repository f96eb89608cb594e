package eventstore

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ehelse/portfolio/eventlog"
	"github.com/ehelse/portfolio/eventstore/natstest"
)

// TestReadsCatchUpWithLeader: when the direct gets are answered by a
// replica that lags (simulated by pointing them at a stream holding only
// the first event), Load and Read still return every acknowledged event,
// reading the missing tail from the stream leader.
func TestReadsCatchUpWithLeader(t *testing.T) {
	_, nc, js := natstest.RunServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := Open(ctx, js, Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	a := eventlog.AggregateAppend{Type: "case", ID: "k1"}
	for range 3 {
		a.Events = append(a.Events, eventlog.NewEvent{Type: "CaseNoted", Data: json.RawMessage(`{}`)})
	}
	if _, err := s.Append(ctx, eventlog.Meta{CommandID: "c1"}, a); err != nil {
		t.Fatal(err)
	}
	first, err := s.Load(ctx, "case", "k1", 0)
	if err != nil || len(first) != 3 {
		t.Fatalf("Load: %d, %v", len(first), err)
	}

	// A "replica" that has only the first event, under the same subject and
	// sequence.
	_, err = js.CreateStream(ctx, jetstream.StreamConfig{
		Name: "LAG", Subjects: []string{"lag.>"}, AllowDirect: true, Storage: jetstream.MemoryStorage,
		SubjectTransform: &jetstream.SubjectTransformConfig{Source: "lag.>", Destination: "portfolio.events.>"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, "lag."+strings.TrimPrefix(first[0].Subject, "portfolio.events."), first[0].Raw); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	lagging := *s
	lagging.directSubj = "$JS.API.DIRECT.GET.LAG"
	if p, err := lagging.DirectLastPosition(ctx, "case", "k1"); err != nil || p != 1 {
		t.Fatalf("the lagging replica is at %d, %v", p, err)
	}

	recs, err := lagging.Load(ctx, "case", "k1", 0)
	if err != nil || len(recs) != 3 {
		t.Fatalf("Load from a lagging replica: %d records, %v", len(recs), err)
	}
	for i, r := range recs {
		if r.Position != uint64(i+1) || r.Version != uint64(i+1) || r.ID != first[i].ID {
			t.Fatalf("record %d: %+v", i, r)
		}
	}
	read, err := lagging.Read(ctx, 0, 10)
	if err != nil || len(read) != 3 || read[2].Position != 3 {
		t.Fatalf("Read from a lagging replica: %d records, %v", len(read), err)
	}
	two, err := lagging.Read(ctx, 0, 2)
	if err != nil || len(two) != 2 {
		t.Fatalf("Read limit 2 from a lagging replica: %d records, %v", len(two), err)
	}
}
