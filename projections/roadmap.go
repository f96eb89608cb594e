package projections

import (
	"sort"

	bolt "go.etcd.io/bbolt"

	"github.com/ehelse/portfolio/domain"
)

// The roadmap (veikart) has no buckets of its own: it joins the strategy
// tree (small reference data) with the initiative cards that the filters
// select through the index buckets. Its cost is the number of matching
// initiatives, not the number of events.
//
// An initiative is listed under every sub-goal it links to (Primary marks
// its primary sub-goal). Rejected, withdrawn and cancelled initiatives are
// not on the roadmap; proposed, in-portfolio, paused and closed ones are,
// with their state.
//
// Goal and SubGoal narrow the tree. Without initiative filters (Owner,
// UserGroup, Phase, Q) the whole strategy tree is shown, empty sub-goals
// included; with them, goals and sub-goals without a matching initiative
// are left out.

// onRoadmap reports whether an initiative in state s is shown.
func onRoadmap(s domain.Lifecycle) bool {
	switch s {
	case domain.LifecycleRejected, domain.LifecycleWithdrawn, domain.LifecycleCancelled:
		return false
	}
	return true
}

func roadmapInitiative(c initiativeCard, primary bool) RoadmapInitiative {
	ri := RoadmapInitiative{
		InitiativeID: c.InitiativeID, Title: c.Title, Owner: c.Owner, Phase: c.Phase, State: c.State,
		Primary: primary, PlannedStart: c.PlannedStart, PlannedEnd: c.PlannedEnd,
		UserGroups: nonNil(c.UserGroups), Milestones: c.Milestones, LatestStatus: c.LatestStatus,
	}
	if ri.Milestones == nil {
		ri.Milestones = []MilestoneView{}
	}
	if c.LatestStatus != nil {
		ri.LatestRAG = c.LatestStatus.Overall
	}
	return ri
}

func readRoadmap(tx *bolt.Tx, f RoadmapFilter) (RoadmapView, error) {
	strat, err := readStrategy(tx)
	if err != nil {
		return RoadmapView{}, err
	}
	cards, err := selectInitiatives(tx, selection{
		Goal: f.Goal, SubGoal: f.SubGoal, Owner: f.Owner, Phase: f.Phase, UserGroup: f.UserGroup, Q: f.Q,
	})
	if err != nil {
		return RoadmapView{}, err
	}
	filtered := f.Owner != "" || f.UserGroup != "" || f.Phase != "" || f.Q != ""

	// The tree, in strategy order.
	type subNode struct {
		sg    RoadmapSubGoal
		order int
	}
	type goalNode struct {
		g     RoadmapGoal
		subs  map[string]*subNode
		order int
	}
	goals := map[string]*goalNode{} // "strategy\x00goalId"
	var goalOrder []string
	subGoalsOf := map[string][]string{} // subGoalId → goal keys
	strategyOfGoal := map[string][]string{}
	addGoal := func(strategy, goalID, title string) *goalNode {
		k := string(key(strategy, goalID))
		if g := goals[k]; g != nil {
			return g
		}
		g := &goalNode{g: RoadmapGoal{GoalID: goalID, Strategy: strategy, Title: title}, subs: map[string]*subNode{}, order: len(goalOrder)}
		goals[k] = g
		goalOrder = append(goalOrder, k)
		strategyOfGoal[goalID] = append(strategyOfGoal[goalID], k)
		return g
	}
	addSub := func(g *goalNode, subID, title string) *subNode {
		if s := g.subs[subID]; s != nil {
			return s
		}
		s := &subNode{sg: RoadmapSubGoal{SubGoalID: subID, Title: title, Initiatives: []RoadmapInitiative{}}, order: len(g.subs)}
		g.subs[subID] = s
		return s
	}
	for _, p := range strat.Strategies {
		for _, g := range p.Goals {
			gn := addGoal(p.Strategy, g.GoalID, g.Title)
			for _, s := range g.SubGoals {
				addSub(gn, s.SubGoalID, s.Title)
				subGoalsOf[s.SubGoalID] = append(subGoalsOf[s.SubGoalID], string(key(p.Strategy, g.GoalID)))
			}
		}
	}

	for _, c := range cards {
		if !onRoadmap(c.State) {
			continue
		}
		seen := map[string]bool{}
		for i, sub := range append([]string{c.PrimarySubGoal}, c.SubGoals...) {
			if sub == "" || seen[sub] {
				continue
			}
			seen[sub] = true
			primary := i == 0
			var gk string
			if primary {
				// the primary goal names the goal; prefer the strategy
				// period that defines the sub-goal under it
				for _, k := range subGoalsOf[sub] {
					if goals[k].g.GoalID == c.PrimaryGoal {
						gk = k
						break
					}
				}
				if gk == "" {
					if ks := strategyOfGoal[c.PrimaryGoal]; len(ks) > 0 {
						gk = ks[len(ks)-1]
					} else {
						gk = string(key("", c.PrimaryGoal))
						addGoal("", c.PrimaryGoal, "")
					}
				}
			} else {
				ks := subGoalsOf[sub]
				if len(ks) == 0 {
					continue // a secondary sub-goal the strategy does not define
				}
				gk = ks[len(ks)-1]
				for _, k := range ks { // prefer the primary goal's period
					if gs := strategyOfGoal[c.PrimaryGoal]; len(gs) > 0 && goals[k].g.Strategy == goals[gs[len(gs)-1]].g.Strategy {
						gk = k
					}
				}
			}
			g := goals[gk]
			if f.Goal != "" && g.g.GoalID != f.Goal {
				continue
			}
			if f.SubGoal != "" && sub != f.SubGoal {
				continue
			}
			s := addSub(g, sub, "")
			s.sg.Initiatives = append(s.sg.Initiatives, roadmapInitiative(c, primary))
		}
	}

	out := RoadmapView{Goals: []RoadmapGoal{}}
	for _, gk := range goalOrder {
		g := goals[gk]
		if f.Goal != "" && g.g.GoalID != f.Goal {
			continue
		}
		subs := make([]*subNode, 0, len(g.subs))
		for _, s := range g.subs {
			subs = append(subs, s)
		}
		sort.Slice(subs, func(i, j int) bool { return subs[i].order < subs[j].order })
		g.g.SubGoals = []RoadmapSubGoal{}
		for _, s := range subs {
			if f.SubGoal != "" && s.sg.SubGoalID != f.SubGoal {
				continue
			}
			if filtered && len(s.sg.Initiatives) == 0 {
				continue
			}
			in := s.sg.Initiatives
			sort.SliceStable(in, func(i, j int) bool {
				if in[i].Primary != in[j].Primary {
					return in[i].Primary
				}
				if in[i].PlannedStart != in[j].PlannedStart {
					return in[i].PlannedStart < in[j].PlannedStart
				}
				if a, b := fold(in[i].Title), fold(in[j].Title); a != b {
					return a < b
				}
				return in[i].InitiativeID < in[j].InitiativeID
			})
			g.g.SubGoals = append(g.g.SubGoals, s.sg)
		}
		if (filtered || f.SubGoal != "") && len(g.g.SubGoals) == 0 {
			continue
		}
		out.Goals = append(out.Goals, g.g)
	}
	return out, nil
}

func (m *ReadModels) roadmapQuery(f RoadmapFilter) (RoadmapView, error) {
	var out RoadmapView
	err := m.view(func(tx *bolt.Tx) error {
		var err error
		out, err = readRoadmap(tx, f)
		return err
	})
	return out, err
}
