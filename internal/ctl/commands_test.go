package ctl

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// commandCase is one command line and the request it must send.
type commandCase struct {
	name    string
	args    []string
	command string // the name in the URL
	body    string // the JSON body, compared by value
}

// commandCases covers every command, with and without its optional fields.
var commandCases = []commandCase{
	{"define-goal",
		[]string{"strategy", "define-goal", "--goal", "M1", "--strategy", "2023-2030", "--title", "Aktiv medvirkning i egen og næres helse"},
		"DefineStrategicGoal",
		`{"goalId":"M1","strategy":"2023-2030","title":"Aktiv medvirkning i egen og næres helse"}`},
	{"define-subgoal",
		[]string{"strategy", "define-subgoal", "--subgoal", "1A", "--goal", "M1", "--title", "Innbygger skal ha mulighet …"},
		"DefineSubGoal",
		`{"subGoalId":"1A","goalId":"M1","title":"Innbygger skal ha mulighet …"}`},
	{"propose full",
		[]string{"initiative", "propose", "--id", "01JD0000000000000000000000", "--title", "Helsenorge", "--description", "Innbyggertjenester",
			"--owner", "Norsk helsenett SF", "--primary-subgoal", "1A", "--subgoal", "4A", "--subgoal", "2B,3A",
			"--user-group", "fastleger", "--user-group", "innbyggere", "--start", "2026-01-01", "--end", "2027-12-31",
			"--cost", "1000000", "--phase", "planning"},
		"ProposeInitiative",
		`{"initiativeId":"01JD0000000000000000000000","title":"Helsenorge","description":"Innbyggertjenester","owner":"Norsk helsenett SF",
		  "primarySubGoal":"1A","subGoals":["4A","2B","3A"],"userGroups":["fastleger","innbyggere"],
		  "plannedStart":"2026-01-01","plannedEnd":"2027-12-31","estimatedCostNOK":1000000,"phase":"planning"}`},
	{"propose minimal",
		[]string{"initiative", "propose", "--title", "Digihelse", "--description", "d", "--owner", "KS",
			"--primary-subgoal", "1A", "--start", "2026-01-01", "--end", "2027-12-31"},
		"ProposeInitiative",
		`{"title":"Digihelse","description":"d","owner":"KS","primarySubGoal":"1A","plannedStart":"2026-01-01","plannedEnd":"2027-12-31"}`},
	{"propose zero cost",
		[]string{"initiative", "propose", "--title", "T", "--description", "d", "--owner", "KS",
			"--primary-subgoal", "1A", "--start", "2026-01-01", "--end", "2027-12-31", "--cost", "0"},
		"ProposeInitiative",
		`{"title":"T","description":"d","owner":"KS","primarySubGoal":"1A","plannedStart":"2026-01-01","plannedEnd":"2027-12-31","estimatedCostNOK":0}`},
	{"withdraw",
		[]string{"initiative", "withdraw", "--id", "I1", "--reason", "merged into Helsenorge"},
		"WithdrawInitiative", `{"initiativeId":"I1","reason":"merged into Helsenorge"}`},
	{"pause",
		[]string{"initiative", "pause", "--id", "I1", "--reason", "funding"},
		"PauseInitiative", `{"initiativeId":"I1","reason":"funding"}`},
	{"resume",
		[]string{"initiative", "resume", "--id", "I1", "--reason", "funded"},
		"ResumeInitiative", `{"initiativeId":"I1","reason":"funded"}`},
	{"close",
		[]string{"initiative", "close", "--id", "I1", "--final-report", "Delivered."},
		"CloseInitiative", `{"initiativeId":"I1","finalReport":"Delivered."}`},
	{"cancel",
		[]string{"initiative", "cancel", "--id", "I1", "--reason", "superseded"},
		"CancelInitiative", `{"initiativeId":"I1","reason":"superseded"}`},
	{"report-status",
		[]string{"initiative", "report-status", "--id", "I1", "--date", "2026-03-31", "--overall", "green",
			"--schedule", "yellow", "--cost", "green", "--benefit", "green", "--comment", "vendor late"},
		"ReportStatus",
		`{"initiativeId":"I1","reportDate":"2026-03-31","overall":"green","schedule":"yellow","cost":"green","benefit":"green","comment":"vendor late"}`},
	{"report-status no comment",
		[]string{"initiative", "report-status", "--id", "I1", "--date", "2026-03-31", "--overall", "green",
			"--schedule", "green", "--cost", "green", "--benefit", "green"},
		"ReportStatus",
		`{"initiativeId":"I1","reportDate":"2026-03-31","overall":"green","schedule":"green","cost":"green","benefit":"green"}`},
	{"milestone plan",
		[]string{"initiative", "milestone", "plan", "--id", "I1", "--title", "Pilot live", "--planned-date", "2026-06-30"},
		"ReportMilestone",
		`{"initiativeId":"I1","title":"Pilot live","status":"planned","plannedDate":"2026-06-30"}`},
	{"milestone plan with id",
		[]string{"initiative", "milestone", "plan", "--id", "I1", "--milestone", "MS1", "--title", "Pilot live", "--planned-date", "2026-06-30"},
		"ReportMilestone",
		`{"initiativeId":"I1","milestoneId":"MS1","title":"Pilot live","status":"planned","plannedDate":"2026-06-30"}`},
	{"milestone achieve",
		[]string{"initiative", "milestone", "achieve", "--id", "I1", "--milestone", "MS1", "--achieved-date", "2026-06-28"},
		"ReportMilestone",
		`{"initiativeId":"I1","milestoneId":"MS1","status":"achieved","achievedDate":"2026-06-28"}`},
	{"milestone slip",
		[]string{"initiative", "milestone", "slip", "--id", "I1", "--milestone", "MS1", "--new-planned-date", "2026-09-30"},
		"ReportMilestone",
		`{"initiativeId":"I1","milestoneId":"MS1","status":"slipped","newPlannedDate":"2026-09-30"}`},
	{"schedule-meeting",
		[]string{"council", "schedule-meeting", "--forum", "NUIT", "--date", "2026-03-12"},
		"ScheduleMeeting", `{"forum":"NUIT","date":"2026-03-12"}`},
	{"schedule-meeting with id",
		[]string{"council", "schedule-meeting", "--id", "M1", "--forum", "EHR", "--date", "2026-04-02"},
		"ScheduleMeeting", `{"meetingId":"M1","forum":"EHR","date":"2026-04-02"}`},
	{"hold",
		[]string{"council", "hold", "--meeting", "M1"},
		"HoldMeeting", `{"meetingId":"M1"}`},
	{"register-case full",
		[]string{"council", "register-case", "--id", "C1", "--forum", "NUIT", "--title", "Opptak av Helsenorge",
			"--type", "approval", "--purpose", "phase_gate", "--initiative", "I1", "--target-phase", "execution",
			"--proposed-resolution", "NUIT anbefaler", "--archive-ref", "22/414-1"},
		"RegisterCase",
		`{"caseId":"C1","forum":"NUIT","title":"Opptak av Helsenorge","caseType":"approval","purpose":"phase_gate",
		  "initiativeId":"I1","targetPhase":"execution","proposedResolution":"NUIT anbefaler","archiveRef":"22/414-1"}`},
	{"register-case minimal",
		[]string{"council", "register-case", "--forum", "NUFA", "--title", "Orientering", "--type", "information",
			"--purpose", "other", "--proposed-resolution", "Tas til orientering"},
		"RegisterCase",
		`{"forum":"NUFA","title":"Orientering","caseType":"information","purpose":"other","proposedResolution":"Tas til orientering"}`},
	{"place",
		[]string{"council", "place", "--case", "C1", "--meeting", "M1"},
		"PlaceCaseOnAgenda", `{"caseId":"C1","meetingId":"M1"}`},
	{"note",
		[]string{"council", "note", "--case", "C1", "--meeting", "M1", "--remarks", "ok"},
		"NoteCase", `{"caseId":"C1","meetingId":"M1","remarks":"ok"}`},
	{"note without remarks",
		[]string{"council", "note", "--case", "C1", "--meeting", "M1"},
		"NoteCase", `{"caseId":"C1","meetingId":"M1"}`},
	{"discuss",
		[]string{"council", "discuss", "--case", "C1", "--meeting", "M1", "--remarks", "good discussion"},
		"DiscussCase", `{"caseId":"C1","meetingId":"M1","remarks":"good discussion"}`},
	{"recommend",
		[]string{"council", "recommend", "--case", "C1", "--meeting", "M1", "--resolution", "NUIT anbefaler", "--conditions", "finansiering"},
		"RecommendInCouncil", `{"caseId":"C1","meetingId":"M1","resolution":"NUIT anbefaler","conditions":"finansiering"}`},
	{"recommend without conditions",
		[]string{"council", "recommend", "--case", "C1", "--meeting", "M1", "--resolution", "NUIT anbefaler"},
		"RecommendInCouncil", `{"caseId":"C1","meetingId":"M1","resolution":"NUIT anbefaler"}`},
	{"approve",
		[]string{"council", "approve", "--case", "C1", "--meeting", "M2", "--resolution", "EHR gir sin tilslutning"},
		"ApproveInCouncil", `{"caseId":"C1","meetingId":"M2","resolution":"EHR gir sin tilslutning"}`},
	{"reject",
		[]string{"council", "reject", "--case", "C1", "--meeting", "M2", "--resolution", "Ikke støttet"},
		"RejectInCouncil", `{"caseId":"C1","meetingId":"M2","resolution":"Ikke støttet"}`},
	{"defer",
		[]string{"council", "defer", "--case", "C1", "--meeting", "M2", "--reason", "mangler underlag"},
		"DeferCase", `{"caseId":"C1","meetingId":"M2","reason":"mangler underlag"}`},
	{"correct",
		[]string{"council", "correct", "--case", "C1", "--corrects-event", "E1", "--reason", "skrivefeil", "--resolution", "Rettet vedtak"},
		"CorrectDecision", `{"caseId":"C1","correctsEventId":"E1","reason":"skrivefeil","resolution":"Rettet vedtak"}`},
	{"generic",
		[]string{"command", "HoldMeeting", "--data", `{"meetingId":"M9"}`},
		"HoldMeeting", `{"meetingId":"M9"}`},
	{"define indicator",
		[]string{"command", "DefineIndicator", "--data", `{"goalId":"M1","name":"Digital dialog","unit":"prosent","direction":"increase","baseline":{"value":40,"date":"2023-12-31"},"target":{"value":80,"date":"2030-12-31"}}`},
		"DefineIndicator", `{"goalId":"M1","name":"Digital dialog","unit":"prosent","direction":"increase","baseline":{"value":40,"date":"2023-12-31"},"target":{"value":80,"date":"2030-12-31"}}`},
	{"record indicator value",
		[]string{"command", "RecordIndicatorValue", "--data", `{"indicatorId":"X1","period":"2026","value":51.5}`},
		"RecordIndicatorValue", `{"indicatorId":"X1","period":"2026","value":51.5}`},
	{"open round",
		[]string{"command", "OpenReportingRound", "--data", `{"label":"2026-T3","periodEnd":"2026-08-31","deadline":"2026-09-15"}`},
		"OpenReportingRound", `{"label":"2026-T3","periodEnd":"2026-08-31","deadline":"2026-09-15"}`},
	{"close round",
		[]string{"command", "CloseReportingRound", "--data", `{"roundId":"R1"}`},
		"CloseReportingRound", `{"roundId":"R1"}`},
	{"declare dependency",
		[]string{"command", "DeclareDependency", "--data", `{"initiativeId":"I1","dependsOn":"I2","neededBy":"2026-12-31","description":"HelseID"}`},
		"DeclareDependency", `{"initiativeId":"I1","dependsOn":"I2","neededBy":"2026-12-31","description":"HelseID"}`},
	{"remove dependency",
		[]string{"command", "RemoveDependency", "--data", `{"dependencyId":"D1","reason":"løst"}`},
		"RemoveDependency", `{"dependencyId":"D1","reason":"løst"}`},
}

