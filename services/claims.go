package services

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/ehelse/portfolio/domain"
)

// ClaimsMap turns the claims of an OpenID Connect ID token into a
// principal: who the person is (NameClaim) and, by the first rule whose
// claim has the rule's value, their role and organisation. The file:
//
//	{"nameClaim": "email",
//	 "rules": [
//	  {"claim": "groups", "value": "portefoljekontoret", "role": "secretariat"},
//	  {"claim": "helseid://claims/hpr/hpr_number", "value": "123", "role": "auditor"},
//	  {"claim": "orgnr", "value": "991324968", "role": "owner", "org": "Helse Sør-Øst RHF"}
//	 ]}
//
// A claim holding a list matches when one of its elements equals the
// value. A person no rule matches may not sign in.
type ClaimsMap struct {
	// NameClaim names the person in the event log (the actor) and in
	// Idempotency-Key records; default "sub".
	NameClaim string      `json:"nameClaim,omitempty"`
	Rules     []ClaimRule `json:"rules"`
}

// ClaimRule is one rule of a ClaimsMap.
type ClaimRule struct {
	Claim string `json:"claim"`
	Value string `json:"value"`
	Role  Role   `json:"role"`
	Org   string `json:"org,omitempty"`
}

// LoadClaimsMap reads and checks a claims map file.
func LoadClaimsMap(path string) (*ClaimsMap, error) {
	return loadFile(path, "claims map", ParseClaimsMap)
}

// ParseClaimsMap parses and checks the JSON of a claims map: at least one
// rule, each with claim, value and a role of secretariat, owner (with its
// org) or auditor. Unknown fields are refused.
func ParseClaimsMap(data []byte) (*ClaimsMap, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m ClaimsMap
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("not a valid claims map: %w", err)
	}
	if m.NameClaim == "" {
		m.NameClaim = "sub"
	}
	if len(m.Rules) == 0 {
		return nil, errors.New("no rules")
	}
	var problems []string
	for i, r := range m.Rules {
		bad := func(s string) { problems = append(problems, fmt.Sprintf("rules[%d]: %s", i, s)) }
		if r.Claim == "" || r.Value == "" {
			bad("claim and value are required")
		}
		switch r.Role {
		case RoleSecretariat, RoleAuditor:
			if r.Org != "" {
				bad("org is only for owners")
			}
		case RoleOwner:
			if strings.TrimSpace(r.Org) == "" {
				bad("an owner needs its org")
			}
		default:
			bad(fmt.Sprintf("role must be secretariat, owner or auditor, not %q", r.Role))
		}
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}
	return &m, nil
}

// Principal maps verified claims to a principal. No matching rule, or no
// name claim: KindForbidden.
func (m *ClaimsMap) Principal(claims map[string]any) (Principal, error) {
	name, _ := claims[m.NameClaim].(string)
	if strings.TrimSpace(name) == "" {
		return Principal{}, domain.Errorf(domain.KindForbidden, "the ID token has no %s claim", m.NameClaim)
	}
	if strings.EqualFold(name, Anonymous.Name) {
		return Principal{}, domain.Errorf(domain.KindForbidden, "the name %q is reserved", name)
	}
	for _, r := range m.Rules {
		if claimHas(claims[r.Claim], r.Value) {
			return Principal{Name: name, Role: r.Role, Org: r.Org}, nil
		}
	}
	return Principal{}, domain.Errorf(domain.KindForbidden, "no rule of the claims map gives %s a role", name)
}

func claimHas(v any, want string) bool {
	switch x := v.(type) {
	case string:
		return x == want
	case []any:
		for _, e := range x {
			if s, ok := e.(string); ok && s == want {
				return true
			}
		}
	case float64:
		return fmt.Sprint(x) == want
	case bool:
		return fmt.Sprint(x) == want
	}
	return false
}
