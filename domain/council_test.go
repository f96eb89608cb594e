package domain

import "testing"

func TestMeetings(t *testing.T) {
	nuit26 := SeriesRef(NUIT, 2026)
	run(t, []spec{
		{name: "the first meeting of a forum and year is 1/YYYY",
			when: ScheduleMeeting{MeetingID: mNUIT, Forum: NUIT, Date: dNUIT},
			then: ok(
				Change{mref(mNUIT), MeetingScheduled{mNUIT, NUIT, dNUIT, 2026, 1, "1/2026"}},
				Change{nuit26, MeetingNumberAssigned{NUIT, 2026, 1, mNUIT}},
			)},
		{name: "meetings are numbered on from the series",
			given: given().schedule(mNUIT, NUIT, dNUIT).schedule(mNUIT2, NUIT, "2026-03-16"),
			when:  &ScheduleMeeting{MeetingID: mFuture, Forum: NUIT, Date: dFuture},
			then: ok(
				Change{mref(mFuture), MeetingScheduled{mFuture, NUIT, dFuture, 2026, 3, "3/2026"}},
				Change{nuit26, MeetingNumberAssigned{NUIT, 2026, 3, mFuture}},
			)},
		{name: "each forum has its own series",
			given: given().schedule(mNUIT, NUIT, dNUIT),
			when:  ScheduleMeeting{MeetingID: mEHR, Forum: EHR, Date: dEHR},
			then: ok(
				Change{mref(mEHR), MeetingScheduled{mEHR, EHR, dEHR, 2026, 1, "1/2026"}},
				Change{SeriesRef(EHR, 2026), MeetingNumberAssigned{EHR, 2026, 1, mEHR}},
			)},
		{name: "each year has its own series",
			given: given().schedule(mNUIT, NUIT, dNUIT),
			when:  ScheduleMeeting{MeetingID: mNUIT2, Forum: NUIT, Date: "2027-01-20"},
			then: ok(
				Change{mref(mNUIT2), MeetingScheduled{mNUIT2, NUIT, "2027-01-20", 2027, 1, "1/2027"}},
				Change{SeriesRef(NUIT, 2027), MeetingNumberAssigned{NUIT, 2027, 1, mNUIT2}},
			)},
		{name: "a meeting id is scheduled once",
			given: given().schedule(mNUIT, NUIT, dNUIT),
			when:  ScheduleMeeting{MeetingID: mNUIT, Forum: NUIT, Date: dFuture},
			err:   KindRuleViolated, msg: "already exists"},
		{name: "a meeting needs a forum and a date",
			when: ScheduleMeeting{MeetingID: "x", Forum: "NUXX", Date: "2026-13-01"},
			err:  KindInvalid, fields: []string{"meetingId", "forum", "date"}},
		{name: "a meeting is held on its date or later",
			given: given().schedule(mEHR, EHR, dEHR),
			when:  HoldMeeting{mEHR},
			then:  ok(Change{mref(mEHR), MeetingHeld{mEHR, EHR, "1/2026"}})},
		{name: "a meeting is held on its date",
			given: given().schedule(mEHR, EHR, DateOf(now)),
			when:  HoldMeeting{mEHR},
			then:  ok(Change{mref(mEHR), MeetingHeld{mEHR, EHR, "1/2026"}})},
		{name: "a meeting is not held before its date",
			given: given().schedule(mFuture, NUIT, dFuture),
			when:  HoldMeeting{mFuture},
			err:   KindRuleViolated, msg: "before then"},
		{name: "a meeting is held once",
			given: given().held(mEHR, EHR, dEHR),
			when:  HoldMeeting{mEHR},
			err:   KindRuleViolated, msg: "already held"},
		{name: "holding an unknown meeting is not found",
			when: HoldMeeting{mEHR}, err: KindNotFound},
		{name: "holding needs a meeting id",
			when: HoldMeeting{}, err: KindInvalid, fields: []string{"meetingId"}},
	})
}

