package daemon_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/services"
)

type consultationView struct {
	ConsultationID string `json:"consultationId"`
	Status         string `json:"status"`
	ResponseCount  int    `json:"responseCount"`
	InvitedBodies  []struct {
		Name      string `json:"name"`
		Responded bool   `json:"responded"`
	} `json:"invitedBodies"`
	Responses []struct {
		ResponseID   string `json:"responseId"`
		Organisation string `json:"organisation"`
		Published    bool   `json:"published"`
		ReplacedBy   string `json:"replacedBy"`
		ContactEmail string `json:"contactEmail"`
		RegisteredBy string `json:"registeredBy"`
	} `json:"responses"`
}

// TestConsultationStory: a consultation through the API: opened, a
// response from the web form and one from the secretariat, not public
// until published, the second response of an organisation replacing its
// first, the CSV, and the contact address sealed everywhere but in the
// secretariat's view.
func TestConsultationStory(t *testing.T) {
	e := startE2E(t)
	var cid string
	e.step("the secretariat opens a consultation", func(t *testing.T) {
		deadline := time.Now().AddDate(0, 1, 0).Format(time.DateOnly)
		r := e.ok(tokSek, "OpenConsultation", obj{"title": "Høring om retningslinjer", "description": "Forslag.",
			"questions": []string{"Støtter dere forslaget?", "Andre innspill?"}, "invitedBodies": []string{"KS", "Sametinget"},
			"deadline": deadline})
		cid = r.AggregateID
		inv := e.ok(tokSek, "InviteToConsultation", obj{"consultationId": cid, "bodies": []string{"ks", "Tekna", "Tekna"}})
		if inv.Version != 2 {
			t.Fatalf("invite: %+v", inv)
		}
	})
	var webResponse string
	e.step("an organisation answers through the web form; it is recorded, not public", func(t *testing.T) {
		forms := &services.ConsultationForms{Exec: e.d.Cmds, Sealer: e.d.Contacts}
		webResponse = services.NewID()
		res, err := forms.Submit(context.Background(), services.ConsultationResponseForm{ConsultationID: cid,
			Organisation: "KS", ContactEmail: "horing@ks.example.no",
			Answers: []domain.Answer{{Question: 1, Text: "Illustrativt svar: ja."}}}, webResponse)
		if err != nil {
			t.Fatal(err)
		}
		var pub consultationView
		e.getOK(anon, "/v1/consultations/"+cid+"?minPosition="+strconv.FormatUint(res.Position, 10), &pub)
		if len(pub.Responses) != 0 || pub.ResponseCount != 0 || pub.Status != "open" {
			t.Fatalf("public view before publishing: %+v", pub)
		}
		for _, b := range pub.InvitedBodies {
			if b.Responded {
				t.Errorf("%s shown as responded before its response is published", b.Name)
			}
		}
		var sek consultationView
		e.getOK(tokSek, "/v1/consultations/"+cid, &sek)
		if len(sek.Responses) != 1 || sek.Responses[0].ContactEmail != "horing@ks.example.no" || sek.Responses[0].RegisteredBy != services.WebFormActor {
			t.Fatalf("secretariat view: %+v", sek.Responses)
		}
		var aud consultationView
		e.getOK(tokAudit, "/v1/consultations/"+cid, &aud)
		if len(aud.Responses) != 1 || aud.Responses[0].ContactEmail != "" {
			t.Fatalf("auditor view: %+v", aud.Responses)
		}
		for _, ev := range e.auditAfter(0) {
			if strings.Contains(string(ev.Data), "ks.example.no") {
				t.Fatalf("the contact address is in the log in clear: %s", ev.Data)
			}
		}
	})
	e.step("the secretariat publishes it, and it is public", func(t *testing.T) {
		r := e.ok(tokSek, "PublishConsultationResponse", obj{"consultationId": cid, "responseId": webResponse})
		var pub consultationView
		e.getOK(anon, "/v1/consultations/"+cid+"?minPosition="+strconv.FormatUint(r.Position, 10), &pub)
		if len(pub.Responses) != 1 || pub.Responses[0].ContactEmail != "" || pub.Responses[0].RegisteredBy != "" {
			t.Fatalf("public view: %+v", pub.Responses)
		}
		responded := map[string]bool{}
		for _, b := range pub.InvitedBodies {
			responded[b.Name] = b.Responded
		}
		if !responded["KS"] || responded["Sametinget"] || len(responded) != 3 {
			t.Fatalf("invited bodies: %+v", pub.InvitedBodies)
		}
	})
	e.step("a second response from the organisation needs replaces, and both stay in the history", func(t *testing.T) {
		body := obj{"consultationId": cid, "organisation": " ks ", "receivedDate": time.Now().Format(time.DateOnly),
			"answers": []obj{{"question": 2, "text": "Illustrativt svar: nytt innspill."}}}
		e.noWrite("a second response without replaces", func() {
			expectProblem(t, e.cmd(tokSek, "RegisterConsultationResponse", body), http.StatusConflict, "rule_violated")
		})
		body["replaces"] = true
		r := e.ok(tokSek, "RegisterConsultationResponse", body)
		if got := r.types(); len(got) != 2 || got[0] != "ConsultationResponseRegistered" || got[1] != "ConsultationResponseReplaced" {
			t.Fatalf("replace wrote %v", got)
		}
		var sek consultationView
		e.getOK(tokSek, "/v1/consultations/"+cid+"?minPosition="+strconv.FormatUint(r.Position, 10), &sek)
		if len(sek.Responses) != 2 || sek.Responses[0].ReplacedBy != sek.Responses[1].ResponseID {
			t.Fatalf("history: %+v", sek.Responses)
		}
		var pub consultationView
		e.getOK(anon, "/v1/consultations/"+cid, &pub)
		if len(pub.Responses) != 0 {
			t.Fatalf("the replaced response is still public, or the new one is before publishing: %+v", pub.Responses)
		}
	})
	e.step("the CSV has one row per organisation and one column per question", func(t *testing.T) {
		r := e.get(tokSek, "/v1/consultations/"+cid+"?format=csv")
		if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") {
			t.Fatalf("csv: %s", r)
		}
		rows, err := csv.NewReader(strings.NewReader(string(r.body))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 || rows[0][1] != "spørsmål 1: Støtter dere forslaget?" || rows[1][0] != "ks" || rows[1][2] != "Illustrativt svar: nytt innspill." {
			t.Fatalf("csv rows %q", rows)
		}
	})
	e.step("the list shows it open", func(t *testing.T) {
		var list struct {
			Consultations []consultationView `json:"consultations"`
		}
		e.getOK(anon, "/v1/consultations", &list)
		if len(list.Consultations) != 1 || list.Consultations[0].Status != "open" || list.Consultations[0].ConsultationID != cid {
			t.Fatalf("list %+v", list)
		}
	})
	e.step("it cannot be closed before the deadline", func(t *testing.T) {
		e.noWrite("closing early", func() {
			expectProblem(t, e.cmd(tokSek, "CloseConsultation", obj{"consultationId": cid, "summary": "For tidlig."}), http.StatusConflict, "rule_violated")
		})
	})
}
