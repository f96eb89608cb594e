package httpapi

// Administrative endpoints: operator actions that write nothing to the
// event log. Today only the read-model rebuild.

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/services"
)

// Rebuilder runs operator-triggered rebuilds of the read models, one at a
// time, in the background. *services.Rebuilds implements it.
type Rebuilder interface {
	// StartRebuild starts a rebuild and returns its status (running). When
	// one is running already it starts nothing and returns an error that
	// wraps services.ErrRebuildInProgress. by names who asked, for the
	// log.
	StartRebuild(by string) (services.RebuildStatus, error)
	// RebuildStatus returns the running or last rebuild.
	RebuildStatus() services.RebuildStatus
}

// authorizeAdmin allows the administrative endpoints to the secretariat
// and the auditor: an anonymous caller is 401, any other role 403.
func authorizeAdmin(p services.Principal) error {
	switch p.Role {
	case services.RoleSecretariat, services.RoleAuditor:
		return nil
	case services.RoleAnonymous, "":
		return domain.Errorf(domain.KindUnauthorized, "this needs a token")
	}
	return domain.Errorf(domain.KindForbidden, "%s may not run administrative operations", p.Name)
}

// startAdmin authenticates and authorizes an administrative request and
// checks that what it needs is configured (what names it for the problem).
func (s *Server) startAdmin(w http.ResponseWriter, r *http.Request, configured bool, what string) (services.Principal, bool) {
	p, err := s.principal(r)
	if err == nil {
		err = authorizeAdmin(p)
	}
	if err == nil && !configured {
		err = errNotConfigured(what)
	}
	if err != nil {
		s.writeError(w, r, err)
		return p, false
	}
	return p, true
}

// handleStartRebuild is POST /v1/admin/rebuild: 202 with the new job's
// status, or 409 rebuild_in_progress while one runs (follow that one with
// GET). The request has no body; one sent is ignored.
func (s *Server) handleStartRebuild(w http.ResponseWriter, r *http.Request) {
	p, ok := s.startAdmin(w, r, s.cfg.Rebuild != nil, "the read model rebuild")
	if !ok {
		return
	}
	st, err := s.cfg.Rebuild.StartRebuild(p.Name)
	if err != nil {
		if errors.Is(err, services.ErrRebuildInProgress) {
			err = errRebuildInProgress(s.cfg.Rebuild.RebuildStatus(), err)
		}
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/admin/rebuild")
	writeJSON(w, http.StatusAccepted, st)
}

// handleRebuildStatus is GET /v1/admin/rebuild. Like every GET under
// /v1/ it answers X-Position: the position the serving read models have
// applied.
func (s *Server) handleRebuildStatus(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.startAdmin(w, r, s.cfg.Rebuild != nil, "the read model rebuild"); !ok {
		return
	}
	if s.cfg.Queries != nil {
		w.Header().Set("X-Position", itoa(s.cfg.Queries.Position()))
	}
	writeJSON(w, http.StatusOK, s.cfg.Rebuild.RebuildStatus())
}

// errRebuildInProgress is the 409 for a second rebuild, saying how far the
// running one is.
func errRebuildInProgress(st services.RebuildStatus, err error) *domain.Error {
	msg := "a rebuild of the read models is already running; follow it with GET /v1/admin/rebuild"
	if st.State == services.RebuildRunning && st.StartedAt != nil {
		msg = fmt.Sprintf("a rebuild of the read models is already running (started %s, at %d of %d); follow it with GET /v1/admin/rebuild",
			st.StartedAt.UTC().Format(time.RFC3339), st.Done, st.Total)
	}
	return &domain.Error{Kind: kindRebuildInProgress, Message: msg, Err: err}
}
