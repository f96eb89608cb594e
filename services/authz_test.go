package services

import (
	"testing"

	"github.com/ehelse/portfolio/domain"
)

// The role rule derived from the domain's registry: the secretariat gives
// every command, an owner exactly these five initiative commands and the
// two dependency commands (for its own initiatives), the other roles none.
func TestAuthorizeCommand(t *testing.T) {
	ownerMay := map[string]bool{"ProposeInitiative": true, "WithdrawInitiative": true, "ReportStatus": true,
		"ReportMilestone": true, "CloseInitiative": true, "DeclareDependency": true, "RemoveDependency": true}
	secretariat := Principal{Name: "sek", Role: RoleSecretariat}
	owner := Principal{Name: "hso", Role: RoleOwner, Org: "Helse Sør-Øst RHF"}
	for _, name := range domain.CommandNames {
		cmd, _ := domain.NewCommand(name)
		if err := AuthorizeCommand(secretariat, cmd); err != nil {
			t.Errorf("secretariat %s: %v", name, err)
		}
		err := AuthorizeCommand(owner, cmd)
		if ownerMay[name] != (err == nil) {
			t.Errorf("owner %s: %v, want allowed %v", name, err, ownerMay[name])
		}
		if err != nil && !domain.IsKind(err, domain.KindForbidden) {
			t.Errorf("owner %s: %v, want forbidden", name, err)
		}
		for _, role := range []Role{RoleAuditor, RoleSubscriber} {
			if err := AuthorizeCommand(Principal{Name: "x", Role: role}, cmd); !domain.IsKind(err, domain.KindForbidden) {
				t.Errorf("%s %s: %v, want forbidden", role, name, err)
			}
		}
		if err := AuthorizeCommand(Principal{Role: RoleAnonymous}, cmd); !domain.IsKind(err, domain.KindUnauthorized) {
			t.Errorf("anonymous %s: %v, want unauthorized", name, err)
		}
	}
	cmd, _ := domain.NewCommand("ReportStatus")
	if err := AuthorizeCommand(Principal{Name: "x", Role: RoleOwner}, cmd); !domain.IsKind(err, domain.KindForbidden) {
		t.Errorf("owner without org: %v, want forbidden", err)
	}
}
