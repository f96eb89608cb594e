package services

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ehelse/portfolio/domain"
)

const (
	tokSek   = "sekretariat-token-0123456789"
	tokHSO   = "hso-token-0123456789abcdef"
	tokAudit = "riksrevisjonen-token-012345"
	tokSub   = "subscriber-token-0123456789"
)

func testTokenFile() string {
	return `{"tokens": [
  {"name": "sekretariat", "token": "` + tokSek + `", "role": "secretariat"},
  {"name": "hso", "token": "` + tokHSO + `", "role": "owner", "org": "Helse Sør-Øst RHF"},
  {"name": "riksrevisjonen", "tokenSha256": "` + HashToken(tokAudit) + `", "role": "auditor"},
  {"name": "sub", "token": "` + tokSub + `", "role": "subscriber"}
]}`
}

func TestAuthenticate(t *testing.T) {
	a, err := ParseTokenFile([]byte(testTokenFile()))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		token string
		want  Principal
		kind  domain.Kind
	}{
		{"", Anonymous, ""},
		{tokSek, Principal{Name: "sekretariat", Role: RoleSecretariat}, ""},
		{tokHSO, Principal{Name: "hso", Role: RoleOwner, Org: "Helse Sør-Øst RHF"}, ""},
		{tokAudit, Principal{Name: "riksrevisjonen", Role: RoleAuditor}, ""},
		{tokSub, Principal{Name: "sub", Role: RoleSubscriber}, ""},
		{"nope", Principal{}, domain.KindUnauthorized},
		{HashToken(tokAudit), Principal{}, domain.KindUnauthorized}, // the hash is not the token
		{tokSek + "x", Principal{}, domain.KindUnauthorized},
	}
	for _, c := range cases {
		p, err := a.Authenticate(c.token)
		if domain.ErrorKind(err) != c.kind || p != c.want {
			t.Errorf("Authenticate(%q) = %+v, %v; want %+v, %s", c.token, p, err, c.want, c.kind)
		}
		if err != nil && strings.Contains(err.Error(), c.token) {
			t.Errorf("error %q repeats the token", err)
		}
	}
	subs := a.Subscribers()
	if len(subs) != 1 || subs[0] != (SubscriberUser{"sub", tokSub}) {
		t.Fatalf("subscribers = %+v", subs)
	}
	if len(a.Principals()) != 4 {
		t.Fatal("principals")
	}
}

func TestTokenFileValidation(t *testing.T) {
	long := "0123456789abcdefghij"
	cases := map[string]string{
		"empty":            `{"tokens": []}`,
		"not json":         `{"tokens": [`,
		"unknown field":    `{"tokens": [{"name": "a", "token": "` + long + `", "role": "auditor", "tokenSHA": "x"}]}`,
		"no name":          `{"tokens": [{"token": "` + long + `", "role": "auditor"}]}`,
		"no secret":        `{"tokens": [{"name": "a", "role": "auditor"}]}`,
		"both secrets":     `{"tokens": [{"name": "a", "token": "` + long + `", "tokenSha256": "` + HashToken(long) + `", "role": "auditor"}]}`,
		"bad sha":          `{"tokens": [{"name": "a", "tokenSha256": "abc", "role": "auditor"}]}`,
		"short token":      `{"tokens": [{"name": "a", "token": "short", "role": "auditor"}]}`,
		"no role":          `{"tokens": [{"name": "a", "token": "` + long + `"}]}`,
		"unknown role":     `{"tokens": [{"name": "a", "token": "` + long + `", "role": "admin"}]}`,
		"owner no org":     `{"tokens": [{"name": "a", "token": "` + long + `", "role": "owner"}]}`,
		"auditor with org": `{"tokens": [{"name": "a", "token": "` + long + `", "role": "auditor", "org": "KS"}]}`,
		"subscriber hash":  `{"tokens": [{"name": "a", "tokenSha256": "` + HashToken(long) + `", "role": "subscriber"}]}`,
		"dup name":         `{"tokens": [{"name": "a", "token": "` + long + `", "role": "auditor"}, {"name": "a", "token": "` + long + `x", "role": "auditor"}]}`,
		"dup token":        `{"tokens": [{"name": "a", "token": "` + long + `", "role": "auditor"}, {"name": "b", "tokenSha256": "` + HashToken(long) + `", "role": "auditor"}]}`,
		"reserved name":    `{"tokens": [{"name": "anonymous", "token": "` + long + `", "role": "auditor"}]}`,
	}
	for name, data := range cases {
		if _, err := ParseTokenFile([]byte(data)); err == nil {
			t.Errorf("%s: accepted", name)
		} else if strings.Contains(err.Error(), long) {
			t.Errorf("%s: error %q contains the token", name, err)
		}
	}
}

func TestGenerateTokenFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "tokens.json")
	got, err := GenerateTokenFile(path)
	if err != nil || got != path {
		t.Fatal(got, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode().Perm())
	}
	a, err := LoadTokenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	var f TokenFile
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	roles := map[Role]int{}
	orgs := map[string]bool{}
	for _, e := range f.Tokens {
		roles[e.Role]++
		if e.Role == RoleOwner {
			orgs[e.Org] = true
		}
		if len(e.Token) != 43 { // 32 bytes, base64url without padding
			t.Errorf("%s: token length %d", e.Name, len(e.Token))
		}
		p, err := a.Authenticate(e.Token)
		if err != nil || p.Name != e.Name {
			t.Errorf("%s: %+v %v", e.Name, p, err)
		}
	}
	if roles[RoleSecretariat] != 1 || roles[RoleAuditor] != 1 || roles[RoleSubscriber] != 1 || roles[RoleOwner] != len(DemoOwners) {
		t.Fatalf("roles %v", roles)
	}
	for _, o := range []string{"Helse Sør-Øst RHF", "Norsk helsenett SF", "KS"} {
		if !orgs[o] {
			t.Errorf("no owner for %s", o)
		}
	}
	if _, err := GenerateTokenFile(path); err == nil {
		t.Fatal("overwrote an existing token file")
	}
	// Fresh tokens each time.
	path2 := filepath.Join(t.TempDir(), "t.json")
	if _, err := GenerateTokenFile(path2); err != nil {
		t.Fatal(err)
	}
	data2, _ := os.ReadFile(path2)
	if string(data) == string(data2) {
		t.Fatal("same tokens twice")
	}
}

func TestCanRead(t *testing.T) {
	sek := Principal{Name: "sekretariat", Role: RoleSecretariat}
	hso := Principal{Name: "hso", Role: RoleOwner, Org: "Helse Sør-Øst RHF"}
	aud := Principal{Name: "rr", Role: RoleAuditor}
	sub := Principal{Name: "sub", Role: RoleSubscriber}
	const own = "Helse Sør-Øst RHF"
	cases := []struct {
		p     Principal
		what  Readable
		owner string
		want  domain.Kind // "" allowed
	}{
		{Anonymous, ReadPublic, "", ""},
		{sub, ReadPublic, "", ""},
		{Anonymous, ReadInitiativeHistory, own, domain.KindUnauthorized},
		{sub, ReadInitiativeHistory, own, domain.KindForbidden},
		{hso, ReadInitiativeHistory, own, ""},
		{hso, ReadInitiativeHistory, "KS", domain.KindForbidden},
		{Principal{Name: "x", Role: RoleOwner}, ReadInitiativeHistory, "", domain.KindForbidden},
		{sek, ReadInitiativeHistory, "KS", ""},
		{aud, ReadInitiativeHistory, "KS", ""},
		{sek, ReadHistory, "", ""},
		{aud, ReadHistory, "", ""},
		{hso, ReadHistory, "", domain.KindForbidden},
		{Anonymous, ReadAudit, "", domain.KindUnauthorized},
		{sek, ReadAudit, "", domain.KindForbidden},
		{hso, ReadAudit, "", domain.KindForbidden},
		{sub, ReadAudit, "", domain.KindForbidden},
		{aud, ReadAudit, "", ""},
	}
	for i, c := range cases {
		err := AuthorizeRead(c.p, c.what, c.owner)
		if domain.ErrorKind(err) != c.want {
			t.Errorf("%d: %+v %v: %v, want %s", i, c.p, c.what, err, c.want)
		}
		if CanRead(c.p, c.what, c.owner) != (c.want == "") {
			t.Errorf("%d: CanRead disagrees", i)
		}
	}
}
