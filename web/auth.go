package web

import (
	"context"
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/eventlog"
	"github.com/ehelse/portfolio/services"
)

// Authenticator checks a token from the token file.
// *services.Authenticator implements it.
type Authenticator interface {
	Authenticate(token string) (services.Principal, error)
}

// VerifyResult is what the auditor's page shows of a verification of the
// whole log.
type VerifyResult struct {
	OK       bool
	Events   uint64
	Head     string
	FirstBad *uint64
	Reason   string
	At       time.Time
}

// SecretariatConfig configures the signed-in part of the site: sign-in at
// /logg-inn and the secretariat's, owners' and auditors' pages under
// /sekretariat.
type SecretariatConfig struct {
	// Auth checks tokens of the token file (sign-in with a token).
	Auth Authenticator
	// Sessions keeps the sessions. Required.
	Sessions *services.Sessions
	// Executor runs the forms' commands: the API's command service.
	Executor services.Executor
	// Idempotency remembers each rendered form's outcome.
	Idempotency services.Idempotency
	// History gives the auditor's pages an aggregate's events.
	History AuditHistory
	// Verify checks the whole log for the auditor's page.
	Verify func(ctx context.Context) (VerifyResult, error)
	// OIDC, when set, offers sign-in through an OpenID Connect provider.
	OIDC *OIDCConfig
	// PublicURL is the site's address as browsers see it; https makes the
	// cookies Secure. Empty: taken from each request.
	PublicURL string
}

// AuditHistory is one aggregate's events, for the auditor's pages.
// *services.History implements it.
type AuditHistory interface {
	Events(ctx context.Context, aggType, id string) ([]eventlog.Record, error)
}

// sessionCookie is the session cookie's name; with Secure cookies the
// __Host- prefix binds it to this host and path /.
func (s *Server) sessionCookie() string {
	if s.secureCookies() {
		return "__Host-sesjon"
	}
	return "sesjon"
}

func (s *Server) secureCookies() bool {
	return strings.HasPrefix(s.cfg.Secretariat.PublicURL, "https://")
}

type principalKey struct{}

// maxFormBytes bounds a posted form (the API's bound on a command body).
const maxFormBytes = 1 << 20

// signedIn is the principal of a request that passed requireRole.
func signedIn(r *http.Request) services.Principal {
	p, _ := r.Context().Value(principalKey{}).(services.Principal)
	return p
}

// requireRole lets through requests of a live session whose role is one
// of roles. Without a session a page view goes to the sign-in page (and
// comes back after); a posted form is kept as a draft first, so nothing
// typed is lost. A signed-in person of another role gets 403.
func (s *Server) requireRole(roles []services.Role, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		noStore(w)
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		}
		sess, err := s.session(r)
		if err != nil {
			if domain.ErrorKind(err) != domain.KindUnauthorized {
				s.renderError(w, r, err)
				return
			}
			_, hadCookie := r.Cookie(s.sessionCookie())
			s.clearCookie(w, s.sessionCookie(), "/")
			if r.Method == http.MethodPost && hadCookie == nil {
				// A session that ended while its form was being filled in.
				s.keepDraft(w, r)
				return
			}
			if r.Method == http.MethodPost {
				s.renderLogin(w, r, http.StatusUnauthorized, loginView{Next: r.URL.Path, Notice: "Du må logge inn for å sende skjemaet."})
				return
			}
			http.Redirect(w, r, "/logg-inn?neste="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		allowed := false
		for _, role := range roles {
			allowed = allowed || sess.Principal.Role == role
		}
		if !allowed {
			s.renderSekError(w, r, http.StatusForbidden, "Ingen tilgang", "Du er logget inn som "+roleNO(sess.Principal)+" og har ikke tilgang til denne siden.")
			return
		}
		ctx := context.WithValue(r.Context(), principalKey{}, sess.Principal)
		h(w, r.WithContext(ctx))
	}
}

// session returns the request's live session.
func (s *Server) session(r *http.Request) (services.Session, error) {
	c, err := r.Cookie(s.sessionCookie())
	if err != nil || c.Value == "" {
		return services.Session{}, domain.Errorf(domain.KindUnauthorized, "not signed in")
	}
	return s.cfg.Secretariat.Sessions.Resume(r.Context(), c.Value)
}

// keepDraft answers a form posted without a live session: the form's
// fields are kept, and the sign-in page comes back to them.
func (s *Server) keepDraft(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.renderSekError(w, r, http.StatusBadRequest, "Ugyldig skjema", "Skjemaet kunne ikke leses.")
		return
	}
	id, err := s.cfg.Secretariat.Sessions.SaveDraft(r.Context(), services.Draft{Path: r.URL.Path, Values: r.PostForm})
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	s.renderLogin(w, r, http.StatusUnauthorized, loginView{Next: r.URL.Path, Draft: id,
		Notice: "Økten din er utløpt. Logg inn igjen for å fortsette. Det du skrev i skjemaet er tatt vare på."})
}

