package web

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/projections"
	"github.com/ehelse/portfolio/services"
)

// The signed-in area: the secretariat's council pages (meetings, cases,
// outcomes, corrections, minutes), the initiative pages of the secretariat
// and the owners (initiatives.go) and the auditor's pages (auditor.go).

var (
	rolesAll         = []services.Role{services.RoleSecretariat, services.RoleOwner, services.RoleAuditor}
	rolesSecretariat = []services.Role{services.RoleSecretariat}
	rolesWriters     = []services.Role{services.RoleSecretariat, services.RoleOwner}
	rolesAuditor     = []services.Role{services.RoleAuditor}
)

func (s *Server) initSecretariat(a *assets) error {
	c := s.cfg.Secretariat
	if c == nil {
		return nil
	}
	if c.Sessions == nil || c.Executor == nil {
		return errMissing("Secretariat.Sessions and Secretariat.Executor")
	}
	p, err := parseSekPages(a)
	if err != nil {
		return err
	}
	s.sek = p
	if c.OIDC != nil {
		if c.OIDC.Claims == nil {
			return errMissing("Secretariat.OIDC.Claims")
		}
		s.oidc = &oidcLogin{cfg: *c.OIDC}
	}
	return nil
}

func (s *Server) secretariatRoutes(mux *http.ServeMux) {
	if s.cfg.Secretariat == nil {
		return
	}
	// Forms posted from another site are refused before anything else
	// (Sec-Fetch-Site, else Origin against Host).
	cop := http.NewCrossOriginProtection()
	if u, err := url.Parse(s.cfg.Secretariat.PublicURL); err == nil && u.Scheme != "" && u.Host != "" {
		// Behind a proxy that rewrites Host, the public origin is still
		// this site's.
		if err := cop.AddTrustedOrigin(u.Scheme + "://" + u.Host); err != nil {
			s.log.Warn("web: --public-url is not an origin", "err", err)
		}
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.log.Warn("web: cross-origin form refused", "path", r.URL.Path)
		s.renderSekError(w, r, http.StatusForbidden, "Skjemaet ble avvist",
			"Skjemaet ble sendt fra et annet nettsted og er avvist. Ingenting er registrert.")
	}))
	page := func(pattern string, roles []services.Role, h http.HandlerFunc) {
		mux.HandleFunc("GET "+pattern, s.requireRole(roles, h))
	}
	form := func(pattern string, roles []services.Role, load formLoader) {
		h := s.requireRole(roles, s.formPage(load))
		mux.HandleFunc("GET "+pattern, h)
		mux.Handle("POST "+pattern, cop.Handler(h))
	}

	mux.HandleFunc("GET /logg-inn", s.handleLoginPage)
	mux.Handle("POST /logg-inn", cop.Handler(http.HandlerFunc(s.handleTokenLogin)))
	mux.Handle("POST /logg-ut", cop.Handler(http.HandlerFunc(s.handleLogout)))
	mux.HandleFunc("GET /logg-inn/oidc", s.handleOIDCStart)
	mux.HandleFunc("GET "+oidcCallbackPath, s.handleOIDCCallback)

	page("/sekretariat", rolesAll, s.handleSekHome)
	page("/sekretariat/moter", rolesSecretariat, s.handleSekMeetings)
	form("/sekretariat/moter/ny", rolesSecretariat, s.loadScheduleMeeting)
	page("/sekretariat/moter/{id}", rolesSecretariat, s.handleSekMeeting)
	form("/sekretariat/moter/{id}/avhold", rolesSecretariat, s.loadHoldMeeting)
	page("/sekretariat/moter/{id}/protokoll", rolesSecretariat, s.handleSekMinutes)
	form("/sekretariat/saker/ny", rolesSecretariat, s.loadRegisterCase)
	page("/sekretariat/saker/{id}", rolesSecretariat, s.handleSekCase)
	form("/sekretariat/saker/{id}/sakskart", rolesSecretariat, s.loadPlaceCase)
	form("/sekretariat/saker/{id}/utfall/{meeting}", rolesSecretariat, s.loadOutcome)
	form("/sekretariat/saker/{id}/korriger/{event}", rolesSecretariat, s.loadCorrect)

	page("/sekretariat/strategi", rolesSecretariat, s.handleSekStrategy)
	form("/sekretariat/strategi/mal/ny", rolesSecretariat, s.loadDefineGoal)
	form("/sekretariat/strategi/delmal/ny", rolesSecretariat, s.loadDefineSubGoal)

	page("/sekretariat/tiltak", rolesWriters, s.handleSekInitiatives)
	form("/sekretariat/tiltak/ny", rolesWriters, s.loadPropose)
	page("/sekretariat/tiltak/{id}", rolesWriters, s.handleSekInitiative)
	form("/sekretariat/tiltak/{id}/status", rolesWriters, s.loadReportStatus)
	form("/sekretariat/tiltak/{id}/milepel", rolesWriters, s.loadPlanMilestone)
	form("/sekretariat/tiltak/{id}/milepel/{ms}/{how}", rolesWriters, s.loadMilestone)
	form("/sekretariat/tiltak/{id}/livslop/{action}", rolesWriters, s.loadLifecycle)

	page("/sekretariat/horinger", rolesSecretariat, s.handleSekConsultations)
	page("/sekretariat/horinger/{id}", rolesSecretariat, s.handleSekConsultation)
	form("/sekretariat/horinger/{id}/publiser/{response}", rolesSecretariat, s.loadPublishResponse)

	page("/sekretariat/revisjon", rolesAuditor, s.handleAudit)
	page("/sekretariat/revisjon/{kind}/{id}", rolesAuditor, s.handleAuditHistory)
}

