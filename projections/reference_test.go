package projections

import (
	"encoding/json"
	"sort"

	bolt "go.etcd.io/bbolt"
)

// The portfolio overview as it was before the in-memory card index: it
// reads the index buckets and decodes the cards from the file. The tests
// compare the index's answers with it. The roadmap's oracle is
// oracleRoadmap (roadmap_oracle_test.go).

// refInitiatives is the portfolio overview read from the file.
func refInitiatives(tx *bolt.Tx, f InitiativeFilter) ([]InitiativeSummary, error) {
	cards, err := selectInitiatives(tx, selection(f))
	if err != nil {
		return nil, err
	}
	out := make([]InitiativeSummary, 0, len(cards))
	for _, c := range cards {
		out = append(out, c.InitiativeSummary)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := fold(out[i].Title), fold(out[j].Title)
		if a != b {
			return a < b
		}
		return out[i].InitiativeID < out[j].InitiativeID
	})
	return out, nil
}

// selectInitiatives returns the cards that match s, by reading the index
// ranges of the given filters, intersecting them, and checking the search
// text of what is left. With no filter it reads every card.
func selectInitiatives(tx *bolt.Tx, s selection) ([]initiativeCard, error) {
	var sets []map[string]bool
	add := func(ids map[string]bool, err error) error {
		if err != nil {
			return err
		}
		sets = append(sets, ids)
		return nil
	}
	if s.Owner != "" {
		if err := add(indexIDs(tx, IdxInitiativeOwner, fold(s.Owner))); err != nil {
			return nil, err
		}
	}
	if s.UserGroup != "" {
		if err := add(indexIDs(tx, IdxInitiativeUserGroup, fold(s.UserGroup))); err != nil {
			return nil, err
		}
	}
	if s.Phase != "" {
		if err := add(indexIDs(tx, IdxInitiativePhase, s.Phase)); err != nil {
			return nil, err
		}
	}
	if s.State != "" {
		if err := add(indexIDs(tx, IdxInitiativeState, s.State)); err != nil {
			return nil, err
		}
	}
	if s.SubGoal != "" {
		if err := add(indexIDs(tx, IdxInitiativeSubGoal, s.SubGoal)); err != nil {
			return nil, err
		}
	}
	if s.Goal != "" {
		if err := add(goalIDs(tx, s.Goal)); err != nil {
			return nil, err
		}
	}

	var ids []string
	if len(sets) == 0 {
		b, err := bucket(tx, BucketInitiativeCards)
		if err != nil {
			return nil, err
		}
		_ = b.ForEach(func(k, _ []byte) error {
			ids = append(ids, string(k))
			return nil
		})
	} else {
		sort.Slice(sets, func(i, j int) bool { return len(sets[i]) < len(sets[j]) })
		for _, id := range sortedKeys(sets[0]) {
			all := true
			for _, other := range sets[1:] {
				if !other[id] {
					all = false
					break
				}
			}
			if all {
				ids = append(ids, id)
			}
		}
	}

	q := fold(s.Q)
	var search *bolt.Bucket
	if q != "" {
		var err error
		if search, err = bucket(tx, BucketInitiativeSearch); err != nil {
			return nil, err
		}
	}
	out := make([]initiativeCard, 0, len(ids))
	for _, id := range ids {
		if q != "" && !matchQuery(string(search.Get([]byte(id))), q) {
			continue
		}
		var c initiativeCard
		ok, err := getJSON(tx, BucketInitiativeCards, []byte(id), &c)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, c)
		}
	}
	return out, nil
}

// goalIDs returns the initiatives that contribute to a goal: its primary
// goal is the goal, or one of its sub-goals belongs to the goal (in any
// strategy period).
func goalIDs(tx *bolt.Tx, goal string) (map[string]bool, error) {
	ids, err := indexIDs(tx, IdxInitiativeGoal, goal)
	if err != nil {
		return nil, err
	}
	subs := map[string]bool{}
	err = scanPrefix(tx, BucketSubGoals, nil, func(k, v []byte) error {
		var s SubGoalView
		if err := json.Unmarshal(v, &s); err != nil {
			return corrupt(BucketSubGoals, k, err)
		}
		if s.GoalID == goal {
			subs[s.SubGoalID] = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for s := range subs {
		more, err := indexIDs(tx, IdxInitiativeSubGoal, s)
		if err != nil {
			return nil, err
		}
		for id := range more {
			ids[id] = true
		}
	}
	return ids, nil
}
