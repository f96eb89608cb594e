package ctl

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/services/wire"
)

const strategyJSON = `{"strategies":[{"strategy":"2023-2030","goals":[
 {"goalId":"M1","strategy":"2023-2030","title":"Aktiv medvirkning i egen og næres helse","subGoals":[
   {"subGoalId":"1A","goalId":"M1","strategy":"2023-2030","title":"Innbygger skal ha mulighet for å administrere behandlingsforløp"}]},
 {"goalId":"M2","strategy":"2023-2030","title":"Enklere arbeidshverdag","subGoals":[]}]}]}`

const initiativesJSON = `[{"initiativeId":"01JHN","title":"Helsenorge","owner":"Norsk helsenett SF","phase":"execution","state":"in_portfolio",
 "primaryGoal":"M1","primarySubGoal":"1A","subGoals":["4A"],"userGroups":["innbyggere"],"plannedStart":"2026-01-01","plannedEnd":"2027-12-31",
 "latestStatus":{"reportDate":"2026-03-31","overall":"yellow","schedule":"yellow","cost":"green","benefit":"green","comment":"late","reportedAt":"2026-04-01T10:00:00Z","eventId":"E5","position":9},
 "lastUpdated":"2026-04-01T10:00:00.123Z","version":5},
 {"initiativeId":"01JDH","title":"Digihelse","owner":"KS","phase":"concept","state":"proposed","primaryGoal":"M1","primarySubGoal":"1A",
 "subGoals":[],"userGroups":[],"plannedStart":"2026-02-01","plannedEnd":"2028-01-31","lastUpdated":"2026-02-01T09:00:00Z","version":1}]`

const roadmapJSON = `{"goals":[
 {"goalId":"M1","strategy":"2023-2030","title":"Aktiv medvirkning i egen og næres helse","subGoals":[
  {"subGoalId":"1A","title":"Innbygger skal ha mulighet …","initiatives":[
   {"initiativeId":"01JHN","title":"Helsenorge","owner":"Norsk helsenett SF","phase":"execution","state":"in_portfolio","primary":true,
    "plannedStart":"2026-01-01","plannedEnd":"2027-12-31","userGroups":["innbyggere"],
    "milestones":[{"milestoneId":"MS1","title":"Pilot","status":"achieved","plannedDate":"2026-06-30","originalPlannedDate":"2026-06-30","slips":0},
                  {"milestoneId":"MS2","title":"Rollout","status":"planned","plannedDate":"2026-12-31","originalPlannedDate":"2026-12-31","slips":0}],
    "latestRag":"yellow"}]},
  {"subGoalId":"1B","title":"Illustrativt delmål","initiatives":[]}]},
 {"goalId":"M4","strategy":"2023-2030","title":"Tilgjengelig informasjon og styrket samhandling","subGoals":[
  {"subGoalId":"4A","title":"Illustrativt delmål 4A","initiatives":[
   {"initiativeId":"01JHN","title":"Helsenorge","owner":"Norsk helsenett SF","phase":"execution","state":"in_portfolio","primary":false,
    "plannedStart":"2026-01-01","plannedEnd":"2027-12-31","userGroups":[],"milestones":[]}]}]},
 {"goalId":"M5","strategy":"2023-2030","title":"Samarbeid","subGoals":[]}]}`

const initiativeJSON = `{"initiativeId":"01JHN","title":"Helsenorge","owner":"Norsk helsenett SF","phase":"execution","state":"in_portfolio",
 "primaryGoal":"M1","primarySubGoal":"1A","subGoals":["1A","4A"],"userGroups":["innbyggere","fastleger"],"plannedStart":"2026-01-01","plannedEnd":"2027-12-31",
 "estimatedCostNOK":12500000,
 "latestStatus":{"reportDate":"2026-03-31","overall":"yellow","schedule":"yellow","cost":"green","benefit":"green","comment":"vendor late","reportedAt":"2026-04-01T10:00:00Z","eventId":"E5","position":9},
 "lastUpdated":"2026-04-01T10:00:00Z","version":5,"description":"Innbyggertjenester","proposedAt":"2026-01-05T08:00:00Z",
 "milestones":[{"milestoneId":"MS1","title":"Pilot","status":"slipped","plannedDate":"2026-09-30","originalPlannedDate":"2026-06-30","slips":1}],
 "statusHistory":[{"reportDate":"2026-03-31","overall":"yellow","schedule":"yellow","cost":"green","benefit":"green","comment":"vendor late","reportedAt":"2026-04-01T10:00:00Z","reportedBy":"nhn","eventId":"E5","position":9}],
 "history":[{"event":"InitiativeProposed","state":"proposed","phase":"concept","at":"2026-01-05T08:00:00Z","eventId":"E1","position":3},
            {"event":"InitiativeAdmitted","state":"in_portfolio","phase":"concept","caseId":"C1","meetingId":"M2","at":"2026-02-01T08:00:00Z","eventId":"E2","position":5}],
 "cases":[{"caseId":"C1","forum":"NUIT","title":"Opptak av Helsenorge","caseType":"approval","purpose":"admission","caseNumbers":["3/26","1/26"],"lastOutcome":"approved","lastForum":"EHR"}],
 "position":9}`

