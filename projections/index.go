package projections

import (
	"cmp"
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"sync"

	bolt "go.etcd.io/bbolt"

	"github.com/ehelse/portfolio/domain"
)

// The in-memory card index. The portfolio overview (Initiatives) and the
// roadmap (Roadmap) read every initiative card that matches, so they are
// answered from memory: every card of BucketInitiativeCards, decoded once,
// with its folded title, owner, user groups and search text
// (BucketInitiativeSearch) precomputed, its place on the roadmap under the
// current strategy, and the two orders the queries return (by folded
// title; by planned start, folded title). A query costs one pass over the
// initiatives and touches neither bbolt nor JSON.
//
// The index is immutable once published. The runner builds the next one
// after each commit from the cards the batch wrote (read back from the
// transaction, so the index holds exactly what the file holds), copying
// only what changed: entries live in chunks of chunkSize, and the id map
// and the orders are shared until an initiative is added or its sort keys
// change. It is published together with the position it reflects
// (readState), so Position, WaitFor and these queries agree. It is built
// from the file at Open and when a rebuilt file is switched in.
//
// Values the queries return share the index's slices (milestones, user
// groups, sub-goals, latest status): callers must not modify them.

// readState is what the read models publish after each commit: the
// position and the card index as of that position.
type readState struct {
	pos uint64
	idx *cardIndex // nil while the read models are not served
	err error      // why idx could not be built (a corrupt file)
}

const (
	chunkBits = 8
	chunkSize = 1 << chunkBits
)

// cardEntry is one initiative as the lists see it.
type cardEntry struct {
	key       string // the key in BucketInitiativeCards
	card      initiativeCard
	search    string   // BucketInitiativeSearch
	titleKey  string   // fold(Title)
	ownerKey  string   // fold(Owner)
	groupKeys []string // fold of each user group
	subs      []string // the primary and the other sub-goals, without repeats
	show      bool     // on the roadmap (onRoadmap(State))
	ri        RoadmapInitiative
	// place lists where the roadmap shows it under the index's strategy;
	// regular is false when showing it would add a goal or sub-goal the
	// strategy does not define (Roadmap then takes the general path).
	place   []placement
	regular bool
}

// placement is one listing of an initiative on the roadmap: under the
// strategy goal goal (an index into strategyIndex.goals) and its sub-goal
// sub (an index into that goal's subs). goal is -1 for a primary goal the
// strategy does not define (goalID names it), sub is -1 for a sub-goal the
// goal does not define (subID names it).
type placement struct {
	goal, sub int32
	goalID    string
	subID     string
	primary   bool
}

// regular reports whether p is under a goal and sub-goal of the strategy.
func (p *placement) regular() bool { return p.goal >= 0 && p.sub >= 0 }

// strategyIndex is the strategy tree as the roadmap joins it.
type strategyIndex struct {
	goals          []stratGoal
	subGoalsOf     map[string][]int32 // sub-goal id → goals defining it, in tree order
	strategyOfGoal map[string][]int32 // goal id → goals with that id (one per period)
	subsOfGoal     map[string][]string
	// emptyStrategy: a goal belongs to a strategy period without a name;
	// Roadmap then takes the general path.
	emptyStrategy bool
}

type stratGoal struct {
	goalID, strategy, title string
	subs                    []stratSub
	subIdx                  map[string]int32
}

type stratSub struct{ id, title string }

func newStrategyIndex(v StrategyView) *strategyIndex {
	st := &strategyIndex{subGoalsOf: map[string][]int32{}, strategyOfGoal: map[string][]int32{}, subsOfGoal: map[string][]string{}}
	for _, p := range v.Strategies {
		for _, g := range p.Goals {
			gi := int32(len(st.goals))
			sg := stratGoal{goalID: g.GoalID, strategy: p.Strategy, title: g.Title, subIdx: map[string]int32{}}
			if p.Strategy == "" {
				st.emptyStrategy = true
			}
			st.strategyOfGoal[g.GoalID] = append(st.strategyOfGoal[g.GoalID], gi)
			for _, s := range g.SubGoals {
				if _, dup := sg.subIdx[s.SubGoalID]; !dup {
					sg.subIdx[s.SubGoalID] = int32(len(sg.subs))
					sg.subs = append(sg.subs, stratSub{id: s.SubGoalID, title: s.Title})
				}
				st.subGoalsOf[s.SubGoalID] = append(st.subGoalsOf[s.SubGoalID], gi)
				st.subsOfGoal[s.GoalID] = append(st.subsOfGoal[s.GoalID], s.SubGoalID)
			}
			st.goals = append(st.goals, sg)
		}
	}
	return st
}

