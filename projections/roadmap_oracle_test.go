package projections

import (
	"cmp"
	"encoding/json"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// oracleRoadmap is the roadmap as roadmap.go and Roadmap's documentation
// describe it, computed the plainest way, for the tests to compare the
// index's answers with: no index, no placement tables, no cells. Every
// listing of every selected initiative goes into one flat list; then each
// goal and sub-goal of the tree takes the listings that name it.
//
// Its inputs are the strategy read model and the initiatives' stored
// cards and search texts, read straight from the file.
func oracleRoadmap(sv StrategyView, cards []storedCard, f RoadmapFilter) RoadmapView {
	// The tree: the strategy's goals in its order, each with its sub-goals.
	type goal struct {
		strategy, id, title string
		subs                []SubGoalView // the tree's, then the ones only listings name
		defined             int           // how many of subs the tree defines
	}
	var goals []*goal
	for _, p := range sv.Strategies {
		for _, g := range p.Goals {
			n := &goal{strategy: p.Strategy, id: g.GoalID, title: g.Title}
			for _, s := range g.SubGoals {
				if !slices.ContainsFunc(n.subs, func(x SubGoalView) bool { return x.SubGoalID == s.SubGoalID }) {
					n.subs = append(n.subs, s)
				}
			}
			n.defined = len(n.subs)
			goals = append(goals, n)
		}
	}
	defines := func(g *goal, sub string) bool {
		return slices.ContainsFunc(g.subs[:g.defined], func(x SubGoalView) bool { return x.SubGoalID == sub })
	}
	treeGoals := len(goals)
	lastWithID := func(id string) *goal { // among the tree's goals
		var last *goal
		for _, g := range goals[:treeGoals] {
			if g.id == id {
				last = g
			}
		}
		return last
	}

	// Which initiatives the filters select.
	selected := func(c storedCard) bool {
		if !onRoadmap(c.State) {
			return false
		}
		if f.Owner != "" && fold(c.Owner) != fold(f.Owner) {
			return false
		}
		if f.UserGroup != "" && !slices.ContainsFunc(c.UserGroups, func(g string) bool { return fold(g) == fold(f.UserGroup) }) {
			return false
		}
		if f.Phase != "" && string(c.Phase) != f.Phase {
			return false
		}
		if f.SubGoal != "" && !slices.Contains(c.allSubGoals(), f.SubGoal) {
			return false
		}
		if f.Goal != "" && c.PrimaryGoal != f.Goal && !slices.ContainsFunc(c.allSubGoals(), func(sub string) bool {
			// a sub-goal of the goal, in any period
			return slices.ContainsFunc(goals[:treeGoals], func(g *goal) bool { return g.id == f.Goal && defines(g, sub) })
		}) {
			return false
		}
		for _, w := range strings.Fields(fold(f.Q)) {
			if !strings.Contains(c.search, w) {
				return false
			}
		}
		return true
	}

	// The flat list: each selected initiative under each of its sub-goals.
	type listing struct {
		goal    *goal
		sub     string
		primary bool
		c       storedCard
	}
	var listings []listing
	for _, c := range cards { // in id order
		if !selected(c) {
			continue
		}
		for i, sub := range c.allSubGoals() {
			primary := i == 0 && sub == c.PrimarySubGoal
			var at *goal
			if primary {
				// under the primary goal: one of its periods that defines
				// the sub-goal, else its last period, else a goal of its
				// own the strategy does not define
				for _, g := range goals[:treeGoals] {
					if g.id == c.PrimaryGoal && defines(g, sub) {
						at = g
						break
					}
				}
				if at == nil {
					at = lastWithID(c.PrimaryGoal)
				}
				if at == nil {
					for _, g := range goals[treeGoals:] {
						if g.id == c.PrimaryGoal {
							at = g
						}
					}
				}
				if at == nil {
					at = &goal{id: c.PrimaryGoal}
					goals = append(goals, at)
				}
			} else {
				// under a goal that defines it, preferring the primary
				// goal's period, and the last such goal
				var candidates []*goal
				for _, g := range goals[:treeGoals] {
					if defines(g, sub) {
						candidates = append(candidates, g)
					}
				}
				if len(candidates) == 0 {
					continue
				}
				at = candidates[len(candidates)-1]
				if pg := lastWithID(c.PrimaryGoal); pg != nil {
					for _, g := range candidates {
						if g.strategy == pg.strategy {
							at = g
						}
					}
				}
			}
			listings = append(listings, listing{goal: at, sub: sub, primary: primary, c: c})
		}
	}

	// Each goal and sub-goal takes its listings.
	filtered := f.Owner != "" || f.UserGroup != "" || f.Phase != "" || f.Q != ""
	keep := func(l listing) bool {
		return (f.Goal == "" || l.goal.id == f.Goal) && (f.SubGoal == "" || l.sub == f.SubGoal)
	}
	for _, l := range listings {
		if keep(l) && !slices.ContainsFunc(l.goal.subs, func(x SubGoalView) bool { return x.SubGoalID == l.sub }) {
			l.goal.subs = append(l.goal.subs, SubGoalView{SubGoalID: l.sub})
		}
	}
	out := RoadmapView{Goals: []RoadmapGoal{}}
	for _, g := range goals {
		if f.Goal != "" && g.id != f.Goal {
			continue
		}
		rg := RoadmapGoal{GoalID: g.id, Strategy: g.strategy, Title: g.title, SubGoals: []RoadmapSubGoal{}}
		for _, s := range g.subs {
			if f.SubGoal != "" && s.SubGoalID != f.SubGoal {
				continue
			}
			ris := []RoadmapInitiative{}
			for _, l := range listings {
				if keep(l) && l.goal == g && l.sub == s.SubGoalID {
					ris = append(ris, oracleInitiative(l.c, l.primary))
				}
			}
			if filtered && len(ris) == 0 {
				continue
			}
			slices.SortStableFunc(ris, func(a, b RoadmapInitiative) int {
				if a.Primary != b.Primary {
					if a.Primary {
						return -1
					}
					return 1
				}
				return cmp.Or(cmp.Compare(a.PlannedStart, b.PlannedStart), cmp.Compare(fold(a.Title), fold(b.Title)),
					cmp.Compare(a.InitiativeID, b.InitiativeID))
			})
			rg.SubGoals = append(rg.SubGoals, RoadmapSubGoal{SubGoalID: s.SubGoalID, Title: s.Title, Initiatives: ris})
		}
		if (filtered || f.SubGoal != "") && len(rg.SubGoals) == 0 {
			continue
		}
		out.Goals = append(out.Goals, rg)
	}
	return out
}

// oracleInitiative is a card as the roadmap lists it.
func oracleInitiative(c storedCard, primary bool) RoadmapInitiative {
	ri := RoadmapInitiative{
		InitiativeID: c.InitiativeID, Title: c.Title, Owner: c.Owner, Phase: c.Phase, State: c.State,
		Primary: primary, PlannedStart: c.PlannedStart, PlannedEnd: c.PlannedEnd,
		UserGroups: append([]string{}, c.UserGroups...), Milestones: c.Milestones, LatestStatus: c.LatestStatus,
	}
	if ri.Milestones == nil {
		ri.Milestones = []MilestoneView{}
	}
	if c.LatestStatus != nil {
		ri.LatestRAG = c.LatestStatus.Overall
	}
	return ri
}

// storedCard is an initiative's card and search text as the file holds
// them.
type storedCard struct {
	initiativeCard
	search string
}

// allSubGoals are the card's primary and other sub-goals, without blanks
// or repeats, the primary first.
func (c storedCard) allSubGoals() []string {
	var out []string
	for _, s := range append([]string{c.PrimarySubGoal}, c.SubGoals...) {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// storedCards reads every card of the file, in id order.
func storedCards(tx *bolt.Tx) ([]storedCard, error) {
	var out []storedCard
	search := tx.Bucket([]byte(BucketInitiativeSearch))
	err := tx.Bucket([]byte(BucketInitiativeCards)).ForEach(func(k, v []byte) error {
		c := storedCard{search: string(search.Get(k))}
		if err := json.Unmarshal(v, &c.initiativeCard); err != nil {
			return err
		}
		out = append(out, c)
		return nil
	})
	return out, err
}
