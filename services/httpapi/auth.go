package httpapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/services"
)

// principal authenticates the request: no Authorization header is the
// anonymous principal; "Bearer <token>" with a known token is its
// principal; anything else is KindUnauthorized.
func (s *Server) principal(r *http.Request) (services.Principal, error) {
	h := r.Header.Values("Authorization")
	if len(h) == 0 {
		return services.Anonymous, nil
	}
	if len(h) > 1 {
		return services.Principal{}, domain.Errorf(domain.KindUnauthorized, "give one Authorization header")
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(h[0]), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return services.Principal{}, domain.Errorf(domain.KindUnauthorized, "the Authorization header must be: Bearer <token>")
	}
	if s.cfg.Auth == nil {
		return services.Principal{}, domain.Errorf(domain.KindUnauthorized, "unknown token")
	}
	p, err := s.cfg.Auth.Authenticate(token)
	if err != nil {
		if domain.ErrorKind(err) != domain.KindUnauthorized {
			return services.Principal{}, err
		}
		return services.Principal{}, domain.Errorf(domain.KindUnauthorized, "unknown token")
	}
	requestInfoFrom(r.Context()).principal = p.Name
	return p, nil
}

// startQuery is the common start of every query, in this order:
// authenticate (401), authorize what (401/403; the initiative history
// checks the owner itself later), check the parameters (check, 400/422),
// wait for minPosition (503 projection_lagging) and set X-Position.
func (s *Server) startQuery(w http.ResponseWriter, r *http.Request, what services.Readable, check func() error) (services.Principal, bool) {
	p, err := s.principal(r)
	if err != nil {
		s.writeError(w, r, err)
		return p, false
	}
	switch what {
	case services.ReadPublic:
	case services.ReadInitiativeHistory:
		// The owner is checked against the initiative later; the roles
		// that can never read it are refused before anything is read.
		if p.Role != services.RoleOwner {
			if err := services.AuthorizeRead(p, services.ReadHistory, ""); err != nil {
				s.writeError(w, r, err)
				return p, false
			}
		}
	default:
		if err := services.AuthorizeRead(p, what, ""); err != nil {
			s.writeError(w, r, err)
			return p, false
		}
	}
	minPos, err := uintParam(r.URL.Query(), "minPosition")
	if err == nil && check != nil {
		err = check()
	}
	if err != nil {
		s.writeError(w, r, err)
		return p, false
	}
	if s.cfg.Queries != nil {
		if minPos != nil && *minPos > 0 {
			ctx, cancel := context.WithTimeout(r.Context(), s.cfg.LagTimeout)
			err := s.cfg.Queries.WaitFor(ctx, *minPos)
			cancel()
			if err != nil {
				if k := domain.ErrorKind(err); k != domain.KindLagging && k != domain.KindUnavailable {
					err = &domain.Error{Kind: domain.KindLagging,
						Message: "the read models have not reached position " + itoa(*minPos) + " in time", Err: err}
				}
				s.writeError(w, r, err)
				return p, false
			}
		}
		w.Header().Set("X-Position", itoa(s.cfg.Queries.Position()))
	} else if minPos != nil && *minPos > 0 {
		s.writeError(w, r, errNotConfigured("the read models"))
		return p, false
	}
	return p, true
}

// answer answers a public query: check vets the parameters (nil: none)
// before startQuery waits for minPosition, read is the answer.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, check func() error, read func() (any, error)) {
	if _, ok := s.startQuery(w, r, services.ReadPublic, check); !ok {
		return
	}
	v, err := read()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// queryJSON answers a public query of the read models.
func (s *Server) queryJSON(w http.ResponseWriter, r *http.Request, check func() error, read func() (any, error)) {
	if !s.needQueries(w, r) {
		return
	}
	s.answer(w, r, check, read)
}

func (s *Server) needQueries(w http.ResponseWriter, r *http.Request) bool {
	if s.cfg.Queries == nil {
		s.writeError(w, r, errNotConfigured("the read models"))
		return false
	}
	return true
}

func (s *Server) needHistory(w http.ResponseWriter, r *http.Request) bool {
	if s.cfg.History == nil {
		s.writeError(w, r, errNotConfigured("the event history"))
		return false
	}
	return true
}
