package services

import (
	"context"
	"fmt"

	"github.com/ehelse/portfolio/audit"
	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/eventlog"
)

// EventLog is what the command path needs of the event store.
// *eventstore.Store implements it, and the optional capabilities
// EventReader and LastLoader.
type EventLog interface {
	Append(ctx context.Context, meta eventlog.Meta, aggs ...eventlog.AggregateAppend) (eventlog.Result, error)
	Load(ctx context.Context, aggType, aggID string, afterPosition uint64) ([]eventlog.Record, error)
}

// EventReader is an optional capability of an EventLog: reading the log
// across aggregates. With it, a retried command's result names every
// event the command wrote, not only those of its target.
type EventReader interface {
	Read(ctx context.Context, afterPosition uint64, limit int) ([]eventlog.Record, error)
}

// LastLoader is an optional capability of an EventLog: an aggregate's last
// event alone. With it, checking a snapshot against the log costs one
// small read.
type LastLoader interface {
	LoadLast(ctx context.Context, aggType, aggID string) (eventlog.Record, bool, error)
}

// verifyRecord checks one record of an aggregate whose last good event is
// at version with hash: signature by a trusted key, envelope, and chain.
func verifyRecord(keys audit.Keyring, r eventlog.Record, version uint64, hash string) error {
	return verifyWritten(keys, nil, r, version, hash)
}

// verifyWritten is verifyRecord that does not check the signature again
// when written vouches for the record (this process signed and appended
// those very bytes at that position, with a key keys trusts): the verdict
// of that check is known. The envelope and the chain are checked as
// always; audit.Inspect's order and reasons are kept.
func verifyWritten(keys audit.Keyring, written *eventlog.Written, r eventlog.Record, version uint64, hash string) error {
	var c audit.Checked
	if written == nil {
		var err error
		if c, err = audit.Inspect(keys, r.AuditEvent()); err != nil {
			return err
		}
	} else {
		c.Hash = audit.HashEvent(r.Raw)
		env, err := audit.DecodeEnvelope(r.Subject, r.Raw)
		if err != nil {
			return err
		}
		c.Envelope = env
		if !written.Vouches(keys, r.Position, c.Hash, r.Signature) {
			if err := keys.Check(r.Signature, c.Hash); err != nil {
				return err
			}
		}
	}
	last := audit.Link{Version: version}
	if version > 0 {
		h, err := audit.ParseHash(hash)
		if err != nil {
			return fmt.Errorf("no hash of the aggregate's last good event: %w", err)
		}
		last.Hash = h
	}
	return c.Follows(last)
}

// recordedOf decodes a stored record for Evolve.
func recordedOf(r eventlog.Record) (domain.Recorded, error) {
	e, err := domain.DecodeEvent(r.Type, r.SchemaVersion, r.Data)
	if err != nil {
		return domain.Recorded{}, &domain.Error{Kind: domain.KindInternal, Message: fmt.Sprintf("event at position %d", r.Position), Err: err}
	}
	return domain.Recorded{ID: r.ID, Version: r.Version, Position: r.Position, Time: r.Time, Actor: r.Actor, Event: e}, nil
}
