package domain

import "testing"

var (
	ind1, round1, round2 = tid('X', 1), tid('R', 1), tid('R', 2)
	dep1                 = tid('D', 1)
	indRef               = Ref{Indicator, ind1}
	rndRef               = Ref{Round, RoundsCatalogID}
	depRef               = Ref{Dependency, dep1}
)

func defined() *world {
	return given().catalogue().add(indRef, IndicatorDefined{IndicatorID: ind1, GoalID: "M1", SubGoalID: "1A",
		Name: "Digital dialog", Unit: "prosent", Direction: Increase,
		Baseline: Measure{40, "2023-12-31"}, Target: Measure{80, "2030-12-31"}})
}

func TestDefineIndicator(t *testing.T) {
	def := func(goal, sub string) DefineIndicator {
		return DefineIndicator{IndicatorID: ind1, GoalID: goal, SubGoalID: sub, Name: "Digital dialog", Unit: "prosent",
			Direction: Increase, Baseline: Measure{40, "2023-12-31"}, Target: Measure{80, "2030-12-31"}}
	}
	run(t, []spec{
		{name: "an indicator of a goal and one of its sub-goals is defined", given: given().catalogue(),
			when: def("M1", "1A"), then: ok(Change{indRef, IndicatorDefined(def("M1", "1A"))})},
		{name: "an indicator of an unknown goal is refused", given: given().catalogue(),
			when: def("M9", ""), err: KindRuleViolated, msg: "M9"},
		{name: "a sub-goal of another goal is refused", given: given().catalogue(),
			when: def("M1", "2A"), err: KindRuleViolated, msg: "belongs to goal M2"},
		{name: "an indicator is defined once", given: defined(),
			when: def("M1", ""), err: KindRuleViolated, msg: "already exists"},
		{name: "the target comes after the baseline and differs from it",
			when: DefineIndicator{IndicatorID: ind1, GoalID: "M1", Name: "x", Unit: "dager", Direction: "down",
				Baseline: Measure{5, "2030-01-01"}, Target: Measure{5, "2026-01-01"}},
			err: KindInvalid, fields: []string{"direction", "target.date", "target.value"}},
	})
}

func TestRecordIndicatorValue(t *testing.T) {
	recorded := func() *world {
		return defined().add(indRef, IndicatorValueRecorded{IndicatorID: ind1, Period: "2026-H1", PeriodEnd: "2026-06-30", Value: 51})
	}
	run(t, []spec{
		{name: "a value for a period is recorded with the period's end", given: defined(),
			when: RecordIndicatorValue{IndicatorID: ind1, Period: "2026-Q3", Value: 55.5, Source: "KPR"},
			then: ok(Change{indRef, IndicatorValueRecorded{IndicatorID: ind1, Period: "2026-Q3", PeriodEnd: "2026-09-30", Value: 55.5, Source: "KPR"}})},
		{name: "a second value for a period is refused", given: recorded(),
			when: RecordIndicatorValue{IndicatorID: ind1, Period: "2026-H1", Value: 52}, err: KindRuleViolated, msg: "correction"},
		{name: "a correction replaces the value and keeps the old one", given: recorded(),
			when: RecordIndicatorValue{IndicatorID: ind1, Period: "2026-H1", Value: 52, Correction: &Correction{"Endelig tall"}},
			then: ok(Change{indRef, IndicatorValueCorrected{IndicatorID: ind1, Period: "2026-H1", PeriodEnd: "2026-06-30",
				Value: 52, PreviousValue: 51, Reason: "Endelig tall"}})},
		{name: "a correction needs a value to correct", given: defined(),
			when: RecordIndicatorValue{IndicatorID: ind1, Period: "2026", Value: 52, Correction: &Correction{"x"}},
			err:  KindRuleViolated, msg: "no value"},
		{name: "a correction needs a reason",
			when: RecordIndicatorValue{IndicatorID: ind1, Period: "2026", Value: 52, Correction: &Correction{" "}},
			err:  KindInvalid, fields: []string{"correction.reason"}},
		{name: "a period is a year, half-year, quarter or date",
			when: RecordIndicatorValue{IndicatorID: ind1, Period: "2026-T3", Value: 1},
			err:  KindInvalid, fields: []string{"period"}},
		{name: "a value for an unknown indicator is not found",
			when: RecordIndicatorValue{IndicatorID: ind1, Period: "2026", Value: 1}, err: KindNotFound},
	})
}

