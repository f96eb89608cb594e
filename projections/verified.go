package projections

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sync/atomic"

	bolt "go.etcd.io/bbolt"

	"github.com/ehelse/portfolio/audit"
)

// The verified prefix.
//
// With Config.TrustedKeys, every transaction that moves the checkpoint
// also moves a record of what has been verified (BucketVerified): the
// stream's identity, the trusted keys, the position P of the checkpoint,
// the number of events up to it and a running digest over every event up
// to P (good, rejected or skipped) of the bytes a verdict depends on: its
// position, subject, payload hash and signature header. The positions
// verification rejected are kept beside it (BucketVerifiedRejected).
//
// A rebuild that finds such a record in the file it replaces (same stream,
// same keys) does not check the signatures of the events up to P that
// were not rejected: it recomputes the digest while applying and, on
// reaching P, compares it. Every other check — the envelope, the hash,
// the per-aggregate chain — is made as in a full rebuild, and rejected
// events get a full verdict. On any difference (an event altered,
// removed, added or moved, another signature header, the stream ending
// before P) the rebuild is abandoned with everything it wrote and started
// again from position 0 with every signature checked.
//
// The record lives in buckets of its own, as versioned JSON, so that the
// rebuild after a SchemaVersion change can still read it from the old file.

// Buckets of the verified prefix.
const (
	// BucketVerified: "record" → the verified record (JSON, versioned).
	BucketVerified = "verified"
	// BucketVerifiedRejected: 8-byte big-endian position → empty, for each
	// position up to the record's that verification rejected.
	BucketVerifiedRejected = "verified_rejected"
)

// verifiedVersion is the version of the record's JSON; a record of another
// version is not used.
const verifiedVersion = 1

var verifiedKey = []byte("record")

// verifiedRecord is the JSON in BucketVerified.
type verifiedRecord struct {
	Version       int    `json:"version"`
	Stream        string `json:"stream"`
	StreamCreated string `json:"streamCreated"`
	TrustedKeys   string `json:"trustedKeys"`
	Position      uint64 `json:"position"`
	Events        uint64 `json:"events"`
	Digest        string `json:"digest"` // lowercase hex SHA-256
}

// leafHash is what the running digest takes of one message:
// SHA-256("pv1" || position || len(subject) || subject || SHA-256(payload)
// || SHA-256(signature header)).
func leafHash(position uint64, subject string, payloadHash audit.Hash, signature string) audit.Hash {
	sig := sha256.Sum256([]byte(signature))
	buf := make([]byte, 0, 3+8+4+len(subject)+2*sha256.Size)
	buf = append(buf, "pv1"...)
	buf = binary.BigEndian.AppendUint64(buf, position)
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(subject)))
	buf = append(buf, subject...)
	buf = append(buf, payloadHash[:]...)
	buf = append(buf, sig[:]...)
	return sha256.Sum256(buf)
}

// leaf is the item's leafHash (computed once).
func (it *item) leaf() audit.Hash {
	if !it.leafOK {
		h := it.hash
		if !it.envOK {
			h = audit.HashEvent(it.Msg.Payload)
		}
		it.leafH, it.leafOK = leafHash(it.Position, it.Msg.Subject, h, it.Msg.Signature), true
	}
	return it.leafH
}

// readVerified reads the record of tx's file (ok false when there is none
// or it cannot be read).
func readVerified(tx *bolt.Tx) (verifiedRecord, bool) {
	b := tx.Bucket([]byte(BucketVerified))
	if b == nil {
		return verifiedRecord{}, false
	}
	data := b.Get(verifiedKey)
	if data == nil {
		return verifiedRecord{}, false
	}
	var r verifiedRecord
	if err := json.Unmarshal(data, &r); err != nil || r.Version != verifiedVersion {
		return verifiedRecord{}, false
	}
	return r, true
}

// verifiedState is the digest a transaction carries on.
type verifiedState struct {
	on       bool // the record is kept (keys, and it covers the checkpoint)
	events   uint64
	head     audit.Hash
	rejected []uint64 // positions rejected in this transaction
}

// beginVerified starts the digest at the record of tx's file, which must
// be at the checkpoint's position (a file written before records were
// kept has none: it keeps none until it is rebuilt).
func beginVerified(tx *bolt.Tx, cp checkpoint) (verifiedState, error) {
	r, ok := readVerified(tx)
	switch {
	case ok && r.Position == cp.Position:
		h, err := audit.ParseHash(r.Digest)
		if err != nil {
			return verifiedState{}, nil
		}
		return verifiedState{on: true, events: r.Events, head: h}, nil
	case !ok && cp.Position == 0:
		return verifiedState{on: true}, nil
	case ok:
		// Not at the checkpoint: it says nothing about what follows.
		return verifiedState{}, deleteKey(tx, BucketVerified, verifiedKey)
	}
	return verifiedState{}, nil
}

