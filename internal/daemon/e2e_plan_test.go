package daemon_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/ehelse/portfolio/projections"
)

// The realisation plan over HTTP, as the secretariat and the owners use
// it; every request and answer is checked against the OpenAPI document.
func TestE2ERealisationPlan(t *testing.T) {
	e := startE2E(t)
	e.defineStrategy()
	helseid := e.propose(tokSek, proposal("Norsk helsenett SF", "HelseID"))
	e.admit(helseid, "2026-02-01")
	pll := e.propose(tokHSO, proposal(orgHSO, "Pasientens legemiddelliste"))
	e.admit(pll, "2026-02-02")
	ms := e.ok(tokSek, "ReportMilestone", obj{"initiativeId": helseid, "title": "HelseID 2.0", "status": "planned", "plannedDate": "2026-10-01"})
	var msID string
	{
		d, _ := e.initiative(tokSek, helseid, ms.Position)
		msID = d.Milestones[0].MilestoneID
	}

	t.Run("indicators with values, a correction and progress", func(t *testing.T) {
		ind := e.ok(tokSek, "DefineIndicator", obj{"goalId": "M1", "subGoalId": "1A", "name": "Digital dialog (illustrativ)",
			"unit": "prosent", "direction": "increase", "baseline": obj{"value": 40, "date": "2023-12-31"},
			"target": obj{"value": 80, "date": "2030-12-31"}}).AggregateID
		e.ok(tokSek, "RecordIndicatorValue", obj{"indicatorId": ind, "period": "2025", "value": 50})
		r := e.cmd(tokSek, "RecordIndicatorValue", obj{"indicatorId": ind, "period": "2025", "value": 55})
		expectProblem(t, r, http.StatusConflict, "rule_violated")
		last := e.ok(tokSek, "RecordIndicatorValue", obj{"indicatorId": ind, "period": "2025", "value": 60, "correction": obj{"reason": "endelige tall"}})
		var list struct {
			Indicators []projections.IndicatorView `json:"indicators"`
		}
		e.getOK(anon, fmt.Sprintf("/v1/indicators?goal=M1&minPosition=%d", last.Position), &list)
		if len(list.Indicators) != 1 || list.Indicators[0].Progress == nil || *list.Indicators[0].Progress != 0.5 {
			t.Fatalf("indicators: %+v", list.Indicators)
		}
		v := list.Indicators[0].Values
		if len(v) != 1 || v[0].Value != 60 || len(v[0].Corrections) != 1 || v[0].Corrections[0].PreviousValue != 50 {
			t.Errorf("values: %+v", v)
		}
		var one projections.IndicatorView
		e.getOK(anon, "/v1/indicators/"+ind, &one)
		if one.IndicatorID != ind {
			t.Errorf("indicator: %+v", one)
		}
	})

	var dep string
	t.Run("an owner declares a dependency; the policy marks it at risk when the milestone slips", func(t *testing.T) {
		r := e.cmd(tokKS, "DeclareDependency", obj{"initiativeId": pll, "dependsOn": helseid, "milestoneId": msID,
			"neededBy": "2026-12-31", "description": "PLL trenger HelseID 2.0"})
		expectProblem(t, r, http.StatusForbidden, "forbidden")
		dep = e.ok(tokHSO, "DeclareDependency", obj{"initiativeId": pll, "dependsOn": helseid, "milestoneId": msID,
			"neededBy": "2026-12-31", "description": "PLL trenger HelseID 2.0"}).AggregateID
		slip := e.ok(tokSek, "ReportMilestone", obj{"initiativeId": helseid, "milestoneId": msID, "status": "slipped", "newPlannedDate": "2027-02-01"})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := e.d.Policy.WaitFor(ctx, slip.Position); err != nil {
			t.Fatal(err)
		}
		var list struct {
			Dependencies []projections.DependencyView `json:"dependencies"`
		}
		e.getOK(anon, fmt.Sprintf("/v1/dependencies?atRisk=true&initiativeId=%s&minPosition=%d", pll, slip.Position+1), &list)
		if len(list.Dependencies) != 1 || list.Dependencies[0].DependencyID != dep || list.Dependencies[0].Risk == nil ||
			list.Dependencies[0].Risk.CauseEventID != slip.Events[0].ID {
			t.Fatalf("dependencies at risk: %+v", list.Dependencies)
		}
	})

	t.Run("a round: who has reported, closing freezes the report in JSON, CSV and xlsx", func(t *testing.T) {
		round := e.ok(tokSek, "OpenReportingRound", obj{"label": "2026-T3", "periodEnd": "2026-08-31", "deadline": "2026-09-15"})
		r := e.cmd(tokSek, "OpenReportingRound", obj{"label": "2026-T4", "periodEnd": "2026-12-31", "deadline": "2027-01-15"})
		expectProblem(t, r, http.StatusConflict, "rule_violated")
		var rounds struct {
			Rounds []projections.RoundSummary `json:"rounds"`
		}
		e.getOK(anon, fmt.Sprintf("/v1/reporting-rounds?minPosition=%d", round.Position), &rounds)
		id := rounds.Rounds[0].RoundID
		st := e.ok(tokHSO, "ReportStatus", obj{"initiativeId": pll, "reportDate": "2026-08-31", "overall": "yellow",
			"schedule": "yellow", "cost": "green", "benefit": "green", "comment": "Venter på HelseID", "roundId": id})
		var page projections.RoundDetail
		e.getOK(anon, fmt.Sprintf("/v1/reporting-rounds/%s?minPosition=%d", id, st.Position), &page)
		if page.Reported != 1 || page.NotReported != 1 {
			t.Errorf("round page: %+v", page)
		}
		expectProblem(t, e.get(anon, "/v1/reports/"+id), http.StatusNotFound, "not_found")
		closed := e.ok(tokSek, "CloseReportingRound", obj{"roundId": id})
		late := e.cmd(tokHSO, "ReportStatus", obj{"initiativeId": pll, "reportDate": "2026-09-01", "overall": "green",
			"schedule": "green", "cost": "green", "benefit": "green", "roundId": id})
		expectProblem(t, late, http.StatusConflict, "rule_violated")
		first := e.getOK(anon, fmt.Sprintf("/v1/reports/%s?minPosition=%d", id, closed.Position), nil)
		var rep projections.PortfolioReport
		first.json(t, &rep)
		if rep.Summary.Reported != 1 || rep.Summary.NotReported != 1 || rep.Position != closed.Position {
			t.Errorf("report: %+v", rep.Summary)
		}
		// More events after the close leave the report as it was.
		e.ok(tokHSO, "ReportStatus", obj{"initiativeId": pll, "reportDate": "2026-09-01", "overall": "green",
			"schedule": "green", "cost": "green", "benefit": "green"})
		again := e.getOK(anon, "/v1/reports/"+id, nil)
		if !bytes.Equal(first.body, again.body) {
			t.Errorf("the report changed:\n%s\n%s", first.body, again.body)
		}
		csv := e.getOK(anon, "/v1/reports/"+id+"?format=csv", nil)
		if !strings.HasPrefix(string(csv.body), "initiativeId,title,owner") || !strings.Contains(string(csv.body), "notReported") {
			t.Errorf("csv: %s", csv.body)
		}
		x := e.getOK(anon, "/v1/reports/"+id+"?format=xlsx", nil)
		f, err := excelize.OpenReader(bytes.NewReader(x.body))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if got := f.GetSheetList(); strings.Join(got, ",") != "Sammendrag,Tiltak,Milepæler,Vedtak,Endringer" {
			t.Errorf("sheets: %v", got)
		}
		rows, _ := f.GetRows("Tiltak")
		if len(rows) != 3 {
			t.Errorf("the Tiltak sheet has %d rows", len(rows))
		}
	})
}
