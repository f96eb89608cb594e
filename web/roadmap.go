package web

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/projections"
)

// ---- filters with counts ----

// optionView is one choice of a filter.
type optionView struct {
	Value, Label string
	Count        int
	Selected     bool
}

// selectView is one filter (a <select>).
type selectView struct {
	Name, Label, ID string
	AllLabel        string
	Options         []optionView
}

// filterForm is the filter and search form of the roadmap and the
// portfolio.
type filterForm struct {
	Action  string
	Q       string
	Selects []selectView
	Sort    selectView
	// SortHidden keeps the table's sort when there is no sort field.
	SortHidden string
	// Active says whether any filter or search is set (to offer a reset).
	Active bool
}

// facetItem is an initiative as the filter counts see it.
type facetItem struct {
	goals, subGoals, groups []string
	owner, phase, state     string
}

func facetOf(x *strategyIndex, s projections.InitiativeSummary) facetItem {
	it := facetItem{owner: s.Owner, phase: string(s.Phase), state: string(s.State), groups: s.UserGroups}
	it.subGoals = make([]string, 0, 1+len(s.SubGoals))
	for _, sg := range append([]string{s.PrimarySubGoal}, s.SubGoals...) {
		if sg != "" && !slices.Contains(it.subGoals, sg) {
			it.subGoals = append(it.subGoals, sg)
		}
	}
	it.goals = make([]string, 0, 2)
	if s.PrimaryGoal != "" {
		it.goals = append(it.goals, s.PrimaryGoal)
	}
	for _, sg := range it.subGoals {
		if g := x.goalOfSub[sg]; g != "" && !slices.Contains(it.goals, g) {
			it.goals = append(it.goals, g)
		}
	}
	return it
}

// facet names, in the order of the form.
const (
	fGoal = iota
	fSubGoal
	fOwner
	fUserGroup
	fPhase
	fState
	nFacets
)

func (it facetItem) values(f int) []string {
	switch f {
	case fGoal:
		return it.goals
	case fSubGoal:
		return it.subGoals
	case fOwner:
		return []string{it.owner}
	case fUserGroup:
		return it.groups
	case fPhase:
		return []string{it.phase}
	case fState:
		return []string{it.state}
	}
	return nil
}

func (f filters) value(i int) string {
	switch i {
	case fGoal:
		return f.Goal
	case fSubGoal:
		return f.SubGoal
	case fOwner:
		return f.Owner
	case fUserGroup:
		return f.UserGroup
	case fPhase:
		return f.Phase
	case fState:
		return f.State
	}
	return ""
}

func matchesAny(vs []string, want string) bool {
	for _, v := range vs {
		if strings.EqualFold(v, want) {
			return true
		}
	}
	return false
}

// facets counts, for each filter, the initiatives per value that match
// every other filter (so a count says what choosing the value gives).
// used lists the facets the form shows.
type facetCounts struct {
	counts [nFacets]map[string]int
	// known values (any case) per facet, from all items.
	known [nFacets]map[string]string
}

func countFacets(items []facetItem, f filters, used []int) facetCounts {
	// Counted by value as written, then merged case-insensitively: few
	// distinct values, many items.
	var raw [nFacets]map[string]int
	for _, i := range used {
		raw[i] = map[string]int{}
	}
	for _, it := range items {
		// miss counts the used filters it fails; which is the one it fails.
		miss, which := 0, -1
		for _, i := range used {
			if want := f.value(i); want != "" && !matchesAny(it.values(i), want) {
				miss++
				which = i
			}
		}
		for _, i := range used {
			for _, v := range it.values(i) {
				if v == "" {
					continue
				}
				if miss == 0 || (miss == 1 && which == i) {
					raw[i][v]++
				} else if _, ok := raw[i][v]; !ok {
					raw[i][v] = 0
				}
			}
		}
	}
	var fc facetCounts
	for _, i := range used {
		fc.counts[i] = map[string]int{}
		fc.known[i] = map[string]string{}
		for v, n := range raw[i] {
			k := strings.ToLower(v)
			if w, ok := fc.known[i][k]; !ok || v < w {
				fc.known[i][k] = v
			}
			fc.counts[i][k] += n
		}
	}
	return fc
}

