package projections

import (
	"slices"

	"github.com/ehelse/portfolio/domain"
)

// The roadmap (veikart) has no buckets of its own: it joins the strategy
// tree (small reference data) with the initiative cards that the filters
// select. It is answered from the in-memory card index (index.go), which
// holds both decoded; its cost is the number of initiatives, not the
// number of events.
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

func (m *ReadModels) roadmapQuery(f RoadmapFilter) (RoadmapView, error) {
	x, err := m.cards()
	if err != nil {
		return RoadmapView{}, err
	}
	return x.roadmap(f), nil
}

// roadmap is the roadmap from the card index: the regular path when every
// shown initiative is placed under the strategy's goals and sub-goals,
// else roadmapGeneral.
func (x *cardIndex) roadmap(f RoadmapFilter) RoadmapView {
	st := x.strat
	if st.emptyStrategy || x.irregular > 0 {
		return x.roadmapGeneral(f)
	}
	filtered := f.Owner != "" || f.UserGroup != "" || f.Phase != "" || f.Q != ""
	var cells *roadmapCells
	if f == (RoadmapFilter{}) {
		x.roadOnce.Do(func() { x.roadCells = x.cells(f) })
		cells = &x.roadCells
	} else {
		c := x.cells(f)
		cells = &c
	}
	base, all, start := cells.base, cells.all, cells.start

	out := RoadmapView{Goals: []RoadmapGoal{}}
	for gi, g := range st.goals {
		if f.Goal != "" && g.goalID != f.Goal {
			continue
		}
		rg := RoadmapGoal{GoalID: g.goalID, Strategy: g.strategy, Title: g.title, SubGoals: []RoadmapSubGoal{}}
		for si, s := range g.subs {
			if f.SubGoal != "" && s.id != f.SubGoal {
				continue
			}
			c := base[gi] + si
			if filtered && start[c] == start[c+1] {
				continue
			}
			rg.SubGoals = append(rg.SubGoals, RoadmapSubGoal{SubGoalID: s.id, Title: s.title,
				Initiatives: all[start[c]:start[c+1]:start[c+1]]})
		}
		if (filtered || f.SubGoal != "") && len(rg.SubGoals) == 0 {
			continue
		}
		out.Goals = append(out.Goals, rg)
	}
	return out
}

// roadmapCells are the roadmap's listings: one cell per (goal, sub-goal) of
// the strategy (cell base[goal]+sub), listed in all[start[c]:start[c+1]].
type roadmapCells struct {
	base, start []int
	all         []RoadmapInitiative
}

// cells lists what the roadmap shows for f, for the fast path.
func (x *cardIndex) cells(f RoadmapFilter) roadmapCells {
	st := x.strat
	p := newMatcher(selection{Goal: f.Goal, SubGoal: f.SubGoal, Owner: f.Owner, Phase: f.Phase, UserGroup: f.UserGroup, Q: f.Q}, st)

	// cells: one per (goal, sub-goal) of the strategy, each with the
	// count of primary and of other listings.
	base := make([]int, len(st.goals)+1)
	for i, g := range st.goals {
		base[i+1] = base[i] + len(g.subs)
	}
	prim := make([]int, base[len(st.goals)])
	sec := make([]int, len(prim))
	keep := func(pl *placement) bool {
		return (f.Goal == "" || st.goals[pl.goal].goalID == f.Goal) && (f.SubGoal == "" || pl.subID == f.SubGoal)
	}
	matched := make([]*cardEntry, 0, len(x.byRoad))
	total := 0
	for _, slot := range x.byRoad {
		e := x.at(slot)
		if !e.show || !p.match(e) {
			continue
		}
		n := 0
		for i := range e.place {
			pl := &e.place[i]
			if !keep(pl) {
				continue
			}
			if pl.primary {
				prim[base[pl.goal]+int(pl.sub)]++
			} else {
				sec[base[pl.goal]+int(pl.sub)]++
			}
			n++
		}
		if n > 0 {
			matched = append(matched, e)
			total += n
		}
	}
	// Each cell's listings: its primary ones, then the others, each group
	// in (planned start, folded title, id) order: the order of byRoad.
	all := make([]RoadmapInitiative, total)
	start := make([]int, len(prim)+1)
	for i := range prim {
		start[i+1] = start[i] + prim[i] + sec[i]
	}
	nextPrim := slices.Clone(start[:len(prim)])
	nextSec := make([]int, len(prim))
	for i := range prim {
		nextSec[i] = start[i] + prim[i]
	}
	for _, e := range matched {
		for i := range e.place {
			pl := &e.place[i]
			if !keep(pl) {
				continue
			}
			c := base[pl.goal] + int(pl.sub)
			var at *int
			if pl.primary {
				at = &nextPrim[c]
			} else {
				at = &nextSec[c]
			}
			all[*at] = e.ri
			all[*at].Primary = pl.primary
			*at++
		}
	}

	return roadmapCells{base: base, start: start, all: all}
}

