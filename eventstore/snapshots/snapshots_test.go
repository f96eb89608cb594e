package snapshots

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ehelse/portfolio/audit"
	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/eventlog"
	"github.com/ehelse/portfolio/eventstore"
	"github.com/ehelse/portfolio/eventstore/natstest"
	"github.com/ehelse/portfolio/services"
)

var catalogue = domain.Ref{Type: domain.Strategy, ID: domain.StrategyCatalogID}

// env is a NATS server with a signed event store, a command service on it
// and a snapshot store that signs and verifies with the same key.
type env struct {
	js    jetstream.JetStream
	store *eventstore.Store
	cmds  *services.CommandService
	key   ed25519.PrivateKey
	pub   ed25519.PublicKey
	snaps *Store
	mu    sync.Mutex
	logs  bytes.Buffer
	goals int
}

func newEnv(t *testing.T) *env {
	t.Helper()
	_, _, js := natstest.RunServer(t)
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	store, err := eventstore.Open(context.Background(), js, eventstore.Config{Signer: key})
	if err != nil {
		t.Fatal(err)
	}
	cmds, err := services.NewCommandService(services.CommandConfig{Log: store})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{js: js, store: store, cmds: cmds, key: key, pub: pub}
	e.snaps = e.open(t, Config{Signer: key, TrustedKeys: []ed25519.PublicKey{pub}})
	return e
}

func (e *env) Write(p []byte) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.logs.Write(p)
}

func (e *env) logged(s string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return strings.Contains(e.logs.String(), s)
}

