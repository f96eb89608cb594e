package web

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
)

// sekPages are the signed-in area's templates: its own layout (with who is
// signed in and the sign-out button) and the public site's stylesheets.
type sekPages struct {
	sets map[string]*template.Template
}

func parseSekPages(a *assets) (*sekPages, error) {
	funcs := template.FuncMap{"asset": a.url}
	p := &sekPages{sets: map[string]*template.Template{}}
	if _, err := parseSets(p.sets, "templates/sekretariat/*.tmpl", funcs); err != nil {
		return nil, err
	}
	return p, nil
}

// sekLayout is what the signed-in area's layout gets.
type sekLayout struct {
	Title string
	// Section marks the navigation entry of the page.
	Section string
	// User is who is signed in ("" on the sign-in page).
	User, Role string
	// Secretariat, Owner and Auditor choose the navigation.
	Secretariat, Owner, Auditor bool
	// Done says that the form just sent was recorded.
	Done string
	// Print pages (the minutes) hide the navigation when printed.
	Page any
}

func (s *Server) renderSek(w http.ResponseWriter, r *http.Request, status int, name string, lay sekLayout) {
	if p := signedIn(r); p.Role != "" {
		lay.User, lay.Role = p.Name, roleNO(p)
		lay.Secretariat = p.Role == "secretariat"
		lay.Owner = p.Role == "owner"
		lay.Auditor = p.Role == "auditor"
	}
	t := s.sek.sets[name]
	if t == nil {
		s.renderError(w, r, fmt.Errorf("web: no template sekretariat/%s", name))
		return
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "sek-layout", lay); err != nil {
		s.log.Error("web: render", "template", "sekretariat/"+name, "err", err)
		s.renderError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Del("ETag")
	s.write(w, r, status, b.Bytes())
}

func (s *Server) renderSekError(w http.ResponseWriter, r *http.Request, status int, heading, msg string) {
	s.renderSek(w, r, status, "error", sekLayout{Title: heading, Page: errorView{Status: status, Heading: heading, Message: msg}})
}
