package e2e_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/ehelse/portfolio/internal/browsertest"
	"github.com/ehelse/portfolio/internal/daemon"
)

type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// TestOpenIDConnectSignInAndExpiredSession signs in through OpenID
// Connect against a provider started in the test (mockoidc, which signs
// the person in without a page of its own), with the claims mapped to the
// secretariat; lets the session run out while a form is being filled in;
// and signs in again to find the form as it was.
func TestOpenIDConnectSignInAndExpiredSession(t *testing.T) {
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	dir := t.TempDir()
	secret, claims := filepath.Join(dir, "secret"), filepath.Join(dir, "claims.json")
	if err := os.WriteFile(secret, []byte(m.ClientSecret), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(claims, []byte(`{"nameClaim": "email", "rules": [{"claim": "groups", "value": "portefoljekontoret", "role": "secretariat"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	clk := &testClock{now: time.Now()}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d, err := daemon.Start(ctx, daemon.Config{DataDir: filepath.Join(dir, "data"), HTTPAddr: "127.0.0.1:0", Demo: false,
		Logger: slog.New(slog.DiscardHandler), Out: io.Discard, Now: clk.Now,
		OIDC: daemon.OIDCConfig{Issuer: m.Issuer(), ClientID: m.ClientID, ClientSecretFile: secret, ClaimsMapFile: claims,
			Scopes: []string{"profile", "email", "groups"}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close(context.Background()) })
	person := func() {
		m.QueueUser(&mockoidc.MockUser{Subject: "ola", Email: "ola@helsedir.example", EmailVerified: true, Groups: []string{"portefoljekontoret"}})
	}

	p := browser.NewPage(t)
	p.Open(d.URL() + "/sekretariat/saker/ny")
	if !strings.HasPrefix(p.URL(), d.URL()+"/logg-inn?neste=") {
		t.Fatalf("not led to sign-in: %s", p.URL())
	}
	requireClean(t, p, "sign-in page with OpenID Connect")
	person()
	if _, err := runResponse(p, chromedp.Click(chromedp.CSS(`main a[href^="/logg-inn/oidc"]`))); err != nil {
		t.Fatal(err)
	}
	p.WaitUntil(`location.pathname === "/sekretariat/saker/ny"`, 10*time.Second)
	if got := text(p, ".user-bar"); !strings.Contains(got, "ola@helsedir.example") || !strings.Contains(got, "sekretariatet") {
		t.Fatalf("signed in as %q", got)
	}

	typed := "Saken gjelder oppfølging av gevinstrealiseringen for kjernejournal i 2027."
	setValue(t, p, "forum", "NUIT")
	setValue(t, p, "title", "Gevinstrealisering for kjernejournal")
	setValue(t, p, "caseType", "information")
	setValue(t, p, "purpose", "other")
	setValue(t, p, "proposedResolution", typed)
	clk.Add(31 * time.Minute) // the session has been idle too long
	if st := submit(t, p); st != 401 {
		t.Fatalf("a form posted after the session ran out: status %d, want 401", st)
	}
	if !strings.Contains(text(p, "main"), "tatt vare på") {
		t.Fatalf("the sign-in page does not say the form was kept: %s", text(p, "main"))
	}
	requireClean(t, p, "sign-in page after the session ran out", p.URL())
	person()
	if _, err := runResponse(p, chromedp.Click(chromedp.CSS(`main a[href^="/logg-inn/oidc"]`))); err != nil {
		t.Fatal(err)
	}
	p.WaitUntil(`location.pathname === "/sekretariat/saker/ny"`, 10*time.Second)
	if got := value(p, "#f-proposedResolution"); got != typed {
		t.Fatalf("after signing in again the form holds %q, want what was typed", got)
	}
	if got := value(p, "#f-title"); got != "Gevinstrealisering for kjernejournal" {
		t.Fatalf("title %q", got)
	}
	requireClean(t, p, "restored form", d.URL()+"/sekretariat/saker/ny")
	if st := submit(t, p); st != 200 || !strings.Contains(text(p, "main"), typed) {
		t.Fatalf("the restored form sent: status %d at %s", st, p.URL())
	}
}

func value(p *browsertest.Page, sel string) string {
	return browsertest.Eval[string](p, `(document.querySelector(`+strconv.Quote(sel)+`) || {}).value || ""`)
}
