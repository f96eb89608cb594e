package domain

// Representative, fully populated values: the golden files pin the events'
// JSON, and the fuzzers start from the JSON of both.

const (
	sampleInitiative = "01JDQ6Z3V7M8W0X8PVRBQ5N2E4"
	sampleCase       = "01JDQ7A1B2C3D4E5F6G7H8J9K0"
	sampleMeeting    = "01JDQ7MEETNGS0NXVT2026X001"
	sampleMilestone  = "01JDQ8M1ME5TNE0000000000A1"
	sampleEvent      = "01JDQ9EVENT00000000000000Q"

	sampleConsultation = "01JDQAC0NSXTAT10N000000001"
	sampleResponse     = "01JDQAR0SP0NSE000000000002"
	sampleResponseOld  = "01JDQAR0SP0NSE000000000001"
)

func eventSamples() map[string]Event {
	dec := Decision{CaseID: sampleCase, MeetingID: sampleMeeting, Forum: EHR, MeetingLabel: "3/2026",
		MeetingDate: "2026-06-11", CaseNumber: "15/26"}
	nuit := dec
	nuit.Forum, nuit.CaseNumber = NUIT, "22/26"
	cost := int64(250_000_000)
	return map[string]Event{
		"StrategicGoalDefined": StrategicGoalDefined{GoalID: "M1", Strategy: "2023-2030", Title: "Aktiv medvirkning i egen og næres helse"},
		"SubGoalDefined": SubGoalDefined{SubGoalID: "1A", GoalID: "M1", Strategy: "2023-2030",
			Title: "Innbygger skal ha mulighet for å administrere behandlingsforløp, digital dialog og innsynstjenester gjennom Helsenorge"},
		"InitiativeProposed": InitiativeProposed{
			InitiativeID: sampleInitiative, Title: "Digital hjemmeoppfølging",
			Description: "Spredning av digital hjemmeoppfølging til 19 helsefellesskap.", Owner: "Helse Sør-Øst RHF",
			PrimarySubGoal: "1A", PrimaryGoal: "M1", SubGoals: []string{"2A", "4B"},
			UserGroups:   []string{"innbyggere", "kommuner", "helseforetak"},
			PlannedStart: "2024-01-01", PlannedEnd: "2027-12-31", EstimatedCostNOK: &cost, Phase: PhaseConcept,
		},
		"InitiativeWithdrawn":    InitiativeWithdrawn{InitiativeID: sampleInitiative, Reason: "Slått sammen med et annet tiltak"},
		"InitiativeAdmitted":     InitiativeAdmitted{InitiativeID: sampleInitiative, CaseID: sampleCase, MeetingID: sampleMeeting, Phase: PhaseConcept},
		"InitiativeRejected":     InitiativeRejected{InitiativeID: sampleInitiative, CaseID: sampleCase, MeetingID: sampleMeeting},
		"InitiativePhaseChanged": InitiativePhaseChanged{InitiativeID: sampleInitiative, From: PhasePlanning, To: PhaseExecution, CaseID: sampleCase, MeetingID: sampleMeeting},
		"StatusReported": StatusReported{InitiativeID: sampleInitiative, ReportDate: "2026-04-01", Overall: Yellow,
			Schedule: Red, Cost: Green, Benefit: Green, Comment: "Leveransen fra leverandør er forsinket tre måneder."},
		"MilestonePlanned":  MilestonePlanned{InitiativeID: sampleInitiative, MilestoneID: sampleMilestone, Title: "Pilot i tre kommuner", PlannedDate: "2026-09-01"},
		"MilestoneAchieved": MilestoneAchieved{InitiativeID: sampleInitiative, MilestoneID: sampleMilestone, AchievedDate: "2026-11-20"},
		"MilestoneSlipped": MilestoneSlipped{InitiativeID: sampleInitiative, MilestoneID: sampleMilestone,
			PreviousPlannedDate: "2026-09-01", NewPlannedDate: "2026-12-01"},
		"InitiativePaused":    InitiativePaused{InitiativeID: sampleInitiative, Reason: "Avventer finansiering"},
		"InitiativeResumed":   InitiativeResumed{InitiativeID: sampleInitiative, Reason: "Finansiering på plass"},
		"InitiativeClosed":    InitiativeClosed{InitiativeID: sampleInitiative, FinalReport: "Sluttrapport: gevinstene er realisert."},
		"InitiativeCancelled": InitiativeCancelled{InitiativeID: sampleInitiative, Reason: "Erstattet av nasjonal løsning"},
		"MeetingScheduled":    MeetingScheduled{MeetingID: sampleMeeting, Forum: EHR, Date: "2026-06-11", Year: 2026, Number: 3, Label: "3/2026"},
		"MeetingHeld":         MeetingHeld{MeetingID: sampleMeeting, Forum: EHR, Label: "3/2026"},
		"CaseRegistered": CaseRegistered{CaseID: sampleCase, Forum: NUIT, Title: "Digital hjemmeoppfølging: faseovergang til gjennomføring",
			CaseType: CaseApproval, Purpose: PurposePhaseGate, InitiativeID: sampleInitiative, TargetPhase: PhaseExecution,
			ProposedResolution: "Nasjonalt e-helseråd gir sin tilslutning til at tiltaket går over i gjennomføringsfasen.",
			ArchiveRef:         "22/414-1"},
		"CasePlacedOnAgenda": CasePlacedOnAgenda{CaseID: sampleCase, MeetingID: sampleMeeting, Forum: EHR, MeetingLabel: "3/2026",
			MeetingDate: "2026-06-11", Year: 2026, Number: 15, CaseNumber: "15/26"},
		"CaseNoted":       CaseNoted{Decision: dec, Remarks: "Rådet tok saken til orientering."},
		"CaseDiscussed":   CaseDiscussed{Decision: dec, Remarks: "Rådet drøftet gevinstrealiseringen."},
		"CaseRecommended": CaseRecommended{Decision: nuit, Resolution: "NUIT anbefaler faseovergangen.", Conditions: "Forutsetter avklart finansiering."},
		"CaseApproved":    CaseApproved{Decision: dec, Resolution: "Rådet gir sin tilslutning."},
		"CaseRejected":    CaseRejected{Decision: dec, Resolution: "Rådet gir ikke sin tilslutning."},
		"CaseDeferred":    CaseDeferred{Decision: nuit, Reason: "Saken utsettes til neste møte."},
		"DecisionCorrected": DecisionCorrected{CaseID: sampleCase, CorrectsEventID: sampleEvent, CorrectedType: "CaseApproved",
			Forum: EHR, MeetingID: sampleMeeting, Reason: "Feil i vedtaksteksten", Resolution: "Rådet gir sin tilslutning med endringene."},
		"MeetingNumberAssigned": MeetingNumberAssigned{Forum: EHR, Year: 2026, Number: 3, MeetingID: sampleMeeting},
		"CaseNumberAssigned": CaseNumberAssigned{Forum: EHR, Year: 2026, Number: 15, CaseNumber: "15/26",
			CaseID: sampleCase, MeetingID: sampleMeeting},

		"IndicatorDefined": IndicatorDefined{IndicatorID: sampleIndicator, GoalID: "M1", SubGoalID: "1A",
			Name: "Andel innbyggere som bruker digital dialog (illustrativ)", Unit: "prosent", Direction: Increase,
			Baseline: Measure{Value: 42.5, Date: "2023-12-31"}, Target: Measure{Value: 80, Date: "2030-12-31"},
			Source: "Illustrativt eksempel"},
		"IndicatorValueRecorded": IndicatorValueRecorded{IndicatorID: sampleIndicator, Period: "2026-H1", PeriodEnd: "2026-06-30",
			Value: 51.2, Source: "Helsedirektoratet", Comment: "Foreløpig tall"},
		"IndicatorValueCorrected": IndicatorValueCorrected{IndicatorID: sampleIndicator, Period: "2026-H1", PeriodEnd: "2026-06-30",
			Value: 52.1, PreviousValue: 51.2, Reason: "Endelig tall", Source: "Helsedirektoratet", Comment: "Endelig"},
		"ReportingRoundOpened": ReportingRoundOpened{RoundID: sampleRound, Label: "2026-T3", PeriodEnd: "2026-08-31", Deadline: "2026-09-15"},
		"ReportingRoundClosed": ReportingRoundClosed{RoundID: sampleRound, Label: "2026-T3"},
		"DependencyDeclared": DependencyDeclared{DependencyID: sampleDependency, InitiativeID: sampleInitiative,
			DependsOn: sampleOtherInitiative, MilestoneID: sampleMilestone, NeededBy: "2026-12-31",
			Description: "Trenger HelseID for innlogging"},
		"DependencyRemoved": DependencyRemoved{DependencyID: sampleDependency, InitiativeID: sampleInitiative, Reason: "Løst på annen måte"},
		"DependencyAtRisk": DependencyAtRisk{DependencyID: sampleDependency, InitiativeID: sampleInitiative,
			DependsOn: sampleOtherInitiative, MilestoneID: sampleMilestone, NeededBy: "2026-12-31",
			Reason:       `milestone "Pilot" of "HelseID" is planned for 2027-03-01, after 2026-12-31 when it is needed`,
			CauseEventID: sampleEvent, CauseType: "MilestoneSlipped"},
		"DependencyRiskCleared": DependencyRiskCleared{DependencyID: sampleDependency, InitiativeID: sampleInitiative,
			DependsOn: sampleOtherInitiative, CauseEventID: sampleEvent, CauseType: "MilestoneAchieved"},

		"ConsultationOpened": ConsultationOpened{ConsultationID: sampleConsultation,
			Title: "Nasjonal e-helsestrategi for helse- og omsorgssektoren", Description: "Forslag til strategi 2023–2030.",
			ArchiveRef: "22/414", DocumentURL: "https://www.ehelse.no/horinger/strategi.pdf",
			Questions:     []string{"Kan dere stille dere bak de fem strategiske målene?", "Har dere tilbakemeldinger på prosessen?"},
			InvitedBodies: []string{"Alle landets kommuner", "De regionale helseforetakene"},
			OpenedDate:    "2022-05-31", Deadline: "2022-10-01"},
		"BodiesInvited": BodiesInvited{ConsultationID: sampleConsultation, Bodies: []string{"Eksempelforeningen (illustrativ)"}},
		"ConsultationResponseRegistered": ConsultationResponseRegistered{ConsultationID: sampleConsultation,
			ResponseID: sampleResponse, Organisation: "Eksempelkommune (illustrativ)", ReceivedDate: "2022-10-03",
			Answers:  []Answer{{Question: 1, Text: "Illustrativt svar: ja."}, {Question: 2, Text: "Illustrativt svar: ingen."}},
			Comments: "Illustrativt svar: ingen andre merknader.", DocumentURL: "https://example.org/svar.pdf",
			Late: true, Replaces: sampleResponseOld, ContactSealed: "v1.c2VhbGVk"},
		"ConsultationResponseReplaced": ConsultationResponseReplaced{ConsultationID: sampleConsultation,
			ResponseID: sampleResponseOld, ReplacedBy: sampleResponse, Organisation: "Eksempelkommune (illustrativ)"},
		"ConsultationResponsePublished": ConsultationResponsePublished{ConsultationID: sampleConsultation,
			ResponseID: sampleResponse, Organisation: "Eksempelkommune (illustrativ)"},
		"ConsultationClosed": ConsultationClosed{ConsultationID: sampleConsultation,
			Summary: "Illustrativt sammendrag.", ResultingCaseID: sampleCase},
	}
}