// checkKnown refuses an owner or user group no initiative has.
func (fc facetCounts) checkKnown(f filters) error {
	if f.Owner != "" && fc.known[fOwner] != nil {
		if _, ok := fc.known[fOwner][strings.ToLower(f.Owner)]; !ok {
			return errBadRequest("Ukjent eier «%s».", f.Owner)
		}
	}
	if f.UserGroup != "" && fc.known[fUserGroup] != nil {
		if _, ok := fc.known[fUserGroup][strings.ToLower(f.UserGroup)]; !ok {
			return errBadRequest("Ukjent brukergruppe «%s».", f.UserGroup)
		}
	}
	return nil
}

// buildForm makes the filter form: goal, sub-goal, owner, user group,
// phase and (when withState) state, each option with its count.
func buildForm(action string, x *strategyIndex, fc facetCounts, f filters, withState bool, sorts []optionView) filterForm {
	form := filterForm{Action: action, Q: f.Q}
	sel := func(name, label, all string, i int, opts []optionView) selectView {
		cur := strings.ToLower(f.value(i))
		for k := range opts {
			opts[k].Count = fc.counts[i][strings.ToLower(opts[k].Value)]
			opts[k].Selected = cur != "" && strings.ToLower(opts[k].Value) == cur
		}
		return selectView{Name: name, Label: label, ID: "filter-" + name, AllLabel: all, Options: opts}
	}
	var goals, subs []optionView
	for _, g := range x.goalOrder {
		goals = append(goals, optionView{Value: g, Label: x.goalName(g)})
		if f.Goal == "" || f.Goal == g {
			for _, s := range x.subsOfGoal[g] {
				subs = append(subs, optionView{Value: s, Label: s + " " + x.subTitle[s]})
			}
		}
	}
	var owners, groups []optionView
	for _, v := range fc.known[fOwner] {
		owners = append(owners, optionView{Value: v, Label: v})
	}
	for _, v := range fc.known[fUserGroup] {
		groups = append(groups, optionView{Value: v, Label: v})
	}
	sortNO(owners, func(o optionView) string { return o.Label })
	sortNO(groups, func(o optionView) string { return o.Label })
	var phases []optionView
	for _, p := range domain.Phases {
		phases = append(phases, optionView{Value: string(p), Label: phaseNO(p)})
	}
	form.Selects = []selectView{
		sel("goal", "Mål", "Alle mål", fGoal, goals),
		sel("subGoal", "Delmål", "Alle delmål", fSubGoal, subs),
		sel("owner", "Eier", "Alle eiere", fOwner, owners),
		sel("userGroup", "Brukergruppe", "Alle brukergrupper", fUserGroup, groups),
		sel("phase", "Fase", "Alle faser", fPhase, phases),
	}
	if withState {
		var sts []optionView
		for _, s := range states {
			sts = append(sts, optionView{Value: string(s), Label: stateNO(s)})
		}
		form.Selects = append(form.Selects, sel("state", "Tilstand", "Alle tilstander", fState, sts))
	}
	for k := range sorts {
		sorts[k].Selected = sorts[k].Value == f.Sort
	}
	form.Sort = selectView{Name: "sort", Label: "Sorter etter", ID: "filter-sort", Options: sorts}
	form.Active = f.Goal != "" || f.SubGoal != "" || f.Owner != "" || f.UserGroup != "" || f.Phase != "" || f.State != "" || f.Q != ""
	return form
}

// ---- the roadmap ----

type roadmapView struct {
	Form    filterForm
	Pager   *pagerView
	Total   int // initiatives shown
	Summary string
	Years   []yearView
	Today   todayView
	Goals   []rmGoal
}

