package domain

import (
	"slices"
	"strings"
	"testing"
)

func TestIDFormats(t *testing.T) {
	for _, s := range []string{"01JDQ6Z3V7M8W0X8PVRBQ5N2E4", "7ZZZZZZZZZZZZZZZZZZZZZZZZZ", "01jdq6z3v7m8w0x8pvrbq5n2e4"} {
		if !IsULID(s) || !ValidID(s) {
			t.Errorf("IsULID(%q) = false", s)
		}
	}
	for _, s := range []string{"", "01JDQ6Z3V7M8W0X8PVRBQ5N2E", "81JDQ6Z3V7M8W0X8PVRBQ5N2E4", "01JDQ6Z3V7M8W0X8PVRBQ5N2EU", "01JDQ6Z3V7M8W0X8PVRBQ5N2-4"} {
		if IsULID(s) {
			t.Errorf("IsULID(%q) = true", s)
		}
	}
	for _, s := range []string{"3f2b8c1e-9d4a-4e6b-8f0a-2c5d7e9b1a3c", "3F2B8C1E-9D4A-4E6B-8F0A-2C5D7E9B1A3C"} {
		if !IsUUID(s) || !ValidID(s) {
			t.Errorf("IsUUID(%q) = false", s)
		}
	}
	for _, s := range []string{"", "3f2b8c1e9d4a4e6b8f0a2c5d7e9b1a3c", "3f2b8c1e-9d4a-4e6b-8f0a-2c5d7e9b1a3g", "{3f2b8c1e-9d4a-4e6b-8f0a-2c5d7e9b1a3}"} {
		if IsUUID(s) || ValidID(s) {
			t.Errorf("IsUUID(%q) = true", s)
		}
	}
}

func TestCodes(t *testing.T) {
	for _, s := range []string{"M1", "1A", "S1A", "2017-3", "M1.a", "x_1"} {
		if !IsCode(s) {
			t.Errorf("IsCode(%q) = false", s)
		}
	}
	for _, s := range []string{"", "-M1", "M 1", "Mø", strings.Repeat("A", MaxCodeLen+1), "M1/"} {
		if IsCode(s) {
			t.Errorf("IsCode(%q) = true", s)
		}
	}
	for _, s := range []string{"2023-2030", "2017-2022", "2026-2026"} {
		if !IsStrategyPeriod(s) {
			t.Errorf("IsStrategyPeriod(%q) = false", s)
		}
	}
	for _, s := range []string{"", "2030-2023", "2023–2030", "2023-20300", "+023-2030", "2023--030", "1800-1900"} {
		if IsStrategyPeriod(s) {
			t.Errorf("IsStrategyPeriod(%q) = true", s)
		}
	}
	if f, y, ok := SeriesOf("NUIT-2026"); !ok || f != NUIT || y != 2026 {
		t.Errorf("SeriesOf = %s %d %v", f, y, ok)
	}
	for _, s := range []string{"", "NUIT", "NUIT-", "XX-2026", "NUIT-+2026", "NUIT-02026"} {
		if _, _, ok := SeriesOf(s); ok {
			t.Errorf("SeriesOf(%q) ok", s)
		}
	}
	if got := CaseNumber(15, 2026); got != "15/26" {
		t.Errorf("CaseNumber = %s", got)
	}
	if got := CaseNumber(3, 2105); got != "3/05" {
		t.Errorf("CaseNumber = %s", got)
	}
	if got := MeetingLabel(3, 2026); got != "3/2026" {
		t.Errorf("MeetingLabel = %s", got)
	}
}

