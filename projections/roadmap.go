package projections

import (
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
