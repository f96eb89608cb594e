package projections

import "github.com/ehelse/portfolio/services/wire"

// The realisation plan's answers are wire types too.
type (
	IndicatorView       = wire.IndicatorView
	IndicatorValue      = wire.IndicatorValue
	IndicatorCorrection = wire.IndicatorCorrection
	DependencyView      = wire.DependencyView
	DependencyRisk      = wire.DependencyRisk
	DependencyFilter    = wire.DependencyFilter
	RoundSummary        = wire.RoundSummary
	RoundDetail         = wire.RoundDetail
	OwnerReporting      = wire.OwnerReporting
	InitiativeRef       = wire.InitiativeRef
	SlipView            = wire.SlipView
	PortfolioReport     = wire.PortfolioReport
	ReportSummary       = wire.ReportSummary
	Count               = wire.Count
	ReportInitiative    = wire.ReportInitiative
	ReportStatus        = wire.ReportStatus
	ReportMilestone     = wire.ReportMilestone
	ReportDecision      = wire.ReportDecision
	ReportChanges       = wire.ReportChanges
	PhaseChangeItem     = wire.PhaseChangeItem
	RAGChange           = wire.RAGChange
)

// Constants of the plan's answers.
const (
	DependencyOK          = wire.DependencyOK
	DependencyAtRisk      = wire.DependencyAtRisk
	DependencyRemoved     = wire.DependencyRemoved
	RoundOpen             = wire.RoundOpen
	RoundClosed           = wire.RoundClosed
	StatusReportedInRound = wire.StatusReportedInRound
	StatusNotReported     = wire.StatusNotReported
	MilestoneKindAchieved = wire.MilestoneKindAchieved
	MilestoneKindSlipped  = wire.MilestoneKindSlipped
	MilestoneKindDue      = wire.MilestoneKindDue
)
