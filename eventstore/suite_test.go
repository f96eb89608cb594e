package eventstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/oklog/ulid/v2"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/eventlog"
	"github.com/ehelse/portfolio/eventstore"
)

// runStoreSuite runs the store's behaviour tests against the JetStream that
// connect returns (a fresh connection to the same server or cluster for
// each subtest). cfg is the store config (replicas).
func runStoreSuite(t *testing.T, cfg eventstore.Config, connect func(t *testing.T) jetstream.JetStream) {
	open := func(t *testing.T) (*eventstore.Store, jetstream.JetStream) {
		t.Helper()
		js := connect(t)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s, err := eventstore.Open(ctx, js, cfg)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		return s, js
	}

	t.Run("RoundTrip", func(t *testing.T) {
		s, _ := open(t)
		ctx := testCtx(t)
		id := newID()
		m1 := meta("cmd-" + newID())
		r1 := mustAppend(t, s, m1, eventlog.AggregateAppend{Type: "initiative", ID: id,
			Events: []eventlog.NewEvent{ev("InitiativeProposed", `{"initiativeId":"`+id+`","title":"A"}`)}})
		if len(r1.Events) != 1 || r1.Duplicate {
			t.Fatalf("result %+v", r1)
		}
		a1 := r1.Events[0]
		if a1.Version != 1 || a1.Position == 0 || a1.Type != "InitiativeProposed" || a1.AggregateType != "initiative" || a1.AggregateID != id {
			t.Fatalf("appended %+v", a1)
		}
		m2 := meta("cmd-" + newID())
		r2 := mustAppend(t, s, m2, eventlog.AggregateAppend{Type: "initiative", ID: id, ExpectedVersion: 1, ExpectedPosition: a1.Position,
			Events: []eventlog.NewEvent{
				ev("MilestonePlanned", `{"milestoneId":"m1"}`),
				ev("MilestoneAchieved", `{"milestoneId":"m1"}`),
			}})
		if len(r2.Events) != 2 || r2.Events[0].Version != 2 || r2.Events[1].Version != 3 ||
			r2.Events[1].Position != r2.Events[0].Position+1 || r2.Events[0].Position <= a1.Position {
			t.Fatalf("result %+v", r2)
		}
		// An aggregate whose id extends this one's must not leak into Load.
		mustAppend(t, s, meta("cmd-"+newID()), eventlog.AggregateAppend{Type: "initiative", ID: id + "x",
			Events: []eventlog.NewEvent{ev("InitiativeProposed", `{}`)}})

		recs, err := s.Load(ctx, "initiative", id, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 3 {
			t.Fatalf("loaded %d records", len(recs))
		}
		want := []eventlog.Appended{a1, r2.Events[0], r2.Events[1]}
		metas := []eventlog.Meta{m1, m2, m2}
		for i, r := range recs {
			w := want[i]
			if r.ID != w.ID || r.Type != w.Type || r.Version != w.Version || r.Position != w.Position ||
				r.AggregateType != "initiative" || r.AggregateID != id || r.SchemaVersion != 1 {
				t.Errorf("record %d: %+v, want %+v", i, r, w)
			}
			if r.Subject != eventlog.Subject("initiative", id, w.Type) {
				t.Errorf("record %d subject %q", i, r.Subject)
			}
			if r.Actor != metas[i].Actor || r.CausationID != metas[i].CommandID || r.CorrelationID != metas[i].CorrelationID {
				t.Errorf("record %d metadata %+v", i, r)
			}
			if !r.Time.Equal(metas[i].Time) {
				t.Errorf("record %d time %v, want %v", i, r.Time, metas[i].Time)
			}
		}
		var d map[string]string
		if err := json.Unmarshal(recs[0].Data, &d); err != nil || d["title"] != "A" || d["initiativeId"] != id {
			t.Errorf("data %s: %v", recs[0].Data, err)
		}

		after, err := s.Load(ctx, "initiative", id, a1.Position)
		if err != nil || len(after) != 2 || after[0].Version != 2 {
			t.Fatalf("Load after %d: %d records, %v", a1.Position, len(after), err)
		}
		none, err := s.Load(ctx, "initiative", id, r2.Events[1].Position)
		if err != nil || len(none) != 0 {
			t.Fatalf("Load after last: %d records, %v", len(none), err)
		}
		missing, err := s.Load(ctx, "initiative", newID(), 0)
		if err != nil || len(missing) != 0 {
			t.Fatalf("Load unknown: %d records, %v", len(missing), err)
		}
		last, err := s.LastPosition(ctx, "initiative", id)
		if err != nil || last != r2.Events[1].Position {
			t.Fatalf("LastPosition = %d, %v; want %d", last, err, r2.Events[1].Position)
		}
		zero, err := s.LastPosition(ctx, "initiative", newID())
		if err != nil || zero != 0 {
			t.Fatalf("LastPosition of unknown = %d, %v", zero, err)
		}
	})

	t.Run("Conflict", func(t *testing.T) {
		s, _ := open(t)
		ctx := testCtx(t)
		id := newID()
		r := mustAppend(t, s, meta("c-"+newID()), agg("case", id, 0, 0, "CaseRegistered"))
		head := mustHead(t, s)
		for _, a := range []eventlog.AggregateAppend{
			agg("case", id, 0, 0, "CaseRegistered"),                                    // as if new
			agg("case", id, 1, r.Events[0].Position-1, "CaseNoted"),                    // wrong position
			agg("case", id, 1, r.Events[0].Position+1, "CaseNoted"),                    // a position from the future
			agg("case", id, 0, 0, "CaseRegistered", "CasePlacedOnAgenda", "CaseNoted"), // a batch
		} {
			if a.ExpectedPosition == 0 {
				a.ExpectedVersion = 0
			}
			_, err := s.Append(ctx, meta("c-"+newID()), a)
			if !errors.Is(err, eventlog.ErrConflict) || !domain.IsKind(err, domain.KindConflict) {
				t.Fatalf("Append with position %d: %v, want ErrConflict", a.ExpectedPosition, err)
			}
		}
		if h := mustHead(t, s); h != head {
			t.Fatalf("head moved from %d to %d", head, h)
		}
		recs := mustLoad(t, s, "case", id, 0)
		if len(recs) != 1 {
			t.Fatalf("%d records after conflicts", len(recs))
		}
	})

	t.Run("ConcurrentRetry24", func(t *testing.T) {
		s, _ := open(t)
		ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
		defer cancel()
		id := newID()
		const n = 24
		var wg sync.WaitGroup
		var conflicts atomic.Int64
		errs := make(chan error, n)
		for g := range n {
			wg.Go(func() {
				cmd := fmt.Sprintf("g%d-%s", g, newID())
				for attempt := 0; ; attempt++ {
					if ctx.Err() != nil {
						errs <- fmt.Errorf("goroutine %d gave up after %d attempts: %w", g, attempt, ctx.Err())
						return
					}
					recs, err := s.Load(ctx, "meeting", id, 0)
					if err != nil {
						errs <- err
						return
					}
					var v, pos uint64
					if len(recs) > 0 {
						v, pos = recs[len(recs)-1].Version, recs[len(recs)-1].Position
					}
					_, err = s.Append(ctx, meta(cmd), agg("meeting", id, v, pos, "MeetingHeld"))
					switch {
					case err == nil:
						return
					case errors.Is(err, eventlog.ErrConflict):
						conflicts.Add(1)
						// a writer backs off with jitter before it decides again, as the command service does
						time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
					case errors.Is(err, eventlog.ErrUnavailable):
						time.Sleep(20 * time.Millisecond) // a client pausing before its retry
					default:
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		recs := mustLoad(t, s, "meeting", id, 0)
		if len(recs) != n {
			t.Fatalf("%d events, want %d", len(recs), n)
		}
		seen := map[string]bool{}
		for i, r := range recs {
			if r.Version != uint64(i+1) {
				t.Fatalf("event %d has version %d", i, r.Version)
			}
			if i > 0 && r.Position <= recs[i-1].Position {
				t.Fatalf("positions not increasing at %d", i)
			}
			if seen[r.CausationID] {
				t.Fatalf("command %s written twice", r.CausationID)
			}
			seen[r.CausationID] = true
		}
		t.Logf("%d appends, %d conflicts retried", n, conflicts.Load())
	})

	t.Run("SameExpectedVersion8", func(t *testing.T) {
		s, _ := open(t)
		ctx := testCtx(t)
		id := newID()
		r := mustAppend(t, s, meta("c-"+newID()), agg("strategy", id, 0, 0, "StrategicGoalDefined"))
		const n = 8
		var wg sync.WaitGroup
		var ok, conflict atomic.Int64
		start := make(chan struct{})
		for range n {
			wg.Go(func() {
				<-start
				_, err := s.Append(ctx, meta("c-"+newID()), agg("strategy", id, 1, r.Events[0].Position, "SubGoalDefined"))
				switch {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, eventlog.ErrConflict):
					conflict.Add(1)
				default:
					t.Error(err)
				}
			})
		}
		close(start)
		wg.Wait()
		if ok.Load() != 1 || conflict.Load() != n-1 {
			t.Fatalf("%d succeeded, %d conflicted; want 1 and %d", ok.Load(), conflict.Load(), n-1)
		}
		if recs := mustLoad(t, s, "strategy", id, 0); len(recs) != 2 {
			t.Fatalf("%d events, want 2", len(recs))
		}
	})

	t.Run("AtomicTwoAggregates", func(t *testing.T) {
		s, _ := open(t)
		ctx := testCtx(t)
		caseID, initID := newID(), newID()
		rc := mustAppend(t, s, meta("c-"+newID()), agg("case", caseID, 0, 0, "CaseRegistered"))
		ri := mustAppend(t, s, meta("c-"+newID()), agg("initiative", initID, 0, 0, "InitiativeProposed"))
		pc, pi := rc.Events[0].Position, ri.Events[0].Position

		// The second aggregate's expectation fails: nothing at all is written.
		head := mustHead(t, s)
		_, err := s.Append(ctx, meta("c-"+newID()),
			agg("case", caseID, 1, pc, "CaseApproved"),
			agg("initiative", initID, 0, 0, "InitiativeAdmitted"))
		if !errors.Is(err, eventlog.ErrConflict) || !domain.IsKind(err, domain.KindConflict) {
			t.Fatalf("Append: %v, want ErrConflict", err)
		}
		// The first aggregate's expectation fails.
		_, err = s.Append(ctx, meta("c-"+newID()),
			agg("case", caseID, 0, 0, "CaseApproved"),
			agg("initiative", initID, 1, pi, "InitiativeAdmitted"))
		if !errors.Is(err, eventlog.ErrConflict) {
			t.Fatalf("Append: %v, want ErrConflict", err)
		}
		if h := mustHead(t, s); h != head {
			t.Fatalf("head moved from %d to %d", head, h)
		}
		if n := len(mustLoad(t, s, "case", caseID, 0)); n != 1 {
			t.Fatalf("case has %d events", n)
		}
		if n := len(mustLoad(t, s, "initiative", initID, 0)); n != 1 {
			t.Fatalf("initiative has %d events", n)
		}

		// Both hold: both are written, contiguously, with their versions.
		r := mustAppend(t, s, meta("c-"+newID()),
			agg("case", caseID, 1, pc, "CaseApproved"),
			agg("initiative", initID, 1, pi, "InitiativeAdmitted", "InitiativePhaseChanged"))
		if len(r.Events) != 3 {
			t.Fatalf("result %+v", r)
		}
		wantV := []uint64{2, 2, 3}
		for i, e := range r.Events {
			if e.Version != wantV[i] || e.Position != r.Events[0].Position+uint64(i) {
				t.Fatalf("event %d: %+v", i, e)
			}
		}
		if r.Events[0].Position != head+1 {
			t.Fatalf("batch starts at %d, head was %d", r.Events[0].Position, head)
		}
		recs := mustLoad(t, s, "initiative", initID, 0)
		if len(recs) != 3 || recs[1].Type != "InitiativeAdmitted" || recs[2].Version != 3 {
			t.Fatalf("initiative: %+v", recs)
		}
	})

	t.Run("DuplicateCommand", func(t *testing.T) {
		s, _ := open(t)
		ctx := testCtx(t)
		// Single event.
		id := newID()
		m := meta("dup-" + newID())
		a := agg("meeting", id, 0, 0, "MeetingScheduled")
		r1 := mustAppend(t, s, m, a)
		head := mustHead(t, s)
		r2, err := s.Append(ctx, m, a)
		if err != nil {
			t.Fatalf("retry: %v", err)
		}
		if !r2.Duplicate || len(r2.Events) != 1 || r2.Events[0] != r1.Events[0] {
			t.Fatalf("retry: %+v, first %+v", r2, r1)
		}
		// A retry after a reload (expectation now after the stored event).
		r3, err := s.Append(ctx, m, agg("meeting", id, 1, r1.Events[0].Position, "MeetingScheduled"))
		if err != nil || !r3.Duplicate || r3.Events[0] != r1.Events[0] {
			t.Fatalf("retry after reload: %+v, %v", r3, err)
		}

		// Batch over two aggregates.
		cid, iid := newID(), newID()
		mb := meta("dupb-" + newID())
		aggs := []eventlog.AggregateAppend{
			agg("case", cid, 0, 0, "CaseRegistered", "CasePlacedOnAgenda"),
			agg("initiative", iid, 0, 0, "InitiativeProposed"),
		}
		b1 := mustAppend(t, s, mb, aggs...)
		b2, err := s.Append(ctx, mb, aggs...)
		if err != nil {
			t.Fatalf("batch retry: %v", err)
		}
		if !b2.Duplicate || len(b2.Events) != 3 {
			t.Fatalf("batch retry: %+v", b2)
		}
		for i := range b1.Events {
			if b1.Events[i] != b2.Events[i] {
				t.Fatalf("batch retry event %d: %+v, first %+v", i, b2.Events[i], b1.Events[i])
			}
		}
		// Something else was appended to the case in between: still a duplicate.
		mustAppend(t, s, meta("c-"+newID()), agg("case", cid, 2, b1.Events[1].Position, "CaseNoted"))
		b3, err := s.Append(ctx, mb, aggs...)
		if err != nil || !b3.Duplicate {
			t.Fatalf("batch retry after another append: %+v, %v", b3, err)
		}
		if h := mustHead(t, s); h != head+4 {
			t.Fatalf("head %d, want %d", h, head+4)
		}
		if n := len(mustLoad(t, s, "meeting", id, 0)); n != 1 {
			t.Fatalf("meeting has %d events", n)
		}
		if n := len(mustLoad(t, s, "case", cid, 0)); n != 3 {
			t.Fatalf("case has %d events", n)
		}
	})

	t.Run("LoadManyAndRead", func(t *testing.T) {
		s, _ := open(t)
		ctx := testCtx(t)
		id, other := newID(), newID()
		head := mustHead(t, s)
		var v, pos uint64
		var all []eventlog.Appended
		for range 3 {
			names := make([]string, 100)
			for i := range names {
				names[i] = "StatusReported"
			}
			r := mustAppend(t, s, meta("c-"+newID()), agg("initiative", id, v, pos, names...),
				agg("initiative", other+fmt.Sprint(v), 0, 0, "InitiativeProposed"))
			all = append(all, r.Events...)
			last := r.Events[len(names)-1]
			v, pos = last.Version, last.Position
		}
		recs := mustLoad(t, s, "initiative", id, 0)
		if len(recs) != 300 {
			t.Fatalf("%d records, want 300", len(recs))
		}
		for i, r := range recs {
			if r.Version != uint64(i+1) {
				t.Fatalf("record %d version %d", i, r.Version)
			}
		}
		after := mustLoad(t, s, "initiative", id, recs[149].Position)
		if len(after) != 150 || after[0].Version != 151 {
			t.Fatalf("after 150: %d records", len(after))
		}
		if lp, err := s.LastPosition(ctx, "initiative", id); err != nil || lp != recs[299].Position {
			t.Fatalf("LastPosition %d, %v", lp, err)
		}

		// Read: the whole log after head, in order, across aggregates.
		read, err := s.Read(ctx, head, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(read) != len(all) {
			t.Fatalf("Read %d records, want %d", len(read), len(all))
		}
		for i, r := range read {
			if r.Position != head+uint64(i)+1 || r.ID != all[i].ID {
				t.Fatalf("Read record %d: position %d id %s, want %d %s", i, r.Position, r.ID, head+uint64(i)+1, all[i].ID)
			}
		}
		two, err := s.Read(ctx, head+10, 2)
		if err != nil || len(two) != 2 || two[0].Position != head+11 {
			t.Fatalf("Read limit 2: %d records, %v", len(two), err)
		}
		if tail, err := s.Read(ctx, mustHead(t, s), 10); err != nil || len(tail) != 0 {
			t.Fatalf("Read after head: %d, %v", len(tail), err)
		}
	})

	t.Run("DeleteAndPurgeRefused", func(t *testing.T) {
		s, js := open(t)
		ctx := testCtx(t)
		r := mustAppend(t, s, meta("c-"+newID()), agg("case", newID(), 0, 0, "CaseRegistered"))
		st, err := js.Stream(ctx, s.StreamName())
		if err != nil {
			t.Fatal(err)
		}
		cfg := st.CachedInfo().Config
		if !cfg.DenyDelete || !cfg.DenyPurge || !cfg.AllowDirect || !cfg.AllowAtomicPublish || cfg.Storage != jetstream.FileStorage {
			t.Fatalf("stream config %+v", cfg)
		}
		head := mustHead(t, s)
		if err := st.DeleteMsg(ctx, r.Events[0].Position); err == nil {
			t.Fatal("DeleteMsg succeeded")
		}
		if err := st.SecureDeleteMsg(ctx, r.Events[0].Position); err == nil {
			t.Fatal("SecureDeleteMsg succeeded")
		}
		if err := st.Purge(ctx); err == nil {
			t.Fatal("Purge succeeded")
		}
		if h := mustHead(t, s); h != head {
			t.Fatalf("head %d, want %d", h, head)
		}
		info, err := st.Info(ctx)
		if err != nil || info.State.Msgs != head || info.State.FirstSeq != 1 {
			t.Fatalf("state %+v, %v", info.State, err)
		}
	})

	t.Run("InvalidInput", func(t *testing.T) {
		s, _ := open(t)
		ctx := testCtx(t)
		head := mustHead(t, s)
		bad := []struct {
			name string
			meta eventlog.Meta
			aggs []eventlog.AggregateAppend
		}{
			{"no aggregates", meta("c1"), nil},
			{"dot in id", meta("c1"), []eventlog.AggregateAppend{agg("case", "a.b", 0, 0, "CaseNoted")}},
			{"star in id", meta("c1"), []eventlog.AggregateAppend{agg("case", "a*", 0, 0, "CaseNoted")}},
			{"gt in type", meta("c1"), []eventlog.AggregateAppend{agg("ca>", "a", 0, 0, "CaseNoted")}},
			{"space in id", meta("c1"), []eventlog.AggregateAppend{agg("case", "a b", 0, 0, "CaseNoted")}},
			{"tab in id", meta("c1"), []eventlog.AggregateAppend{agg("case", "a\tb", 0, 0, "CaseNoted")}},
			{"empty id", meta("c1"), []eventlog.AggregateAppend{agg("case", "", 0, 0, "CaseNoted")}},
			{"dot in event type", meta("c1"), []eventlog.AggregateAppend{agg("case", "a", 0, 0, "Case.Noted")}},
			{"no events", meta("c1"), []eventlog.AggregateAppend{agg("case", "a", 0, 0)}},
			{"no command id", meta(""), []eventlog.AggregateAppend{agg("case", "a", 0, 0, "CaseNoted")}},
			{"newline in command id", meta("c\n1"), []eventlog.AggregateAppend{agg("case", "a", 0, 0, "CaseNoted")}},
			{"same aggregate twice", meta("c1"), []eventlog.AggregateAppend{agg("case", "a", 0, 0, "CaseNoted"), agg("case", "a", 0, 0, "CaseNoted")}},
			{"version without position", meta("c1"), []eventlog.AggregateAppend{agg("case", "a", 3, 0, "CaseNoted")}},
			{"data not an object", meta("c1"), []eventlog.AggregateAppend{{Type: "case", ID: "a",
				Events: []eventlog.NewEvent{{Type: "CaseNoted", Data: json.RawMessage(`[1]`)}}}}},
			{"data not JSON", meta("c1"), []eventlog.AggregateAppend{{Type: "case", ID: "a",
				Events: []eventlog.NewEvent{{Type: "CaseNoted", Data: json.RawMessage(`{x`)}}}}},
		}
		for _, b := range bad {
			_, err := s.Append(ctx, b.meta, b.aggs...)
			if !domain.IsKind(err, domain.KindInvalid) {
				t.Errorf("%s: %v, want kind invalid", b.name, err)
			}
		}
		if _, err := s.Load(ctx, "case", "a.b", 0); !domain.IsKind(err, domain.KindInvalid) {
			t.Errorf("Load a.b: %v", err)
		}
		if _, err := s.LastPosition(ctx, "case", ">"); !domain.IsKind(err, domain.KindInvalid) {
			t.Errorf("LastPosition >: %v", err)
		}
		if h := mustHead(t, s); h != head {
			t.Fatalf("head moved")
		}
	})

	t.Run("ReopenUpdatesSafeSettings", func(t *testing.T) {
		s, js := open(t)
		ctx := testCtx(t)
		c := cfg
		c.Duplicates = 3 * time.Minute
		if _, err := eventstore.Open(ctx, js, c); err != nil {
			t.Fatalf("reopen with another duplicate window: %v", err)
		}
		st, err := js.Stream(ctx, s.StreamName())
		if err != nil {
			t.Fatal(err)
		}
		if d := st.CachedInfo().Config.Duplicates; d != 3*time.Minute {
			t.Fatalf("duplicates %s after reopen", d)
		}
		if _, err := eventstore.Open(ctx, js, cfg); err != nil {
			t.Fatalf("reopen: %v", err)
		}
	})
}

// ---- helpers ----

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func newID() string { return strings.ToLower(ulid.Make().String()) }

func meta(cmd string) eventlog.Meta {
	return eventlog.Meta{
		CommandID:     cmd,
		CorrelationID: "corr-" + cmd,
		Actor:         "user:tester",
		Time:          time.Now().Round(time.Microsecond).Add(123 * time.Nanosecond),
	}
}

func ev(typ, data string) eventlog.NewEvent {
	return eventlog.NewEvent{ID: ulid.Make().String(), Type: typ, Data: json.RawMessage(data)}
}

func agg(typ, id string, version, position uint64, events ...string) eventlog.AggregateAppend {
	a := eventlog.AggregateAppend{Type: typ, ID: id, ExpectedVersion: version, ExpectedPosition: position}
	for _, e := range events {
		a.Events = append(a.Events, ev(e, `{"n":1}`))
	}
	return a
}

// mustAppend appends, retrying while the store is unavailable (leader
// elections in a cluster).
func mustAppend(t *testing.T, s *eventstore.Store, m eventlog.Meta, aggs ...eventlog.AggregateAppend) eventlog.Result {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		r, err := s.Append(ctx, m, aggs...)
		cancel()
		if err == nil {
			return r
		}
		if !errors.Is(err, eventlog.ErrUnavailable) || time.Now().After(deadline) {
			t.Errorf("Append: %v", err)
			t.FailNow()
		}
		time.Sleep(50 * time.Millisecond) // a client pausing before its retry while the stream elects a leader
	}
}

func mustLoad(t *testing.T, s *eventstore.Store, typ, id string, after uint64) []eventlog.Record {
	t.Helper()
	recs, err := s.Load(testCtx(t), typ, id, after)
	if err != nil {
		t.Fatalf("Load %s/%s: %v", typ, id, err)
	}
	return recs
}

func mustHead(t *testing.T, s *eventstore.Store) uint64 {
	t.Helper()
	h, err := s.Head(testCtx(t))
	if err != nil {
		t.Fatalf("Head: %v", err)
	}
	return h
}
