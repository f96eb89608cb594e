package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/projections"
)

type portfolioView struct {
	Form    filterForm
	Pager   *pagerView
	Summary string
	Columns []columnView
	Rows    []portfolioRow
	CSV     string
}

// columnView is a sortable column head: a link that sorts by it.
type columnView struct {
	Label, Href string
	// Sort is the aria-sort value: ascending, descending or none.
	Sort string
}

type portfolioRow struct {
	ID, Title, URL, Owner, Goal, GoalTitle string
	Phase, PhaseClass, State, Updated      string
	RAG, RAGClass                          string
}

// portfolio columns: the sort key and its heading.
var portfolioColumns = []struct{ key, label string }{
	{"title", "Tiltak"}, {"phase", "Fase"}, {"state", "Tilstand"}, {"owner", "Eier"},
	{"goal", "Hovedmål"}, {"updated", "Sist oppdatert"}, {"rag", "Siste status"},
}

var ragOrder = map[domain.RAG]int{domain.Green: 1, domain.Yellow: 2, domain.Red: 3}

func (s *Server) handlePortfolio(r *http.Request) (*response, error) {
	q := r.URL.Query()
	f, err := readFilters(q, "goal", "subGoal", "owner", "userGroup", "phase", "state", "q", "sort")
	if err != nil {
		return nil, err
	}
	page, err := readPage(q)
	if err != nil {
		return nil, err
	}
	format := q.Get("format")
	if format != "" && format != "html" && format != "csv" {
		return nil, errBadRequest("Ukjent format «%s». Velg csv.", truncate(format, 40))
	}
	key, desc := strings.TrimPrefix(f.Sort, "-"), strings.HasPrefix(f.Sort, "-")
	if key == "" {
		key = "title"
	}
	known := false
	for _, c := range portfolioColumns {
		known = known || c.key == key
	}
	if !known {
		return nil, errBadRequest("Ukjent sortering «%s».", truncate(f.Sort, 40))
	}
	x, err := s.strategy()
	if err != nil {
		return nil, err
	}
	if err := x.check(f); err != nil {
		return nil, err
	}
	all, err := s.cfg.Queries.Initiatives(projections.InitiativeFilter{Q: f.Q})
	if err != nil {
		return nil, err
	}
	items := make([]facetItem, len(all))
	for i, in := range all {
		items[i] = facetOf(x, in)
	}
	fc := countFacets(items, f, []int{fGoal, fSubGoal, fOwner, fUserGroup, fPhase, fState})
	if f.Q == "" {
		if err := fc.checkKnown(f); err != nil {
			return nil, err
		}
	}
	var list []projections.InitiativeSummary
	for i, in := range all {
		ok := true
		for _, k := range []int{fGoal, fSubGoal, fOwner, fUserGroup, fPhase, fState} {
			if want := f.value(k); want != "" && !matchesAny(items[i].values(k), want) {
				ok = false
				break
			}
		}
		if ok {
			list = append(list, in)
		}
	}
	sortPortfolio(list, key, desc)
	if format == "csv" {
		return &response{body: portfolioCSV(x, list), contentType: "text/csv; charset=utf-8", filename: "portefolje.csv"}, nil
	}
	v, err := buildPortfolio(x, fc, f, list, key, desc, page, q)
	if err != nil {
		return nil, err
	}
	return &response{tmpl: "portfolio", lay: layout{Title: "Portefølje", Section: "portefolje", Page: v}}, nil
}