const meetingsJSON = `[{"meetingId":"M1","forum":"NUIT","date":"2026-03-12","year":2026,"number":1,"label":"1/2026","held":true,"agendaItems":2},
 {"meetingId":"M2","forum":"EHR","date":"2026-04-02","year":2026,"number":1,"label":"1/2026","held":false,"agendaItems":0}]`

const meetingJSON = `{"meetingId":"M1","forum":"NUIT","date":"2026-03-12","year":2026,"number":1,"label":"1/2026","held":true,"agendaItems":1,
 "heldAt":"2026-03-12T15:00:00Z","agenda":[{"caseId":"C1","caseNumber":"3/26","number":3,"caseType":"approval","purpose":"admission","title":"Opptak av Helsenorge",
  "initiativeId":"01JHN","proposedResolution":"NUIT anbefaler","registeredForum":"NUFA",
  "outcomes":[{"outcome":"recommended","resolution":"NUIT anbefaler opptak","conditions":"finansiering","eventId":"E7","position":12,"recordedAt":"2026-03-12T15:00:00Z"}]}]}`

const caseJSON = `{"caseId":"C1","forum":"NUFA","title":"Opptak av Helsenorge","caseType":"approval","purpose":"phase_gate","targetPhase":"execution",
 "initiativeId":"01JHN","proposedResolution":"NUIT anbefaler","archiveRef":"22/414-1","registeredAt":"2026-03-01T09:00:00Z","status":"approved",
 "path":[{"kind":"placed","forum":"NUIT","meetingId":"M1","meetingLabel":"1/2026","meetingDate":"2026-03-12","caseNumber":"3/26","eventId":"E6","position":11,"recordedAt":"2026-03-02T09:00:00Z"},
         {"kind":"decision","forum":"NUIT","meetingId":"M1","meetingLabel":"1/2026","meetingDate":"2026-03-12","caseNumber":"3/26","outcome":"recommended","resolution":"NUIT anbefaler","eventId":"E7","position":12,"recordedAt":"2026-03-12T15:00:00Z","corrected":true}],
 "corrections":[{"eventId":"E9","correctsEventId":"E7","reason":"skrivefeil","resolution":"NUIT anbefaler (rettet)","position":14,"recordedAt":"2026-03-13T09:00:00Z"}],
 "version":5}`

const decisionsJSON = `[{"eventId":"E7","position":12,"forum":"NUIT","meetingId":"M1","meetingLabel":"1/2026","meetingDate":"2026-03-12","caseId":"C1",
  "caseNumber":"3/26","caseTitle":"Opptak av Helsenorge","caseType":"approval","purpose":"admission","initiativeId":"01JHN","outcome":"recommended",
  "resolution":"NUIT anbefaler","recordedAt":"2026-03-12T15:00:00Z",
  "corrections":[{"eventId":"E9","correctsEventId":"E7","reason":"skrivefeil","resolution":"NUIT anbefaler (rettet)","position":14,"recordedAt":"2026-03-13T09:00:00Z"}]},
 {"eventId":"E8","position":13,"forum":"EHR","meetingId":"M2","meetingLabel":"1/2026","meetingDate":"2026-04-02","caseId":"C1",
  "caseNumber":"1/26","caseTitle":"Opptak av Helsenorge","caseType":"approval","purpose":"admission","outcome":"approved","resolution":"EHR gir sin tilslutning","recordedAt":"2026-04-02T15:00:00Z"}]`

