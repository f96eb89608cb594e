package daemon_test

// Tests of the signed-in web site over plain HTTP against a real server:
// sign-in and sessions, forms through the command service (validation,
// refusals, If-Match, Idempotency-Key), owners' organisations, cross-site
// posts, expired sessions, OpenID Connect against a real provider
// (mockoidc), and that no secret reaches the log.

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/ehelse/portfolio/internal/daemon"
)

// syncBuffer is a log sink the test reads while the server writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// sekServer is a server for the web tests, its log and its API client.
type sekServer struct {
	*e2e
	log *syncBuffer
}

func startSek(t *testing.T, change func(*daemon.Config)) *sekServer {
	t.Helper()
	logs := &syncBuffer{}
	cfg := daemon.Config{DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", NATSListen: "", SyncAlways: true, Out: io.Discard,
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	if change != nil {
		change(&cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	d, err := daemon.Start(ctx, cfg)
	if err != nil {
		t.Fatalf("daemon.Start: %v", err)
	}
	e := &e2e{t: t, dir: cfg.DataDir, d: d, base: d.URL()}
	e.oa = newOpenAPICheck(t, e.base)
	e.hc = &http.Client{Transport: &validatingTransport{next: &http.Transport{}, check: e.oa}, Timeout: 60 * time.Second}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := d.Close(ctx); err != nil {
			t.Errorf("daemon.Close: %v", err)
		}
	})
	return &sekServer{e2e: e, log: logs}
}

// browser is a cookie-keeping client that does not follow redirects, so
// each answer can be looked at.
type browser struct {
	t    *testing.T
	base string
	hc   *http.Client
}

type page struct {
	status int
	loc    string
	header http.Header
	body   string
}

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, hc: &http.Client{Jar: jar, Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	res, err := b.hc.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return page{status: res.StatusCode, loc: res.Header.Get("Location"), header: res.Header, body: string(body)}
}

func (b *browser) get(path string) page {
	req, _ := http.NewRequest("GET", b.base+path, nil)
	return b.do(req)
}

// post sends a form as a same-origin browser does.
func (b *browser) post(path string, form url.Values, headers ...string) page {
	req, _ := http.NewRequest("POST", b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return b.do(req)
}

// follow gets the page a 303 leads to.
func (b *browser) follow(p page) page {
	b.t.Helper()
	if p.status != http.StatusSeeOther {
		b.t.Fatalf("status %d, want 303; body:\n%s", p.status, excerpt(p.body))
	}
	return b.get(p.loc)
}

func (b *browser) signIn(token string) {
	b.t.Helper()
	p := b.post("/logg-inn", url.Values{"token": {token}})
	if p.status != http.StatusSeeOther {
		b.t.Fatalf("sign-in: status %d\n%s", p.status, excerpt(p.body))
	}
}

var hiddenRE = regexp.MustCompile(`name="(idempotensnokkel|versjon|utkast|neste)" value="([^"]*)"`)

// hidden returns the hidden fields of a rendered form.
func hidden(body string) url.Values {
	v := url.Values{}
	for _, m := range hiddenRE.FindAllStringSubmatch(body, -1) {
		v.Set(m[1], html.UnescapeString(m[2]))
	}
	return v
}

// form is a form's hidden fields with values.
func form(body string, kv ...string) url.Values {
	v := hidden(body)
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

func excerpt(s string) string {
	if i := strings.Index(s, "<main"); i >= 0 {
		s = s[i:]
	}
	if len(s) > 3000 {
		s = s[:3000]
	}
	return s
}

func mustContain(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, excerpt(body))
		}
	}
}

