package httpapi

import (
	"net/http"

	"github.com/ehelse/portfolio/services"
)

func (s *Server) handleCase(w http.ResponseWriter, r *http.Request) {
	if !s.needQueries(w, r) {
		return
	}
	if _, ok := s.startQuery(w, r, services.ReadPublic, nil); !ok {
		return
	}
	c, err := s.cfg.Queries.Case(r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(c.Version))
	writeJSON(w, http.StatusOK, c)
}
