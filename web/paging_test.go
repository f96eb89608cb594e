package web

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"
)

var rowLink = regexp.MustCompile(`href="/tiltak/[^"]+"`)

// TestLargePortfolioPages: with many initiatives the roadmap shows a few
// per sub-goal with a link to the rest, and a chosen sub-goal and the
// portfolio table come in pages.
func TestLargePortfolioPages(t *testing.T) {
	s, err := New(Config{Queries: newBigModels(1000), Now: func() time.Time { return time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) (int, string) {
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		return w.Code, w.Body.String()
	}
	code, body := get("/veikart")
	if code != 200 {
		t.Fatalf("GET /veikart: %d", code)
	}
	// 15 sub-goals, each with more than 20 initiatives.
	if n := len(rowLink.FindAllString(body, -1)); n != 15*perSubGoal {
		t.Errorf("the roadmap shows %d rows, want %d per sub-goal", n, perSubGoal)
	}
	if !strings.Contains(body, `href="/veikart?subGoal=1A"`) || !strings.Contains(body, "Vis alle") {
		t.Error("no link to the rest of sub-goal 1A")
	}
	if !strings.Contains(body, "1000 tiltak passer") {
		t.Error("the summary does not count all matching initiatives")
	}
	code, body = get("/veikart?subGoal=1A")
	if n := len(rowLink.FindAllString(body, -1)); code != 200 || n != perPage || !strings.Contains(body, "Side 1 av") {
		t.Errorf("subGoal=1A: status %d, %d rows, want %d and a pager", code, n, perPage)
	}
	if code, _ = get("/veikart?subGoal=1A&side=99"); code != 404 {
		t.Errorf("a page past the end: %d, want 404", code)
	}
	code, body = get("/portefolje?side=10")
	if n := len(rowLink.FindAllString(body, -1)); code != 200 || n != perPage || !strings.Contains(body, "Side 10 av 10") ||
		!strings.Contains(body, `rel="prev"`) || strings.Contains(body, `rel="next"`) {
		t.Errorf("the portfolio's last page: status %d, %d rows", code, n)
	}
	if code, _ = get("/portefolje?side=11"); code != 404 {
		t.Errorf("a portfolio page past the end: %d, want 404", code)
	}
	// The decision register: newest first, 100 a page; with 1,000
	// initiatives the initiative filter is a text field.
	code, body = get("/vedtak")
	if n := strings.Count(body, `href="/radsmodell/saker/`); code != 200 || n != perPage ||
		!strings.Contains(body, "Sak nummer 249") || strings.Contains(body, "Sak nummer 149") || !strings.Contains(body, "Side 1 av 3") {
		t.Errorf("/vedtak: status %d, %d rows", code, n)
	}
	if !strings.Contains(body, `<input class="ds-input" type="text" id="filter-initiative" name="initiativeId"`) {
		t.Error("/vedtak with 1,000 initiatives lists them all")
	}
	code, body = get("/vedtak?side=3")
	if n := strings.Count(body, `href="/radsmodell/saker/`); code != 200 || n != 50 || !strings.Contains(body, "Sak nummer 000") ||
		!strings.Contains(body, "vedtak 201–250 av 250") {
		t.Errorf("/vedtak?side=3: status %d, %d rows", code, n)
	}
	if code, _ = get("/vedtak?side=4"); code != 404 {
		t.Errorf("/vedtak?side=4: %d, want 404", code)
	}
}