// The server's AuditEventList.
const auditEventsJSON = `{"events":[{"position":1,"id":"E1","type":"StrategicGoalDefined","schemaVersion":1,"subject":"portfolio.events.strategy.national.StrategicGoalDefined",
  "aggregateType":"strategy","aggregateId":"national","version":1,"time":"2026-01-01T08:00:00.5Z","actor":"sekretariat","data":{}},
 {"position":2,"id":"E2","type":"InitiativeProposed","schemaVersion":1,"subject":"portfolio.events.initiative.01JHN.InitiativeProposed",
  "aggregateType":"initiative","aggregateId":"01JHN","version":1,"time":"2026-01-05T08:00:00Z","actor":"hso","data":{}}],"next":2}`

// The server's EventView list.
const historyJSON = `{"events":[{"position":3,"id":"E1","type":"InitiativeProposed","schemaVersion":1,"subject":"initiative/01JHN",
  "aggregateType":"initiative","aggregateId":"01JHN","version":1,"time":"2026-01-05T08:00:00Z","actor":"nhn","causationId":"K1",
  "data":{"title":"Helsenorge"},"raw":"eyJzcGVjdmVyc2lvbiI6IjEuMCJ9"}],"next":3}`

func TestQueryRequests(t *testing.T) {
	f := newFake(t)
	f.fallback = nil
	cases := []struct {
		args  []string
		path  string
		query url.Values
	}{
		{[]string{"strategy"}, "/v1/strategy", url.Values{}},
		{[]string{"strategy", "--min-position", "57"}, "/v1/strategy", url.Values{"minPosition": {"57"}}},
		{[]string{"initiatives", "--goal", "M1", "--subgoal", "1A", "--owner", "Helse Sør-Øst RHF", "--user-group", "fastleger",
			"--phase", "planning", "--state", "in_portfolio", "--q", "journal kommune", "--min-position", "3"},
			"/v1/initiatives", url.Values{"goal": {"M1"}, "subGoal": {"1A"}, "owner": {"Helse Sør-Øst RHF"}, "userGroup": {"fastleger"},
				"phase": {"planning"}, "state": {"in_portfolio"}, "q": {"journal kommune"}, "minPosition": {"3"}}},
		{[]string{"roadmap", "--goal", "M1", "--subgoal", "1A", "--owner", "KS", "--user-group", "kommuner", "--phase", "concept", "--q", "akson"},
			"/v1/roadmap", url.Values{"goal": {"M1"}, "subGoal": {"1A"}, "owner": {"KS"}, "userGroup": {"kommuner"}, "phase": {"concept"}, "q": {"akson"}}},
		{[]string{"initiative", "show", "01JHN"}, "/v1/initiatives/01JHN", url.Values{}},
		{[]string{"initiative", "show", "01JHN", "--as-of", "2026-03-31T12:00:00+02:00"}, "/v1/initiatives/01JHN",
			url.Values{"asOf": {"2026-03-31T12:00:00+02:00"}}},
		{[]string{"initiative", "show", "01JHN", "--as-of", "2026-03-31"}, "/v1/initiatives/01JHN",
			url.Values{"asOf": {"2026-03-31T23:59:59.999999999Z"}}},
		{[]string{"initiative", "show", "01JHN", "--at-version", "3", "--min-position", "9"}, "/v1/initiatives/01JHN",
			url.Values{"atVersion": {"3"}, "minPosition": {"9"}}},
		{[]string{"initiative", "history", "01JHN"}, "/v1/initiatives/01JHN/events", url.Values{}},
		{[]string{"council", "meetings", "--forum", "NUIT", "--year", "2026"}, "/v1/council/meetings", url.Values{"forum": {"NUIT"}, "year": {"2026"}}},
		{[]string{"council", "meeting", "M1"}, "/v1/council/meetings/M1", url.Values{}},
		{[]string{"council", "case", "C1"}, "/v1/council/cases/C1", url.Values{}},
		{[]string{"council", "decisions", "--forum", "EHR", "--initiative", "01JHN", "--from", "2026-01-01", "--to", "2026-12-31"},
			"/v1/council/decisions", url.Values{"forum": {"EHR"}, "initiativeId": {"01JHN"}, "from": {"2026-01-01"}, "to": {"2026-12-31"}}},
		{[]string{"council", "decisions", "-o", "csv"}, "/v1/council/decisions", url.Values{"format": {"csv"}}},
		{[]string{"audit", "events", "--after", "100", "--limit", "50"}, "/v1/audit/events", url.Values{"after": {"100"}, "limit": {"50"}}},
		{[]string{"audit", "events", "--after", "0"}, "/v1/audit/events", url.Values{"after": {"0"}}},
		{[]string{"audit", "verify"}, "/v1/audit/verify", url.Values{}},
		{[]string{"initiative", "show", "a/b"}, "/v1/initiatives/a%2Fb", url.Values{}},
		{[]string{"initiative", "history", "a b?"}, "/v1/initiatives/a%20b%3F/events", url.Values{}},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			f.reset()
			f.run(tc.args...) // the fake answers 404; only the request matters here
			req := f.only(t)
			if req.Method != "GET" {
				t.Errorf("method %s", req.Method)
			}
			if req.Path != tc.path {
				t.Errorf("path %q, want %q", req.Path, tc.path)
			}
			q, _ := url.ParseQuery(req.Query)
			if q.Encode() != tc.query.Encode() {
				t.Errorf("query %q, want %q", q.Encode(), tc.query.Encode())
			}
			if len(req.Body) != 0 {
				t.Errorf("GET with body %q", req.Body)
			}
		})
	}
}

