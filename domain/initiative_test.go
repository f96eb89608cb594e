package domain

import "testing"

func TestStrategyRules(t *testing.T) {
	run(t, []spec{
		{
			name: "a goal is defined in an empty catalogue",
			when: DefineStrategicGoal{GoalID: "M1", Strategy: "2023-2030", Title: "Aktiv medvirkning"},
			then: ok(Change{catRef, StrategicGoalDefined{"M1", "2023-2030", "Aktiv medvirkning"}}),
		},
		{
			name:  "a goal of an earlier strategy is defined beside the current one",
			given: given().catalogue(),
			when:  DefineStrategicGoal{GoalID: "S2", Strategy: "2017-2022", Title: "Innsatsområde 2"},
			then:  ok(Change{catRef, StrategicGoalDefined{"S2", "2017-2022", "Innsatsområde 2"}}),
		},
		{
			name:  "a goal id is defined once",
			given: given().catalogue(),
			when:  DefineStrategicGoal{GoalID: "M1", Strategy: "2023-2030", Title: "Igjen"},
			err:   KindRuleViolated, msg: "already defined",
		},
		{
			name:  "goal ids are unique across strategies",
			given: given().catalogue(),
			when:  DefineStrategicGoal{GoalID: "S1", Strategy: "2023-2030", Title: "Ny"},
			err:   KindRuleViolated,
		},
		{
			name:  "a sub-goal takes its strategy from its goal",
			given: given().catalogue(),
			when:  DefineSubGoal{SubGoalID: "2B", GoalID: "M2", Title: "Illustrativt 2B"},
			then:  ok(Change{catRef, SubGoalDefined{"2B", "M2", "2023-2030", "Illustrativt 2B"}}),
		},
		{
			name:  "a sub-goal needs its goal",
			given: given().catalogue(),
			when:  DefineSubGoal{SubGoalID: "5A", GoalID: "M5", Title: "x"},
			err:   KindRuleViolated, msg: "goal M5 is not defined",
		},
		{
			name: "a sub-goal needs its goal in an empty catalogue",
			when: DefineSubGoal{SubGoalID: "1A", GoalID: "M1", Title: "x"},
			err:  KindRuleViolated,
		},
		{
			name:  "a sub-goal id is defined once, across goals",
			given: given().catalogue(),
			when:  DefineSubGoal{SubGoalID: "1A", GoalID: "M2", Title: "x"},
			err:   KindRuleViolated, msg: "already defined",
		},
		{
			name: "a goal needs a code, a strategy period and a title",
			when: DefineStrategicGoal{GoalID: "M 1", Strategy: "2023–2030"},
			err:  KindInvalid, fields: []string{"goalId", "strategy", "title"},
		},
	})
}

