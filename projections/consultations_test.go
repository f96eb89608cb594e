package projections

import (
	"reflect"
	"testing"

	"github.com/ehelse/portfolio/domain"
)

func TestConsultationReadModel(t *testing.T) {
	const (
		cid          = "01JDQAC0NSXTAT10N000000001"
		r1, r2, r3   = "01JDQAR0SP0NSE000000000001", "01JDQAR0SP0NSE000000000002", "01JDQAR0SP0NSE000000000003"
		org, orgLate = "Eksempelkommune (illustrativ)", "Eksempelforeningen (illustrativ)"
	)
	h := newHist()
	h.add(domain.Consultation, cid,
		domain.ConsultationOpened{ConsultationID: cid, Title: "Strategi", Description: "Forslag.", ArchiveRef: "22/414",
			Questions: []string{"Enig?", "Merknader?"}, InvitedBodies: []string{"Eksempelkommune (illustrativ)", "KS"},
			OpenedDate: "2022-05-31", Deadline: "2022-10-01"},
		domain.BodiesInvited{ConsultationID: cid, Bodies: []string{"Sametinget"}},
		domain.ConsultationResponseRegistered{ConsultationID: cid, ResponseID: r1, Organisation: org, ReceivedDate: "2022-09-01",
			Answers: []domain.Answer{{Question: 1, Text: "Illustrativt svar: ja."}}, ContactSealed: "v1.abc"},
		domain.ConsultationResponseRegistered{ConsultationID: cid, ResponseID: r2, Organisation: "eksempelkommune (ILLUSTRATIV)",
			ReceivedDate: "2022-09-20", Answers: []domain.Answer{{Question: 2, Text: "Illustrativt svar: nei."}}, Replaces: r1},
		domain.ConsultationResponseReplaced{ConsultationID: cid, ResponseID: r1, ReplacedBy: r2, Organisation: org},
		domain.ConsultationResponseRegistered{ConsultationID: cid, ResponseID: r3, Organisation: orgLate, ReceivedDate: "2022-10-03",
			Answers: []domain.Answer{{Question: 1, Text: "Illustrativt svar: sent."}}, Late: true},
		domain.ConsultationResponsePublished{ConsultationID: cid, ResponseID: r3, Organisation: orgLate},
	)
	db := openDB(t)
	applyItems(t, db, h.items, 0)
	m := modelsOn(t, db)

	full, err := m.Consultation(cid)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("the full view has every response, replaced ones included, and the sealed contact", func(t *testing.T) {
		if len(full.Responses) != 3 || full.Responses[0].ReplacedBy != r2 || full.Responses[1].Replaces != r1 {
			t.Fatalf("responses %+v", full.Responses)
		}
		if full.Responses[0].ContactSealed != "v1.abc" || full.Responses[1].ContactSealed != "" {
			t.Fatalf("contacts %q %q", full.Responses[0].ContactSealed, full.Responses[1].ContactSealed)
		}
		if !full.Responses[2].Late || !full.Responses[2].Published || full.Responses[2].PublishedAt == nil {
			t.Fatalf("late response %+v", full.Responses[2])
		}
		want := []InvitedBody{{Name: "Eksempelkommune (illustrativ)", Responded: true}, {Name: "KS"}, {Name: "Sametinget"}}
		if !reflect.DeepEqual(full.InvitedBodies, want) {
			t.Fatalf("invited %+v", full.InvitedBodies)
		}
		if full.InvitedCount != 3 || full.ResponseCount != 2 || full.PublishedCount != 1 || full.Version != 7 {
			t.Fatalf("summary %+v", full.ConsultationSummary)
		}
	})
	t.Run("closing records the summary and the case", func(t *testing.T) {
		h.add(domain.Consultation, cid, domain.ConsultationClosed{ConsultationID: cid, Summary: "Oppsummert.", ResultingCaseID: "01JDQ7A1B2C3D4E5F6G7H8J9K0"})
		applyItems(t, db, h.items[len(h.items)-1:], 0)
		m := modelsOn(t, db)
		list, err := m.Consultations()
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || !list[0].Closed || list[0].Summary != "Oppsummert." || list[0].ClosedAt == nil {
			t.Fatalf("list %+v", list)
		}
		if _, err := m.Consultation("01JDQAC0NSXTAT10N000000009"); !domain.IsKind(err, domain.KindNotFound) {
			t.Fatalf("unknown consultation: %v", err)
		}
	})
}