func TestWebSignInAndSessions(t *testing.T) {
	s := startSek(t, nil)
	b := newBrowser(t, s.base)
	token := s.tok(tokSek)

	t.Run("a page of the signed-in area leads to sign-in", func(t *testing.T) {
		p := b.get("/sekretariat/moter")
		if p.status != http.StatusSeeOther || p.loc != "/logg-inn?neste=%2Fsekretariat%2Fmoter" {
			t.Fatalf("status %d, Location %q", p.status, p.loc)
		}
		if p := b.get(p.loc); p.status != 200 || !strings.Contains(p.body, `name="neste" value="/sekretariat/moter"`) {
			t.Fatalf("sign-in page: %d\n%s", p.status, excerpt(p.body))
		}
	})
	t.Run("an unknown token is refused and not shown again", func(t *testing.T) {
		p := b.post("/logg-inn", url.Values{"token": {"not-a-token-of-this-server"}})
		if p.status != http.StatusUnauthorized || strings.Contains(p.body, "not-a-token-of-this-server") {
			t.Fatalf("status %d; the page shows the token: %v", p.status, strings.Contains(p.body, "not-a-token"))
		}
		mustContain(t, "refusal", p.body, "Tilgangsnøkkelen er ukjent")
	})
	var cookie *http.Cookie
	t.Run("a token is exchanged for a session cookie", func(t *testing.T) {
		p := b.post("/logg-inn", url.Values{"token": {token}, "neste": {"/sekretariat/moter"}})
		if p.status != http.StatusSeeOther || p.loc != "/sekretariat/moter" {
			t.Fatalf("status %d, Location %q", p.status, p.loc)
		}
		res := &http.Response{Header: p.header}
		for _, c := range res.Cookies() {
			if c.Name == "sesjon" {
				cookie = c
			}
		}
		if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Path != "/" || cookie.Secure {
			t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Lax, Path=/, not Secure over http", cookie)
		}
		if len(cookie.Value) < 43 || strings.Contains(p.loc, cookie.Value) {
			t.Fatalf("session id %q short or in the URL", cookie.Value)
		}
		p = b.get("/sekretariat/moter")
		mustContain(t, "meetings page", p.body, "Logget inn som <strong>sekretariat</strong>")
		if p.status != 200 || p.header.Get("Cache-Control") != "no-store" {
			t.Fatalf("status %d, Cache-Control %q", p.status, p.header.Get("Cache-Control"))
		}
	})
	t.Run("the session is known after a restart of the same instance's sessions", func(t *testing.T) {
		// Another client with the same cookie: the session is server-side.
		other := newBrowser(t, s.base)
		u, _ := url.Parse(s.base)
		other.hc.Jar.SetCookies(u, []*http.Cookie{{Name: "sesjon", Value: cookie.Value, Path: "/"}})
		if p := other.get("/sekretariat"); p.status != 200 {
			t.Fatalf("status %d", p.status)
		}
	})
	t.Run("an owner may not use the secretariat's pages", func(t *testing.T) {
		o := newBrowser(t, s.base)
		o.signIn(s.tok(tokHSO))
		if p := o.get("/sekretariat/moter"); p.status != http.StatusForbidden {
			t.Fatalf("status %d", p.status)
		}
	})
	t.Run("sign-out ends the session everywhere", func(t *testing.T) {
		other := newBrowser(t, s.base)
		u, _ := url.Parse(s.base)
		other.hc.Jar.SetCookies(u, []*http.Cookie{{Name: "sesjon", Value: cookie.Value, Path: "/"}})
		if p := b.post("/logg-ut", url.Values{}); p.status != http.StatusSeeOther {
			t.Fatalf("sign-out: %d", p.status)
		}
		if p := other.get("/sekretariat"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.loc, "/logg-inn") {
			t.Fatalf("after sign-out elsewhere: %d %q", p.status, p.loc)
		}
	})
	t.Run("a cross-site form post is refused and writes nothing", func(t *testing.T) {
		b.signIn(token)
		s.noWrite("cross-site post", func() {
			p := b.post("/sekretariat/moter/ny", url.Values{"forum": {"NUIT"}, "date": {"2026-12-10"}},
				"Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
			if p.status != http.StatusForbidden {
				t.Errorf("status %d", p.status)
			}
			p = b.post("/logg-ut", url.Values{}, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
			if p.status != http.StatusForbidden {
				t.Errorf("cross-site sign-out: status %d", p.status)
			}
		})
		if p := b.get("/sekretariat"); p.status != 200 {
			t.Fatalf("the session did not survive a refused cross-site sign-out: %d", p.status)
		}
	})
	t.Run("no token or session id in the log", func(t *testing.T) {
		logs := s.log.String()
		for name, secret := range map[string]string{"token": token, "session id": cookie.Value} {
			if strings.Contains(logs, secret) {
				t.Errorf("the log holds the %s", name)
			}
		}
		if !strings.Contains(logs, "web: signed in") {
			t.Error("the log says nothing of sign-ins")
		}
	})
}

func TestWebSecureCookies(t *testing.T) {
	s := startSek(t, func(c *daemon.Config) { c.PublicURL = "https://portefolje.example.no" })
	p := newBrowser(t, s.base).post("/logg-inn", url.Values{"token": {s.tok(tokSek)}})
	res := &http.Response{Header: p.header}
	var c *http.Cookie
	for _, x := range res.Cookies() {
		c = x
	}
	if c == nil || c.Name != "__Host-sesjon" || !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
		t.Fatalf("cookie %+v: want __Host-sesjon, Secure, HttpOnly, SameSite=Lax", c)
	}
}

func TestWebForms(t *testing.T) {
	s := startSek(t, nil)
	s.defineStrategy()
	hso := s.propose(tokSek, proposal(orgHSO, "Digital hjemmeoppfølging"))
	ks := s.propose(tokSek, proposal(orgKS, "Felles kommunal journal"))
	s.admit(hso, "2026-03-01")
	last := s.admit(ks, "2026-03-01")
	ready := "?etter=" + strconv.FormatUint(last.res.Position, 10) // the read models show both
	sek := newBrowser(t, s.base)
	sek.signIn(s.tok(tokSek))
	owner := newBrowser(t, s.base)
	owner.signIn(s.tok(tokHSO))
	statusPath := "/sekretariat/tiltak/" + hso + "/status"

	t.Run("validation errors next to their fields, in Norwegian", func(t *testing.T) {
		f := owner.get(statusPath + ready)
		if f.status != 200 {
			t.Fatalf("form: %d", f.status)
		}
		s.noWrite("invalid status report", func() {
			p := owner.post(statusPath, form(f.body, "reportDate", "2026-12-06", "overall", "yellow", "schedule", "green", "cost", "green", "benefit", "green"))
			if p.status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d", p.status)
			}
			mustContain(t, "422 page", p.body, `id="f-comment" name="comment" rows="4" aria-describedby="f-comment-hint f-comment-feil" aria-invalid="true"`,
				`id="f-comment-feil">Må fylles ut når et lys er gult eller rødt.`, `href="#f-comment"`, `<option value="yellow" selected>`)
		})
	})
	t.Run("the strategy catalogue", func(t *testing.T) {
		f := sek.get("/sekretariat/strategi/delmal/ny")
		p := sek.post("/sekretariat/strategi/delmal/ny", form(f.body, "goalId", "M2", "subGoalId", "2B", "title", "Illustrativt delmål 2B (nettskjema)"))
		if p.status != http.StatusSeeOther {
			t.Fatalf("status %d\n%s", p.status, excerpt(p.body))
		}
		mustContain(t, "catalogue", sek.follow(p).body, "2B Illustrativt delmål 2B (nettskjema)")
		if p := owner.get("/sekretariat/strategi"); p.status != http.StatusForbidden {
			t.Fatalf("an owner on the catalogue: %d", p.status)
		}
	})
	t.Run("a refusal shows the rule's text, in Norwegian", func(t *testing.T) {
		res := s.ok(tokSek, "ProposeInitiative", proposal(orgHSO, "Ikke tatt opp"))
		path := "/sekretariat/tiltak/" + res.AggregateID + "/milepel"
		f := owner.get(path + "?etter=" + strconv.FormatUint(res.Position, 10))
		s.noWrite("refused milestone", func() {
			p := owner.post(path, form(f.body, "title", "Pilot", "plannedDate", "2027-01-01"))
			if p.status != http.StatusConflict {
				t.Fatalf("status %d\n%s", p.status, excerpt(p.body))
			}
			mustContain(t, "409 page", p.body, "avvist av reglene", `value="Pilot"`,
				"Regelen: Tiltaket "+res.AggregateID+" er meldt inn og ikke tatt opp i porteføljen: bare et tiltak i porteføljen rapporterer milepæler.")
			if strings.Contains(p.body, `lang="en"`) || strings.Contains(p.body, "reports milestones") {
				t.Errorf("the 409 page shows the rule in English:\n%s", excerpt(p.body))
			}
		})
	})
	t.Run("an owner sees and posts only its own organisation's initiatives", func(t *testing.T) {
		other := "/sekretariat/tiltak/" + ks + "/status"
		if p := owner.get(other); p.status != http.StatusForbidden {
			t.Fatalf("GET another org's form: %d", p.status)
		}
		if p := owner.get("/sekretariat/tiltak"); strings.Contains(p.body, ks) || !strings.Contains(p.body, hso) {
			t.Fatalf("the owner's list shows other organisations' initiatives or not its own")
		}
		own := owner.get(statusPath)
		s.noWrite("crafted post for another organisation", func() {
			p := owner.post(other, form(own.body, "reportDate", "2026-12-06", "overall", "green", "schedule", "green", "cost", "green", "benefit", "green"))
			if p.status != http.StatusForbidden {
				t.Fatalf("status %d\n%s", p.status, excerpt(p.body))
			}
		})
	})
	t.Run("a double post records once", func(t *testing.T) {
		f := owner.get(statusPath)
		vals := form(f.body, "reportDate", "2026-12-06", "overall", "green", "schedule", "green", "cost", "green", "benefit", "green")
		before := s.headPosition()
		var wg sync.WaitGroup
		pages := make([]page, 2)
		for i := range pages {
			wg.Add(1)
			go func() { defer wg.Done(); pages[i] = owner.post(statusPath, vals) }()
		}
		wg.Wait()
		for _, p := range pages {
			if p.status != http.StatusSeeOther || p.loc != pages[0].loc {
				t.Fatalf("answers %d %q and %d %q", pages[0].status, pages[0].loc, p.status, p.loc)
			}
		}
		evs := s.auditAfter(before)
		if len(evs) != 1 || evs[0].Type != "StatusReported" {
			t.Fatalf("events written: %+v", evs)
		}
		// Back in the browser, changed and sent again: the key is spent.
		s.noWrite("a sent form changed and sent again", func() {
			vals.Set("overall", "red")
			vals.Set("comment", "Endret etter innsending.")
			p := owner.post(statusPath, vals)
			if p.status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d\n%s", p.status, excerpt(p.body))
			}
			mustContain(t, "the form again", p.body, "allerede sendt med andre verdier", "Endret etter innsending.")
			if hidden(p.body).Get("idempotensnokkel") == vals.Get("idempotensnokkel") {
				t.Error("the form is shown again with its spent key")
			}
		})
		if p := owner.follow(pages[0]); p.status != 200 || !strings.Contains(p.body, "Grønn per 6. desember 2026") {
			t.Fatalf("the page after the form does not show the report: %d\n%s", p.status, excerpt(p.body))
		}
	})
	t.Run("a form loaded before someone else's change says so and keeps the text", func(t *testing.T) {
		f := owner.get(statusPath)
		s.ok(tokSek, "ReportMilestone", obj{"initiativeId": hso, "title": "Pilot i Vestfold", "status": "planned", "plannedDate": "2027-03-01"})
		typed := "Forsinket leveranse fra leverandør; ny plan i januar."
		s.noWrite("stale form", func() {
			p := owner.post(statusPath, form(f.body, "reportDate", "2026-12-07", "overall", "yellow", "schedule", "yellow", "cost", "green", "benefit", "green", "comment", typed))
			if p.status != http.StatusConflict {
				t.Fatalf("status %d\n%s", p.status, excerpt(p.body))
			}
			mustContain(t, "conflict page", p.body, "Noen andre har endret dette", typed)
			if hidden(p.body).Get("versjon") == hidden(f.body).Get("versjon") {
				t.Errorf("the form is shown again at the stale version %s", hidden(f.body).Get("versjon"))
			}
			f = p
		})
		// Sent again as it is shown now: recorded.
		p := owner.post(statusPath, form(f.body, "reportDate", "2026-12-07", "overall", "yellow", "schedule", "yellow", "cost", "green", "benefit", "green", "comment", typed))
		if p.status != http.StatusSeeOther {
			t.Fatalf("resent: %d\n%s", p.status, excerpt(p.body))
		}
	})
}

