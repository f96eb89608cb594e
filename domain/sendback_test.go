package domain

import "testing"

// The council path has no dead end: a case that reached EHR without NUIT's
// recommendation, or that EHR deferred, goes back on a NUIT agenda, and the
// placement records that it was sent back.
func TestSendBackToNUIT(t *testing.T) {
	const dNUIT2, dEHR2 = Date("2026-03-16"), Date("2026-03-20")
	// then is the placement of case1 that w2 adds last (the case event and
	// the series event).
	then := func(w2 *world) []Change { return ok(w2.changes[len(w2.changes)-2:]...) }

	deferred := func() *world {
		return given().meetingsHeld().recommendedByNUIT(case1, PurposeOther, "", "").
			decide(case1, mEHR, OutcomeDeferred).schedule(mNUIT2, NUIT, dNUIT2)
	}
	unrecommended := func() *world {
		return given().meetingsHeld().register(case1, NUIT, CaseApproval, PurposeOther, "", "").
			place(case1, mEHR).schedule(mNUIT2, NUIT, dNUIT2)
	}
	atEHR := func() *world {
		return given().meetingsHeld().register(case1, EHR, CaseApproval, PurposeOther, "", "").
			schedule(mNUIT2, NUIT, dNUIT2)
	}
	notSupported := func() *world {
		return given().meetingsHeld().register(case1, NUIT, CaseApproval, PurposeOther, "", "").
			place(case1, mNUIT).decide(case1, mNUIT, OutcomeRejected).place(case1, mEHR).schedule(mNUIT2, NUIT, dNUIT2)
	}
	// The whole way back: EHR deferred, NUIT recommends again, EHR approves.
	returned := deferred().sendBack(case1, mNUIT2).hold(mNUIT2).decide(case1, mNUIT2, OutcomeRecommended).
		held(mEHR2, EHR, dEHR2).place(case1, mEHR2)

	run(t, []spec{
		{name: "a case EHR deferred goes back on a NUIT agenda", given: deferred(),
			when: PlaceCaseOnAgenda{case1, mNUIT2}, then: then(deferred().sendBack(case1, mNUIT2))},
		{name: "a case that reached EHR without NUIT's recommendation goes back to NUIT", given: unrecommended(),
			when: PlaceCaseOnAgenda{case1, mNUIT2}, then: then(unrecommended().sendBack(case1, mNUIT2))},
		{name: "a case registered at EHR goes to NUIT for its recommendation", given: atEHR(),
			when: PlaceCaseOnAgenda{case1, mNUIT2}, then: then(atEHR().sendBack(case1, mNUIT2))},
		{name: "a case NUIT did not support goes back from EHR", given: notSupported(),
			when: PlaceCaseOnAgenda{case1, mNUIT2}, then: then(notSupported().sendBack(case1, mNUIT2))},
		{name: "a case NUIT recommended goes back only when EHR defers it",
			given: given().meetingsHeld().recommendedByNUIT(case1, PurposeOther, "", "").schedule(mNUIT2, NUIT, dNUIT2),
			when:  PlaceCaseOnAgenda{case1, mNUIT2}, err: KindRuleViolated, msg: "only if EHR defers it"},
		{name: "a case EHR discussed after deferring it does not go back",
			given: deferred().held(mEHR2, EHR, dEHR2).place(case1, mEHR2).decide(case1, mEHR2, OutcomeDiscussed),
			when:  PlaceCaseOnAgenda{case1, mNUIT2}, err: KindRuleViolated, msg: "only if EHR defers it"},
		{name: "a sent-back case is not sent further back to NUFA",
			given: deferred().schedule(mFuture, NUFA, dFuture),
			when:  PlaceCaseOnAgenda{case1, mFuture}, err: KindRuleViolated, msg: "belongs to NUIT"},
		{name: "a case sent back and recommended again is approved by EHR", given: returned,
			when: ApproveInCouncil{case1, mEHR2, "Godkjent."},
			then: ok(Change{cref(case1), CaseApproved{returned.dec(case1, mEHR2), "Godkjent."}})},
		{name: "a case sent back is on the NUIT agenda once", given: deferred().sendBack(case1, mNUIT2),
			when: PlaceCaseOnAgenda{case1, mNUIT2}, err: KindRuleViolated, msg: "already on the agenda"},
	})
}

// The case's placements show the return.
func TestSendBackInPlacements(t *testing.T) {
	w := given().meetingsHeld().recommendedByNUIT(case1, PurposeOther, "", "").
		decide(case1, mEHR, OutcomeDeferred).schedule(mNUIT2, NUIT, "2026-03-16").sendBack(case1, mNUIT2)
	cs := fold(t, w.changes)[cref(case1)].(*CaseState)
	var back []bool
	for _, p := range cs.Placements {
		back = append(back, p.SentBack)
	}
	if len(back) != 3 || back[0] || back[1] || !back[2] {
		t.Fatalf("placements sent back = %v, want [false false true]", back)
	}
}
