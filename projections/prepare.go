package projections

import (
	"sync"
	"sync/atomic"

	"github.com/ehelse/portfolio/audit"
	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/eventlog"
)

// Preparing a batch: every message is decoded once (eventlog.DecodeRecord
// for the envelope, domain.DecodeEvent for the data) and, with trusted
// keys, inspected (audit.Inspect: envelope and signature) before the batch
// is applied. Both are pure functions of the message, so they run on up to
// workers() goroutines, outside the bbolt transaction. What depends on
// earlier events — the per-aggregate chain in BucketChains — is checked
// while the batch is applied, in stream order (verifyItem).
//
// An envelope that eventlog.DecodeRecord accepts is one that
// audit.DecodeEnvelope accepts, with the same id, event name, aggregate,
// version and prevhash (the event store's rules include audit's; a test
// keeps them in step), so the inspection of such a message reuses the
// decoded record instead of parsing the payload a second time. A message
// DecodeRecord refuses is inspected by audit.Inspect itself, so the reason
// a malformed message is rejected is exactly audit's.

// inspection is the result of audit.Inspect for an item.
type inspection struct {
	done    bool
	checked audit.Checked
	err     error
}

// rawItem is a stream message before decoding.
func rawItem(subject string, seq uint64, data []byte, signature string) item {
	return item{Position: seq, Msg: audit.Event{Position: seq, Subject: subject, Payload: data, Signature: signature}, raw: true}
}

// decode fills in what the message says. It is a no-op for items that are
// not raw (already decoded, or built by tests).
func (it *item) decode() {
	if !it.raw {
		return
	}
	it.raw = false
	seq, subject, data := it.Position, it.Msg.Subject, it.Msg.Payload
	rec, err := eventlog.DecodeRecord(subject, seq, data)
	if err != nil {
		it.Skip = "undecodable event envelope: " + err.Error()
		return
	}
	it.EventID, it.AggType, it.AggID, it.Type = rec.ID, rec.AggregateType, rec.AggregateID, rec.Type
	if h, err := audit.ParseHash(rec.Hash); err == nil {
		it.env = audit.Envelope{ID: rec.ID, EventType: rec.Type, AggregateType: rec.AggregateType,
			AggregateID: rec.AggregateID, Version: rec.Version, PrevHash: rec.PrevHash}
		it.hash, it.envOK = h, true
	}
	if domain.AggregateType(rec.AggregateType) == domain.Series {
		return // no read model; counted as skipped quietly
	}
	ev, err := domain.DecodeEvent(rec.Type, rec.SchemaVersion, rec.Data)
	if err != nil {
		it.Skip = err.Error()
		return
	}
	it.Rec = domain.Recorded{ID: rec.ID, Version: rec.Version, Position: seq, Time: rec.Time, Actor: rec.Actor, Event: ev}
}

// inspect runs audit.Inspect's checks on the item (once).
func (it *item) inspect(keys audit.Keyring) {
	if it.insp.done {
		return
	}
	it.decode()
	if it.envOK {
		c := audit.Checked{Hash: it.hash, Envelope: it.env}
		it.insp = inspection{done: true, checked: c, err: keys.Check(it.Msg.Signature, c.Hash)}
		return
	}
	c, err := audit.Inspect(keys, it.Msg)
	it.insp = inspection{done: true, checked: c, err: err}
}

// prepareChunk is how many items a preparing goroutine takes at a time;
// their signatures are verified as one batch (audit.Keyring.CheckAll).
const prepareChunk = 64

// A voucher vouches for the signature of a well-formed item, which then
// goes unchecked: a rebuild's verified prefix (prior: checked before, the
// log unchanged since) or the record of what this process signed and
// appended (written). Everything else about the item is still checked.
type voucher interface {
	vouches(it *item) bool
}

// written vouches for the events this process signed and appended at
// that position, byte for byte, under keys (eventlog.Written.Vouches).
type written struct {
	w    *eventlog.Written
	keys audit.Keyring
}

func (v written) vouches(it *item) bool {
	return v.w.Vouches(v.keys, it.Position, it.hash, it.Msg.Signature)
}

// prepareChunkOf decodes the items and, with keys, inspects them, checking
// the signatures of all well-formed envelopes in one batch.
//
// Items v (may be nil) vouches for get their verdict without a signature
// check: every other check is made.
func prepareChunkOf(items []item, keys audit.Keyring, v voucher) {
	for i := range items {
		items[i].decode()
	}
	if keys == nil {
		return
	}
	idx := make([]int, 0, len(items))
	headers := make([]string, 0, len(items))
	hashes := make([]audit.Hash, 0, len(items))
	for i := range items {
		it := &items[i]
		switch {
		case it.insp.done:
		case it.envOK && v != nil && v.vouches(it):
			it.insp = inspection{done: true, checked: audit.Checked{Hash: it.hash, Envelope: it.env}}
		case it.envOK:
			idx = append(idx, i)
			headers = append(headers, it.Msg.Signature)
			hashes = append(hashes, it.hash)
		default:
			it.inspect(keys) // audit.Inspect gives the reason
		}
	}
	for j, err := range keys.CheckAll(headers, hashes) {
		it := &items[idx[j]]
		it.insp = inspection{done: true, checked: audit.Checked{Hash: it.hash, Envelope: it.env}, err: err}
	}
}

// prepare decodes the items and, with keys, inspects them, on up to
// workers() goroutines. v (may be nil) vouches for signatures that need
// no check.
func prepare(items []item, keys audit.Keyring, v voucher) {
	n := len(items)
	workers := min(workers(), (n+prepareChunk-1)/prepareChunk)
	if workers <= 1 {
		for start := 0; start < n; start += prepareChunk {
			prepareChunkOf(items[start:min(start+prepareChunk, n)], keys, v)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				start := int(next.Add(prepareChunk)) - prepareChunk
				if start >= n {
					return
				}
				prepareChunkOf(items[start:min(start+prepareChunk, n)], keys, v)
			}
		})
	}
	wg.Wait()
}
