package web

import (
	"net/http"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/projections"
	"github.com/ehelse/portfolio/services"
)

// The initiative pages of the signed-in area. The secretariat sees every
// initiative; an owner only those of its own organisation. A page or form
// of another organisation's initiative answers 403 to an owner; a posted
// form is not checked here but by the command service (the API's rule:
// an owner writes only to its own organisation's initiatives), which
// refuses it with 403 before anything is written.

type initiativeRow struct {
	Href, Title, Owner, Phase, State, Status string
}

func (s *Server) handleSekInitiatives(w http.ResponseWriter, r *http.Request) {
	s.waitAfter(r)
	p := signedIn(r)
	f := projections.InitiativeFilter{}
	if p.Role == services.RoleOwner {
		f.Owner = p.Org
	}
	all, err := s.cfg.Queries.Initiatives(f)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	sortNO(all, func(i projections.InitiativeSummary) string { return i.Title })
	rows := []initiativeRow{}
	for _, in := range all {
		if p.Role == services.RoleOwner && in.Owner != p.Org {
			continue
		}
		st := "Ikke rapportert"
		if in.LatestStatus != nil {
			st = ragNO(in.LatestStatus.Overall) + " (" + dateNO(in.LatestStatus.ReportDate) + ")"
		}
		rows = append(rows, initiativeRow{Href: "/sekretariat/tiltak/" + in.InitiativeID, Title: in.Title, Owner: in.Owner,
			Phase: phaseNO(in.Phase), State: stateNO(in.State), Status: st})
	}
	title := "Tiltak"
	if p.Role == services.RoleOwner {
		title = "Tiltakene til " + p.Org
	}
	s.renderSek(w, r, http.StatusOK, "initiatives", sekLayout{Title: title, Section: "tiltak",
		Page: struct {
			Title string
			Rows  []initiativeRow
		}{title, rows}})
}

// ownInitiative loads an initiative the principal may see: every one for
// the secretariat, its own organisation's for an owner (403 otherwise). A
// posted form skips the organisation check: the command service decides.
func (s *Server) ownInitiative(r *http.Request, p services.Principal) (projections.InitiativeDetail, error) {
	in, err := s.cfg.Queries.Initiative(r.PathValue("id"))
	if err != nil {
		return in, err
	}
	if p.Role == services.RoleOwner && in.Owner != p.Org && r.Method != http.MethodPost {
		return in, domain.Errorf(domain.KindForbidden, "%s is not %s's initiative", in.InitiativeID, p.Org)
	}
	return in, nil
}

type sekMilestoneRow struct {
	Title, Status, Planned, Achieved, AchieveHref, SlipHref string
}

type sekInitiativeView struct {
	ID, Title, Owner, Phase, State, Status, Comment, Span, PublicHref string
	Version                                                           uint64
	Milestones                                                        []sekMilestoneRow
	Actions                                                           []linkView
}

func (s *Server) handleSekInitiative(w http.ResponseWriter, r *http.Request) {
	s.waitAfter(r)
	p := signedIn(r)
	in, err := s.ownInitiative(r, p)
	if err != nil {
		s.renderFormError(w, r, err)
		return
	}
	base := "/sekretariat/tiltak/" + in.InitiativeID
	v := sekInitiativeView{ID: in.InitiativeID, Title: in.Title, Owner: in.Owner, Phase: phaseNO(in.Phase), State: stateNO(in.State),
		Status: "Ikke rapportert", Span: dateNO(in.PlannedStart) + " – " + dateNO(in.PlannedEnd), PublicHref: "/tiltak/" + in.InitiativeID,
		Version: in.Version, Milestones: []sekMilestoneRow{}}
	if in.LatestStatus != nil {
		v.Status = ragNO(in.LatestStatus.Overall) + " per " + dateNO(in.LatestStatus.ReportDate)
		v.Comment = in.LatestStatus.Comment
	}
	for _, m := range in.Milestones {
		row := sekMilestoneRow{Title: m.Title, Status: milestoneNO(m.Status), Planned: dateNO(m.PlannedDate), Achieved: dateNO(m.AchievedDate)}
		if m.Status != domain.MilestoneAchievedStatus {
			row.AchieveHref = base + "/milepel/" + m.MilestoneID + "/nadd"
			row.SlipHref = base + "/milepel/" + m.MilestoneID + "/forsinket"
		}
		v.Milestones = append(v.Milestones, row)
	}
	v.Actions = []linkView{{Href: base + "/status", Text: "Rapporter status"}, {Href: base + "/milepel", Text: "Planlegg milepæl"}}
	for _, a := range lifecycleActions {
		if p.Role == services.RoleSecretariat || a.owner {
			v.Actions = append(v.Actions, linkView{Href: base + "/livslop/" + a.path, Text: a.title})
		}
	}
	s.renderSek(w, r, http.StatusOK, "initiative", sekLayout{Title: in.Title, Section: "tiltak", Page: v})
}