// ---- the start page ----

type sekHomeView struct {
	Secretariat, Owner, Auditor bool
	Org                         string
	Meetings                    []meetingRow
}

func (s *Server) handleSekHome(w http.ResponseWriter, r *http.Request) {
	p := signedIn(r)
	switch p.Role {
	case services.RoleOwner:
		http.Redirect(w, r, "/sekretariat/tiltak", http.StatusSeeOther)
		return
	case services.RoleAuditor:
		http.Redirect(w, r, "/sekretariat/revisjon", http.StatusSeeOther)
		return
	}
	rows, err := s.meetingRows(func(m projections.MeetingSummary) bool { return !m.Held })
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	s.renderSek(w, r, http.StatusOK, "home", sekLayout{Title: "Sekretariatet", Section: "hjem",
		Page: sekHomeView{Secretariat: true, Meetings: rows}})
}

// ---- meetings ----

type meetingRow struct {
	Href, Forum, Label, Date, Status string
	Items                            int
	Held                             bool
}

func (s *Server) meetingRows(keep func(projections.MeetingSummary) bool) ([]meetingRow, error) {
	ms, err := s.cfg.Queries.Meetings("", 0)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(ms, func(i, j int) bool {
		if ms[i].Date != ms[j].Date {
			return ms[i].Date > ms[j].Date
		}
		return ms[i].Forum < ms[j].Forum
	})
	rows := []meetingRow{}
	for _, m := range ms {
		if keep != nil && !keep(m) {
			continue
		}
		st := "Planlagt"
		if m.Held {
			st = "Avholdt"
		}
		rows = append(rows, meetingRow{Href: "/sekretariat/moter/" + m.MeetingID, Forum: string(m.Forum), Label: m.Label,
			Date: dateNO(m.Date), Status: st, Items: m.AgendaItems, Held: m.Held})
	}
	return rows, nil
}

func (s *Server) handleSekMeetings(w http.ResponseWriter, r *http.Request) {
	s.waitAfter(r)
	rows, err := s.meetingRows(nil)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	s.renderSek(w, r, http.StatusOK, "meetings", sekLayout{Title: "Møter", Section: "moter", Page: rows})
}