func (e *env) open(t *testing.T, cfg Config) *Store {
	t.Helper()
	cfg.Logger = slog.New(slog.NewTextHandler(e, nil))
	s, err := Open(context.Background(), e.js, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// defineGoals records n more goals: one event each on the catalogue.
func (e *env) defineGoals(t *testing.T, n int) {
	t.Helper()
	p := services.Principal{Name: "sekretariat", Role: services.RoleSecretariat}
	for range n {
		e.goals++
		cmd := &domain.DefineStrategicGoal{GoalID: fmt.Sprintf("M%d", e.goals), Strategy: "2023-2030", Title: fmt.Sprintf("Mål %d", e.goals)}
		if _, err := e.cmds.Execute(context.Background(), p, cmd, services.ExecOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

// fold is the catalogue's snapshot as its whole history gives it.
func (e *env) fold(t *testing.T) eventlog.Snapshot {
	t.Helper()
	recs, err := e.store.Load(context.Background(), string(catalogue.Type), catalogue.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	st := domain.NewState(catalogue)
	for _, r := range recs {
		ev, err := domain.DecodeEvent(r.Type, r.SchemaVersion, r.Data)
		if err != nil {
			t.Fatal(err)
		}
		if st, err = domain.Evolve(st, domain.Recorded{ID: r.ID, Version: r.Version, Position: r.Position, Time: r.Time, Actor: r.Actor, Event: ev}); err != nil {
			t.Fatal(err)
		}
	}
	last := recs[len(recs)-1]
	return eventlog.Snapshot{State: st, Position: last.Position, Hash: last.Hash}
}

func TestSnapshotStoreRoundTrip(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, ok, err := e.snaps.Get(ctx, catalogue); ok || err != nil {
		t.Fatalf("empty bucket: %v %v", ok, err)
	}
	e.defineGoals(t, 3)
	c := e.fold(t)
	if err := e.snaps.Put(ctx, catalogue, c); err != nil {
		t.Fatal(err)
	}
	got, ok, err := e.snaps.Get(ctx, catalogue)
	if err != nil || !ok {
		t.Fatalf("get: %v %v", ok, err)
	}
	if got.Position != c.Position || got.Hash != c.Hash || !reflect.DeepEqual(got.State, c.State) {
		t.Fatalf("round trip: got %+v, want %+v", got, c)
	}

	// The stored value: the documented fields, signed.
	entry, err := e.snaps.kv.Get(ctx, "strategy.national")
	if err != nil {
		t.Fatal(err)
	}
	var rec map[string]json.RawMessage
	if err := json.Unmarshal(entry.Value(), &rec); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"schema", "version", "position", "hash", "state", "signature"} {
		if _, ok := rec[k]; !ok {
			t.Errorf("the stored snapshot has no %q: %s", k, entry.Value())
		}
	}
	// The bucket: file storage, history 1.
	st, err := e.snaps.kv.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Bucket() != DefaultBucket || st.History() != 1 || st.BackingStore() != "JetStream" {
		t.Errorf("bucket %s history %d", st.Bucket(), st.History())
	}
	info, err := e.js.Stream(ctx, "KV_"+DefaultBucket)
	if err != nil {
		t.Fatal(err)
	}
	if info.CachedInfo().Config.Storage != jetstream.FileStorage {
		t.Errorf("storage %v", info.CachedInfo().Config.Storage)
	}
	// Keys: "<type>.<id>"; an id that is no valid key has no snapshot.
	if k := Key(domain.Ref{Type: domain.Series, ID: "NUIT-2026"}); k != "series.NUIT-2026" {
		t.Errorf("key %q", k)
	}
	if k := Key(domain.Ref{Type: domain.Initiative, ID: "ø"}); k != "" {
		t.Errorf("key %q", k)
	}
}

// TestSnapshotStoreRefuses: Get ignores a snapshot that is unsigned,
// signed by another key, altered, of another schema or malformed.
func TestSnapshotStoreRefuses(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.defineGoals(t, 2)
	good := e.fold(t)

	_, stranger, _ := ed25519.GenerateKey(rand.Reader)
	unsigned := e.open(t, Config{})
	foreign := e.open(t, Config{Signer: stranger})

	put := func(s *Store, snap eventlog.Snapshot) {
		t.Helper()
		if err := s.Put(ctx, catalogue, snap); err != nil {
			t.Fatal(err)
		}
	}
	refused := func(what string) {
		t.Helper()
		if snap, ok, err := e.snaps.Get(ctx, catalogue); ok || err != nil {
			t.Errorf("%s: got %v %v %+v", what, ok, err, snap)
		}
	}
	raw := func(value string) {
		t.Helper()
		if _, err := e.snaps.kv.Put(ctx, "strategy.national", []byte(value)); err != nil {
			t.Fatal(err)
		}
	}

	put(unsigned, good)
	refused("unsigned")
	if !e.logged("not signed by a trusted key") {
		t.Error("an unsigned snapshot was not logged")
	}
	// A store without trusted keys accepts it (events are not verified
	// then either).
	if _, ok, _ := unsigned.Get(ctx, catalogue); !ok {
		t.Error("a store without trusted keys refused an unsigned snapshot")
	}
	put(foreign, good)
	refused("signed by an untrusted key")

	// Altered after signing: another state, version or position.
	put(e.snaps, good)
	entry, _ := e.snaps.kv.Get(ctx, "strategy.national")
	var rec snapshotRecord
	if err := json.Unmarshal(entry.Value(), &rec); err != nil {
		t.Fatal(err)
	}
	alter := func(what string, f func(r *snapshotRecord)) {
		t.Helper()
		r := rec
		f(&r)
		b, _ := json.Marshal(r)
		raw(string(b))
		refused(what)
	}
	alter("another title", func(r *snapshotRecord) {
		r.State = json.RawMessage(strings.Replace(string(r.State), "Mål 1", "Mål X", 1))
	})
	alter("another position", func(r *snapshotRecord) { r.Position++ })
	alter("another hash", func(r *snapshotRecord) { r.Hash = strings.Repeat("0", 64) })
	alter("another schema", func(r *snapshotRecord) { r.Schema = "0.000000000000" })
	alter("no signature", func(r *snapshotRecord) { r.Signature = "" })
	raw("not json")
	refused("garbage")

	// Under another aggregate's key: the signature names the aggregate.
	if _, err := e.snaps.kv.Put(ctx, "strategy.other", entry.Value()); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := e.snaps.Get(ctx, domain.Ref{Type: domain.Strategy, ID: "other"}); ok || err != nil {
		t.Errorf("a snapshot moved to another key: %v %v", ok, err)
	}
	// Another schema written with a valid signature (an older version of
	// the product): refused too.
	signedOld := rec
	signedOld.Schema = "0.000000000000"
	signedOld.Signature = audit.Sign(e.key, snapshotDigest(catalogue, signedOld))
	b, _ := json.Marshal(signedOld)
	raw(string(b))
	refused("a signed snapshot of another schema")

	put(e.snaps, good)
	if _, ok, err := e.snaps.Get(ctx, catalogue); !ok || err != nil {
		t.Fatalf("the genuine snapshot: %v %v", ok, err)
	}
}
