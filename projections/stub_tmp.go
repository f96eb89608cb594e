package projections

import (
	"context"
	"errors"
	"github.com/nats-io/nats.go/jetstream"
)

type readModelsImpl struct{}

func (r *readModelsImpl) position() uint64                              { return 0 }
func (r *readModelsImpl) waitFor(ctx context.Context, pos uint64) error { return nil }
func (r *readModelsImpl) strategy() (StrategyView, error)               { return StrategyView{}, nil }
func (r *readModelsImpl) initiatives(f InitiativeFilter) ([]InitiativeSummary, error) {
	return nil, nil
}
func (r *readModelsImpl) initiative(id string) (InitiativeDetail, error) {
	return InitiativeDetail{}, nil
}
func (r *readModelsImpl) roadmap(f RoadmapFilter) (RoadmapView, error)              { return RoadmapView{}, nil }
func (r *readModelsImpl) meetings(forum string, year int) ([]MeetingSummary, error) { return nil, nil }
func (r *readModelsImpl) meeting(id string) (MeetingDetail, error)                  { return MeetingDetail{}, nil }
func (r *readModelsImpl) caseDetail(id string) (CaseDetail, error)                  { return CaseDetail{}, nil }
func (r *readModelsImpl) decisions(f DecisionFilter) ([]DecisionEntry, error)       { return nil, nil }

// Open opens (creating if needed) the read models in cfg.Dir. It does not
// start following the stream; call Run.
func Open(ctx context.Context, js jetstream.JetStream, cfg Config) (*ReadModels, error) {
	return nil, errors.New("not implemented")
}

// Run follows the stream until ctx is done.
func (m *ReadModels) Run(ctx context.Context) error { return errors.New("not implemented") }

// Close closes the read model file. Call after Run returned.
func (m *ReadModels) Close() error { return nil }

// Lag is the stream head minus Position.
func (m *ReadModels) Lag() uint64 { return 0 }

// Ready reports whether the runner has caught up with the head it saw at start.
func (m *ReadModels) Ready() bool { return false }

// Stats returns the counters.
func (m *ReadModels) Stats() Stats { return Stats{} }

// Rebuild builds fresh read models from position 0 into a new file while the current ones keep serving, then switches.
func (m *ReadModels) Rebuild(ctx context.Context, progress func(done, total uint64)) error {
	return errors.New("not implemented")
}

// BuildFile builds read models from the whole stream into a new file at path.
func BuildFile(ctx context.Context, js jetstream.JetStream, path string, progress func(done, total uint64)) error {
	return errors.New("not implemented")
}
