package projections

import (
	"encoding/json"
	"errors"
	"math/rand"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// TestRunnerCacheEqualsRebuild: the runner's commits, which keep the
// documents they wrote decoded for the next commits (docCache), give the
// file applying everything in one batch gives — with a cache too small for
// the history (entries dropped), with batches that fail part-way and are
// committed again, and with the cache off.
func TestRunnerCacheEqualsRebuild(t *testing.T) {
	seeds := []int64{11, 12, 13, 14}
	if testing.Short() {
		seeds = seeds[:2]
	}
	for _, seed := range seeds {
		s := randomHistory(t, seed, 1500)
		full := openDB(t)
		applyItems(t, full, s.items, 0)
		want := stripMeta(dumpDB(t, full))
		for _, size := range []int{0, 2, 7, maxCachedDocs} {
			db := openDB(t)
			m := modelsOn(t, db)
			m.docs = nil
			if size > 0 {
				m.docs = newDocCache(size)
			}
			r := rand.New(rand.NewSource(seed*100 + int64(size)))
			crashes, hits := 0, 0
			for i := 0; i < len(s.items); {
				batch := s.items[i:min(i+1+r.Intn(12), len(s.items))]
				if r.Intn(6) == 0 {
					at := batch[r.Intn(len(batch))].Position
					m.hook = func(it item) error {
						if it.Position == at {
							return errCrash
						}
						return nil
					}
					if err := m.commit(batch, identity{Name: "PORTFOLIO"}); !errors.Is(err, errCrash) {
						t.Fatalf("seed %d size %d: crash at %d: err %v", seed, size, at, err)
					}
					crashes++
					m.hook = nil
					checkCache(t, db, m.docs)
				}
				if m.docs != nil {
					hits += len(m.docs.entries)
				}
				if err := m.commit(batch, identity{Name: "PORTFOLIO"}); err != nil {
					t.Fatalf("seed %d size %d: %v", seed, size, err)
				}
				checkCache(t, db, m.docs)
				i += len(batch)
			}
			if got := stripMeta(dumpDB(t, db)); got != want {
				t.Fatalf("seed %d, cache of %d: the runner's file differs from one batch", seed, size)
			}
			if crashes == 0 || (size > 0 && hits == 0) {
				t.Fatalf("seed %d, cache of %d: %d failed batches, %d cached documents seen: the test did not exercise the cache", seed, size, crashes, hits)
			}
		}
	}
}

// TestRunnerCacheYieldsToTheFile: a document changed in the file by
// anything but the runner's last commit (here a direct write) is read from
// the file, not taken from the cache.
func TestRunnerCacheYieldsToTheFile(t *testing.T) {
	h, _ := scenario()
	// The scenario's first initiative, proposed early and changed later.
	split := 0
	for i, it := range h.items {
		it.decode()
		if it.AggID == iHjemme && i > 0 {
			split = i
		}
	}
	if split == 0 {
		t.Fatal("no event of the first initiative")
	}
	split /= 2
	var dumps []string
	for _, cached := range []bool{true, false} {
		db := openDB(t)
		m := modelsOn(t, db)
		if !cached {
			m.docs = nil
		}
		if err := m.commit(h.items[:split], identity{Name: "PORTFOLIO"}); err != nil {
			t.Fatal(err)
		}
		if cached && m.docs.entries[iHjemme].p == nil {
			t.Fatalf("the first commit did not keep %s", iHjemme)
		}
		// Change the stored document behind the cache's back.
		if err := db.Update(func(tx *bolt.Tx) error {
			var d InitiativeDetail
			if _, err := getJSON(tx, BucketInitiatives, []byte(iHjemme), &d); err != nil {
				return err
			}
			d.Description += " (endret i fila)"
			raw, err := json.Marshal(d)
			if err != nil {
				return err
			}
			return tx.Bucket([]byte(BucketInitiatives)).Put([]byte(iHjemme), raw)
		}); err != nil {
			t.Fatal(err)
		}
		if err := m.commit(h.items[split:], identity{Name: "PORTFOLIO"}); err != nil {
			t.Fatal(err)
		}
		d, err := m.Initiative(iHjemme)
		if err != nil {
			t.Fatal(err)
		}
		if want := " (endret i fila)"; len(d.Description) < len(want) || d.Description[len(d.Description)-len(want):] != want {
			t.Fatalf("cached=%v: the document lost the file's change: %q", cached, d.Description)
		}
		dumps = append(dumps, stripMeta(dumpDB(t, db)))
	}
	if dumps[0] != dumps[1] {
		t.Fatal("with the cache the file differs from without it")
	}
}

// checkCache fails unless every document the cache keeps encodes to the
// bytes it was written as, and the file holds those bytes: an entry a
// failed transaction changed, or one that outlived its document, would
// not.
func checkCache(t *testing.T, db *bolt.DB, c *docCache) {
	t.Helper()
	if c == nil {
		return
	}
	if err := db.View(func(tx *bolt.Tx) error {
		for id, e := range c.entries {
			enc, err := encodeInitiative(&e.p.d)
			if err != nil {
				return err
			}
			if string(enc.doc) != string(e.raw) {
				t.Fatalf("cached %s no longer encodes to what was written", id)
			}
			if v := tx.Bucket([]byte(BucketInitiatives)).Get([]byte(id)); string(v) != string(e.raw) {
				t.Fatalf("cached %s is not what the file holds", id)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
