package web

import (
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/projections"
)

// maxQuery bounds the free-text search, in characters.
const maxQuery = 200

// maxParam bounds any other parameter, in bytes.
const maxParam = 200

// filters are the page parameters, as the API names them.
type filters struct {
	Goal, SubGoal, Owner, UserGroup, Phase, State, Q, Sort string
}

// field is the filter the parameter n sets, or nil.
func (f *filters) field(n string) *string {
	return map[string]*string{
		"goal": &f.Goal, "subGoal": &f.SubGoal, "owner": &f.Owner, "userGroup": &f.UserGroup,
		"phase": &f.Phase, "state": &f.State, "q": &f.Q, "sort": &f.Sort,
	}[n]
}

// readFilters reads the named parameters of q, refusing repeated,
// over-long or non-UTF-8 values.
func readFilters(q url.Values, names ...string) (filters, error) {
	var f filters
	for _, n := range names {
		vs := q[n]
		if len(vs) > 1 {
			return f, errBadRequest("Parameteren «%s» er gitt flere ganger.", n)
		}
		if len(vs) == 0 {
			continue
		}
		v := strings.TrimSpace(vs[0])
		if !utf8.ValidString(v) {
			return f, errBadRequest("Parameteren «%s» er ikke gyldig tekst.", n)
		}
		limit := maxParam
		if n == "q" {
			if utf8.RuneCountInString(v) > maxQuery {
				return f, errBadRequest("Søketeksten er for lang: høyst %d tegn.", maxQuery)
			}
			limit = 4 * maxQuery
		}
		if len(v) > limit {
			return f, errBadRequest("Verdien av «%s» er for lang.", n)
		}
		if field := f.field(n); field != nil {
			*field = v
		}
	}
	if f.Phase != "" && !domain.Phase(f.Phase).Valid() {
		return f, errBadRequest("Ukjent fase «%s». Gyldige faser: konsept (concept), planlegging (planning), gjennomføring (execution), innføring (rollout), avsluttet (closed).", f.Phase)
	}
	if f.State != "" && stateNames[domain.Lifecycle(f.State)] == "" {
		return f, errBadRequest("Ukjent tilstand «%s».", f.State)
	}
	return f, nil
}

// readPage reads the page number (side), 1 when not given.
func readPage(q url.Values) (int, error) {
	p := q.Get("side")
	if p == "" {
		return 1, nil
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 1_000_000 {
		return 0, errBadRequest("Ugyldig sidenummer «%s».", truncate(p, 20))
	}
	return n, nil
}

// strategyIndex knows the goals and sub-goals, to check filter values and
// to name them.
type strategyIndex struct {
	view        projections.StrategyView
	goalTitle   map[string]string
	subTitle    map[string]string
	goalOfSub   map[string]string
	goalOrder   []string
	subsOfGoal  map[string][]string
	goalPeriod  map[string]string
	subGoalIDs  []string
	multiPeriod bool
}

// strategy reads the strategies and indexes them.
func (s *Server) strategy() (*strategyIndex, error) {
	st, err := s.cfg.Queries.Strategy()
	if err != nil {
		return nil, err
	}
	return newStrategyIndex(st), nil
}

// strategyAndInitiatives reads the strategies and every initiative.
func (s *Server) strategyAndInitiatives() (*strategyIndex, []projections.InitiativeSummary, error) {
	x, err := s.strategy()
	if err != nil {
		return nil, nil, err
	}
	all, err := s.cfg.Queries.Initiatives(projections.InitiativeFilter{})
	return x, all, err
}

func newStrategyIndex(v projections.StrategyView) *strategyIndex {
	x := &strategyIndex{view: v, goalTitle: map[string]string{}, subTitle: map[string]string{},
		goalOfSub: map[string]string{}, subsOfGoal: map[string][]string{}, goalPeriod: map[string]string{}}
	x.multiPeriod = len(v.Strategies) > 1
	for _, p := range v.Strategies {
		for _, g := range p.Goals {
			x.goalTitle[g.GoalID] = g.Title
			x.goalPeriod[g.GoalID] = p.Strategy
			x.goalOrder = append(x.goalOrder, g.GoalID)
			for _, s := range g.SubGoals {
				x.subTitle[s.SubGoalID] = s.Title
				x.goalOfSub[s.SubGoalID] = g.GoalID
				x.subsOfGoal[g.GoalID] = append(x.subsOfGoal[g.GoalID], s.SubGoalID)
				x.subGoalIDs = append(x.subGoalIDs, s.SubGoalID)
			}
		}
	}
	return x
}

// check refuses goals and sub-goals the strategy does not have.
func (x *strategyIndex) check(f filters) error {
	if f.Goal != "" {
		if _, ok := x.goalTitle[f.Goal]; !ok {
			return errBadRequest("Ukjent mål «%s».", f.Goal)
		}
	}
	if f.SubGoal != "" {
		g, ok := x.goalOfSub[f.SubGoal]
		if !ok {
			return errBadRequest("Ukjent delmål «%s».", f.SubGoal)
		}
		if f.Goal != "" && g != f.Goal {
			return errBadRequest("Delmål «%s» hører ikke til mål «%s».", f.SubGoal, f.Goal)
		}
	}
	return nil
}

// goalName is "M1 Aktiv medvirkning …", with the period when there are
// several strategies.
func (x *strategyIndex) goalName(id string) string {
	t := x.goalTitle[id]
	if t == "" {
		return id
	}
	return id + " " + t
}