func TestPeriodEndAndProgress(t *testing.T) {
	for p, want := range map[string]Date{"2026": "2026-12-31", "2026-H1": "2026-06-30", "2024-Q1": "2024-03-31",
		"2026-Q4": "2026-12-31", "2026-05-17": "2026-05-17"} {
		if got, ok := PeriodEnd(p); !ok || got != want {
			t.Errorf("PeriodEnd(%q) = %q, %v; want %q", p, got, ok, want)
		}
	}
	for _, p := range []string{"", "26", "2026-H3", "2026-Q5", "2026-13-01", "abcd"} {
		if _, ok := PeriodEnd(p); ok {
			t.Errorf("PeriodEnd(%q) accepted", p)
		}
	}
	for _, c := range []struct{ b, t, v, want float64 }{{40, 80, 40, 0}, {40, 80, 80, 1}, {40, 80, 60, 0.5},
		{40, 80, 30, -0.25}, {40, 80, 100, 1.5}, {10, 2, 6, 0.5}} {
		if got, ok := Progress(c.b, c.t, c.v); !ok || got != c.want {
			t.Errorf("Progress(%v, %v, %v) = %v, want %v", c.b, c.t, c.v, got, c.want)
		}
	}
	if _, ok := Progress(3, 3, 3); ok {
		t.Error("Progress with baseline = target")
	}
}

func TestReportingRounds(t *testing.T) {
	open := OpenReportingRound{RoundID: round1, Label: "2026-T1", PeriodEnd: "2026-04-30", Deadline: "2026-05-15"}
	opened := func() *world { return given().catalogue().add(rndRef, ReportingRoundOpened(open)) }
	closed := func() *world { return opened().add(rndRef, ReportingRoundClosed{round1, "2026-T1"}) }
	green := ReportStatus{ini1, "2026-05-01", Green, Green, Green, Green, "", round1}
	run(t, []spec{
		{name: "a round is opened", given: given(), when: open, then: ok(Change{rndRef, ReportingRoundOpened(open)})},
		{name: "one round is open at a time", given: opened(),
			when: OpenReportingRound{RoundID: round2, Label: "2026-T2", PeriodEnd: "2026-08-31", Deadline: "2026-09-15"},
			err:  KindRuleViolated, msg: "is open"},
		{name: "the next round's period ends later", given: closed(),
			when: OpenReportingRound{RoundID: round2, Label: "2026-T2", PeriodEnd: "2026-04-30", Deadline: "2026-09-15"},
			err:  KindRuleViolated, msg: "later"},
		{name: "a label is used once", given: closed(),
			when: OpenReportingRound{RoundID: round2, Label: "2026-T1", PeriodEnd: "2026-08-31", Deadline: "2026-09-15"},
			err:  KindRuleViolated, msg: "already"},
		{name: "the open round is closed", given: opened(),
			when: CloseReportingRound{round1}, then: ok(Change{rndRef, ReportingRoundClosed{round1, "2026-T1"}})},
		{name: "a closed round is not closed again", given: closed(),
			when: CloseReportingRound{round1}, err: KindRuleViolated, msg: "already closed"},
		{name: "an unknown round is not found", given: opened(),
			when: CloseReportingRound{round2}, err: KindNotFound},
		{name: "a status for the open round is recorded with the round",
			given: opened().admitted(ini1, PhaseExecution),
			when:  green, then: ok(Change{iref(ini1), StatusReported(green)})},
		{name: "a status for a closed round is refused",
			given: closed().admitted(ini1, PhaseExecution),
			when:  green, err: KindRuleViolated, msg: "without a round"},
		{name: "a status for an unknown round is refused",
			given: given().catalogue().admitted(ini1, PhaseExecution),
			when:  green, err: KindRuleViolated, msg: "does not exist"},
	})
}

