package services

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ehelse/portfolio/domain"
)

// TokenEntry is one entry of the token file (see the contract):
//
//	{"tokens": [
//	  {"name": "sekretariat", "token": "…", "role": "secretariat"},
//	  {"name": "hso", "tokenSha256": "<hex>", "role": "owner", "org": "Helse Sør-Øst RHF"}
//	]}
//
// Exactly one of Token and TokenSHA256 is set. Subscriber entries are NATS
// users (Name the user, Token the password), so they need Token.
type TokenEntry struct {
	Name        string `json:"name"`
	Token       string `json:"token,omitempty"`
	TokenSHA256 string `json:"tokenSha256,omitempty"`
	Role        Role   `json:"role"`
	Org         string `json:"org,omitempty"`
}

// TokenFile is the JSON document of a token file.
type TokenFile struct {
	Tokens []TokenEntry `json:"tokens"`
}

// SubscriberUser is a NATS user for a subscribing service.
type SubscriberUser struct {
	Name     string
	Password string
}

// Authenticator checks bearer tokens against a token file. Safe for
// concurrent use; it never logs tokens.
type Authenticator struct {
	entries     []authEntry
	subscribers []SubscriberUser
}

type authEntry struct {
	hash      [sha256.Size]byte
	principal Principal
}

// LoadTokenFile reads and validates a token file.
func LoadTokenFile(path string) (*Authenticator, error) {
	return loadFile(path, "token file", ParseTokenFile)
}

// loadFile reads the file at path and parses it; errors name what it is.
func loadFile[T any](path, what string, parse func([]byte) (T, error)) (T, error) {
	var zero T
	data, err := os.ReadFile(path)
	if err != nil {
		return zero, fmt.Errorf("%s: %w", what, err)
	}
	v, err := parse(data)
	if err != nil {
		return zero, fmt.Errorf("%s %s: %w", what, path, err)
	}
	return v, nil
}

// ParseTokenFile parses and validates the JSON of a token file. Unknown
// fields are refused, so a misspelt "tokenSha256" does not silently leave
// an entry without a secret.
func ParseTokenFile(data []byte) (*Authenticator, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f TokenFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("not a valid token file: %w", err)
	}
	if dec.More() {
		return nil, errors.New("not a valid token file: trailing data after the JSON object")
	}
	return NewAuthenticator(f.Tokens)
}

// NewAuthenticator validates entries and returns an Authenticator: names
// are unique and non-empty, each entry has exactly one of token and
// tokenSha256 (64 hex digits), the role is secretariat, owner, auditor or
// subscriber, owners name their org, subscribers give a token (their NATS
// password) and no two entries share a token.
func NewAuthenticator(entries []TokenEntry) (*Authenticator, error) {
	if len(entries) == 0 {
		return nil, errors.New("no tokens")
	}
	a := &Authenticator{}
	names := map[string]bool{}
	hashes := map[[sha256.Size]byte]string{}
	var problems []string
	for i, e := range entries {
		where := fmt.Sprintf("tokens[%d]", i)
		if e.Name != "" {
			where += fmt.Sprintf(" (%q)", e.Name)
		}
		bad := func(format string, args ...any) {
			problems = append(problems, where+": "+fmt.Sprintf(format, args...))
		}
		name := strings.TrimSpace(e.Name)
		switch {
		case name == "":
			bad("name is required")
		case name != e.Name:
			bad("name has surrounding spaces")
		case names[name]:
			bad("name is used twice")
		case strings.EqualFold(name, Anonymous.Name):
			bad("name %q is reserved", name)
		}
		names[name] = true

		var h [sha256.Size]byte
		switch {
		case e.Token != "" && e.TokenSHA256 != "":
			bad("give token or tokenSha256, not both")
		case e.Token != "":
			if len(e.Token) < 16 {
				bad("token is too short (at least 16 characters)")
			}
			h = sha256.Sum256([]byte(e.Token))
		case e.TokenSHA256 != "":
			b, err := hex.DecodeString(e.TokenSHA256)
			if err != nil || len(b) != sha256.Size {
				bad("tokenSha256 must be 64 hex digits")
			}
			copy(h[:], b)
		default:
			bad("token or tokenSha256 is required")
		}
		if other, dup := hashes[h]; dup && h != ([sha256.Size]byte{}) {
			bad("same token as %q", other)
		}
		hashes[h] = e.Name

		switch e.Role {
		case RoleSecretariat, RoleAuditor:
			if e.Org != "" {
				bad("org is only for owners")
			}
		case RoleOwner:
			if strings.TrimSpace(e.Org) == "" {
				bad("an owner needs its org")
			}
		case RoleSubscriber:
			if e.Token == "" {
				bad("a subscriber needs token (its NATS password), not tokenSha256")
			}
			if e.Org != "" {
				bad("org is only for owners")
			}
			a.subscribers = append(a.subscribers, SubscriberUser{Name: e.Name, Password: e.Token})
		case "":
			bad("role is required")
		default:
			bad("unknown role %q (secretariat, owner, auditor, subscriber)", e.Role)
		}
		a.entries = append(a.entries, authEntry{hash: h, principal: Principal{Name: e.Name, Role: e.Role, Org: e.Org}})
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}
	return a, nil
}

