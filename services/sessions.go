package services

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	"github.com/ehelse/portfolio/domain"
)

// SessionKV is where sessions are kept: a key-value store every instance
// of a cluster shares. *sessions.Bucket (package eventstore/sessions, a
// JetStream key-value bucket) implements it.
type SessionKV interface {
	Get(ctx context.Context, key string) ([]byte, bool, error)
	Put(ctx context.Context, key string, value []byte) error
	Delete(ctx context.Context, key string) error
}

// SessionConfig configures Sessions.
type SessionConfig struct {
	Store SessionKV
	// Idle ends a session that was not used for this long; default 30 min.
	Idle time.Duration
	// Absolute ends every session this long after sign-in; default 12 h.
	Absolute time.Duration
	// TouchEvery bounds how often a used session's last-seen time is
	// written back; default 1 min (a page view costs no write then).
	TouchEvery time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Session is a signed-in person: who, how they signed in, and when.
type Session struct {
	Principal Principal `json:"principal"`
	// Method is how they signed in: "token" or "oidc".
	Method  string    `json:"method"`
	Started time.Time `json:"started"`
	Seen    time.Time `json:"seen"`
}

// Sessions keeps the web site's sign-in sessions server-side. A session
// id is 32 random bytes (base64url); the store holds only its SHA-256, so
// whoever can read the store cannot take over a session. Every instance
// sharing the store knows every session, and a session ended on one
// (sign-out) is ended on all.
//
// The same store keeps two short-lived things of the sign-in: pending
// OpenID Connect logins (LoginFlow) and the forms a person was filling in
// when the session ran out (Draft).
type Sessions struct {
	cfg SessionConfig
}

// ErrNoSession: the id names no live session (unknown, ended or timed
// out). Resume returns it wrapped in a KindUnauthorized *domain.Error.
var ErrNoSession = errors.New("no such session")

// NewSessions returns Sessions over cfg.Store.
func NewSessions(cfg SessionConfig) (*Sessions, error) {
	if cfg.Store == nil {
		return nil, errors.New("services: SessionConfig.Store is required")
	}
	if cfg.Idle <= 0 {
		cfg.Idle = 30 * time.Minute
	}
	if cfg.Absolute <= 0 {
		cfg.Absolute = 12 * time.Hour
	}
	if cfg.TouchEvery <= 0 {
		cfg.TouchEvery = time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Sessions{cfg: cfg}, nil
}

// Idle is the idle timeout.
func (s *Sessions) Idle() time.Duration { return s.cfg.Idle }

// Start begins a session for p and returns its id, to be given to the
// browser and never logged or put in a URL.
func (s *Sessions) Start(ctx context.Context, p Principal, method string) (string, Session, error) {
	if p.Role == RoleAnonymous || p.Role == "" || p.Role == RoleSubscriber {
		return "", Session{}, domain.Errorf(domain.KindForbidden, "%s may not sign in", p.Name)
	}
	id, err := randomID()
	if err != nil {
		return "", Session{}, err
	}
	now := s.cfg.Now().UTC()
	sess := Session{Principal: p, Method: method, Started: now, Seen: now}
	if err := s.put(ctx, sessionKey(id), sess); err != nil {
		return "", Session{}, err
	}
	return id, sess, nil
}

// Resume returns the live session id names and records that it was used.
// An unknown id, or a session idle longer than Idle or older than
// Absolute, is a KindUnauthorized error wrapping ErrNoSession (a timed-out
// session is removed).
func (s *Sessions) Resume(ctx context.Context, id string) (Session, error) {
	if id == "" {
		return Session{}, noSession()
	}
	key := sessionKey(id)
	var sess Session
	ok, err := s.get(ctx, key, &sess)
	if err != nil {
		return Session{}, err
	}
	if !ok {
		return Session{}, noSession()
	}
	now := s.cfg.Now().UTC()
	if now.Sub(sess.Seen) >= s.cfg.Idle || now.Sub(sess.Started) >= s.cfg.Absolute {
		_ = s.cfg.Store.Delete(ctx, key)
		return Session{}, noSession()
	}
	if now.Sub(sess.Seen) >= s.cfg.TouchEvery {
		sess.Seen = now
		if err := s.put(ctx, key, sess); err != nil {
			return Session{}, err
		}
	}
	return sess, nil
}

// End ends the session id names, on every instance. An unknown id is no
// error.
func (s *Sessions) End(ctx context.Context, id string) error {
	if id == "" {
		return nil
	}
	return s.cfg.Store.Delete(ctx, sessionKey(id))
}

// LoginFlow is a pending OpenID Connect sign-in: what the callback needs
// to finish it.
type LoginFlow struct {
	State    string    `json:"state"`
	Nonce    string    `json:"nonce"`
	Verifier string    `json:"verifier"` // PKCE code verifier
	Next     string    `json:"next"`     // where to go after sign-in
	Draft    string    `json:"draft,omitempty"`
	Started  time.Time `json:"started"`
}

// loginFlowTTL bounds how long a sign-in at the provider may take.
const loginFlowTTL = 10 * time.Minute

// BeginLogin remembers f and returns its id (for a cookie of the browser
// that started it).
func (s *Sessions) BeginLogin(ctx context.Context, f LoginFlow) (string, error) {
	f.Started = s.cfg.Now().UTC()
	return s.putNew(ctx, flowKey, f)
}

// FinishLogin returns the pending login id names and forgets it: a flow
// is used once. Unknown or older than ten minutes: KindUnauthorized.
func (s *Sessions) FinishLogin(ctx context.Context, id string) (LoginFlow, error) {
	if id == "" {
		return LoginFlow{}, domain.Errorf(domain.KindUnauthorized, "no sign-in in progress")
	}
	key := flowKey(id)
	var f LoginFlow
	ok, err := s.get(ctx, key, &f)
	if err != nil {
		return LoginFlow{}, err
	}
	if err := s.cfg.Store.Delete(ctx, key); err != nil {
		return LoginFlow{}, err
	}
	if !ok || s.cfg.Now().Sub(f.Started) > loginFlowTTL {
		return LoginFlow{}, domain.Errorf(domain.KindUnauthorized, "no sign-in in progress")
	}
	return f, nil
}

// Draft is a form that was posted after its session had ended: kept so
// that nothing typed is lost while the person signs in again.
type Draft struct {
	// Path is the form's address.
	Path string `json:"path"`
	// Values are the posted fields, hidden ones (the Idempotency-Key, the
	// version the form was loaded at) included.
	Values  map[string][]string `json:"values"`
	Created time.Time           `json:"created"`
}

// draftTTL bounds how long a draft waits for its author to sign in.
const draftTTL = 2 * time.Hour

// SaveDraft keeps d and returns its id.
func (s *Sessions) SaveDraft(ctx context.Context, d Draft) (string, error) {
	d.Created = s.cfg.Now().UTC()
	return s.putNew(ctx, draftKey, d)
}

// Draft returns the draft id names; ok is false when there is none (or it
// is older than two hours).
func (s *Sessions) Draft(ctx context.Context, id string) (Draft, bool, error) {
	if id == "" {
		return Draft{}, false, nil
	}
	var d Draft
	ok, err := s.get(ctx, draftKey(id), &d)
	if err != nil || !ok {
		return Draft{}, false, err
	}
	if s.cfg.Now().Sub(d.Created) > draftTTL {
		return Draft{}, false, nil
	}
	return d, true, nil
}

// DropDraft forgets the draft id names.
func (s *Sessions) DropDraft(ctx context.Context, id string) error {
	if id == "" {
		return nil
	}
	return s.cfg.Store.Delete(ctx, draftKey(id))
}

// putNew stores v under a new random id and returns the id.
func (s *Sessions) putNew(ctx context.Context, key func(id string) string, v any) (string, error) {
	id, err := randomID()
	if err != nil {
		return "", err
	}
	return id, s.put(ctx, key(id), v)
}

func (s *Sessions) put(ctx context.Context, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return &domain.Error{Kind: domain.KindInternal, Err: err}
	}
	return s.cfg.Store.Put(ctx, key, b)
}

func (s *Sessions) get(ctx context.Context, key string, v any) (bool, error) {
	b, ok, err := s.cfg.Store.Get(ctx, key)
	if err != nil || !ok {
		return false, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		// A record this version cannot read is as good as none.
		return false, nil
	}
	return true, nil
}

func noSession() error {
	return &domain.Error{Kind: domain.KindUnauthorized, Message: "not signed in, or the session has ended", Err: ErrNoSession}
}

// randomID returns 32 random bytes, base64url without padding.
func randomID() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// The store's keys are hashes of the ids: the ids themselves are never
// stored.
func sessionKey(id string) string { return "s." + hashKey(id) }
func flowKey(id string) string    { return "f." + hashKey(id) }
func draftKey(id string) string   { return "d." + hashKey(id) }

func hashKey(id string) string {
	h := sha256.Sum256([]byte(id))
	return hex.EncodeToString(h[:])
}
