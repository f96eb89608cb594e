package audit

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// testKey is a fixed key, so that hashes and signatures in failures are
// reproducible.
func testKey(seed byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
}

// chain builds signed events the way the event store writes them.
type chain struct {
	key   ed25519.PrivateKey
	pos   uint64
	links map[string]Link
}

func newChain(key ed25519.PrivateKey) *chain { return &chain{key: key, links: map[string]Link{}} }

func (c *chain) event(aggType, aggID, name string) Event {
	agg := aggType + "/" + aggID
	last := c.links[agg]
	c.pos++
	prev := ""
	if last.Version > 0 {
		prev = `"prevhash":"` + last.Hash.String() + `",`
	}
	payload := []byte(`{"specversion":"1.0","id":"E` + strconv.FormatUint(c.pos, 10) + `","source":"/portfolio","type":"no.ehelse.portfolio.` + name + `.v1",` +
		`"subject":"` + agg + `","time":"2026-01-02T03:04:05Z","datacontenttype":"application/json",` +
		`"aggregatetype":"` + aggType + `","aggregateid":"` + aggID + `","aggregateversion":` + strconv.FormatUint(last.Version+1, 10) + `,` +
		prev + `"data":{"n":` + strconv.FormatUint(c.pos, 10) + `}}`)
	h := HashEvent(payload)
	c.links[agg] = Link{Hash: h, Version: last.Version + 1}
	sig := ""
	if c.key != nil {
		sig = Sign(c.key, h)
	}
	return Event{Position: c.pos, Subject: SubjectPrefix + "." + aggType + "." + aggID + "." + name, Payload: payload, Signature: sig}
}

func sampleLog(key ed25519.PrivateKey) []Event {
	c := newChain(key)
	return []Event{
		c.event("initiative", "i1", "InitiativeProposed"),
		c.event("case", "c1", "CaseRegistered"),
		c.event("initiative", "i1", "StatusReported"),
		c.event("case", "c1", "CaseApproved"),
		c.event("initiative", "i1", "InitiativeAdmitted"),
		c.event("initiative", "i2", "InitiativeProposed"),
		c.event("initiative", "i1", "StatusReported"),
	}
}

func verifyAll(keys Keyring, evs []Event, opts ...func(*Options)) Result {
	o := Options{Keys: keys}
	for _, f := range opts {
		f(&o)
	}
	v := NewVerifier(o)
	for _, e := range evs {
		v.Add(e)
	}
	return v.Result()
}

func TestHeadDefinition(t *testing.T) {
	evs := sampleLog(testKey(1))
	// head_0 = 32 zero bytes; head_n = SHA-256(head_{n-1} || SHA-256(payload_n)).
	head := make([]byte, 32)
	for _, e := range evs {
		h := sha256.Sum256(e.Payload)
		sum := sha256.Sum256(append(append([]byte{}, head...), h[:]...))
		head = sum[:]
	}
	r := verifyAll(NewKeyring(testKey(1).Public().(ed25519.PublicKey)), evs)
	if !r.OK || r.Events != 7 || r.Position != 7 || r.Head != hex.EncodeToString(head) || r.FirstBad != nil {
		t.Fatalf("%+v", r)
	}
	if (Hash{}).String() != strings.Repeat("0", 64) {
		t.Fatal("zero head")
	}
}