func TestRegisterCase(t *testing.T) {
	c := func(p Purpose, ini string, target Phase) RegisterCase {
		return RegisterCase{CaseID: case1, Forum: NUIT, Title: "Opptak av tiltaket", CaseType: CaseApproval,
			Purpose: p, InitiativeID: ini, TargetPhase: target, ProposedResolution: "NUIT anbefaler.", ArchiveRef: "22/414-1"}
	}
	registered := func(rc RegisterCase) []Change { return ok(Change{cref(case1), CaseRegistered(rc)}) }
	proposed := func() *world { return given().catalogue().proposed(ini1, "") }
	inConcept := func() *world { return given().catalogue().admitted(ini1, PhaseConcept) }
	run(t, []spec{
		{name: "an admission case is registered for a proposed initiative", given: proposed(),
			when: c(PurposeAdmission, ini1, ""), then: registered(c(PurposeAdmission, ini1, ""))},
		{name: "an admission case is not registered for an admitted initiative", given: inConcept(),
			when: c(PurposeAdmission, ini1, ""), err: KindRuleViolated, msg: "only for a proposed"},
		{name: "an admission case is not registered for a withdrawn initiative",
			given: proposed().add(iref(ini1), InitiativeWithdrawn{ini1, "x"}),
			when:  c(PurposeAdmission, ini1, ""), err: KindRuleViolated},
		{name: "a case for an unknown initiative is not found",
			when: c(PurposeAdmission, ini2, ""), err: KindNotFound},
		{name: "a phase gate case names the next phase", given: inConcept(),
			when: c(PurposePhaseGate, ini1, PhasePlanning), then: registered(c(PurposePhaseGate, ini1, PhasePlanning))},
		{name: "a phase gate case is registered for a paused initiative",
			given: inConcept().add(iref(ini1), InitiativePaused{ini1, "x"}),
			when:  c(PurposePhaseGate, ini1, PhasePlanning), then: registered(c(PurposePhaseGate, ini1, PhasePlanning))},
		{name: "a phase gate case does not jump a phase", given: inConcept(),
			when: c(PurposePhaseGate, ini1, PhaseExecution), err: KindRuleViolated, msg: "one step forward"},
		{name: "a phase gate case does not go back",
			given: given().catalogue().admitted(ini1, PhaseExecution),
			when:  c(PurposePhaseGate, ini1, PhasePlanning), err: KindRuleViolated},
		{name: "a phase gate case is not registered for a proposed initiative", given: proposed(),
			when: c(PurposePhaseGate, ini1, PhasePlanning), err: KindRuleViolated, msg: "in the portfolio"},
		{name: "a phase gate case is not registered for a closed initiative",
			given: given().catalogue().admitted(ini1, PhaseRollout).add(iref(ini1), InitiativeClosed{ini1, "x"}),
			when:  c(PurposePhaseGate, ini1, PhaseRollout), err: KindRuleViolated},
		{name: "a prioritisation case needs no initiative",
			when: c(PurposePrioritisation, "", ""), then: registered(c(PurposePrioritisation, "", ""))},
		{name: "a case about a closed initiative may be registered",
			given: given().catalogue().admitted(ini1, PhaseRollout).add(iref(ini1), InitiativeClosed{ini1, "x"}),
			when:  c(PurposeOther, ini1, ""), then: registered(c(PurposeOther, ini1, ""))},
		{name: "a case id is registered once", given: given().register(case1, NUFA, CaseDiscussion, PurposeOther, "", ""),
			when: c(PurposePrioritisation, "", ""), err: KindRuleViolated, msg: "already exists"},
		{name: "a phase gate case needs an initiative and a target phase",
			when: c(PurposePhaseGate, "", ""), err: KindInvalid, fields: []string{"initiativeId", "targetPhase"}},
		{name: "a phase gate does not target concept or closed",
			when: c(PurposePhaseGate, ini1, PhaseClosed), err: KindInvalid, fields: []string{"targetPhase"}},
		{name: "an admission case needs an initiative",
			when: c(PurposeAdmission, "", ""), err: KindInvalid, fields: []string{"initiativeId"}},
		{name: "a target phase is only for phase gates",
			when: c(PurposeAdmission, ini1, PhasePlanning), err: KindInvalid, fields: []string{"targetPhase"}},
		{name: "a case needs forum, title, type, purpose and proposed resolution",
			when: RegisterCase{CaseType: "vote", Purpose: "fun"},
			err:  KindInvalid, fields: []string{"forum", "title", "caseType", "purpose", "proposedResolution"}},
	})
}

