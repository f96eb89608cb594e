package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ehelse/portfolio/domain"
)

// pages are the parsed templates: one set per page, each the layout plus
// the page's own file.
type pages struct {
	sets  map[string]*template.Template
	build string // hash of the templates and assets, part of every ETag
}

func parsePages(a *assets) (*pages, error) {
	funcs := template.FuncMap{
		"asset": a.url,
		"add":   func(a, b int) int { return a + b },
	}
	p := &pages{sets: map[string]*template.Template{}}
	names, err := parseSets(p.sets, "templates/*.tmpl", funcs)
	if err != nil {
		return nil, err
	}
	var names2 []string
	for _, x := range a.byLogical {
		names2 = append(names2, x.name)
	}
	p.build = shortHash(strings.Join(names, ",") + strings.Join(names2, ","))
	for _, n := range names {
		b, _ := files.ReadFile(n)
		p.build = shortHash(p.build + string(b))
	}
	return p, nil
}

// parseSets parses one template set per file that glob matches, into sets
// by the file's name without ".tmpl": the file with every partial-*.tmpl of
// the same folder (the layout and shared pieces). It returns the names of
// all the files matched.
func parseSets(sets map[string]*template.Template, glob string, funcs template.FuncMap) ([]string, error) {
	names, err := fs.Glob(files, glob)
	if err != nil {
		return nil, err
	}
	var shared []string
	for _, n := range names {
		if strings.HasPrefix(path.Base(n), "partial-") {
			shared = append(shared, n)
		}
	}
	for _, n := range names {
		base := path.Base(n)
		if strings.HasPrefix(base, "partial-") {
			continue
		}
		t, err := template.New(base).Funcs(funcs).ParseFS(files, append([]string{n}, shared...)...)
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", strings.TrimPrefix(n, "templates/"), err)
		}
		sets[strings.TrimSuffix(base, ".tmpl")] = t
	}
	return names, nil
}

// layout is what the base template gets: the page's view in Page.
type layout struct {
	Title   string
	Section string // the navigation entry to mark current
	// Updated is when the read models last changed, in words and as
	// an RFC 3339 time.
	Updated, UpdatedISO string
	// Live is the path of the page's live update stream ("" for none);
	// Position the read models' position the page shows.
	Live     string
	Position uint64
	// Wide pages (the roadmap) use the full window width.
	Wide bool
	Page any
}

// response is what a page handler returns.
type response struct {
	status int
	// An HTML page: the template and the layout (Page, Title, …).
	tmpl string
	lay  layout
	// Or a body as it is (CSV, Atom).
	body        []byte
	contentType string
	filename    string
}

// pageError is a request the site refuses, with a message for the reader.
type pageError struct {
	status int
	msg    string
}

func (e *pageError) Error() string { return e.msg }

