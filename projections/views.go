package projections

import "github.com/ehelse/portfolio/services/wire"

// The read models answer in the wire contract's types (package
// services/wire), which the HTTP API encodes and portfolioctl decodes;
// these names keep the projection code short.
type (
	InitiativeFilter  = wire.InitiativeFilter
	RoadmapFilter     = wire.RoadmapFilter
	DecisionFilter    = wire.DecisionFilter
	StrategyView      = wire.StrategyView
	StrategyPeriod    = wire.StrategyPeriod
	GoalView          = wire.GoalView
	SubGoalView       = wire.SubGoalView
	StatusView        = wire.StatusView
	MilestoneView     = wire.MilestoneView
	InitiativeSummary = wire.InitiativeSummary
	InitiativeCase    = wire.InitiativeCase
	LifecycleChange   = wire.LifecycleChange
	InitiativeDetail  = wire.InitiativeDetail
	RoadmapView       = wire.RoadmapView
	RoadmapGoal       = wire.RoadmapGoal
	RoadmapSubGoal    = wire.RoadmapSubGoal
	RoadmapInitiative = wire.RoadmapInitiative
	MeetingSummary    = wire.MeetingSummary
	AgendaItem        = wire.AgendaItem
	OutcomeView       = wire.OutcomeView
	CorrectionView    = wire.CorrectionView
	MeetingDetail     = wire.MeetingDetail
	CaseStep          = wire.CaseStep
	CaseDetail        = wire.CaseDetail
	DecisionEntry     = wire.DecisionEntry
)

// Kinds of CaseStep.
const (
	StepPlaced   = wire.StepPlaced
	StepDecision = wire.StepDecision
)
