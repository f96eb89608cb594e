package projections

import "slices"

// Where the roadmap lists an initiative: the strategy tree as the roadmap
// joins it, and the placements of each initiative in it, computed once per
// card and strategy by the card index.

// placement is one listing of an initiative on the roadmap: under the
// strategy goal goal (an index into strategyIndex.goals) and its sub-goal
// sub (an index into that goal's subs). goal is -1 for a primary goal the
// strategy does not define (goalID names it), sub is -1 for a sub-goal the
// goal does not define (subID names it).
type placement struct {
	goal, sub int32
	goalID    string
	subID     string
	primary   bool
}

// regular reports whether p is under a goal and sub-goal of the strategy.
func (p *placement) regular() bool { return p.goal >= 0 && p.sub >= 0 }

// strategyIndex is the strategy tree as the roadmap joins it.
type strategyIndex struct {
	goals          []stratGoal
	subGoalsOf     map[string][]int32 // sub-goal id → goals defining it, in tree order
	strategyOfGoal map[string][]int32 // goal id → goals with that id (one per period)
	subsOfGoal     map[string][]string
	// emptyStrategy: a goal belongs to a strategy period without a name;
	// Roadmap then takes the general path.
	emptyStrategy bool
}

type stratGoal struct {
	goalID, strategy, title string
	subs                    []stratSub
	subIdx                  map[string]int32
}

type stratSub struct{ id, title string }

func newStrategyIndex(v StrategyView) *strategyIndex {
	st := &strategyIndex{subGoalsOf: map[string][]int32{}, strategyOfGoal: map[string][]int32{}, subsOfGoal: map[string][]string{}}
	for _, p := range v.Strategies {
		for _, g := range p.Goals {
			gi := int32(len(st.goals))
			sg := stratGoal{goalID: g.GoalID, strategy: p.Strategy, title: g.Title, subIdx: map[string]int32{}}
			if p.Strategy == "" {
				st.emptyStrategy = true
			}
			st.strategyOfGoal[g.GoalID] = append(st.strategyOfGoal[g.GoalID], gi)
			for _, s := range g.SubGoals {
				if _, dup := sg.subIdx[s.SubGoalID]; !dup {
					sg.subIdx[s.SubGoalID] = int32(len(sg.subs))
					sg.subs = append(sg.subs, stratSub{id: s.SubGoalID, title: s.Title})
				}
				st.subGoalsOf[s.SubGoalID] = append(st.subGoalsOf[s.SubGoalID], gi)
				st.subsOfGoal[s.GoalID] = append(st.subsOfGoal[s.GoalID], s.SubGoalID)
			}
			st.goals = append(st.goals, sg)
		}
	}
	return st
}

// placeOf computes where the roadmap shows c: each of its sub-goals, the
// primary first, under one goal.
//
//   - The primary sub-goal goes under the primary goal: the first goal of
//     that id that defines the sub-goal, else the last goal of that id,
//     else a goal the strategy does not define (goal -1).
//   - Another sub-goal goes under a goal that defines it: the last one in
//     the period of the primary goal (its last period), else the last
//     one. A sub-goal no goal defines is not shown.
//
// regular is false when a placement needs a goal or sub-goal the strategy
// does not define.
func (st *strategyIndex) placeOf(c *initiativeCard) (place []placement, regular bool) {
	regular = true
	seen := make([]string, 0, 1+len(c.SubGoals))
	for i, sub := range append([]string{c.PrimarySubGoal}, c.SubGoals...) {
		if sub == "" || slices.Contains(seen, sub) {
			continue
		}
		seen = append(seen, sub)
		pl := placement{goal: -1, sub: -1, goalID: c.PrimaryGoal, subID: sub, primary: i == 0}
		if pl.primary {
			for _, k := range st.subGoalsOf[sub] {
				if st.goals[k].goalID == c.PrimaryGoal {
					pl.goal = k
					break
				}
			}
			if ks := st.strategyOfGoal[c.PrimaryGoal]; pl.goal < 0 && len(ks) > 0 {
				pl.goal = ks[len(ks)-1]
			}
		} else {
			ks := st.subGoalsOf[sub]
			if len(ks) == 0 {
				continue // a secondary sub-goal the strategy does not define
			}
			pl.goal = ks[len(ks)-1]
			if gs := st.strategyOfGoal[c.PrimaryGoal]; len(gs) > 0 {
				period := st.goals[gs[len(gs)-1]].strategy
				for _, k := range ks {
					if st.goals[k].strategy == period {
						pl.goal = k
					}
				}
			}
		}
		if pl.goal >= 0 {
			pl.goalID = st.goals[pl.goal].goalID
			if si, ok := st.goals[pl.goal].subIdx[sub]; ok {
				pl.sub = si
			}
		}
		regular = regular && pl.regular()
		place = append(place, pl)
	}
	return place, regular
}
