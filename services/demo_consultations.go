package services

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ehelse/portfolio/domain"
)

// consultation2022JSON holds the facts of the public consultation on the
// 2023–2030 strategy as the directorate published them (title, case,
// dates, questions, invited bodies); it has no response texts.
//
//go:embed demodata/consultation-2022.json
var consultation2022JSON []byte

// consultationFacts is the part of consultation-2022.json the demo uses.
type consultationFacts struct {
	Title              string      `json:"title"`
	SentBy             string      `json:"sentBy"`
	Opened             domain.Date `json:"opened"`
	Deadline           domain.Date `json:"deadline"`
	ArchiveRef         string      `json:"archiveRef"`
	Questions          []string    `json:"questions"`
	DocumentMainPoints []string    `json:"documentMainPoints"`
	TargetGroups       string      `json:"targetGroups"`
	InvitedBodies      []string    `json:"invitedBodies"`
}

// Illustrative organisations: invented, and named so that no one takes a
// response for a real organisation's.
const (
	demoOrgKommune    = "Eksempelkommune (illustrativ)"
	demoOrgForening   = "Eksempelforeningen for pasienter (illustrativ)"
	demoOrgLeverandor = "Eksempelleverandør AS (illustrativ)"
)

// seedConsultations records the 2022 consultation on the strategy with its
// real facts as a concluded consultation, with a few illustrative
// responses (one replaced, one late), and an illustrative open
// consultation whose deadline is a month from now, so that the public
// form can be tried.
func (d *demoSeeder) seedConsultations(now time.Time) {
	var f consultationFacts
	if err := json.Unmarshal(consultation2022JSON, &f); err != nil {
		d.err = fmt.Errorf("demo consultation facts: %w", err)
		return
	}
	desc := f.SentBy + " sender forslag til " + f.Title + " 2023–2030 på høring. Dokumentet omhandler: "
	for i, p := range f.DocumentMainPoints {
		if i > 0 {
			desc += "; "
		}
		desc += p
	}
	desc += ". Målgrupper: " + f.TargetGroups + " Høringen er åpen for alle, med ett svar per organisasjon."
	id := NewID()
	d.do(&domain.OpenConsultation{ConsultationID: id, Title: f.Title, Description: desc, ArchiveRef: f.ArchiveRef,
		Questions: f.Questions, InvitedBodies: f.InvitedBodies, OpenedDate: f.Opened, Deadline: f.Deadline})

	answers := func(texts ...string) []domain.Answer {
		out := make([]domain.Answer, 0, len(texts))
		for i, t := range texts {
			out = append(out, domain.Answer{Question: i + 1, Text: t})
		}
		return out
	}
	respond := func(org string, received domain.Date, replaces bool, a []domain.Answer, comments string) string {
		rid := NewID()
		d.do(&domain.RegisterConsultationResponse{ConsultationID: id, ResponseID: rid, Organisation: org,
			ReceivedDate: received, Answers: a, Comments: comments, Replaces: replaces})
		return rid
	}
	respond(demoOrgKommune, "2022-09-12", false, answers(
		"Illustrativt svar: demodata, ikke et ekte høringssvar. Vi støtter målene."), "")
	kommune := respond(demoOrgKommune, "2022-09-28", true, answers(
		"Illustrativt svar: demodata, ikke et ekte høringssvar. Vi støtter de fem målene og ønsker tydeligere prioritering.",
		"Illustrativt svar: målindikatorene bør kunne måles i kommunene uten ekstra rapportering.",
		"Illustrativt svar: kommunene bør være representert i oppfølgingen."),
		"Illustrativt svar: dette svaret erstatter vårt første svar, for å vise hvordan et svar kan erstattes.")
	forening := respond(demoOrgForening, "2022-09-30", false, answers(
		"Illustrativt svar: demodata, ikke et ekte høringssvar. Ja, med vekt på innbyggernes medvirkning.",
		"Illustrativt svar: vi savner indikatorer for pårørende."), "")
	// Received after the deadline: recorded and marked late.
	leverandor := respond(demoOrgLeverandor, "2022-10-04", false, []domain.Answer{
		{Question: 1, Text: "Illustrativt svar: demodata, ikke et ekte høringssvar. Ja."},
		{Question: 3, Text: "Illustrativt svar: leverandørene bør involveres tidlig."}}, "")
	for _, rid := range []string{kommune, forening, leverandor} {
		d.do(&domain.PublishConsultationResponse{ConsultationID: id, ResponseID: rid})
	}
	d.do(&domain.CloseConsultation{ConsultationID: id,
		Summary: "Høringen er ferdig behandlet. Demodata: sammendraget er ikke direktoratets, og svarene som vises her er " +
			"illustrative og ikke ekte høringssvar; de ekte høringssvarene er publisert av " + f.SentBy + "."})

	open := NewID()
	today := domain.DateOf(now.Add(2 * time.Hour))
	d.do(&domain.OpenConsultation{ConsultationID: open, Title: "Eksempelhøring: felles retningslinjer for digital dialog (demo)",
		Description: "Illustrativ demohøring for å vise høringsskjemaet. Den finnes ikke i virkeligheten; svar gjerne for å prøve løsningen.",
		Questions: []string{
			"Støtter dere forslaget til felles retningslinjer?",
			"Har dere andre innspill til forslaget?",
		},
		InvitedBodies: []string{"Alle landets kommuner", "De regionale helseforetakene", "KS"},
		OpenedDate:    today, Deadline: domain.DateOf(now.AddDate(0, 1, 0))})
}
