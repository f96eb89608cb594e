package httpapi

import (
	"net/http"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/services"
	"github.com/ehelse/portfolio/services/wire"
)

func (s *Server) handleRoadmap(w http.ResponseWriter, r *http.Request) {
	if !s.needQueries(w, r) {
		return
	}
	q := r.URL.Query()
	f := wire.RoadmapFilter{
		Goal: q.Get("goal"), SubGoal: q.Get("subGoal"), Owner: q.Get("owner"),
		UserGroup: q.Get("userGroup"), Phase: q.Get("phase"), Q: q.Get("q"),
	}
	check := func() error {
		var v domain.Validation
		checkPhase(&v, "phase", f.Phase)
		return v.Err()
	}
	if _, ok := s.startQuery(w, r, services.ReadPublic, check); !ok {
		return
	}
	rm, err := s.cfg.Queries.Roadmap(f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rm)
}