func TestQueryTables(t *testing.T) {
	f := newFake(t)
	f.on("/v1/strategy", reply{body: strategyJSON})
	// The server wraps lists in objects.
	f.on("/v1/initiatives", reply{body: `{"initiatives":` + initiativesJSON + `}`})
	f.on("/v1/roadmap", reply{body: roadmapJSON})
	f.on("/v1/initiatives/01JHN", reply{body: initiativeJSON, header: map[string]string{"ETag": `"5"`}})
	f.on("/v1/initiatives/01JHN/events", reply{body: historyJSON})
	f.on("/v1/council/meetings", reply{body: `{"meetings":` + meetingsJSON + `}`})
	f.on("/v1/council/meetings/M1", reply{body: meetingJSON})
	f.on("/v1/council/cases/C1", reply{body: caseJSON})
	f.on("/v1/council/decisions", reply{body: `{"decisions":` + decisionsJSON + `}`})
	f.on("/v1/audit/events", reply{body: auditEventsJSON})

	cases := []struct {
		args []string
		want string // exact table output
	}{
		{[]string{"strategy"}, `Strategy 2023-2030
  M1    Aktiv medvirkning i egen og næres helse
    1A  Innbygger skal ha mulighet for å administrere behandlingsforløp
  M2    Enklere arbeidshverdag
`},
		{[]string{"initiatives"}, `TITLE       OWNER               PHASE      STATE         GOAL   START       END         RAG     UPDATED               ID
Helsenorge  Norsk helsenett SF  execution  in_portfolio  M1/1A  2026-01-01  2027-12-31  yellow  2026-04-01 10:00:00Z  01JHN
Digihelse   KS                  concept    proposed      M1/1A  2026-02-01  2028-01-31  -       2026-02-01 09:00:00Z  01JDH
`},
		{[]string{"roadmap"}, `      INITIATIVE  PHASE      STATE         OWNER               START       END         RAG     MILESTONES  ID
M1  Aktiv medvirkning i egen og næres helse  [2023-2030]
  1A  Innbygger skal ha mulighet …
    * Helsenorge  execution  in_portfolio  Norsk helsenett SF  2026-01-01  2027-12-31  yellow  1/2         01JHN
  1B  Illustrativt delmål
      (no initiatives)
M4  Tilgjengelig informasjon og styrket samhandling  [2023-2030]
  4A  Illustrativt delmål 4A
      Helsenorge  execution  in_portfolio  Norsk helsenett SF  2026-01-01  2027-12-31  -       -           01JHN
M5  Samarbeid  [2023-2030]
(* primary sub-goal)
`},
		{[]string{"roadmap", "--owner", "Norsk helsenett SF"}, `      INITIATIVE  PHASE      STATE         OWNER               START       END         RAG     MILESTONES  ID
M1  Aktiv medvirkning i egen og næres helse  [2023-2030]
  1A  Innbygger skal ha mulighet …
    * Helsenorge  execution  in_portfolio  Norsk helsenett SF  2026-01-01  2027-12-31  yellow  1/2         01JHN
M4  Tilgjengelig informasjon og styrket samhandling  [2023-2030]
  4A  Illustrativt delmål 4A
      Helsenorge  execution  in_portfolio  Norsk helsenett SF  2026-01-01  2027-12-31  -       -           01JHN
(* primary sub-goal)
`},
		{[]string{"initiative", "show", "01JHN"}, `ID:             01JHN
Title:          Helsenorge
Owner:          Norsk helsenett SF
State:          in_portfolio
Phase:          execution
Sub-goals:      M1 / 1A (primary); also 4A
User groups:    innbyggere, fastleger
Planned:        2026-01-01 → 2027-12-31
Cost (NOK):     12 500 000
Latest status:  2026-03-31 overall yellow, schedule yellow, cost green, benefit green: vendor late
Proposed:       2026-01-05 08:00:00Z
Last updated:   2026-04-01 10:00:00Z
Version:        5
Position:       9
Description:    Innbyggertjenester

Milestones:
  TITLE  STATUS   PLANNED     ORIGINAL    ACHIEVED  SLIPS  ID
  Pilot  slipped  2026-09-30  2026-06-30  -         1      MS1

Status reports:
  DATE        OVERALL  SCHEDULE  COST   BENEFIT  BY   COMMENT
  2026-03-31  yellow   yellow    green  green    nhn  vendor late

History:
  TIME                  EVENT               STATE         PHASE    CASE  REASON
  2026-01-05 08:00:00Z  InitiativeProposed  proposed      concept  -     -
  2026-02-01 08:00:00Z  InitiativeAdmitted  in_portfolio  concept  C1    -

Council cases:
  NUMBERS     FORUM  PURPOSE    TITLE                 LAST OUTCOME    ID
  3/26, 1/26  NUIT   admission  Opptak av Helsenorge  approved (EHR)  C1
`},
		{[]string{"initiative", "history", "01JHN"}, `POSITION  TIME                  TYPE                AGGREGATE         VERSION  ACTOR  ID
3         2026-01-05 08:00:00Z  InitiativeProposed  initiative/01JHN  1        nhn    E1
`},
		{[]string{"council", "meetings"}, `FORUM  MEETING  DATE        HELD  CASES  ID
NUIT   1/2026   2026-03-12  yes   2      M1
EHR    1/2026   2026-04-02  no    0      M2
`},
		{[]string{"council", "meeting", "M1"}, `Meeting:  NUIT 1/2026
Date:     2026-03-12
Held:     yes, recorded 2026-03-12 15:00:00Z
ID:       M1

Agenda:
  NO    TITLE                 TYPE      PURPOSE    FROM  OUTCOME      RESOLUTION                                        CASE
  3/26  Opptak av Helsenorge  approval  admission  NUFA  recommended  NUIT anbefaler opptak [conditions: finansiering]  C1
`},
		{[]string{"council", "case", "C1"}, `Case:         Opptak av Helsenorge
ID:           C1
Registered:   NUFA 2026-03-01 09:00:00Z
Type:         approval
Purpose:      phase_gate → execution
Initiative:   01JHN
Archive ref:  22/414-1
Proposed:     NUIT anbefaler
Status:       approved
Version:      5

Path through the forums:
  DATE        FORUM  MEETING  NO    STEP                     TEXT            EVENT
  2026-03-12  NUIT   1/2026   3/26  placed                   -               E6
  2026-03-12  NUIT   1/2026   3/26  recommended (corrected)  NUIT anbefaler  E7

Corrections:
  TIME                  CORRECTS  RESOLUTION               REASON      EVENT
  2026-03-13 09:00:00Z  E7        NUIT anbefaler (rettet)  skrivefeil  E9
`},
		{[]string{"council", "decisions"}, `DATE        FORUM  MEETING  NO    OUTCOME      CASE                  RESOLUTION                           CASE ID
2026-03-12  NUIT   1/2026   3/26  recommended  Opptak av Helsenorge  NUIT anbefaler (rettet) (corrected)  C1
2026-04-02  EHR    1/2026   1/26  approved     Opptak av Helsenorge  EHR gir sin tilslutning              C1
`},
		{[]string{"audit", "events"}, `POSITION  TIME                  TYPE                  AGGREGATE          VERSION  ACTOR        ID
1         2026-01-01 08:00:00Z  StrategicGoalDefined  strategy/national  1        sekretariat  E1
2         2026-01-05 08:00:00Z  InitiativeProposed    initiative/01JHN   1        hso          E2
`},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := f.run(tc.args...)
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			if r.stdout != tc.want {
				t.Errorf("got\n%s\nwant\n%s", r.stdout, tc.want)
			}
		})
	}
}

