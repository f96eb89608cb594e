package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/projections"
	"github.com/ehelse/portfolio/services"
	"github.com/ehelse/portfolio/services/wire"
)

// The consultation pages (høringer): /horinger lists them, /horinger/{id}
// shows one with its published responses grouped by question and, while
// it is not closed, the public response form, which posts back to the
// same address.

// ConsultationReader is the consultations read model; the Queries provide
// it when they can (*projections.ReadModels does). Without it the
// consultation pages answer 404.
type ConsultationReader interface {
	Consultations() ([]projections.ConsultationDetail, error)
	Consultation(id string) (projections.ConsultationDetail, error)
}

var _ ConsultationReader = (*projections.ReadModels)(nil)

// ResponseRecorder records a response from the public form.
// *services.ConsultationForms implements it.
type ResponseRecorder interface {
	Submit(ctx context.Context, form services.ConsultationResponseForm, formID string) (services.CommandResult, error)
}

var _ ResponseRecorder = (*services.ConsultationForms)(nil)

// Limits of the response form, in characters; the body as a whole is
// bounded by maxResponseBytes.
const (
	maxOrgLen        = domain.MaxNameLen
	maxEmailLen      = 254
	maxAnswerLen     = 10000
	maxResponseBytes = 256 << 10
)

// Status of a consultation in words.
var consultationStatusNames = map[string]string{
	wire.ConsultationOpen:           "Åpen",
	wire.ConsultationDeadlinePassed: "Frist ute",
	wire.ConsultationClosed:         "Ferdig behandlet",
}

var consultationStatusColors = map[string]string{
	wire.ConsultationOpen:           "success",
	wire.ConsultationDeadlinePassed: "warning",
	wire.ConsultationClosed:         "neutral",
}

func (s *Server) consultationReader() (ConsultationReader, error) {
	c, ok := s.cfg.Queries.(ConsultationReader)
	if !ok {
		return nil, errNotFound("Høringene er ikke tilgjengelige.")
	}
	return c, nil
}

// today is the day in Norway.
func (s *Server) today() domain.Date {
	return domain.Date(s.cfg.Now().In(oslo).Format("2006-01-02"))
}

// ---- the list ----

type consultationsView struct {
	Open, Earlier []consultationRow
}

type consultationRow struct {
	Href, Title, ArchiveRef, Opened, Deadline string
	Status                                    statusTag
	Published                                 int
}

type statusTag struct {
	Text, Color string
}

func (s *Server) statusOf(d projections.ConsultationDetail) (string, statusTag) {
	st := services.ConsultationStatusOn(d.Closed, d.Deadline, s.today())
	return st, statusTag{Text: consultationStatusNames[st], Color: consultationStatusColors[st]}
}

func (s *Server) handleConsultations(r *http.Request) (*response, error) {
	if len(r.URL.RawQuery) > 4*maxQuery {
		return nil, errBadRequest("Adressen er for lang.")
	}
	cr, err := s.consultationReader()
	if err != nil {
		return nil, err
	}
	all, err := cr.Consultations()
	if err != nil {
		return nil, err
	}
	v := consultationsView{}
	for _, d := range all {
		d = services.PublicConsultation(d)
		st, tag := s.statusOf(d)
		row := consultationRow{Href: "/horinger/" + url.PathEscape(d.ConsultationID), Title: d.Title, ArchiveRef: d.ArchiveRef,
			Opened: dateNO(d.OpenedDate), Deadline: dateNO(d.Deadline), Status: tag, Published: d.PublishedCount}
		if st == wire.ConsultationOpen {
			v.Open = append(v.Open, row)
		} else {
			v.Earlier = append(v.Earlier, row)
		}
	}
	return &response{tmpl: "consultations", lay: layout{Title: "Høringer", Section: "horinger", Page: v}}, nil
}

// openConsultations are the consultations open today, for the front page;
// none when the read models have no consultations.
func (s *Server) openConsultations() ([]consultationRow, error) {
	cr, ok := s.cfg.Queries.(ConsultationReader)
	if !ok {
		return nil, nil
	}
	all, err := cr.Consultations()
	if err != nil {
		return nil, err
	}
	var out []consultationRow
	for _, d := range all {
		if st, tag := s.statusOf(d); st == wire.ConsultationOpen {
			out = append(out, consultationRow{Href: "/horinger/" + url.PathEscape(d.ConsultationID), Title: d.Title,
				ArchiveRef: d.ArchiveRef, Opened: dateNO(d.OpenedDate), Deadline: dateNO(d.Deadline), Status: tag})
		}
	}
	return out, nil
}

