package eventlog_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"sync"
	"testing"

	"github.com/ehelse/portfolio/audit"
	"github.com/ehelse/portfolio/eventlog"
)

func newKey(t *testing.T) (ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv
}

// TestWrittenVouchesOnlyForTheSameBytesAtTheSamePosition: the record vouches
// for exactly the payload hash and signature header it was given at that
// position, under a keyring that trusts the signer.
func TestWrittenVouchesOnlyForTheSameBytesAtTheSamePosition(t *testing.T) {
	pub, priv := newKey(t)
	keys := audit.NewKeyring(pub)
	w := eventlog.NewWritten(pub, 8)
	payload := []byte(`{"id":"e1"}`)
	h := audit.HashEvent(payload)
	sig := audit.Sign(priv, h)
	if w.Vouches(keys, 5, h, sig) {
		t.Fatal("vouches before Add")
	}
	w.Add(5, h, sig)
	if !w.Vouches(keys, 5, h, sig) {
		t.Fatal("does not vouch for what was added")
	}
	altered := audit.HashEvent([]byte(`{"id":"e2"}`))
	otherPub, otherPriv := newKey(t)
	for name, ok := range map[string]bool{
		"another position":                     w.Vouches(keys, 6, h, sig),
		"another position in the same slot":    w.Vouches(keys, 13, h, sig),
		"altered payload":                      w.Vouches(keys, 5, altered, sig),
		"altered payload, re-signed elsewhere": w.Vouches(keys, 5, altered, audit.Sign(otherPriv, altered)),
		"another signature header":             w.Vouches(keys, 5, h, audit.Sign(otherPriv, h)),
		"no signature":                         w.Vouches(keys, 5, h, ""),
		"keyring without the signer":           w.Vouches(audit.NewKeyring(otherPub), 5, h, sig),
		"no keyring":                           w.Vouches(nil, 5, h, sig),
	} {
		if ok {
			t.Errorf("%s: vouched", name)
		}
	}
	// A keyring whose entry under the signer's key id is another key
	// (a forged keyring) does not make it vouch.
	forged := audit.Keyring{audit.KeyID(pub): otherPub}
	if w.Vouches(forged, 5, h, sig) {
		t.Error("vouched under a keyring with another key for the signer's id")
	}
	// Overwritten by a later position in the same slot: forgotten.
	h2 := audit.HashEvent([]byte(`{"id":"e3"}`))
	w.Add(13, h2, audit.Sign(priv, h2))
	if w.Vouches(keys, 5, h, sig) {
		t.Error("still vouches for an event whose slot was reused")
	}
	if !w.Vouches(keys, 13, h2, audit.Sign(priv, h2)) {
		t.Error("does not vouch for the newer event")
	}
}

func TestWrittenNil(t *testing.T) {
	if w := eventlog.NewWritten(nil, 8); w != nil {
		t.Fatal("a record without a signer")
	}
	var w *eventlog.Written
	pub, priv := newKey(t)
	h := audit.HashEvent([]byte("x"))
	w.Add(1, h, audit.Sign(priv, h))
	if w.Vouches(audit.NewKeyring(pub), 1, h, audit.Sign(priv, h)) {
		t.Fatal("nil record vouches")
	}
}

func TestWrittenConcurrent(t *testing.T) {
	pub, priv := newKey(t)
	keys := audit.NewKeyring(pub)
	w := eventlog.NewWritten(pub, 0)
	h := audit.HashEvent([]byte("x"))
	sig := audit.Sign(priv, h)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 1000 {
				pos := uint64(g*1000 + i + 1)
				w.Add(pos, h, sig)
				if !w.Vouches(keys, pos, h, sig) {
					t.Errorf("position %d not vouched right after Add", pos)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestWrittenWaitsForAnAppendInFlight: a reader that meets an event being
// appended (Expect) gets the answer of the record once the append ends:
// yes after Add, no when the append failed.
func TestWrittenWaitsForAnAppendInFlight(t *testing.T) {
	pub, priv := newKey(t)
	keys := audit.NewKeyring(pub)
	w := eventlog.NewWritten(pub, 8)
	for _, stored := range []bool{true, false} {
		h := audit.HashEvent([]byte(fmt.Sprint(stored)))
		sig := audit.Sign(priv, h)
		w.Expect(h, sig)
		got := make(chan bool)
		go func() { got <- w.Vouches(keys, 3, h, sig) }()
		if stored {
			w.Add(3, h, sig)
		}
		w.Done(h, sig)
		if v := <-got; v != stored {
			t.Errorf("stored %v: vouched %v", stored, v)
		}
	}
}
