package services

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"time"

	"github.com/ehelse/portfolio/audit"
	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/eventlog"
)

// AuditLog is what a Verifier needs of the event store: the head, and
// pages of the log that keep messages which are not valid events
// (Record.Invalid) instead of failing. *eventstore.Store implements it.
type AuditLog interface {
	Head(ctx context.Context) (uint64, error)
	ReadAudit(ctx context.Context, afterPosition uint64, limit int) ([]eventlog.Record, error)
}

// VerifyRequest are the parameters of a verification.
type VerifyRequest struct {
	// Since, when set, is the saved digest the log must extend.
	Since *audit.Digest
	// Checkpoints asks for checkpoints at an interval chosen for the log's
	// length (audit.CheckpointInterval); CheckpointEvery at a given one.
	Checkpoints     bool
	CheckpointEvery uint64
}

// VerifyResult is a verification of the whole log (the answer of GET
// /v1/audit/verify): audit's result, the keys it was checked against and
// when it finished. OK, Events, Head and FirstBad are the contract's; the
// rest are additions (see docs/AUDIT.md).
type VerifyResult struct {
	audit.Result
	// KeyID is the id of the signing key; TrustedKeys the ids of the keys
	// events were checked against.
	KeyID       string    `json:"keyId,omitempty"`
	TrustedKeys []string  `json:"trustedKeys,omitempty"`
	VerifiedAt  time.Time `json:"verifiedAt"`
}

// Verifier verifies the event log against the trusted keys (package
// audit), one verification at a time.
type Verifier struct {
	log    AuditLog
	keys   audit.Keyring
	keyID  string
	logger *slog.Logger
	now    func() time.Time
	busy   chan struct{}
}

// VerifyPage is how many events a verification reads at a time.
const VerifyPage = 1000

// NewVerifier returns a Verifier of log. trusted[0] is the signing key.
func NewVerifier(log AuditLog, trusted []ed25519.PublicKey, logger *slog.Logger) *Verifier {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	v := &Verifier{log: log, keys: audit.NewKeyring(trusted...), logger: logger, now: time.Now, busy: make(chan struct{}, 1)}
	if len(trusted) > 0 {
		v.keyID = audit.KeyID(trusted[0])
	}
	return v
}

// Verify walks the log up to the head it sees at the start, page by page,
// keeping only each aggregate's last hash and version in memory. A second
// verification waits for the running one, or fails with KindUnavailable
// when ctx ends first.
func (v *Verifier) Verify(ctx context.Context, req VerifyRequest) (VerifyResult, error) {
	select {
	case v.busy <- struct{}{}:
		defer func() { <-v.busy }()
	case <-ctx.Done():
		return VerifyResult{}, &domain.Error{Kind: domain.KindUnavailable, Message: "another verification is running", Err: ctx.Err()}
	}
	head, err := v.log.Head(ctx)
	if err != nil {
		return VerifyResult{}, err
	}
	opts := audit.Options{Keys: v.keys, Since: req.Since, CheckpointEvery: req.CheckpointEvery}
	if req.Checkpoints && opts.CheckpointEvery == 0 {
		opts.CheckpointEvery = audit.CheckpointInterval(head)
	}
	res, err := audit.VerifyLog(ctx, AuditPages(v.log), VerifyPage, head, opts, nil)
	if err != nil {
		return VerifyResult{}, err
	}
	if head > 0 && res.Position < head && res.Reason == "" {
		// The reads ended before the head: the tail is missing.
		res.OK = false
		res.Reason = fmt.Sprintf("the log ends at position %d, but its head is %d", res.Position, head)
	}
	if !res.OK {
		v.logger.Warn("audit: the event log does not verify", "firstBad", res.FirstBad, "reason", res.Reason)
	}
	return VerifyResult{Result: res, KeyID: v.keyID, TrustedKeys: v.keys.IDs(), VerifiedAt: v.now().UTC()}, nil
}

// AuditPages reads log one page at a time as audit events, for
// audit.VerifyLog and audit.Verifier.
func AuditPages(log AuditReader) audit.Page {
	return func(ctx context.Context, after uint64, limit int) ([]audit.Event, error) {
		recs, err := log.ReadAudit(ctx, after, limit)
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