// TestQueryJSON: --output json prints the answer as is.
func TestQueryJSON(t *testing.T) {
	f := newFake(t)
	f.on("/v1/roadmap", reply{body: roadmapJSON})
	f.on("/v1/council/decisions", reply{body: decisionsJSON})
	for _, args := range [][]string{{"roadmap", "-o", "json"}, {"--output", "json", "council", "decisions"}} {
		r := f.run(args...)
		want := roadmapJSON
		if args[0] != "roadmap" {
			want = decisionsJSON
		}
		if r.code != 0 || r.stdout != want+"\n" {
			t.Errorf("%v: exit %d, %q", args, r.code, r.stdout)
		}
	}
}

func TestDecisionsCSV(t *testing.T) {
	f := newFake(t)
	csv := "meetingDate,forum,meeting,caseNumber,outcome\n2026-03-12,NUIT,1/2026,3/26,recommended\n"
	f.on("/v1/council/decisions", reply{contentType: "text/csv", body: csv})
	r := f.run("council", "decisions", "--output", "csv", "--forum", "NUIT")
	if r.code != 0 || r.stdout != csv {
		t.Fatalf("exit %d, %q (stderr %q)", r.code, r.stdout, r.stderr)
	}
	req := f.only(t)
	if q, _ := url.ParseQuery(req.Query); q.Get("format") != "csv" || q.Get("forum") != "NUIT" {
		t.Errorf("query %q", req.Query)
	}
	if !strings.Contains(req.Header.Get("Accept"), "text/csv") {
		t.Errorf("Accept %q", req.Header.Get("Accept"))
	}
	// csv only for decisions
	r = f.run("roadmap", "-o", "csv")
	if r.code != ExitUsage || !strings.Contains(r.stderr, `--output "csv" is not supported here`) {
		t.Errorf("roadmap -o csv: exit %d, %q", r.code, r.stderr)
	}
}

