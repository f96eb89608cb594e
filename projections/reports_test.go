package projections

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/ehelse/portfolio/domain"
)

const (
	rA, rB, rC, rD, rE = "01JDREP0000000000000000001", "01JDREP0000000000000000002", "01JDREP0000000000000000003",
		"01JDREP0000000000000000004", "01JDREP0000000000000000005"
	rMS      = "01JDREPMS00000000000000001"
	rRound1  = "01JDREPR0VND00000000000001"
	rRound2  = "01JDREPR0VND00000000000002"
	rMeeting = "01JDREPMEET000000000000001"
	rCase    = "01JDREPCASE000000000000001"
	ks       = "KS"
)

// admit records an initiative proposed and admitted in a phase, as the
// council's events would.
func (s *sim) admit(id, title, owner string, phase domain.Phase) {
	ref := domain.Ref{Type: domain.Initiative, ID: id}
	s.emit(ref, domain.InitiativeProposed{InitiativeID: id, Title: title, Description: "Beskrivelse", Owner: owner,
		PrimarySubGoal: "1A", PrimaryGoal: "M1", SubGoals: []string{}, UserGroups: []string{"innbyggere"},
		PlannedStart: "2025-01-01", PlannedEnd: "2028-12-31", Phase: phase})
	s.emit(ref, domain.InitiativeAdmitted{InitiativeID: id, CaseID: rCase, MeetingID: rMeeting, Phase: phase})
}

func status(id string, d domain.Date, overall, schedule domain.RAG, round string) domain.ReportStatus {
	return domain.ReportStatus{InitiativeID: id, ReportDate: d, Overall: overall, Schedule: schedule, Cost: domain.Green,
		Benefit: domain.Green, Comment: "Status", RoundID: round}
}

// twoRounds is a scripted history of two reporting rounds. In the second
// period A passes a phase gate and its schedule turns red, B's schedule
// turns green, A's milestone slips, D is new, C is cancelled, and EHR
// notes a case. It returns the sim and the position after round 2 closed.
func twoRounds(t *testing.T) *sim {
	s := newSim(t)
	s.must(domain.DefineStrategicGoal{GoalID: "M1", Strategy: "2023-2030", Title: "Aktiv medvirkning"})
	s.must(domain.DefineSubGoal{SubGoalID: "1A", GoalID: "M1", Title: "Helsenorge"})
	s.admit(rA, "Alfa", hso, domain.PhasePlanning)
	s.admit(rB, "Beta", ks, domain.PhaseExecution)
	s.admit(rC, "Gamma", nhn, domain.PhaseConcept)
	s.must(domain.ReportMilestone{InitiativeID: rA, MilestoneID: rMS, Title: "Pilot", Status: domain.MilestonePlannedStatus, PlannedDate: "2026-06-15"})

	s.must(domain.OpenReportingRound{RoundID: rRound1, Label: "2026-T1", PeriodEnd: "2026-04-30", Deadline: "2026-05-15"})
	s.must(status(rA, "2026-04-30", domain.Green, domain.Green, rRound1))
	s.must(status(rB, "2026-04-30", domain.Yellow, domain.Yellow, rRound1))
	s.must(domain.CloseReportingRound{RoundID: rRound1})

	s.must(domain.OpenReportingRound{RoundID: rRound2, Label: "2026-T2", PeriodEnd: "2026-08-31", Deadline: "2026-09-15"})
	s.emit(domain.Ref{Type: domain.Initiative, ID: rA}, domain.InitiativePhaseChanged{InitiativeID: rA, From: domain.PhasePlanning,
		To: domain.PhaseExecution, CaseID: rCase, MeetingID: rMeeting})
	s.must(domain.ReportMilestone{InitiativeID: rA, MilestoneID: rMS, Status: domain.MilestoneSlippedStatus, NewPlannedDate: "2026-10-01"})
	s.must(status(rA, "2026-08-31", domain.Yellow, domain.Red, rRound2))
	s.must(status(rB, "2026-08-31", domain.Yellow, domain.Green, rRound2))
	s.admit(rD, "Delta", hso, domain.PhaseConcept)
	s.must(domain.CancelInitiative{InitiativeID: rC, Reason: "Erstattet"})
	// A council decision in the period (EHR noted a case on 2026-06-11).
	mref, cref := domain.Ref{Type: domain.Meeting, ID: rMeeting}, domain.Ref{Type: domain.Case, ID: rCase}
	sref := domain.SeriesRef(domain.EHR, 2026)
	s.emit(mref, domain.MeetingScheduled{MeetingID: rMeeting, Forum: domain.EHR, Date: "2026-06-11", Year: 2026, Number: 1, Label: "1/2026"})
	s.emit(sref, domain.MeetingNumberAssigned{Forum: domain.EHR, Year: 2026, Number: 1, MeetingID: rMeeting})
	s.emit(cref, domain.CaseRegistered{CaseID: rCase, Forum: domain.EHR, Title: "Orientering om Alfa", CaseType: domain.CaseInformation,
		Purpose: domain.PurposeOther, InitiativeID: rA, ProposedResolution: "Tas til orientering"})
	s.emit(cref, domain.CasePlacedOnAgenda{CaseID: rCase, MeetingID: rMeeting, Forum: domain.EHR, MeetingLabel: "1/2026",
		MeetingDate: "2026-06-11", Year: 2026, Number: 1, CaseNumber: "1/26"})
	s.emit(sref, domain.CaseNumberAssigned{Forum: domain.EHR, Year: 2026, Number: 1, CaseNumber: "1/26", CaseID: rCase, MeetingID: rMeeting})
	s.emit(mref, domain.MeetingHeld{MeetingID: rMeeting, Forum: domain.EHR, Label: "1/2026"})
	s.emit(cref, domain.CaseNoted{Decision: domain.Decision{CaseID: rCase, MeetingID: rMeeting, Forum: domain.EHR,
		MeetingLabel: "1/2026", MeetingDate: "2026-06-11", CaseNumber: "1/26"}, Remarks: "Tatt til orientering"})
	s.must(domain.CloseReportingRound{RoundID: rRound2})
	return s
}