// placeOf computes where the roadmap shows c: each of its sub-goals, the
// primary first, under one goal.
//
//   - The primary sub-goal goes under the primary goal: the first goal of
//     that id that defines the sub-goal, else the last goal of that id,
//     else a goal the strategy does not define (goal -1).
//   - Another sub-goal goes under a goal that defines it: the last one in
//     the period of the primary goal (its last period), else the last
//     one. A sub-goal no goal defines is not shown.
//
// regular is false when a placement needs a goal or sub-goal the strategy
// does not define.
func (st *strategyIndex) placeOf(c *initiativeCard) (place []placement, regular bool) {
	regular = true
	seen := make([]string, 0, 1+len(c.SubGoals))
	for i, sub := range append([]string{c.PrimarySubGoal}, c.SubGoals...) {
		if sub == "" || slices.Contains(seen, sub) {
			continue
		}
		seen = append(seen, sub)
		pl := placement{goal: -1, sub: -1, goalID: c.PrimaryGoal, subID: sub, primary: i == 0}
		if pl.primary {
			for _, k := range st.subGoalsOf[sub] {
				if st.goals[k].goalID == c.PrimaryGoal {
					pl.goal = k
					break
				}
			}
			if ks := st.strategyOfGoal[c.PrimaryGoal]; pl.goal < 0 && len(ks) > 0 {
				pl.goal = ks[len(ks)-1]
			}
		} else {
			ks := st.subGoalsOf[sub]
			if len(ks) == 0 {
				continue // a secondary sub-goal the strategy does not define
			}
			pl.goal = ks[len(ks)-1]
			if gs := st.strategyOfGoal[c.PrimaryGoal]; len(gs) > 0 {
				period := st.goals[gs[len(gs)-1]].strategy
				for _, k := range ks {
					if st.goals[k].strategy == period {
						pl.goal = k
					}
				}
			}
		}
		if pl.goal >= 0 {
			pl.goalID = st.goals[pl.goal].goalID
			if si, ok := st.goals[pl.goal].subIdx[sub]; ok {
				pl.sub = si
			}
		}
		regular = regular && pl.regular()
		place = append(place, pl)
	}
	return place, regular
}

// newCardEntry decodes a stored card.
func newCardEntry(k, card, search []byte) (*cardEntry, error) {
	e := &cardEntry{key: string(k), search: string(search)}
	if err := json.Unmarshal(card, &e.card); err != nil {
		return nil, corrupt(BucketInitiativeCards, k, err)
	}
	c := &e.card
	e.titleKey, e.ownerKey = fold(c.Title), fold(c.Owner)
	for _, g := range c.UserGroups {
		e.groupKeys = append(e.groupKeys, fold(g))
	}
	for _, s := range append([]string{c.PrimarySubGoal}, c.SubGoals...) {
		if !slices.Contains(e.subs, s) {
			e.subs = append(e.subs, s)
		}
	}
	e.show = onRoadmap(c.State)
	e.ri = roadmapInitiative(*c, false)
	return e, nil
}

// placed returns e placed under st (a copy when e was placed before).
func (e *cardEntry) placed(st *strategyIndex, copyEntry bool) *cardEntry {
	if copyEntry {
		c := *e
		e = &c
	}
	e.place, e.regular = st.placeOf(&e.card)
	return e
}

// cardIndex is one published version of the index.
type cardIndex struct {
	strat  *strategyIndex
	chunks [][]*cardEntry // slot → entry
	n      int32
	slots  map[string]int32 // key → slot
	// The slots in key order, by (folded title, id) and by (planned
	// start, folded title, id).
	byKey, byTitle, byRoad []int32
	irregular              int // shown entries that are not regular

	// The unfiltered overview and roadmap listings, computed by the first
	// query that needs them (the index never changes, so neither do they).
	allOnce   sync.Once
	all       []InitiativeSummary
	roadOnce  sync.Once
	roadCells roadmapCells
}

func (x *cardIndex) at(s int32) *cardEntry { return x.chunks[s>>chunkBits][s&(chunkSize-1)] }

func (x *cardIndex) titleLess(a, b int32) int {
	ea, eb := x.at(a), x.at(b)
	if c := cmp.Compare(ea.titleKey, eb.titleKey); c != 0 {
		return c
	}
	return cmp.Compare(ea.card.InitiativeID, eb.card.InitiativeID)
}