// Authenticate returns the principal of a bearer token. The empty token is
// the anonymous principal. An unknown token is a KindUnauthorized error.
// The presented token is hashed and compared with every entry's hash in
// constant time, without an early exit, so timing tells nothing about
// which entry (or how much of one) matched.
func (a *Authenticator) Authenticate(token string) (Principal, error) {
	if token == "" {
		return Anonymous, nil
	}
	h := sha256.Sum256([]byte(token))
	found := -1
	for i := range a.entries {
		eq := subtle.ConstantTimeCompare(h[:], a.entries[i].hash[:])
		found = subtle.ConstantTimeSelect(eq, i, found)
	}
	if found < 0 {
		return Principal{}, domain.Errorf(domain.KindUnauthorized, "unknown token")
	}
	return a.entries[found].principal, nil
}

// Principals lists the principals of the token file, in file order.
func (a *Authenticator) Principals() []Principal {
	out := make([]Principal, len(a.entries))
	for i, e := range a.entries {
		out[i] = e.principal
	}
	return out
}

// Subscribers lists the NATS users of the subscriber entries, for the
// embedded NATS server's configuration.
func (a *Authenticator) Subscribers() []SubscriberUser {
	return append([]SubscriberUser(nil), a.subscribers...)
}

// DemoOwners are the organisations GenerateTokenFile writes owner tokens
// for, keyed by the entry name.
var DemoOwners = []struct{ Name, Org string }{
	{"hso", OrgHSO},
	{"nhn", OrgNHN},
	{"ks", OrgKS},
	{"hdir", OrgHdir},
	{"hmn", OrgHMN},
}

// GenerateTokenFile writes a token file with fresh random tokens (32 bytes
// from crypto/rand, base64url) to path, mode 0600, and returns the path.
// It writes entries for sekretariat (secretariat), one owner per DemoOwners
// organisation, riksrevisjonen (auditor) and a subscriber ("subscriber").
// It refuses to overwrite an existing file.
func GenerateTokenFile(path string) (string, error) {
	var f TokenFile
	add := func(name string, role Role, org string) error {
		tok, err := NewToken()
		if err != nil {
			return err
		}
		f.Tokens = append(f.Tokens, TokenEntry{Name: name, Token: tok, Role: role, Org: org})
		return nil
	}
	if err := add("sekretariat", RoleSecretariat, ""); err != nil {
		return "", err
	}
	for _, o := range DemoOwners {
		if err := add(o.Name, RoleOwner, o.Org); err != nil {
			return "", err
		}
	}
	if err := add("riksrevisjonen", RoleAuditor, ""); err != nil {
		return "", err
	}
	if err := add("subscriber", RoleSubscriber, ""); err != nil {
		return "", err
	}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return "", err
	}
	data = append(data, '\n')
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", fmt.Errorf("token file: %w", err)
		}
	}
	out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("token file: %w", err)
	}
	if _, err := out.Write(data); err != nil {
		out.Close()
		os.Remove(path)
		return "", fmt.Errorf("token file: %w", err)
	}
	if err := out.Sync(); err != nil {
		out.Close()
		os.Remove(path)
		return "", fmt.Errorf("token file: %w", err)
	}
	if err := out.Close(); err != nil {
		os.Remove(path)
		return "", fmt.Errorf("token file: %w", err)
	}
	return path, nil
}

// NewToken returns a fresh random token: 32 bytes from crypto/rand,
// base64url without padding.
func NewToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// HashToken returns the hex SHA-256 of a token, the tokenSha256 form.
func HashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// Readable names what a query reads, for CanRead.
type Readable int

// What queries read.
const (
	// ReadPublic: strategy, roadmap, initiatives (overview, detail and
	// time travel), council meetings, cases and the decision register.
	// Everyone, anonymous included.
	ReadPublic Readable = iota
	// ReadInitiativeHistory: an initiative's events. Auditor, secretariat
	// and the owner whose org owns the initiative.
	ReadInitiativeHistory
	// ReadHistory: other aggregates' events (cases, meetings). Auditor and
	// secretariat.
	ReadHistory
	// ReadAudit: /v1/audit/*. Auditor only.
	ReadAudit
)

// CanRead reports whether p may read what. owner is the initiative's owner
// for ReadInitiativeHistory and ignored otherwise. Subscriber tokens read
// what anonymous callers read.
func CanRead(p Principal, what Readable, owner string) bool {
	switch what {
	case ReadPublic:
		return true
	case ReadInitiativeHistory:
		switch p.Role {
		case RoleAuditor, RoleSecretariat:
			return true
		case RoleOwner:
			return p.Org != "" && p.Org == owner
		}
		return false
	case ReadHistory:
		return p.Role == RoleAuditor || p.Role == RoleSecretariat
	case ReadAudit:
		return p.Role == RoleAuditor
	}
	return false
}

// AuthorizeRead is CanRead as an error: nil when allowed, KindUnauthorized
// for an anonymous caller (a token would be needed), KindForbidden for a
// caller whose role or org may not.
func AuthorizeRead(p Principal, what Readable, owner string) error {
	if CanRead(p, what, owner) {
		return nil
	}
	if p.Role == RoleAnonymous || p.Role == "" {
		return domain.Errorf(domain.KindUnauthorized, "this needs a token")
	}
	return domain.Errorf(domain.KindForbidden, "%s may not read this", p.Name)
}
