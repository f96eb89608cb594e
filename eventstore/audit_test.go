package eventstore_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/ehelse/portfolio/audit"
	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/eventlog"
	"github.com/ehelse/portfolio/eventstore"
	"github.com/ehelse/portfolio/eventstore/natstest"
)

// TestSignedChain: with a Signer every event is signed and chained to its
// aggregate's previous one, whether the caller passes PrevHash or not,
// and every read returns the hash and the signature.
func TestSignedChain(t *testing.T) {
	_, _, js := natstest.RunServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	s, err := eventstore.Open(ctx, js, eventstore.Config{Signer: key, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	ev := func(typ string) eventlog.NewEvent {
		return eventlog.NewEvent{Type: typ, Data: json.RawMessage(`{"x":1}`)}
	}
	r1, err := s.Append(ctx, eventlog.Meta{CommandID: "c1"}, eventlog.AggregateAppend{Type: "case", ID: "a", Events: []eventlog.NewEvent{ev("CaseRegistered")}})
	if err != nil {
		t.Fatal(err)
	}
	// Two aggregates in one batch; "a" without PrevHash (Append reads it).
	r2, err := s.Append(ctx, eventlog.Meta{CommandID: "c2"},
		eventlog.AggregateAppend{Type: "case", ID: "a", ExpectedVersion: 1, ExpectedPosition: r1.Events[0].Position,
			Events: []eventlog.NewEvent{ev("CaseNoted"), ev("CaseApproved")}},
		eventlog.AggregateAppend{Type: "initiative", ID: "i", Events: []eventlog.NewEvent{ev("InitiativeAdmitted")}})
	if err != nil {
		t.Fatal(err)
	}
	// With PrevHash from the last result.
	last := r2.Events[1]
	r3, err := s.Append(ctx, eventlog.Meta{CommandID: "c3"}, eventlog.AggregateAppend{Type: "case", ID: "a",
		ExpectedVersion: 3, ExpectedPosition: last.Position, PrevHash: last.Hash, Events: []eventlog.NewEvent{ev("CaseDeferred")}})
	if err != nil {
		t.Fatal(err)
	}
	written := append(append(r1.Events, r2.Events...), r3.Events...)

	recs, err := s.Read(ctx, 0, 0)
	if err != nil || len(recs) != 5 {
		t.Fatalf("%d records, %v", len(recs), err)
	}
	keys := audit.NewKeyring(pub)
	v := audit.NewVerifier(audit.Options{Keys: keys})
	for i, r := range recs {
		if r.Hash != written[i].Hash || r.Hash != audit.HashEvent(r.Raw).String() {
			t.Errorf("record %d: hash %s, appended %s", i, r.Hash, written[i].Hash)
		}
		if b := v.Add(r.AuditEvent()); b != nil {
			t.Errorf("record %d: %v", i, b)
		}
	}
	if recs[0].PrevHash != "" || recs[1].PrevHash != recs[0].Hash || recs[2].PrevHash != recs[1].Hash ||
		recs[3].PrevHash != "" || recs[4].PrevHash != recs[2].Hash {
		t.Fatalf("chain %+v", recs)
	}
	// Load returns signatures too.
	loaded, err := s.Load(ctx, "case", "a", 0)
	if err != nil || len(loaded) != 4 || loaded[3].Signature != recs[4].Signature || loaded[3].Signature == "" {
		t.Fatalf("load %v", err)
	}
	// A duplicate append reports the stored hashes.
	dup, err := s.Append(ctx, eventlog.Meta{CommandID: "c3"}, eventlog.AggregateAppend{Type: "case", ID: "a",
		ExpectedVersion: 3, ExpectedPosition: last.Position, PrevHash: last.Hash, Events: []eventlog.NewEvent{ev("CaseDeferred")}})
	if err != nil || !dup.Duplicate || dup.Events[0].Hash != r3.Events[0].Hash {
		t.Fatalf("duplicate %+v %v", dup, err)
	}

	// Bad PrevHash arguments are refused; a stale position is a conflict.
	for _, a := range []eventlog.AggregateAppend{
		{Type: "case", ID: "a", ExpectedVersion: 4, ExpectedPosition: r3.Events[0].Position, PrevHash: "ABC", Events: []eventlog.NewEvent{ev("CaseNoted")}},
		{Type: "case", ID: "b", PrevHash: r3.Events[0].Hash, Events: []eventlog.NewEvent{ev("CaseNoted")}},
	} {
		if _, err := s.Append(ctx, eventlog.Meta{CommandID: "c4"}, a); !domain.IsKind(err, domain.KindInvalid) {
			t.Errorf("%+v: %v, want invalid", a, err)
		}
	}
	_, err = s.Append(ctx, eventlog.Meta{CommandID: "c5"}, eventlog.AggregateAppend{Type: "case", ID: "a",
		ExpectedVersion: 9, ExpectedPosition: 999, Events: []eventlog.NewEvent{ev("CaseNoted")}})
	if !errors.Is(err, eventlog.ErrConflict) {
		t.Fatalf("missing expected event: %v", err)
	}
	_, err = s.Append(ctx, eventlog.Meta{CommandID: "c6"}, eventlog.AggregateAppend{Type: "case", ID: "a",
		ExpectedVersion: 1, ExpectedPosition: recs[3].Position, Events: []eventlog.NewEvent{ev("CaseNoted")}})
	if !errors.Is(err, eventlog.ErrConflict) {
		t.Fatalf("another aggregate's event: %v", err)
	}
}

// TestReadAudit: a stored message that is not an event fails Read but is
// returned by ReadAudit, marked.
func TestReadAudit(t *testing.T) {
	_, nc, js := natstest.RunServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := eventstore.Open(ctx, js, eventstore.Config{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, eventlog.Meta{CommandID: "c1"}, eventlog.AggregateAppend{Type: "case", ID: "a",
		Events: []eventlog.NewEvent{{Type: "CaseNoted", Data: json.RawMessage(`{}`)}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, "portfolio.events.case.a.CaseNoted", []byte("garbage")); err != nil {
		t.Fatal(err)
	}
	_ = nc
	if _, err := s.Read(ctx, 0, 10); !errors.Is(err, eventlog.ErrCorrupt) {
		t.Fatalf("Read: %v", err)
	}
	recs, err := s.ReadAudit(ctx, 0, 10)
	if err != nil || len(recs) != 2 || recs[0].Invalid != "" || recs[1].Invalid == "" || string(recs[1].Raw) != "garbage" ||
		recs[1].Hash != audit.HashEvent([]byte("garbage")).String() || recs[1].Position != 2 {
		t.Fatalf("%+v %v", recs, err)
	}
}