// ---- one consultation ----

type consultationView struct {
	ID, Title, ArchiveRef, DocumentURL, Opened, Deadline string
	Description                                          []string // paragraphs
	Status                                               statusTag
	DeadlinePassed, Closed                               bool
	Summary                                              []string
	ResultingCase                                        *linkView
	Questions                                            []questionView
	Comments                                             []answerView
	Published                                            int
	Answered, NotAnswered                                []string
	InvitedCount                                         int
	// Received: the reader has just submitted a response.
	Received bool
	Form     *responseFormView
	CSV      string
}

type questionView struct {
	N       int
	Text    string
	Anchor  string
	Answers []answerView
}

type answerView struct {
	Organisation, Received string
	Late                   bool
	Paragraphs             []string
}

// responseFormView is the response form as rendered: the values given so far and
// the messages next to the fields.
type responseFormView struct {
	// FormID is the response's id; Token, in the form's hidden field, is
	// the id signed for the consultation.
	Action, FormID, Token         string
	Organisation, Email, Comments string
	Replaces                      bool
	Answers                       []formAnswer
	Errors                        []formError
	OrgError, EmailError          string
	CommentsError, ReplacesError  string
	// General is a message for the form as a whole.
	General                        string
	MaxOrg, MaxEmail, MaxAnswer    int
	MaxAnswerText, MaxAnswerDigits string
}

type formAnswer struct {
	N                         int
	Question, ID, Name, Value string
	Error                     string
}

type formError struct {
	Field, Message string
}

// paragraphs splits text at blank lines, keeping single line breaks as
// spaces; a text without content is no paragraph.
func paragraphs(text string) []string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	var out []string
	for _, p := range strings.Split(text, "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, strings.Join(strings.Fields(p), " "))
		}
	}
	return out
}

func (s *Server) consultationPage(d projections.ConsultationDetail, form *responseFormView, received bool) consultationView {
	pub := services.PublicConsultation(d)
	st, tag := s.statusOf(pub)
	v := consultationView{ID: d.ConsultationID, Title: d.Title, ArchiveRef: d.ArchiveRef, DocumentURL: d.DocumentURL,
		Opened: dateNO(d.OpenedDate), Deadline: dateNO(d.Deadline), Description: paragraphs(d.Description), Status: tag,
		DeadlinePassed: st == wire.ConsultationDeadlinePassed, Closed: d.Closed, Summary: paragraphs(d.Summary),
		Published: pub.PublishedCount, InvitedCount: len(pub.InvitedBodies), Received: received,
		CSV: "/horinger/" + url.PathEscape(d.ConsultationID) + "?format=csv"}
	if d.ResultingCaseID != "" {
		v.ResultingCase = &linkView{Href: "/radsmodell/saker/" + url.PathEscape(d.ResultingCaseID), Text: "Saken i rådsmodellen"}
	}
	for i, q := range d.Questions {
		qv := questionView{N: i + 1, Text: q, Anchor: "sporsmal-" + strconv.Itoa(i+1)}
		for _, r := range pub.Responses {
			if a := r.Answer(i + 1); a != "" {
				qv.Answers = append(qv.Answers, answerView{Organisation: r.Organisation, Received: dateNO(r.ReceivedDate),
					Late: r.Late, Paragraphs: paragraphs(a)})
			}
		}
		v.Questions = append(v.Questions, qv)
	}
	for _, r := range pub.Responses {
		if strings.TrimSpace(r.Comments) != "" {
			v.Comments = append(v.Comments, answerView{Organisation: r.Organisation, Received: dateNO(r.ReceivedDate),
				Late: r.Late, Paragraphs: paragraphs(r.Comments)})
		}
	}
	for _, b := range pub.InvitedBodies {
		if b.Responded {
			v.Answered = append(v.Answered, b.Name)
		} else {
			v.NotAnswered = append(v.NotAnswered, b.Name)
		}
	}
	if !d.Closed {
		if form == nil {
			form = s.newForm(d)
		}
		v.Form = form
	}
	return v
}