// add takes the next message into the digest.
func (v *verifiedState) add(it *item) {
	v.events++
	v.head = audit.NextHead(v.head, it.leaf())
}

// write stores the record for the checkpoint cp.
func (v *verifiedState) write(tx *bolt.Tx, cp checkpoint) error {
	r := verifiedRecord{Version: verifiedVersion, Stream: cp.StreamName, StreamCreated: cp.StreamCreated,
		TrustedKeys: cp.TrustedKeys, Position: cp.Position, Events: v.events, Digest: v.head.String()}
	if err := putJSON(tx, BucketVerified, verifiedKey, r); err != nil {
		return err
	}
	for _, p := range v.rejected {
		if err := putIndex(tx, BucketVerifiedRejected, u64(p)); err != nil {
			return err
		}
	}
	v.rejected = v.rejected[:0]
	return nil
}

// prior is the verified prefix a rebuild trusts: the record of the file it
// replaces. It is read by the reader's goroutines and not changed.
type prior struct {
	upTo     uint64
	events   uint64
	head     audit.Hash
	rejected map[uint64]struct{}
	// trusted counts the signatures not checked because of it.
	trusted atomic.Uint64
}

// vouches reports whether the signature of the item need not be checked:
// it is inside the prefix and was not rejected there (a voucher).
func (p *prior) vouches(it *item) bool {
	if it.Position > p.upTo {
		return false
	}
	if _, bad := p.rejected[it.Position]; bad {
		return false
	}
	p.trusted.Add(1)
	return true
}

// readPrior reads the verified prefix of a file's transaction: nil, and
// why, when there is none the rebuild of stream id with keys can use.
func readPrior(tx *bolt.Tx, id identity, keys string) (*prior, string) {
	r, ok := readVerified(tx)
	switch {
	case !ok:
		return nil, "the previous read models have no verified record"
	case r.Position == 0:
		return nil, "the verified record is empty"
	case r.Stream != id.Name || r.StreamCreated != id.Created:
		return nil, fmt.Sprintf("the verified record is of stream %s created %s, not %s created %s", r.Stream, r.StreamCreated, id.Name, id.Created)
	case r.TrustedKeys != keys:
		return nil, fmt.Sprintf("the verified record trusted keys [%s], now [%s]", r.TrustedKeys, keys)
	}
	h, err := audit.ParseHash(r.Digest)
	if err != nil {
		return nil, "the verified record's digest is not a hash"
	}
	p := &prior{upTo: r.Position, events: r.Events, head: h, rejected: map[uint64]struct{}{}}
	if b := tx.Bucket([]byte(BucketVerifiedRejected)); b != nil {
		c := b.Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if pos := getU64(k); pos <= r.Position {
				p.rejected[pos] = struct{}{}
			}
		}
	}
	return p, ""
}

// prefixMismatch: the log does not match the verified record a rebuild
// trusted; the rebuild must start again with every signature checked.
type prefixMismatch struct{ reason string }

func (e *prefixMismatch) Error() string {
	return "projections: the log does not match the verified record: " + e.reason
}

// check compares the digest after the item at position pos with the
// prior (the caller has added the item to v).
func (p *prior) check(v *verifiedState, pos uint64) error {
	switch {
	case pos > p.upTo:
		return &prefixMismatch{fmt.Sprintf("the record covers position %d, which is not in the stream (the next event is at %d)", p.upTo, pos)}
	case pos < p.upTo:
		return nil
	case v.events != p.events:
		return &prefixMismatch{fmt.Sprintf("%d events up to position %d, the record says %d", v.events, pos, p.events)}
	case v.head != p.head:
		return &prefixMismatch{fmt.Sprintf("the digest up to position %d is %s, the record says %s (an event was altered, removed, added or re-signed)", pos, v.head, p.head)}
	}
	return nil
}

// normalizeVerified renders the record for Dump without the stream's
// identity (as Dump leaves out the checkpoint's).
func normalizeVerified(v []byte) []byte {
	var r verifiedRecord
	if err := json.Unmarshal(v, &r); err != nil {
		return v
	}
	r.Stream, r.StreamCreated = "", ""
	out, _ := json.Marshal(r)
	return out
}