type rmGoal struct {
	ID, Title, Strategy string
	HeadingID           string
	SubGoals            []rmSubGoal
}

type rmSubGoal struct {
	ID, Title string
	HeadingID string
	Items     []rmItem
	// Total is the number of matching initiatives; More, when set, links
	// to all of them (the roadmap shows a few per sub-goal at a time).
	Total int
	More  string
}

// pagerView pages a sub-goal's initiatives.
type pagerView struct {
	Text       string
	Prev, Next string
}

type rmItem struct {
	ID, Title, Owner, URL string
	Phase, PhaseClass     string
	State                 string // shown when not in the portfolio proper
	Primary               bool
	Span                  spanView
	RAG, RAGClass         string
	Milestones            []markerView
	// DependencyAtRisk: something the initiative needs is at risk.
	DependencyAtRisk bool
}

// A roadmap page shows at most perSubGoal initiatives per sub-goal, and
// with a sub-goal chosen pages of perPage, so that it stays quick and
// readable with thousands of initiatives.
const (
	perSubGoal = 20
	perPage    = 100
)

var roadmapSorts = []optionView{{Value: "", Label: "Oppstart"}, {Value: "end", Label: "Slutt"}, {Value: "title", Label: "Tittel"}}

func (s *Server) handleRoadmap(r *http.Request) (*response, error) {
	f, err := readFilters(r.URL.Query(), "goal", "subGoal", "owner", "userGroup", "phase", "q", "sort")
	if err != nil {
		return nil, err
	}
	page, err := readPage(r.URL.Query())
	if err != nil {
		return nil, err
	}
	if f.Sort == "start" {
		f.Sort = ""
	}
	if f.Sort != "" && f.Sort != "end" && f.Sort != "title" {
		return nil, errBadRequest("Ukjent sortering «%s». Velg start, end eller title.", f.Sort)
	}
	x, err := s.strategy()
	if err != nil {
		return nil, err
	}
	if err := x.check(f); err != nil {
		return nil, err
	}
	// One read: the roadmap for the search alone. The filters are applied
	// here, as the read models would (see projections/roadmap.go), so the
	// same answer gives the filter counts too.
	// Kept per position (see roadmapCache): the position is taken before
	// the read, so a kept read is never older than its key.
	rd, err := s.roadmaps.get(s.cfg.Queries.Position(), f.Q, func() (projections.RoadmapView, error) {
		return s.cfg.Queries.Roadmap(projections.RoadmapFilter{Q: f.Q})
	})
	if err != nil {
		return nil, err
	}
	v, err := buildRoadmap(x, rd, f, page, r.URL.Query(), s.cfg.Now())
	if err != nil {
		return nil, err
	}
	if err := s.markDependencies(&v); err != nil {
		return nil, err
	}
	return &response{tmpl: "roadmap", lay: layout{Title: "Veikart", Section: "veikart", Live: "/hendelser", Wide: true, Page: v}}, nil
}

