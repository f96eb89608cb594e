package snapshots_test

import (
	"github.com/ehelse/portfolio/eventstore/snapshots"
	"github.com/ehelse/portfolio/services"
)

// The store is the command path's snapshot store. (The check lives in a
// test: services' own tests use this package, so it cannot import services.)
var _ services.Snapshots = (*snapshots.Store)(nil)
