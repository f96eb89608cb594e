package services_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/services"
)

func TestContactSealer(t *testing.T) {
	path := filepath.Join(t.TempDir(), services.ContactKeyFile)
	s, err := services.LoadContactSealer(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 || fi.Size() != 32 {
		t.Fatalf("key file %v, %v", fi, err)
	}
	sealed, err := s.Seal("post@eksempel.no")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sealed, domain.SealedContactTag) || strings.Contains(sealed, "eksempel") {
		t.Fatalf("sealed %q", sealed)
	}
	again, _ := s.Seal("post@eksempel.no")
	if again == sealed {
		t.Error("the same address seals the same twice: a reader could match addresses")
	}
	// The same key file opens it after a restart; another key does not.
	s2, err := services.LoadContactSealer(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s2.Open(sealed); err != nil || got != "post@eksempel.no" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	other, err := services.LoadContactSealer(filepath.Join(t.TempDir(), "other.key"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Open(sealed); err == nil {
		t.Error("another key opens the address")
	}
	if _, err := s.Open("post@eksempel.no"); err == nil {
		t.Error("an address in clear opens")
	}
}

func TestValidEmail(t *testing.T) {
	for s, want := range map[string]bool{
		"post@eksempel.no": true, "ola.nordmann+høring@kommune.no": true,
		"": false, "post": false, "post@eksempel": false, "Ola <post@eksempel.no>": false, "post@@eksempel.no": false,
		"post @eksempel.no": false, "post@eksempel.no.": false,
	} {
		if got := services.ValidEmail(s); got != want {
			t.Errorf("ValidEmail(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestConsultationFormSubmit(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sealer, err := services.LoadContactSealer(filepath.Join(t.TempDir(), "k"))
	if err != nil {
		t.Fatal(err)
	}
	forms := &services.ConsultationForms{Exec: f.svc, Sealer: sealer, Now: func() time.Time { return f.now }}
	open := f.exec(t, secretariat, &domain.OpenConsultation{Title: "Høring", Description: "Forslag.",
		Questions: []string{"Enig?"}, InvitedBodies: []string{"KS"}, Deadline: "2026-12-31"})
	cid := open.AggregateID
	form := services.ConsultationResponseForm{ConsultationID: cid, Organisation: "Eksempelkommune (illustrativ)",
		ContactEmail: "post@eksempel.no", Answers: []domain.Answer{{Question: 1, Text: "Illustrativt svar: ja."}}}
	formID := services.NewID()

	r1, err := forms.Submit(ctx, form, formID)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("the same form submitted twice records one response", func(t *testing.T) {
		r2, err := forms.Submit(ctx, form, formID)
		if err != nil {
			t.Fatal(err)
		}
		if r2.Position != r1.Position || len(r2.Events) != 1 || r2.Events[0].ID != r1.Events[0].ID {
			t.Fatalf("second submit %+v, first %+v", r2, r1)
		}
	})
	recs, err := f.store.Load(ctx, "consultation", cid, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 {
		t.Fatalf("%d events, want opened and one response", len(recs))
	}
	reg := recs[1]
	t.Run("the event says it came from the web form and carries the address sealed only", func(t *testing.T) {
		if reg.Actor != services.WebFormActor || reg.Type != "ConsultationResponseRegistered" {
			t.Fatalf("actor %q type %s", reg.Actor, reg.Type)
		}
		if strings.Contains(string(reg.Data), "eksempel.no") {
			t.Fatalf("the address is in the event in clear: %s", reg.Data)
		}
		e, err := domain.DecodeEvent(reg.Type, reg.SchemaVersion, reg.Data)
		if err != nil {
			t.Fatal(err)
		}
		got, err := sealer.Open(e.(domain.ConsultationResponseRegistered).ContactSealed)
		if err != nil || got != "post@eksempel.no" {
			t.Fatalf("opened %q, %v", got, err)
		}
		if e.(domain.ConsultationResponseRegistered).ResponseID != formID {
			t.Fatalf("response id %s, want the form id %s", e.(domain.ConsultationResponseRegistered).ResponseID, formID)
		}
	})
	t.Run("a second response of the organisation needs the replace step", func(t *testing.T) {
		_, err := forms.Submit(ctx, form, services.NewID())
		if !domain.IsKind(err, domain.KindRuleViolated) {
			t.Fatalf("second response without replace: %v", err)
		}
		form.Replaces = true
		r, err := forms.Submit(ctx, form, services.NewID())
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Events) != 2 || r.Events[1].Type != "ConsultationResponseReplaced" {
			t.Fatalf("replace wrote %+v", r.Events)
		}
	})
	t.Run("a malformed address is refused before anything is written", func(t *testing.T) {
		before := f.head(t)
		bad := form
		bad.ContactEmail = "ikke en adresse"
		if _, err := forms.Submit(ctx, bad, services.NewID()); !domain.IsKind(err, domain.KindInvalid) {
			t.Fatalf("bad address: %v", err)
		}
		if f.head(t) != before {
			t.Fatal("a refused form wrote events")
		}
	})
}

func TestSeedDemoRecordsThe2022Consultation(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, _, err := services.SeedDemo(ctx, f.svc, services.Principal{Name: "demo-seed", Role: services.RoleSecretariat}, f.now); err != nil {
		t.Fatal(err)
	}
	recs, err := f.store.Read(ctx, 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	var opened []domain.ConsultationOpened
	var responses []domain.ConsultationResponseRegistered
	counts := map[string]int{}
	for _, r := range recs {
		if r.AggregateType != string(domain.Consultation) {
			continue
		}
		counts[r.Type]++
		e, err := domain.DecodeEvent(r.Type, r.SchemaVersion, r.Data)
		if err != nil {
			t.Fatal(err)
		}
		switch e := e.(type) {
		case domain.ConsultationOpened:
			opened = append(opened, e)
		case domain.ConsultationResponseRegistered:
			responses = append(responses, e)
		}
	}
	if len(opened) != 2 {
		t.Fatalf("%d consultations opened", len(opened))
	}
	real := opened[0]
	if real.ArchiveRef != "22/414" || real.OpenedDate != "2022-05-31" || real.Deadline != "2022-10-01" ||
		len(real.Questions) != 3 || len(real.InvitedBodies) != 94 {
		t.Fatalf("the 2022 consultation: %s %s %s, %d questions, %d bodies",
			real.ArchiveRef, real.OpenedDate, real.Deadline, len(real.Questions), len(real.InvitedBodies))
	}
	if !strings.HasPrefix(real.Questions[0], "Kan dere stille dere bak de fem strategiske målene") {
		t.Errorf("first question %q", real.Questions[0])
	}
	for _, r := range responses {
		if !strings.Contains(r.Organisation, "(illustrativ)") {
			t.Errorf("response from %q: not marked illustrative", r.Organisation)
		}
		for _, a := range r.Answers {
			if !strings.HasPrefix(a.Text, "Illustrativt svar:") {
				t.Errorf("answer of %s does not start \"Illustrativt svar:\": %q", r.Organisation, a.Text)
			}
		}
	}
	want := map[string]int{"ConsultationResponseReplaced": 1, "ConsultationResponsePublished": 3, "ConsultationClosed": 1}
	for typ, n := range want {
		if counts[typ] != n {
			t.Errorf("%s: %d, want %d", typ, counts[typ], n)
		}
	}
	late := 0
	for _, r := range responses {
		if r.Late {
			late++
		}
	}
	if late != 1 {
		t.Errorf("%d late responses, want 1", late)
	}
}
