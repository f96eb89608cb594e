package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ehelse/portfolio/audit"
	"github.com/ehelse/portfolio/services"
	"github.com/ehelse/portfolio/services/wire"
)

// Audit page sizes.
const (
	defaultAuditLimit = 100
	maxAuditLimit     = 1000
)

func (s *Server) handleAuditEvents(w http.ResponseWriter, r *http.Request) {
	if !s.needHistory(w, r) {
		return
	}
	q := r.URL.Query()
	var from uint64
	limit := defaultAuditLimit
	check := func() error {
		after, err := uintParam(q, "after")
		if err != nil {
			return err
		}
		if after != nil {
			from = *after
		}
		l, err := uintParam(q, "limit")
		if err != nil {
			return err
		}
		if l != nil {
			if *l < 1 || *l > maxAuditLimit {
				return errInvalidField("limit", "must be 1 to "+strconv.Itoa(maxAuditLimit))
			}
			limit = int(*l)
		}
		return nil
	}
	if _, ok := s.startQuery(w, r, services.ReadAudit, check); !ok {
		return
	}
	recs, err := s.cfg.History.AuditEvents(r.Context(), from, limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(recs) > limit {
		recs = recs[:limit]
	}
	next := from
	if n := len(recs); n > 0 {
		next = recs[n-1].Position
	}
	writeJSON(w, http.StatusOK, wire.AuditEventList{Events: eventViews(recs, true), Next: next})
}

// maxCheckpoints bounds the checkpoints one verify answer may carry.
const maxCheckpoints = 100_000

// verifyWriteTimeout bounds a verification's answer (the client's timeout,
// portfolioctl's 15 minutes, is what normally ends it).
const verifyWriteTimeout = 30 * time.Minute

func (s *Server) handleAuditVerify(w http.ResponseWriter, r *http.Request) {
	var req services.VerifyRequest
	check := func() error {
		var err error
		req, err = verifyRequest(r.URL.Query())
		return err
	}
	if _, ok := s.startQuery(w, r, services.ReadAudit, check); !ok {
		return
	}
	if s.cfg.Verify == nil {
		s.writeError(w, r, errNotConfigured("verification"))
		return
	}
	// Verification reads the whole log: allow more than the server's
	// write timeout (meant for commands and small queries).
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(verifyWriteTimeout))
	res, err := s.cfg.Verify(r.Context(), req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(res.Checkpoints) > maxCheckpoints {
		s.writeError(w, r, errInvalidField("checkpointEvery", fmt.Sprintf("gives %d checkpoints, more than %d: choose a larger interval", len(res.Checkpoints), maxCheckpoints)))
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// verifyRequest parses sinceEvents, sinceHead, sincePosition, checkpoints
// and checkpointEvery.
func verifyRequest(q url.Values) (services.VerifyRequest, error) {
	var req services.VerifyRequest
	n, err := uintParam(q, "sinceEvents")
	if err != nil {
		return req, err
	}
	pos, err := uintParam(q, "sincePosition")
	if err != nil {
		return req, err
	}
	head := q.Get("sinceHead")
	switch {
	case n == nil && head == "" && pos == nil:
	case n == nil || head == "":
		return req, errInvalidField("sinceHead", "sinceEvents and sinceHead go together")
	default:
		d := audit.Digest{Events: *n, Head: head}
		if pos != nil {
			d.Position = *pos
		}
		if err := d.Validate(); err != nil {
			return req, errInvalidField("sinceHead", strings.TrimPrefix(err.Error(), "audit: "))
		}
		req.Since = &d
	}
	if v := q.Get("checkpoints"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return req, errMalformedField("checkpoints", "must be true or false")
		}
		req.Checkpoints = b
	}
	k, err := uintParam(q, "checkpointEvery")
	if err != nil {
		return req, err
	}
	if k != nil {
		if *k < 1 {
			return req, errInvalidField("checkpointEvery", "must be at least 1")
		}
		req.CheckpointEvery = *k
	}
	return req, nil
}

// handleAuditKey serves the public signing key to anyone (a contract
// addition): auditors fetch it to verify exports offline.
func (s *Server) handleAuditKey(w http.ResponseWriter, r *http.Request) {
	if _, err := s.principal(r); err != nil { // an unknown token is 401, as everywhere
		s.writeError(w, r, err)
		return
	}
	if s.cfg.AuditKey == nil {
		s.writeError(w, r, errNotConfigured("the signing key"))
		return
	}
	writeJSON(w, http.StatusOK, s.cfg.AuditKey)
}
