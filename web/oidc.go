package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/ehelse/portfolio/services"
)

// OIDCConfig configures sign-in through an OpenID Connect provider
// (authorization code flow with PKCE).
type OIDCConfig struct {
	// Issuer is the provider's issuer URL; its discovery document is read
	// at the first sign-in.
	Issuer       string
	ClientID     string
	ClientSecret string
	// Scopes requested besides openid; default profile and email.
	Scopes []string
	// Claims maps the ID token's claims to a role and an organisation.
	Claims *services.ClaimsMap
	// HTTPClient talks to the provider; default http.DefaultClient.
	HTTPClient *http.Client
}

// oidcLogin is the provider, discovered once.
type oidcLogin struct {
	cfg OIDCConfig

	mu       sync.Mutex
	provider *oidc.Provider
}

func (o *oidcLogin) ctx(ctx context.Context) context.Context {
	if o.cfg.HTTPClient != nil {
		return oidc.ClientContext(ctx, o.cfg.HTTPClient)
	}
	return ctx
}

// discover returns the provider, reading its discovery document the first
// time (and again after a failure).
func (o *oidcLogin) discover(ctx context.Context) (*oidc.Provider, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.provider != nil {
		return o.provider, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	p, err := oidc.NewProvider(o.ctx(ctx), o.cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("oidc: discovery at %s: %w", o.cfg.Issuer, err)
	}
	o.provider = p
	return p, nil
}

func (o *oidcLogin) oauth(p *oidc.Provider, redirect string) *oauth2.Config {
	scopes := o.cfg.Scopes
	if len(scopes) == 0 {
		scopes = []string{"profile", "email"}
	}
	return &oauth2.Config{ClientID: o.cfg.ClientID, ClientSecret: o.cfg.ClientSecret, Endpoint: p.Endpoint(),
		RedirectURL: redirect, Scopes: append([]string{oidc.ScopeOpenID}, scopes...)}
}

// oidcFlowCookie holds the id of the browser's pending sign-in, so that a
// callback only finishes the sign-in this browser started.
const oidcFlowCookie = "oidc-flyt"

const oidcCallbackPath = "/logg-inn/oidc/tilbake"

func (s *Server) redirectURL(r *http.Request) string {
	base := strings.TrimSuffix(s.cfg.Secretariat.PublicURL, "/")
	if base == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	return base + oidcCallbackPath
}

// handleOIDCStart sends the browser to the provider with a fresh state,
// nonce and PKCE verifier, remembered server-side.
func (s *Server) handleOIDCStart(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	if s.oidc == nil {
		s.renderError(w, r, errNotFound("Innlogging med OpenID Connect er ikke satt opp."))
		return
	}
	p, err := s.oidc.discover(r.Context())
	if err != nil {
		s.log.Warn("web: OpenID Connect provider not reachable", "err", err)
		s.renderSekError(w, r, http.StatusServiceUnavailable, "Innlogging ikke tilgjengelig",
			"Innloggingstjenesten svarer ikke akkurat nå. Prøv igjen om litt, eller logg inn med tilgangsnøkkel.")
		return
	}
	q := r.URL.Query()
	flow := services.LoginFlow{State: random(), Nonce: random(), Verifier: oauth2.GenerateVerifier(),
		Next: localPath(q.Get("neste")), Draft: q.Get("utkast")}
	id, err := s.cfg.Secretariat.Sessions.BeginLogin(r.Context(), flow)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: oidcFlowCookie, Value: id, Path: "/logg-inn/oidc", MaxAge: 600,
		HttpOnly: true, Secure: s.secureCookies(), SameSite: http.SameSiteLaxMode})
	to := s.oidc.oauth(p, s.redirectURL(r)).AuthCodeURL(flow.State, oidc.Nonce(flow.Nonce), oauth2.S256ChallengeOption(flow.Verifier))
	http.Redirect(w, r, to, http.StatusFound)
}

// handleOIDCCallback finishes the sign-in: the state must be this
// browser's, the code is exchanged with the PKCE verifier, and the ID
// token must be signed by the provider, for this client (audience), not
// expired, and carry the nonce. Its claims give the role and org.
func (s *Server) handleOIDCCallback(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	if s.oidc == nil {
		s.renderError(w, r, errNotFound("Innlogging med OpenID Connect er ikke satt opp."))
		return
	}
	refuse := func(reason string, err error) {
		s.log.Info("web: OpenID Connect sign-in refused", "reason", reason, "err", err)
		s.renderLogin(w, r, http.StatusUnauthorized, loginView{Error: "Innloggingen ble avvist. Prøv igjen, eller kontakt sekretariatet om du mener du skal ha tilgang."})
	}
	c, err := r.Cookie(oidcFlowCookie)
	if err != nil {
		refuse("no sign-in in progress in this browser", nil)
		return
	}
	s.clearCookie(w, oidcFlowCookie, "/logg-inn/oidc")
	flow, err := s.cfg.Secretariat.Sessions.FinishLogin(r.Context(), c.Value)
	if err != nil {
		refuse("unknown or expired sign-in", err)
		return
	}
	q := r.URL.Query()
	if !equalConstant(q.Get("state"), flow.State) {
		refuse("state does not match", nil)
		return
	}
	if e := q.Get("error"); e != "" {
		refuse("the provider answered "+e, nil)
		return
	}
	p, err := s.oidc.discover(r.Context())
	if err != nil {
		refuse("provider not reachable", err)
		return
	}
	ctx, cancel := context.WithTimeout(s.oidc.ctx(r.Context()), 15*time.Second)
	defer cancel()
	tok, err := s.oidc.oauth(p, s.redirectURL(r)).Exchange(ctx, q.Get("code"), oauth2.VerifierOption(flow.Verifier))
	if err != nil {
		refuse("code exchange failed", err)
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		refuse("no ID token in the answer", nil)
		return
	}
	principal, err := s.oidc.principal(ctx, p, raw, flow.Nonce)
	if err != nil {
		refuse("ID token refused", err)
		return
	}
	s.startSession(w, r, principal, "oidc", flow.Next, flow.Draft)
}

// principal verifies a raw ID token and maps its claims.
func (o *oidcLogin) principal(ctx context.Context, p *oidc.Provider, raw, nonce string) (services.Principal, error) {
	idt, err := p.Verifier(&oidc.Config{ClientID: o.cfg.ClientID}).Verify(ctx, raw)
	if err != nil {
		return services.Principal{}, err
	}
	if !equalConstant(idt.Nonce, nonce) {
		return services.Principal{}, fmt.Errorf("oidc: the ID token's nonce is not this sign-in's")
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return services.Principal{}, err
	}
	return o.cfg.Claims.Principal(claims)
}

func random() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
