package services

import (
	"context"
	"crypto/ed25519"
	"time"

	"github.com/ehelse/portfolio/audit"
	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/eventlog"
)

// HistoryLog is what History needs of the event store.
type HistoryLog interface {
	Load(ctx context.Context, aggType, aggID string, afterPosition uint64) ([]eventlog.Record, error)
	Read(ctx context.Context, afterPosition uint64, limit int) ([]eventlog.Record, error)
}

// History answers questions from the event log itself, not the read
// models: an aggregate's history, its state as of a time or version, and
// the raw log for auditors.
type History struct {
	Log HistoryLog
	// TrustedKeys, when not empty, makes InitiativeUntil, InitiativeAt and InitiativeEvents skip events that fail
	// verification (see CommandConfig.TrustedKeys), so time travel is not
	// fooled by a forged event. Events and AuditEvents return the log as
	// it is.
	TrustedKeys []ed25519.PublicKey
}

// AuditReader is an optional capability of a HistoryLog: Read that
// returns messages which are not valid events (Record.Invalid) instead of
// failing. *eventstore.Store has it.
type AuditReader interface {
	ReadAudit(ctx context.Context, afterPosition uint64, limit int) ([]eventlog.Record, error)
}

// Events returns every event of one aggregate, in order. It returns a
// KindNotFound error when the aggregate has none, and the store's errors.
func (h *History) Events(ctx context.Context, aggType, id string) ([]eventlog.Record, error) {
	recs, err := h.Log.Load(ctx, aggType, id, 0)
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, domain.Errorf(domain.KindNotFound, "no %s %s", aggType, id)
	}
	return recs, nil
}

// InitiativeEvents returns an initiative's events for p, who must be
// allowed to read its history: the auditor, the secretariat, or an owner
// of the organisation that owns the initiative (by its events, those that
// fail verification left out). It returns a KindNotFound error when the
// initiative has no events, KindUnauthorized or KindForbidden when p may
// not read them, and the store's errors.
func (h *History) InitiativeEvents(ctx context.Context, p Principal, id string) ([]eventlog.Record, error) {
	recs, err := h.Events(ctx, string(domain.Initiative), id)
	if err != nil {
		return nil, err
	}
	st, err := h.fold(domain.Ref{Type: domain.Initiative, ID: id}, recs, func(eventlog.Record) bool { return true }, nil)
	if err != nil {
		return nil, err
	}
	owner := ""
	if is, ok := st.(*domain.InitiativeState); ok {
		owner = is.Owner
	}
	if err := AuthorizeRead(p, ReadInitiativeHistory, owner); err != nil {
		return nil, err
	}
	return recs, nil
}

// InitiativeUntil returns an initiative's events up to and including asOf
// (by the time each was recorded) or atVersion, whichever is given (both:
// both limits apply; neither: all), decoded, in log order, leaving out
// those that fail verification when TrustedKeys are set. It returns a
// KindNotFound error when the initiative did not exist then.
func (h *History) InitiativeUntil(ctx context.Context, id string, asOf *time.Time, atVersion *uint64) ([]domain.Recorded, error) {
	recs, err := h.Log.Load(ctx, string(domain.Initiative), id, 0)
	if err != nil {
		return nil, err
	}
	var out []domain.Recorded
	_, err = h.fold(domain.Ref{Type: domain.Initiative, ID: id}, recs, func(r eventlog.Record) bool {
		return (asOf == nil || !r.Time.After(*asOf)) && (atVersion == nil || r.Version <= *atVersion)
	}, func(d domain.Recorded) { out = append(out, d) })
	if err != nil {
		return nil, err
	}
	switch {
	case len(out) == 0:
		return nil, domain.Errorf(domain.KindNotFound, "initiative %s did not exist then", id)
	case atVersion != nil && out[len(out)-1].Version < *atVersion:
		return nil, domain.Errorf(domain.KindNotFound, "initiative %s has no version %d", id, *atVersion)
	}
	return out, nil
}

// InitiativeAt is the initiative's state after InitiativeUntil's events,
// and its version.
func (h *History) InitiativeAt(ctx context.Context, id string, asOf *time.Time, atVersion *uint64) (*domain.InitiativeState, uint64, error) {
	events, err := h.InitiativeUntil(ctx, id, asOf, atVersion)
	if err != nil {
		return nil, 0, err
	}
	var st domain.State = domain.NewState(domain.Ref{Type: domain.Initiative, ID: id})
	for _, d := range events {
		if st, err = domain.Evolve(st, d); err != nil {
			return nil, 0, err
		}
	}
	is, _ := st.(*domain.InitiativeState)
	return is, st.StateVersion(), nil
}

// fold folds the records of ref while upTo holds, skipping those that fail
// verification when TrustedKeys are set, and hands each folded event to
// each (when not nil).
func (h *History) fold(ref domain.Ref, recs []eventlog.Record, upTo func(eventlog.Record) bool, each func(domain.Recorded)) (domain.State, error) {
	st := domain.NewState(ref)
	var keys audit.Keyring
	if len(h.TrustedKeys) > 0 {
		keys = audit.NewKeyring(h.TrustedKeys...)
	}
	hash := ""
	for _, r := range recs {
		if keys != nil && verifyRecord(keys, r, st.StateVersion(), hash) != nil {
			continue
		}
		if !upTo(r) {
			break
		}
		hash = r.Hash
		d, err := recordedOf(r)
		if err != nil {
			return nil, err
		}
		if st, err = domain.Evolve(st, d); err != nil {
			return nil, err
		}
		if each != nil {
			each(d)
		}
	}
	return st, nil
}

// AuditEvents returns up to limit events after position after, in log
// order. When the log is an *eventstore.Store, a stored message that is not
// a valid event is returned with Record.Invalid set rather than failing.
func (h *History) AuditEvents(ctx context.Context, after uint64, limit int) ([]eventlog.Record, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	if ar, ok := h.Log.(AuditReader); ok {
		return ar.ReadAudit(ctx, after, limit)
	}
	return h.Log.Read(ctx, after, limit)
}
