package projections

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	bolt "go.etcd.io/bbolt"

	"github.com/ehelse/portfolio/audit"
	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/eventlog"
	"github.com/ehelse/portfolio/eventstore"
	"github.com/ehelse/portfolio/eventstore/natstest"
)

// Verification is prepared on many goroutines (prepare) from one decoding
// of each message. These tests hold it to what verifying each event in
// turn with audit.Inspect, as the read models did before, decides.

// envelopeTemplate is a stored event; %s are replaced.
const envelopeTemplate = `{"specversion":"1.0","id":"01JDTEST0000000000000000001","source":"/portfolio","type":"no.ehelse.portfolio.StatusReported.v1",` +
	`"subject":"initiative/01JDINI0000000000000000001","time":"2026-03-01T10:00:00.123456Z","datacontenttype":"application/json",` +
	`"aggregatetype":"initiative","aggregateid":"01JDINI0000000000000000001","aggregateversion":7,"actor":"sekretariat",` +
	`"causationid":"c1","correlationid":"c2","prevhash":"5f0d1b2d3c4e5f60718293a4b5c6d7e8f90112233445566778899aabbccddeef",` +
	`"data":{"initiativeId":"01JDINI0000000000000000001","reportDate":"2026-03-01","overall":"red","schedule":"green","cost":"green","benefit":"green"}}`

const templateSubject = "portfolio.events.initiative.01JDINI0000000000000000001.StatusReported"

// mutations of the template, each a (old, new) replacement or a byte
// change.
var envelopeMutations = [][2]string{
	{`"specversion":"1.0"`, `"specversion":"1.1"`}, {`"id":"01JDTEST0000000000000000001",`, ``}, {`"id":"01JDTEST0000000000000000001"`, `"id":""`},
	{`"id":"01JDTEST0000000000000000001"`, `"ID":"01JDTEST0000000000000000002"`}, {`.StatusReported.v1"`, `.StatusReported"`},
	{`.StatusReported.v1"`, `.StatusReported.v2"`}, {`.StatusReported.v1"`, `.StatusReported.x1"`}, {`.StatusReported.v1"`, `.StatusReported.v0"`},
	{`"no.ehelse.portfolio.`, `"no.ehelse.other.`}, {`"subject":"initiative/01JDINI0000000000000000001"`, `"subject":"initiative/x"`},
	{`"aggregatetype":"initiative"`, `"aggregatetype":"case"`}, {`"aggregatetype":"initiative"`, `"aggregatetype":"ini tiative"`},
	{`"aggregateversion":7`, `"aggregateversion":"7"`}, {`"aggregateversion":7`, `"aggregateversion":0`}, {`"aggregateversion":7`, `"aggregateversion":7.5`},
	{`"aggregateversion":7`, `"aggregateversion":null`}, {`"aggregateversion":7,`, ``}, {`"aggregateversion":7`, `"aggregateversion":-7`},
	{`"time":"2026-03-01T10:00:00.123456Z"`, `"time":"yesterday"`}, {`"time":"2026-03-01T10:00:00.123456Z"`, `"time":7`},
	{`"actor":"sekretariat"`, `"actor":7`}, {`"actor":"sekretariat"`, `"actor":null`}, {`"source":"/portfolio"`, `"source":["x"]`},
	{`"causationid":"c1"`, `"causationid":{}`}, {`"datacontenttype":"application/json"`, `"datacontenttype":false`},
	{`"prevhash":"5f0d1b2d3c4e5f60718293a4b5c6d7e8f90112233445566778899aabbccddeef"`, `"prevhash":""`},
	{`"prevhash":"5f0d1b2d3c4e5f60718293a4b5c6d7e8f90112233445566778899aabbccddeef"`, `"prevhash":null`},
	{`"prevhash":"5f0d1b2d3c4e5f60718293a4b5c6d7e8f90112233445566778899aabbccddeef"`, `"prevhash":"XYZ"`},
	{`"prevhash":"5f0d1b2d3c4e5f60718293a4b5c6d7e8f90112233445566778899aabbccddeef"`, `"prevhash":7`},
	{`"prevhash":"5f0d1b2d3c4e5f60718293a4b5c6d7e8f90112233445566778899aabbccddeef",`, ``},
	{`"prevhash":"5f0d`, `"prevhash":"5F0D`}, {`"data":{`, `"data":null,"x":{`}, {`"data":{`, `"data":"str","x":{`},
	{`"overall":"red"`, `"overall":7`}, {`{"specversion"`, `{"specversion":"1.0","specversion"`}, {`"aggregateid":"01JDINI`, `"aggregateid":"01JDINX`},
	{`"aggregateid":"01JDINI0000000000000000001"`, `"aggregateid":""`}, {`"type":"no.ehelse.portfolio.StatusReported.v1"`, `"type":"no.ehelse.portfolio.Status.Reported.v1"`},
	{`}}`, `}`}, {`"actor"`, `"Actor"`}, {`"prevhash"`, `"PrevHash"`}, {`"sekretariat"`, `"sekr\u00e9tariat"`}, {`"sekretariat"`, "\"sekr\xffariat\""},
}