func TestSignatureFormat(t *testing.T) {
	key := testKey(2)
	pub := key.Public().(ed25519.PublicKey)
	h := HashEvent([]byte("x"))
	sig := Sign(key, h)
	sum := sha256.Sum256(pub)
	parts := strings.Split(sig, ";")
	if len(parts) != 3 || parts[0] != "ed25519" || parts[1] != hex.EncodeToString(sum[:])[:16] || len(parts[2]) != 88 {
		t.Fatalf("signature header %q", sig)
	}
	ring := NewKeyring(pub)
	if err := ring.Check(sig, h); err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string]string{
		"unsigned":    "",
		"other hash":  Sign(key, HashEvent([]byte("y"))),
		"other key":   Sign(testKey(3), h),
		"truncated":   sig[:len(sig)-4],
		"algorithm":   strings.Replace(sig, "ed25519", "rsa", 1),
		"two fields":  "ed25519;" + parts[2],
		"not base64":  parts[0] + ";" + parts[1] + ";" + strings.Repeat("!", 88),
		"wrong keyid": parts[0] + ";0000000000000000;" + parts[2],
	} {
		if err := ring.Check(bad, h); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestKeyFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "signing.key")
	key, err := GenerateSigningKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode())
	}
	if _, err := GenerateSigningKey(path); err == nil {
		t.Fatal("overwrote an existing key")
	}
	back, err := ReadSigningKey(path)
	if err != nil || !back.Equal(key) {
		t.Fatalf("read back: %v", err)
	}
	seed := key.Seed()
	for name, raw := range map[string][]byte{
		"raw seed": seed,
		"hex":      []byte(hex.EncodeToString(seed) + "\n"),
	} {
		k, err := ParseSigningKey(raw)
		if err != nil || !k.Equal(key) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := ParseSigningKey([]byte("nonsense")); err == nil {
		t.Error("nonsense accepted")
	}
	pub := key.Public().(ed25519.PublicKey)
	for _, text := range []string{EncodePublicKey(pub), PublicKeyPEM(pub), hex.EncodeToString(pub)} {
		p, err := ParsePublicKey(text)
		if err != nil || !p.Equal(pub) {
			t.Errorf("%q: %v", text, err)
		}
	}
	keys, err := ParsePublicKeys("# old keys\n" + EncodePublicKey(pub) + "\n\n" + PublicKeyPEM(testKey(9).Public().(ed25519.PublicKey)))
	if err != nil || len(keys) != 2 {
		t.Fatalf("%d keys, %v", len(keys), err)
	}
}