func TestPlaceCaseOnAgenda(t *testing.T) {
	meetings := func() *world {
		return given().schedule(mNUFA, NUFA, dNUFA).schedule(mNUIT, NUIT, dNUIT).schedule(mEHR, EHR, dEHR)
	}
	nuitCase := func() *world { return meetings().register(case1, NUIT, CaseApproval, PurposeOther, "", "") }
	nufaCase := func() *world { return meetings().register(case1, NUFA, CaseApproval, PurposeOther, "", "") }
	placed := func(m MeetingScheduled, number int) []Change {
		cn := CaseNumber(number, m.Year)
		return ok(
			Change{cref(case1), CasePlacedOnAgenda{case1, m.MeetingID, m.Forum, m.Label, m.Date, m.Year, number, cn, false}},
			Change{SeriesRef(m.Forum, m.Year), CaseNumberAssigned{m.Forum, m.Year, number, cn, case1, m.MeetingID}},
		)
	}
	// fourteen other cases on NUIT's agendas this year
	busy := nuitCase()
	for i := 1; i <= 14; i++ {
		busy.register(tid('C', 100+i), NUIT, CaseInformation, PurposeOther, "", "").place(tid('C', 100+i), mNUIT)
	}
	w := meetings()
	run(t, []spec{
		{name: "a case takes the first case number of its forum and year", given: nuitCase(),
			when: PlaceCaseOnAgenda{case1, mNUIT}, then: placed(w.meetings[mNUIT], 1)},
		{name: "case numbers run on per forum and year as nn/YY", given: busy,
			when: PlaceCaseOnAgenda{case1, mNUIT}, then: placed(w.meetings[mNUIT], 15)},
		{name: "a case is forwarded from NUFA to NUIT", given: nufaCase().place(case1, mNUFA),
			when: PlaceCaseOnAgenda{case1, mNUIT}, then: placed(w.meetings[mNUIT], 1)},
		{name: "a case is forwarded from NUIT to EHR", given: nuitCase().place(case1, mNUIT),
			when: PlaceCaseOnAgenda{case1, mEHR}, then: placed(w.meetings[mEHR], 1)},
		{name: "a case is placed again on a later meeting of its forum",
			given: nuitCase().place(case1, mNUIT).schedule(mNUIT2, NUIT, "2026-03-16"),
			when:  PlaceCaseOnAgenda{case1, mNUIT2}, then: placed(meetings().schedule(mNUIT2, NUIT, "2026-03-16").meetings[mNUIT2], 2)},
		{name: "a case is not placed before an earlier forum than its own", given: nuitCase(),
			when: PlaceCaseOnAgenda{case1, mNUFA}, err: KindRuleViolated, msg: "belongs to NUIT"},
		{name: "a forwarded case does not go back to NUFA", given: nufaCase().place(case1, mEHR),
			when: PlaceCaseOnAgenda{case1, mNUFA}, err: KindRuleViolated, msg: "does not go back to NUFA"},
		{name: "a case is on a meeting's agenda once", given: nuitCase().place(case1, mNUIT),
			when: PlaceCaseOnAgenda{case1, mNUIT}, err: KindRuleViolated, msg: "already on the agenda"},
		{name: "a held meeting's agenda is closed", given: nuitCase().hold(mNUIT),
			when: PlaceCaseOnAgenda{case1, mNUIT}, err: KindRuleViolated, msg: "agenda is closed"},
		{name: "an approved case is not placed again",
			given: given().meetingsHeld().recommendedByNUIT(case1, PurposeOther, "", "").
				decide(case1, mEHR, OutcomeApproved).schedule(mEHR2, EHR, dFuture),
			when: PlaceCaseOnAgenda{case1, mEHR2}, err: KindRuleViolated, msg: "finally decided"},
		{name: "a case rejected by EHR is not placed again",
			given: given().meetingsHeld().recommendedByNUIT(case1, PurposeOther, "", "").
				decide(case1, mEHR, OutcomeRejected).schedule(mEHR2, EHR, dFuture),
			when: PlaceCaseOnAgenda{case1, mEHR2}, err: KindRuleViolated, msg: "finally decided"},
		{name: "placing an unknown case is not found", given: meetings(),
			when: PlaceCaseOnAgenda{case2, mNUIT}, err: KindNotFound, msg: "case"},
		{name: "placing on an unknown meeting is not found", given: nuitCase(),
			when: PlaceCaseOnAgenda{case1, mNUIT2}, err: KindNotFound, msg: "meeting"},
		{name: "placing needs a case and a meeting",
			when: PlaceCaseOnAgenda{}, err: KindInvalid, fields: []string{"caseId", "meetingId"}},
	})
}

