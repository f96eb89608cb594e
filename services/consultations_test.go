package services_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/services"
	"github.com/ehelse/portfolio/services/wire"
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

func TestConsultationStatusOn(t *testing.T) {
	for _, tt := range []struct {
		closed          bool
		deadline, today domain.Date
		want            string
	}{
		{false, "2022-10-01", "2022-09-30", wire.ConsultationOpen},
		{false, "2022-10-01", "2022-10-01", wire.ConsultationOpen},
		{false, "2022-10-01", "2022-10-02", wire.ConsultationDeadlinePassed},
		{true, "2022-10-01", "2022-09-30", wire.ConsultationClosed},
	} {
		if got := services.ConsultationStatusOn(tt.closed, tt.deadline, tt.today); got != tt.want {
			t.Errorf("ConsultationStatusOn(%v, %s, %s) = %s, want %s", tt.closed, tt.deadline, tt.today, got, tt.want)
		}
	}
}

// opener opens "v1.<address>" for the test.
type opener struct{}

func (opener) Open(s string) (string, error) { return strings.TrimPrefix(s, "v1."), nil }

func TestConsultationFor(t *testing.T) {
	d := wire.ConsultationDetail{
		ConsultationSummary: wire.ConsultationSummary{ConsultationID: "c", Deadline: "2022-10-01"},
		InvitedBodies:       []wire.InvitedBody{{Name: "KS"}, {Name: "Sametinget"}, {Name: "Tekna"}},
		Responses: []wire.ConsultationResponse{
			{ResponseID: "r1", Organisation: "KS", Published: true, ReplacedBy: "r2", ContactSealed: "v1.a@ks.no", RegisteredBy: "webskjema"},
			{ResponseID: "r2", Organisation: "ks", Replaces: "r1", ContactSealed: "v1.b@ks.no", RegisteredBy: "webskjema"},
			{ResponseID: "r3", Organisation: "Sametinget", Published: true, Late: true, RegisteredBy: "sekretariat"},
		},
	}
	d.Recount()
	if d.ResponseCount != 2 || d.PublishedCount != 1 || !d.InvitedBodies[0].Responded || !d.InvitedBodies[1].Responded || d.InvitedBodies[2].Responded {
		t.Fatalf("recount: %+v %+v", d.ConsultationSummary, d.InvitedBodies)
	}
	before := fmt.Sprintf("%+v", d)
	today := domain.Date("2022-10-02")

	pub := services.ConsultationFor(services.Anonymous, d, today, opener{})
	if len(pub.Responses) != 1 || pub.Responses[0].ResponseID != "r3" || pub.Responses[0].RegisteredBy != "" {
		t.Fatalf("anonymous: %+v", pub.Responses)
	}
	if pub.InvitedBodies[0].Responded || !pub.InvitedBodies[1].Responded || pub.ResponseCount != 1 || pub.Status != wire.ConsultationDeadlinePassed {
		t.Fatalf("anonymous: KS is shown as responded (its current response is not published), or the counts are wrong: %+v %+v",
			pub.InvitedBodies, pub.ConsultationSummary)
	}
	owner := services.ConsultationFor(services.Principal{Name: "hso", Role: services.RoleOwner, Org: "KS"}, d, today, opener{})
	if len(owner.Responses) != 1 {
		t.Fatalf("owner: %+v", owner.Responses)
	}
	aud := services.ConsultationFor(services.Principal{Name: "rr", Role: services.RoleAuditor}, d, today, opener{})
	if len(aud.Responses) != 3 || aud.Responses[0].ContactEmail != "" {
		t.Fatalf("auditor: %+v", aud.Responses)
	}
	sek := services.ConsultationFor(services.Principal{Name: "sekretariat", Role: services.RoleSecretariat}, d, today, opener{})
	if len(sek.Responses) != 3 || sek.Responses[0].ContactEmail != "a@ks.no" || sek.Responses[1].ContactEmail != "b@ks.no" {
		t.Fatalf("secretariat: %+v", sek.Responses)
	}
	if after := fmt.Sprintf("%+v", d); after != before {
		t.Fatal("ConsultationFor changed its argument")
	}

	var b strings.Builder
	d.Questions = []string{"Enig?"}
	d.Responses[1].Answers = []domain.Answer{{Question: 1, Text: "=SUM(A1)"}}
	if err := services.WriteConsultationCSV(&b, d); err != nil {
		t.Fatal(err)
	}
	want := "organisasjon,spørsmål 1: Enig?,andre merknader,dokument,mottatt,for sent,publisert\n" +
		"ks,'=SUM(A1),,,,nei,nei\nSametinget,,,,,ja,ja\n"
	if b.String() != want {
		t.Fatalf("csv:\n%s\nwant\n%s", b.String(), want)
	}
}