func TestVerifierFindsBadEvents(t *testing.T) {
	key := testKey(1)
	ring := NewKeyring(key.Public().(ed25519.PublicKey))
	first := func(r Result) uint64 {
		if r.FirstBad == nil {
			return 0
		}
		return *r.FirstBad
	}
	t.Run("unsigned", func(t *testing.T) {
		evs := sampleLog(nil)
		if r := verifyAll(ring, evs); r.OK || first(r) != 1 || r.Bad != 7 || !strings.Contains(r.Reason, "unsigned") {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("no trusted keys", func(t *testing.T) {
		if r := verifyAll(nil, sampleLog(key)); r.OK || first(r) != 1 {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("altered payload", func(t *testing.T) {
		evs := sampleLog(key)
		evs[2].Payload = bytes.Replace(evs[2].Payload, []byte(`"n":3`), []byte(`"n":4`), 1)
		r := verifyAll(ring, evs)
		// The altered event is bad; so is every later event of its
		// aggregate (their chain leads through the altered one).
		if r.OK || first(r) != 3 || !strings.Contains(r.Reason, "invalid signature") {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("forged event", func(t *testing.T) {
		evs := sampleLog(key)
		// Someone without the key appends a well-formed event, chained
		// correctly, signed with their own key.
		c := newChain(testKey(7))
		c.pos = 7
		c.links["initiative/i1"] = Link{Hash: HashEvent(evs[6].Payload), Version: 4}
		forged := c.event("initiative", "i1", "StatusReported")
		// A genuine event after it continues from the last good one.
		g := newChain(key)
		g.pos = 8
		g.links["initiative/i1"] = Link{Hash: HashEvent(evs[6].Payload), Version: 4}
		genuine := g.event("initiative", "i1", "InitiativePaused")
		r := verifyAll(ring, append(evs, forged, genuine))
		if r.OK || first(r) != 8 || r.Bad != 1 || !strings.Contains(r.Reason, "not trusted") {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("wrong subject", func(t *testing.T) {
		evs := sampleLog(key)
		evs[3].Subject = "portfolio.events.case.c2.CaseApproved"
		if r := verifyAll(ring, evs); first(r) != 4 || !strings.Contains(r.Reason, "subject") {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("not an event", func(t *testing.T) {
		evs := sampleLog(key)
		evs[1].Payload = []byte("garbage")
		evs[1].Signature = Sign(key, HashEvent(evs[1].Payload))
		if r := verifyAll(ring, evs); first(r) != 2 || !strings.Contains(r.Reason, "does not decode") {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("missing event", func(t *testing.T) {
		evs := sampleLog(key)
		// Drop event 3 (i1 v2): event 5 (i1 v3) breaks the chain.
		r := verifyAll(ring, append(evs[:2:2], evs[3:]...))
		if r.OK || first(r) != 5 || r.Missing != 1 || r.FirstMissing == nil || *r.FirstMissing != 3 || !strings.Contains(r.Reason, "chain broken") {
			t.Fatalf("%+v", r)
		}
		// Dropping the last event of an aggregate shows as a gap.
		r = verifyAll(ring, append(evs[:5:5], evs[6:]...))
		if r.OK || r.FirstBad != nil || r.Missing != 1 || !strings.Contains(r.Reason, "missing") {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("reordered", func(t *testing.T) {
		evs := sampleLog(key)
		evs[1], evs[2] = evs[2], evs[1] // different aggregates
		if r := verifyAll(ring, evs); r.OK || first(r) != 2 || !strings.Contains(r.Reason, "out of order") {
			t.Fatalf("%+v", r)
		}
		evs = sampleLog(key)
		evs[2], evs[4] = evs[4], evs[2] // the same aggregate
		if r := verifyAll(ring, evs); r.OK || first(r) != 5 {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("replayed", func(t *testing.T) {
		evs := sampleLog(key)
		dup := evs[2]
		dup.Position = 8
		if r := verifyAll(ring, append(evs, dup)); r.OK || first(r) != 8 || !strings.Contains(r.Reason, "chain broken") {
			t.Fatalf("%+v", r)
		}
	})
}

func TestSince(t *testing.T) {
	key := testKey(1)
	ring := NewKeyring(key.Public().(ed25519.PublicKey))
	evs := sampleLog(key)
	saved := verifyAll(ring, evs[:4], func(o *Options) { o.CheckpointEvery = 1 }).Digest()
	if len(saved.Checkpoints) != 4 || saved.Validate() != nil {
		t.Fatalf("%+v", saved)
	}
	// The grown log extends it, with and without checkpoints.
	for _, d := range []Digest{saved, {Events: saved.Events, Position: saved.Position, Head: saved.Head}} {
		r := verifyAll(ring, evs, func(o *Options) { o.Since = &d })
		if !r.OK || r.Since == nil || !r.Since.OK || r.Since.AgreedThrough != 4 {
			t.Fatalf("%+v %+v", r, r.Since)
		}
	}
	// A rewritten second event: with checkpoints the divergence is exact.
	other := sampleLog(key)
	other[1].Payload = bytes.Replace(other[1].Payload, []byte(`"n":2`), []byte(`"n":9`), 1)
	r := verifyAll(ring, other, func(o *Options) { o.Since = &saved })
	if r.OK || r.Since.OK || r.Since.DivergedAt == nil || *r.Since.DivergedAt != 2 || r.Since.AgreedThrough != 1 {
		t.Fatalf("%+v %+v", r, r.Since)
	}
	// Without checkpoints, only that it diverged by event 4.
	final := Digest{Events: saved.Events, Head: saved.Head}
	r = verifyAll(ring, other, func(o *Options) { o.Since = &final })
	if r.Since.OK || *r.Since.DivergedAt != 4 || r.Since.AgreedThrough != 0 {
		t.Fatalf("%+v", r.Since)
	}
	// A shorter log does not extend it.
	r = verifyAll(ring, evs[:3], func(o *Options) { o.Since = &saved })
	if r.OK || r.Since.OK || r.Since.DivergedAt != nil || !strings.Contains(r.Reason, "fewer") {
		t.Fatalf("%+v %+v", r, r.Since)
	}
	// Every log extends the empty one.
	empty := Digest{Head: (Hash{}).String()}
	if r := verifyAll(ring, evs, func(o *Options) { o.Since = &empty }); !r.OK {
		t.Fatalf("%+v", r)
	}
}

func TestCheckpointInterval(t *testing.T) {
	for n, want := range map[uint64]uint64{0: 1, 1: 1, 1024: 1, 1025: 2, 2048: 2, 2049: 4, 1_000_000: 1024} {
		if got := CheckpointInterval(n); got != want {
			t.Errorf("CheckpointInterval(%d) = %d, want %d", n, got, want)
		}
	}
}

func TestJSONLRoundTrip(t *testing.T) {
	key := testKey(1)
	pub := key.Public().(ed25519.PublicKey)
	evs := sampleLog(key)
	var buf bytes.Buffer
	hdr := Header{PublicKey: EncodePublicKey(pub), KeyID: KeyID(pub), ExportedAt: "2026-01-01T00:00:00Z"}
	n, err := WriteJSONL(&buf, hdr, func(yield func(Event, error) bool) {
		for _, e := range evs {
			if !yield(e, nil) {
				return
			}
		}
	})
	if err != nil || n != 7 {
		t.Fatal(n, err)
	}
	export := buf.String()
	var calls int
	r, err := VerifyJSONL(strings.NewReader(export), []ed25519.PublicKey{pub}, func(Progress) { calls++ })
	if err != nil || !r.OK || r.Events != 7 || r.Header.KeyID != KeyID(pub) || calls == 0 {
		t.Fatalf("%+v %v", r, err)
	}
	if want := verifyAll(NewKeyring(pub), evs).Head; r.Head != want {
		t.Fatalf("head %s, want %s", r.Head, want)
	}
	// Trusting only the header's key works too; trusting nothing fails.
	if r, _ := VerifyJSONLWith(strings.NewReader(export), JSONLOptions{TrustHeaderKey: true}, nil); !r.OK {
		t.Fatalf("%+v", r)
	}
	if r, _ := VerifyJSONL(strings.NewReader(export), nil, nil); r.OK {
		t.Fatal("no keys: ok")
	}
	lines := strings.Split(strings.TrimSuffix(export, "\n"), "\n")
	// Every one-byte change of an event line is detected.
	for i := 1; i < len(lines); i++ {
		step := 5
		if i == 3 {
			step = 1 // every byte of one line
		}
		for j := 0; j < len(lines[i]); j += step {
			for _, flip := range []byte{0x01, 0x20} {
				b := []byte(lines[i])
				b[j] ^= flip
				changed := append(append(append([]string{}, lines[:i]...), string(b)), lines[i+1:]...)
				r, err := VerifyJSONL(strings.NewReader(strings.Join(changed, "\n")+"\n"), []ed25519.PublicKey{pub}, nil)
				if err != nil || r.OK {
					t.Fatalf("line %d byte %d (%q→%q): undetected: %+v %v", i, j, lines[i][j], b[j], r, err)
				}
			}
		}
	}
	// A dropped line: the next event of its aggregate breaks the chain.
	dropped := append(append([]string{}, lines[:3]...), lines[4:]...) // drops position 3 (i1 v2)
	r, _ = VerifyJSONL(strings.NewReader(strings.Join(dropped, "\n")), []ed25519.PublicKey{pub}, nil)
	if r.OK || r.FirstBad == nil || *r.FirstBad != 5 || r.FirstBadLine != 5 {
		t.Fatalf("dropped: %+v", r)
	}
	// Swapped lines.
	swapped := append([]string{}, lines...)
	swapped[3], swapped[5] = swapped[5], swapped[3]
	r, _ = VerifyJSONL(strings.NewReader(strings.Join(swapped, "\n")), []ed25519.PublicKey{pub}, nil)
	if r.OK || r.FirstBad == nil {
		t.Fatalf("swapped: %+v", r)
	}
	// Not an export.
	if _, err := VerifyJSONL(strings.NewReader(""), nil, nil); err == nil {
		t.Fatal("empty input accepted")
	}
	if _, err := VerifyJSONL(strings.NewReader(lines[1]), nil, nil); err == nil {
		t.Fatal("no header accepted")
	}
}

func TestDecodeEnvelopePrevHash(t *testing.T) {
	evs := sampleLog(testKey(1))
	e, err := DecodeEnvelope(evs[2].Subject, evs[2].Payload)
	if err != nil || e.PrevHash != HashEvent(evs[0].Payload).String() || e.Version != 2 || e.Aggregate() != "initiative/i1" || e.EventType != "StatusReported" {
		t.Fatalf("%+v %v", e, err)
	}
	upper := bytes.Replace(evs[2].Payload, []byte(e.PrevHash), []byte(strings.ToUpper(e.PrevHash)), 1)
	if _, err := DecodeEnvelope(evs[2].Subject, upper); err == nil {
		t.Fatal("upper-case prevhash accepted")
	}
}

// TestCheckAllAgreesWithCheck: the batch check gives every signature
// exactly Check's verdict and reason, whatever else is in the batch.
func TestCheckAllAgreesWithCheck(t *testing.T) {
	good, other := testKey(1), testKey(2)
	keys := NewKeyring(good.Public().(ed25519.PublicKey))
	hashOf := func(i int) Hash { return HashEvent([]byte("event " + strconv.Itoa(i))) }
	kinds := []func(i int) (string, Hash){
		func(i int) (string, Hash) { return Sign(good, hashOf(i)), hashOf(i) },     // good
		func(i int) (string, Hash) { return Sign(good, hashOf(i)), hashOf(i + 1) }, // altered event
		func(i int) (string, Hash) { return Sign(other, hashOf(i)), hashOf(i) },    // untrusted key
		func(i int) (string, Hash) { return "", hashOf(i) },                        // unsigned
		func(i int) (string, Hash) { return "ed25519;x;AAAA", hashOf(i) },          // malformed
		func(i int) (string, Hash) { // a trusted key id with another key's signature
			_, _, sig, _ := ParseSignature(Sign(other, hashOf(i)))
			return Algorithm + ";" + KeyID(good.Public().(ed25519.PublicKey)) + ";" + base64.StdEncoding.EncodeToString(sig), hashOf(i)
		},
		func(i int) (string, Hash) { return "rsa" + Sign(good, hashOf(i))[len(Algorithm):], hashOf(i) }, // other algorithm
	}
	rng := rand.New(rand.NewPCG(7, 7))
	for round := range 60 {
		n := rng.IntN(80)
		headers, hashes := make([]string, n), make([]Hash, n)
		bad := 0
		for i := range n {
			k := 0
			if rng.IntN(4) == 0 { // a quarter of the batches are all good
				k = rng.IntN(len(kinds))
			}
			if round%4 == 0 {
				k = 0
			}
			if k != 0 {
				bad++
			}
			headers[i], hashes[i] = kinds[k](round*100 + i)
		}
		errs := keys.CheckAll(headers, hashes)
		if len(errs) != n {
			t.Fatalf("round %d: %d results for %d signatures", round, len(errs), n)
		}
		gotBad := 0
		for i := range n {
			want, got := keys.Check(headers[i], hashes[i]), errs[i]
			if (want == nil) != (got == nil) || (want != nil && want.Error() != got.Error()) {
				t.Fatalf("round %d, signature %d: CheckAll %v, Check %v", round, i, got, want)
			}
			if got != nil {
				gotBad++
			}
		}
		if gotBad != bad {
			t.Fatalf("round %d: %d refused, %d bad made", round, gotBad, bad)
		}
	}
}

func BenchmarkCheck(b *testing.B) {
	key := testKey(1)
	keys := NewKeyring(key.Public().(ed25519.PublicKey))
	headers, hashes := make([]string, 64), make([]Hash, 64)
	for i := range headers {
		hashes[i] = HashEvent([]byte(strconv.Itoa(i)))
		headers[i] = Sign(key, hashes[i])
	}
	b.Run("one-by-one", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if err := keys.Check(headers[i%64], hashes[i%64]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("batch-of-64", func(b *testing.B) {
		for b.Loop() {
			for _, err := range keys.CheckAll(headers, hashes) {
				if err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*64), "ns/signature")
	})
}