func TestDecisions(t *testing.T) {
	held := func() *world { return given().catalogue().meetingsHeld() }
	// an approval case of purpose other at NUFA, on the agendas of all three meetings
	onAll := func() *world {
		return held().register(case1, NUFA, CaseApproval, PurposeOther, "", "").
			place(case1, mNUFA).place(case1, mNUIT).place(case1, mEHR)
	}
	w := onAll()
	d := w.dec
	c := cref(case1)
	recommended := func() *world { return onAll().decide(case1, mNUIT, OutcomeRecommended) }
	admission := func() *world {
		return held().proposed(ini1, PhaseConcept).recommendedByNUIT(case1, PurposeAdmission, ini1, "")
	}
	gate := func() *world {
		return held().admitted(ini1, PhaseConcept).recommendedByNUIT(case1, PurposePhaseGate, ini1, PhasePlanning)
	}
	ad, gd := admission().dec(case1, mEHR), gate().dec(case1, mEHR)

	run(t, []spec{
		// what each forum may record
		{name: "NUFA notes a case", given: onAll(), when: NoteCase{case1, mNUFA, "Tatt til orientering"},
			then: ok(Change{c, CaseNoted{d(case1, mNUFA), "Tatt til orientering"}})},
		{name: "NUFA discusses a case", given: onAll(), when: DiscussCase{case1, mNUFA, ""},
			then: ok(Change{c, CaseDiscussed{d(case1, mNUFA), ""}})},
		{name: "NUFA advises", given: onAll(), when: RecommendInCouncil{case1, mNUFA, "Faglig anbefalt", ""},
			then: ok(Change{c, CaseRecommended{d(case1, mNUFA), "Faglig anbefalt", ""}})},
		{name: "NUFA does not approve", given: onAll(), when: ApproveInCouncil{case1, mNUFA, "x"},
			err: KindRuleViolated, msg: "NUFA may not record approved"},
		{name: "NUFA does not reject", given: onAll(), when: RejectInCouncil{case1, mNUFA, "x"},
			err: KindRuleViolated, msg: "NUFA may not record rejected"},
		{name: "NUFA does not defer", given: onAll(), when: DeferCase{case1, mNUFA, "x"},
			err: KindRuleViolated, msg: "NUFA may not record deferred"},
		{name: "NUIT supports with conditions", given: onAll(),
			when: RecommendInCouncil{case1, mNUIT, "Støttes", "Forutsetter finansiering"},
			then: ok(Change{c, CaseRecommended{d(case1, mNUIT), "Støttes", "Forutsetter finansiering"}})},
		{name: "NUIT does not support", given: onAll(), when: RejectInCouncil{case1, mNUIT, "Støttes ikke"},
			then: ok(Change{c, CaseRejected{d(case1, mNUIT), "Støttes ikke"}})},
		{name: "NUIT defers", given: onAll(), when: DeferCase{case1, mNUIT, "Mer utredning"},
			then: ok(Change{c, CaseDeferred{d(case1, mNUIT), "Mer utredning"}})},
		{name: "NUIT does not approve", given: recommended(), when: ApproveInCouncil{case1, mNUIT, "x"},
			err: KindRuleViolated, msg: "NUIT may not record approved"},
		{name: "EHR does not recommend", given: onAll(), when: RecommendInCouncil{case1, mEHR, "x", ""},
			err: KindRuleViolated, msg: "EHR may not record recommended"},
		{name: "EHR discusses", given: onAll(), when: DiscussCase{case1, mEHR, "Drøftet"},
			then: ok(Change{c, CaseDiscussed{d(case1, mEHR), "Drøftet"}})},
		{name: "EHR defers", given: onAll(), when: DeferCase{case1, mEHR, "Neste møte"},
			then: ok(Change{c, CaseDeferred{d(case1, mEHR), "Neste møte"}})},

		// approval
		{name: "EHR approves what NUIT recommended", given: recommended(), when: ApproveInCouncil{case1, mEHR, "Tilslutning"},
			then: ok(Change{c, CaseApproved{d(case1, mEHR), "Tilslutning"}})},
		{name: "EHR approves what NUIT supported with conditions",
			given: onAll().add(c, CaseRecommended{d(case1, mNUIT), "Støttes", "Med vilkår"}),
			when:  ApproveInCouncil{case1, mEHR, "Tilslutning"},
			then:  ok(Change{c, CaseApproved{d(case1, mEHR), "Tilslutning"}})},
		{name: "EHR does not approve without a NUIT recommendation", given: onAll(),
			when: ApproveInCouncil{case1, mEHR, "x"}, err: KindRuleViolated, msg: "no NUIT recommendation"},
		{name: "a NUFA recommendation is not enough for EHR", given: onAll().decide(case1, mNUFA, OutcomeRecommended),
			when: ApproveInCouncil{case1, mEHR, "x"}, err: KindRuleViolated, msg: "no NUIT recommendation"},
		{name: "EHR does not approve what NUIT last did not support",
			given: recommended().schedule(mNUIT2, NUIT, "2026-02-20").hold(mNUIT2).place(case1, mNUIT2).decide(case1, mNUIT2, OutcomeRejected),
			when:  ApproveInCouncil{case1, mEHR, "x"}, err: KindRuleViolated, msg: "not supported by NUIT"},
		{name: "only an approval case is approved",
			given: held().register(case1, NUIT, CaseDiscussion, PurposeOther, "", "").place(case1, mNUIT).
				decide(case1, mNUIT, OutcomeRecommended).place(case1, mEHR),
			when: ApproveInCouncil{case1, mEHR, "x"}, err: KindRuleViolated, msg: "only an approval case"},
		{name: "a case is approved once",
			given: recommended().decide(case1, mEHR, OutcomeApproved).schedule(mEHR2, EHR, dEHR).hold(mEHR2),
			when:  ApproveInCouncil{case1, mEHR2, "Igjen"}, err: KindRuleViolated, msg: "approved once"},
		{name: "nothing is decided after approval", given: recommended().decide(case1, mEHR, OutcomeApproved),
			when: NoteCase{case1, mNUIT, ""}, err: KindRuleViolated, msg: "finally decided"},
		{name: "approval of an admission case admits the initiative", given: admission(),
			when: ApproveInCouncil{case1, mEHR, "Tas inn i porteføljen"},
			then: ok(
				Change{c, CaseApproved{ad, "Tas inn i porteføljen"}},
				Change{iref(ini1), InitiativeAdmitted{ini1, case1, mEHR, PhaseConcept}},
			)},
		{name: "an admission case of a withdrawn initiative is not approved",
			given: admission().add(iref(ini1), InitiativeWithdrawn{ini1, "x"}),
			when:  ApproveInCouncil{case1, mEHR, "x"}, err: KindRuleViolated, msg: "withdrawn"},
		{name: "approval of a phase gate case moves the initiative one phase", given: gate(),
			when: ApproveInCouncil{case1, mEHR, "Til planlegging"},
			then: ok(
				Change{c, CaseApproved{gd, "Til planlegging"}},
				Change{iref(ini1), InitiativePhaseChanged{ini1, PhaseConcept, PhasePlanning, case1, mEHR}},
			)},
		{name: "a phase gate does not jump when the initiative moved meanwhile",
			given: gate().add(iref(ini1), InitiativePhaseChanged{ini1, PhaseConcept, PhasePlanning, case2, mEHR}),
			when:  ApproveInCouncil{case1, mEHR, "x"}, err: KindRuleViolated, msg: "one step forward"},
		{name: "a paused initiative passes no phase gate",
			given: gate().add(iref(ini1), InitiativePaused{ini1, "x"}),
			when:  ApproveInCouncil{case1, mEHR, "x"}, err: KindRuleViolated, msg: "paused"},
		{name: "a cancelled initiative passes no phase gate",
			given: gate().add(iref(ini1), InitiativeCancelled{ini1, "x"}),
			when:  ApproveInCouncil{case1, mEHR, "x"}, err: KindRuleViolated, msg: "cancelled"},

		// rejection
		{name: "EHR's rejection of an admission case rejects the initiative", given: admission(),
			when: RejectInCouncil{case1, mEHR, "Avslått"},
			then: ok(
				Change{c, CaseRejected{ad, "Avslått"}},
				Change{iref(ini1), InitiativeRejected{ini1, case1, mEHR}},
			)},
		{name: "NUIT's not-supported of an admission case leaves the initiative proposed",
			given: held().proposed(ini1, "").register(case1, NUIT, CaseApproval, PurposeAdmission, ini1, "").place(case1, mNUIT),
			when:  RejectInCouncil{case1, mNUIT, "Støttes ikke"},
			then:  ok(Change{c, CaseRejected{held().proposed(ini1, "").register(case1, NUIT, CaseApproval, PurposeAdmission, ini1, "").place(case1, mNUIT).dec(case1, mNUIT), "Støttes ikke"}})},
		{name: "NUIT's not-supported is not final", given: onAll().decide(case1, mNUIT, OutcomeRejected),
			when: NoteCase{case1, mEHR, ""}, then: ok(Change{c, CaseNoted{d(case1, mEHR), ""}})},
		{name: "an admission case of a withdrawn initiative is not rejected by EHR",
			given: admission().add(iref(ini1), InitiativeWithdrawn{ini1, "x"}),
			when:  RejectInCouncil{case1, mEHR, "x"}, err: KindRuleViolated},
		{name: "EHR's rejection of a phase gate case leaves the initiative", given: gate(),
			when: RejectInCouncil{case1, mEHR, "Avslått"}, then: ok(Change{c, CaseRejected{gd, "Avslått"}})},
		{name: "nothing is decided after EHR's rejection", given: onAll().decide(case1, mEHR, OutcomeRejected),
			when: DeferCase{case1, mEHR, "x"}, err: KindRuleViolated, msg: "rejected by EHR"},

		// meeting, agenda, repetition
		{name: "no decision in a meeting not held",
			given: held().schedule(mFuture, NUIT, dFuture).register(case1, NUIT, CaseApproval, PurposeOther, "", "").place(case1, mFuture),
			when:  NoteCase{case1, mFuture, ""}, err: KindRuleViolated, msg: "has not been held"},
		{name: "no decision for a case not on the meeting's agenda",
			given: held().register(case1, NUIT, CaseApproval, PurposeOther, "", ""),
			when:  RecommendInCouncil{case1, mNUIT, "x", ""}, err: KindRuleViolated, msg: "not on the agenda"},
		{name: "no second decision of the same kind at the same meeting", given: onAll().decide(case1, mNUFA, OutcomeNoted),
			when: NoteCase{case1, mNUFA, "Igjen"}, err: KindRuleViolated, msg: "already has a decision noted"},
		{name: "another kind of decision at the same meeting", given: onAll().decide(case1, mNUFA, OutcomeNoted),
			when: DiscussCase{case1, mNUFA, ""}, then: ok(Change{c, CaseDiscussed{d(case1, mNUFA), ""}})},
		{name: "the same kind of decision at another meeting", given: onAll().decide(case1, mNUFA, OutcomeNoted),
			when: NoteCase{case1, mNUIT, ""}, then: ok(Change{c, CaseNoted{d(case1, mNUIT), ""}})},
		{name: "a decision about an unknown case is not found", given: held(),
			when: NoteCase{case1, mNUIT, ""}, err: KindNotFound},
		{name: "a decision in an unknown meeting is not found", given: onAll(),
			when: NoteCase{case1, mFuture, ""}, err: KindNotFound},
		{name: "a recommendation needs a resolution",
			when: RecommendInCouncil{CaseID: case1, MeetingID: mNUIT}, err: KindInvalid, fields: []string{"resolution"}},
		{name: "a deferral needs a reason",
			when: DeferCase{CaseID: case1, MeetingID: "m"}, err: KindInvalid, fields: []string{"meetingId", "reason"}},
	})
}

