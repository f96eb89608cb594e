package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ehelse/portfolio/projections"
)

// movingModels are bigModels whose position and roadmap a test changes,
// counting the roadmap reads.
type movingModels struct {
	*bigModels
	pos   atomic.Uint64
	reads atomic.Int64
}

func (m *movingModels) Position() uint64 { return m.pos.Load() }
func (m *movingModels) Roadmap(f projections.RoadmapFilter) (projections.RoadmapView, error) {
	m.reads.Add(1)
	return m.bigModels.Roadmap(f)
}

func TestRoadmapCacheFollowsPosition(t *testing.T) {
	m := &movingModels{bigModels: newBigModels(3)}
	m.pos.Store(1)
	s, err := New(Config{Queries: m, Now: func() time.Time { return time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC) },
		EventTime: func(context.Context, uint64) (time.Time, error) { return time.Now(), nil }})
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) string {
		t.Helper()
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		if w.Code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, w.Code, w.Body)
		}
		return w.Body.String()
	}
	const before, after = "Tiltak 3 for Ølen og Åsane", "Tiltak omdøpt ved ny posisjon"
	if b := get("/veikart"); !strings.Contains(b, before) {
		t.Fatalf("page lacks %q", before)
	}
	get("/veikart?sort=title")
	if n := m.reads.Load(); n != 1 {
		t.Fatalf("two pages at one position read the roadmap %d times, want 1", n)
	}
	get("/veikart?q=%C3%B8len")
	if n := m.reads.Load(); n != 2 {
		t.Fatalf("a search read the roadmap %d times in all, want 2 (its own read)", n)
	}

	// An event: the models change and move to a new position.
	for gi := range m.rm.Goals {
		for si := range m.rm.Goals[gi].SubGoals {
			ins := m.rm.Goals[gi].SubGoals[si].Initiatives
			ins = append([]projections.RoadmapInitiative(nil), ins...)
			for k := range ins {
				if ins[k].Title == before {
					ins[k].Title = after
				}
			}
			m.rm.Goals[gi].SubGoals[si].Initiatives = ins
		}
	}
	m.pos.Store(2)
	b := get("/veikart")
	if !strings.Contains(b, after) || strings.Contains(b, before) {
		t.Fatalf("page at the new position does not show the change")
	}
	if n := m.reads.Load(); n != 3 {
		t.Fatalf("roadmap reads after the new position: %d, want 3", n)
	}
	if b := get("/veikart?q=%C3%B8len"); strings.Contains(b, before) {
		t.Fatalf("search at the new position shows the old title")
	}
}

func TestRoadmapCacheBounded(t *testing.T) {
	c := newRoadmapCache()
	big := newBigModels(roadmapCacheWeight / 2 / 3).rm // weight ≈ a third of the bound
	read := func() (projections.RoadmapView, error) { return big, nil }
	for _, q := range []string{"a", "b", "c", "d", "e"} {
		if _, err := c.get(1, q, read); err != nil {
			t.Fatal(err)
		}
		if c.weight > roadmapCacheWeight {
			t.Fatalf("weight %d above the bound %d", c.weight, roadmapCacheWeight)
		}
	}
	if n := c.lru.Len(); n != 3 {
		t.Fatalf("kept %d roadmaps of a third of the bound each, want 3", n)
	}
	for i := range 2 * roadmapCacheEntries {
		if _, err := c.get(1, strings.Repeat("x", i+1), func() (projections.RoadmapView, error) { return projections.RoadmapView{}, nil }); err != nil {
			t.Fatal(err)
		}
	}
	if n := c.lru.Len(); n != roadmapCacheEntries {
		t.Fatalf("kept %d searches, want %d", n, roadmapCacheEntries)
	}
	if c.weight != 0 {
		t.Fatalf("weight %d after the big roadmaps were evicted, want 0", c.weight)
	}
	if _, err := c.get(2, "a", read); err != nil {
		t.Fatal(err)
	}
	if n := c.lru.Len(); n != 1 {
		t.Fatalf("kept %d after a new position, want 1", n)
	}
}
