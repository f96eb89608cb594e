package web

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/projections"
)

type councilView struct {
	Forums []forumInfo
	Form   councilForm
	Years  []councilYear
	Empty  bool
}

type forumInfo struct {
	Code, Name, Role string
}

type councilForm struct {
	Forums []optionView
	Years  []optionView
	Active bool
}

type councilYear struct {
	Year      int
	HeadingID string
	Forums    []councilForum
}

type councilForum struct {
	Code, Name string
	Meetings   []meetingLink
}

type meetingLink struct {
	Href, Label, Date, Status string
	Items                     int
}

var forumRoles = map[domain.Forum]string{
	domain.NUFA: "Faglige og arkitekturmessige råd, innbyggernes behov.",
	domain.NUIT: "Prioriterer porteføljen og følger opp veikartet.",
	domain.EHR:  "Øverste nivå; gir endelig tilslutning.",
}

func forumParam(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	if len(v) > 16 || !domain.Forum(strings.ToUpper(v)).Valid() {
		return "", errBadRequest("Ukjent forum «%s». Gyldige forum: NUFA, NUIT og EHR.", v)
	}
	return strings.ToUpper(v), nil
}

func (s *Server) handleCouncil(r *http.Request) (*response, error) {
	q := r.URL.Query()
	forum, err := forumParam(q.Get("forum"))
	if err != nil {
		return nil, err
	}
	year := 0
	if y := q.Get("year"); y != "" {
		n, err := strconv.Atoi(y)
		if err != nil || n < 1900 || n > 9999 {
			return nil, errBadRequest("Ugyldig år «%s». Skriv året med fire sifre, for eksempel 2026.", truncate(y, 40))
		}
		year = n
	}
	all, err := s.cfg.Queries.Meetings("", 0)
	if err != nil {
		return nil, err
	}
	v := councilView{}
	for _, f := range domain.Forums {
		v.Forums = append(v.Forums, forumInfo{Code: string(f), Name: forumNO(f), Role: forumRoles[f]})
		v.Form.Forums = append(v.Form.Forums, optionView{Value: string(f), Label: string(f) + " – " + forumNO(f), Selected: forum == string(f)})
	}
	yearSet := map[int]bool{}
	for _, m := range all {
		yearSet[m.Year] = true
	}
	var ys []int
	for y := range yearSet {
		ys = append(ys, y)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(ys)))
	for _, y := range ys {
		v.Form.Years = append(v.Form.Years, optionView{Value: strconv.Itoa(y), Label: strconv.Itoa(y), Selected: y == year})
	}
	v.Form.Active = forum != "" || year != 0
	byYear := map[int]map[domain.Forum][]meetingLink{}
	for _, m := range all {
		if (forum != "" && string(m.Forum) != forum) || (year != 0 && m.Year != year) {
			continue
		}
		if byYear[m.Year] == nil {
			byYear[m.Year] = map[domain.Forum][]meetingLink{}
		}
		byYear[m.Year][m.Forum] = append(byYear[m.Year][m.Forum], meetingLinkOf(m))
	}
	for _, y := range ys {
		if byYear[y] == nil {
			continue
		}
		cy := councilYear{Year: y, HeadingID: "ar-" + strconv.Itoa(y)}
		for _, f := range domain.Forums {
			if ms := byYear[y][f]; len(ms) > 0 {
				cy.Forums = append(cy.Forums, councilForum{Code: string(f), Name: forumNO(f), Meetings: ms})
			}
		}
		v.Years = append(v.Years, cy)
	}
	v.Empty = len(v.Years) == 0
	return &response{tmpl: "council", lay: layout{Title: "Rådsmodellen", Section: "radsmodell", Page: v}}, nil
}

func meetingLinkOf(m projections.MeetingSummary) meetingLink {
	st := "Planlagt"
	if m.Held {
		st = "Avholdt"
	}
	return meetingLink{Href: "/radsmodell/moter/" + url.PathEscape(m.MeetingID), Label: string(m.Forum) + " møte " + m.Label,
		Date: dateNO(m.Date), Status: st, Items: m.AgendaItems}
}

type meetingView struct {
	Title, Forum, ForumName, Label, Date, Status string
	HeldAt                                       string
	Held                                         bool
	Items                                        []agendaView
}

type agendaView struct {
	CaseHref, CaseNumber, Title, Type, Purpose, Proposed, ArchiveRef string
	Initiative                                                       *linkView
	Forwarded                                                        string
	Outcome                                                          string
	Decisions                                                        []decisionText
	AnchorID                                                         string
}

type decisionText struct {
	Outcome, Resolution, Conditions, Remarks, Reason, RecordedAt string
	Corrections                                                  []correctionText
}

type correctionText struct {
	Reason, Resolution, RecordedAt string
}

// byID reads what id names through get; a missing one, or an id too long
// to be one, is a Norwegian 404 ("Vi fant ikke møtet «…».").
func byID[T any](id, what string, get func(string) (T, error)) (T, error) {
	var zero T
	if len(id) > maxParam {
		return zero, errNotFound("Vi fant ikke %s.", what)
	}
	v, err := get(id)
	if err != nil {
		if domain.ErrorKind(err) == domain.KindNotFound {
			return zero, errNotFound("Vi fant ikke %s «%s».", what, id)
		}
		return zero, err
	}
	return v, nil
}

