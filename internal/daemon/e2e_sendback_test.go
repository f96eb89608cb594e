package daemon_test

import (
	"net/http"
	"slices"
	"testing"
)

// TestE2ESendBack takes a case through the council's way back, through the
// real server: EHR gets an admission case that NUIT never recommended and
// defers it, the secretariat places it on a NUIT agenda again (the
// placement records that it was sent back), NUIT recommends it, and EHR
// approves it and so admits the initiative. The case's path shows the
// return.
func TestE2ESendBack(t *testing.T) {
	e := startE2E(t)
	e.defineStrategy()
	ini := e.propose(tokSek, proposal(orgHSO, "Digital hjemmeoppfølging"))
	cs := e.registerCase(obj{"forum": "NUIT", "title": "Opptak: digital hjemmeoppfølging", "caseType": "approval",
		"purpose": "admission", "initiativeId": ini, "proposedResolution": "Tiltaket tas inn i porteføljen."})

	var ehr1, nuit, ehr2 string
	t.Run("EHR gets the case without NUIT's recommendation and defers it", func(t *testing.T) {
		ehr1 = e.meeting("EHR", "2026-02-05")
		if p := e.place(cs, ehr1); !slices.Equal(p.types(), []string{"CasePlacedOnAgenda", "CaseNumberAssigned"}) {
			t.Fatalf("placement on EHR: %+v", p)
		}
		e.hold(ehr1)
		expectProblem(t, e.cmd(tokSek, "ApproveInCouncil", obj{"caseId": cs, "meetingId": ehr1, "resolution": "Tilslutning."}),
			http.StatusConflict, "rule_violated")
		e.ok(tokSek, "DeferCase", obj{"caseId": cs, "meetingId": ehr1, "reason": "NUIT må behandle saken først."})
	})
	t.Run("the case goes back on a NUIT agenda", func(t *testing.T) {
		nuit = e.meeting("NUIT", "2026-03-05")
		e.place(cs, nuit)
		e.hold(nuit)
		e.ok(tokSek, "RecommendInCouncil", obj{"caseId": cs, "meetingId": nuit, "resolution": "NUIT anbefaler opptak."})
	})
	var head uint64
	t.Run("EHR approves it and admits the initiative", func(t *testing.T) {
		ehr2 = e.meeting("EHR", "2026-04-09")
		e.place(cs, ehr2)
		e.hold(ehr2)
		res := e.ok(tokSek, "ApproveInCouncil", obj{"caseId": cs, "meetingId": ehr2, "resolution": "E-helserådet gir sin tilslutning."})
		if !slices.Equal(res.types(), []string{"CaseApproved", "InitiativeAdmitted"}) {
			t.Fatalf("approval: %+v", res)
		}
		head = res.Position
		if d, _ := e.initiative(anon, ini, head); d.State != "in_portfolio" {
			t.Errorf("the initiative after the approval: state %q", d.State)
		}
	})
	t.Run("the case's path shows the return", func(t *testing.T) {
		var cd struct {
			Status string `json:"status"`
			Path   []struct {
				Kind      string `json:"kind"`
				Forum     string `json:"forum"`
				MeetingID string `json:"meetingId"`
				Outcome   string `json:"outcome"`
				SentBack  bool   `json:"sentBack"`
			} `json:"path"`
		}
		e.getOK(anon, "/v1/council/cases/"+cs+"?minPosition="+pos(head), &cd)
		var path []string
		for _, p := range cd.Path {
			step := p.Kind + ":" + p.Forum + ":" + p.Outcome
			if p.SentBack {
				step += ":sent back"
			}
			path = append(path, step)
		}
		want := []string{"placed:EHR:", "decision:EHR:deferred", "placed:NUIT::sent back", "decision:NUIT:recommended",
			"placed:EHR:", "decision:EHR:approved"}
		if !slices.Equal(path, want) {
			t.Errorf("case path %v, want %v", path, want)
		}
		if len(cd.Path) == len(want) && (cd.Path[2].MeetingID != nuit || cd.Path[4].MeetingID != ehr2) {
			t.Errorf("the return is not at the NUIT meeting %s then EHR %s: %+v", nuit, ehr2, cd.Path)
		}
		if cd.Status != "approved" {
			t.Errorf("case status %q, want approved", cd.Status)
		}
	})
}
