package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/services"
)

// requestInfo is what the middleware learns about a request, shared with
// the handlers through the context (the handlers fill in the principal).
type requestInfo struct {
	requestID     string
	correlationID string
	principal     string
}

type ctxKey struct{}

func requestInfoFrom(ctx context.Context) *requestInfo {
	if ri, ok := ctx.Value(ctxKey{}).(*requestInfo); ok {
		return ri
	}
	return &requestInfo{}
}

// validID reports whether a client-supplied request or correlation id is
// safe to echo and log: 1–128 characters of [A-Za-z0-9._:-].
func validID(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-' || c == ':') {
			return false
		}
	}
	return true
}

// statusWriter records the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// middleware wraps the mux: request and correlation ids (accepted from
// X-Request-Id and X-Correlation-Id when well-formed, else generated, and
// echoed), the in-flight gauge and a JSON access log line per request. It
// never logs headers, so Authorization and tokens never reach the log.
// Panic recovery and the request metrics are per route (see route).
func (s *Server) middleware(next http.Handler) http.Handler {
	next = s.metrics.inFlightHandler(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ri := &requestInfo{
			requestID:     r.Header.Get("X-Request-Id"),
			correlationID: r.Header.Get("X-Correlation-Id"),
		}
		if !validID(ri.requestID) {
			ri.requestID = services.NewID()
		}
		if !validID(ri.correlationID) {
			ri.correlationID = ri.requestID
		}
		w.Header().Set("X-Request-Id", ri.requestID)
		w.Header().Set("X-Correlation-Id", ri.correlationID)
		r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, ri))
		sw := &statusWriter{ResponseWriter: w}

		next.ServeHTTP(sw, r)

		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		route := r.Pattern // set by the mux on r
		if route == "" || route == "/" {
			route = unmatchedRoute
		}
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "http request",
			slog.String("request_id", ri.requestID),
			slog.String("correlation_id", ri.correlationID),
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.String("query", redactQuery(r.URL.RawQuery)),
			slog.String("route", route),
			slog.Int("status", status),
			slog.Int64("bytes", sw.bytes),
			slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
			slog.String("principal", ri.principal),
			slog.String("remote", r.RemoteAddr),
		)
	})
}

// unmatchedRoute is the route label of a request no route pattern takes.
const unmatchedRoute = "unmatched"

// route is the handler of one route pattern: h with the request metrics
// and panic recovery (a 500 problem, counted and logged as such).
func (s *Server) route(pattern string, h http.Handler) http.Handler {
	return s.metrics.route(pattern, s.recoverPanic(h))
}

// recoverPanic turns a panic in h into a 500 problem, unless the handler
// panicked with http.ErrAbortHandler to abort the response.
func (s *Server) recoverPanic(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w} // to know whether an answer has begun
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.LogAttrs(r.Context(), slog.LevelError, "panic",
				slog.String("request_id", requestInfoFrom(r.Context()).requestID),
				slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
			if sw.status == 0 {
				s.writeError(sw, r, &domain.Error{Kind: domain.KindInternal, Err: errors.New("panic")})
			}
		}()
		h.ServeHTTP(sw, r)
	})
}

func levelFor(status int) slog.Level {
	if status >= 500 {
		return slog.LevelError
	}
	return slog.LevelInfo
}

func slogString(k, v string) slog.Attr { return slog.String(k, v) }

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

// secretParams are query parameters whose values are secrets: an OpenID
// Connect callback's authorization code and state, tokens, and the id of
// a kept form draft (web sign-in). Their values never reach the log.
var secretParams = map[string]bool{"code": true, "state": true, "token": true, "id_token": true,
	"access_token": true, "session_state": true, "utkast": true}

// redactQuery returns the raw query with the values of secretParams
// replaced by REDACTED.
func redactQuery(raw string) string {
	if raw == "" {
		return raw
	}
	parts := strings.Split(raw, "&")
	changed := false
	for i, p := range parts {
		k, _, ok := strings.Cut(p, "=")
		if name, err := url.QueryUnescape(k); ok && err == nil && secretParams[strings.ToLower(name)] {
			parts[i] = k + "=REDACTED"
			changed = true
		}
	}
	if !changed {
		return raw
	}
	return strings.Join(parts, "&")
}
