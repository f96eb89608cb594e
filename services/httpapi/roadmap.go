package httpapi

import (
	"net/http"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/services/wire"
)

func (s *Server) handleRoadmap(w http.ResponseWriter, r *http.Request) {
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
	s.queryJSON(w, r, check, func() (any, error) {
		return s.cfg.Queries.Roadmap(f)
	})
}
