package domain

import (
	"maps"
	"slices"
	"time"
)

// StrategyState is the strategy catalogue: the one aggregate (id
// StrategyCatalogID, "national") that holds every strategy period's goals
// and sub-goals. Goal ids are unique across strategies, and so are
// sub-goal ids.
type StrategyState struct {
	ID      string `json:"id"`
	Version uint64 `json:"version"`
	// Strategies lists the strategy periods ("2017-2022", "2023-2030"), sorted.
	Strategies []string `json:"strategies"`
	// Goals by goal id ("M1").
	Goals map[string]Goal `json:"goals"`
	// SubGoals by sub-goal id ("1A").
	SubGoals  map[string]SubGoal `json:"subGoals"`
	CreatedAt time.Time          `json:"createdAt,omitzero"`
	UpdatedAt time.Time          `json:"updatedAt,omitzero"`
}

// Goal is a strategic goal (strategisk mål) of a strategy period.
type Goal struct {
	ID       string `json:"id"`
	Strategy string `json:"strategy"`
	Title    string `json:"title"`
	// SubGoals lists the ids of its sub-goals, sorted.
	SubGoals []string `json:"subGoals"`
}

// SubGoal is a sub-goal (delmål) of a goal.
type SubGoal struct {
	ID       string `json:"id"`
	GoalID   string `json:"goalId"`
	Strategy string `json:"strategy"`
	Title    string `json:"title"`
}

// StrategyTree is one strategy period with its goals and their sub-goals,
// in id order: the shape of GET /v1/strategy.
type StrategyTree struct {
	Strategy string     `json:"strategy"`
	Goals    []GoalTree `json:"goals"`
}

// GoalTree is a goal with its sub-goals.
type GoalTree struct {
	ID       string    `json:"id"`
	Title    string    `json:"title"`
	SubGoals []SubGoal `json:"subGoals"`
}

// StateRef implements State.
func (s *StrategyState) StateRef() Ref { return Ref{Strategy, s.ID} }

// StateVersion implements State.
func (s *StrategyState) StateVersion() uint64 { return s.Version }

// Goal returns the goal with the id.
func (s *StrategyState) Goal(id string) (Goal, bool) {
	g, ok := s.Goals[id]
	return g, ok
}

// SubGoal returns the sub-goal with the id.
func (s *StrategyState) SubGoal(id string) (SubGoal, bool) {
	g, ok := s.SubGoals[id]
	return g, ok
}

// Tree returns the catalogue as strategies → goals → sub-goals, sorted by id.
func (s *StrategyState) Tree() []StrategyTree {
	out := make([]StrategyTree, 0, len(s.Strategies))
	for _, name := range s.Strategies {
		t := StrategyTree{Strategy: name, Goals: []GoalTree{}}
		for _, id := range slices.Sorted(maps.Keys(s.Goals)) {
			g := s.Goals[id]
			if g.Strategy != name {
				continue
			}
			gt := GoalTree{ID: g.ID, Title: g.Title, SubGoals: make([]SubGoal, 0, len(g.SubGoals))}
			for _, sid := range g.SubGoals {
				gt.SubGoals = append(gt.SubGoals, s.SubGoals[sid])
			}
			t.Goals = append(t.Goals, gt)
		}
		out = append(out, t)
	}
	return out
}

// ---- commands ----

// DefineStrategicGoal defines a strategic goal of a strategy period.
type DefineStrategicGoal struct {
	// Goal id, e.g. M1.
	GoalID string `json:"goalId"`
	// Strategy period, e.g. 2023-2030.
	Strategy string `json:"strategy"`
	Title    string `json:"title"`
}

func (DefineStrategicGoal) CommandName() string { return "DefineStrategicGoal" }

// Validate checks goalId ("M1"), strategy ("2023-2030") and title.
func (c DefineStrategicGoal) Validate() error {
	var v Validation
	v.code("goalId", c.GoalID)
	switch {
	case c.Strategy == "":
		v.Add("strategy", "is required")
	case !IsStrategyPeriod(c.Strategy):
		v.Add("strategy", "must be a period YYYY-YYYY such as \"2023-2030\"")
	}
	v.text("title", c.Title, true, MaxTitleLen, false)
	return v.Err()
}

// DefineSubGoal defines a sub-goal of a goal.
type DefineSubGoal struct {
	// Sub-goal code, e.g. 1A.
	SubGoalID string `json:"subGoalId"`
	GoalID    string `json:"goalId"`
	Title     string `json:"title"`
}

func (DefineSubGoal) CommandName() string { return "DefineSubGoal" }

// Validate checks subGoalId ("1A"), goalId and title.
func (c DefineSubGoal) Validate() error {
	var v Validation
	v.code("subGoalId", c.SubGoalID)
	v.code("goalId", c.GoalID)
	v.text("title", c.Title, true, MaxTitleLen, false)
	return v.Err()
}

// ---- events ----

// StrategicGoalDefined: a strategic goal was defined for a strategy period.
type StrategicGoalDefined struct {
	// The goal's code, e.g. `M1` (1–20 letters, digits, '.', '-' or '_').
	GoalID string `json:"goalId"`
	// The strategy period the goal belongs to, `YYYY-YYYY`, e.g. `2023-2030`.
	Strategy string `json:"strategy"`
	// The goal's title.
	Title string `json:"title"`
}