func TestValueHelpers(t *testing.T) {
	if p, ok := PhaseConcept.Next(); !ok || p != PhasePlanning {
		t.Error("concept → planning")
	}
	if _, ok := PhaseClosed.Next(); ok {
		t.Error("closed has a next phase")
	}
	if NUFA.Index() >= NUIT.Index() || NUIT.Index() >= EHR.Index() || Forum("x").Index() != -1 {
		t.Error("forum order")
	}
	if NUFA.MayRecord(OutcomeApproved) || !EHR.MayRecord(OutcomeApproved) || !NUIT.MayRecord(OutcomeDeferred) || NUFA.MayRecord(OutcomeDeferred) {
		t.Error("forum outcomes")
	}
	for _, f := range Forums {
		for _, o := range f.Outcomes() {
			if !o.Valid() {
				t.Errorf("%s records invalid %s", f, o)
			}
		}
	}
	for _, l := range []Lifecycle{LifecycleProposed, LifecycleInPortfolio, LifecyclePaused, LifecycleRejected, LifecycleWithdrawn, LifecycleClosed, LifecycleCancelled} {
		if !l.Valid() {
			t.Errorf("%s invalid", l)
		}
	}
	if LifecycleInPortfolio.Final() || LifecyclePaused.Final() || !LifecycleClosed.Final() || Lifecycle("x").Valid() {
		t.Error("lifecycle helpers")
	}
}

// TestValidateEmptyCommands: every command's zero value is invalid and
// names its required fields.
func TestValidateEmptyCommands(t *testing.T) {
	want := map[string][]string{
		"DefineStrategicGoal":  {"goalId", "strategy", "title"},
		"DefineSubGoal":        {"subGoalId", "goalId", "title"},
		"ProposeInitiative":    {"title", "description", "owner", "primarySubGoal", "plannedStart", "plannedEnd"},
		"WithdrawInitiative":   {"initiativeId", "reason"},
		"ReportStatus":         {"initiativeId", "reportDate", "overall", "schedule", "cost", "benefit"},
		"ReportMilestone":      {"initiativeId", "status"},
		"PauseInitiative":      {"initiativeId", "reason"},
		"ResumeInitiative":     {"initiativeId", "reason"},
		"CloseInitiative":      {"initiativeId", "finalReport"},
		"CancelInitiative":     {"initiativeId", "reason"},
		"ScheduleMeeting":      {"forum", "date"},
		"HoldMeeting":          {"meetingId"},
		"RegisterCase":         {"forum", "title", "caseType", "purpose", "proposedResolution"},
		"PlaceCaseOnAgenda":    {"caseId", "meetingId"},
		"NoteCase":             {"caseId", "meetingId"},
		"DiscussCase":          {"caseId", "meetingId"},
		"RecommendInCouncil":   {"caseId", "meetingId", "resolution"},
		"ApproveInCouncil":     {"caseId", "meetingId", "resolution"},
		"RejectInCouncil":      {"caseId", "meetingId", "resolution"},
		"DeferCase":            {"caseId", "meetingId", "reason"},
		"CorrectDecision":      {"caseId", "correctsEventId", "reason", "resolution"},
		"DefineIndicator":      {"goalId", "name", "unit", "direction", "baseline.date", "target.date", "target.value"},
		"RecordIndicatorValue": {"indicatorId", "period"},
		"OpenReportingRound":   {"label", "periodEnd", "deadline"},
		"CloseReportingRound":  {"roundId"},
		"DeclareDependency":    {"initiativeId", "dependsOn", "neededBy", "description"},
		"RemoveDependency":     {"dependencyId", "reason"},

		"OpenConsultation":             {"title", "description", "questions", "deadline"},
		"InviteToConsultation":         {"consultationId", "bodies"},
		"RegisterConsultationResponse": {"consultationId", "organisation", "receivedDate", "answers"},
		"PublishConsultationResponse":  {"consultationId", "responseId"},
		"CloseConsultation":            {"consultationId", "summary"},
	}
	for _, name := range CommandNames {
		c, ok := NewCommand(name)
		if !ok {
			t.Fatalf("NewCommand(%s)", name)
		}
		err := c.Validate()
		var got []string
		if e, ok := err.(*Error); ok && e.Kind == KindInvalid {
			for _, f := range e.Fields {
				got = append(got, f.Field)
			}
		} else {
			t.Errorf("%s{}.Validate() = %v, want invalid", name, err)
			continue
		}
		if !slices.Equal(got, want[name]) {
			t.Errorf("%s{}.Validate() fields %q, want %q", name, got, want[name])
		}
	}
}

