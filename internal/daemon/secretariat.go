package daemon

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/ehelse/portfolio/eventstore/sessions"
	"github.com/ehelse/portfolio/services"
	"github.com/ehelse/portfolio/web"
)

// OIDCConfig is sign-in through an OpenID Connect provider (flags
// --oidc-issuer, --oidc-client-id, --oidc-client-secret-file,
// --oidc-claims-map, --oidc-scopes).
type OIDCConfig struct {
	Issuer           string
	ClientID         string
	ClientSecretFile string
	ClaimsMapFile    string
	Scopes           []string
}

// secretariat wires the signed-in part of the web site: sessions in the
// KV bucket PORTFOLIO_SESSIONS, token sign-in against the token file,
// OpenID Connect when configured, and the same command service and
// Idempotency-Key store as the API.
func (d *Daemon) secretariat(ctx context.Context, idem services.Idempotency, verifier *services.Verifier) (*web.SecretariatConfig, error) {
	bucket, err := sessions.Open(ctx, d.js, sessions.Config{Replicas: d.cfg.Replicas})
	if err != nil {
		return nil, fmt.Errorf("session store: %w", err)
	}
	sessions, err := services.NewSessions(services.SessionConfig{Store: bucket, Now: d.cfg.Now})
	if err != nil {
		return nil, err
	}
	d.Sessions = sessions
	sc := &web.SecretariatConfig{
		Auth: d.Auth, Sessions: sessions, Executor: d.Cmds, Idempotency: idem, History: d.History,
		PublicURL: d.cfg.PublicURL,
		Verify: func(ctx context.Context) (web.VerifyResult, error) {
			r, err := verifier.Verify(ctx, services.VerifyRequest{})
			if err != nil {
				return web.VerifyResult{}, err
			}
			return web.VerifyResult{OK: r.OK, Events: r.Events, Head: r.Head, FirstBad: r.FirstBad, Reason: r.Reason, At: r.VerifiedAt}, nil
		},
	}
	if o := d.cfg.OIDC; o.Issuer != "" {
		if o.ClientID == "" || o.ClaimsMapFile == "" {
			return nil, fmt.Errorf("--oidc-issuer needs --oidc-client-id and --oidc-claims-map")
		}
		claims, err := services.LoadClaimsMap(o.ClaimsMapFile)
		if err != nil {
			return nil, err
		}
		secret := ""
		if o.ClientSecretFile != "" {
			b, err := os.ReadFile(o.ClientSecretFile)
			if err != nil {
				return nil, fmt.Errorf("--oidc-client-secret-file: %w", err)
			}
			secret = strings.TrimSpace(string(b))
		}
		sc.OIDC = &web.OIDCConfig{Issuer: o.Issuer, ClientID: o.ClientID, ClientSecret: secret, Scopes: o.Scopes, Claims: claims}
	}
	return sc, nil
}
