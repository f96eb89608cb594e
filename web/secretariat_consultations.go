package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/services"
	"github.com/ehelse/portfolio/services/wire"
)

// The secretariat's consultation pages: every consultation, and one with
// every response (replaced ones too, with the contact address), each not
// yet published with a form to publish it.

type sekConsultationRow struct {
	Href, Title, Deadline, Status          string
	Responses, Published, Unpublished, All int
}

func (s *Server) handleSekConsultations(w http.ResponseWriter, r *http.Request) {
	s.waitAfter(r)
	cr, err := s.consultationReader()
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	all, err := cr.Consultations()
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	rows := []sekConsultationRow{}
	for _, d := range all {
		_, tag := s.statusOf(d)
		rows = append(rows, sekConsultationRow{Href: "/sekretariat/horinger/" + url.PathEscape(d.ConsultationID), Title: d.Title,
			Deadline: dateNO(d.Deadline), Status: tag.Text, Responses: d.ResponseCount, Published: d.PublishedCount,
			Unpublished: d.ResponseCount - d.PublishedCount})
	}
	s.renderSek(w, r, http.StatusOK, "consultations", sekLayout{Title: "Høringer", Section: "horinger", Page: rows})
}

type sekConsultationView struct {
	Title, PublicHref, CSV, Deadline, Status string
	Questions                                []string
	Responses                                []sekResponseView
}

type sekResponseView struct {
	ID, Organisation, Received, State, Contact, RegisteredBy, PublishHref string
	Late, Current                                                         bool
	Answers                                                               []sekAnswer
	Comments                                                              []string
}

type sekAnswer struct {
	N          int
	Paragraphs []string
}

func (s *Server) handleSekConsultation(w http.ResponseWriter, r *http.Request) {
	s.waitAfter(r)
	cr, err := s.consultationReader()
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	d, err := cr.Consultation(r.PathValue("id"))
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	d = services.ConsultationFor(signedIn(r), d, s.today(), s.cfg.Contacts)
	_, tag := s.statusOf(d)
	id := url.PathEscape(d.ConsultationID)
	v := sekConsultationView{Title: d.Title, PublicHref: "/horinger/" + id, CSV: "/horinger/" + id + "?format=csv",
		Deadline: dateNO(d.Deadline), Status: tag.Text, Questions: d.Questions}
	byID := map[string]wire.ConsultationResponse{}
	for _, resp := range d.Responses {
		byID[resp.ResponseID] = resp
	}
	for i := len(d.Responses) - 1; i >= 0; i-- {
		resp := d.Responses[i]
		rv := sekResponseView{ID: resp.ResponseID, Organisation: resp.Organisation, Received: dateNO(resp.ReceivedDate),
			Late: resp.Late, Current: resp.Current(), Contact: resp.ContactEmail, RegisteredBy: resp.RegisteredBy,
			Comments: paragraphs(resp.Comments)}
		switch {
		case !resp.Current():
			rv.State = "Erstattet av svaret mottatt " + dateNO(byID[resp.ReplacedBy].ReceivedDate)
		case resp.Published:
			rv.State = "Publisert"
		default:
			rv.State = "Ikke publisert"
			if !d.Closed {
				rv.PublishHref = "/sekretariat/horinger/" + id + "/publiser/" + url.PathEscape(resp.ResponseID)
			}
		}
		for _, a := range resp.Answers {
			rv.Answers = append(rv.Answers, sekAnswer{N: a.Question, Paragraphs: paragraphs(a.Text)})
		}
		v.Responses = append(v.Responses, rv)
	}
	s.renderSek(w, r, http.StatusOK, "consultation", sekLayout{Title: d.Title, Section: "horinger", Page: v})
}

// loadPublishResponse is the form that publishes one response.
func (s *Server) loadPublishResponse(r *http.Request, _ services.Principal) (*formDef, error) {
	cr, err := s.consultationReader()
	if err != nil {
		return nil, err
	}
	d, err := cr.Consultation(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	resp, ok := d.Response(r.PathValue("response"))
	if !ok {
		return nil, domain.Errorf(domain.KindNotFound, "no response %s", r.PathValue("response"))
	}
	back := "/sekretariat/horinger/" + url.PathEscape(d.ConsultationID)
	version := d.Version
	answers := 0
	for _, a := range resp.Answers {
		if a.Text != "" {
			answers++
		}
	}
	return &formDef{Title: "Publiser høringssvar", Section: "horinger", Back: linkView{Href: back, Text: d.Title},
		Lead: "Når svaret er publisert, kan alle lese det på høringens side. Kontaktadressen publiseres ikke.",
		Facts: []fact{{Label: "Organisasjon", Value: resp.Organisation}, {Label: "Mottatt", Value: dateNO(resp.ReceivedDate)},
			{Label: "Svar på spørsmål", Value: strconv.Itoa(answers) + " av " + strconv.Itoa(len(d.Questions))}},
		Submit:  "Publiser svaret",
		Version: &version,
		Build: build("PublishConsultationResponse", nil, map[string]any{
			"consultationId": d.ConsultationID, "responseId": resp.ResponseID}),
		Done: func(services.CommandResult) string { return back }}, nil
}