const (
	sampleIndicator       = "01JDQA1NDKATR0000000000001"
	sampleRound           = "01JDQBR0VND000000000000001"
	sampleDependency      = "01JDQCDEPEND0000000000000A"
	sampleOtherInitiative = "01JDQDHE11D000000000000000"
)

// eventVariants are further shapes of an event type, for optional fields
// added later: each is pinned by testdata/events/<type>.<variant>.json,
// keyed "<type>.<variant>". Together with the sample of the type they
// populate every field.
func eventVariants() map[string]Event {
	placed := eventSamples()["CasePlacedOnAgenda"].(CasePlacedOnAgenda)
	placed.Forum, placed.SentBack = NUIT, true
	status := eventSamples()["StatusReported"].(StatusReported)
	status.RoundID = sampleRound
	return map[string]Event{
		"CasePlacedOnAgenda.sentBack": placed,
		"StatusReported.round":        status,
	}
}

func commandSamples() map[string]Command {
	cost := int64(250_000_000)
	return map[string]Command{
		"DefineStrategicGoal": &DefineStrategicGoal{GoalID: "M1", Strategy: "2023-2030", Title: "Aktiv medvirkning"},
		"DefineSubGoal":       &DefineSubGoal{SubGoalID: "1A", GoalID: "M1", Title: "Helsenorge"},
		"ProposeInitiative": &ProposeInitiative{InitiativeID: sampleInitiative, Title: "Digital hjemmeoppfølging",
			Description: "Spredning.", Owner: "Helse Sør-Øst RHF", PrimarySubGoal: "1A", SubGoals: []string{"2A"},
			UserGroups: []string{"innbyggere"}, PlannedStart: "2024-01-01", PlannedEnd: "2027-12-31",
			EstimatedCostNOK: &cost, Phase: PhasePlanning},
		"WithdrawInitiative": &WithdrawInitiative{InitiativeID: sampleInitiative, Reason: "Trukket"},
		"ReportStatus": &ReportStatus{InitiativeID: sampleInitiative, ReportDate: "2026-04-01", Overall: Yellow,
			Schedule: Red, Cost: Green, Benefit: Green, Comment: "Forsinket", RoundID: sampleRound},
		"ReportMilestone": &ReportMilestone{InitiativeID: sampleInitiative, MilestoneID: sampleMilestone, Title: "Pilot",
			Status: MilestonePlannedStatus, PlannedDate: "2026-09-01"},
		"PauseInitiative":  &PauseInitiative{InitiativeID: sampleInitiative, Reason: "Stans"},
		"ResumeInitiative": &ResumeInitiative{InitiativeID: sampleInitiative, Reason: "Videre"},
		"CloseInitiative":  &CloseInitiative{InitiativeID: sampleInitiative, FinalReport: "Sluttrapport"},
		"CancelInitiative": &CancelInitiative{InitiativeID: sampleInitiative, Reason: "Avbrutt"},
		"ScheduleMeeting":  &ScheduleMeeting{MeetingID: sampleMeeting, Forum: NUIT, Date: "2026-06-11"},
		"HoldMeeting":      &HoldMeeting{MeetingID: sampleMeeting},
		"RegisterCase": &RegisterCase{CaseID: sampleCase, Forum: NUIT, Title: "Faseovergang", CaseType: CaseApproval,
			Purpose: PurposePhaseGate, InitiativeID: sampleInitiative, TargetPhase: PhaseExecution,
			ProposedResolution: "Tilslutning", ArchiveRef: "22/414-1"},
		"PlaceCaseOnAgenda":  &PlaceCaseOnAgenda{CaseID: sampleCase, MeetingID: sampleMeeting},
		"NoteCase":           &NoteCase{CaseID: sampleCase, MeetingID: sampleMeeting, Remarks: "Orientert"},
		"DiscussCase":        &DiscussCase{CaseID: sampleCase, MeetingID: sampleMeeting, Remarks: "Drøftet"},
		"RecommendInCouncil": &RecommendInCouncil{CaseID: sampleCase, MeetingID: sampleMeeting, Resolution: "Anbefalt", Conditions: "Vilkår"},
		"ApproveInCouncil":   &ApproveInCouncil{CaseID: sampleCase, MeetingID: sampleMeeting, Resolution: "Tilslutning"},
		"RejectInCouncil":    &RejectInCouncil{CaseID: sampleCase, MeetingID: sampleMeeting, Resolution: "Avslått"},
		"DeferCase":          &DeferCase{CaseID: sampleCase, MeetingID: sampleMeeting, Reason: "Utsatt"},
		"CorrectDecision":    &CorrectDecision{CaseID: sampleCase, CorrectsEventID: sampleEvent, Reason: "Feil", Resolution: "Rettet"},

		"DefineIndicator": &DefineIndicator{IndicatorID: sampleIndicator, GoalID: "M1", SubGoalID: "1A", Name: "Digital dialog",
			Unit: "prosent", Direction: Increase, Baseline: Measure{40, "2023-12-31"}, Target: Measure{80, "2030-12-31"}, Source: "KPR"},
		"RecordIndicatorValue": &RecordIndicatorValue{IndicatorID: sampleIndicator, Period: "2026-H1", Value: 52,
			Source: "KPR", Comment: "Endelig", Correction: &Correction{Reason: "Endelig tall"}},
		"OpenReportingRound":  &OpenReportingRound{RoundID: sampleRound, Label: "2026-T3", PeriodEnd: "2026-08-31", Deadline: "2026-09-15"},
		"CloseReportingRound": &CloseReportingRound{RoundID: sampleRound},
		"DeclareDependency": &DeclareDependency{DependencyID: sampleDependency, InitiativeID: sampleInitiative,
			DependsOn: sampleOtherInitiative, MilestoneID: sampleMilestone, NeededBy: "2026-12-31", Description: "HelseID"},
		"RemoveDependency": &RemoveDependency{DependencyID: sampleDependency, Reason: "Løst"},

		"OpenConsultation": &OpenConsultation{ConsultationID: sampleConsultation, Title: "Strategi", Description: "Forslag.",
			ArchiveRef: "22/414", DocumentURL: "https://www.ehelse.no/horing.pdf", Questions: []string{"Enig?"},
			InvitedBodies: []string{"Alle landets kommuner"}, Deadline: "2022-10-01", OpenedDate: "2022-05-31"},
		"InviteToConsultation": &InviteToConsultation{ConsultationID: sampleConsultation, Bodies: []string{"Sametinget"}},
		"RegisterConsultationResponse": &RegisterConsultationResponse{ConsultationID: sampleConsultation, ResponseID: sampleResponse,
			Organisation: "Eksempelkommune (illustrativ)", ReceivedDate: "2022-09-30",
			Answers: []Answer{{Question: 1, Text: "Illustrativt svar: ja."}}, Comments: "Ingen.", Replaces: true},
		"PublishConsultationResponse": &PublishConsultationResponse{ConsultationID: sampleConsultation, ResponseID: sampleResponse},
		"CloseConsultation":           &CloseConsultation{ConsultationID: sampleConsultation, Summary: "Oppsummert.", ResultingCaseID: sampleCase},
	}
}
