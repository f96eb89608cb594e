package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/services"
)

// Problem is an RFC 9457 problem details object with the contract's
// stable code.
type Problem struct {
	Type     string              `json:"type"`
	Title    string              `json:"title"`
	Status   int                 `json:"status"`
	Code     string              `json:"code"`
	Detail   string              `json:"detail,omitempty"`
	Errors   []domain.FieldError `json:"errors,omitempty"`
	Instance string              `json:"instance,omitempty"`
}

// ProblemContentType is the media type of every error response.
const ProblemContentType = "application/problem+json"

// Kinds of error only the HTTP layer produces. They are not domain kinds;
// they share the one table below.
const (
	kindUnknownCommand   domain.Kind = "unknown_command"
	kindPayloadTooLarge  domain.Kind = "payload_too_large"
	kindKeyReused        domain.Kind = "idempotency_key_reused"
	kindKeyInUse         domain.Kind = "idempotency_key_in_use"
	kindMethodNotAllowed domain.Kind = "method_not_allowed"
	// kindRebuildInProgress: POST /v1/admin/rebuild while one runs.
	kindRebuildInProgress domain.Kind = "rebuild_in_progress"
)

type mapping struct {
	status int
	code   string
	title  string
}

// errorTable is THE mapping from error kind to HTTP status and contract
// code. Nothing else decides a status for an error.
var errorTable = map[domain.Kind]mapping{
	domain.KindMalformed:    {http.StatusBadRequest, "malformed_request", "Malformed request"},
	domain.KindUnauthorized: {http.StatusUnauthorized, "unauthorized", "Unauthorized"},
	domain.KindForbidden:    {http.StatusForbidden, "forbidden", "Forbidden"},
	kindUnknownCommand:      {http.StatusNotFound, "unknown_command", "Unknown command"},
	domain.KindNotFound:     {http.StatusNotFound, "not_found", "Not found"},
	kindMethodNotAllowed:    {http.StatusMethodNotAllowed, "method_not_allowed", "Method not allowed"},
	domain.KindRuleViolated: {http.StatusConflict, "rule_violated", "Rule violated"},
	kindKeyInUse:            {http.StatusConflict, "idempotency_key_in_use", "Idempotency key in use"},
	kindRebuildInProgress:   {http.StatusConflict, "rebuild_in_progress", "Rebuild in progress"},
	domain.KindConflict:     {http.StatusPreconditionFailed, "version_conflict", "Version conflict"},
	kindPayloadTooLarge:     {http.StatusRequestEntityTooLarge, "payload_too_large", "Payload too large"},
	domain.KindInvalid:      {http.StatusUnprocessableEntity, "validation_failed", "Validation failed"},
	kindKeyReused:           {http.StatusUnprocessableEntity, "idempotency_key_reused", "Idempotency key reused"},
	domain.KindInternal:     {http.StatusInternalServerError, "internal", "Internal server error"},
	domain.KindUnavailable:  {http.StatusServiceUnavailable, "unavailable", "Service unavailable"},
	domain.KindLagging:      {http.StatusServiceUnavailable, "projection_lagging", "Projection lagging"},
}

// classify returns the kind of err for the table: the idempotency
// sentinels first (they wrap domain kinds), then the domain kind.
func classify(err error) domain.Kind {
	switch {
	case errors.Is(err, services.ErrIdempotencyKeyReused):
		return kindKeyReused
	case errors.Is(err, services.ErrIdempotencyKeyInUse):
		return kindKeyInUse
	}
	var e *domain.Error
	if errors.As(err, &e) {
		if _, ok := errorTable[e.Kind]; ok {
			return e.Kind
		}
	}
	return domain.KindInternal
}

// problemFor builds the problem for err.
func problemFor(err error, instance string) Problem {
	kind := classify(err)
	m := errorTable[kind]
	p := Problem{Type: "about:blank", Title: m.title, Status: m.status, Code: m.code, Instance: instance}
	var e *domain.Error
	if errors.As(err, &e) {
		p.Detail = e.Message
		p.Errors = e.Fields
	}
	if kind == domain.KindInternal {
		// Never show internals to the client; the log has them.
		p.Detail = "an internal error occurred; the request id is in the X-Request-Id header"
		p.Errors = nil
	} else if p.Detail == "" && e != nil && e.Err != nil {
		p.Detail = e.Err.Error()
	}
	return p
}

// writeError answers with the problem for err and logs 5xx.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	p := problemFor(err, r.URL.Path)
	if p.Status >= 500 {
		s.log.LogAttrs(r.Context(), levelFor(p.Status), "request failed",
			slogString("request_id", requestInfoFrom(r.Context()).requestID),
			slogString("code", p.Code), slogString("error", err.Error()))
	}
	writeProblem(w, p)
}

func writeProblem(w http.ResponseWriter, p Problem) {
	h := w.Header()
	switch p.Status {
	case http.StatusServiceUnavailable:
		h.Set("Retry-After", "1")
	case http.StatusConflict:
		if p.Code == "idempotency_key_in_use" {
			h.Set("Retry-After", "1")
		}
	case http.StatusUnauthorized:
		h.Set("WWW-Authenticate", `Bearer realm="portfolio"`)
	}
	body, err := json.Marshal(p)
	if err != nil {
		body = []byte(`{"type":"about:blank","title":"Internal server error","status":500,"code":"internal"}`)
	}
	h.Set("Content-Type", ProblemContentType)
	h.Set("Content-Length", fmt.Sprint(len(body)))
	h.Del("ETag")
	h.Del("Location")
	w.WriteHeader(p.Status)
	_, _ = w.Write(body)
}

// Error constructors of the HTTP layer.

func errMalformed(format string, args ...any) *domain.Error {
	return domain.Errorf(domain.KindMalformed, format, args...)
}

func errMalformedField(field, detail string) *domain.Error {
	return &domain.Error{Kind: domain.KindMalformed, Message: field + " " + detail,
		Fields: []domain.FieldError{{Field: field, Detail: detail}}}
}

func errInvalidField(field, detail string) *domain.Error {
	return &domain.Error{Kind: domain.KindInvalid, Message: field + " " + detail,
		Fields: []domain.FieldError{{Field: field, Detail: detail}}}
}

func errUnknownCommand(name string) *domain.Error {
	return domain.Errorf(kindUnknownCommand, "there is no command %q", name)
}

func errTooLarge(limit int64) *domain.Error {
	return domain.Errorf(kindPayloadTooLarge, "the body is larger than %d bytes", limit)
}

func errMethodNotAllowed(method string) *domain.Error {
	return domain.Errorf(kindMethodNotAllowed, "method %s is not allowed here", method)
}

func errNoRoute(path string) *domain.Error {
	return domain.Errorf(domain.KindNotFound, "no such resource %s", path)
}

func errNotConfigured(what string) *domain.Error {
	return domain.Errorf(domain.KindUnavailable, "%s is not available", what)
}
