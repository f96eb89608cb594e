package services

import (
	"github.com/ehelse/portfolio/domain"
)

// AuthorizeCommand checks the role-level rule before anything is loaded:
// the secretariat may give every command; an owner only the commands the
// domain's registry says an owner may give (domain.CommandGivenBy); auditors, subscribers and anonymous callers
// write nothing. It returns a KindUnauthorized error for anonymous callers
// and KindForbidden for the rest.
func AuthorizeCommand(p Principal, cmd domain.Command) error {
	switch p.Role {
	case RoleSecretariat:
		return nil
	case RoleOwner:
		if by, _ := domain.CommandGivenBy(cmd.CommandName()); by != domain.SecretariatOrOwner {
			return domain.Errorf(domain.KindForbidden, "an initiative owner may not give %s", cmd.CommandName())
		}
		if p.Org == "" {
			return domain.Errorf(domain.KindForbidden, "owner token %q has no org", p.Name)
		}
		return nil
	case RoleAnonymous, "":
		return domain.Errorf(domain.KindUnauthorized, "commands need a token")
	default:
		return domain.Errorf(domain.KindForbidden, "role %s writes nothing", p.Role)
	}
}

// AuthorizeOwner checks an owner's org against the initiative it writes to,
// once the states are loaded: ProposeInitiative only for its own org, every
// other initiative command only for initiatives whose owner is its org.
// It returns a KindForbidden error, or nil. An initiative that does not
// exist is left to Decide (not found).
func AuthorizeOwner(p Principal, cmd domain.Command, states map[domain.Ref]domain.State) error {
	if p.Role != RoleOwner {
		return nil
	}
	if c, ok := cmd.(*domain.ProposeInitiative); ok {
		if c.Owner != p.Org {
			return domain.Errorf(domain.KindForbidden, "%s may only propose initiatives owned by %s", p.Name, p.Org)
		}
		return nil
	}
	target := domain.Target(cmd)
	if id, ok := domain.ActingInitiative(cmd, states); ok {
		target = domain.Ref{Type: domain.Initiative, ID: id}
	}
	if target.Type != domain.Initiative {
		return domain.Errorf(domain.KindForbidden, "an initiative owner may not give %s", cmd.CommandName())
	}
	st, ok := states[target].(*domain.InitiativeState)
	if !ok || st == nil || st.StateVersion() == 0 {
		return nil
	}
	if st.Owner != p.Org {
		return domain.Errorf(domain.KindForbidden, "initiative %s belongs to %s, not %s", target.ID, st.Owner, p.Org)
	}
	return nil
}
