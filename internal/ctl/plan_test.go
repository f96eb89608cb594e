package ctl

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const dependenciesJSON = `{"dependencies":[{"dependencyId":"D1","initiativeId":"I1","initiativeTitle":"Pasientens legemiddelliste",
 "dependsOn":"I2","dependsOnTitle":"HelseID","milestoneId":"MS1","neededBy":"2026-12-31","description":"HelseID 2.0",
 "state":"atRisk","risk":{"reason":"milestone planned for 2027-02-01","causeEventId":"E9","causeType":"MilestoneSlipped","since":"2026-12-01T10:00:00Z","eventId":"E10"},
 "declaredAt":"2026-11-01T10:00:00Z","version":2}]}`

const reportJSON = `{"roundId":"R1","label":"2026-T3","periodEnd":"2026-08-31","deadline":"2026-09-15","closedAt":"2026-09-16T10:00:00Z",
 "position":99,"summary":{"initiatives":2,"reported":1,"notReported":1,"byPhase":[],"byOverall":[],"milestones":[],"decisions":0},
 "initiatives":[{"initiativeId":"I1","title":"PLL","owner":"Helse Sør-Øst RHF","primaryGoal":"M4","phase":"planning","state":"in_portfolio",
  "statusInRound":"reported","status":{"reportDate":"2026-08-31","overall":"yellow","schedule":"red","cost":"green","benefit":"green","eventId":"E1"}},
  {"initiativeId":"I2","title":"HelseID","owner":"Norsk helsenett SF","primaryGoal":"M5","phase":"rollout","state":"in_portfolio","statusInRound":"notReported"}],
 "milestones":[],"decisions":[],"changes":{"phaseChanges":[],"rag":[],"new":[],"closed":[],"cancelled":[],"slippedMilestones":[]}}`

func TestPlanQueries(t *testing.T) {
	f := newFake(t)
	f.on("/v1/dependencies", reply{body: dependenciesJSON})
	f.on("/v1/reports/R1", reply{body: reportJSON})

	t.Run("dependencies at risk as a table", func(t *testing.T) {
		f.reset()
		r := f.run("dependencies", "--at-risk", "--initiative", "I1")
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		if q := f.only(t).Query; q != "atRisk=true&initiativeId=I1" {
			t.Errorf("query %q", q)
		}
		for _, want := range []string{"Pasientens legemiddelliste", "HelseID", "atRisk", "milestone planned for 2027-02-01"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("no %q in %s", want, r.stdout)
			}
		}
	})
	t.Run("dependencies -o json prints the answer as is", func(t *testing.T) {
		f.reset()
		r := f.run("dependencies", "-o", "json")
		if r.code != 0 || strings.TrimSpace(r.stdout) != dependenciesJSON {
			t.Errorf("exit %d: %q", r.code, r.stdout)
		}
	})
	t.Run("report as a table", func(t *testing.T) {
		f.reset()
		r := f.run("report", "R1")
		if r.code != 0 || !strings.Contains(r.stdout, "notReported") || !strings.Contains(r.stdout, "2 initiatives: 1 reported, 1 not") {
			t.Errorf("exit %d: %s %s", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("report -o csv asks for a section", func(t *testing.T) {
		f.reset()
		r := f.run("report", "R1", "-o", "csv", "--section", "milestones")
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		if q := f.only(t).Query; q != "format=csv&section=milestones" {
			t.Errorf("query %q", q)
		}
	})
	t.Run("report --xlsx writes the workbook", func(t *testing.T) {
		f.reset()
		out := filepath.Join(t.TempDir(), "r.xlsx")
		r := f.run("report", "R1", "--xlsx", out)
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		if q := f.only(t).Query; q != "format=xlsx" {
			t.Errorf("query %q", q)
		}
		if b, err := os.ReadFile(out); err != nil || len(b) == 0 {
			t.Errorf("workbook: %v, %d bytes", err, len(b))
		}
	})
}
