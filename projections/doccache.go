package projections

import (
	"bytes"

	bolt "go.etcd.io/bbolt"
)

// docCache keeps, between the runner's commits, the initiative documents
// its last commits wrote, decoded, each beside the bytes it wrote: under a
// steady load the same initiatives change commit after commit, and
// decoding a document is the largest part of applying an event to it.
//
// An entry is taken, never copied: the applier that takes it owns it and
// hands it back when it writes the document again. It is used only while
// the file still holds, byte for byte, what was written with it; so a
// transaction that failed, a rebuilt file switched in or anything else
// that wrote the document leaves the entry unused, and the applier reads
// the file as without the cache. The documents an applier holds are what
// a rebuild holds across its transactions (see applier), so applying to
// them gives what applying to the file's documents gives; the tests
// compare both with applying event by event.
//
// It is not safe for concurrent use: the runner's commits are serialised
// by ReadModels.applyMu.
type docCache struct {
	max     int
	entries map[string]cachedDoc
}

// cachedDoc is a written document: its bytes in the file and the pending
// state an applier left it in.
type cachedDoc struct {
	raw []byte
	p   *pendingInitiative
}

// maxCachedDocs bounds the documents the runner keeps: about 5 KB each,
// decoded.
const maxCachedDocs = 512

func newDocCache(max int) *docCache {
	return &docCache{max: max, entries: map[string]cachedDoc{}}
}

// take removes id's entry and returns its document when the file in tx
// still holds the bytes it was written as; nil otherwise.
func (c *docCache) take(tx *bolt.Tx, id string) (*pendingInitiative, error) {
	if c == nil {
		return nil, nil
	}
	e, ok := c.entries[id]
	if !ok {
		return nil, nil
	}
	delete(c.entries, id)
	b, err := bucket(tx, BucketInitiatives)
	if err != nil {
		return nil, err
	}
	if v := b.Get([]byte(id)); v == nil || !bytes.Equal(v, e.raw) {
		return nil, nil
	}
	return e.p, nil
}

// put keeps p, just written as raw (which must not change afterwards).
// When full it drops half its entries, whichever the map yields first.
func (c *docCache) put(id string, raw []byte, p *pendingInitiative) {
	if c == nil {
		return
	}
	if len(c.entries) >= c.max {
		n := 0
		for k := range c.entries {
			if n >= c.max/2 {
				break
			}
			delete(c.entries, k)
			n++
		}
	}
	c.entries[id] = cachedDoc{raw: raw, p: p}
}

// clear drops every entry.
func (c *docCache) clear() {
	if c != nil {
		clear(c.entries)
	}
}