func mutate(r *mrand.Rand, payload string) string {
	for n := 1 + r.Intn(3); n > 0; n-- {
		if r.Intn(5) == 0 && len(payload) > 0 {
			b := []byte(payload)
			b[r.Intn(len(b))] ^= byte(1 << r.Intn(8))
			payload = string(b)
			continue
		}
		m := envelopeMutations[r.Intn(len(envelopeMutations))]
		payload = strings.Replace(payload, m[0], m[1], 1)
	}
	return payload
}

// TestOneDecodingInspectsAsAudit: for valid and malformed envelopes, the
// inspection prepared from the single decoding equals audit.Inspect's, and
// whenever eventlog.DecodeRecord accepts a payload, audit.DecodeEnvelope
// accepts it with the same fields.
func TestOneDecodingInspectsAsAudit(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	keys := audit.NewKeyring(pub)
	r := mrand.New(mrand.NewSource(1))
	subjects := []string{templateSubject, templateSubject, templateSubject, "portfolio.events.initiative.01JDINI0000000000000000001.Other", "portfolio.events.case.x.StatusReported"}
	accepted, refused := 0, 0
	for i := 0; i < 20000; i++ {
		payload, subject := envelopeTemplate, templateSubject
		if i%3 != 0 {
			payload = mutate(r, payload)
		}
		if r.Intn(4) == 0 {
			subject = subjects[r.Intn(len(subjects))]
		}
		var sig string
		switch r.Intn(5) {
		case 0:
		case 1:
			sig = audit.Sign(other, audit.HashEvent([]byte(payload)))
		case 2:
			sig = "ed25519:garbage"
		default:
			sig = audit.Sign(priv, audit.HashEvent([]byte(payload)))
		}
		if rec, err := eventlog.DecodeRecord(subject, 9, []byte(payload)); err == nil {
			accepted++
			env, err := audit.DecodeEnvelope(subject, []byte(payload))
			if err != nil {
				t.Fatalf("DecodeRecord accepts %s but DecodeEnvelope says %v", payload, err)
			}
			if env.ID != rec.ID || env.EventType != rec.Type || env.AggregateType != rec.AggregateType ||
				env.AggregateID != rec.AggregateID || env.Version != rec.Version || env.PrevHash != rec.PrevHash {
				t.Fatalf("%s: envelope %+v, record %+v", payload, env, rec)
			}
		} else {
			refused++
		}
		it := rawItem(subject, 9, []byte(payload), sig)
		prepare([]item{it}, keys, nil) // a copy: prepare works in place on the slice
		items := []item{it}
		prepare(items, keys, nil)
		got := items[0].insp
		c, err := audit.Inspect(keys, audit.Event{Position: 9, Subject: subject, Payload: []byte(payload), Signature: sig})
		if fmt.Sprint(got.err) != fmt.Sprint(err) || got.checked != c {
			t.Fatalf("%s (%q): prepared %+v / %v, audit.Inspect %+v / %v", payload, sig, got.checked, got.err, c, err)
		}
		// and the item as the old decoder made it
		old := refDecodeItem(subject, 9, []byte(payload))
		if got := items[0]; got.EventID != old.EventID || got.AggType != old.AggType || got.AggID != old.AggID ||
			got.Type != old.Type || got.Skip != old.Skip || fmt.Sprint(got.Rec) != fmt.Sprint(old.Rec) {
			t.Fatalf("%s: decoded %+v, want %+v", payload, got, old)
		}
	}
	t.Logf("accepted %d, refused %d", accepted, refused)
	if accepted < 3000 || refused < 3000 {
		t.Fatalf("accepted %d, refused %d: the mutations do not cover both", accepted, refused)
	}
}