var forumOptions = []option{{Value: "NUFA", Label: "NUFA – Nasjonalt fagutvalg"},
	{Value: "NUIT", Label: "NUIT – Nasjonalt utvalg for IT-prioritering"}, {Value: "EHR", Label: "EHR – Nasjonalt e-helseråd"}}

func withEmpty(label string, opts []option) []option {
	return append([]option{{Value: "", Label: label}}, opts...)
}

func (s *Server) loadScheduleMeeting(r *http.Request, p services.Principal) (*formDef, error) {
	fields := []field{
		{Name: "forum", Label: "Forum", Kind: "select", Required: true, Options: withEmpty("Velg forum", forumOptions)},
		{Name: "date", Label: "Møtedato", Kind: "date", Required: true},
	}
	return &formDef{Title: "Planlegg møte", Section: "moter", Back: linkView{Href: "/sekretariat/moter", Text: "Møter"},
		Lead: "Møtet får neste nummer i forumets år, for eksempel 3/2026.", Fields: fields, Submit: "Planlegg møtet",
		Build: build("ScheduleMeeting", fields, nil),
		Done:  func(res services.CommandResult) string { return "/sekretariat/moter/" + res.AggregateID }}, nil
}

type agendaRow struct {
	CaseNumber, Title, CaseHref, Type, Proposed, Outcome, OutcomeHref, Forwarded string
}

type sekMeetingView struct {
	ID, Forum, ForumName, Label, Date, Status string
	Held                                      bool
	Items                                     []agendaRow
}

func (s *Server) sekMeeting(id string) (projections.MeetingDetail, sekMeetingView, error) {
	m, err := s.cfg.Queries.Meeting(id)
	if err != nil {
		return m, sekMeetingView{}, err
	}
	v := sekMeetingView{ID: m.MeetingID, Forum: string(m.Forum), ForumName: forumNO(m.Forum), Label: m.Label,
		Date: dateNO(m.Date), Held: m.Held, Status: "Planlagt", Items: []agendaRow{}}
	if m.Held {
		v.Status = "Avholdt"
	}
	for _, it := range m.Agenda {
		row := agendaRow{CaseNumber: it.CaseNumber, Title: it.Title, CaseHref: "/sekretariat/saker/" + it.CaseID,
			Type: caseTypeNO(it.CaseType), Proposed: it.ProposedResolution, Outcome: "Ikke behandlet"}
		if n := len(it.Outcomes); n > 0 {
			row.Outcome = outcomeNO(it.Outcomes[n-1].Outcome)
		}
		if m.Held {
			row.OutcomeHref = "/sekretariat/saker/" + it.CaseID + "/utfall/" + m.MeetingID
		}
		if it.RegisteredForum != m.Forum {
			row.Forwarded = "Registrert i " + string(it.RegisteredForum)
		}
		v.Items = append(v.Items, row)
	}
	return m, v, nil
}

func (s *Server) handleSekMeeting(w http.ResponseWriter, r *http.Request) {
	s.waitAfter(r)
	_, v, err := s.sekMeeting(r.PathValue("id"))
	if err != nil {
		s.renderFormError(w, r, err)
		return
	}
	s.renderSek(w, r, http.StatusOK, "meeting", sekLayout{Title: v.Forum + " møte " + v.Label, Section: "moter", Page: v})
}