func TestProposeInitiative(t *testing.T) {
	full := defaultProposal
	full.SubGoals = []string{"2A", "1A", "1B", "2A"}
	full.UserGroups = []string{"innbyggere", " kommuner ", "Innbyggere", "fastleger"}
	full.EstimatedCostNOK = i64(cost)
	withPhase := defaultProposal
	withPhase.Phase = PhaseExecution
	unknownSub := defaultProposal
	unknownSub.SubGoals = []string{"1B", "9Z", "9Z"}
	unknownPrimary := defaultProposal
	unknownPrimary.PrimarySubGoal = "9Z"
	reversed := defaultProposal
	reversed.PlannedEnd = "2023-12-31"
	bad := defaultProposal
	bad.InitiativeID, bad.Phase, bad.EstimatedCostNOK = "not-an-id", PhaseClosed, i64(-1)
	bad.SubGoals, bad.UserGroups = []string{"1A", ""}, []string{"\x00"}
	badDate := defaultProposal
	badDate.PlannedStart, badDate.PlannedEnd = "2026-02-30", "26-01-01"

	run(t, []spec{
		{
			name:  "a proposal resolves the primary goal, de-duplicates sub-goals without the primary and user groups",
			given: given().catalogue(),
			when:  &full,
			then: ok(Change{iref(ini1), InitiativeProposed{
				InitiativeID: ini1, Title: full.Title, Description: full.Description, Owner: full.Owner,
				PrimarySubGoal: "1A", PrimaryGoal: "M1", SubGoals: []string{"2A", "1B"},
				UserGroups:   []string{"innbyggere", "kommuner", "fastleger"},
				PlannedStart: "2024-01-01", PlannedEnd: "2027-12-31", EstimatedCostNOK: i64(cost), Phase: PhaseConcept,
			}}),
		},
		{
			name:  "a proposal may name a later phase",
			given: given().catalogue(),
			when:  withPhase,
			then: ok(Change{iref(ini1), InitiativeProposed{
				InitiativeID: ini1, Title: full.Title, Description: full.Description, Owner: full.Owner,
				PrimarySubGoal: "1A", PrimaryGoal: "M1", SubGoals: []string{}, UserGroups: []string{},
				PlannedStart: "2024-01-01", PlannedEnd: "2027-12-31", Phase: PhaseExecution,
			}}),
		},
		{
			name:  "an initiative id is proposed once",
			given: given().catalogue().proposed(ini1, ""),
			when:  defaultProposal,
			err:   KindRuleViolated, msg: "already exists",
		},
		{
			name:  "the primary sub-goal must be in the catalogue",
			given: given().catalogue(),
			when:  unknownPrimary,
			err:   KindRuleViolated, msg: "9Z",
		},
		{
			name:  "every other sub-goal must be in the catalogue",
			given: given().catalogue(),
			when:  unknownSub,
			err:   KindRuleViolated, msg: "sub-goals 9Z are not",
		},
		{
			name: "an empty catalogue has no sub-goals",
			when: defaultProposal,
			err:  KindRuleViolated,
		},
		{
			name: "a proposal needs title, description, owner, primary sub-goal and planned span",
			when: ProposeInitiative{InitiativeID: ini1},
			err:  KindInvalid, fields: []string{"title", "description", "owner", "primarySubGoal", "plannedStart", "plannedEnd"},
		},
		{
			name: "the planned end is not before the planned start",
			when: reversed,
			err:  KindInvalid, fields: []string{"plannedEnd"},
		},
		{
			name: "dates are real dates",
			when: badDate,
			err:  KindInvalid, fields: []string{"plannedStart", "plannedEnd"},
		},
		{
			name: "ids, codes, user groups, cost and phase are checked",
			when: bad,
			err:  KindInvalid, fields: []string{"initiativeId", "subGoals[1]", "userGroups[0]", "estimatedCostNOK", "phase"},
		},
	})
}