func (StrategicGoalDefined) EventType() string { return "StrategicGoalDefined" }

// SubGoalDefined: a sub-goal was defined under a strategic goal.
type SubGoalDefined struct {
	// The sub-goal's code, e.g. `1A`.
	SubGoalID string `json:"subGoalId"`
	// The goal it belongs to.
	GoalID string `json:"goalId"`
	// The goal's strategy period (copied from the goal).
	Strategy string `json:"strategy"`
	// The sub-goal's title.
	Title string `json:"title"`
}

func (SubGoalDefined) EventType() string { return "SubGoalDefined" }

// ---- registry ----

var strategyAggregate = &aggregateDef[StrategyState, *StrategyState]{
	typ:   Strategy,
	empty: func(id string) *StrategyState { return &StrategyState{ID: id} },
	check: func(s *StrategyState) error {
		if s.ID != StrategyCatalogID {
			return Errorf(KindInternal, "evolve %s: the strategy catalogue is %q", s.StateRef(), StrategyCatalogID)
		}
		return nil
	},
	stamp: func(n *StrategyState, r Recorded) {
		if n.Goals == nil {
			n.Goals = map[string]Goal{}
		}
		if n.SubGoals == nil {
			n.SubGoals = map[string]SubGoal{}
		}
		if n.Strategies == nil {
			n.Strategies = []string{}
		}
		n.Version = r.Version
		if n.Version == 1 {
			n.CreatedAt = r.Time
		}
		n.UpdatedAt = r.Time
	},
}

// catalogueTarget: every strategy command addresses the one catalogue.
func catalogueTarget[C Command](C) Ref { return Ref{Strategy, StrategyCatalogID} }

var strategyCommands = []commandEntry{
	command(Strategy, Secretariat, catalogueTarget[DefineStrategicGoal], (*decider).defineStrategicGoal),
	command(Strategy, Secretariat, catalogueTarget[DefineSubGoal], (*decider).defineSubGoal),
}

var strategyEvents = []eventEntry{
	event(strategyAggregate, nil, foldGoalDefined),
	event(strategyAggregate, nil, foldSubGoalDefined),
}

// ---- evolve ----

func foldGoalDefined(n *StrategyState, e StrategicGoalDefined, _ Recorded) error {
	n.Goals = maps.Clone(n.Goals)
	if n.Goals == nil {
		n.Goals = map[string]Goal{}
	}
	subs := []string{}
	if old, ok := n.Goals[e.GoalID]; ok {
		subs = old.SubGoals
	}
	n.Goals[e.GoalID] = Goal{ID: e.GoalID, Strategy: e.Strategy, Title: e.Title, SubGoals: subs}
	if !slices.Contains(n.Strategies, e.Strategy) {
		n.Strategies = append(slices.Clip(n.Strategies), e.Strategy)
		slices.Sort(n.Strategies)
	}
	return nil
}

func foldSubGoalDefined(n *StrategyState, e SubGoalDefined, _ Recorded) error {
	old := n.Goals
	n.SubGoals = maps.Clone(n.SubGoals)
	if n.SubGoals == nil {
		n.SubGoals = map[string]SubGoal{}
	}
	n.SubGoals[e.SubGoalID] = SubGoal{ID: e.SubGoalID, GoalID: e.GoalID, Strategy: e.Strategy, Title: e.Title}
	if g, ok := old[e.GoalID]; ok && !slices.Contains(g.SubGoals, e.SubGoalID) {
		g.SubGoals = append(slices.Clip(g.SubGoals), e.SubGoalID)
		slices.Sort(g.SubGoals)
		n.Goals = maps.Clone(old)
		n.Goals[e.GoalID] = g
	}
	return nil
}

// ---- decisions ----

func (d *decider) defineStrategicGoal(c DefineStrategicGoal) ([]Change, error) {
	cat, err := d.catalogue()
	if err != nil {
		return nil, err
	}
	if g, ok := cat.Goals[c.GoalID]; ok {
		return nil, Refuse("goal %s is already defined (strategy %s)", c.GoalID, g.Strategy).
			WithNorsk("Det strategiske målet %s er allerede definert (strategiperiode %s).", c.GoalID, g.Strategy)
	}
	return []Change{{cat.StateRef(), StrategicGoalDefined(c)}}, nil
}

func (d *decider) defineSubGoal(c DefineSubGoal) ([]Change, error) {
	cat, err := d.catalogue()
	if err != nil {
		return nil, err
	}
	if g, ok := cat.SubGoals[c.SubGoalID]; ok {
		return nil, Refuse("sub-goal %s is already defined (under goal %s)", c.SubGoalID, g.GoalID).
			WithNorsk("Delmålet %s er allerede definert (under det strategiske målet %s).", c.SubGoalID, g.GoalID)
	}
	g, ok := cat.Goals[c.GoalID]
	if !ok {
		return nil, Refuse("goal %s is not defined; define it before its sub-goals", c.GoalID).
			WithNorsk("Det strategiske målet %s er ikke definert; definer det før delmålene.", c.GoalID)
	}
	return []Change{{cat.StateRef(), SubGoalDefined{
		SubGoalID: c.SubGoalID, GoalID: c.GoalID, Strategy: g.Strategy, Title: c.Title,
	}}}, nil
}