func reportOf(t *testing.T, m *ReadModels, round string) ([]byte, PortfolioReport) {
	t.Helper()
	data, err := m.ReportJSON(round)
	if err != nil {
		t.Fatal(err)
	}
	var rep PortfolioReport
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	return data, rep
}

func TestReportChangesSincePreviousRound(t *testing.T) {
	s := twoRounds(t)
	db := openDB(t)
	applyItems(t, db, s.items, 7)
	m := modelsOn(t, db)

	_, r1 := reportOf(t, m, rRound1)
	if len(r1.Initiatives) != 3 || r1.Summary.Reported != 2 || r1.Summary.NotReported != 1 {
		t.Fatalf("round 1: %d initiatives, %d reported, %d not: %+v", len(r1.Initiatives), r1.Summary.Reported, r1.Summary.NotReported, r1.Initiatives)
	}
	for _, row := range r1.Initiatives {
		if row.InitiativeID == rC && row.StatusInRound != StatusNotReported {
			t.Errorf("round 1: Gamma did not report, got %s", row.StatusInRound)
		}
	}

	_, r2 := reportOf(t, m, rRound2)
	if r2.PreviousRoundID != rRound1 || r2.PeriodStart != "2026-05-01" {
		t.Errorf("round 2: previous %q, period start %q", r2.PreviousRoundID, r2.PeriodStart)
	}
	ch := r2.Changes
	if len(ch.PhaseChanges) != 1 || ch.PhaseChanges[0] != (PhaseChangeItem{InitiativeID: rA, Title: "Alfa", From: domain.PhasePlanning, To: domain.PhaseExecution}) {
		t.Errorf("phase changes: %+v", ch.PhaseChanges)
	}
	wantRAG := []RAGChange{
		{InitiativeID: rA, Title: "Alfa", Dimension: "overall", From: domain.Green, To: domain.Yellow, Direction: "worse"},
		{InitiativeID: rA, Title: "Alfa", Dimension: "schedule", From: domain.Green, To: domain.Red, Direction: "worse"},
		{InitiativeID: rB, Title: "Beta", Dimension: "schedule", From: domain.Yellow, To: domain.Green, Direction: "better"},
	}
	if len(ch.RAG) != len(wantRAG) {
		t.Fatalf("rag changes: %+v", ch.RAG)
	}
	for i := range wantRAG {
		if ch.RAG[i] != wantRAG[i] {
			t.Errorf("rag change %d: %+v, want %+v", i, ch.RAG[i], wantRAG[i])
		}
	}
	if len(ch.New) != 1 || ch.New[0].InitiativeID != rD {
		t.Errorf("new: %+v", ch.New)
	}
	if len(ch.Cancelled) != 1 || ch.Cancelled[0].InitiativeID != rC || len(ch.Closed) != 0 {
		t.Errorf("cancelled %+v, closed %+v", ch.Cancelled, ch.Closed)
	}
	if len(ch.SlippedMilestones) != 1 || ch.SlippedMilestones[0].From != "2026-06-15" || ch.SlippedMilestones[0].To != "2026-10-01" {
		t.Errorf("slipped: %+v", ch.SlippedMilestones)
	}
	if len(r2.Decisions) != 1 || r2.Decisions[0].Outcome != domain.OutcomeNoted || r2.Decisions[0].CaseNumber != "1/26" {
		t.Errorf("decisions: %+v", r2.Decisions)
	}
	if len(r1.Decisions) != 0 {
		t.Errorf("round 1 has decisions of round 2's period: %+v", r1.Decisions)
	}
	// Gamma is cancelled but in the report once more, with its state;
	// Delta is in the portfolio and did not report.
	states := map[string]string{}
	for _, row := range r2.Initiatives {
		states[row.InitiativeID] = string(row.State) + "/" + row.StatusInRound
	}
	want := map[string]string{rA: "in_portfolio/reported", rB: "in_portfolio/reported", rC: "cancelled/notReported", rD: "in_portfolio/notReported"}
	for id, w := range want {
		if states[id] != w {
			t.Errorf("round 2: %s is %q, want %q", id, states[id], w)
		}
	}
	// The round page: who has reported, by owner.
	d, err := m.Round(rRound2)
	if err != nil {
		t.Fatal(err)
	}
	if d.Reported != 2 || d.NotReported != 2 || len(d.Owners) != 3 {
		t.Errorf("round 2 page: %+v", d)
	}
}