func (x *cardIndex) roadLess(a, b int32) int {
	ea, eb := x.at(a), x.at(b)
	if c := cmp.Compare(ea.card.PlannedStart, eb.card.PlannedStart); c != 0 {
		return c
	}
	if c := cmp.Compare(ea.titleKey, eb.titleKey); c != 0 {
		return c
	}
	return cmp.Compare(ea.card.InitiativeID, eb.card.InitiativeID)
}

func (x *cardIndex) keyLess(a, b int32) int { return cmp.Compare(x.at(a).key, x.at(b).key) }

// loadIndex builds the index from the file.
func loadIndex(tx *bolt.Tx) (*cardIndex, error) {
	sv, err := readStrategy(tx)
	if err != nil {
		return nil, err
	}
	x := &cardIndex{strat: newStrategyIndex(sv), slots: map[string]int32{}}
	cards, err := bucket(tx, BucketInitiativeCards)
	if err != nil {
		return nil, err
	}
	search, err := bucket(tx, BucketInitiativeSearch)
	if err != nil {
		return nil, err
	}
	err = cards.ForEach(func(k, v []byte) error {
		e, err := newCardEntry(k, v, search.Get(k))
		if err != nil {
			return err
		}
		x.add(e.placed(x.strat, false))
		return nil
	})
	if err != nil {
		return nil, err
	}
	x.byKey = make([]int32, x.n)
	for i := range x.byKey {
		x.byKey[i] = int32(i) // ForEach is in key order
	}
	x.byTitle = slices.Clone(x.byKey)
	slices.SortFunc(x.byTitle, x.titleLess)
	x.byRoad = slices.Clone(x.byKey)
	slices.SortFunc(x.byRoad, x.roadLess)
	return x, nil
}

// add appends a new entry (the chunk it goes to must be x's own).
func (x *cardIndex) add(e *cardEntry) int32 {
	s := x.n
	if int(s>>chunkBits) == len(x.chunks) {
		x.chunks = append(x.chunks, make([]*cardEntry, 0, chunkSize))
	}
	c := s >> chunkBits
	x.chunks[c] = append(x.chunks[c], e)
	x.slots[e.key] = s
	x.n++
	if e.show && !e.regular {
		x.irregular++
	}
	return s
}

