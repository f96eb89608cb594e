package projections

import (
	"encoding/json"
	"sort"

	bolt "go.etcd.io/bbolt"
)

// The queries as they were before the in-memory card index: they read the
// index buckets and decode the cards from the file. The tests compare the
// index's answers with theirs.

// refInitiatives is the portfolio overview read from the file.
func refInitiatives(tx *bolt.Tx, f InitiativeFilter) ([]InitiativeSummary, error) {
	cards, err := selectInitiatives(tx, selection(f))
	if err != nil {
		return nil, err
	}
	out := make([]InitiativeSummary, 0, len(cards))
	for _, c := range cards {
		out = append(out, c.InitiativeSummary)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := fold(out[i].Title), fold(out[j].Title)
		if a != b {
			return a < b
		}
		return out[i].InitiativeID < out[j].InitiativeID
	})
	return out, nil
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

// selectInitiatives returns the cards that match s, by reading the index
// ranges of the given filters, intersecting them, and checking the search
// text of what is left. With no filter it reads every card.
func selectInitiatives(tx *bolt.Tx, s selection) ([]initiativeCard, error) {
	var sets []map[string]bool
	add := func(ids map[string]bool, err error) error {
		if err != nil {
			return err
		}
		sets = append(sets, ids)
		return nil
	}
	if s.Owner != "" {
		if err := add(indexIDs(tx, IdxInitiativeOwner, fold(s.Owner))); err != nil {
			return nil, err
		}
	}
	if s.UserGroup != "" {
		if err := add(indexIDs(tx, IdxInitiativeUserGroup, fold(s.UserGroup))); err != nil {
			return nil, err
		}
	}
	if s.Phase != "" {
		if err := add(indexIDs(tx, IdxInitiativePhase, s.Phase)); err != nil {
			return nil, err
		}
	}
	if s.State != "" {
		if err := add(indexIDs(tx, IdxInitiativeState, s.State)); err != nil {
			return nil, err
		}
	}
	if s.SubGoal != "" {
		if err := add(indexIDs(tx, IdxInitiativeSubGoal, s.SubGoal)); err != nil {
			return nil, err
		}
	}
	if s.Goal != "" {
		if err := add(goalIDs(tx, s.Goal)); err != nil {
			return nil, err
		}
	}

	var ids []string
	if len(sets) == 0 {
		b, err := bucket(tx, BucketInitiativeCards)
		if err != nil {
			return nil, err
		}
		_ = b.ForEach(func(k, _ []byte) error {
			ids = append(ids, string(k))
			return nil
		})
	} else {
		sort.Slice(sets, func(i, j int) bool { return len(sets[i]) < len(sets[j]) })
		for _, id := range sortedKeys(sets[0]) {
			all := true
			for _, other := range sets[1:] {
				if !other[id] {
					all = false
					break
				}
			}
			if all {
				ids = append(ids, id)
			}
		}
	}

	q := fold(s.Q)
	var search *bolt.Bucket
	if q != "" {
		var err error
		if search, err = bucket(tx, BucketInitiativeSearch); err != nil {
			return nil, err
		}
	}
	out := make([]initiativeCard, 0, len(ids))
	for _, id := range ids {
		if q != "" && !matchQuery(string(search.Get([]byte(id))), q) {
			continue
		}
		var c initiativeCard
		ok, err := getJSON(tx, BucketInitiativeCards, []byte(id), &c)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, c)
		}
	}
	return out, nil
}

// goalIDs returns the initiatives that contribute to a goal: its primary
// goal is the goal, or one of its sub-goals belongs to the goal (in any
// strategy period).
func goalIDs(tx *bolt.Tx, goal string) (map[string]bool, error) {
	ids, err := indexIDs(tx, IdxInitiativeGoal, goal)
	if err != nil {
		return nil, err
	}
	subs := map[string]bool{}
	err = scanPrefix(tx, BucketSubGoals, nil, func(k, v []byte) error {
		var s SubGoalView
		if err := json.Unmarshal(v, &s); err != nil {
			return corrupt(BucketSubGoals, k, err)
		}
		if s.GoalID == goal {
			subs[s.SubGoalID] = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for s := range subs {
		more, err := indexIDs(tx, IdxInitiativeSubGoal, s)
		if err != nil {
			return nil, err
		}
		for id := range more {
			ids[id] = true
		}
	}
	return ids, nil
}