func TestInitiativeLifecycle(t *testing.T) {
	inPortfolio := func() *world { return given().catalogue().admitted(ini1, PhaseExecution) }
	paused := func() *world { return inPortfolio().add(iref(ini1), InitiativePaused{ini1, "Avventer finansiering"}) }
	closed := func() *world {
		return given().catalogue().admitted(ini1, PhaseRollout).add(iref(ini1), InitiativeClosed{ini1, "Sluttrapport"})
	}
	cancelled := func() *world { return inPortfolio().add(iref(ini1), InitiativeCancelled{ini1, "Avbrutt"}) }
	withdrawn := func() *world {
		return given().catalogue().proposed(ini1, "").add(iref(ini1), InitiativeWithdrawn{ini1, "Trukket"})
	}
	rejected := func() *world {
		return given().catalogue().proposed(ini1, "").add(iref(ini1), InitiativeRejected{ini1, case1, mEHR})
	}
	r := iref(ini1)

	run(t, []spec{
		// withdraw
		{name: "a proposed initiative is withdrawn", given: given().catalogue().proposed(ini1, ""),
			when: WithdrawInitiative{ini1, "Trukket"}, then: ok(Change{r, InitiativeWithdrawn{ini1, "Trukket"}})},
		{name: "an admitted initiative is not withdrawn", given: inPortfolio(),
			when: WithdrawInitiative{ini1, "Trukket"}, err: KindRuleViolated, msg: "only a proposed initiative"},
		{name: "a withdrawn initiative is not withdrawn again", given: withdrawn(),
			when: WithdrawInitiative{ini1, "Igjen"}, err: KindRuleViolated},
		{name: "withdrawing an unknown initiative is not found",
			when: WithdrawInitiative{ini2, "x"}, err: KindNotFound},
		{name: "a withdrawal needs a reason",
			when: WithdrawInitiative{InitiativeID: ini1}, err: KindInvalid, fields: []string{"reason"}},

		// pause and resume
		{name: "an initiative in the portfolio is paused", given: inPortfolio(),
			when: PauseInitiative{ini1, "Stans"}, then: ok(Change{r, InitiativePaused{ini1, "Stans"}})},
		{name: "a paused initiative is not paused again", given: paused(),
			when: PauseInitiative{ini1, "Stans"}, err: KindRuleViolated, msg: "already paused"},
		{name: "a proposed initiative is not paused", given: given().catalogue().proposed(ini1, ""),
			when: PauseInitiative{ini1, "Stans"}, err: KindRuleViolated},
		{name: "a paused initiative is resumed", given: paused(),
			when: ResumeInitiative{ini1, "Videre"}, then: ok(Change{r, InitiativeResumed{ini1, "Videre"}})},
		{name: "a running initiative is not resumed", given: inPortfolio(),
			when: ResumeInitiative{ini1, "Videre"}, err: KindRuleViolated, msg: "only a paused initiative"},
		{name: "a cancelled initiative is not resumed", given: cancelled(),
			when: ResumeInitiative{ini1, "Videre"}, err: KindRuleViolated},

		// close
		{name: "an initiative in rollout is closed", given: given().catalogue().admitted(ini1, PhaseRollout),
			when: CloseInitiative{ini1, "Sluttrapport"}, then: ok(Change{r, InitiativeClosed{ini1, "Sluttrapport"}})},
		{name: "an initiative before rollout is not closed", given: inPortfolio(),
			when: CloseInitiative{ini1, "Sluttrapport"}, err: KindRuleViolated, msg: "only an initiative in rollout"},
		{name: "a paused initiative is not closed",
			given: given().catalogue().admitted(ini1, PhaseRollout).add(r, InitiativePaused{ini1, "Stans"}),
			when:  CloseInitiative{ini1, "Sluttrapport"}, err: KindRuleViolated, msg: "paused"},
		{name: "a proposed initiative is not closed", given: given().catalogue().proposed(ini1, PhaseRollout),
			when: CloseInitiative{ini1, "Sluttrapport"}, err: KindRuleViolated},
		{name: "a closed initiative is not closed again", given: closed(),
			when: CloseInitiative{ini1, "Igjen"}, err: KindRuleViolated, msg: "is closed"},
		{name: "closing needs a final report",
			when: CloseInitiative{InitiativeID: ini1, FinalReport: " "}, err: KindInvalid, fields: []string{"finalReport"}},

		// cancel
		{name: "an initiative in the portfolio is cancelled", given: inPortfolio(),
			when: CancelInitiative{ini1, "Avbrutt"}, then: ok(Change{r, InitiativeCancelled{ini1, "Avbrutt"}})},
		{name: "a paused initiative is cancelled", given: paused(),
			when: CancelInitiative{ini1, "Avbrutt"}, then: ok(Change{r, InitiativeCancelled{ini1, "Avbrutt"}})},
		{name: "a proposed initiative is not cancelled", given: given().catalogue().proposed(ini1, ""),
			when: CancelInitiative{ini1, "Avbrutt"}, err: KindRuleViolated, msg: "withdrawn"},
		{name: "a cancelled initiative is not cancelled again", given: cancelled(),
			when: CancelInitiative{ini1, "Avbrutt"}, err: KindRuleViolated},
		{name: "a closed initiative is not cancelled", given: closed(),
			when: CancelInitiative{ini1, "Avbrutt"}, err: KindRuleViolated},
		{name: "a rejected initiative is not cancelled", given: rejected(),
			when: CancelInitiative{ini1, "Avbrutt"}, err: KindRuleViolated},
		{name: "cancelling an unknown initiative is not found",
			when: CancelInitiative{ini2, "x"}, err: KindNotFound},
	})
}

