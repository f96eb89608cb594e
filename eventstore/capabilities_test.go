package eventstore_test

import (
	"github.com/ehelse/portfolio/eventstore"
	"github.com/ehelse/portfolio/services"
)

// The store is the event log of the use cases, with every optional
// capability they look for.
var (
	_ services.EventLog    = (*eventstore.Store)(nil)
	_ services.EventReader = (*eventstore.Store)(nil)
	_ services.LastLoader  = (*eventstore.Store)(nil)
	_ services.HistoryLog  = (*eventstore.Store)(nil)
	_ services.AuditReader = (*eventstore.Store)(nil)
	_ services.AuditLog    = (*eventstore.Store)(nil)
)