// buildRoadmap applies the filters to rm, the roadmap of the search, and
// makes the page: the form with its counts, and per goal and sub-goal the
// initiatives shown (a few per sub-goal, or a page of the chosen one).
func buildRoadmap(x *strategyIndex, rd *roadmapRead, f filters, page int, q url.Values, now time.Time) (roadmapView, error) {
	var v roadmapView
	rm, t := rd.rm, rd.t
	used := []int{fGoal, fSubGoal, fOwner, fUserGroup, fPhase}
	fc := countFacets(t.items, f, used)
	if f.Q == "" {
		if err := fc.checkKnown(f); err != nil {
			return v, err
		}
	}
	v = roadmapView{Form: buildForm("/veikart", x, fc, f, false, append([]optionView(nil), roadmapSorts...)),
		Years: years(), Today: today(now)}
	narrowed := f.Owner != "" || f.UserGroup != "" || f.Phase != "" || f.Q != ""
	shown := make([]bool, len(t.items))
	total := 0
	// The current strategy's goals first: an earlier period's goals are
	// history, read after what is being worked on now.
	order := make([]int, len(rm.Goals))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return strings.Compare(rm.Goals[b].Strategy, rm.Goals[a].Strategy) })
	for _, gi := range order {
		g := rm.Goals[gi]
		if f.Goal != "" && g.GoalID != f.Goal {
			continue
		}
		gv := rmGoal{ID: g.GoalID, Title: g.Title, Strategy: g.Strategy, HeadingID: "mal-" + idPart(g.GoalID)}
		for si, sg := range g.SubGoals {
			if f.SubGoal != "" && sg.SubGoalID != f.SubGoal {
				continue
			}
			// match marks the matching initiatives; nil: all of them.
			var match []bool
			if f.Owner != "" || f.UserGroup != "" || f.Phase != "" {
				match = make([]bool, len(sg.Initiatives))
			}
			n := 0
			for k, in := range sg.Initiatives {
				it := t.item[gi][si][k]
				if (f.Owner == "" || strings.EqualFold(in.Owner, f.Owner)) && (f.Phase == "" || string(in.Phase) == f.Phase) &&
					(f.UserGroup == "" || matchesAny(in.UserGroups, f.UserGroup)) {
					if match != nil {
						match[k] = true
					}
					n++
					if !shown[it] {
						shown[it] = true
						total++
					}
				}
			}
			if narrowed && n == 0 {
				continue
			}
			sv := rmSubGoal{ID: sg.SubGoalID, Title: sg.Title, HeadingID: "delmal-" + idPart(sg.SubGoalID), Total: n}
			order := rd.sorted(f.Sort)[gi][si]
			var ins []projections.RoadmapInitiative
			switch {
			case f.SubGoal != "":
				pages := (n + perPage - 1) / perPage
				if page > 1 && page > pages {
					return v, errNotFound("Side %d finnes ikke; det er %d sider.", page, pages)
				}
				lo, hi := (page-1)*perPage, min(page*perPage, n)
				ins = pickInitiatives(sg.Initiatives, order, match, lo, hi)
				if pages > 1 {
					v.Pager = &pagerView{Text: "Side " + strconv.Itoa(page) + " av " + strconv.Itoa(pages) + ", tiltak " +
						strconv.Itoa(lo+1) + "–" + strconv.Itoa(hi) + " av " + strconv.Itoa(sv.Total)}
					if page > 1 {
						v.Pager.Prev = pageURL(maps.Clone(q), page-1)
					}
					if page < pages {
						v.Pager.Next = pageURL(maps.Clone(q), page+1)
					}
				}
			case n > perSubGoal:
				ins = pickInitiatives(sg.Initiatives, order, match, 0, perSubGoal)
				more := maps.Clone(q)
				more.Del("side")
				more.Set("subGoal", sg.SubGoalID)
				sv.More = "/veikart?" + more.Encode()
			default:
				ins = pickInitiatives(sg.Initiatives, order, match, 0, n)
			}
			for _, in := range ins {
				sv.Items = append(sv.Items, roadmapItem(in))
			}
			gv.SubGoals = append(gv.SubGoals, sv)
		}
		if narrowed && len(gv.SubGoals) == 0 {
			continue
		}
		v.Goals = append(v.Goals, gv)
	}
	v.Total = total
	v.Summary = hits(v.Total, "tiltak", " vises.")
	for _, g := range v.Goals {
		for _, sg := range g.SubGoals {
			if sg.More != "" {
				v.Summary = strconv.Itoa(v.Total) + " tiltak passer. Veikartet viser inntil " + strconv.Itoa(perSubGoal) +
					" per delmål; velg «Vis alle» under et delmål for å se resten."
			}
		}
	}
	return v, nil
}