func TestReportStatus(t *testing.T) {
	inPortfolio := func() *world { return given().catalogue().admitted(ini1, PhaseExecution) }
	reported := func() *world {
		return inPortfolio().add(iref(ini1), StatusReported{ini1, "2026-02-01", Green, Green, Green, Green, "", ""})
	}
	green := func(d Date) ReportStatus { return ReportStatus{ini1, d, Green, Green, Green, Green, "", ""} }
	r := iref(ini1)
	run(t, []spec{
		{name: "an initiative in the portfolio reports status", given: inPortfolio(),
			when: ReportStatus{ini1, "2026-03-01", Green, Yellow, Green, Red, "Forsinket leveranse", ""},
			then: ok(Change{r, StatusReported{ini1, "2026-03-01", Green, Yellow, Green, Red, "Forsinket leveranse", ""}})},
		{name: "a paused initiative reports status",
			given: inPortfolio().add(r, InitiativePaused{ini1, "Stans"}),
			when:  green("2026-03-01"), then: ok(Change{r, StatusReported(green("2026-03-01"))})},
		{name: "a later report follows an earlier one", given: reported(),
			when: green("2026-05-01"), then: ok(Change{r, StatusReported(green("2026-05-01"))})},
		{name: "a report may have the previous report's date", given: reported(),
			when: green("2026-02-01"), then: ok(Change{r, StatusReported(green("2026-02-01"))})},
		{name: "a report is not dated before the previous one", given: reported(),
			when: green("2026-01-31"), err: KindRuleViolated, msg: "2026-02-01"},
		{name: "a proposed initiative does not report status", given: given().catalogue().proposed(ini1, ""),
			when: green("2026-03-01"), err: KindRuleViolated, msg: "proposed"},
		{name: "a closed initiative does not report status",
			given: given().catalogue().admitted(ini1, PhaseRollout).add(r, InitiativeClosed{ini1, "Slutt"}),
			when:  green("2026-03-01"), err: KindRuleViolated, msg: "closed"},
		{name: "a cancelled initiative does not report status",
			given: inPortfolio().add(r, InitiativeCancelled{ini1, "Avbrutt"}),
			when:  green("2026-03-01"), err: KindRuleViolated},
		{name: "an unknown initiative does not report", when: green("2026-03-01"), err: KindNotFound},
		{name: "yellow or red needs a comment",
			when: ReportStatus{ini1, "2026-03-01", Green, Green, Yellow, Green, "  ", ""},
			err:  KindInvalid, fields: []string{"comment"}},
		{name: "the lights and date are required and checked",
			when: ReportStatus{InitiativeID: ini1, Overall: "amber", Schedule: Green, Cost: Green},
			err:  KindInvalid, fields: []string{"reportDate", "overall", "benefit"}},
	})
}