// ---- sign-in and sign-out ----

type loginView struct {
	Next, Draft string
	Notice      string
	Error       string
	OIDC        bool
	OIDCHref    string
	SignedOut   bool
}

func (s *Server) handleLoginPage(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	q := r.URL.Query()
	v := loginView{Next: localPath(q.Get("neste")), Draft: q.Get("utkast"), SignedOut: q.Get("utlogget") != ""}
	if q.Get("feil") != "" {
		v.Error = "Innloggingen ble ikke fullført. Prøv igjen."
	}
	s.renderLogin(w, r, http.StatusOK, v)
}

func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, status int, v loginView) {
	if s.cfg.Secretariat.OIDC != nil {
		v.OIDC = true
		q := url.Values{}
		if v.Next != "" {
			q.Set("neste", v.Next)
		}
		if v.Draft != "" {
			q.Set("utkast", v.Draft)
		}
		v.OIDCHref = "/logg-inn/oidc"
		if len(q) > 0 {
			v.OIDCHref += "?" + q.Encode()
		}
	}
	s.renderSek(w, r, status, "login", sekLayout{Title: "Logg inn", Page: v})
}

// handleTokenLogin exchanges a token of the token file for a session. The
// token is never logged or shown again.
func (s *Server) handleTokenLogin(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	if err := r.ParseForm(); err != nil {
		s.renderSekError(w, r, http.StatusBadRequest, "Ugyldig skjema", "Skjemaet kunne ikke leses.")
		return
	}
	v := loginView{Next: localPath(r.PostForm.Get("neste")), Draft: r.PostForm.Get("utkast")}
	token := strings.TrimSpace(r.PostForm.Get("token"))
	if token == "" || s.cfg.Secretariat.Auth == nil {
		v.Error = "Skriv inn tilgangsnøkkelen din."
		s.renderLogin(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	p, err := s.cfg.Secretariat.Auth.Authenticate(token)
	if err == nil && (p.Role == services.RoleAnonymous || p.Role == services.RoleSubscriber) {
		err = domain.Errorf(domain.KindUnauthorized, "this token does not sign in")
	}
	if err != nil {
		v.Error = "Tilgangsnøkkelen er ukjent. Sjekk at du har limt inn hele nøkkelen."
		s.renderLogin(w, r, http.StatusUnauthorized, v)
		return
	}
	s.startSession(w, r, p, "token", v.Next, v.Draft)
}

// startSession begins a session for p, sets its cookie and sends the
// browser on: to next (with the draft to restore), else to the start page.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, p services.Principal, method, next, draft string) {
	// A session id from before the sign-in is never reused.
	if c, err := r.Cookie(s.sessionCookie()); err == nil {
		_ = s.cfg.Secretariat.Sessions.End(r.Context(), c.Value)
	}
	id, _, err := s.cfg.Secretariat.Sessions.Start(r.Context(), p, method)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: s.sessionCookie(), Value: id, Path: "/", HttpOnly: true,
		Secure: s.secureCookies(), SameSite: http.SameSiteLaxMode})
	s.log.Info("web: signed in", "principal", p.Name, "role", string(p.Role), "method", method)
	if next == "" {
		next = "/sekretariat"
	}
	if draft != "" {
		next += "?utkast=" + url.QueryEscape(draft)
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// handleLogout ends the session on every instance and removes the cookie.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	if c, err := r.Cookie(s.sessionCookie()); err == nil {
		if err := s.cfg.Secretariat.Sessions.End(r.Context(), c.Value); err != nil {
			s.renderError(w, r, err)
			return
		}
	}
	s.clearCookie(w, s.sessionCookie(), "/")
	http.Redirect(w, r, "/logg-inn?utlogget=1", http.StatusSeeOther)
}

func (s *Server) clearCookie(w http.ResponseWriter, name, path string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: path, MaxAge: -1, HttpOnly: true,
		Secure: s.secureCookies(), SameSite: http.SameSiteLaxMode})
}

// localPath accepts only a path on this site ("/…", not "//…"), so the
// sign-in page cannot be used to send people elsewhere.
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") {
		return ""
	}
	u, err := url.Parse(p)
	if err != nil || u.Host != "" || u.Scheme != "" {
		return ""
	}
	return p
}

func noStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
}

func roleNO(p services.Principal) string {
	switch p.Role {
	case services.RoleSecretariat:
		return "sekretariatet"
	case services.RoleOwner:
		return "tiltakseier (" + p.Org + ")"
	case services.RoleAuditor:
		return "revisor"
	}
	return string(p.Role)
}

func equalConstant(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
