package projections

import (
	"cmp"
	"encoding/json"
	"slices"
	"sort"
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