func TestWebExpiredSessionKeepsTheForm(t *testing.T) {
	clk := &fakeClock{now: time.Now()}
	s := startSek(t, func(c *daemon.Config) { c.Now = clk.Now })
	b := newBrowser(t, s.base)
	b.signIn(s.tok(tokSek))
	f := b.get("/sekretariat/saker/ny")
	if f.status != 200 {
		t.Fatalf("form: %d", f.status)
	}
	typed := "Nasjonalt e-helseråd gir sin tilslutning til at tiltaket tas inn i porteføljen."
	vals := form(f.body, "forum", "NUIT", "title", "Orientering om kjernejournal", "caseType", "information", "purpose", "other", "proposedResolution", typed)
	clk.Add(31 * time.Minute)
	var p page
	s.noWrite("post after the session timed out", func() {
		p = b.post("/sekretariat/saker/ny", vals)
	})
	if p.status != http.StatusUnauthorized {
		t.Fatalf("status %d", p.status)
	}
	mustContain(t, "sign-in page", p.body, "tatt vare på", `name="neste" value="/sekretariat/saker/ny"`)
	draft := hidden(p.body).Get("utkast")
	p = b.post("/logg-inn", url.Values{"token": {s.tok(tokSek)}, "neste": {"/sekretariat/saker/ny"}, "utkast": {draft}})
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.loc, "/sekretariat/saker/ny?utkast=") {
		t.Fatalf("sign-in: %d %q", p.status, p.loc)
	}
	back := b.get(p.loc)
	mustContain(t, "restored form", back.body, typed, `value="Orientering om kjernejournal"`, `<option value="NUIT" selected>`)
	if hidden(back.body).Get("idempotensnokkel") != vals.Get("idempotensnokkel") {
		t.Error("the restored form has another Idempotency-Key")
	}
	p = b.post("/sekretariat/saker/ny", form(back.body, "forum", "NUIT", "title", "Orientering om kjernejournal", "caseType", "information", "purpose", "other", "proposedResolution", typed))
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.loc, "/sekretariat/saker/") {
		t.Fatalf("restored form sent: %d\n%s", p.status, excerpt(p.body))
	}
	mustContain(t, "the case", b.follow(p).body, typed)

	// Without any session cookie nothing is kept: a stranger cannot fill
	// the session store with drafts.
	stranger := newBrowser(t, s.base)
	p = stranger.post("/sekretariat/saker/ny", vals)
	if p.status != http.StatusUnauthorized || hidden(p.body).Get("utkast") != "" {
		t.Fatalf("a post without a session: status %d, draft %q", p.status, hidden(p.body).Get("utkast"))
	}
}

