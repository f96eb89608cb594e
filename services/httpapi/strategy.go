package httpapi

import (
	"net/http"

	"github.com/ehelse/portfolio/services"
)

func (s *Server) handleStrategy(w http.ResponseWriter, r *http.Request) {
	if !s.needQueries(w, r) {
		return
	}
	if _, ok := s.startQuery(w, r, services.ReadPublic, nil); !ok {
		return
	}
	v, err := s.cfg.Queries.Strategy()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}
