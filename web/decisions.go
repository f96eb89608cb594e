package web

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/projections"
)

// decisionQuery is /vedtak's parameters.
type decisionQuery struct {
	f      projections.DecisionFilter
	q      string
	format string
	page   int
}

// maxOptions is the most initiatives the decision register offers as a
// list; with more, the initiative filter is a text field for its id.
const maxOptions = 300

func readDecisionQuery(q url.Values) (decisionQuery, error) {
	var dq decisionQuery
	var err error
	if dq.page, err = readPage(q); err != nil {
		return dq, err
	}
	for _, n := range []string{"forum", "initiativeId", "from", "to", "q", "format", "side"} {
		if len(q[n]) > 1 {
			return dq, errBadRequest("Parameteren «%s» er gitt flere ganger.", n)
		}
		if v := q.Get(n); len(v) > 4*maxQuery || !utf8.ValidString(v) {
			return dq, errBadRequest("Verdien av «%s» er for lang eller ikke gyldig tekst.", n)
		}
	}
	forum, err := forumParam(q.Get("forum"))
	if err != nil {
		return dq, err
	}
	dq.f.Forum = forum
	dq.f.InitiativeID = strings.TrimSpace(q.Get("initiativeId"))
	for _, d := range []struct {
		name string
		to   *domain.Date
	}{{"from", &dq.f.From}, {"to", &dq.f.To}} {
		v := strings.TrimSpace(q.Get(d.name))
		if v == "" {
			continue
		}
		if !domain.Date(v).Valid() {
			return dq, errBadRequest("Ugyldig dato i «%s»: «%s». Skriv datoen som ÅÅÅÅ-MM-DD, for eksempel 2026-03-01.",
				map[string]string{"from": "fra", "to": "til"}[d.name], truncate(v, 40))
		}
		*d.to = domain.Date(v)
	}
	if dq.f.From != "" && dq.f.To != "" && dq.f.To < dq.f.From {
		return dq, errBadRequest("Til-datoen kan ikke være før fra-datoen.")
	}
	dq.q = strings.TrimSpace(q.Get("q"))
	if utf8.RuneCountInString(dq.q) > maxQuery {
		return dq, errBadRequest("Søketeksten er for lang: høyst %d tegn.", maxQuery)
	}
	dq.format = q.Get("format")
	if dq.format != "" && dq.format != "html" && dq.format != "csv" {
		return dq, errBadRequest("Ukjent format «%s». Velg csv.", truncate(dq.format, 40))
	}
	return dq, nil
}

// foldText is text for case-insensitive matching: composed and lower case.
func foldText(s string) string { return strings.ToLower(norm.NFC.String(s)) }

// matchWords reports whether every word of q occurs in one of texts.
func matchWords(q string, texts ...string) bool {
	words := strings.Fields(foldText(q))
	if len(words) == 0 {
		return true
	}
	all := foldText(strings.Join(texts, "\n"))
	for _, w := range words {
		if !strings.Contains(all, w) {
			return false
		}
	}
	return true
}

func (s *Server) decisions(dq decisionQuery) ([]projections.DecisionEntry, error) {
	list, err := s.cfg.Queries.Decisions(dq.f)
	if err != nil {
		return nil, err
	}
	if dq.q == "" {
		return list, nil
	}
	out := list[:0:0]
	for _, d := range list {
		if matchWords(dq.q, d.CaseTitle, d.Resolution, d.CaseNumber, d.MeetingLabel, string(d.Forum), d.Conditions, d.Remarks) {
			out = append(out, d)
		}
	}
	return out, nil
}

type decisionsView struct {
	Q, From, To string
	Forums      []optionView
	Initiatives []optionView
	// InitiativeID is the initiative filter when there are too many
	// initiatives for a list to choose from (a text field instead).
	InitiativeID    string
	ManyInitiatives bool
	Pager           *pagerView
	Active          bool
	Summary         string
	Rows            []decisionRow
	CSV             string
}

type decisionRow struct {
	Date, Forum, CaseNumber, Outcome, Resolution string
	Meeting, Case                                linkView
	Initiative                                   *linkView
	Corrected                                    bool
}