// refDecodeItem is decodeItem as it was.
func refDecodeItem(subject string, seq uint64, data []byte) item {
	msg := audit.Event{Position: seq, Subject: subject, Payload: data}
	rec, err := eventlog.DecodeRecord(subject, seq, data)
	if err != nil {
		return item{Position: seq, Skip: "undecodable event envelope: " + err.Error(), Msg: msg}
	}
	it := item{Position: seq, EventID: rec.ID, AggType: rec.AggregateType, AggID: rec.AggregateID, Type: rec.Type, Msg: msg}
	if domain.AggregateType(rec.AggregateType) == domain.Series {
		return it
	}
	ev, err := domain.DecodeEvent(rec.Type, rec.SchemaVersion, rec.Data)
	if err != nil {
		it.Skip = err.Error()
		return it
	}
	it.Rec = domain.Recorded{ID: rec.ID, Version: rec.Version, Position: seq, Time: rec.Time, Actor: rec.Actor, Event: ev}
	return it
}

// TestVerifiedBuildsAgree: a signed log with forged, altered, replayed,
// unsigned and malformed messages gives the same read models, the same
// rejections (positions and reasons) and the same counts whether it is
// built by BuildFile (pipeline, parallel inspection), by the runner, or by
// verifying each event in turn with audit.Inspect.
func TestVerifiedBuildsAgree(t *testing.T) {
	_, _, js := natstest.RunServer(t)
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	ctx := context.Background()
	head := forgedLog(t, js, key, nil)
	keys := audit.NewKeyring(pub)
	want, refRejects := verifyInTurn(t, js, keys)
	if len(refRejects) < 10 {
		t.Fatalf("only %d rejections: %v", len(refRejects), refRejects)
	}
	t.Logf("rejections:\n%s", strings.Join(refRejects, "\n"))

	// BuildFile: the pipeline, with its sizes and with tiny ones (many
	// transactions, documents held between them to the end or dropped
	// often, the file reopened).
	for _, sizes := range []func() func(){nil, tinyTransactions, tinyRebuilds} {
		tiny := sizes != nil
		if tiny {
			restore := sizes()
			defer restore()
		}
		var logs syncBuffer
		logger := slog.New(slog.NewTextHandler(&logs, nil))
		path := filepath.Join(t.TempDir(), FileName)
		if err := (Config{Logger: logger, TrustedKeys: []ed25519.PublicKey{pub}}).BuildFile(ctx, js, path, nil); err != nil {
			t.Fatal(err)
		}
		if got := dumpFile(t, path); got != want {
			t.Fatalf("BuildFile's read models differ from verifying each event in turn (tiny sizes: %v)", tiny)
		}
		if got := rejections(logs.String()); !slices.Equal(got, refRejects) {
			t.Fatalf("BuildFile rejected\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(refRejects, "\n"))
		}
	}

	// The runner, in small batches.
	var rlogs syncBuffer
	rn := startModels(t, js, Config{Dir: t.TempDir(), BatchSize: 13, TrustedKeys: []ed25519.PublicKey{pub},
		Logger: slog.New(slog.NewTextHandler(&rlogs, nil))})
	waitPos(t, rn.m, head)
	if got := rn.m.dump(t); got != want {
		t.Fatal("the runner's read models differ from verifying each event in turn")
	}
	if got := rejections(rlogs.String()); !slices.Equal(got, refRejects) {
		t.Fatalf("the runner rejected\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(refRejects, "\n"))
	}
	if st := rn.m.Stats(); st.Rejected != uint64(len(refRejects)) {
		t.Fatalf("stats %+v, want %d rejected", st, len(refRejects))
	}
}

// forgedLog appends to js a signed history (signed with key) with forged,
// altered, replayed, unsigned and malformed messages among it, and returns
// the head. mid, when not nil, runs half-way.
func forgedLog(t *testing.T, js jetstream.JetStream, key ed25519.PrivateKey, mid func()) uint64 {
	t.Helper()
	_, stranger, _ := ed25519.GenerateKey(rand.Reader)
	ctx := context.Background()
	store, err := eventstore.Open(ctx, js, eventstore.Config{Logger: quietLogger(), Signer: key})
	if err != nil {
		t.Fatal(err)
	}
	p := &publisher{t: t, store: store, last: map[domain.Ref]uint64{}}
	s := randomHistory(t, 23, 700)
	raw := func(subject string, payload []byte, sig string) {
		m := nats.NewMsg(subject)
		m.Data = payload
		if sig != "" {
			m.Header.Set(audit.SignatureHeader, sig)
		}
		if _, err := js.PublishMsg(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	stream, err := js.Stream(ctx, DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	get := func(seq uint64) *jetstream.RawStreamMsg {
		m, err := stream.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	r := mrand.New(mrand.NewSource(5))
	half := len(s.commands) / 2
	p.publish(s.commands[:half])
	// Forgeries of aggregates nothing appends to later.
	forged := func(id string, version int, prevhash string) []byte {
		return fmt.Appendf(nil, `{"specversion":"1.0","id":"01JFORGED%017d","source":"/portfolio","type":"no.ehelse.portfolio.InitiativeProposed.v1",`+
			`"subject":"initiative/%s","time":"2026-02-01T10:00:00Z","datacontenttype":"application/json","aggregatetype":"initiative","aggregateid":"%s",`+
			`"aggregateversion":%d,"actor":"x","prevhash":"%s","data":{"initiativeId":"%s","title":"Forged","owner":"X","primarySubGoal":"1A","primaryGoal":"M1","plannedStart":"2026-01-01","plannedEnd":"2027-01-01"}}`,
			r.Intn(1e9), id, id, version, prevhash, id)
	}
	subj := func(id string) string { return "portfolio.events.initiative." + id + ".InitiativeProposed" }
	f1 := forged("01JFORGEDINI0000000000001", 1, "")
	raw(subj("01JFORGEDINI0000000000001"), f1, "")                                                                                // unsigned
	raw(subj("01JFORGEDINI0000000000002"), forged("01JFORGEDINI0000000000002", 1, ""), audit.Sign(stranger, audit.HashEvent(f1))) // signed by a stranger (and not this payload)
	f3 := forged("01JFORGEDINI0000000000003", 1, "")
	raw(subj("01JFORGEDINI0000000000003"), f3, audit.Sign(stranger, audit.HashEvent(f3)))                            // signed by a stranger
	raw("portfolio.events.initiative.01JFORGEDINI0000000000004.InitiativeProposed", []byte(`{"not":"an event"`), "") // garbage
	f5 := forged("01JFORGEDINI0000000000005", 2, "")
	raw(subj("01JFORGEDINI0000000000005"), f5, audit.Sign(key, audit.HashEvent(f5))) // signed, but version 2 first: chain broken
	f6 := forged("01JFORGEDINI0000000000006", 1, "")
	raw(subj("01JFORGEDINI0000000000006"), f6, audit.Sign(key, audit.HashEvent(f6))) // genuine (signed with the key)
	f7 := forged("01JFORGEDINI0000000000007", 1, "")
	raw("portfolio.events.initiative.01JFORGEDINI0000000000007.StatusReported", f7, audit.Sign(key, audit.HashEvent(f7))) // wrong subject
	if mid != nil {
		mid()
	}
	p.publish(s.commands[half:])
	// replays and alterations of genuine messages
	info, _ := stream.Info(ctx)
	head := info.State.LastSeq
	for i := 0; i < 9; i++ {
		m := get(uint64(1 + r.Intn(int(head-1))))
		sig := m.Header.Get(audit.SignatureHeader)
		switch i % 3 {
		case 0:
			raw(m.Subject, m.Data, sig) // replayed
		case 1:
			raw(m.Subject, bytes.Replace(m.Data, []byte(`"actor":"`), []byte(`"actor":"X`), 1), sig) // altered
		case 2:
			raw(m.Subject, m.Data, "") // replayed without signature
		}
	}
	info, _ = stream.Info(ctx)
	return info.State.LastSeq
}

// verifyInTurn is the reference: the read models of the stream in js built
// with each event verified in turn with audit.Inspect, as the read models
// did before, and the rejections. Positions the stream lacks are passed
// over.
func verifyInTurn(t *testing.T, js jetstream.JetStream, keys audit.Keyring) (string, []string) {
	t.Helper()
	ctx := context.Background()
	stream, err := js.Stream(ctx, DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ref := openDB(t)
	var refRejects []string
	var batch []item
	flush := func() {
		err := ref.Update(func(tx *bolt.Tx) error {
			res, err := applyVerified(tx, batch, identity{}, nil, keys)
			for _, it := range res.Rejects {
				refRejects = append(refRejects, fmt.Sprintf("position=%d reason=%q", it.Position, it.Reject))
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		batch = batch[:0]
	}
	for seq := uint64(1); seq <= info.State.LastSeq; seq++ {
		m, err := stream.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		it := refDecodeItem(m.Subject, seq, m.Data)
		it.Msg.Signature = m.Header.Get(audit.SignatureHeader)
		c, err := audit.Inspect(keys, it.Msg)
		it.insp = inspection{done: true, checked: c, err: err}
		batch = append(batch, it)
		if len(batch) == 7 {
			flush()
		}
	}
	flush()
	return dumpDB(t, ref), refRejects
}

var rejectLine = regexp.MustCompile(`position=(\d+) .*reason=("(?:[^"\\]|\\.)*"|\S+)`)

// rejections extracts "position=N reason=…" of the rejection log lines.
func rejections(logs string) []string {
	var out []string
	for _, l := range strings.Split(logs, "\n") {
		if !strings.Contains(l, "rejected an event") {
			continue
		}
		m := rejectLine.FindStringSubmatch(l)
		if m == nil {
			out = append(out, "unparsed: "+l)
			continue
		}
		reason := m[2]
		if !strings.HasPrefix(reason, `"`) {
			reason = fmt.Sprintf("%q", reason)
		}
		out = append(out, fmt.Sprintf("position=%s reason=%s", m[1], reason))
	}
	return out
}

// tinyRebuilds makes rebuilds use tiny transactions and batches, hold
// few documents (a few thousand bytes: they drop them often) and reopen
// their file often; the returned function restores the sizes.
func tinyRebuilds() func() { return tinySizes(true) }

// tinyTransactions is tinyRebuilds holding every document to the end.
func tinyTransactions() func() { return tinySizes(false) }

func tinySizes(evict bool) func() {
	b, r, k, o := rebuildBatchSize, rebuildReadSize, maxHeldBytes, reopenEvery
	rebuildBatchSize, rebuildReadSize, reopenEvery = 7, 3, 3
	if evict {
		maxHeldBytes = 4000
	}
	return func() { rebuildBatchSize, rebuildReadSize, maxHeldBytes, reopenEvery = b, r, k, o }
}