func TestCorrectDecision(t *testing.T) {
	w := given().meetingsHeld().register(case1, NUIT, CaseApproval, PurposeOther, "", "").place(case1, mNUIT)
	registeredID := eventID(len(w.changes) - 2) // CaseRegistered (place adds two events)
	w.decide(case1, mNUIT, OutcomeRecommended)
	recID := w.lastID()
	final := w.clone().place(case1, mEHR).decide(case1, mEHR, OutcomeApproved)
	approvedID := final.lastID()
	corrected := w.clone().add(cref(case1), DecisionCorrected{case1, recID, "CaseRecommended", NUIT, mNUIT, "Skrivefeil", "Rettet"})
	c := cref(case1)
	run(t, []spec{
		{name: "a decision is corrected by a new event", given: w,
			when: CorrectDecision{case1, recID, "Skrivefeil i vedtaket", "NUIT anbefaler tiltaket."},
			then: ok(Change{c, DecisionCorrected{case1, recID, "CaseRecommended", NUIT, mNUIT, "Skrivefeil i vedtaket", "NUIT anbefaler tiltaket."}})},
		{name: "a decision is corrected after the case is final", given: final,
			when: CorrectDecision{case1, approvedID, "Feil dato", "Rettet"},
			then: ok(Change{c, DecisionCorrected{case1, approvedID, "CaseApproved", EHR, mEHR, "Feil dato", "Rettet"}})},
		{name: "a decision is corrected again", given: corrected,
			when: CorrectDecision{case1, recID, "Ny feil", "Rettet igjen"},
			then: ok(Change{c, DecisionCorrected{case1, recID, "CaseRecommended", NUIT, mNUIT, "Ny feil", "Rettet igjen"}})},
		{name: "only a decision event is corrected", given: w,
			when: CorrectDecision{case1, registeredID, "x", "y"}, err: KindRuleViolated, msg: "not a decision"},
		{name: "a correction is not corrected", given: corrected,
			when: CorrectDecision{case1, corrected.lastID(), "x", "y"}, err: KindRuleViolated},
		{name: "an unknown event is not corrected", given: w,
			when: CorrectDecision{case1, tid('E', 999), "x", "y"}, err: KindRuleViolated},
		{name: "a decision of another case is not corrected",
			given: w.clone().register(case2, NUIT, CaseApproval, PurposeOther, "", ""),
			when:  CorrectDecision{case2, recID, "x", "y"}, err: KindRuleViolated},
		{name: "correcting in an unknown case is not found",
			when: CorrectDecision{case1, recID, "x", "y"}, err: KindNotFound},
		{name: "a correction names the event and gives reason and resolution",
			when: CorrectDecision{CaseID: case1}, err: KindInvalid, fields: []string{"correctsEventId", "reason", "resolution"}},
	})
}