func (s *Server) handleDecisions(r *http.Request) (*response, error) {
	dq, err := readDecisionQuery(r.URL.Query())
	if err != nil {
		return nil, err
	}
	titles := s.initiativeTitles()
	if dq.f.InitiativeID != "" {
		if _, ok := titles[dq.f.InitiativeID]; !ok {
			return nil, errBadRequest("Ukjent tiltak «%s».", truncate(dq.f.InitiativeID, 60))
		}
	}
	list, err := s.decisions(dq)
	if err != nil {
		return nil, err
	}
	if dq.format == "csv" {
		return &response{body: decisionsCSV(list, titles), contentType: "text/csv; charset=utf-8", filename: "vedtak.csv"}, nil
	}
	v := decisionsView{Q: dq.q, From: string(dq.f.From), To: string(dq.f.To)}
	v.Active = dq.q != "" || dq.f.Forum != "" || dq.f.InitiativeID != "" || dq.f.From != "" || dq.f.To != ""
	for _, f := range domain.Forums {
		v.Forums = append(v.Forums, optionView{Value: string(f), Label: string(f) + " – " + forumNO(f), Selected: dq.f.Forum == string(f)})
	}
	if len(titles) > maxOptions {
		v.ManyInitiatives, v.InitiativeID = true, dq.f.InitiativeID
	} else {
		for id, t := range titles {
			v.Initiatives = append(v.Initiatives, optionView{Value: id, Label: t, Selected: id == dq.f.InitiativeID})
		}
		sortNO(v.Initiatives, func(o optionView) string { return o.Label })
	}
	total := len(list)
	// Newest first: the register is read for what was decided lately.
	first, last := total-1, 0
	if pages := (total + perPage - 1) / perPage; pages > 1 || dq.page > 1 {
		if dq.page > pages {
			return nil, errNotFound("Side %d finnes ikke.", dq.page)
		}
		first, last = total-1-(dq.page-1)*perPage, max(total-dq.page*perPage, 0)
		v.Pager = &pagerView{Text: "Side " + itoa(dq.page) + " av " + itoa(pages) + ", vedtak " +
			itoa(total-first) + "–" + itoa(total-last) + " av " + itoa(total)}
		link := func(n int) string {
			qs := r.URL.Query()
			qs.Del("side")
			if n > 1 {
				qs.Set("side", itoa(n))
			}
			return "/vedtak?" + qs.Encode()
		}
		if dq.page > 1 {
			v.Pager.Prev = link(dq.page - 1)
		}
		if dq.page < pages {
			v.Pager.Next = link(dq.page + 1)
		}
	}
	for i := first; i >= last && i >= 0; i-- {
		d := list[i]
		row := decisionRow{Date: dateNO(d.MeetingDate), Forum: string(d.Forum), CaseNumber: d.CaseNumber,
			Outcome: outcomeNO(d.Outcome), Resolution: inForce(d),
			Meeting:   linkView{Href: "/radsmodell/moter/" + url.PathEscape(d.MeetingID), Text: string(d.Forum) + " " + d.MeetingLabel},
			Case:      linkView{Href: "/radsmodell/saker/" + url.PathEscape(d.CaseID), Text: d.CaseTitle},
			Corrected: len(d.Corrections) > 0}
		if d.InitiativeID != "" {
			row.Initiative = &linkView{Href: "/tiltak/" + url.PathEscape(d.InitiativeID), Text: titles[d.InitiativeID]}
		}
		v.Rows = append(v.Rows, row)
	}
	v.Summary = hits(total, "vedtak", ".")
	qs := r.URL.Query()
	qs.Del("side")
	qs.Set("format", "csv")
	v.CSV = "/vedtak?" + qs.Encode()
	return &response{tmpl: "decisions", lay: layout{Title: "Vedtak", Section: "vedtak", Live: "/hendelser", Page: v}}, nil
}

// inForce is the decision's resolution as last corrected.
func inForce(d projections.DecisionEntry) string {
	if n := len(d.Corrections); n > 0 && d.Corrections[n-1].Resolution != "" {
		return d.Corrections[n-1].Resolution
	}
	return d.Resolution
}

// csvSafe neutralises a cell a spreadsheet would read as a formula.
func csvSafe(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r', '|', '%':
		return "'" + s
	}
	return s
}

// excelCSV writes rows the way Norwegian Excel opens them: UTF-8 with a
// byte order mark, semicolons, CRLF, formula-like cells neutralised.
func excelCSV(rows [][]string) []byte {
	var b bytes.Buffer
	b.WriteString("\uFEFF")
	w := csv.NewWriter(&b)
	w.Comma = ';'
	w.UseCRLF = true
	for i, row := range rows {
		if i > 0 {
			for k := range row {
				row[k] = csvSafe(row[k])
			}
		}
		_ = w.Write(row)
	}
	w.Flush()
	return b.Bytes()
}