// TestCommandBodies checks, for every command, the URL, method, headers
// and JSON body the server receives, and the one-line answer.
func TestCommandBodies(t *testing.T) {
	f := newFake(t)
	seen := map[string]bool{}
	for _, tc := range commandCases {
		t.Run(tc.name, func(t *testing.T) {
			f.reset()
			r := f.run(tc.args...)
			if r.code != 0 {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			req := f.only(t)
			if req.Method != "POST" || req.Path != "/v1/commands/"+tc.command {
				t.Errorf("request %s %s, want POST /v1/commands/%s", req.Method, req.Path, tc.command)
			}
			if ct := req.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			if h := req.Header.Get("Idempotency-Key") + req.Header.Get("If-Match") + req.Header.Get("Authorization"); h != "" {
				t.Errorf("unexpected headers %q", h)
			}
			jsonEqual(t, req.Body, tc.body)
			if want := "InitiativeProposed initiative/01JTEST version 1 position 57\n"; r.stdout != want {
				t.Errorf("stdout %q, want %q", r.stdout, want)
			}
			if r.stderr != "" {
				t.Errorf("stderr %q", r.stderr)
			}
			seen[tc.command] = true
		})
	}
	for _, n := range commandNames {
		if !seen[n] {
			t.Errorf("no test case sends %s", n)
		}
	}
}

// TestCommandHeaders: --idempotency-key, --if-match and the token on
// every command.
func TestCommandHeaders(t *testing.T) {
	f := newFake(t)
	for _, tc := range commandCases {
		t.Run(tc.name, func(t *testing.T) {
			f.reset()
			args := append([]string{"--token", "s3cret", "--idempotency-key", "key-1", "--if-match", "4"}, tc.args...)
			r := f.run(args...)
			if r.code != 0 {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			req := f.only(t)
			if got := req.Header.Get("Idempotency-Key"); got != "key-1" {
				t.Errorf("Idempotency-Key %q", got)
			}
			if got := req.Header.Get("If-Match"); got != `"4"` {
				t.Errorf("If-Match %q", got)
			}
			if got := req.Header.Get("Authorization"); got != "Bearer s3cret" {
				t.Errorf("Authorization %q", got)
			}
			jsonEqual(t, req.Body, tc.body)
		})
	}
}

func TestIfMatchQuotedAndInvalid(t *testing.T) {
	f := newFake(t)
	r := f.run("council", "hold", "--meeting", "M1", "--if-match", `"7"`)
	if r.code != 0 || f.only(t).Header.Get("If-Match") != `"7"` {
		t.Fatalf("quoted --if-match: exit %d, %q", r.code, f.requests())
	}
	f.reset()
	r = f.run("council", "hold", "--meeting", "M1", "--if-match", "seven")
	if r.code != ExitUsage || len(f.requests()) != 0 {
		t.Fatalf("bad --if-match: exit %d, %d requests", r.code, len(f.requests()))
	}
	if !strings.Contains(r.stderr, `--if-match "seven" is not a version number`) {
		t.Errorf("stderr %q", r.stderr)
	}
}

func TestGenericCommandData(t *testing.T) {
	f := newFake(t)
	body := `{"caseId":"C1",  "meetingId":"M1"}`

	// From a file, sent byte for byte.
	path := filepath.Join(t.TempDir(), "body.json")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	r := f.run("command", "PlaceCaseOnAgenda", "--data", "@"+path)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if req := f.only(t); string(req.Body) != body || req.Path != "/v1/commands/PlaceCaseOnAgenda" {
		t.Errorf("got %s %q", req.Path, req.Body)
	}

	// From standard input.
	f.reset()
	r = runCtl(nil, body, "--server", f.URL, "command", "PlaceCaseOnAgenda", "-d", "-")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if req := f.only(t); string(req.Body) != body {
		t.Errorf("got %q", req.Body)
	}

	// Usage errors: nothing is sent.
	f.reset()
	for _, args := range [][]string{
		{"command", "HoldMeeting", "--data", "{not json"},
		{"command", "HoldMeeting", "--data", "@" + filepath.Join(t.TempDir(), "missing.json")},
		{"command", "HoldMeeting"},
		{"command", "--data", "{}"},
	} {
		r := f.run(args...)
		if r.code != ExitUsage {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", args, r.code, r.stderr)
		}
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("usage errors sent %d requests", n)
	}
}

func TestCommandResultFormats(t *testing.T) {
	f := newFake(t)
	answer := `{"aggregateType":"case","aggregateId":"C1","version":4,"position":60,"events":[{"id":"E1","type":"CaseApproved","position":59},{"id":"E2","type":"InitiativeAdmitted","position":60}]}`
	f.on("/v1/commands/ApproveInCouncil", reply{status: 201, body: answer})
	args := []string{"council", "approve", "--case", "C1", "--meeting", "M2", "--resolution", "ja"}

	r := f.run(args...)
	if want := "CaseApproved+InitiativeAdmitted case/C1 version 4 position 60\n"; r.stdout != want || r.code != 0 {
		t.Errorf("table: exit %d, %q, want %q", r.code, r.stdout, want)
	}
	r = f.run(append([]string{"-o", "json"}, args...)...)
	if r.stdout != answer+"\n" || r.code != 0 {
		t.Errorf("json: exit %d, %q", r.code, r.stdout)
	}

	f.on("/v1/commands/ApproveInCouncil", reply{status: 200, header: map[string]string{"Idempotent-Replayed": "true"}, body: answer})
	r = f.run(append([]string{"--idempotency-key", "k"}, args...)...)
	if want := "CaseApproved+InitiativeAdmitted case/C1 version 4 position 60 (idempotent replay: nothing new written)\n"; r.stdout != want {
		t.Errorf("replay: %q, want %q", r.stdout, want)
	}

	r = f.run("-o", "yaml", "council", "hold", "--meeting", "M1")
	if r.code != ExitUsage {
		t.Errorf("-o yaml: exit %d", r.code)
	}
	r = f.run("-o", "csv", "council", "hold", "--meeting", "M1")
	if r.code != ExitUsage {
		t.Errorf("-o csv on a command: exit %d", r.code)
	}
}

func TestRequiredFlags(t *testing.T) {
	f := newFake(t)
	cases := [][]string{
		{"strategy", "define-goal", "--goal", "M1", "--title", "x"},
		{"initiative", "propose", "--title", "x"},
		{"initiative", "withdraw", "--id", "I1"},
		{"initiative", "report-status", "--id", "I1", "--date", "2026-01-01"},
		{"initiative", "milestone", "achieve", "--id", "I1"},
		{"council", "schedule-meeting", "--forum", "NUIT"},
		{"council", "hold"},
		{"council", "register-case", "--forum", "NUIT"},
		{"council", "recommend", "--case", "C1", "--meeting", "M1"},
		{"council", "correct", "--case", "C1"},
	}
	for _, args := range cases {
		r := f.run(args...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, "required flag") {
			t.Errorf("%v: exit %d, stderr %q", args, r.code, r.stderr)
		}
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("sent %d requests", n)
	}
}