// newForm is an empty form with a fresh form id: the id makes a second
// submission of the same rendered form a repeat of the first.
func (s *Server) newForm(d projections.ConsultationDetail) *responseFormView {
	// No fragment: the page shown again with errors puts the focus on its
	// error summary (autofocus), which a fragment would prevent.
	id := services.NewID()
	f := &responseFormView{Action: "/horinger/" + url.PathEscape(d.ConsultationID), FormID: id, Token: s.formToken(d.ConsultationID, id)}
	f.limits()
	for i, q := range d.Questions {
		f.Answers = append(f.Answers, formAnswer{N: i + 1, Question: q, ID: "svar-" + strconv.Itoa(i+1), Name: "svar" + strconv.Itoa(i+1)})
	}
	return f
}

func (f *responseFormView) limits() {
	f.MaxOrg, f.MaxEmail, f.MaxAnswer = maxOrgLen, maxEmailLen, maxAnswerLen
	f.MaxAnswerText = "10 000"
}

func (s *Server) handleConsultation(r *http.Request) (*response, error) {
	if len(r.URL.RawQuery) > 4*maxQuery {
		return nil, errBadRequest("Adressen er for lang.")
	}
	cr, err := s.consultationReader()
	if err != nil {
		return nil, err
	}
	d, err := cr.Consultation(r.PathValue("id"))
	if err != nil {
		if domain.ErrorKind(err) == domain.KindNotFound {
			return nil, errNotFound("Vi fant ikke høringen.")
		}
		return nil, err
	}
	switch format := r.URL.Query().Get("format"); format {
	case "", "html":
	case "csv":
		return &response{body: consultationCSV(services.PublicConsultation(d)), contentType: "text/csv; charset=utf-8", filename: "horingssvar.csv"}, nil
	default:
		return nil, errBadRequest("Ukjent format «%s». Velg csv.", truncate(format, 40))
	}
	v := s.consultationPage(d, nil, r.URL.Query().Get("mottatt") != "")
	return &response{tmpl: "consultation", lay: layout{Title: d.Title, Section: "horinger", Page: v}}, nil
}

// noStorePage is page without the ETag: each rendering of a page with the
// response form carries a fresh form id, so it must not be served again
// from a cache.
func (s *Server) noStorePage(fn func(r *http.Request) (*response, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		resp, err := fn(r)
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		if resp.body != nil {
			w.Header().Set("Content-Type", resp.contentType)
			w.Header().Set("Content-Disposition", `attachment; filename="`+resp.filename+`"`)
			s.write(w, r, orOK(resp.status), resp.body)
			return
		}
		s.renderPage(w, r, resp)
	}
}

