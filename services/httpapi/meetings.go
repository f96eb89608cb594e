package httpapi

import (
	"net/http"
	"strconv"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/services"
	"github.com/ehelse/portfolio/services/wire"
)

func (s *Server) handleMeetings(w http.ResponseWriter, r *http.Request) {
	if !s.needQueries(w, r) {
		return
	}
	q := r.URL.Query()
	forum := q.Get("forum")
	year := 0
	check := func() error {
		if y := q.Get("year"); y != "" {
			n, err := strconv.Atoi(y)
			if err != nil {
				return errMalformedField("year", "must be an integer, like 2026")
			}
			if n < 1900 || n > 9999 {
				return errInvalidField("year", "must be a four-digit year")
			}
			year = n
		}
		var v domain.Validation
		checkForum(&v, "forum", forum)
		return v.Err()
	}
	if _, ok := s.startQuery(w, r, services.ReadPublic, check); !ok {
		return
	}
	list, err := s.cfg.Queries.Meetings(forum, year)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.MeetingList{Meetings: list})
}

func (s *Server) handleMeeting(w http.ResponseWriter, r *http.Request) {
	if !s.needQueries(w, r) {
		return
	}
	if _, ok := s.startQuery(w, r, services.ReadPublic, nil); !ok {
		return
	}
	m, err := s.cfg.Queries.Meeting(r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, m)
}
