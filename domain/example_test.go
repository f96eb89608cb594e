package domain_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/ehelse/portfolio/domain"
)

// store is a toy event store: the states of the aggregates, folded.
type store map[domain.Ref]domain.State

// execute runs one command the way the command service does: load what
// Needs lists, Decide, and fold the events into the states.
func (s store) execute(cmd domain.Command, now time.Time) ([]domain.Change, error) {
	states := map[domain.Ref]domain.State{}
	for {
		added := false
		for _, r := range domain.Needs(cmd, states) {
			if _, ok := states[r]; !ok {
				st, ok := s[r]
				if !ok {
					st = domain.NewState(r)
				}
				states[r], added = st, true
			}
		}
		if !added {
			break
		}
	}
	changes, err := domain.Decide(cmd, states, now)
	if err != nil {
		return nil, err
	}
	for i, ch := range changes {
		st := states[ch.Ref]
		next, err := domain.Evolve(st, domain.Recorded{
			ID: fmt.Sprintf("01JD00000000000000000000%02d", len(s)+i), Version: st.StateVersion() + 1,
			Time: now, Actor: "sekretariat", Event: ch.Event,
		})
		if err != nil {
			return nil, err
		}
		states[ch.Ref], s[ch.Ref] = next, next
	}
	return changes, nil
}

// An initiative enters the portfolio through the council: NUIT recommends
// its admission case, EHR approves it, and the approval admits the
// initiative in the same write.
func ExampleDecide() {
	s := store{}
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	const (
		ini  = "01JDQ6Z3V7M8W0X8PVRBQ5N2E4"
		nuit = "01JDQ7MEETNGS0NXVT2026X001"
		ehr  = "01JDQ7MEETNGS0EHR000026X01"
		sak  = "01JDQ7A1B2C3D4E5F6G7H8J9K0"
	)
	for _, cmd := range []domain.Command{
		&domain.DefineStrategicGoal{GoalID: "M1", Strategy: "2023-2030", Title: "Aktiv medvirkning i egen og næres helse"},
		&domain.DefineSubGoal{SubGoalID: "1A", GoalID: "M1", Title: "Helsenorge"},
		&domain.ProposeInitiative{InitiativeID: ini, Title: "Digital hjemmeoppfølging", Description: "Spredning",
			Owner: "Helse Sør-Øst RHF", PrimarySubGoal: "1A", PlannedStart: "2024-01-01", PlannedEnd: "2027-12-31"},
		&domain.ScheduleMeeting{MeetingID: nuit, Forum: domain.NUIT, Date: "2026-02-16"},
		&domain.ScheduleMeeting{MeetingID: ehr, Forum: domain.EHR, Date: "2026-03-02"},
		&domain.RegisterCase{CaseID: sak, Forum: domain.NUIT, Title: "Opptak i porteføljen", CaseType: domain.CaseApproval,
			Purpose: domain.PurposeAdmission, InitiativeID: ini, ProposedResolution: "Tiltaket tas inn i porteføljen."},
		&domain.PlaceCaseOnAgenda{CaseID: sak, MeetingID: nuit},
		&domain.PlaceCaseOnAgenda{CaseID: sak, MeetingID: ehr}, // forwarded to EHR
		&domain.HoldMeeting{MeetingID: nuit},
		&domain.RecommendInCouncil{CaseID: sak, MeetingID: nuit, Resolution: "NUIT anbefaler opptak."},
		&domain.HoldMeeting{MeetingID: ehr},
		&domain.ApproveInCouncil{CaseID: sak, MeetingID: ehr, Resolution: "Rådet gir sin tilslutning."},
	} {
		changes, err := s.execute(cmd, now)
		if err != nil {
			fmt.Println(cmd.CommandName(), "refused:", err)
			continue
		}
		for _, ch := range changes {
			fmt.Println(cmd.CommandName(), "→", ch.Event.EventType(), "on", ch.Ref.Type)
		}
	}
	st := s[domain.Ref{Type: domain.Initiative, ID: ini}].(*domain.InitiativeState)
	fmt.Println(st.Lifecycle, st.Phase, st.PrimaryGoal)

	// A second approval is refused: 409.
	_, err := s.execute(&domain.ApproveInCouncil{CaseID: sak, MeetingID: ehr, Resolution: "Igjen"}, now)
	var e *domain.Error
	if errors.As(err, &e) {
		fmt.Println(e.Kind)
	}
	// Output:
	// DefineStrategicGoal → StrategicGoalDefined on strategy
	// DefineSubGoal → SubGoalDefined on strategy
	// ProposeInitiative → InitiativeProposed on initiative
	// ScheduleMeeting → MeetingScheduled on meeting
	// ScheduleMeeting → MeetingNumberAssigned on series
	// ScheduleMeeting → MeetingScheduled on meeting
	// ScheduleMeeting → MeetingNumberAssigned on series
	// RegisterCase → CaseRegistered on case
	// PlaceCaseOnAgenda → CasePlacedOnAgenda on case
	// PlaceCaseOnAgenda → CaseNumberAssigned on series
	// PlaceCaseOnAgenda → CasePlacedOnAgenda on case
	// PlaceCaseOnAgenda → CaseNumberAssigned on series
	// HoldMeeting → MeetingHeld on meeting
	// RecommendInCouncil → CaseRecommended on case
	// HoldMeeting → MeetingHeld on meeting
	// ApproveInCouncil → CaseApproved on case
	// ApproveInCouncil → InitiativeAdmitted on initiative
	// in_portfolio concept M1
	// rule_violated
}

// Validate names every bad field by its JSON name (HTTP 422).
func ExampleReportStatus_Validate() {
	err := domain.ReportStatus{
		InitiativeID: "01JDQ6Z3V7M8W0X8PVRBQ5N2E4", ReportDate: "2026-03-01",
		Overall: domain.Yellow, Schedule: domain.Green, Cost: domain.Green, Benefit: "blue",
	}.Validate()
	var e *domain.Error
	if errors.As(err, &e) {
		for _, f := range e.Fields {
			fmt.Println(f.Field, f.Detail)
		}
	}
	// Output:
	// benefit must be green, yellow or red
	// comment is required when a light is yellow or red
}

// Needs is called until it lists nothing new: placing a case needs the
// numbering series of the meeting's forum and year, known once the
// meeting is loaded.
func ExampleNeeds() {
	cmd := &domain.PlaceCaseOnAgenda{CaseID: "01JDQ7A1B2C3D4E5F6G7H8J9K0", MeetingID: "01JDQ7MEETNGS0NXVT2026X001"}
	fmt.Println(domain.Needs(cmd, nil))

	meeting, _ := domain.Evolve(domain.NewState(domain.Ref{Type: domain.Meeting, ID: cmd.MeetingID}), domain.Recorded{
		Version: 1, Event: domain.MeetingScheduled{MeetingID: cmd.MeetingID, Forum: domain.NUIT, Date: "2026-02-16",
			Year: 2026, Number: 1, Label: "1/2026"},
	})
	fmt.Println(domain.Needs(cmd, map[domain.Ref]domain.State{meeting.StateRef(): meeting}))
	// Output:
	// [case/01JDQ7A1B2C3D4E5F6G7H8J9K0 meeting/01JDQ7MEETNGS0NXVT2026X001]
	// [case/01JDQ7A1B2C3D4E5F6G7H8J9K0 meeting/01JDQ7MEETNGS0NXVT2026X001 series/NUIT-2026]
}