func TestEmptyTables(t *testing.T) {
	f := newFake(t)
	f.on("/v1/initiatives", reply{body: `{"initiatives":[]}`})
	f.on("/v1/roadmap", reply{body: `{"goals":[]}`})
	f.on("/v1/council/decisions", reply{body: `{"decisions":[]}`})
	f.on("/v1/council/meetings", reply{body: `{"meetings":[]}`})
	f.on("/v1/audit/events", reply{body: `{"events":[]}`})
	f.on("/v1/strategy", reply{body: `{"strategies":[]}`})
	for args, want := range map[string]string{
		"initiatives":       "(no initiatives)\n",
		"roadmap":           "(no initiatives on the roadmap)\n",
		"council decisions": "(no decisions)\n",
		"council meetings":  "(no meetings)\n",
		"audit events":      "(no events)\n",
		"strategy":          "(no strategy defined)\n",
	} {
		r := f.run(strings.Fields(args)...)
		if r.code != 0 || r.stdout != want {
			t.Errorf("%s: exit %d, %q, want %q", args, r.code, r.stdout, want)
		}
	}
}

func TestUnexpectedAnswer(t *testing.T) {
	f := newFake(t)
	f.on("/v1/roadmap", reply{body: `not json`})
	r := f.run("roadmap")
	if r.code != ExitFailure || !strings.HasPrefix(r.stderr, "error: unexpected answer from the server") {
		t.Errorf("exit %d, %q", r.code, r.stderr)
	}
}

func TestAsOfInvalid(t *testing.T) {
	f := newFake(t)
	r := f.run("initiative", "show", "X", "--as-of", "yesterday")
	if r.code != ExitUsage || len(f.requests()) != 0 {
		t.Errorf("exit %d, %d requests", r.code, len(f.requests()))
	}
	r = f.run("initiative", "show")
	if r.code != ExitUsage {
		t.Errorf("show without id: exit %d", r.code)
	}
}