// renderPage renders an HTML page response.
func (s *Server) renderPage(w http.ResponseWriter, r *http.Request, resp *response) {
	pos := s.cfg.Queries.Position()
	resp.lay.Updated, resp.lay.UpdatedISO = s.updated(r.Context(), pos)
	resp.lay.Position = pos
	body, err := s.render(resp.tmpl, resp.lay)
	if err != nil {
		s.log.Error("web: render", "template", resp.tmpl, "err", err)
		s.renderError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", "nb")
	s.write(w, r, orOK(resp.status), body)
}

// ---- the response form ----

// handleRespond records a response from the public form: cross-site posts
// are refused (403), each client address may post a few times a minute
// (429), the body and each field are bounded; a valid response is
// recorded as received (not published) and the reader is sent to the
// page with a receipt (303). Invalid input renders the page again with the
// messages next to the fields (422, or 409 when the organisation must
// confirm the replacement). A refused post records nothing.
func (s *Server) handleRespond(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if err := s.crossOrigin.Check(r); err != nil {
		s.renderError(w, r, &pageError{status: http.StatusForbidden,
			msg: "Skjemaet må sendes fra høringssiden på dette nettstedet."})
		return
	}
	if !s.posts.allow(clientAddress(r)) {
		w.Header().Set("Retry-After", strconv.Itoa(s.posts.retryAfter()))
		s.renderError(w, r, &pageError{status: http.StatusTooManyRequests,
			msg: "Det er sendt for mange skjemaer fra din adresse på kort tid. Vent litt og prøv igjen."})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxResponseBytes)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.renderError(w, r, &pageError{status: http.StatusRequestEntityTooLarge,
				msg: "Skjemaet er for stort. Svarene kan være på høyst " + "10 000" + " tegn hver."})
			return
		}
		s.renderError(w, r, errBadRequest("Skjemaet kunne ikke leses. Prøv igjen."))
		return
	}
	cr, err := s.consultationReader()
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	d, err := cr.Consultation(r.PathValue("id"))
	if err != nil {
		if domain.ErrorKind(err) == domain.KindNotFound {
			err = errNotFound("Vi fant ikke høringen.")
		}
		s.renderError(w, r, err)
		return
	}
	if d.Closed || s.cfg.Responses == nil {
		s.renderError(w, r, &pageError{status: http.StatusConflict,
			msg: "Høringen er ferdig behandlet og tar ikke imot flere svar."})
		return
	}
	f, form := s.readForm(r, d)
	receipt := "/horinger/" + url.PathEscape(d.ConsultationID) + "?mottatt=1#kvittering"
	if _, done := d.Response(f.FormID); done {
		// This rendered form was recorded before: the same answer again.
		http.Redirect(w, r, receipt, http.StatusSeeOther)
		return
	}
	status := http.StatusUnprocessableEntity
	if len(f.Errors) == 0 {
		status = s.checkReplace(f, d)
	}
	if len(f.Errors) == 0 {
		_, err := s.cfg.Responses.Submit(r.Context(), form, f.FormID)
		switch k := domain.ErrorKind(err); {
		case err == nil:
			http.Redirect(w, r, receipt, http.StatusSeeOther)
			return
		case k == domain.KindInvalid || k == domain.KindRuleViolated || k == domain.KindNotFound:
			// What the form's own checks let through and the rules refuse
			// (the consultation closed meanwhile, a tampered field).
			s.log.Info("web: response refused", "consultation", d.ConsultationID, "err", err)
			f.General = "Svaret kunne ikke registreres. Kontroller feltene og prøv igjen."
			f.Errors = append(f.Errors, formError{Field: "organisasjon", Message: f.General})
			status = http.StatusConflict
		default:
			s.renderError(w, r, err)
			return
		}
	}
	v := s.consultationPage(d, f, false)
	s.renderPage(w, r, &response{status: status, tmpl: "consultation",
		lay: layout{Title: "Feil i skjemaet – " + d.Title, Section: "horinger", Page: v}})
}

// readForm reads and checks the posted form: the view to render again and
// the response to record.
func (s *Server) readForm(r *http.Request, d projections.ConsultationDetail) (*responseFormView, services.ConsultationResponseForm) {
	f := s.newForm(d)
	if id, ok := s.formIDOf(d.ConsultationID, r.PostForm.Get("skjema")); ok {
		f.FormID, f.Token = id, s.formToken(d.ConsultationID, id)
	}
	f.Organisation = strings.TrimSpace(r.PostForm.Get("organisasjon"))
	f.Email = strings.TrimSpace(r.PostForm.Get("epost"))
	f.Comments = r.PostForm.Get("merknader")
	f.Replaces = r.PostForm.Get("erstatt") != ""
	form := services.ConsultationResponseForm{ConsultationID: d.ConsultationID, Organisation: f.Organisation,
		ContactEmail: f.Email, Comments: strings.TrimSpace(f.Comments), Replaces: f.Replaces}

	switch n := utf8.RuneCountInString(f.Organisation); {
	case n == 0:
		f.OrgError = "Skriv navnet på organisasjonen dere svarer for."
	case n > maxOrgLen:
		f.OrgError = "Navnet kan være på høyst " + strconv.Itoa(maxOrgLen) + " tegn. Nå er det " + strconv.Itoa(n) + "."
	case hasControl(f.Organisation):
		f.OrgError = "Navnet kan ikke inneholde kontrolltegn."
	}
	if f.OrgError != "" {
		f.Errors = append(f.Errors, formError{"organisasjon", f.OrgError})
	}
	switch {
	case f.Email == "":
		f.EmailError = "Skriv en e-postadresse vi kan kontakte dere på."
	case utf8.RuneCountInString(f.Email) > maxEmailLen || !services.ValidEmail(f.Email):
		f.EmailError = "Skriv en gyldig e-postadresse, for eksempel postmottak@kommune.no."
	}
	if f.EmailError != "" {
		f.Errors = append(f.Errors, formError{"epost", f.EmailError})
	}
	said := false
	for i := range f.Answers {
		a := &f.Answers[i]
		a.Value = r.PostForm.Get(a.Name)
		text := strings.TrimSpace(a.Value)
		if n := utf8.RuneCountInString(text); n > maxAnswerLen {
			a.Error = "Svaret kan være på høyst 10 000 tegn. Nå er det " + spaced(n) + "."
			f.Errors = append(f.Errors, formError{a.ID, "Spørsmål " + strconv.Itoa(a.N) + ": " + a.Error})
			continue
		}
		if text != "" {
			said = true
			form.Answers = append(form.Answers, domain.Answer{Question: a.N, Text: text})
		}
	}
	if n := utf8.RuneCountInString(form.Comments); n > maxAnswerLen {
		f.CommentsError = "Merknadene kan være på høyst 10 000 tegn. Nå er det " + spaced(n) + "."
		f.Errors = append(f.Errors, formError{"merknader", f.CommentsError})
	} else if form.Comments != "" {
		said = true
	}
	if !said && len(f.Answers) > 0 && f.Answers[0].Error == "" && f.CommentsError == "" {
		f.Answers[0].Error = "Svar på minst ett av spørsmålene, eller skriv en merknad."
		f.Errors = append(f.Errors, formError{f.Answers[0].ID, f.Answers[0].Error})
	}
	return f, form
}

