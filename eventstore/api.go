package eventstore

import (
	"crypto/ed25519"
	"errors"
	"log/slog"
	"time"
)

// DefaultStream is the stream name used when Config.Stream is empty.
const DefaultStream = "PORTFOLIO"

// ErrStreamMismatch is returned by Open when the stream exists with a
// configuration the store cannot safely use or update (the message says
// what differs). Kind: internal.
var ErrStreamMismatch = errors.New("eventstore: existing stream is incompatible")

// Config configures the store and the stream it creates or checks.
type Config struct {
	Stream   string // default "PORTFOLIO"
	Replicas int    // default 1
	// Source is the CloudEvents source attribute, default "/portfolio".
	Source string
	Logger *slog.Logger // default slog.Default()

	// Duplicates is the stream's duplicate window: how long JetStream
	// remembers a Nats-Msg-Id, and so how long a retried Append of the same
	// command is recognised at the log. Default 2 minutes.
	Duplicates time.Duration
	// Timeout bounds every request to JetStream (also under a longer ctx deadline).
	// Default: the JetStream context's DefaultTimeout, else 5 seconds.
	Timeout time.Duration

	// Signer, when set, signs every appended event: each message gets the
	// header Portfolio-Signature (audit.SignatureHeader) with the Ed25519
	// signature of the event's hash (see package audit). Without a Signer
	// events are stored unsigned, and verification reports them as bad.
	Signer ed25519.PrivateKey
}