// TestValidateSamples: the sample of every command is valid.
func TestValidateSamples(t *testing.T) {
	for _, name := range CommandNames {
		c, ok := commandSamples()[name]
		if !ok {
			t.Errorf("no sample of %s", name)
			continue
		}
		if err := c.Validate(); err != nil {
			t.Errorf("sample %s: %v", name, err)
		}
	}
}

func TestValidateText(t *testing.T) {
	long := strings.Repeat("æ", MaxTitleLen+1) // runes, not bytes
	okTitle := strings.Repeat("æ", MaxTitleLen)
	tests := []struct {
		name   string
		cmd    Command
		fields []string
	}{
		{"a title of the maximum length", DefineStrategicGoal{"M1", "2023-2030", okTitle}, nil},
		{"a title over the maximum length", DefineStrategicGoal{"M1", "2023-2030", long}, []string{"title"}},
		{"a title with a line break", DefineStrategicGoal{"M1", "2023-2030", "a\nb"}, []string{"title"}},
		{"a resolution with line breaks", ApproveInCouncil{case1, mEHR, "a\nb\r\n\tc"}, nil},
		{"a resolution over the maximum length", ApproveInCouncil{case1, mEHR, strings.Repeat("x", MaxTextLen+1)}, []string{"resolution"}},
		{"invalid UTF-8", CancelInitiative{ini1, "a\xffb"}, []string{"reason"}},
		{"a whitespace-only reason", PauseInitiative{ini1, " \n\t "}, []string{"reason"}},
		{"an archive reference too long", RegisterCase{Forum: NUIT, Title: "t", CaseType: CaseInformation, Purpose: PurposeOther,
			ProposedResolution: "r", ArchiveRef: strings.Repeat("1", MaxRefLen+1)}, []string{"archiveRef"}},
		{"too many sub-goals", ProposeInitiative{Title: "t", Description: "d", Owner: "o", PrimarySubGoal: "1A",
			PlannedStart: "2026-01-01", PlannedEnd: "2026-01-01", SubGoals: make([]string, MaxListLen+1)}, []string{"subGoals"}},
		{"a date out of range", ScheduleMeeting{Forum: NUIT, Date: "0001-01-01"}, []string{"date"}},
		{"an implausible cost", ProposeInitiative{Title: "t", Description: "d", Owner: "o", PrimarySubGoal: "1A",
			PlannedStart: "2026-01-01", PlannedEnd: "2026-01-01", EstimatedCostNOK: i64(1 << 62)}, []string{"estimatedCostNOK"}},
		{"a zero cost", ProposeInitiative{Title: "t", Description: "d", Owner: "o", PrimarySubGoal: "1A",
			PlannedStart: "2026-01-01", PlannedEnd: "2026-01-01", EstimatedCostNOK: i64(0)}, nil},
		{"a red light with a comment", ReportStatus{ini1, "2026-01-01", Red, Red, Red, Red, "Stopp", ""}, nil},
		{"a UUID id", HoldMeeting{"3f2b8c1e-9d4a-4e6b-8f0a-2c5d7e9b1a3c"}, nil},
	}
	for _, tt := range tests {
		err := tt.cmd.Validate()
		var got []string
		if err != nil {
			e, ok := err.(*Error)
			if !ok || e.Kind != KindInvalid {
				t.Errorf("%s: %v is not an invalid *Error", tt.name, err)
				continue
			}
			for _, f := range e.Fields {
				got = append(got, f.Field)
			}
		}
		if !slices.Equal(got, tt.fields) {
			t.Errorf("%s: fields %q (%v), want %q", tt.name, got, err, tt.fields)
		}
	}
}