func (s *Server) handleMeeting(r *http.Request) (*response, error) {
	m, err := byID(r.PathValue("id"), "møtet", s.cfg.Queries.Meeting)
	if err != nil {
		return nil, err
	}
	titles := s.initiativeTitles()
	v := meetingView{Forum: string(m.Forum), ForumName: forumNO(m.Forum), Label: m.Label, Date: dateNO(m.Date), Held: m.Held}
	v.Title = forumNO(m.Forum) + ", møte " + m.Label
	v.Status = "Planlagt"
	if m.Held {
		v.Status = "Avholdt"
	}
	if m.HeldAt != nil {
		v.HeldAt = timeNO(*m.HeldAt)
	}
	for _, a := range m.Agenda {
		av := agendaView{CaseHref: "/radsmodell/saker/" + url.PathEscape(a.CaseID), CaseNumber: a.CaseNumber, Title: a.Title,
			Type: caseTypeNO(a.CaseType), Purpose: purposeNO(a.Purpose), Proposed: a.ProposedResolution, ArchiveRef: a.ArchiveRef,
			AnchorID: "sak-" + idPart(a.CaseNumber)}
		if a.InitiativeID != "" {
			t := titles[a.InitiativeID]
			if t == "" {
				t = "Tiltaket"
			}
			av.Initiative = &linkView{Href: "/tiltak/" + url.PathEscape(a.InitiativeID), Text: t}
		}
		if a.RegisteredForum != "" && a.RegisteredForum != m.Forum {
			av.Forwarded = "Saken ble meldt inn i " + string(a.RegisteredForum) + "."
		}
		av.Outcome = "Ikke behandlet"
		for _, o := range a.Outcomes {
			av.Decisions = append(av.Decisions, decisionOf(o))
			av.Outcome = outcomeNO(o.Outcome)
		}
		v.Items = append(v.Items, av)
	}
	return &response{tmpl: "meeting", lay: layout{Title: v.Title, Section: "radsmodell", Page: v}}, nil
}

func decisionOf(o projections.OutcomeView) decisionText {
	d := decisionText{Outcome: outcomeNO(o.Outcome), Resolution: o.Resolution, Conditions: o.Conditions, Remarks: o.Remarks,
		Reason: o.Reason, RecordedAt: timeNO(o.RecordedAt)}
	for _, c := range o.Corrections {
		d.Corrections = append(d.Corrections, correctionText{Reason: c.Reason, Resolution: c.Resolution, RecordedAt: timeNO(c.RecordedAt)})
	}
	return d
}

// initiativeTitles maps initiative ids to titles, for links.
func (s *Server) initiativeTitles() map[string]string {
	list, err := s.cfg.Queries.Initiatives(projections.InitiativeFilter{})
	if err != nil {
		return map[string]string{}
	}
	m := make(map[string]string, len(list))
	for _, in := range list {
		m[in.InitiativeID] = in.Title
	}
	return m
}

type caseView struct {
	Title, Forum, ForumName, Type, Purpose, Proposed, ArchiveRef, Registered, Status string
	Initiative                                                                       *linkView
	Steps                                                                            []stepView
	Corrections                                                                      []correctionText
}

type stepView struct {
	Kind, Forum, When, CaseNumber string
	Meeting                       linkView
	Outcome, Resolution           string
	Conditions, Remarks, Reason   string
	Corrected                     bool
}

func (s *Server) handleCase(r *http.Request) (*response, error) {
	c, err := byID(r.PathValue("id"), "saken", s.cfg.Queries.Case)
	if err != nil {
		return nil, err
	}
	v := caseView{Title: c.Title, Forum: string(c.Forum), ForumName: forumNO(c.Forum), Type: caseTypeNO(c.CaseType),
		Purpose: purposeText(c.Purpose, c.TargetPhase), Proposed: c.ProposedResolution, ArchiveRef: c.ArchiveRef,
		Registered: timeNO(c.RegisteredAt), Status: outcomeNO(c.Status)}
	if c.InitiativeID != "" {
		t := s.initiativeTitles()[c.InitiativeID]
		if t == "" {
			t = "Tiltaket"
		}
		v.Initiative = &linkView{Href: "/tiltak/" + url.PathEscape(c.InitiativeID), Text: t}
	}
	for _, st := range c.Path {
		sv := stepView{Forum: string(st.Forum), When: dateNO(st.MeetingDate), CaseNumber: st.CaseNumber,
			Meeting:    linkView{Href: "/radsmodell/moter/" + url.PathEscape(st.MeetingID), Text: string(st.Forum) + " møte " + st.MeetingLabel},
			Resolution: st.Resolution, Conditions: st.Conditions, Remarks: st.Remarks, Reason: st.Reason, Corrected: st.Corrected}
		if st.Kind == "decision" {
			sv.Kind = "Vedtak"
			sv.Outcome = outcomeNO(st.Outcome)
		} else {
			sv.Kind = "Satt på sakskartet"
		}
		v.Steps = append(v.Steps, sv)
	}
	for _, cr := range c.Corrections {
		v.Corrections = append(v.Corrections, correctionText{Reason: cr.Reason, Resolution: cr.Resolution, RecordedAt: timeNO(cr.RecordedAt)})
	}
	return &response{tmpl: "case", lay: layout{Title: c.Title, Section: "radsmodell", Page: v}}, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	r := []rune(s)
	if len(r) > n {
		r = r[:n]
	}
	return string(r) + "…"
}
