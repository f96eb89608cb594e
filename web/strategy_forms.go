package web

import (
	"net/http"

	"github.com/ehelse/portfolio/services"
)

// The strategy catalogue of the secretariat: the strategies with their
// goals and sub-goals, and the forms that define them.

type sekGoal struct {
	ID, Title string
	SubGoals  []linkView // Href unused: Text is "1A Title"
}

type sekStrategy struct {
	Strategy string
	Goals    []sekGoal
}

func (s *Server) handleSekStrategy(w http.ResponseWriter, r *http.Request) {
	s.waitAfter(r)
	sv, err := s.cfg.Queries.Strategy()
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	out := []sekStrategy{}
	for _, st := range sv.Strategies {
		x := sekStrategy{Strategy: st.Strategy}
		for _, g := range st.Goals {
			sg := sekGoal{ID: g.GoalID, Title: g.Title}
			for _, sub := range g.SubGoals {
				sg.SubGoals = append(sg.SubGoals, linkView{Text: sub.SubGoalID + " " + sub.Title})
			}
			x.Goals = append(x.Goals, sg)
		}
		out = append(out, x)
	}
	s.renderSek(w, r, http.StatusOK, "strategy", sekLayout{Title: "Strategikatalogen", Section: "strategi", Page: out})
}

func (s *Server) loadDefineGoal(r *http.Request, p services.Principal) (*formDef, error) {
	fields := []field{
		{Name: "strategy", Label: "Strategiperiode", Kind: "text", Required: true, Default: "2023-2030", Hint: "For eksempel 2023-2030."},
		{Name: "goalId", Label: "Kode", Kind: "text", Required: true, Hint: "For eksempel M6."},
		{Name: "title", Label: "Strategisk mål", Kind: "text", Required: true},
	}
	return &formDef{Title: "Definer strategisk mål", Section: "strategi", Back: linkView{Href: "/sekretariat/strategi", Text: "Strategikatalogen"},
		Fields: fields, Submit: "Definer målet", Build: build("DefineStrategicGoal", fields, nil),
		Done: func(services.CommandResult) string { return "/sekretariat/strategi" }}, nil
}

func (s *Server) loadDefineSubGoal(r *http.Request, p services.Principal) (*formDef, error) {
	sv, err := s.cfg.Queries.Strategy()
	if err != nil {
		return nil, err
	}
	var goals []option
	for _, st := range sv.Strategies {
		for _, g := range st.Goals {
			goals = append(goals, option{Value: g.GoalID, Label: g.GoalID + " " + g.Title + " (" + st.Strategy + ")"})
		}
	}
	fields := []field{
		{Name: "goalId", Label: "Strategisk mål", Kind: "select", Required: true, Options: withEmpty("Velg mål", goals)},
		{Name: "subGoalId", Label: "Kode", Kind: "text", Required: true, Hint: "For eksempel 1C."},
		{Name: "title", Label: "Delmål", Kind: "text", Required: true},
	}
	return &formDef{Title: "Definer delmål", Section: "strategi", Back: linkView{Href: "/sekretariat/strategi", Text: "Strategikatalogen"},
		Fields: fields, Submit: "Definer delmålet", Build: build("DefineSubGoal", fields, nil),
		Done: func(services.CommandResult) string { return "/sekretariat/strategi" }}, nil
}