func (s *Server) initiativeFacts(in projections.InitiativeDetail) []fact {
	return []fact{{Label: "Tiltak", Value: in.Title, Href: "/sekretariat/tiltak/" + in.InitiativeID}, {Label: "Eier", Value: in.Owner},
		{Label: "Fase", Value: phaseNO(in.Phase)}, {Label: "Tilstand", Value: stateNO(in.State)}}
}

var ragOptions = []option{{Value: "", Label: "Velg"}, {Value: "green", Label: "Grønn – etter plan"},
	{Value: "yellow", Label: "Gul – noe avvik"}, {Value: "red", Label: "Rød – vesentlig avvik"}}

func (s *Server) loadReportStatus(r *http.Request, p services.Principal) (*formDef, error) {
	in, err := s.ownInitiative(r, p)
	if err != nil {
		return nil, err
	}
	fields := []field{
		{Name: "reportDate", Label: "Rapportdato", Kind: "date", Required: true, Default: isoToday(s.cfg.Now)},
		{Name: "overall", Label: "Samlet", Kind: "select", Required: true, Options: ragOptions},
		{Name: "schedule", Label: "Tidsplan", Kind: "select", Required: true, Options: ragOptions},
		{Name: "cost", Label: "Kostnad", Kind: "select", Required: true, Options: ragOptions},
		{Name: "benefit", Label: "Gevinst", Kind: "select", Required: true, Options: ragOptions},
		{Name: "comment", Label: "Kommentar", Kind: "textarea", Hint: "Må fylles ut når et lys er gult eller rødt."},
	}
	v := in.Version
	return &formDef{Title: "Rapporter status", Section: "tiltak", Back: linkView{Href: "/sekretariat/tiltak/" + in.InitiativeID, Text: in.Title},
		Facts: s.initiativeFacts(in), Fields: fields, Submit: "Send statusrapporten", Version: &v,
		Build: build("ReportStatus", fields, map[string]any{"initiativeId": in.InitiativeID}),
		Done:  func(res services.CommandResult) string { return "/sekretariat/tiltak/" + in.InitiativeID }}, nil
}

func (s *Server) loadPlanMilestone(r *http.Request, p services.Principal) (*formDef, error) {
	in, err := s.ownInitiative(r, p)
	if err != nil {
		return nil, err
	}
	fields := []field{
		{Name: "title", Label: "Milepæl", Kind: "text", Required: true},
		{Name: "plannedDate", Label: "Planlagt dato", Kind: "date", Required: true},
	}
	v := in.Version
	return &formDef{Title: "Planlegg milepæl", Section: "tiltak", Back: linkView{Href: "/sekretariat/tiltak/" + in.InitiativeID, Text: in.Title},
		Facts: s.initiativeFacts(in), Fields: fields, Submit: "Planlegg milepælen", Version: &v,
		Build: build("ReportMilestone", fields, map[string]any{"initiativeId": in.InitiativeID, "status": "planned"}),
		Done:  func(res services.CommandResult) string { return "/sekretariat/tiltak/" + in.InitiativeID }}, nil
}

func (s *Server) loadMilestone(r *http.Request, p services.Principal) (*formDef, error) {
	in, err := s.ownInitiative(r, p)
	if err != nil {
		return nil, err
	}
	var ms *projections.MilestoneView
	for i := range in.Milestones {
		if in.Milestones[i].MilestoneID == r.PathValue("ms") {
			ms = &in.Milestones[i]
		}
	}
	if ms == nil {
		return nil, errNotFound("Tiltaket har ikke denne milepælen.")
	}
	var title, status string
	var fields []field
	switch r.PathValue("how") {
	case "nadd":
		title, status = "Milepæl nådd", "achieved"
		fields = []field{{Name: "achievedDate", Label: "Nådd dato", Kind: "date", Required: true, Default: isoToday(s.cfg.Now)}}
	case "forsinket":
		title, status = "Milepæl forsinket", "slipped"
		fields = []field{{Name: "newPlannedDate", Label: "Ny planlagt dato", Kind: "date", Required: true}}
	default:
		return nil, errNotFound("Ukjent handling.")
	}
	v := in.Version
	return &formDef{Title: title, Section: "tiltak", Back: linkView{Href: "/sekretariat/tiltak/" + in.InitiativeID, Text: in.Title},
		Facts:  append(s.initiativeFacts(in), fact{Label: "Milepæl", Value: ms.Title}, fact{Label: "Planlagt", Value: dateNO(ms.PlannedDate)}),
		Fields: fields, Submit: "Registrer", Version: &v,
		Build: build("ReportMilestone", fields, map[string]any{"initiativeId": in.InitiativeID, "milestoneId": ms.MilestoneID, "status": status}),
		Done:  func(res services.CommandResult) string { return "/sekretariat/tiltak/" + in.InitiativeID }}, nil
}

