package services

import (
	"context"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/eventlog"
)

// Snapshots is what the command path needs of a snapshot store.
// *snapshots.Store (package eventstore/snapshots) implements it.
//
// Get returns only a snapshot it trusts and can decode: false (and no
// error) for a missing one, and for one that is malformed, of another
// schema or not signed by a trusted key. An error means the store could
// not be asked. The command path treats every failure as a miss.
type Snapshots interface {
	Get(ctx context.Context, ref domain.Ref) (eventlog.Snapshot, bool, error)
	Put(ctx context.Context, ref domain.Ref, s eventlog.Snapshot) error
}