// formToken is the form id signed for the consultation: "<id>.<mac>". A
// form id is accepted back only with its signature, so an id cannot be
// made up or carried to another consultation (the id becomes the command
// and response id). Without a key the token is the id alone.
func (s *Server) formToken(consultationID, id string) string {
	if len(s.cfg.FormKey) == 0 {
		return id
	}
	m := hmac.New(sha256.New, s.cfg.FormKey)
	m.Write([]byte(consultationID + "|" + id))
	return id + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// formIDOf is the form id of a token this site signed for the
// consultation; false for anything else (the post then counts as a new
// form).
func (s *Server) formIDOf(consultationID, token string) (string, bool) {
	id, _, _ := strings.Cut(token, ".")
	if !domain.ValidID(id) || !hmac.Equal([]byte(s.formToken(consultationID, id)), []byte(token)) {
		return "", false
	}
	return id, true
}

// checkReplace checks the one-response-per-organisation rule against the
// read model, so the reader gets the message next to the field; the domain
// decides again when the response is recorded.
func (s *Server) checkReplace(f *responseFormView, d projections.ConsultationDetail) int {
	key := domain.OrganisationKey(f.Organisation)
	has := false
	for _, r := range d.Responses {
		if r.Current() && domain.OrganisationKey(r.Organisation) == key {
			has = true
		}
	}
	switch {
	case has && !f.Replaces:
		f.OrgError = "Organisasjonen har allerede sendt et svar. Kryss av for «Erstatt tidligere svar» hvis dette svaret skal erstatte det."
		f.Errors = append(f.Errors, formError{"organisasjon", f.OrgError})
		return http.StatusConflict
	case !has && f.Replaces:
		f.ReplacesError = "Vi finner ikke noe tidligere svar fra organisasjonen. Fjern krysset hvis dette er organisasjonens første svar."
		f.Errors = append(f.Errors, formError{"erstatt", f.ReplacesError})
		return http.StatusConflict
	}
	return http.StatusUnprocessableEntity
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return true
		}
	}
	return false
}

// spaced writes n with a space as thousands separator: 10 001 → "10 001".
func spaced(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + " " + s[i:]
	}
	return s
}

// consultationCSV is the published responses for Excel: one row per
// organisation, one column per question.
func consultationCSV(d projections.ConsultationDetail) []byte {
	head := []string{"Organisasjon", "Mottatt", "Etter fristen"}
	for i, q := range d.Questions {
		head = append(head, "Spørsmål "+strconv.Itoa(i+1)+": "+q)
	}
	head = append(head, "Andre merknader", "Dokument")
	rows := [][]string{head}
	for _, r := range d.Responses {
		late := "nei"
		if r.Late {
			late = "ja"
		}
		row := []string{r.Organisation, string(r.ReceivedDate), late}
		for i := range d.Questions {
			row = append(row, r.Answer(i+1))
		}
		rows = append(rows, append(row, r.Comments, r.DocumentURL))
	}
	return excelCSV(rows)
}
