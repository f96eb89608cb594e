package web

import (
	"slices"
	"strings"
	"sync"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/ehelse/portfolio/projections"
)

// The roadmap page reads the whole roadmap of a search (thousands of
// initiatives at the sector's scale) and indexes it before it filters
// and counts. The read models change only at a new position, so that
// work is kept per (position, search): a page at a position shows what
// a fresh read would, and a new position starts the cache over.
const (
	// roadmapCacheEntries bounds the searches kept at one position.
	roadmapCacheEntries = 32
	// roadmapCacheWeight bounds the roadmap entries (an initiative once
	// per sub-goal it serves) kept in all, so that memory stays bounded
	// whatever the searches: about five unfiltered roadmaps of 10,000
	// initiatives under two sub-goals each.
	roadmapCacheWeight = 100_000
)

// roadmapRead is a roadmap read with what the page derives from it alone.
// It is shared by concurrent requests and never changed after it is made,
// except for the orders, which are made once each under mu.
type roadmapRead struct {
	rm     projections.RoadmapView
	t      roadmapIndex
	weight int

	mu sync.Mutex
	// order[sort][goal][subGoal] lists the sub-goal's initiatives (as
	// indexes into its slice) in that sort's order.
	order map[string][][][]int32
}

func newRoadmapRead(rm projections.RoadmapView) *roadmapRead {
	r := &roadmapRead{rm: rm, t: indexRoadmap(rm), order: map[string][][][]int32{}}
	for _, g := range rm.Goals {
		for _, sg := range g.SubGoals {
			r.weight += len(sg.Initiatives)
		}
	}
	return r
}

// sorted returns, per goal and sub-goal, the order of the initiatives by
// start (then title), end (then title) or title, titles in Norwegian order.
func (r *roadmapRead) sorted(by string) [][][]int32 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if o, ok := r.order[by]; ok {
		return o
	}
	o := make([][][]int32, len(r.rm.Goals))
	for gi, g := range r.rm.Goals {
		o[gi] = make([][]int32, len(g.SubGoals))
		for si, sg := range g.SubGoals {
			o[gi][si] = sortInitiatives(sg.Initiatives, by)
		}
	}
	r.order[by] = o
	return o
}

func sortInitiatives(ins []projections.RoadmapInitiative, by string) []int32 {
	idx := make([]int32, len(ins))
	keys := make([]string, len(ins))
	for k := range ins {
		idx[k] = int32(k)
		keys[k] = sortKey(ins[k].Title)
	}
	slices.SortStableFunc(idx, func(a, b int32) int {
		x, y := &ins[a], &ins[b]
		switch by {
		case "title":
		case "end":
			if c := strings.Compare(string(x.PlannedEnd), string(y.PlannedEnd)); c != 0 {
				return c
			}
		default:
			if c := strings.Compare(string(x.PlannedStart), string(y.PlannedStart)); c != 0 {
				return c
			}
		}
		return strings.Compare(keys[a], keys[b])
	})
	return idx
}

// roadmapCache keeps roadmap reads of one position by search, least
// recently used out first.
type roadmapCache struct {
	mu     sync.Mutex
	pos    uint64
	weight int
	lru    *lru.Cache[string, *roadmapRead]
}

func newRoadmapCache() *roadmapCache {
	c := &roadmapCache{}
	// The callback runs under c.mu (every Add and Purge does).
	l, err := lru.NewWithEvict(roadmapCacheEntries, func(_ string, r *roadmapRead) { c.weight -= r.weight })
	if err != nil {
		panic(err) // only for a size ≤ 0
	}
	c.lru = l
	return c
}

// get returns the roadmap of search q at position pos, from read when it
// is not kept. read must give what the read models hold at pos or later.
func (c *roadmapCache) get(pos uint64, q string, read func() (projections.RoadmapView, error)) (*roadmapRead, error) {
	c.mu.Lock()
	if pos != c.pos {
		c.lru.Purge()
		c.pos = pos
	}
	r, ok := c.lru.Get(q)
	c.mu.Unlock()
	if ok {
		return r, nil
	}
	// Read outside the lock: concurrent misses read twice rather than wait
	// on each other.
	rm, err := read()
	if err != nil {
		return nil, err
	}
	r = newRoadmapRead(rm)
	c.mu.Lock()
	defer c.mu.Unlock()
	if pos != c.pos || r.weight > roadmapCacheWeight {
		return r, nil // the models moved on meanwhile, or too big to keep
	}
	if old, ok := c.lru.Peek(q); ok {
		return old, nil
	}
	c.lru.Add(q, r)
	c.weight += r.weight
	for c.weight > roadmapCacheWeight {
		c.lru.RemoveOldest()
	}
	return r, nil
}