func decisionsCSV(list []projections.DecisionEntry, titles map[string]string) []byte {
	rows := [][]string{{"Møtedato", "Forum", "Møte", "Saksnummer", "Sakstittel", "Sakstype", "Utfall", "Vedtak", "Vilkår",
		"Merknader", "Tiltak", "Tiltak-ID", "Rettet", "Registrert"}}
	for _, d := range list {
		corrected := "nei"
		if len(d.Corrections) > 0 {
			corrected = "ja"
		}
		rows = append(rows, []string{string(d.MeetingDate), string(d.Forum), d.MeetingLabel, d.CaseNumber, d.CaseTitle,
			caseTypeNO(d.CaseType), outcomeNO(d.Outcome), inForce(d), d.Conditions, d.Remarks, titles[d.InitiativeID],
			d.InitiativeID, corrected, d.RecordedAt.In(oslo).Format("2006-01-02 15:04")})
	}
	return excelCSV(rows)
}

// ---- Atom ----

type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Lang    string      `xml:"xml:lang,attr"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Author  atomPerson  `xml:"author"`
	Links   []atomLink  `xml:"link"`
	Entries []atomEntry `xml:"entry"`
}

type atomPerson struct {
	Name string `xml:"name"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomEntry struct {
	ID        string   `xml:"id"`
	Title     string   `xml:"title"`
	Updated   string   `xml:"updated"`
	Published string   `xml:"published"`
	Link      atomLink `xml:"link"`
	Summary   atomText `xml:"summary"`
	Category  []atomCategory
}

type atomText struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

type atomCategory struct {
	XMLName xml.Name `xml:"category"`
	Term    string   `xml:"term,attr"`
	Label   string   `xml:"label,attr,omitempty"`
}

// feedSize is how many decisions the feed carries, newest first.
const feedSize = 100

func (s *Server) handleDecisionFeed(r *http.Request) (*response, error) {
	dq, err := readDecisionQuery(r.URL.Query())
	if err != nil {
		return nil, err
	}
	list, err := s.decisions(dq)
	if err != nil {
		return nil, err
	}
	base := baseURL(r)
	feed := atomFeed{Lang: "nb", ID: "urn:ehelse:portfolio:vedtak", Title: "Vedtak i Nasjonal rådsmodell for e-helse",
		Author: atomPerson{Name: "Nasjonal rådsmodell for e-helse"},
		Links: []atomLink{{Rel: "self", Type: "application/atom+xml", Href: base + "/feed/vedtak.atom"},
			{Rel: "alternate", Type: "text/html", Href: base + "/vedtak"}}}
	var newest time.Time
	for i := len(list) - 1; i >= 0 && len(feed.Entries) < feedSize; i-- {
		d := list[i]
		updated := d.RecordedAt
		if n := len(d.Corrections); n > 0 {
			updated = d.Corrections[n-1].RecordedAt
		}
		if updated.After(newest) {
			newest = updated
		}
		summary := outcomeNO(d.Outcome) + " i " + string(d.Forum) + " møte " + d.MeetingLabel + " (" + dateNO(d.MeetingDate) + ")."
		if res := inForce(d); res != "" {
			summary += " " + res
		}
		feed.Entries = append(feed.Entries, atomEntry{
			ID:      "urn:ehelse:portfolio:vedtak:" + d.EventID,
			Title:   "Sak " + d.CaseNumber + " " + d.CaseTitle + ": " + outcomeNO(d.Outcome),
			Updated: updated.UTC().Format(time.RFC3339), Published: d.RecordedAt.UTC().Format(time.RFC3339),
			Link:     atomLink{Rel: "alternate", Type: "text/html", Href: base + "/radsmodell/saker/" + url.PathEscape(d.CaseID)},
			Summary:  atomText{Type: "text", Body: summary},
			Category: []atomCategory{{Term: string(d.Forum), Label: forumNO(d.Forum)}, {Term: string(d.Outcome), Label: outcomeNO(d.Outcome)}},
		})
	}
	if newest.IsZero() {
		newest = time.Unix(0, 0)
	}
	feed.Updated = newest.UTC().Format(time.RFC3339)
	out, err := xml.MarshalIndent(feed, "", " ")
	if err != nil {
		return nil, err
	}
	body := append([]byte(xml.Header), out...)
	return &response{body: append(body, '\n'), contentType: "application/atom+xml; charset=utf-8"}, nil
}

// baseURL is the site's origin as the client reached it, for the feed's
// absolute links.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := r.Host
	if host == "" || strings.ContainsAny(host, " /\\\"<>") || len(host) > 255 {
		host = "localhost"
	}
	return scheme + "://" + host
}