func errBadRequest(format string, args ...any) error {
	return &pageError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

func errNotFound(format string, args ...any) error {
	return &pageError{status: http.StatusNotFound, msg: fmt.Sprintf(format, args...)}
}

// etag is the page's entity tag: the read models' position, the build and
// the day (the time lines mark today).
func (s *Server) etag(pos uint64) string {
	return `W/"` + strconv.FormatUint(pos, 10) + "-" + s.pages.build + "-" + s.cfg.Now().In(oslo).Format("20060102") + `"`
}

// page wraps a page handler: ETag and 304, rendering, gzip, errors.
func (s *Server) page(fn func(r *http.Request) (*response, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		pos := s.cfg.Queries.Position()
		tag := s.etag(pos)
		h := w.Header()
		h.Set("ETag", tag)
		h.Set("Cache-Control", "no-cache")
		h.Set("Vary", "Accept-Encoding")
		if noneMatch(r.Header.Get("If-None-Match"), tag) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		resp, err := fn(r)
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		if resp.body != nil {
			h.Set("Content-Type", resp.contentType)
			if resp.filename != "" {
				h.Set("Content-Disposition", `attachment; filename="`+resp.filename+`"`)
			}
			s.write(w, r, orOK(resp.status), resp.body)
			return
		}
		resp.lay.Updated, resp.lay.UpdatedISO = s.updated(r.Context(), pos)
		resp.lay.Position = pos
		body, err := s.render(resp.tmpl, resp.lay)
		if err != nil {
			s.log.Error("web: render", "template", resp.tmpl, "err", err)
			s.renderError(w, r, err)
			return
		}
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Language", "nb")
		s.write(w, r, orOK(resp.status), body)
	}
}

func orOK(status int) int {
	if status == 0 {
		return http.StatusOK
	}
	return status
}

var bufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func (s *Server) render(name string, lay layout) ([]byte, error) {
	t := s.pages.sets[name]
	if t == nil {
		return nil, fmt.Errorf("web: no template %s", name)
	}
	b := bufs.Get().(*bytes.Buffer)
	b.Reset()
	defer bufs.Put(b)
	if err := t.ExecuteTemplate(b, "layout", lay); err != nil {
		return nil, err
	}
	return bytes.Clone(b.Bytes()), nil
}

var gzips = sync.Pool{New: func() any { w, _ := gzip.NewWriterLevel(nil, gzip.DefaultCompression); return w }}

// write sends body, gzipped when the client accepts it and it pays.
func (s *Server) write(w http.ResponseWriter, r *http.Request, status int, body []byte) {
	h := w.Header()
	if len(body) > 1024 && acceptsGzip(r) {
		b := bufs.Get().(*bytes.Buffer)
		b.Reset()
		defer bufs.Put(b)
		zw := gzips.Get().(*gzip.Writer)
		zw.Reset(b)
		_, _ = zw.Write(body)
		_ = zw.Close()
		gzips.Put(zw)
		h.Set("Content-Encoding", "gzip")
		body = b.Bytes()
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// errorView is the error page's view.
type errorView struct {
	Status  int
	Heading string
	Message string
}

// renderError answers with a Norwegian error page: 400 or 404 for what the
// reader asked wrongly, 503 when the read models cannot answer now.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, err error) {
	v := errorView{Status: http.StatusInternalServerError, Heading: "Noe gikk galt",
		Message: "Siden kunne ikke vises. Prøv igjen om litt."}
	var pe *pageError
	switch {
	case errors.As(err, &pe):
		v.Status, v.Message = pe.status, pe.msg
		switch pe.status {
		case http.StatusBadRequest:
			v.Heading = "Ugyldig forespørsel"
		case http.StatusNotFound:
			v.Heading = "Fant ikke siden"
		case http.StatusMethodNotAllowed:
			v.Heading = "Ikke tillatt"
		}
	case domain.ErrorKind(err) == domain.KindNotFound:
		v.Status, v.Heading, v.Message = http.StatusNotFound, "Fant ikke siden", "Vi fant ikke det du lette etter."
	case domain.ErrorKind(err) == domain.KindLagging || domain.ErrorKind(err) == domain.KindUnavailable:
		v.Status, v.Heading = http.StatusServiceUnavailable, "Ikke tilgjengelig akkurat nå"
		v.Message = "Dataene oppdateres. Prøv igjen om litt."
		w.Header().Set("Retry-After", "5")
		s.log.Warn("web: read models unavailable", "path", r.URL.Path, "err", err)
	default:
		s.log.Error("web: page failed", "path", r.URL.Path, "err", err)
	}
	h := w.Header()
	h.Del("ETag")
	h.Del("Content-Disposition")
	h.Set("Cache-Control", "no-store")
	body, rerr := s.render("error", layout{Title: v.Heading, Page: v})
	if rerr != nil {
		h.Set("Content-Type", "text/plain; charset=utf-8")
		s.write(w, r, v.Status, []byte(v.Heading+": "+v.Message+"\n"))
		return
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	s.write(w, r, v.Status, body)
}

// updated says when the read models last changed: the time of the event
// at pos, looked up once per position.
func (s *Server) updated(ctx context.Context, pos uint64) (string, string) {
	if pos == 0 {
		return "", ""
	}
	if at, ok := s.changedAt(pos); ok {
		return timeNO(at), at.Format(time.RFC3339)
	}
	// One lookup at a time: after a change every open page asks at once.
	s.lookup.Lock()
	defer s.lookup.Unlock()
	if at, ok := s.changedAt(pos); ok {
		return timeNO(at), at.Format(time.RFC3339)
	}
	at := s.cfg.Now()
	if s.cfg.EventTime != nil {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		t, err := s.cfg.EventTime(ctx, pos)
		cancel()
		if err == nil && !t.IsZero() {
			at = t
		}
	}
	s.mu.Lock()
	if pos >= s.changed.pos {
		s.changed.pos, s.changed.at = pos, at
	}
	s.mu.Unlock()
	return timeNO(at), at.Format(time.RFC3339)
}

func (s *Server) changedAt(pos uint64) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed.at, s.changed.pos == pos && !s.changed.at.IsZero()
}

// secure sets the security headers on every answer of the site.
func (s *Server) secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

func shortHash(s string) string {
	var h uint64 = 14695981039346656037
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return strconv.FormatUint(h, 36)
}