// roadmapGeneral is the roadmap when a shown initiative needs a goal or
// sub-goal the strategy does not define: the strategy's tree extended by
// them — goals after the strategy's, sub-goals after their goal's own, in
// the order of the initiatives' ids — with the same placements as the
// regular path.
func (x *cardIndex) roadmapGeneral(f RoadmapFilter) RoadmapView {
	st := x.strat
	p := newMatcher(selection{Goal: f.Goal, SubGoal: f.SubGoal, Owner: f.Owner, Phase: f.Phase, UserGroup: f.UserGroup, Q: f.Q}, st)
	filtered := f.Owner != "" || f.UserGroup != "" || f.Phase != "" || f.Q != ""

	type listing struct {
		e       *cardEntry
		primary bool
	}
	type subNode struct {
		id, title string
		in        []listing
	}
	type goalNode struct {
		id, strategy, title string
		subs                []*subNode
	}
	subOf := func(g *goalNode, id string) *subNode {
		for _, s := range g.subs {
			if s.id == id {
				return s
			}
		}
		s := &subNode{id: id}
		g.subs = append(g.subs, s)
		return s
	}
	nodes := make([]*goalNode, len(st.goals))
	for i, g := range st.goals {
		n := &goalNode{id: g.goalID, strategy: g.strategy, title: g.title}
		for _, s := range g.subs {
			n.subs = append(n.subs, &subNode{id: s.id, title: s.title})
		}
		nodes[i] = n
	}
	undefined := map[string]*goalNode{} // goal id → a goal only initiatives name

	for _, slot := range x.byKey {
		e := x.at(slot)
		if !e.show || !p.match(e) {
			continue
		}
		for i := range e.place {
			pl := &e.place[i]
			var n *goalNode
			if pl.goal >= 0 {
				n = nodes[pl.goal]
			} else if n = undefined[pl.goalID]; n == nil {
				n = &goalNode{id: pl.goalID}
				undefined[pl.goalID] = n
				nodes = append(nodes, n)
			}
			if (f.Goal != "" && n.id != f.Goal) || (f.SubGoal != "" && pl.subID != f.SubGoal) {
				continue
			}
			s := subOf(n, pl.subID)
			s.in = append(s.in, listing{e: e, primary: pl.primary})
		}
	}

	out := RoadmapView{Goals: []RoadmapGoal{}}
	for _, n := range nodes {
		if f.Goal != "" && n.id != f.Goal {
			continue
		}
		rg := RoadmapGoal{GoalID: n.id, Strategy: n.strategy, Title: n.title, SubGoals: []RoadmapSubGoal{}}
		for _, s := range n.subs {
			if (f.SubGoal != "" && s.id != f.SubGoal) || (filtered && len(s.in) == 0) {
				continue
			}
			// primary listings first, each group in the order of byRoad
			slices.SortFunc(s.in, func(a, b listing) int {
				if a.primary != b.primary {
					if a.primary {
						return -1
					}
					return 1
				}
				return x.roadLess(x.slots[a.e.key], x.slots[b.e.key])
			})
			ris := make([]RoadmapInitiative, len(s.in))
			for i, l := range s.in {
				ris[i] = l.e.ri
				ris[i].Primary = l.primary
			}
			rg.SubGoals = append(rg.SubGoals, RoadmapSubGoal{SubGoalID: s.id, Title: s.title, Initiatives: ris})
		}
		if (filtered || f.SubGoal != "") && len(rg.SubGoals) == 0 {
			continue
		}
		out.Goals = append(out.Goals, rg)
	}
	return out
}