// buildPortfolio makes the portfolio page of the selected and sorted
// initiatives: the form with its counts, the column heads that sort, and
// the page's rows.
func buildPortfolio(x *strategyIndex, fc facetCounts, f filters, list []projections.InitiativeSummary, key string, desc bool, page int, q url.Values) (portfolioView, error) {
	v := portfolioView{Form: buildForm("/portefolje", x, fc, f, true, nil)}
	v.Form.Sort = selectView{}
	v.Form.SortHidden = f.Sort
	base := url.Values{}
	for k, vs := range q {
		if k != "sort" && k != "format" && k != "side" && len(vs) > 0 && vs[0] != "" {
			base.Set(k, vs[0])
		}
	}
	for _, c := range portfolioColumns {
		col := columnView{Label: c.label, Sort: "none"}
		next := c.key
		if c.key == key {
			if desc {
				col.Sort = "descending"
			} else {
				col.Sort = "ascending"
				next = "-" + c.key
			}
		}
		qs := url.Values{}
		for k, vs := range base {
			qs[k] = vs
		}
		qs.Set("sort", next)
		col.Href = "/portefolje?" + qs.Encode()
		v.Columns = append(v.Columns, col)
	}
	total := len(list)
	if pages := (total + perPage - 1) / perPage; pages > 1 {
		if page > pages {
			return v, errNotFound("Side %d finnes ikke; det er %d sider.", page, pages)
		}
		lo, hi := (page-1)*perPage, min(page*perPage, total)
		list = list[lo:hi]
		v.Pager = &pagerView{Text: "Side " + strconv.Itoa(page) + " av " + strconv.Itoa(pages) + ", tiltak " +
			strconv.Itoa(lo+1) + "–" + strconv.Itoa(hi) + " av " + strconv.Itoa(total)}
		link := func(n int) string {
			qs := url.Values{}
			for k, vs := range q {
				qs[k] = vs
			}
			qs.Del("side")
			if n > 1 {
				qs.Set("side", strconv.Itoa(n))
			}
			return "/portefolje?" + qs.Encode()
		}
		if page > 1 {
			v.Pager.Prev = link(page - 1)
		}
		if page < pages {
			v.Pager.Next = link(page + 1)
		}
	} else if page > 1 {
		return v, errNotFound("Side %d finnes ikke.", page)
	}
	for _, in := range list {
		row := portfolioRow{ID: in.InitiativeID, Title: in.Title, URL: "/tiltak/" + url.PathEscape(in.InitiativeID),
			Owner: in.Owner, Goal: in.PrimaryGoal, GoalTitle: x.goalTitle[in.PrimaryGoal], Phase: phaseNO(in.Phase),
			PhaseClass: "ph-" + string(in.Phase), State: stateNO(in.State), Updated: dayNO(in.LastUpdated)}
		var r domain.RAG
		if in.LatestStatus != nil {
			r = in.LatestStatus.Overall
		}
		row.RAG, row.RAGClass = ragNO(r), ragClass(r)
		v.Rows = append(v.Rows, row)
	}
	v.Summary = hits(total, "tiltak", ".")
	csvq := url.Values{}
	for k, vs := range q {
		csvq[k] = vs
	}
	csvq.Del("side")
	csvq.Set("format", "csv")
	v.CSV = "/portefolje?" + csvq.Encode()
	return v, nil
}

func sortPortfolio(list []projections.InitiativeSummary, key string, desc bool) {
	sortNO(list, func(in projections.InitiativeSummary) string { return in.Title })
	var less func(a, b projections.InitiativeSummary) bool
	switch key {
	case "phase":
		less = func(a, b projections.InitiativeSummary) bool { return a.Phase.Index() < b.Phase.Index() }
	case "state":
		less = func(a, b projections.InitiativeSummary) bool {
			return compareNO(stateNO(a.State), stateNO(b.State)) < 0
		}
	case "owner":
		less = func(a, b projections.InitiativeSummary) bool { return compareNO(a.Owner, b.Owner) < 0 }
	case "goal":
		less = func(a, b projections.InitiativeSummary) bool { return a.PrimaryGoal < b.PrimaryGoal }
	case "updated":
		less = func(a, b projections.InitiativeSummary) bool { return a.LastUpdated.Before(b.LastUpdated) }
	case "rag":
		less = func(a, b projections.InitiativeSummary) bool { return ragRank(a) < ragRank(b) }
	}
	if less != nil {
		stableBy(list, less)
	}
	if desc {
		for i, j := 0, len(list)-1; i < j; i, j = i+1, j-1 {
			list[i], list[j] = list[j], list[i]
		}
	}
}

func ragRank(in projections.InitiativeSummary) int {
	if in.LatestStatus == nil {
		return 0
	}
	return ragOrder[in.LatestStatus.Overall]
}

func portfolioCSV(x *strategyIndex, list []projections.InitiativeSummary) []byte {
	rows := [][]string{{"Tiltak-ID", "Tiltak", "Eier", "Fase", "Tilstand", "Hovedmål", "Hoveddelmål", "Andre delmål",
		"Brukergrupper", "Planlagt start", "Planlagt slutt", "Anslått kostnad (kr)", "Siste status", "Sist oppdatert"}}
	for _, in := range list {
		cost := ""
		if in.EstimatedCostNOK != nil {
			cost = strconv.FormatInt(*in.EstimatedCostNOK, 10)
		}
		var r domain.RAG
		if in.LatestStatus != nil {
			r = in.LatestStatus.Overall
		}
		goal := in.PrimaryGoal
		if t := x.goalTitle[goal]; t != "" {
			goal += " " + t
		}
		rows = append(rows, []string{in.InitiativeID, in.Title, in.Owner, phaseNO(in.Phase), stateNO(in.State), goal,
			in.PrimarySubGoal, strings.Join(in.SubGoals, ", "), strings.Join(in.UserGroups, ", "),
			string(in.PlannedStart), string(in.PlannedEnd), cost, ragNO(r), in.LastUpdated.In(oslo).Format("2006-01-02 15:04")})
	}
	return excelCSV(rows)
}