// wrongAudience is a mockoidc user whose ID tokens name another client.
type wrongAudience struct{ *mockoidc.MockUser }

func (u wrongAudience) Claims(scope []string, c *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	c.Audience = jwt.ClaimStrings{"another-client"}
	return u.MockUser.Claims(scope, c)
}

func TestWebOpenIDConnect(t *testing.T) {
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	claims := filepath.Join(dir, "claims.json")
	if err := os.WriteFile(secret, []byte(m.ClientSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(claims, []byte(`{"nameClaim": "email", "rules": [
	  {"claim": "groups", "value": "portefoljekontoret", "role": "secretariat"},
	  {"claim": "groups", "value": "hso-tiltakseier", "role": "owner", "org": "Helse Sør-Øst RHF"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startSek(t, func(c *daemon.Config) {
		c.OIDC = daemon.OIDCConfig{Issuer: m.Issuer(), ClientID: m.ClientID, ClientSecretFile: secret, ClaimsMapFile: claims,
			Scopes: []string{"profile", "email", "groups"}}
	})
	// signIn goes through the provider and back, following redirects.
	signIn := func(t *testing.T, user mockoidc.User) (*browser, page) {
		b := newBrowser(t, s.base)
		if user != nil {
			m.QueueUser(user)
		}
		p := b.get("/logg-inn")
		mustContain(t, "sign-in page", p.body, `href="/logg-inn/oidc"`)
		p = b.get("/logg-inn/oidc?neste=%2Fsekretariat%2Ftiltak")
		if p.status != http.StatusFound || !strings.HasPrefix(p.loc, m.AuthorizationEndpoint()) {
			t.Fatalf("start: %d %q", p.status, p.loc)
		}
		to, _ := url.Parse(p.loc)
		q := to.Query()
		if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") == "" || q.Get("state") == "" {
			t.Fatalf("the authorization request lacks PKCE, nonce or state: %s", p.loc)
		}
		req, _ := http.NewRequest("GET", p.loc, nil)
		p = b.do(req) // the provider answers with a redirect to the callback
		if p.status != http.StatusFound || !strings.Contains(p.loc, "/logg-inn/oidc/tilbake?") {
			t.Fatalf("provider: %d %q", p.status, p.loc)
		}
		req, _ = http.NewRequest("GET", p.loc, nil)
		return b, b.do(req)
	}
	user := func(email string, groups ...string) *mockoidc.MockUser {
		return &mockoidc.MockUser{Subject: email, Email: email, EmailVerified: true, Groups: groups}
	}

	t.Run("sign-in maps claims to a role and an organisation", func(t *testing.T) {
		b, p := signIn(t, user("kari@hso.example", "hso-tiltakseier"))
		if p.status != http.StatusSeeOther || p.loc != "/sekretariat/tiltak" {
			t.Fatalf("callback: %d %q\n%s", p.status, p.loc, excerpt(p.body))
		}
		p = b.get(p.loc)
		mustContain(t, "owner's page", p.body, "Logget inn som <strong>kari@hso.example</strong>, tiltakseier (Helse Sør-Øst RHF)")
		b2, p := signIn(t, user("ola@helsedir.example", "portefoljekontoret"))
		if p := b2.follow(p); !strings.Contains(p.body, "sekretariatet.") {
			t.Fatalf("secretariat sign-in:\n%s", excerpt(p.body))
		}
	})
	t.Run("a token for another audience is refused", func(t *testing.T) {
		_, p := signIn(t, wrongAudience{user("eve@example", "portefoljekontoret")})
		if p.status != http.StatusUnauthorized {
			t.Fatalf("status %d, Location %q", p.status, p.loc)
		}
		mustContain(t, "refusal", p.body, "Innloggingen ble avvist")
		mustContain(t, "the log", s.log.String(), `expected audience \"`+m.ClientID+`\" got [\"another-client\"]`)
	})
	t.Run("an expired token is refused", func(t *testing.T) {
		m.FastForward(-2 * time.Hour) // tokens issued two hours ago, valid for ten minutes
		defer m.FastForward(2 * time.Hour)
		_, p := signIn(t, user("ola@helsedir.example", "portefoljekontoret"))
		if p.status != http.StatusUnauthorized {
			t.Fatalf("status %d, Location %q", p.status, p.loc)
		}
		mustContain(t, "the log", s.log.String(), "oidc: token is expired")
	})
	t.Run("a person no rule knows is refused", func(t *testing.T) {
		_, p := signIn(t, user("x@example", "other"))
		if p.status != http.StatusUnauthorized {
			t.Fatalf("status %d", p.status)
		}
	})
	t.Run("a callback without this browser's sign-in is refused", func(t *testing.T) {
		b := newBrowser(t, s.base)
		if p := b.get("/logg-inn/oidc/tilbake?code=x&state=y"); p.status != http.StatusUnauthorized {
			t.Fatalf("status %d", p.status)
		}
	})
	t.Run("no code or client secret in the log", func(t *testing.T) {
		logs := s.log.String()
		if strings.Contains(logs, m.ClientSecret) {
			t.Error("the log holds the client secret")
		}
		for _, line := range strings.Split(logs, "\n") {
			var rec map[string]any
			if json.Unmarshal([]byte(line), &rec) != nil {
				continue
			}
			if q, _ := rec["query"].(string); strings.Contains(q, "code=") && !strings.Contains(q, "code=REDACTED") {
				t.Errorf("the access log holds an authorization code: %s", q)
			}
		}
	})
}

func TestWebLifecycleAndSendBack(t *testing.T) {
	s := startSek(t, nil)
	s.defineStrategy()
	in := s.propose(tokSek, proposal(orgHSO, "Digital hjemmeoppfølging"))
	adm := s.admit(in, "2026-03-01")
	after := "?etter=" + strconv.FormatUint(adm.res.Position, 10)
	sek := newBrowser(t, s.base)
	sek.signIn(s.tok(tokSek))
	owner := newBrowser(t, s.base)
	owner.signIn(s.tok(tokHSO))
	send := func(b *browser, path string, kv ...string) page {
		t.Helper()
		f := b.get(path + after)
		if f.status != 200 {
			t.Fatalf("GET %s: %d\n%s", path, f.status, excerpt(f.body))
		}
		p := b.post(path, form(f.body, kv...))
		if p.status != http.StatusSeeOther {
			t.Fatalf("POST %s: %d\n%s", path, p.status, excerpt(p.body))
		}
		return b.follow(p)
	}

	t.Run("pause and resume", func(t *testing.T) {
		p := send(sek, "/sekretariat/tiltak/"+in+"/livslop/pause", "reason", "Venter på ny personvernvurdering.")
		mustContain(t, "paused", p.body, "Midlertidig stanset")
		p = send(sek, "/sekretariat/tiltak/"+in+"/livslop/gjenoppta", "reason", "Personvernvurderingen er klar.")
		mustContain(t, "resumed", p.body, "I porteføljen")
	})
	t.Run("an owner plans a milestone, achieves it, and proposes an initiative of its own", func(t *testing.T) {
		p := send(owner, "/sekretariat/tiltak/"+in+"/milepel", "title", "Pilot i Vestfold", "plannedDate", "2027-03-01")
		mustContain(t, "planned", p.body, "Pilot i Vestfold", "Planlagt")
		m := regexp.MustCompile(`/milepel/([0-9A-Z]{26})/nadd`).FindStringSubmatch(p.body)
		if m == nil {
			t.Fatalf("no link to report the milestone achieved:\n%s", excerpt(p.body))
		}
		p = send(owner, "/sekretariat/tiltak/"+in+"/milepel/"+m[1]+"/nadd", "achievedDate", "2026-12-01")
		mustContain(t, "achieved", p.body, "Nådd", "1. desember 2026")
		p = send(owner, "/sekretariat/tiltak/ny", "title", "Digitalt behandlingsforløp", "description", "Felles forløp for kreftpasienter.",
			"primarySubGoal", "1A", "userGroups", "innbyggere\nhelseforetak", "plannedStart", "2027-01-01", "plannedEnd", "2029-12-31", "estimatedCostNOK", "12 000 000")
		mustContain(t, "proposed", p.body, "Digitalt behandlingsforløp", "Helse Sør-Øst RHF", "Meldt inn")
	})
	t.Run("a case EHR deferred is sent back to NUIT", func(t *testing.T) {
		c := s.registerCase(obj{"forum": "NUIT", "title": "Faseovergang til gjennomføring", "caseType": "approval",
			"purpose": "phase_gate", "initiativeId": in, "targetPhase": "planning", "proposedResolution": "Tiltaket går over i planleggingsfasen."})
		nuit := s.meeting("NUIT", "2026-11-01")
		s.place(c, nuit)
		s.hold(nuit)
		s.ok(tokSek, "RecommendInCouncil", obj{"caseId": c, "meetingId": nuit, "resolution": "NUIT anbefaler."})
		ehr := s.meeting("EHR", "2026-11-15")
		s.place(c, ehr)
		s.hold(ehr)
		after = "?etter=" + strconv.FormatUint(s.ok(tokSek, "ScheduleMeeting", obj{"forum": "NUIT", "date": "2026-12-10"}).Position, 10)
		p := send(sek, "/sekretariat/saker/"+c+"/utfall/"+ehr, "outcome", "deferred", "reason", "Gevinstplanen må gjennomgås i NUIT.")
		mustContain(t, "EHR agenda", p.body, "Utsatt")
		f := sek.get("/sekretariat/saker/" + c + "/sakskart" + after)
		next := regexp.MustCompile(`<option value="([0-9A-Z]{26})">NUIT møte \d+/2026, 10\. desember 2026</option>`).FindStringSubmatch(f.body)
		if next == nil {
			t.Fatalf("the new NUIT meeting is not offered:\n%s", excerpt(f.body))
		}
		p = send(sek, "/sekretariat/saker/"+c+"/sakskart", "meetingId", next[1])
		mustContain(t, "case page", p.body, "Sendt tilbake til NUIT og satt på sakskartet")
	})
}
