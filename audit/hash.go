package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
)

// Hash is the SHA-256 of one stored event: of the message payload, the
// CloudEvent JSON exactly as stored in the stream.
type Hash [sha256.Size]byte

// HashEvent returns the hash of a stored event payload.
func HashEvent(payload []byte) Hash { return sha256.Sum256(payload) }

// String is the hash in lowercase hex (64 characters), as it appears in the
// prevhash attribute, the export and the API.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// IsZero reports whether h is all zero bytes (the head of an empty log).
func (h Hash) IsZero() bool { return h == Hash{} }

// ParseHash parses 64 lowercase hex characters. Upper-case hex is refused:
// a hash has exactly one text form, so text comparisons are exact.
func ParseHash(s string) (Hash, error) {
	var h Hash
	if !IsHashText(s) {
		return h, fmt.Errorf("audit: %q is not a hash (64 lowercase hex characters)", s)
	}
	_, err := hex.Decode(h[:], []byte(s))
	return h, err
}

// IsHashText reports whether s is 64 lowercase hex characters.
func IsHashText(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// NextHead returns the running digest after an event with hash h:
// SHA-256(prev || h), 64 bytes in. The head of an empty log is the zero
// Hash.
func NextHead(prev, h Hash) Hash {
	var buf [2 * sha256.Size]byte
	copy(buf[:sha256.Size], prev[:])
	copy(buf[sha256.Size:], h[:])
	return sha256.Sum256(buf[:])
}

// Digest commits to a log: its number of events, the position of the last
// one and the running digest (head) over all of them in stream order. An
// auditor who keeps a Digest can later prove that the log still extends
// it (Options.Since). Checkpoints, when present, are the heads at earlier
// event counts; they let a verification say where a log stopped agreeing.
type Digest struct {
	Events   uint64 `json:"events"`
	Position uint64 `json:"position"`
	Head     string `json:"head"`
	// KeyID is the signing key's id at the time (informational).
	KeyID string `json:"keyId,omitempty"`
	// TakenAt is when the digest was taken (informational, RFC 3339).
	TakenAt string `json:"takenAt,omitempty"`
	// CheckpointEvery is the interval of Checkpoints (in events).
	CheckpointEvery uint64       `json:"checkpointEvery,omitempty"`
	Checkpoints     []Checkpoint `json:"checkpoints,omitempty"`
}

// Checkpoint is the running digest after the first Events events; Position
// is the position of the Events-th event.
type Checkpoint struct {
	Events   uint64 `json:"events"`
	Position uint64 `json:"position"`
	Head     string `json:"head"`
}

// Validate checks that the digest is well formed: a head of 64 lowercase
// hex characters (all zeros for 0 events), checkpoints in increasing order
// within the digest's events.
func (d Digest) Validate() error {
	if !IsHashText(d.Head) {
		return errors.New("audit: digest head must be 64 lowercase hex characters")
	}
	if d.Events == 0 && d.Head != (Hash{}).String() {
		return errors.New("audit: a digest of 0 events has the zero head")
	}
	var last uint64
	for i, c := range d.Checkpoints {
		if !IsHashText(c.Head) {
			return fmt.Errorf("audit: checkpoint %d: head must be 64 lowercase hex characters", i)
		}
		if c.Events == 0 || c.Events <= last || c.Events > d.Events {
			return fmt.Errorf("audit: checkpoint %d: events %d out of order or beyond the digest's %d", i, c.Events, d.Events)
		}
		last = c.Events
	}
	return nil
}

// points returns the checkpoints and the final digest, in order of events.
func (d Digest) points() []Checkpoint {
	out := make([]Checkpoint, 0, len(d.Checkpoints)+1)
	for _, c := range d.Checkpoints {
		if c.Events < d.Events {
			out = append(out, c)
		}
	}
	if d.Events > 0 {
		out = append(out, Checkpoint{Events: d.Events, Position: d.Position, Head: d.Head})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Events < out[j].Events })
	return out
}

// MaxCheckpoints is how many checkpoints CheckpointInterval aims at.
const MaxCheckpoints = 1024

// CheckpointInterval returns the checkpoint interval for a log of about n
// events: the smallest power of two K with ceil(n/K) <= MaxCheckpoints.
// Every event is a checkpoint for logs of up to 1024 events.
func CheckpointInterval(n uint64) uint64 {
	k := uint64(1)
	for (n+k-1)/k > MaxCheckpoints {
		k *= 2
	}
	return k
}