func TestReportMilestone(t *testing.T) {
	inPortfolio := func() *world { return given().catalogue().admitted(ini1, PhaseExecution) }
	planned := func() *world {
		return inPortfolio().add(iref(ini1), MilestonePlanned{ini1, ms1, "Pilot i drift", "2026-06-01"})
	}
	slipped := func() *world {
		return planned().add(iref(ini1), MilestoneSlipped{ini1, ms1, "2026-06-01", "2026-09-01"})
	}
	achieved := func() *world {
		return planned().add(iref(ini1), MilestoneAchieved{ini1, ms1, "2026-05-28"})
	}
	plan := ReportMilestone{InitiativeID: ini1, MilestoneID: ms2, Title: "Nasjonal spredning", Status: MilestonePlannedStatus, PlannedDate: "2027-01-01"}
	achieve := ReportMilestone{InitiativeID: ini1, MilestoneID: ms1, Status: MilestoneAchievedStatus, AchievedDate: "2026-05-28"}
	slip := func(to Date) ReportMilestone {
		return ReportMilestone{InitiativeID: ini1, MilestoneID: ms1, Status: MilestoneSlippedStatus, NewPlannedDate: to}
	}
	r := iref(ini1)
	run(t, []spec{
		{name: "a milestone is planned with the id of the command", given: planned(), when: plan,
			then: ok(Change{r, MilestonePlanned{ini1, ms2, "Nasjonal spredning", "2027-01-01"}})},
		{name: "milestone ids are unique", given: planned(),
			when: ReportMilestone{InitiativeID: ini1, MilestoneID: ms1, Title: "x", Status: MilestonePlannedStatus, PlannedDate: "2027-01-01"},
			err:  KindRuleViolated, msg: "already has milestone"},
		{name: "a planned milestone is achieved", given: planned(), when: achieve,
			then: ok(Change{r, MilestoneAchieved{ini1, ms1, "2026-05-28"}})},
		{name: "a slipped milestone is achieved", given: slipped(), when: achieve,
			then: ok(Change{r, MilestoneAchieved{ini1, ms1, "2026-05-28"}})},
		{name: "an achieved milestone is not achieved again", given: achieved(), when: achieve,
			err: KindRuleViolated, msg: "was achieved"},
		{name: "an unknown milestone is not achieved", given: inPortfolio(), when: achieve,
			err: KindRuleViolated, msg: "has no milestone"},
		{name: "a planned milestone slips with its previous date", given: planned(), when: slip("2026-08-01"),
			then: ok(Change{r, MilestoneSlipped{ini1, ms1, "2026-06-01", "2026-08-01"}})},
		{name: "a slipped milestone slips again from its new date", given: slipped(), when: slip("2026-12-01"),
			then: ok(Change{r, MilestoneSlipped{ini1, ms1, "2026-09-01", "2026-12-01"}})},
		{name: "a slip moves a milestone later", given: planned(), when: slip("2026-06-01"),
			err: KindRuleViolated, msg: "later"},
		{name: "an achieved milestone does not slip", given: achieved(), when: slip("2026-12-01"),
			err: KindRuleViolated},
		{name: "an unknown milestone does not slip", given: inPortfolio(), when: slip("2026-12-01"),
			err: KindRuleViolated},
		{name: "a paused initiative reports no milestones",
			given: planned().add(r, InitiativePaused{ini1, "Stans"}), when: achieve,
			err: KindRuleViolated, msg: "paused"},
		{name: "a proposed initiative reports no milestones", given: given().catalogue().proposed(ini1, ""), when: plan,
			err: KindRuleViolated, msg: "proposed"},
		{name: "a closed initiative reports no milestones",
			given: given().catalogue().admitted(ini1, PhaseRollout).add(r, InitiativeClosed{ini1, "Slutt"}), when: plan,
			err: KindRuleViolated, msg: "closed"},
		{name: "a withdrawn initiative reports no milestones",
			given: given().catalogue().proposed(ini1, "").add(r, InitiativeWithdrawn{ini1, "x"}), when: plan,
			err: KindRuleViolated, msg: "withdrawn"},
		{name: "an unknown initiative reports no milestones", when: plan, err: KindNotFound},
		{name: "planning needs a title and a planned date",
			when: ReportMilestone{InitiativeID: ini1, Status: MilestonePlannedStatus, AchievedDate: "2026-01-01"},
			err:  KindInvalid, fields: []string{"title", "plannedDate", "achievedDate"}},
		{name: "achieving needs the milestone and the date",
			when: ReportMilestone{InitiativeID: ini1, Status: MilestoneAchievedStatus},
			err:  KindInvalid, fields: []string{"milestoneId", "achievedDate"}},
		{name: "slipping needs the milestone and the new date",
			when: ReportMilestone{InitiativeID: ini1, Status: MilestoneSlippedStatus, PlannedDate: "2026-01-01"},
			err:  KindInvalid, fields: []string{"milestoneId", "newPlannedDate", "plannedDate"}},
		{name: "the status is required",
			when: ReportMilestone{InitiativeID: ini1},
			err:  KindInvalid, fields: []string{"status"}},
	})
}
