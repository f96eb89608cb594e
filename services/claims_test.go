package services_test

import (
	"testing"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/services"
)

func TestClaimsMap(t *testing.T) {
	m, err := services.ParseClaimsMap([]byte(`{"nameClaim": "email", "rules": [
	 {"claim": "groups", "value": "sekretariat", "role": "secretariat"},
	 {"claim": "groups", "value": "hso", "role": "owner", "org": "Helse Sør-Øst RHF"},
	 {"claim": "email", "value": "revisor@example.no", "role": "auditor"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		claims map[string]any
		want   services.Principal
		kind   domain.Kind
	}{
		{map[string]any{"email": "a@x.no", "groups": []any{"x", "sekretariat"}}, services.Principal{Name: "a@x.no", Role: services.RoleSecretariat}, ""},
		{map[string]any{"email": "b@x.no", "groups": []any{"hso"}}, services.Principal{Name: "b@x.no", Role: services.RoleOwner, Org: "Helse Sør-Øst RHF"}, ""},
		{map[string]any{"email": "revisor@example.no"}, services.Principal{Name: "revisor@example.no", Role: services.RoleAuditor}, ""},
		{map[string]any{"email": "c@x.no", "groups": []any{"other"}}, services.Principal{}, domain.KindForbidden},
		{map[string]any{"groups": []any{"sekretariat"}}, services.Principal{}, domain.KindForbidden},
	}
	for _, tt := range tests {
		got, err := m.Principal(tt.claims)
		if domain.ErrorKind(err) != tt.kind || got != tt.want {
			t.Errorf("Principal(%v) = %+v, %v; want %+v, kind %q", tt.claims, got, err, tt.want, tt.kind)
		}
	}
	for _, bad := range []string{`{"rules": []}`, `{"rules": [{"claim": "g", "value": "v", "role": "owner"}]}`,
		`{"rules": [{"claim": "g", "value": "v", "role": "subscriber"}]}`, `{"rules": [{"claim": "g", "value": "v", "role": "auditor"}], "x": 1}`} {
		if _, err := services.ParseClaimsMap([]byte(bad)); err == nil {
			t.Errorf("ParseClaimsMap(%s) accepted it", bad)
		}
	}
}
