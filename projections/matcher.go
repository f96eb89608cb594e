package projections

import (
	"slices"
	"strings"
)

// matcher is a selection of initiatives (the overview's and the roadmap's
// filters), prepared for testing the card index's entries.
type matcher struct {
	s               selection
	owner, group, q string
	words           []string // of q
	goalSubs        []string
	any             bool
}

func newMatcher(s selection, st *strategyIndex) *matcher {
	p := &matcher{s: s, owner: fold(s.Owner), group: fold(s.UserGroup), q: fold(s.Q)}
	p.words = strings.Fields(p.q)
	if s.Goal != "" {
		p.goalSubs = st.subsOfGoal[s.Goal]
	}
	p.any = s.Owner != "" || s.UserGroup != "" || s.Phase != "" || s.State != "" || s.SubGoal != "" || s.Goal != "" || p.q != ""
	return p
}

// match reports whether s selects e: every filter given holds (owner and
// user group folded, goal by the primary goal or a sub-goal of the goal,
// every word of q in the search text).
func (p *matcher) match(e *cardEntry) bool {
	if !p.any {
		return true
	}
	s := &p.s
	if s.Owner != "" && e.ownerKey != p.owner {
		return false
	}
	if s.UserGroup != "" && !slices.Contains(e.groupKeys, p.group) {
		return false
	}
	if s.Phase != "" && string(e.card.Phase) != s.Phase {
		return false
	}
	if s.State != "" && string(e.card.State) != s.State {
		return false
	}
	if s.SubGoal != "" && !slices.Contains(e.subs, s.SubGoal) {
		return false
	}
	if s.Goal != "" && e.card.PrimaryGoal != s.Goal && !slices.ContainsFunc(e.subs, func(sub string) bool {
		return slices.Contains(p.goalSubs, sub)
	}) {
		return false
	}
	if p.q != "" {
		for _, w := range p.words { // matchQuery
			if !strings.Contains(e.search, w) {
				return false
			}
		}
	}
	return true
}