func TestVerify(t *testing.T) {
	f := newFake(t)
	f.on("/v1/audit/verify", reply{body: `{"ok":true,"events":1234,"head":"sha256:abcd"}`})
	r := f.run("audit", "verify")
	want := "ok:      true\nevents:  1234\nhead:    sha256:abcd\n"
	if r.code != 0 || r.stdout != want || r.stderr != "" {
		t.Errorf("ok: exit %d, %q, stderr %q", r.code, r.stdout, r.stderr)
	}

	bad := `{"ok":false,"events":1234,"head":"sha256:abcd","firstBad":57}`
	f.on("/v1/audit/verify", reply{body: bad})
	r = f.run("audit", "verify")
	want = "ok:        false\nevents:    1234\nhead:      sha256:abcd\nfirstBad:  57\n"
	if r.code != ExitFailure || r.stdout != want {
		t.Errorf("not ok: exit %d, %q", r.code, r.stdout)
	}
	if r.stderr != "error: the event log is NOT intact: first bad event at position 57\n" {
		t.Errorf("stderr %q", r.stderr)
	}
	r = f.run("audit", "verify", "-o", "json")
	if r.code != ExitFailure || r.stdout != bad+"\n" {
		t.Errorf("json: exit %d, %q", r.code, r.stdout)
	}
}

// TestInitiativeAsOf renders a past state: the same shape as the current
// one (wire.InitiativeDetail), with what was asked for.
func TestInitiativeAsOf(t *testing.T) {
	f := newFake(t)
	then := wire.InitiativeDetail{
		InitiativeSummary: wire.InitiativeSummary{InitiativeID: "01JHN", Title: "Helsenorge", Owner: "NHN",
			Phase: domain.PhasePlanning, State: domain.LifecyclePaused, PrimaryGoal: "M1", PrimarySubGoal: "1A",
			SubGoals: []string{"4A"}, UserGroups: []string{"innbyggere"}, PlannedStart: "2026-01-01", PlannedEnd: "2027-12-31",
			LatestStatus: &wire.StatusView{ReportDate: "2026-02-01", Overall: domain.Green, Schedule: domain.Green,
				Cost: domain.Green, Benefit: domain.Green, ReportedAt: time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC)},
			Version: 2},
		Description: "d",
		Milestones: []wire.MilestoneView{{MilestoneID: "MS1", Title: "Pilot", Status: domain.MilestoneSlippedStatus,
			PlannedDate: "2026-09-30", OriginalPlannedDate: "2026-06-30", Slips: 1}},
		StatusHistory: []wire.StatusView{},
		History: []wire.LifecycleChange{{Event: "InitiativePhaseChanged", State: domain.LifecycleInPortfolio, Phase: domain.PhasePlanning,
			CaseID: "C2", Meeting: "M3", At: time.Date(2026, 2, 10, 12, 0, 0, 0, time.UTC), EventID: "E5", Position: 5}},
		Cases: []wire.InitiativeCase{},
	}
	body, err := json.Marshal(then)
	if err != nil {
		t.Fatal(err)
	}
	f.on("/v1/initiatives/01JHN", reply{header: map[string]string{"ETag": `"2"`}, body: string(body)})
	r := f.run("initiative", "show", "01JHN", "--as-of", "2026-02-15T00:00:00Z")
	want := `ID:             01JHN
Shown:          as of 2026-02-15 00:00:00Z
Title:          Helsenorge
Owner:          NHN
State:          paused
Phase:          planning
Sub-goals:      M1 / 1A (primary); also 4A
User groups:    innbyggere
Planned:        2026-01-01 → 2027-12-31
Latest status:  2026-02-01 overall green, schedule green, cost green, benefit green
Version:        2
Description:    d

Milestones:
  TITLE  STATUS   PLANNED     ORIGINAL    ACHIEVED  SLIPS  ID
  Pilot  slipped  2026-09-30  2026-06-30  -         1      MS1

History:
  TIME                  EVENT                   STATE         PHASE     CASE  REASON
  2026-02-10 12:00:00Z  InitiativePhaseChanged  in_portfolio  planning  C2    -
`
	if r.code != 0 || r.stdout != want {
		t.Errorf("exit %d, stderr %q, got\n%s\nwant\n%s", r.code, r.stderr, r.stdout, want)
	}
	r = f.run("initiative", "show", "01JHN", "--as-of", "2026-02-15", "--at-version", "2")
	if r.code != ExitUsage {
		t.Errorf("--as-of with --at-version: exit %d", r.code)
	}
}
