package httpapi

import (
	"net/http"
)

func (s *Server) handleStrategy(w http.ResponseWriter, r *http.Request) {
	s.queryJSON(w, r, nil, func() (any, error) {
		return s.cfg.Queries.Strategy()
	})
}