type lifecycleAction struct {
	path, title, command, field, label string
	owner                              bool // an owner may give it
}

var lifecycleActions = []lifecycleAction{
	{"pause", "Stans midlertidig", "PauseInitiative", "reason", "Begrunnelse", false},
	{"gjenoppta", "Gjenoppta", "ResumeInitiative", "reason", "Begrunnelse", false},
	{"avslutt", "Avslutt med sluttrapport", "CloseInitiative", "finalReport", "Sluttrapport", true},
	{"avbryt", "Avbryt", "CancelInitiative", "reason", "Begrunnelse", false},
}

func (s *Server) loadLifecycle(r *http.Request, p services.Principal) (*formDef, error) {
	in, err := s.ownInitiative(r, p)
	if err != nil {
		return nil, err
	}
	for _, a := range lifecycleActions {
		if a.path != r.PathValue("action") {
			continue
		}
		fields := []field{{Name: a.field, Label: a.label, Kind: "textarea", Required: true}}
		v := in.Version
		return &formDef{Title: a.title + ": " + in.Title, Section: "tiltak", Back: linkView{Href: "/sekretariat/tiltak/" + in.InitiativeID, Text: in.Title},
			Facts: s.initiativeFacts(in), Fields: fields, Submit: a.title, Version: &v,
			Build: build(a.command, fields, map[string]any{"initiativeId": in.InitiativeID}),
			Done:  func(res services.CommandResult) string { return "/sekretariat/tiltak/" + in.InitiativeID }}, nil
	}
	return nil, errNotFound("Ukjent handling.")
}

func (s *Server) loadPropose(r *http.Request, p services.Principal) (*formDef, error) {
	sv, err := s.cfg.Queries.Strategy()
	if err != nil {
		return nil, err
	}
	var subs []option
	for _, st := range sv.Strategies {
		for _, g := range st.Goals {
			for _, sg := range g.SubGoals {
				subs = append(subs, option{Value: sg.SubGoalID, Label: sg.SubGoalID + " " + sg.Title})
			}
		}
	}
	fields := []field{{Name: "title", Label: "Tittel", Kind: "text", Required: true},
		{Name: "description", Label: "Beskrivelse", Kind: "textarea", Required: true}}
	fixed := map[string]any{}
	var facts []fact
	if p.Role == services.RoleOwner {
		fixed["owner"] = p.Org
		facts = []fact{{Label: "Eier", Value: p.Org}}
	} else {
		fields = append(fields, field{Name: "owner", Label: "Eier (virksomhet)", Kind: "text", Required: true})
	}
	fields = append(fields,
		field{Name: "primarySubGoal", Label: "Delmål", Kind: "select", Required: true, Options: withEmpty("Velg delmål", subs)},
		field{Name: "userGroups", Label: "Brukergrupper", Kind: "lines", Hint: "Én per linje, for eksempel fastleger eller innbyggere."},
		field{Name: "plannedStart", Label: "Planlagt start", Kind: "date", Required: true},
		field{Name: "plannedEnd", Label: "Planlagt slutt", Kind: "date", Required: true},
		field{Name: "estimatedCostNOK", Label: "Kostnadsestimat (kr)", Kind: "number"},
	)
	return &formDef{Title: "Meld inn tiltak", Section: "tiltak", Back: linkView{Href: "/sekretariat/tiltak", Text: "Tiltak"},
		Lead:  "Tiltaket meldes inn i konseptfasen og tas opp i porteføljen når Nasjonalt e-helseråd godkjenner en sak om opptak.",
		Facts: facts, Fields: fields, Submit: "Meld inn tiltaket",
		Build: build("ProposeInitiative", fields, fixed),
		Done:  func(res services.CommandResult) string { return "/sekretariat/tiltak/" + res.AggregateID }}, nil
}