// updated returns the index after a commit: the initiatives in keys
// re-read from tx, and with strategyChanged the strategy too.
func (x *cardIndex) updated(tx *bolt.Tx, keys map[string]struct{}, strategyChanged bool) (*cardIndex, error) {
	if len(keys) == 0 && !strategyChanged {
		return x, nil
	}
	y := &cardIndex{strat: x.strat, chunks: slices.Clone(x.chunks), n: x.n, slots: x.slots,
		byKey: x.byKey, byTitle: x.byTitle, byRoad: x.byRoad, irregular: x.irregular}
	owned := make([]bool, len(y.chunks)) // chunks already copied
	own := func(c int32) {
		if !owned[c] {
			y.chunks[c] = slices.Clip(slices.Clone(y.chunks[c]))
			owned[c] = true
		}
	}
	if strategyChanged {
		sv, err := readStrategy(tx)
		if err != nil {
			return nil, err
		}
		y.strat = newStrategyIndex(sv)
		y.irregular = 0
		for ci := range y.chunks {
			own(int32(ci))
			for j, e := range y.chunks[ci] {
				e = e.placed(y.strat, true)
				y.chunks[ci][j] = e
				if e.show && !e.regular {
					y.irregular++
				}
			}
		}
	}
	cards, err := bucket(tx, BucketInitiativeCards)
	if err != nil {
		return nil, err
	}
	search, err := bucket(tx, BucketInitiativeSearch)
	if err != nil {
		return nil, err
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	moved := map[int32]bool{} // slots whose sort keys changed, or new
	var added []int32
	for _, k := range sorted {
		v := cards.Get([]byte(k))
		if v == nil {
			continue
		}
		e, err := newCardEntry([]byte(k), v, search.Get([]byte(k)))
		if err != nil {
			return nil, err
		}
		e = e.placed(y.strat, false)
		s, ok := y.slots[k]
		if !ok {
			if len(added) == 0 {
				y.slots = cloneMap(y.slots)
			}
			if n := len(y.chunks); n > 0 && y.n>>chunkBits == int32(n-1) {
				own(int32(n - 1))
			}
			s = y.add(e)
			if int(s>>chunkBits) >= len(owned) {
				owned = append(owned, true) // a new chunk is y's own
			}
			added = append(added, s)
			moved[s] = true
			continue
		}
		old := y.at(s)
		if old.show && !old.regular {
			y.irregular--
		}
		if e.show && !e.regular {
			y.irregular++
		}
		if old.titleKey != e.titleKey || old.card.PlannedStart != e.card.PlannedStart || old.card.InitiativeID != e.card.InitiativeID {
			moved[s] = true
		}
		own(s >> chunkBits)
		y.chunks[s>>chunkBits][s&(chunkSize-1)] = e
	}
	if len(added) > 0 {
		slices.SortFunc(added, y.keyLess)
		y.byKey = mergeOrder(x.byKey, nil, added, y.keyLess)
	}
	if len(moved) > 0 {
		ms := make([]int32, 0, len(moved))
		for s := range moved {
			ms = append(ms, s)
		}
		slices.SortFunc(ms, y.titleLess)
		y.byTitle = mergeOrder(x.byTitle, moved, ms, y.titleLess)
		slices.SortFunc(ms, y.roadLess)
		y.byRoad = mergeOrder(x.byRoad, moved, ms, y.roadLess)
	}
	return y, nil
}

func cloneMap(m map[string]int32) map[string]int32 {
	out := make(map[string]int32, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// mergeOrder returns old without the slots in drop, merged with add
// (sorted by less).
func mergeOrder(old []int32, drop map[int32]bool, add []int32, less func(a, b int32) int) []int32 {
	out := make([]int32, 0, len(old)+len(add))
	i := 0
	for _, s := range old {
		if drop[s] {
			continue
		}
		for i < len(add) && less(add[i], s) < 0 {
			out = append(out, add[i])
			i++
		}
		out = append(out, s)
	}
	return append(out, add[i:]...)
}

// ---- queries ----

// matcher is a selection, prepared for testing entries.
type matcher struct {
	s               selection
	owner, group, q string
	words           []string // of q
	goalSubs        []string
	any             bool
}

func newMatcher(s selection, st *strategyIndex) *matcher {
	p := &matcher{s: s, owner: fold(s.Owner), group: fold(s.UserGroup), q: fold(s.Q)}
	p.words = strings.Fields(p.q)
	if s.Goal != "" {
		p.goalSubs = st.subsOfGoal[s.Goal]
	}
	p.any = s.Owner != "" || s.UserGroup != "" || s.Phase != "" || s.State != "" || s.SubGoal != "" || s.Goal != "" || p.q != ""
	return p
}

// match: what selectInitiatives selects through the index buckets and the
// search text.
func (p *matcher) match(e *cardEntry) bool {
	if !p.any {
		return true
	}
	s := &p.s
	if s.Owner != "" && e.ownerKey != p.owner {
		return false
	}
	if s.UserGroup != "" && !slices.Contains(e.groupKeys, p.group) {
		return false
	}
	if s.Phase != "" && string(e.card.Phase) != s.Phase {
		return false
	}
	if s.State != "" && string(e.card.State) != s.State {
		return false
	}
	if s.SubGoal != "" && !slices.Contains(e.subs, s.SubGoal) {
		return false
	}
	if s.Goal != "" && e.card.PrimaryGoal != s.Goal && !slices.ContainsFunc(e.subs, func(sub string) bool {
		return slices.Contains(p.goalSubs, sub)
	}) {
		return false
	}
	if p.q != "" {
		for _, w := range p.words { // matchQuery
			if !strings.Contains(e.search, w) {
				return false
			}
		}
	}
	return true
}

// initiatives is the portfolio overview, sorted by folded title then id.
func (x *cardIndex) initiatives(s selection) []InitiativeSummary {
	p := newMatcher(s, x.strat)
	if !p.any {
		x.allOnce.Do(func() {
			x.all = make([]InitiativeSummary, len(x.byTitle))
			for i, slot := range x.byTitle {
				x.all[i] = x.at(slot).card.InitiativeSummary
			}
		})
		return x.all[:len(x.all):len(x.all)]
	}
	n := 0
	for _, slot := range x.byTitle {
		if p.match(x.at(slot)) {
			n++
		}
	}
	out := make([]InitiativeSummary, 0, n)
	for _, slot := range x.byTitle {
		if e := x.at(slot); p.match(e) {
			out = append(out, e.card.InitiativeSummary)
		}
	}
	return out
}

// roadmap is readRoadmap's answer from the index.
func (x *cardIndex) roadmap(f RoadmapFilter) RoadmapView {
	st := x.strat
	if st.emptyStrategy || x.irregular > 0 {
		return x.roadmapGeneral(f)
	}
	filtered := f.Owner != "" || f.UserGroup != "" || f.Phase != "" || f.Q != ""
	var cells *roadmapCells
	if f == (RoadmapFilter{}) {
		x.roadOnce.Do(func() { x.roadCells = x.cells(f) })
		cells = &x.roadCells
	} else {
		c := x.cells(f)
		cells = &c
	}
	base, all, start := cells.base, cells.all, cells.start

	out := RoadmapView{Goals: []RoadmapGoal{}}
	for gi, g := range st.goals {
		if f.Goal != "" && g.goalID != f.Goal {
			continue
		}
		rg := RoadmapGoal{GoalID: g.goalID, Strategy: g.strategy, Title: g.title, SubGoals: []RoadmapSubGoal{}}
		for si, s := range g.subs {
			if f.SubGoal != "" && s.id != f.SubGoal {
				continue
			}
			c := base[gi] + si
			if filtered && start[c] == start[c+1] {
				continue
			}
			rg.SubGoals = append(rg.SubGoals, RoadmapSubGoal{SubGoalID: s.id, Title: s.title,
				Initiatives: all[start[c]:start[c+1]:start[c+1]]})
		}
		if (filtered || f.SubGoal != "") && len(rg.SubGoals) == 0 {
			continue
		}
		out.Goals = append(out.Goals, rg)
	}
	return out
}

// roadmapCells are the roadmap's listings: one cell per (goal, sub-goal) of
// the strategy (cell base[goal]+sub), listed in all[start[c]:start[c+1]].
type roadmapCells struct {
	base, start []int
	all         []RoadmapInitiative
}

// cells lists what the roadmap shows for f, for the fast path.
func (x *cardIndex) cells(f RoadmapFilter) roadmapCells {
	st := x.strat
	p := newMatcher(selection{Goal: f.Goal, SubGoal: f.SubGoal, Owner: f.Owner, Phase: f.Phase, UserGroup: f.UserGroup, Q: f.Q}, st)

	// cells: one per (goal, sub-goal) of the strategy, each with the
	// count of primary and of other listings.
	base := make([]int, len(st.goals)+1)
	for i, g := range st.goals {
		base[i+1] = base[i] + len(g.subs)
	}
	prim := make([]int, base[len(st.goals)])
	sec := make([]int, len(prim))
	keep := func(pl *placement) bool {
		return (f.Goal == "" || st.goals[pl.goal].goalID == f.Goal) && (f.SubGoal == "" || pl.subID == f.SubGoal)
	}
	matched := make([]*cardEntry, 0, len(x.byRoad))
	total := 0
	for _, slot := range x.byRoad {
		e := x.at(slot)
		if !e.show || !p.match(e) {
			continue
		}
		n := 0
		for i := range e.place {
			pl := &e.place[i]
			if !keep(pl) {
				continue
			}
			if pl.primary {
				prim[base[pl.goal]+int(pl.sub)]++
			} else {
				sec[base[pl.goal]+int(pl.sub)]++
			}
			n++
		}
		if n > 0 {
			matched = append(matched, e)
			total += n
		}
	}
	// Each cell's listings: its primary ones, then the others, each group
	// in (planned start, folded title, id) order: the order of byRoad.
	all := make([]RoadmapInitiative, total)
	start := make([]int, len(prim)+1)
	for i := range prim {
		start[i+1] = start[i] + prim[i] + sec[i]
	}
	nextPrim := slices.Clone(start[:len(prim)])
	nextSec := make([]int, len(prim))
	for i := range prim {
		nextSec[i] = start[i] + prim[i]
	}
	for _, e := range matched {
		for i := range e.place {
			pl := &e.place[i]
			if !keep(pl) {
				continue
			}
			c := base[pl.goal] + int(pl.sub)
			var at *int
			if pl.primary {
				at = &nextPrim[c]
			} else {
				at = &nextSec[c]
			}
			all[*at] = e.ri
			all[*at].Primary = pl.primary
			*at++
		}
	}

	return roadmapCells{base: base, start: start, all: all}
}

// roadmapGeneral is the roadmap when a shown initiative needs a goal or
// sub-goal the strategy does not define: the strategy's tree extended by
// them — goals after the strategy's, sub-goals after their goal's own, in
// the order of the initiatives' ids — with the same placements as the
// regular path.
func (x *cardIndex) roadmapGeneral(f RoadmapFilter) RoadmapView {
	st := x.strat
	p := newMatcher(selection{Goal: f.Goal, SubGoal: f.SubGoal, Owner: f.Owner, Phase: f.Phase, UserGroup: f.UserGroup, Q: f.Q}, st)
	filtered := f.Owner != "" || f.UserGroup != "" || f.Phase != "" || f.Q != ""

	type listing struct {
		e       *cardEntry
		primary bool
	}
	type subNode struct {
		id, title string
		in        []listing
	}
	type goalNode struct {
		id, strategy, title string
		subs                []*subNode
	}
	subOf := func(g *goalNode, id string) *subNode {
		for _, s := range g.subs {
			if s.id == id {
				return s
			}
		}
		s := &subNode{id: id}
		g.subs = append(g.subs, s)
		return s
	}
	nodes := make([]*goalNode, len(st.goals))
	for i, g := range st.goals {
		n := &goalNode{id: g.goalID, strategy: g.strategy, title: g.title}
		for _, s := range g.subs {
			n.subs = append(n.subs, &subNode{id: s.id, title: s.title})
		}
		nodes[i] = n
	}
	undefined := map[string]*goalNode{} // goal id → a goal only initiatives name

	for _, slot := range x.byKey {
		e := x.at(slot)
		if !e.show || !p.match(e) {
			continue
		}
		for i := range e.place {
			pl := &e.place[i]
			var n *goalNode
			if pl.goal >= 0 {
				n = nodes[pl.goal]
			} else if n = undefined[pl.goalID]; n == nil {
				n = &goalNode{id: pl.goalID}
				undefined[pl.goalID] = n
				nodes = append(nodes, n)
			}
			if (f.Goal != "" && n.id != f.Goal) || (f.SubGoal != "" && pl.subID != f.SubGoal) {
				continue
			}
			s := subOf(n, pl.subID)
			s.in = append(s.in, listing{e: e, primary: pl.primary})
		}
	}

	out := RoadmapView{Goals: []RoadmapGoal{}}
	for _, n := range nodes {
		if f.Goal != "" && n.id != f.Goal {
			continue
		}
		rg := RoadmapGoal{GoalID: n.id, Strategy: n.strategy, Title: n.title, SubGoals: []RoadmapSubGoal{}}
		for _, s := range n.subs {
			if (f.SubGoal != "" && s.id != f.SubGoal) || (filtered && len(s.in) == 0) {
				continue
			}
			// primary listings first, each group in the order of byRoad
			slices.SortFunc(s.in, func(a, b listing) int {
				if a.primary != b.primary {
					if a.primary {
						return -1
					}
					return 1
				}
				return x.roadLess(x.slots[a.e.key], x.slots[b.e.key])
			})
			ris := make([]RoadmapInitiative, len(s.in))
			for i, l := range s.in {
				ris[i] = l.e.ri
				ris[i].Primary = l.primary
			}
			rg.SubGoals = append(rg.SubGoals, RoadmapSubGoal{SubGoalID: s.id, Title: s.title, Initiatives: ris})
		}
		if (filtered || f.SubGoal != "") && len(rg.SubGoals) == 0 {
			continue
		}
		out.Goals = append(out.Goals, rg)
	}
	return out
}

// cards returns the published card index, or the error queries answer
// with while it cannot be read.
func (m *ReadModels) cards() (*cardIndex, error) {
	m.swapMu.RLock()
	defer m.swapMu.RUnlock()
	if m.closed {
		return nil, &domain.Error{Kind: domain.KindUnavailable, Message: "read models closed", Err: ErrClosed}
	}
	if m.invalid != "" {
		return nil, &domain.Error{Kind: domain.KindLagging, Message: "read models are being rebuilt: " + m.invalid, Err: ErrStreamMismatch}
	}
	s := m.state.Load()
	if s == nil || s.idx == nil {
		if s != nil && s.err != nil {
			return nil, &domain.Error{Kind: domain.KindInternal, Message: "read models", Err: s.err}
		}
		return nil, &domain.Error{Kind: domain.KindLagging, Message: "read models are being loaded"}
	}
	return s.idx, nil
}
