package httpapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/services"
	"github.com/ehelse/portfolio/services/wire"
)

func (s *Server) handleInitiatives(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := wire.InitiativeFilter{
		Goal: q.Get("goal"), SubGoal: q.Get("subGoal"), Owner: q.Get("owner"),
		Phase: q.Get("phase"), State: q.Get("state"), UserGroup: q.Get("userGroup"), Q: q.Get("q"),
	}
	check := func() error {
		var v domain.Validation
		checkPhase(&v, "phase", f.Phase)
		checkLifecycle(&v, "state", f.State)
		return v.Err()
	}
	s.queryJSON(w, r, check, func() (any, error) {
		list, err := s.cfg.Queries.Initiatives(f)
		return wire.InitiativeList{Initiatives: list}, err
	})
}

func (s *Server) handleInitiative(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	q := r.URL.Query()
	var asOf *time.Time
	var atVersion *uint64
	check := func() error {
		if v := q.Get("asOf"); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return errMalformedField("asOf", "must be an RFC 3339 time, like 2026-03-01T12:00:00Z")
			}
			asOf = &t
		}
		var err error
		if atVersion, err = uintParam(q, "atVersion"); err != nil {
			return err
		}
		if atVersion != nil && *atVersion == 0 {
			return errInvalidField("atVersion", "must be at least 1")
		}
		if asOf != nil && atVersion != nil {
			return errInvalidField("asOf", "give asOf or atVersion, not both")
		}
		if (asOf != nil || atVersion != nil) && s.cfg.History == nil {
			return errNotConfigured("the event history")
		}
		if s.cfg.Queries == nil {
			return errNotConfigured("the read models")
		}
		return nil
	}
	if _, ok := s.startQuery(w, r, services.ReadPublic, check); !ok {
		return
	}

	if asOf != nil || atVersion != nil {
		// The state then, in the shape of the current state: the
		// initiative's events up to then, folded by the read models.
		events, err := s.cfg.History.InitiativeUntil(r.Context(), id, asOf, atVersion)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		then := events[len(events)-1].Time
		if asOf != nil {
			then = *asOf
		}
		d, err := s.cfg.Queries.InitiativeAt(id, events, then)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		w.Header().Set("ETag", etag(d.Version))
		writeJSON(w, http.StatusOK, d)
		return
	}
	d, err := s.cfg.Queries.Initiative(id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	tag := etag(d.Version)
	w.Header().Set("ETag", tag)
	if noneMatch(r.Header.Get("If-None-Match"), tag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// noneMatch reports whether an If-None-Match header names tag (weak
// comparison) or is *.
func noneMatch(header, tag string) bool {
	if header == "" {
		return false
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == tag {
			return true
		}
	}
	return false
}