// A closed report never changes: more events (a status without a round,
// a decision correction, a new initiative, a status for the next round)
// leave its bytes alone, and a rebuild in any batch size gives the same
// bytes.
func TestReportFrozen(t *testing.T) {
	s := twoRounds(t)
	closedAt := len(s.items)
	db := openDB(t)
	applyItems(t, db, s.items, 0)
	frozen1, _ := reportOf(t, modelsOn(t, db), rRound1)
	frozen2, _ := reportOf(t, modelsOn(t, db), rRound2)

	var noted string
	for _, it := range s.items {
		if it.Type == "CaseNoted" {
			noted = it.EventID
		}
	}
	s.must(status(rA, "2026-09-10", domain.Red, domain.Red, ""))
	s.emit(domain.Ref{Type: domain.Case, ID: rCase}, domain.DecisionCorrected{CaseID: rCase, CorrectsEventID: noted,
		CorrectedType: "CaseNoted", Forum: domain.EHR, MeetingID: rMeeting, Reason: "Feil", Resolution: "Rettet vedtak"})
	s.admit(rE, "Epsilon", ks, domain.PhaseConcept)
	s.must(domain.OpenReportingRound{RoundID: "01JDREPR0VND00000000000003", Label: "2026-T3", PeriodEnd: "2026-12-31", Deadline: "2027-01-15"})
	s.must(status(rB, "2026-12-31", domain.Red, domain.Red, "01JDREPR0VND00000000000003"))
	if err := s.exec(status(rB, "2026-12-31", domain.Green, domain.Green, rRound2)); !domain.IsKind(err, domain.KindRuleViolated) {
		t.Fatalf("a late status for the closed round: %v, want refused", err)
	}
	applyItems(t, db, s.items[closedAt:], 0)

	for round, want := range map[string][]byte{rRound1: frozen1, rRound2: frozen2} {
		if got, _ := reportOf(t, modelsOn(t, db), round); !bytes.Equal(got, want) {
			t.Errorf("report %s changed after more events:\n%s\n%s", round, want, got)
		}
		for _, batch := range []int{1, 5, 0} {
			fresh := openDB(t)
			applyItems(t, fresh, s.items, batch)
			if got, _ := reportOf(t, modelsOn(t, fresh), round); !bytes.Equal(got, want) {
				t.Errorf("report %s differs after a rebuild in batches of %d", round, batch)
			}
		}
	}
	// The decision register shows the correction; the frozen report does not.
	if ds, _ := modelsOn(t, db).Decisions(DecisionFilter{}); len(ds) != 1 || len(ds[0].Corrections) != 1 {
		t.Fatalf("the correction is not in the register: %+v", ds)
	}
}
