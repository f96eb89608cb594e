package eventlog

import "github.com/ehelse/portfolio/domain"

// Snapshot is an aggregate's state as of a stream position: what the
// command path caches in memory (services.CommandService), written down so
// that a cold cache does not fold the whole history again.
type Snapshot struct {
	// State is the folded state; its version is the snapshot's version.
	State domain.State
	// Position is the stream position of the aggregate's last event
	// folded into State, and Hash that event's hash (the next event's
	// prevhash).
	Position uint64
	Hash     string
}
