package httpapi

import (
	"net/http"
	"strconv"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/services/wire"
)

func (s *Server) handleMeetings(w http.ResponseWriter, r *http.Request) {
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
	s.queryJSON(w, r, check, func() (any, error) {
		list, err := s.cfg.Queries.Meetings(forum, year)
		return wire.MeetingList{Meetings: list}, err
	})
}

func (s *Server) handleMeeting(w http.ResponseWriter, r *http.Request) {
	s.queryJSON(w, r, nil, func() (any, error) {
		return s.cfg.Queries.Meeting(r.PathValue("id"))
	})
}
