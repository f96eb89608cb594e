package eventlog

import (
	"crypto/ed25519"
	"crypto/sha256"
	"sync"
	"time"

	"github.com/ehelse/portfolio/audit"
)

// DefaultWrittenSize is the number of events a Written remembers by
// default: the last 16,384 appended, far more than the readers of the log
// in the same process (the read models, the policy) are ever behind while
// they keep up, in 16,384 × 40 bytes.
const DefaultWrittenSize = 1 << 14

// Written is a bounded, in-memory record of the events this process
// signed and appended, so that the readers of the log in the same process
// need not verify again a signature the process made itself.
//
// For each event the event store had acknowledged it keeps the event's
// stream position and a digest of exactly the stored bytes a signature
// check depends on: the hash of the payload (audit.HashEvent, which the
// signature signs) and the Portfolio-Signature header. A reader that finds
// the same position and the same digest for a message it read from the
// stream knows that the message's payload and header are byte for byte
// what this process signed with its key, so audit.Keyring.Check would
// accept it — provided the reader trusts that key, which Vouches checks
// too. Everything else about the event (its envelope, its subject, its
// place in its aggregate's chain) is still the reader's to check: the
// record says only "this signature is ours", never "this event is good".
//
// It promises nothing about events it does not hold: an event of another
// process, one appended before this process started, one older than the
// last DefaultWrittenSize (or the size given), or one whose stored bytes
// differ in any way is not vouched for, and its reader verifies it in
// full. A reader that meets an event of this process in the stream before
// the store has recorded it (Expect) waits a little for the record.
//
// A nil *Written remembers nothing and vouches for nothing. Its methods
// are safe for concurrent use.
type Written struct {
	keyID string
	pub   ed25519.PublicKey

	mu    sync.Mutex
	slots []writtenSlot // slot of position p: slots[p % len(slots)]
	// pending holds the digests of events being appended (Expect), each
	// with a channel closed by Done.
	pending map[[sha256.Size]byte]chan struct{}
}

// WrittenWait bounds how long Vouches waits for the acknowledgement of an
// event it finds being appended (see Expect).
const WrittenWait = 50 * time.Millisecond

type writtenSlot struct {
	position uint64 // 0: empty
	digest   [sha256.Size]byte
}

// NewWritten returns a record of the events signed with the private key
// whose public key is signer, holding the last size events (at least 1;
// DefaultWrittenSize when size is 0 or less). It returns nil when signer
// is not an Ed25519 public key: with no signer there is nothing to vouch
// for.
func NewWritten(signer ed25519.PublicKey, size int) *Written {
	if len(signer) != ed25519.PublicKeySize {
		return nil
	}
	if size <= 0 {
		size = DefaultWrittenSize
	}
	return &Written{keyID: audit.KeyID(signer), pub: signer, slots: make([]writtenSlot, size),
		pending: map[[sha256.Size]byte]chan struct{}{}}
}

// writtenDigest binds the payload's hash and the signature header: a
// change to either changes it.
func writtenDigest(hash audit.Hash, signature string) [sha256.Size]byte {
	d := sha256.New()
	d.Write(hash[:])
	d.Write([]byte(signature))
	var out [sha256.Size]byte
	d.Sum(out[:0])
	return out
}

// Add records that the event at position, whose payload hashes to hash,
// was stored with the signature header signature, made by this process
// with the signer's key. Call it only once the store acknowledged the
// event at that position; it replaces whatever the slot held.
func (w *Written) Add(position uint64, hash audit.Hash, signature string) {
	if w == nil || position == 0 || signature == "" {
		return
	}
	d := writtenDigest(hash, signature)
	w.mu.Lock()
	w.slots[position%uint64(len(w.slots))] = writtenSlot{position: position, digest: d}
	w.mu.Unlock()
}

// Expect says that an event whose payload hashes to hash, with the
// signature header signature, is about to be appended. A reader in the
// same process can meet the event in the stream before the store has
// seen the acknowledgement and called Add (the acknowledgement and the
// consumers' deliveries leave the server at the same time); Vouches then
// waits for Add, at most WrittenWait, rather than answer no at once. Call
// Done once Add was called, or the append failed.
func (w *Written) Expect(hash audit.Hash, signature string) {
	if w == nil || signature == "" {
		return
	}
	d := writtenDigest(hash, signature)
	w.mu.Lock()
	if _, ok := w.pending[d]; !ok {
		w.pending[d] = make(chan struct{})
	}
	w.mu.Unlock()
}

// Done ends what Expect began, waking the readers waiting for it.
func (w *Written) Done(hash audit.Hash, signature string) {
	if w == nil || signature == "" {
		return
	}
	d := writtenDigest(hash, signature)
	w.mu.Lock()
	ch, ok := w.pending[d]
	delete(w.pending, d)
	w.mu.Unlock()
	if ok {
		close(ch)
	}
}

// Vouches reports whether the message at position, with payload hash hash
// and signature header signature, is an event this process signed and
// appended at that very position, byte for byte, and keys trusts the key
// it was signed with: then keys.Check(signature, hash) would return nil,
// and the caller may skip that check (and only that one).
func (w *Written) Vouches(keys audit.Keyring, position uint64, hash audit.Hash, signature string) bool {
	if w == nil || position == 0 || signature == "" {
		return false
	}
	if pub, ok := keys[w.keyID]; !ok || !pub.Equal(w.pub) {
		return false
	}
	d := writtenDigest(hash, signature)
	w.mu.Lock()
	s := w.slots[position%uint64(len(w.slots))]
	wait := w.pending[d]
	w.mu.Unlock()
	if s.position == position && s.digest == d {
		return true
	}
	if wait == nil {
		return false
	}
	// Being appended by this process: its acknowledgement is on its way.
	timer := time.NewTimer(WrittenWait)
	defer timer.Stop()
	select {
	case <-wait:
	case <-timer.C:
		return false
	}
	w.mu.Lock()
	s = w.slots[position%uint64(len(w.slots))]
	w.mu.Unlock()
	return s.position == position && s.digest == d
}
