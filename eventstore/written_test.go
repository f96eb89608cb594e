package eventstore_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"testing"
	"time"

	"github.com/ehelse/portfolio/audit"
	"github.com/ehelse/portfolio/eventlog"
	"github.com/ehelse/portfolio/eventstore"
	"github.com/ehelse/portfolio/eventstore/natstest"
)

// TestWrittenRecordsWhatWasStored: a store with a Signer records each
// appended event (single publish and atomic batch) so that the record
// vouches for the stored bytes at the stored position; without a Signer
// there is no record.
func TestWrittenRecordsWhatWasStored(t *testing.T) {
	_, _, js := natstest.RunServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	s, err := eventstore.Open(ctx, js, eventstore.Config{Signer: key, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	w := s.Written()
	ev := func(n int) []eventlog.NewEvent {
		out := make([]eventlog.NewEvent, n)
		for i := range out {
			out[i] = eventlog.NewEvent{Type: "CaseNoted", Data: []byte(`{"n":1}`)}
		}
		return out
	}
	if _, err := s.Append(ctx, eventlog.Meta{CommandID: "one"}, eventlog.AggregateAppend{Type: "case", ID: "a", Events: ev(1)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, eventlog.Meta{CommandID: "batch"}, eventlog.AggregateAppend{Type: "case", ID: "b", Events: ev(3)}); err != nil {
		t.Fatal(err)
	}
	keys := audit.NewKeyring(pub)
	for _, id := range []string{"a", "b"} {
		recs, err := s.Load(ctx, "case", id, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			h := audit.HashEvent(r.Raw)
			if !w.Vouches(keys, r.Position, h, r.Signature) {
				t.Errorf("%s at %d: not vouched for", id, r.Position)
			}
			if w.Vouches(keys, r.Position+10, h, r.Signature) {
				t.Errorf("%s at %d: vouched for at another position", id, r.Position)
			}
		}
	}
	unsigned, err := eventstore.Open(ctx, js, eventstore.Config{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if unsigned.Written() != nil {
		t.Error("a store without a Signer has a record")
	}
}
