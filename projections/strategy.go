package projections

import (
	"sort"

	bolt "go.etcd.io/bbolt"

	"github.com/ehelse/portfolio/domain"
)

// The strategy read model: BucketGoals and BucketSubGoals. A redefinition
// of a goal or sub-goal replaces its title.

func applyGoalDefined(tx *bolt.Tx, e domain.StrategicGoalDefined) (bool, error) {
	g := GoalView{GoalID: e.GoalID, Strategy: e.Strategy, Title: e.Title, SubGoals: []SubGoalView{}}
	return true, putJSON(tx, BucketGoals, key(e.Strategy, e.GoalID), g)
}

func applySubGoalDefined(tx *bolt.Tx, e domain.SubGoalDefined) (bool, error) {
	s := SubGoalView{SubGoalID: e.SubGoalID, GoalID: e.GoalID, Strategy: e.Strategy, Title: e.Title}
	return true, putJSON(tx, BucketSubGoals, key(e.Strategy, e.GoalID, e.SubGoalID), s)
}

// readStrategy returns every strategy period, sorted by name; goals and
// sub-goals in natural id order. A sub-goal whose goal is not defined gets
// a goal with an empty title.
func readStrategy(tx *bolt.Tx) (StrategyView, error) {
	goals := map[string]*GoalView{} // "strategy\x00goalId"
	err := scanJSON(tx, BucketGoals, nil, func(k []byte, g GoalView) error {
		g.SubGoals = []SubGoalView{}
		goals[string(k)] = &g
		return nil
	})
	if err != nil {
		return StrategyView{}, err
	}
	err = scanJSON(tx, BucketSubGoals, nil, func(k []byte, s SubGoalView) error {
		gk := string(key(s.Strategy, s.GoalID))
		g := goals[gk]
		if g == nil {
			g = &GoalView{GoalID: s.GoalID, Strategy: s.Strategy, SubGoals: []SubGoalView{}}
			goals[gk] = g
		}
		g.SubGoals = append(g.SubGoals, s)
		return nil
	})
	if err != nil {
		return StrategyView{}, err
	}
	periods := map[string]*StrategyPeriod{}
	for _, g := range goals {
		sort.Slice(g.SubGoals, func(i, j int) bool { return naturalLess(g.SubGoals[i].SubGoalID, g.SubGoals[j].SubGoalID) })
		p := periods[g.Strategy]
		if p == nil {
			p = &StrategyPeriod{Strategy: g.Strategy}
			periods[g.Strategy] = p
		}
		p.Goals = append(p.Goals, *g)
	}
	out := StrategyView{Strategies: []StrategyPeriod{}}
	for _, p := range periods {
		sort.Slice(p.Goals, func(i, j int) bool { return naturalLess(p.Goals[i].GoalID, p.Goals[j].GoalID) })
		out.Strategies = append(out.Strategies, *p)
	}
	sort.Slice(out.Strategies, func(i, j int) bool { return out.Strategies[i].Strategy < out.Strategies[j].Strategy })
	return out, nil
}

func corrupt(bucketName string, k []byte, err error) error {
	return &domain.Error{Kind: domain.KindInternal, Message: "projections: decode " + bucketName + "/" + string(k), Err: err}
}

func (m *ReadModels) strategyQuery() (StrategyView, error) {
	var out StrategyView
	err := m.view(func(tx *bolt.Tx) error {
		var err error
		out, err = readStrategy(tx)
		return err
	})
	return out, err
}