func onRoadmap(s domain.Lifecycle) bool {
	switch s {
	case domain.LifecycleRejected, domain.LifecycleWithdrawn, domain.LifecycleCancelled:
		return false
	}
	return true
}

func roadmapItem(in projections.RoadmapInitiative) rmItem {
	it := rmItem{ID: in.InitiativeID, Title: in.Title, Owner: in.Owner, URL: "/tiltak/" + url.PathEscape(in.InitiativeID),
		Phase: phaseNO(in.Phase), PhaseClass: "ph-" + string(in.Phase), Primary: in.Primary,
		Span: span(in.PlannedStart, in.PlannedEnd), RAG: ragNO(in.LatestRAG), RAGClass: ragClass(in.LatestRAG)}
	if in.State != domain.LifecycleInPortfolio {
		it.State = stateNO(in.State)
	}
	for _, m := range in.Milestones {
		if mv, ok := milestoneMarker(m); ok {
			it.Milestones = append(it.Milestones, mv)
		}
	}
	return it
}

func ragClass(r domain.RAG) string {
	if r.Valid() {
		return "rag rag-" + string(r)
	}
	return "rag rag-none"
}

// pickInitiatives returns the matching initiatives (match[k], or all
// when match is nil) in the given order, from lo to hi. The read models'
// slice is shared and not changed.
func pickInitiatives(ins []projections.RoadmapInitiative, order []int32, match []bool, lo, hi int) []projections.RoadmapInitiative {
	if lo >= hi {
		return nil
	}
	out := make([]projections.RoadmapInitiative, 0, min(hi-lo, len(ins)))
	i := 0
	for _, k := range order {
		if match != nil && !match[k] {
			continue
		}
		if i >= lo {
			out = append(out, ins[k])
		}
		if i++; i >= hi {
			break
		}
	}
	return out
}

// roadmapIndex is the roadmap's initiatives once each, for the filter
// counts, and where each entry of the tree is among them.
type roadmapIndex struct {
	items []facetItem
	// item[goal][subGoal][k] is the index in items of the tree's entry.
	item [][][]int
}

func indexRoadmap(rm projections.RoadmapView) roadmapIndex {
	var t roadmapIndex
	n := 0
	for _, g := range rm.Goals {
		for _, sg := range g.SubGoals {
			n += len(sg.Initiatives)
		}
	}
	byID := make(map[string]int, n)
	t.items = make([]facetItem, 0, n)
	flat := make([]int, n) // backing of t.item
	t.item = make([][][]int, len(rm.Goals))
	for gi, g := range rm.Goals {
		t.item[gi] = make([][]int, len(g.SubGoals))
		for si, sg := range g.SubGoals {
			t.item[gi][si], flat = flat[:len(sg.Initiatives):len(sg.Initiatives)], flat[len(sg.Initiatives):]
			for k, in := range sg.Initiatives {
				i, ok := byID[in.InitiativeID]
				if !ok {
					i = len(t.items)
					byID[in.InitiativeID] = i
					t.items = append(t.items, facetItem{owner: in.Owner, phase: string(in.Phase), state: string(in.State), groups: in.UserGroups,
						subGoals: make([]string, 0, 2), goals: make([]string, 0, 2)})
				}
				it := &t.items[i]
				if !slices.Contains(it.subGoals, sg.SubGoalID) {
					it.subGoals = append(it.subGoals, sg.SubGoalID)
				}
				if !slices.Contains(it.goals, g.GoalID) {
					it.goals = append(it.goals, g.GoalID)
				}
				t.item[gi][si][k] = i
			}
		}
	}
	return t
}

func pageURL(q url.Values, page int) string {
	q.Set("side", strconv.Itoa(page))
	if page == 1 {
		q.Del("side")
	}
	return "/veikart?" + q.Encode()
}

// idPart makes an id usable in an HTML id attribute.
func idPart(s string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(s) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' {
			b.WriteRune(c)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}
