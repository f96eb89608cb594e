package services

import (
	"context"
	"time"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/eventstore"
)

// HistoryLog is what History needs of the event store.
type HistoryLog interface {
	Load(ctx context.Context, aggType, aggID string, afterPosition uint64) ([]eventstore.Record, error)
	Read(ctx context.Context, afterPosition uint64, limit int) ([]eventstore.Record, error)
}

// History answers questions from the event log itself, not the read
// models: an aggregate's history, its state as of a time or version, and
// the raw log for auditors.
type History struct {
	Log HistoryLog
}

// Events returns every event of one aggregate, in order. It returns a
// KindNotFound error when the aggregate has none, and the store's errors.
func (h *History) Events(ctx context.Context, aggType, id string) ([]eventstore.Record, error) {
	recs, err := h.Log.Load(ctx, aggType, id, 0)
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, domain.Errorf(domain.KindNotFound, "no %s %s", aggType, id)
	}
	return recs, nil
}

// InitiativeAt folds an initiative's events up to and including asOf (by
// the time each was recorded) or atVersion, whichever is given (both:
// both limits apply; neither: the current state). It returns the state
// and its version, or a KindNotFound error when the initiative did not
// exist then.
func (h *History) InitiativeAt(ctx context.Context, id string, asOf *time.Time, atVersion *uint64) (*domain.InitiativeState, uint64, error) {
	recs, err := h.Log.Load(ctx, string(domain.Initiative), id, 0)
	if err != nil {
		return nil, 0, err
	}
	ref := domain.Ref{Type: domain.Initiative, ID: id}
	st := domain.NewState(ref)
	for _, r := range recs {
		if asOf != nil && r.Time.After(*asOf) {
			break
		}
		if atVersion != nil && r.Version > *atVersion {
			break
		}
		d, err := recordedOf(r)
		if err != nil {
			return nil, 0, err
		}
		if st, err = domain.Evolve(st, d); err != nil {
			return nil, 0, err
		}
	}
	if st.StateVersion() == 0 {
		return nil, 0, domain.Errorf(domain.KindNotFound, "initiative %s did not exist then", id)
	}
	if atVersion != nil && st.StateVersion() < *atVersion {
		return nil, 0, domain.Errorf(domain.KindNotFound, "initiative %s has no version %d", id, *atVersion)
	}
	is, _ := st.(*domain.InitiativeState)
	return is, st.StateVersion(), nil
}

// AuditEvents returns up to limit events after position after, in log order.
func (h *History) AuditEvents(ctx context.Context, after uint64, limit int) ([]eventstore.Record, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	return h.Log.Read(ctx, after, limit)
}