func TestDependencies(t *testing.T) {
	decl := DeclareDependency{DependencyID: dep1, InitiativeID: ini1, DependsOn: ini2, MilestoneID: ms1,
		NeededBy: "2026-12-31", Description: "Trenger HelseID"}
	both := func() *world {
		return given().catalogue().admitted(ini1, PhaseExecution).admitted(ini2, PhaseExecution).
			add(iref(ini2), MilestonePlanned{InitiativeID: ini2, MilestoneID: ms1, Title: "HelseID 2.0", PlannedDate: "2026-10-01"})
	}
	declared := func() *world {
		return both().add(depRef, DependencyDeclared{dep1, ini1, ini2, ms1, "2026-12-31", "Trenger HelseID"})
	}
	run(t, []spec{
		{name: "a dependency on another initiative's milestone is declared", given: both(),
			when: decl, then: ok(Change{depRef, DependencyDeclared(decl)})},
		{name: "a dependency on an unknown milestone is refused", given: both(),
			when: DeclareDependency{DependencyID: dep1, InitiativeID: ini1, DependsOn: ini2, MilestoneID: ms2, NeededBy: "2026-12-31", Description: "x"},
			err:  KindRuleViolated, msg: "no milestone"},
		{name: "a dependency on an unknown initiative is not found", given: given().catalogue().admitted(ini1, PhaseExecution),
			when: decl, err: KindNotFound},
		{name: "an initiative does not depend on itself",
			when: DeclareDependency{DependencyID: dep1, InitiativeID: ini1, DependsOn: ini1, NeededBy: "2026-12-31", Description: "x"},
			err:  KindInvalid, fields: []string{"dependsOn"}},
		{name: "a dependency is removed", given: declared(),
			when: RemoveDependency{dep1, "Løst"}, then: ok(Change{depRef, DependencyRemoved{dep1, ini1, "Løst"}})},
		{name: "a removed dependency is not removed again",
			given: declared().add(depRef, DependencyRemoved{dep1, ini1, "Løst"}),
			when:  RemoveDependency{dep1, "Igjen"}, err: KindRuleViolated},
	})
}

// The policy's decision: at risk when the milestone is planned after the
// date it is needed by or the initiative stops; cleared when that goes
// away; nothing when nothing changes.
func TestAssessDependency(t *testing.T) {
	dep := &DependencyState{ID: dep1, Version: 1, InitiativeID: ini1, DependsOn: ini2, MilestoneID: ms1, NeededBy: "2026-12-31"}
	on := func(lc Lifecycle, st MilestoneStatus, planned Date) *InitiativeState {
		return &InitiativeState{ID: ini2, Version: 3, Title: "HelseID", Lifecycle: lc,
			Milestones: []Milestone{{ID: ms1, Title: "HelseID 2.0", Status: st, PlannedDate: planned}}}
	}
	atRisk := *dep
	atRisk.AtRisk = true
	removed := *dep
	removed.Removed = true
	cases := []struct {
		name string
		dep  *DependencyState
		on   *InitiativeState
		want string
	}{
		{"planned in time: nothing", dep, on(LifecycleInPortfolio, MilestonePlannedStatus, "2026-12-31"), ""},
		{"slipped past neededBy: at risk", dep, on(LifecycleInPortfolio, MilestoneSlippedStatus, "2027-01-01"), "DependencyAtRisk"},
		{"paused: at risk", dep, on(LifecyclePaused, MilestonePlannedStatus, "2026-10-01"), "DependencyAtRisk"},
		{"cancelled: at risk", dep, on(LifecycleCancelled, MilestonePlannedStatus, "2026-10-01"), "DependencyAtRisk"},
		{"already at risk: nothing more", &atRisk, on(LifecycleInPortfolio, MilestoneSlippedStatus, "2027-05-01"), ""},
		{"achieved: cleared", &atRisk, on(LifecycleInPortfolio, MilestoneAchievedStatus, "2027-05-01"), "DependencyRiskCleared"},
		{"resumed in time: cleared", &atRisk, on(LifecycleInPortfolio, MilestonePlannedStatus, "2026-10-01"), "DependencyRiskCleared"},
		{"removed: nothing", &removed, on(LifecycleCancelled, MilestonePlannedStatus, "2026-10-01"), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ev := AssessDependency(c.dep, c.on, eventID(9), "MilestoneSlipped")
			got := ""
			if ev != nil {
				got = ev.EventType()
			}
			if got != c.want {
				t.Fatalf("AssessDependency = %v, want %s", ev, c.want)
			}
			if a, ok := ev.(DependencyAtRisk); ok && (a.CauseEventID != eventID(9) || a.Reason == "") {
				t.Errorf("DependencyAtRisk without its cause or reason: %+v", a)
			}
		})
	}
}
