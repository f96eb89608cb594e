package audit_test

// The acceptance tests of tamper evidence, against a real JetStream server:
// forged, altered, missing and reordered events, a saved digest, and an
// export verified offline.

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"

	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ehelse/portfolio/audit"
	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/eventlog"
	"github.com/ehelse/portfolio/eventstore"
	"github.com/ehelse/portfolio/eventstore/natstest"
	"github.com/ehelse/portfolio/projections"
	"github.com/ehelse/portfolio/services"
)

var quiet = slog.New(slog.DiscardHandler)

// world is a signed event store with the command path and read models
// verifying against its key, filled with the demo data.
type world struct {
	t     *testing.T
	nc    *nats.Conn
	js    jetstream.JetStream
	key   ed25519.PrivateKey
	pub   ed25519.PublicKey
	keys  audit.Keyring
	store *eventstore.Store
	cmds  *services.CommandService
	reads *projections.ReadModels
	logs  *lockedWriter
}

func newWorld(t *testing.T) *world {
	t.Helper()
	_, nc, js := natstest.RunServer(t)
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	store, err := eventstore.Open(ctx, js, eventstore.Config{Signer: key, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, nc: nc, js: js, key: key, pub: pub, keys: audit.NewKeyring(pub), store: store, logs: &lockedWriter{}}
	w.cmds, err = services.NewCommandService(services.CommandConfig{Log: store, TrustedKeys: []ed25519.PublicKey{pub}, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	w.reads, err = projections.Open(ctx, js, projections.Config{Dir: t.TempDir(), TrustedKeys: []ed25519.PublicKey{pub},
		Logger: slog.New(slog.NewTextHandler(w.logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = w.reads.Run(runCtx) }()
	t.Cleanup(func() { cancel(); <-done; _ = w.reads.Close() })
	if _, _, err := services.SeedDemo(ctx, w.cmds, services.Principal{Name: "demo", Role: services.RoleSecretariat}, time.Now()); err != nil {
		t.Fatal(err)
	}
	return w
}

// lockedWriter is a log sink safe for concurrent use.
type lockedWriter struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// page reads the store for audit.VerifyLog.
func page(s *eventstore.Store) audit.Page {
	return func(ctx context.Context, after uint64, limit int) ([]audit.Event, error) {
		recs, err := s.ReadAudit(ctx, after, limit)
		if err != nil {
			return nil, err
		}
		out := make([]audit.Event, len(recs))
		for i, r := range recs {
			out[i] = r.AuditEvent()
		}
		return out, nil
	}
}

// events reads the whole log.
func (w *world) events() []audit.Event {
	w.t.Helper()
	var out []audit.Event
	var after uint64
	for {
		evs, err := page(w.store)(testCtx(w.t), after, 1000)
		if err != nil {
			w.t.Fatal(err)
		}
		if len(evs) == 0 {
			return out
		}
		out = append(out, evs...)
		after = evs[len(evs)-1].Position
	}
}

// badPositions verifies the whole log online and returns the result and
// the positions of every bad event.
func (w *world) verify(opts audit.Options) (audit.Result, []uint64) {
	w.t.Helper()
	if opts.Keys == nil {
		opts.Keys = w.keys
	}
	v := audit.NewVerifier(opts)
	var bad []uint64
	for _, e := range w.events() {
		if b := v.Add(e); b != nil {
			bad = append(bad, b.Position)
		}
	}
	// And the same through VerifyLog, as the daemon does.
	r, err := audit.VerifyLog(testCtx(w.t), page(w.store), 100, 0, opts, nil)
	if err != nil {
		w.t.Fatal(err)
	}
	if r.Head != v.Result().Head || r.OK != v.Result().OK {
		w.t.Fatalf("VerifyLog %+v, Verifier %+v", r, v.Result())
	}
	return v.Result(), bad
}

func (w *world) export(evs []audit.Event) string {
	w.t.Helper()
	var b bytes.Buffer
	_, err := audit.WriteJSONL(&b, audit.Header{PublicKey: audit.EncodePublicKey(w.pub), KeyID: audit.KeyID(w.pub),
		ExportedAt: time.Now().UTC().Format(time.RFC3339)}, func(yield func(audit.Event, error) bool) {
		for _, e := range evs {
			if !yield(e, nil) {
				return
			}
		}
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return b.String()
}

func (w *world) verifyExport(export string, since *audit.Digest) audit.JSONLResult {
	w.t.Helper()
	r, err := audit.VerifyJSONLWith(strings.NewReader(export), audit.JSONLOptions{Options: audit.Options{Keys: w.keys, Since: since}}, nil)
	if err != nil {
		w.t.Fatal(err)
	}
	return r
}

// inPortfolio returns an initiative in the portfolio.
func (w *world) inPortfolio() string {
	w.t.Helper()
	head, _ := w.store.Head(testCtx(w.t))
	if err := w.reads.WaitFor(testCtx(w.t), head); err != nil {
		w.t.Fatal(err)
	}
	list, err := w.reads.Initiatives(projections.InitiativeFilter{State: string(domain.LifecycleInPortfolio)})
	if err != nil || len(list) == 0 {
		w.t.Fatalf("no initiative in the portfolio: %v", err)
	}
	return list[0].InitiativeID
}

// snapshot renders what users see of an initiative and the roadmap.
func (w *world) snapshot(id string) string {
	w.t.Helper()
	d, err := w.reads.Initiative(id)
	if err != nil {
		w.t.Fatal(err)
	}
	rm, err := w.reads.Roadmap(projections.RoadmapFilter{})
	if err != nil {
		w.t.Fatal(err)
	}
	list, err := w.reads.Initiatives(projections.InitiativeFilter{})
	if err != nil {
		w.t.Fatal(err)
	}
	b, _ := json.Marshal([]any{d, rm, list})
	return string(b)
}

func (w *world) waitApplied(pos uint64) {
	w.t.Helper()
	if err := w.reads.WaitFor(testCtx(w.t), pos); err != nil {
		w.t.Fatalf("read models at %d: %v (%+v)", w.reads.Position(), err, w.reads.Stats())
	}
}

func (w *world) publish(subject string, payload []byte, sig string) uint64 {
	w.t.Helper()
	m := nats.NewMsg(subject)
	m.Data = payload
	if sig != "" {
		m.Header.Set(audit.SignatureHeader, sig)
	}
	ack, err := w.js.PublishMsg(testCtx(w.t), m)
	if err != nil {
		w.t.Fatal(err)
	}
	return ack.Sequence
}

func (w *world) reportStatus(id, date string) services.CommandResult {
	w.t.Helper()
	res, err := w.cmds.Execute(testCtx(w.t), services.Principal{Name: "sekretariat", Role: services.RoleSecretariat},
		&domain.ReportStatus{InitiativeID: id, ReportDate: domain.Date(date), Overall: "green", Schedule: "green", Cost: "green", Benefit: "green"},
		services.ExecOptions{})
	if err != nil {
		w.t.Fatalf("ReportStatus %s: %v", date, err)
	}
	return res
}

// forgedStatus is a well-formed StatusReported for id that continues its
// chain correctly (anyone who can read the stream can compute prevhash),
// but is not signed by the product's key.
func forgedStatus(last eventlog.Record, date string) []byte {
	return fmt.Appendf(nil, `{"specversion":"1.0","id":"01JFORGED0000000000000000%d","source":"/portfolio","type":"no.ehelse.portfolio.StatusReported.v1",`+
		`"subject":"initiative/%s","time":"%s","datacontenttype":"application/json","aggregatetype":"initiative","aggregateid":"%s",`+
		`"aggregateversion":%d,"actor":"sekretariat","causationid":"01JFORGED","correlationid":"01JFORGED","prevhash":"%s",`+
		`"data":{"initiativeId":"%s","reportDate":"%s","overall":"red","schedule":"red","cost":"red","benefit":"red","comment":"forged"}}`,
		last.Version%10, last.AggregateID, time.Now().UTC().Format(time.RFC3339Nano), last.AggregateID, last.Version+1, last.Hash, last.AggregateID, date)
}

func (w *world) last(id string) eventlog.Record {
	w.t.Helper()
	recs, err := w.store.Load(testCtx(w.t), "initiative", id, 0)
	if err != nil || len(recs) == 0 {
		w.t.Fatal(err)
	}
	return recs[len(recs)-1]
}

func TestTamperEvidence(t *testing.T) {
	w := newWorld(t)
	id := w.inPortfolio()

	r, bad := w.verify(audit.Options{})
	if !r.OK || len(bad) > 0 || r.Events == 0 {
		t.Fatalf("the genuine log does not verify: %+v", r)
	}
	clean := w.events()

	t.Run("ExportOffline", func(t *testing.T) { // (f)
		export := w.export(clean)
		res := w.verifyExport(export, nil)
		if !res.OK || res.Head != r.Head || res.Events != r.Events {
			t.Fatalf("export: %+v, online %+v", res, r)
		}
		// One byte of one event's raw changed.
		lines := strings.Split(export, "\n")
		i := len(lines) / 2
		var l audit.Line
		if err := json.Unmarshal([]byte(lines[i]), &l); err != nil {
			t.Fatal(err)
		}
		l.Raw = bytes.Replace(l.Raw, []byte(`"actor":"`), []byte(`"actor":"X`), 1)
		changed, _ := json.Marshal(l)
		lines[i] = string(changed)
		res = w.verifyExport(strings.Join(lines, "\n"), nil)
		if res.OK || res.FirstBad == nil || *res.FirstBad != l.Position {
			t.Fatalf("altered raw at %d: %+v", l.Position, res)
		}
		// One byte of the text changed.
		b := []byte(export)
		j := bytes.Index(b, []byte(`"raw":"`)) + 20
		b[j] ^= 0x01
		if res := w.verifyExport(string(b), nil); res.OK {
			t.Fatalf("a changed byte went undetected: %+v", res)
		}
	})

	t.Run("MissingEventExport", func(t *testing.T) { // (c), offline
		drop, next := dropCandidate(t, clean)
		var kept []audit.Event
		for _, e := range clean {
			if e.Position != drop {
				kept = append(kept, e)
			}
		}
		res := w.verifyExport(w.export(kept), nil)
		if res.OK || res.FirstBad == nil || *res.FirstBad != next || res.Missing != 1 || !strings.Contains(res.Reason, "chain broken") {
			t.Fatalf("dropped %d, want first bad %d: %+v", drop, next, res)
		}
	})

	t.Run("MissingEventOnline", func(t *testing.T) { // (c), online
		// A copy of the log in a stream that allows deletes (the product's
		// stream denies them; an operator with disk access is the threat).
		_, _, js2 := natstest.RunServer(t)
		ctx := testCtx(t)
		cfg := eventstore.StreamConfig(eventstore.Config{})
		cfg.DenyDelete, cfg.DenyPurge = false, false
		stream, err := js2.CreateStream(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range clean {
			m := nats.NewMsg(e.Subject)
			m.Data = e.Payload
			m.Header.Set(audit.SignatureHeader, e.Signature)
			ack, err := js2.PublishMsg(ctx, m)
			if err != nil || ack.Sequence != e.Position {
				t.Fatalf("copy %d: %v %+v", e.Position, err, ack)
			}
		}
		drop, next := dropCandidate(t, clean)
		if err := stream.DeleteMsg(ctx, drop); err != nil {
			t.Fatal(err)
		}
		store2, err := eventstore.Open(ctx, js2, eventstore.Config{Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		res, err := audit.VerifyLog(ctx, page(store2), 1000, 0, audit.Options{Keys: w.keys}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.OK || res.FirstBad == nil || *res.FirstBad != next || res.Missing != 1 || *res.FirstMissing != drop {
			t.Fatalf("deleted %d, want first bad %d: %+v", drop, next, res)
		}
	})

	t.Run("ReorderedExport", func(t *testing.T) { // (d)
		for _, k := range []int{2, len(clean) / 2} {
			evs := append([]audit.Event{}, clean...)
			evs[k], evs[k+1] = evs[k+1], evs[k]
			res := w.verifyExport(w.export(evs), nil)
			if res.OK || res.FirstBad == nil {
				t.Fatalf("swapped %d and %d: %+v", evs[k].Position, evs[k+1].Position, res)
			}
		}
	})

	var saved audit.Digest
	t.Run("Since", func(t *testing.T) { // (e)
		first, _ := w.verify(audit.Options{CheckpointEvery: 1})
		saved = first.Digest()
		// More events: the log still extends the saved digest.
		w.reportStatus(id, "2031-01-01")
		res, _ := w.verify(audit.Options{Since: &saved})
		if !res.OK || !res.Since.OK || res.Events <= saved.Events || res.Since.AgreedThrough != saved.Position {
			t.Fatalf("since: %+v %+v", res, res.Since)
		}
		// Also with only the head and count (what portfolioctl sends).
		head := audit.Digest{Events: saved.Events, Head: saved.Head}
		if res, _ := w.verify(audit.Options{Since: &head}); !res.Since.OK {
			t.Fatalf("since head: %+v", res.Since)
		}

		// The key holder rewrites an early event and re-chains and
		// re-signs everything after it: a log that verifies on its own.
		k := 5
		rewritten := rewrite(t, w.key, clean, k)
		own := w.verifyExport(w.export(rewritten), nil)
		if !own.OK {
			t.Fatalf("the rewritten log should verify on its own: %+v", own)
		}
		res2 := w.verifyExport(w.export(rewritten), &saved)
		if res2.OK || res2.Since.OK || res2.Since.DivergedAt == nil || *res2.Since.DivergedAt != clean[k].Position ||
			res2.Since.AgreedThrough != clean[k-1].Position {
			t.Fatalf("rewritten at %d: %+v %+v", clean[k].Position, res2, res2.Since)
		}
		// The same online (a page reader over the rewritten log).
		res3, err := audit.VerifyLog(testCtx(t), slicePage(rewritten), 7, 0, audit.Options{Keys: w.keys, Since: &saved}, nil)
		if err != nil || res3.Since.OK || *res3.Since.DivergedAt != clean[k].Position {
			t.Fatalf("online: %+v %v", res3.Since, err)
		}
	})

	t.Run("ForgedEvent", func(t *testing.T) { // (a)
		last := w.last(id)
		w.waitApplied(last.Position)
		before := w.snapshot(id)
		forged := w.publish(eventlog.Subject("initiative", id, "StatusReported"), forgedStatus(last, "2099-12-31"), "")
		// One signed with a key of the forger's own.
		_, other, _ := ed25519.GenerateKey(rand.Reader)
		payload2 := forgedStatus(last, "2098-12-31")
		forged2 := w.publish(eventlog.Subject("initiative", id, "StatusReported"), payload2, audit.Sign(other, audit.HashEvent(payload2)))
		w.waitApplied(forged2)
		if after := w.snapshot(id); after != before {
			t.Fatalf("a forged event changed the read models:\nbefore %s\nafter  %s", before, after)
		}
		if st := w.reads.Stats(); st.Rejected != 2 {
			t.Fatalf("stats %+v", st)
		}
		if !strings.Contains(w.logs.String(), "level=ERROR") || !strings.Contains(w.logs.String(), fmt.Sprintf("position=%d", forged)) {
			t.Fatalf("no error logged: %s", w.logs.String())
		}
		res, bad := w.verify(audit.Options{})
		if res.OK || *res.FirstBad != forged || fmt.Sprint(bad) != fmt.Sprint([]uint64{forged, forged2}) {
			t.Fatalf("verify %+v, bad %v", res, bad)
		}
		// A genuine event after them applies, and chains to the last
		// genuine one: the command path ignored the forged reports (had
		// it not, a report dated 2032 would be refused as earlier than
		// 2099).
		g := w.reportStatus(id, "2032-01-01")
		w.waitApplied(g.Position)
		d, _ := w.reads.Initiative(id)
		if d.LatestStatus == nil || d.LatestStatus.ReportDate != "2032-01-01" || d.LatestStatus.Overall != "green" {
			t.Fatalf("latest status %+v", d.LatestStatus)
		}
		if _, bad := w.verify(audit.Options{}); len(bad) != 2 {
			t.Fatalf("the genuine event after the forged ones is bad: %v", bad)
		}
		// Time travel skips them too.
		h := &services.History{Log: w.store, TrustedKeys: []ed25519.PublicKey{w.pub}}
		st, _, err := h.InitiativeAt(testCtx(t), id, nil, nil)
		if err != nil || st.LastStatus == nil || st.LastStatus.ReportDate != "2032-01-01" {
			t.Fatalf("time travel: %v", err)
		}
	})

	t.Run("ForgedFirstEvent", func(t *testing.T) {
		// A forged InitiativeProposed for an id nobody used yet: the
		// genuine proposal with that id still goes through, as version 1.
		newID := services.NewID()
		payload := fmt.Appendf(nil, `{"specversion":"1.0","id":"01JFORGEDPROPOSAL000000000","source":"/portfolio","type":"no.ehelse.portfolio.InitiativeProposed.v1",`+
			`"subject":"initiative/%s","time":"2026-01-01T00:00:00Z","datacontenttype":"application/json","aggregatetype":"initiative","aggregateid":"%s",`+
			`"aggregateversion":1,"actor":"hso","data":{"initiativeId":"%s","title":"Forged","description":"x","owner":"%s","primarySubGoal":"1A",`+
			`"plannedStart":"2026-01-01","plannedEnd":"2027-01-01","phase":"concept"}}`, newID, newID, newID, services.OrgHSO)
		forged := w.publish(eventlog.Subject("initiative", newID, "InitiativeProposed"), payload, "")
		res, err := w.cmds.Execute(testCtx(t), services.Principal{Name: "sekretariat", Role: services.RoleSecretariat},
			&domain.ProposeInitiative{InitiativeID: newID, Title: "Genuine", Description: "d", Owner: services.OrgHSO, PrimarySubGoal: "1A",
				PlannedStart: "2026-02-01", PlannedEnd: "2027-02-01"}, services.ExecOptions{})
		if err != nil || res.Version != 1 {
			t.Fatalf("genuine proposal after a forged one: %+v %v", res, err)
		}
		w.waitApplied(res.Position)
		d, err := w.reads.Initiative(newID)
		if err != nil || d.Title != "Genuine" {
			t.Fatalf("%+v %v", d, err)
		}
		_, bad := w.verify(audit.Options{})
		if len(bad) != 3 || bad[2] != forged {
			t.Fatalf("bad %v, want the forged proposal %d last", bad, forged)
		}
	})

	t.Run("AlteredEvent", func(t *testing.T) { // (b)
		last := w.last(id)
		w.waitApplied(last.Position)
		before := w.snapshot(id)
		// A genuine message's signature copied onto altered data.
		altered := bytes.Replace(last.Raw, []byte(`"overall":"green"`), []byte(`"overall":"red"`), 1)
		if bytes.Equal(altered, last.Raw) {
			t.Fatalf("nothing to alter in %s", last.Raw)
		}
		pos := w.publish(last.Subject, altered, last.Signature)
		w.waitApplied(pos)
		if after := w.snapshot(id); after != before {
			t.Fatalf("an altered event changed the read models")
		}
		res, bad := w.verify(audit.Options{})
		if res.OK || len(bad) != 4 || bad[3] != pos {
			t.Fatalf("bad %v, want %d last", bad, pos)
		}
		v := audit.NewVerifier(audit.Options{Keys: w.keys})
		for _, e := range w.events() {
			if b := v.Add(e); b != nil && b.Position == pos && !strings.Contains(b.Reason, "invalid signature") {
				t.Fatalf("reason %q", b.Reason)
			}
		}
		if st := w.reads.Stats(); st.Rejected != 4 {
			t.Fatalf("stats %+v", st)
		}
		// The digest saved before the tampering is still extended: the
		// forged events were appended, nothing was rewritten.
		if res, _ := w.verify(audit.Options{Since: &saved}); !res.Since.OK {
			t.Fatalf("since %+v", res.Since)
		}
	})

	t.Run("Rebuild", func(t *testing.T) {
		// A rebuild rejects the same events and ends in the same state.
		head, _ := w.store.Head(testCtx(t))
		w.waitApplied(head)
		before := w.snapshot(id)
		if err := w.reads.Rebuild(testCtx(t), nil); err != nil {
			t.Fatal(err)
		}
		if after := w.snapshot(id); after != before {
			t.Fatal("the rebuilt read models differ")
		}
	})
}

// dropCandidate returns an event whose aggregate has a later event, and
// that later event.
func dropCandidate(t *testing.T, evs []audit.Event) (drop, next uint64) {
	t.Helper()
	for i := len(evs) / 3; i < len(evs); i++ {
		a, _ := audit.DecodeEnvelope(evs[i].Subject, evs[i].Payload)
		for j := i + 1; j < len(evs); j++ {
			b, _ := audit.DecodeEnvelope(evs[j].Subject, evs[j].Payload)
			if b.Aggregate() == a.Aggregate() {
				return evs[i].Position, evs[j].Position
			}
		}
	}
	t.Fatal("no aggregate with two events")
	return 0, 0
}

// rewrite changes event k's data, then re-chains and re-signs the later
// events of its aggregate with key, as the key's holder could.
func rewrite(t *testing.T, key ed25519.PrivateKey, evs []audit.Event, k int) []audit.Event {
	t.Helper()
	out := append([]audit.Event{}, evs...)
	target, err := audit.DecodeEnvelope(out[k].Subject, out[k].Payload)
	if err != nil {
		t.Fatal(err)
	}
	oldHash := audit.HashEvent(out[k].Payload).String()
	out[k].Payload = bytes.Replace(out[k].Payload, []byte(`"data":{`), []byte(`"data":{"rewritten":true,`), 1)
	newHash := audit.HashEvent(out[k].Payload)
	out[k].Signature = audit.Sign(key, newHash)
	for i := k + 1; i < len(out); i++ {
		e, _ := audit.DecodeEnvelope(out[i].Subject, out[i].Payload)
		if e.Aggregate() != target.Aggregate() {
			continue
		}
		out[i].Payload = bytes.Replace(out[i].Payload, []byte(oldHash), []byte(newHash.String()), 1)
		oldHash = audit.HashEvent(evs[i].Payload).String()
		newHash = audit.HashEvent(out[i].Payload)
		out[i].Signature = audit.Sign(key, newHash)
	}
	return out
}

func slicePage(evs []audit.Event) audit.Page {
	return func(_ context.Context, after uint64, limit int) ([]audit.Event, error) {
		var out []audit.Event
		for _, e := range evs {
			if e.Position > after && len(out) < limit {
				out = append(out, e)
			}
		}
		return out, nil
	}
}

// TestUnsignedStore: a store without a signer writes unsigned events,
// which verification reports as such.
func TestUnsignedStore(t *testing.T) {
	_, _, js := natstest.RunServer(t)
	ctx := testCtx(t)
	s, err := eventstore.Open(ctx, js, eventstore.Config{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Append(ctx, eventlog.Meta{CommandID: "c1"}, eventlog.AggregateAppend{Type: "case", ID: "a",
		Events: []eventlog.NewEvent{{Type: "CaseNoted", Data: json.RawMessage(`{}`)}, {Type: "CaseNoted", Data: json.RawMessage(`{}`)}}})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := s.Load(ctx, "case", "a", 0)
	if err != nil || len(recs) != 2 || recs[0].Signature != "" || recs[1].PrevHash != recs[0].Hash || recs[0].PrevHash != "" ||
		res.Events[0].Hash != recs[0].Hash || res.Events[1].Hash != recs[1].Hash {
		t.Fatalf("%+v %v", recs, err)
	}
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	r, err := audit.VerifyLog(ctx, page(s), 10, 0, audit.Options{Keys: audit.NewKeyring(key.Public().(ed25519.PublicKey))}, nil)
	if err != nil || r.OK || *r.FirstBad != 1 || r.Bad != 2 || !strings.Contains(r.Reason, "unsigned") {
		t.Fatalf("%+v %v", r, err)
	}
}