func (s *Server) loadHoldMeeting(r *http.Request, p services.Principal) (*formDef, error) {
	m, v, err := s.sekMeeting(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	return &formDef{Title: "Registrer at møtet er avholdt", Section: "moter",
		Back:   linkView{Href: "/sekretariat/moter/" + m.MeetingID, Text: v.Forum + " møte " + v.Label},
		Lead:   "Når møtet er registrert som avholdt, kan utfallet av hver sak registreres.",
		Facts:  []fact{{Label: "Møte", Value: v.Forum + " " + v.Label}, {Label: "Dato", Value: v.Date}, {Label: "Saker på sakskartet", Value: strconv.Itoa(len(v.Items))}},
		Submit: "Registrer som avholdt",
		Build:  build("HoldMeeting", nil, map[string]any{"meetingId": m.MeetingID}),
		Done:   func(res services.CommandResult) string { return "/sekretariat/moter/" + m.MeetingID }}, nil
}

func (s *Server) handleSekMinutes(w http.ResponseWriter, r *http.Request) {
	m, v, err := s.sekMeeting(r.PathValue("id"))
	if err != nil {
		s.renderFormError(w, r, err)
		return
	}
	type decision struct{ Outcome, Resolution, Conditions, Remarks, Reason string }
	type item struct {
		CaseNumber, Title, Proposed, Type string
		Decisions                         []decision
	}
	type minutes struct {
		sekMeetingView
		Cases []item
	}
	out := minutes{sekMeetingView: v, Cases: []item{}}
	for _, it := range m.Agenda {
		x := item{CaseNumber: it.CaseNumber, Title: it.Title, Proposed: it.ProposedResolution, Type: caseTypeNO(it.CaseType)}
		for _, o := range it.Outcomes {
			d := decision{Outcome: outcomeNO(o.Outcome), Resolution: o.Resolution, Conditions: o.Conditions, Remarks: o.Remarks, Reason: o.Reason}
			if n := len(o.Corrections); n > 0 {
				d.Resolution = o.Corrections[n-1].Resolution + " (rettet: " + o.Corrections[n-1].Reason + ")"
			}
			x.Decisions = append(x.Decisions, d)
		}
		out.Cases = append(out.Cases, x)
	}
	s.renderSek(w, r, http.StatusOK, "minutes", sekLayout{Title: "Protokoll " + v.Forum + " " + v.Label, Section: "moter", Page: out})
}

// ---- cases ----

func (s *Server) initiativeOptions(p services.Principal) ([]option, error) {
	all, err := s.cfg.Queries.Initiatives(projections.InitiativeFilter{})
	if err != nil {
		return nil, err
	}
	sortNO(all, func(i projections.InitiativeSummary) string { return i.Title })
	var opts []option
	for _, in := range all {
		if p.Role == services.RoleOwner && in.Owner != p.Org {
			continue
		}
		opts = append(opts, option{Value: in.InitiativeID, Label: in.Title + " (" + in.Owner + ")"})
	}
	return opts, nil
}

var phaseOptions = []option{{Value: "planning", Label: "Planlegging"}, {Value: "execution", Label: "Gjennomføring"}, {Value: "rollout", Label: "Innføring"}}

func (s *Server) loadRegisterCase(r *http.Request, p services.Principal) (*formDef, error) {
	inits, err := s.initiativeOptions(p)
	if err != nil {
		return nil, err
	}
	fields := []field{
		{Name: "forum", Label: "Registreres i forum", Kind: "select", Required: true, Options: withEmpty("Velg forum", forumOptions)},
		{Name: "title", Label: "Tittel", Kind: "text", Required: true},
		{Name: "caseType", Label: "Sakstype", Kind: "select", Required: true, Options: withEmpty("Velg sakstype", []option{
			{Value: "approval", Label: "Godkjenning"}, {Value: "discussion", Label: "Drøfting"}, {Value: "information", Label: "Orientering"}})},
		{Name: "purpose", Label: "Formål", Kind: "select", Required: true, Options: withEmpty("Velg formål", []option{
			{Value: "admission", Label: "Opptak i porteføljen"}, {Value: "phase_gate", Label: "Faseovergang"},
			{Value: "prioritisation", Label: "Prioritering"}, {Value: "other", Label: "Annet"}})},
		{Name: "initiativeId", Label: "Tiltak", Kind: "select", Hint: "Må velges for opptak og faseovergang.", Options: withEmpty("Ingen", inits)},
		{Name: "targetPhase", Label: "Ny fase (faseovergang)", Kind: "select", Options: withEmpty("Ingen", phaseOptions)},
		{Name: "proposedResolution", Label: "Forslag til vedtak", Kind: "textarea", Required: true},
		{Name: "archiveRef", Label: "Arkivreferanse", Kind: "text", Hint: "For eksempel 22/414-1."},
	}
	return &formDef{Title: "Registrer sak", Section: "saker", Back: linkView{Href: "/sekretariat", Text: "Sekretariatet"},
		Fields: fields, Submit: "Registrer saken", Build: build("RegisterCase", fields, nil),
		Done: func(res services.CommandResult) string { return "/sekretariat/saker/" + res.AggregateID }}, nil
}

type caseStepRow struct {
	Kind, Forum, Meeting, MeetingHref, CaseNumber, Outcome, Text, CorrectHref string
	Corrected, SentBack                                                       bool
}

type sekCaseView struct {
	ID, Title, Forum, Type, Purpose, Proposed, Status, ArchiveRef, TargetPhase string
	Initiative                                                                 *linkView
	Steps                                                                      []caseStepRow
	PlaceHref                                                                  string
}

func (s *Server) handleSekCase(w http.ResponseWriter, r *http.Request) {
	s.waitAfter(r)
	c, err := s.cfg.Queries.Case(r.PathValue("id"))
	if err != nil {
		s.renderFormError(w, r, err)
		return
	}
	v := sekCaseView{ID: c.CaseID, Title: c.Title, Forum: string(c.Forum), Type: caseTypeNO(c.CaseType), Purpose: purposeNO(c.Purpose),
		Proposed: c.ProposedResolution, Status: outcomeNO(c.Status), ArchiveRef: c.ArchiveRef, Steps: []caseStepRow{},
		PlaceHref: "/sekretariat/saker/" + c.CaseID + "/sakskart"}
	if c.TargetPhase != "" {
		v.TargetPhase = phaseNO(c.TargetPhase)
	}
	if c.InitiativeID != "" {
		title := c.InitiativeID
		if in, err := s.cfg.Queries.Initiative(c.InitiativeID); err == nil {
			title = in.Title
		}
		v.Initiative = &linkView{Href: "/sekretariat/tiltak/" + c.InitiativeID, Text: title}
	}
	for _, st := range c.Path {
		row := caseStepRow{Forum: string(st.Forum), Meeting: st.MeetingLabel, MeetingHref: "/sekretariat/moter/" + st.MeetingID,
			CaseNumber: st.CaseNumber, Corrected: st.Corrected, SentBack: st.SentBack}
		if st.Kind == "placed" {
			row.Kind = "Satt på sakskartet"
			if st.SentBack {
				row.Kind = "Sendt tilbake til NUIT og satt på sakskartet"
			}
		} else {
			row.Kind = "Vedtak"
			row.Outcome = outcomeNO(st.Outcome)
			row.Text = firstNonEmpty(st.Resolution, st.Reason, st.Remarks)
			if st.Conditions != "" {
				row.Text += " Vilkår: " + st.Conditions
			}
			row.CorrectHref = "/sekretariat/saker/" + c.CaseID + "/korriger/" + st.EventID
		}
		v.Steps = append(v.Steps, row)
	}
	s.renderSek(w, r, http.StatusOK, "case", sekLayout{Title: "Sak: " + c.Title, Section: "saker", Page: v})
}

func firstNonEmpty(xs ...string) string {
	for _, x := range xs {
		if x != "" {
			return x
		}
	}
	return ""
}

func (s *Server) caseFacts(c projections.CaseDetail) []fact {
	fs := []fact{{Label: "Sak", Value: c.Title, Href: "/sekretariat/saker/" + c.CaseID},
		{Label: "Registrert i", Value: string(c.Forum)}, {Label: "Sakstype", Value: caseTypeNO(c.CaseType)},
		{Label: "Status", Value: outcomeNO(c.Status)}}
	for i := len(c.Path) - 1; i >= 0; i-- {
		if c.Path[i].Kind == "placed" {
			fs = append(fs, fact{Label: "Sist satt på sakskart", Value: string(c.Path[i].Forum) + " " + c.Path[i].MeetingLabel + ", sak " + c.Path[i].CaseNumber})
			break
		}
	}
	return fs
}

func (s *Server) loadPlaceCase(r *http.Request, p services.Principal) (*formDef, error) {
	c, err := s.cfg.Queries.Case(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	ms, err := s.cfg.Queries.Meetings("", 0)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(ms, func(i, j int) bool { return ms[i].Date < ms[j].Date })
	var opts []option
	for _, m := range ms {
		if !m.Held {
			opts = append(opts, option{Value: m.MeetingID, Label: string(m.Forum) + " møte " + m.Label + ", " + dateNO(m.Date)})
		}
	}
	fields := []field{{Name: "meetingId", Label: "Møte", Kind: "select", Required: true, Options: withEmpty("Velg et planlagt møte", opts),
		Hint: "Saken får neste saksnummer i møtets forum og år, for eksempel 15/26. En sak som EHR har utsatt, kan sendes tilbake til NUIT."}}
	v := c.Version
	return &formDef{Title: "Sett saken på sakskartet", Section: "saker", Back: linkView{Href: "/sekretariat/saker/" + c.CaseID, Text: c.Title},
		Facts: s.caseFacts(c), Fields: fields, Submit: "Sett på sakskartet", Version: &v,
		Build: build("PlaceCaseOnAgenda", fields, map[string]any{"caseId": c.CaseID}),
		Done: func(res services.CommandResult) string {
			return "/sekretariat/saker/" + c.CaseID
		}}, nil
}

// outcomes a forum may record (DOMAIN.md, the council model).
var forumOutcomes = map[domain.Forum][]option{
	domain.NUFA: {{Value: "noted", Label: "Tatt til orientering"}, {Value: "discussed", Label: "Drøftet"}, {Value: "recommended", Label: "Anbefalt (råd)"}},
	domain.NUIT: {{Value: "noted", Label: "Tatt til orientering"}, {Value: "discussed", Label: "Drøftet"},
		{Value: "recommended", Label: "Anbefalt (innstilling, eventuelt med vilkår)"}, {Value: "rejected", Label: "Ikke støttet"}, {Value: "deferred", Label: "Utsatt"}},
	domain.EHR: {{Value: "noted", Label: "Tatt til orientering"}, {Value: "discussed", Label: "Drøftet"},
		{Value: "approved", Label: "Godkjent (tilslutning)"}, {Value: "rejected", Label: "Avvist"}, {Value: "deferred", Label: "Utsatt"}},
}

func (s *Server) loadOutcome(r *http.Request, p services.Principal) (*formDef, error) {
	c, err := s.cfg.Queries.Case(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	m, err := s.cfg.Queries.Meeting(r.PathValue("meeting"))
	if err != nil {
		return nil, err
	}
	number := ""
	for _, it := range m.Agenda {
		if it.CaseID == c.CaseID {
			number = it.CaseNumber
		}
	}
	if number == "" {
		return nil, errNotFound("Saken står ikke på sakskartet til dette møtet.")
	}
	fields := []field{
		{Name: "outcome", Label: "Utfall", Kind: "radio", Required: true, Options: forumOutcomes[m.Forum]},
		{Name: "resolution", Label: "Vedtak", Kind: "textarea", Default: c.ProposedResolution, Hint: "Må fylles ut ved anbefalt, godkjent og avvist."},
		{Name: "conditions", Label: "Vilkår", Kind: "textarea", Hint: "Bare ved anbefaling med vilkår."},
		{Name: "remarks", Label: "Merknader", Kind: "textarea", Hint: "Ved orientering og drøfting."},
		{Name: "reason", Label: "Begrunnelse for utsettelse", Kind: "textarea", Hint: "Må fylles ut når saken utsettes."},
	}
	v := c.Version
	ids := map[string]any{"caseId": c.CaseID, "meetingId": m.MeetingID}
	return &formDef{Title: "Registrer utfall for sak " + number, Section: "moter",
		Back:   linkView{Href: "/sekretariat/moter/" + m.MeetingID, Text: string(m.Forum) + " møte " + m.Label},
		Facts:  append(s.caseFacts(c), fact{Label: "Møte", Value: string(m.Forum) + " " + m.Label + ", " + dateNO(m.Date)}, fact{Label: "Forslag til vedtak", Value: c.ProposedResolution}),
		Fields: fields, Submit: "Registrer utfallet", Version: &v,
		Build: func(vals url.Values) (domain.Command, error) {
			pick := func(names ...string) []field {
				var out []field
				for _, f := range fields {
					for _, n := range names {
						if f.Name == n {
							out = append(out, f)
						}
					}
				}
				return out
			}
			switch vals.Get("outcome") {
			case "noted":
				return build("NoteCase", pick("remarks"), ids)(vals)
			case "discussed":
				return build("DiscussCase", pick("remarks"), ids)(vals)
			case "recommended":
				return build("RecommendInCouncil", pick("resolution", "conditions"), ids)(vals)
			case "approved":
				return build("ApproveInCouncil", pick("resolution"), ids)(vals)
			case "rejected":
				return build("RejectInCouncil", pick("resolution"), ids)(vals)
			case "deferred":
				return build("DeferCase", pick("reason"), ids)(vals)
			}
			return nil, &domain.Error{Kind: domain.KindInvalid, Message: "no outcome", Fields: []domain.FieldError{{Field: "outcome", Detail: "is required"}}}
		},
		Done: func(res services.CommandResult) string { return "/sekretariat/moter/" + m.MeetingID }}, nil
}

func (s *Server) loadCorrect(r *http.Request, p services.Principal) (*formDef, error) {
	c, err := s.cfg.Queries.Case(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	event := r.PathValue("event")
	var step *projections.CaseStep
	for i := range c.Path {
		if c.Path[i].Kind == "decision" && c.Path[i].EventID == event {
			step = &c.Path[i]
		}
	}
	if step == nil {
		return nil, errNotFound("Saken har ikke dette vedtaket.")
	}
	current := step.Resolution
	for _, k := range c.Corrections {
		if k.CorrectsEventID == event {
			current = k.Resolution
		}
	}
	fields := []field{
		{Name: "resolution", Label: "Rettet vedtakstekst", Kind: "textarea", Required: true, Default: current},
		{Name: "reason", Label: "Grunn til rettelsen", Kind: "textarea", Required: true, Hint: "Vedtak endres aldri; rettelsen registreres med grunnen, og begge blir stående i historikken."},
	}
	v := c.Version
	return &formDef{Title: "Rett et vedtak", Section: "saker", Back: linkView{Href: "/sekretariat/saker/" + c.CaseID, Text: c.Title},
		Facts:  append(s.caseFacts(c), fact{Label: "Vedtaket som rettes", Value: string(step.Forum) + " " + step.MeetingLabel + ": " + outcomeNO(step.Outcome) + ". " + current}),
		Fields: fields, Submit: "Registrer rettelsen", Version: &v,
		Build: build("CorrectDecision", fields, map[string]any{"caseId": c.CaseID, "correctsEventId": event}),
		Done:  func(res services.CommandResult) string { return "/sekretariat/saker/" + c.CaseID }}, nil
}

func isoToday(now func() time.Time) string { return now().In(oslo).Format(time.DateOnly) }

func errMissing(what string) error {
	return &pageError{status: http.StatusInternalServerError, msg: "web: " + what + " required"}
}
