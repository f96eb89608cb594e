package services

import (
	"crypto/ed25519"
	"crypto/rand"
	"testing"

	"github.com/ehelse/portfolio/audit"
	"github.com/ehelse/portfolio/eventlog"
)

// TestVerifyWrittenSkipsOnlyTheSignatureCheck: the policy's verification
// takes the record of what this process wrote as the verdict of the
// signature check only for the recorded bytes at the recorded position;
// envelope and chain are checked whatever the record says.
func TestVerifyWrittenSkipsOnlyTheSignatureCheck(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	keys := audit.NewKeyring(pub)
	w := eventlog.NewWritten(pub, 64)
	stored := func(pos uint64, id string, version uint64, prev, sig string) eventlog.Record {
		t.Helper()
		b, err := eventlog.EncodeEvent(eventlog.DefaultSource, eventlog.Meta{CommandID: "c", Actor: "t"}, "dependency", id, version, prev,
			eventlog.NewEvent{ID: "01JDTEST0000000000000000001", Type: "DependencyAtRisk", Data: []byte(`{}`)})
		if err != nil {
			t.Fatal(err)
		}
		r, err := eventlog.DecodeRecord(eventlog.Subject("dependency", id, "DependencyAtRisk"), pos, b)
		if err != nil {
			t.Fatal(err)
		}
		if sig == "" {
			sig = audit.Sign(priv, audit.HashEvent(b))
		}
		r.Signature = sig
		return r
	}
	bad := audit.Sign(priv, audit.HashEvent([]byte("something else")))

	good := stored(1, "a", 1, "", "")
	w.Add(1, audit.HashEvent(good.Raw), good.Signature)
	if err := verifyWritten(keys, w, good, 0, ""); err != nil {
		t.Fatalf("own event: %v", err)
	}
	// Recorded at 2: another event; the stream holds other bytes there
	// under that event's signature header.
	original := stored(2, "b", 1, "", "")
	w.Add(2, audit.HashEvent(original.Raw), original.Signature)
	altered := stored(2, "bb", 1, "", original.Signature)
	if err := verifyWritten(keys, w, altered, 0, ""); err == nil {
		t.Error("an event altered after it was written passes")
	}
	// The same bytes recorded at another position.
	moved := stored(3, "c", 1, "", bad)
	w.Add(4, audit.HashEvent(moved.Raw), bad)
	if err := verifyWritten(keys, w, moved, 0, ""); err == nil {
		t.Error("an entry at another position vouched")
	}
	// Recorded exactly: the signature is not checked (a bad one passes,
	// which only a test can arrange) ...
	vouched := stored(5, "d", 1, "", bad)
	w.Add(5, audit.HashEvent(vouched.Raw), bad)
	if err := verifyWritten(keys, w, vouched, 0, ""); err != nil {
		t.Errorf("a vouched event: %v", err)
	}
	if err := verifyRecord(keys, vouched, 0, ""); err == nil {
		t.Error("without the record the bad signature passes")
	}
	// ... but the chain is: version 1 does not follow version 1.
	if err := verifyWritten(keys, w, vouched, 1, audit.HashEvent(good.Raw).String()); err == nil {
		t.Error("a vouched event that breaks its chain passes")
	}
	// And a keyring that does not trust the signer gets no vouching.
	other, _, _ := ed25519.GenerateKey(rand.Reader)
	if err := verifyWritten(audit.NewKeyring(other), w, good, 0, ""); err == nil {
		t.Error("an event signed by an untrusted key passes")
	}
}
