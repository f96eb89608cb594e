package projections

import (
	"errors"
	"fmt"
	"math"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	bolt "go.etcd.io/bbolt"

	"github.com/ehelse/portfolio/audit"
	"github.com/ehelse/portfolio/domain"
)

// Apply applies one decoded event of the aggregate aggType/aggID to the read
// models within tx. It reports whether a read model changed: false for
// event types without a read model (the series aggregate's), unknown event
// types, and events about something the read models do not hold. An error
// means the transaction must be rolled back (a bucket is missing or a
// document is corrupt); Apply never panics on unexpected events.
//
// Apply is deterministic: it reads only tx and r, never the clock.
func Apply(tx *bolt.Tx, aggType, aggID string, r domain.Recorded) (bool, error) {
	a := newApplier(tx)
	changed, err := a.apply(aggType, aggID, r)
	if err != nil {
		return false, err
	}
	return changed, a.flush()
}

// applier applies the events of one batch within a transaction. It keeps
// the initiative documents it changed decoded, and writes each one (with
// its card, search text and index entries) once, at flush, instead of
// decoding and re-encoding it for every event: the file's contents are the
// same as with a write per event.
//
// A rebuild keeps one applier for all its transactions (hold > 0): it is
// the file's only writer, and nobody reads the file before the builder's
// finish, so the changed documents need not be written at the end of each
// transaction. They stay decoded and unwritten across transactions — each
// is encoded and written once, at finish, instead of once per transaction
// that changes it — until they outgrow hold bytes (estimated in memory);
// then the builder writes them and drops them all (builder.evict).
type applier struct {
	tx    *bolt.Tx
	inits map[string]*pendingInitiative
	dirty int // entries of inits with dirty set
	hold  int64
	// docBytes is, with hold > 0, the memory of the documents held
	// (estimated, see memSize).
	docBytes int64
	// chains holds, with hold > 0, the aggregates' chains verification
	// moved on since they were last written (see verifyItem).
	chains map[string]audit.Link
	// evictions counts the times a holding applier dropped its documents
	// (its reader need not prefetch documents before the first).
	evictions atomic.Int64
	// written collects the initiatives whose documents flush wrote, and
	// strategy whether a strategy event was applied (for the in-memory
	// index), since begin.
	written  map[string]struct{}
	strategy bool
	// pre is the prefetched document of the item being applied (nil:
	// none).
	pre *prefetchedDoc
	// kept is, with hold > 0, the ids of the documents held after the
	// last transaction, for a rebuild's reader (which need not prefetch
	// them).
	kept atomic.Pointer[map[string]struct{}]
	// docs, when set (the runner's, with hold == 0), takes the documents
	// flush wrote, and gives them back while the file holds what was
	// written (see docCache).
	docs *docCache
}

// pendingInitiative is an initiative document as the batch left it so far.
type pendingInitiative struct {
	d      InitiativeDetail
	exists bool            // stored, or proposed in this batch
	old    *initiativeCard // the card stored before the batch (nil: none)
	dirty  bool
	size   int64 // memSize when last noted (applier.resized)
	// statuses is the initiative's value in BucketInitiativeStatus as the
	// batch left it (loaded on its first status report; changed: not yet
	// written).
	statuses                []byte
	statusesLoaded, changed bool
	// What the search text stored with old was made of.
	oldTitle, oldDescription, oldOwner string
}

// maxPendingInitiatives bounds the changed documents an applier that
// does not hold them across transactions keeps before it writes them
// out, and maxHeldBytes the memory (estimated, generously) of the
// documents a rebuild holds: 128 MiB holds every document of a portfolio
// of 10,000 initiatives with 100 events each (about 50 MiB in fact), but
// no more than half the process's Go memory limit (heldBudget).
var (
	maxPendingInitiatives       = 2048
	maxHeldBytes          int64 = 128 << 20
)

// heldBudget is maxHeldBytes, or half the Go memory limit when that is
// less (at least 4 MiB). Dropping the documents costs more than holding
// them, also under a small limit: a 1M-event rebuild (10,000 initiatives,
// about 50 MiB held) under a 256 MiB limit took 102 s and peaked at 409
// MiB RSS with a sixth of it (42 MiB: the documents written and read
// again over and over), 53 s and 307 MiB with half.
func heldBudget() int64 {
	budget := maxHeldBytes
	if limit := debug.SetMemoryLimit(-1); limit > 0 && limit < math.MaxInt64 {
		budget = min(budget, max(limit/2, 4<<20))
	}
	return budget
}

func newApplier(tx *bolt.Tx) *applier {
	a := &applier{inits: map[string]*pendingInitiative{}}
	a.begin(tx)
	return a
}

// touched is about how many initiatives the applier changed in the file
// since begin (documents it holds unwritten change nothing yet).
func (a *applier) touched() int {
	if a.hold > 0 {
		return len(a.written)
	}
	return len(a.written) + a.dirty
}

// begin starts applying in tx.
func (a *applier) begin(tx *bolt.Tx) {
	a.tx, a.written, a.strategy = tx, map[string]struct{}{}, false
}

// endTx ends the applier's part of a transaction: it writes the changed
// documents, unless it holds them (the builder writes them, see
// builder.evict).
func (a *applier) endTx() error {
	if a.hold > 0 {
		return nil
	}
	return a.flush()
}

// heldBytes estimates the memory of the documents and chains the applier
// holds.
func (a *applier) heldBytes() int64 {
	return a.docBytes + int64(len(a.chains))*160
}

// resized notes that p's document may have changed size (for heldBytes).
func (a *applier) resized(p *pendingInitiative) {
	if a.hold == 0 {
		return
	}
	n := memSize(p)
	a.docBytes += n - p.size
	p.size = n
}

// storeKept publishes the ids of the documents held, for the reader.
func (a *applier) storeKept() {
	kept := make(map[string]struct{}, len(a.inits))
	for id := range a.inits {
		kept[id] = struct{}{}
	}
	a.kept.Store(&kept)
}

// memSize estimates the memory of d decoded: about 1.3 times its JSON.
func memSize(p *pendingInitiative) int64 {
	d := &p.d
	n := 600 + len(d.Title) + len(d.Description) + len(d.Owner) + len(d.FinalReport) + 80*(len(d.SubGoals)+len(d.UserGroups))
	for i := range d.Milestones {
		n += 330 + len(d.Milestones[i].Title)
	}
	n += 400*len(d.History) + len(p.statuses)
	if d.LatestStatus != nil {
		n += 420 + len(d.LatestStatus.Comment)
	}
	return int64(n)
}

// flush writes the changed initiative documents, in key order. Many of
// them are encoded on workers() goroutines first, a chunk at a time (so
// that few encoded documents wait to be written).
func (a *applier) flush() error {
	dirty := make([]string, 0, a.dirty)
	for id, p := range a.inits {
		if p.dirty {
			dirty = append(dirty, id)
		}
	}
	slices.Sort(dirty)
	for start := 0; start < len(dirty); start += encodeChunk {
		chunk := dirty[start:min(start+encodeChunk, len(dirty))]
		var enc []encodedInitiative
		if len(chunk) >= parallelEncodeMin {
			var err error
			if enc, err = encodeAll(a.inits, chunk); err != nil {
				return err
			}
		}
		for i, id := range chunk {
			p := a.inits[id]
			same := p.old != nil && p.d.Title == p.oldTitle && p.d.Description == p.oldDescription && p.d.Owner == p.oldOwner
			var e encodedInitiative
			if enc != nil {
				e = enc[i]
			} else {
				var err error
				if e, err = encodeInitiative(&p.d); err != nil {
					return err
				}
			}
			if err := writeEncodedInitiative(a.tx, &p.d, e, p.old, same); err != nil {
				return err
			}
			if p.changed {
				b, err := bucket(a.tx, BucketInitiativeStatus)
				if err != nil {
					return err
				}
				if err := b.Put([]byte(id), p.statuses); err != nil {
					return err
				}
				p.changed = false
			}
			a.written[id] = struct{}{}
			if a.hold > 0 || a.docs != nil {
				p.stored()
			}
			p.dirty = false
			if a.hold == 0 {
				a.docs.put(id, e.doc, p)
			}
		}
	}
	a.dirty = 0
	if a.hold == 0 {
		clear(a.inits)
	}
	return nil
}

// parallelEncodeMin is the fewest changed documents flush encodes on
// several goroutines, and encodeChunk the most it encodes before writing
// them.
const (
	parallelEncodeMin = 64
	encodeChunk       = 256
)

// encodeAll encodes the documents of ids on up to workers() goroutines.
func encodeAll(inits map[string]*pendingInitiative, ids []string) ([]encodedInitiative, error) {
	out := make([]encodedInitiative, len(ids))
	docs := make([]*InitiativeDetail, len(ids))
	for i, id := range ids {
		docs[i] = &inits[id].d
	}
	errs := make([]error, len(ids))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(workers(), len(ids)/16+1) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(ids) {
					return
				}
				out[i], errs[i] = encodeInitiative(docs[i])
			}
		})
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// stored notes that p.d is what the file holds.
func (p *pendingInitiative) stored() {
	c := cardOf(p.d)
	c.SubGoals, c.UserGroups = slices.Clone(c.SubGoals), slices.Clone(c.UserGroups)
	p.old, p.dirty = &c, false
	p.oldTitle, p.oldDescription, p.oldOwner = p.d.Title, p.d.Description, p.d.Owner
}

func (a *applier) apply(aggType, aggID string, r domain.Recorded) (bool, error) {
	if r.Event == nil {
		return false, nil
	}
	et := r.Event.EventType()
	if at, ok := domain.AggregateOf(et); !ok || string(at) != aggType {
		return false, nil
	}
	step := applySteps[et]
	if step == nil {
		return false, nil
	}
	return step(a, aggID, r)
}

// applyStep applies one event to the read models.
type applyStep func(a *applier, aggID string, r domain.Recorded) (bool, error)

// applySteps holds the apply step of every event type of the domain's
// registry; an event type without a read model (the series aggregate's)
// is listed with a nil step. TestApplyStepsComplete fails by name for an
// event type that is in neither.
var applySteps = stepsByType(
	on(func(a *applier, _ string, _ domain.Recorded, e domain.StrategicGoalDefined) (bool, error) {
		a.strategy = true
		return applyGoalDefined(a.tx, e)
	}),
	on(func(a *applier, _ string, _ domain.Recorded, e domain.SubGoalDefined) (bool, error) {
		a.strategy = true
		return applySubGoalDefined(a.tx, e)
	}),

	onInitiative[domain.InitiativeProposed](), onInitiative[domain.InitiativeWithdrawn](),
	onInitiative[domain.InitiativeAdmitted](), onInitiative[domain.InitiativeRejected](),
	onInitiative[domain.InitiativePhaseChanged](), onInitiative[domain.StatusReported](),
	onInitiative[domain.MilestonePlanned](), onInitiative[domain.MilestoneAchieved](),
	onInitiative[domain.MilestoneSlipped](), onInitiative[domain.InitiativePaused](),
	onInitiative[domain.InitiativeResumed](), onInitiative[domain.InitiativeClosed](),
	onInitiative[domain.InitiativeCancelled](),

	on(func(a *applier, id string, r domain.Recorded, e domain.MeetingScheduled) (bool, error) {
		return applyMeetingScheduled(a.tx, id, r, e)
	}),
	on(func(a *applier, id string, r domain.Recorded, _ domain.MeetingHeld) (bool, error) {
		return applyMeetingHeld(a.tx, id, r)
	}),

	on(func(a *applier, id string, r domain.Recorded, e domain.CaseRegistered) (bool, error) {
		return applyCaseRegistered(a.tx, id, r, e)
	}),
	on(func(a *applier, id string, r domain.Recorded, e domain.CasePlacedOnAgenda) (bool, error) {
		return applyCasePlaced(a.tx, id, r, e)
	}),
	on(func(a *applier, id string, r domain.Recorded, e domain.CaseNoted) (bool, error) {
		return applyDecision(a.tx, id, r, e.Decision, domain.OutcomeNoted, decisionText{Remarks: e.Remarks})
	}),
	on(func(a *applier, id string, r domain.Recorded, e domain.CaseDiscussed) (bool, error) {
		return applyDecision(a.tx, id, r, e.Decision, domain.OutcomeDiscussed, decisionText{Remarks: e.Remarks})
	}),
	on(func(a *applier, id string, r domain.Recorded, e domain.CaseRecommended) (bool, error) {
		return applyDecision(a.tx, id, r, e.Decision, domain.OutcomeRecommended, decisionText{Resolution: e.Resolution, Conditions: e.Conditions})
	}),
	on(func(a *applier, id string, r domain.Recorded, e domain.CaseApproved) (bool, error) {
		return applyDecision(a.tx, id, r, e.Decision, domain.OutcomeApproved, decisionText{Resolution: e.Resolution})
	}),
	on(func(a *applier, id string, r domain.Recorded, e domain.CaseRejected) (bool, error) {
		return applyDecision(a.tx, id, r, e.Decision, domain.OutcomeRejected, decisionText{Resolution: e.Resolution})
	}),
	on(func(a *applier, id string, r domain.Recorded, e domain.CaseDeferred) (bool, error) {
		return applyDecision(a.tx, id, r, e.Decision, domain.OutcomeDeferred, decisionText{Reason: e.Reason})
	}),
	on(func(a *applier, id string, r domain.Recorded, e domain.DecisionCorrected) (bool, error) {
		return applyCorrection(a.tx, id, r, e)
	}),

	on(func(a *applier, id string, r domain.Recorded, _ domain.IndicatorDefined) (bool, error) {
		return applyIndicator(a.tx, id, r)
	}),
	on(func(a *applier, id string, r domain.Recorded, _ domain.IndicatorValueRecorded) (bool, error) {
		return applyIndicator(a.tx, id, r)
	}),
	on(func(a *applier, id string, r domain.Recorded, _ domain.IndicatorValueCorrected) (bool, error) {
		return applyIndicator(a.tx, id, r)
	}),
	on(func(a *applier, _ string, r domain.Recorded, _ domain.ReportingRoundOpened) (bool, error) {
		return applyRound(a, r)
	}),
	on(func(a *applier, _ string, r domain.Recorded, _ domain.ReportingRoundClosed) (bool, error) {
		return applyRound(a, r)
	}),
	on(func(a *applier, id string, r domain.Recorded, _ domain.DependencyDeclared) (bool, error) {
		return a.applyDependency(id, r)
	}),
	on(func(a *applier, id string, r domain.Recorded, _ domain.DependencyRemoved) (bool, error) {
		return a.applyDependency(id, r)
	}),
	on(func(a *applier, id string, r domain.Recorded, _ domain.DependencyAtRisk) (bool, error) {
		return a.applyDependency(id, r)
	}),
	on(func(a *applier, id string, r domain.Recorded, _ domain.DependencyRiskCleared) (bool, error) {
		return a.applyDependency(id, r)
	}),
	on(func(a *applier, id string, r domain.Recorded, e domain.ConsultationOpened) (bool, error) {
		return applyConsultationOpened(a.tx, id, r, e)
	}),
	on(func(a *applier, id string, r domain.Recorded, e domain.BodiesInvited) (bool, error) {
		return applyBodiesInvited(a.tx, id, r, e)
	}),
	on(func(a *applier, id string, r domain.Recorded, e domain.ConsultationResponseRegistered) (bool, error) {
		return applyResponseRegistered(a.tx, id, r, e)
	}),
	on(func(a *applier, id string, r domain.Recorded, e domain.ConsultationResponseReplaced) (bool, error) {
		return applyResponseReplaced(a.tx, id, r, e)
	}),
	on(func(a *applier, id string, r domain.Recorded, e domain.ConsultationResponsePublished) (bool, error) {
		return applyResponsePublished(a.tx, id, r, e)
	}),
	on(func(a *applier, id string, r domain.Recorded, e domain.ConsultationClosed) (bool, error) {
		return applyConsultationClosed(a.tx, id, r, e)
	}),

	// The series numbers meetings and cases; the meeting and case events
	// carry the numbers, so the series has no read model.
	noReadModel[domain.MeetingNumberAssigned](),
	noReadModel[domain.CaseNumberAssigned](),
)

// typedStep is an apply step with its event type.
type typedStep struct {
	eventType string
	step      applyStep
}

// on is the apply step of events of type E.
func on[E domain.Event](f func(a *applier, aggID string, r domain.Recorded, e E) (bool, error)) typedStep {
	var zero E
	return typedStep{zero.EventType(), func(a *applier, aggID string, r domain.Recorded) (bool, error) {
		e, ok := r.Event.(E)
		if !ok {
			return false, nil
		}
		return f(a, aggID, r, e)
	}}
}

// onInitiative: the initiative document folds every initiative event.
func onInitiative[E domain.Event]() typedStep {
	return on(func(a *applier, id string, r domain.Recorded, _ E) (bool, error) { return a.applyInitiative(id, r) })
}

// noReadModel declares an event type that changes no read model.
func noReadModel[E domain.Event]() typedStep {
	var zero E
	return typedStep{zero.EventType(), nil}
}

func stepsByType(steps ...typedStep) map[string]applyStep {
	m := make(map[string]applyStep, len(steps))
	for _, s := range steps {
		if _, dup := m[s.eventType]; dup {
			panic("projections: two apply steps for " + s.eventType)
		}
		m[s.eventType] = s.step
	}
	return m
}

// item is one stream message on its way into a batch.
type item struct {
	Position uint64
	EventID  string // "" when the envelope could not be decoded
	AggType  string
	AggID    string
	Type     string
	Rec      domain.Recorded
	// Skip, when set, says why the message is not applied (it still
	// advances the checkpoint).
	Skip string
	// Msg is the stored message, for verification.
	Msg audit.Event
	// Reject, set by applyBatch, says why verification rejected it.
	Reject string

	// raw: only Position and Msg are set; decode fills in the rest.
	raw bool
	// env and hash are the envelope and hash audit reads, when
	// eventlog.DecodeRecord accepted the message (envOK).
	env   audit.Envelope
	hash  audit.Hash
	envOK bool
	// insp is audit.Inspect's verdict, computed by prepare before the batch
	// is applied (or by verifyItem if it was not).
	insp inspection
	// leafH is the message's part of the verified digest (leafOK: computed).
	leafH  audit.Hash
	leafOK bool
	// pre is its initiative's document, decoded ahead by a rebuild's
	// reader (nil: none).
	pre *prefetchedDoc
}

// checkpoint is the state of BucketMeta.
type checkpoint struct {
	Schema        int
	Position      uint64
	LastEventID   string
	StreamCreated string
	FirstEventID  string
	StreamName    string
	Applied       uint64
	Skipped       uint64
	Rejected      uint64
	TrustedKeys   string
}

func readCheckpoint(tx *bolt.Tx) checkpoint {
	b := tx.Bucket([]byte(BucketMeta))
	if b == nil {
		return checkpoint{}
	}
	schema, _ := strconv.Atoi(string(b.Get([]byte(metaSchema))))
	return checkpoint{
		Schema:        schema,
		Position:      getU64(b.Get([]byte(metaPosition))),
		LastEventID:   string(b.Get([]byte(metaLastEventID))),
		StreamCreated: string(b.Get([]byte(metaStreamCreated))),
		FirstEventID:  string(b.Get([]byte(metaFirstEventID))),
		StreamName:    string(b.Get([]byte(metaStreamName))),
		Applied:       getU64(b.Get([]byte(metaApplied))),
		Skipped:       getU64(b.Get([]byte(metaSkipped))),
		Rejected:      getU64(b.Get([]byte(metaRejected))),
		TrustedKeys:   string(b.Get([]byte(metaTrustedKeys))),
	}
}

func writeCheckpoint(tx *bolt.Tx, cp checkpoint) error {
	b, err := bucket(tx, BucketMeta)
	if err != nil {
		return err
	}
	for k, v := range map[string][]byte{
		metaSchema:        []byte(strconv.Itoa(cp.Schema)),
		metaPosition:      u64(cp.Position),
		metaLastEventID:   []byte(cp.LastEventID),
		metaStreamCreated: []byte(cp.StreamCreated),
		metaFirstEventID:  []byte(cp.FirstEventID),
		metaStreamName:    []byte(cp.StreamName),
		metaApplied:       u64(cp.Applied),
		metaSkipped:       u64(cp.Skipped),
		metaRejected:      u64(cp.Rejected),
		metaTrustedKeys:   []byte(cp.TrustedKeys),
	} {
		if err := b.Put([]byte(k), v); err != nil {
			return fmt.Errorf("projections: write checkpoint: %w", err)
		}
	}
	return nil
}

// identity is the stream identity written with the first batch.
type identity struct {
	Name    string
	Created string // RFC 3339 nano
}

// batchResult counts what a batch did.
type batchResult struct {
	Position uint64
	Applied  uint64
	Skipped  uint64
	Rejected uint64
	// Skips lists the skipped items, for logging after the commit.
	Skips []item
	// Rejects lists the rejected items, for logging after the commit.
	Rejects []item
	// Initiatives lists the initiatives whose documents the batch wrote,
	// and Strategy says whether it changed the strategy (for the
	// in-memory index).
	Initiatives map[string]struct{}
	Strategy    bool
}

// applyBatch applies items in order within tx and writes the checkpoint.
// Items at or before the checkpoint are ignored (a rebuild may have
// switched files under the runner). hook, when set, runs before each
// item; its error aborts the batch (tests inject crashes with it).
func applyBatch(tx *bolt.Tx, items []item, id identity, hook func(item) error) (batchResult, error) {
	return applyVerified(tx, items, id, hook, nil)
}

// applyVerified is applyBatch that, with keys, verifies each item first
// (signature, envelope, chain in BucketChains) and rejects those that fail.
func applyVerified(tx *bolt.Tx, items []item, id identity, hook func(item) error, keys audit.Keyring) (batchResult, error) {
	t, err := beginApply(tx, id, hook, keys, nil)
	if err != nil {
		return batchResult{}, err
	}
	if err := t.add(items); err != nil {
		return t.res, err
	}
	return t.end()
}

// txApply is applyVerified in parts: items can be added to the transaction
// in several slices (the rebuild applies the batches of its pipeline) before
// end writes the checkpoint.
type txApply struct {
	tx   *bolt.Tx
	id   identity
	hook func(item) error
	keys audit.Keyring
	cp   checkpoint
	res  batchResult
	a    *applier
	// ver is the verified digest (with keys); prior, when set, is the
	// verified prefix a rebuild trusts until it is confirmed (*confirmed).
	ver       verifiedState
	prior     *prior
	confirmed *bool
}

// beginApply starts applying in tx with a, or with a new applier when a is
// nil.
func beginApply(tx *bolt.Tx, id identity, hook func(item) error, keys audit.Keyring, a *applier) (*txApply, error) {
	if err := ensureBuckets(tx); err != nil {
		return nil, err
	}
	if a == nil {
		a = newApplier(tx)
	} else {
		a.begin(tx)
	}
	cp := readCheckpoint(tx)
	cp.TrustedKeys = keysText(keys)
	t := &txApply{tx: tx, id: id, hook: hook, keys: keys, cp: cp, res: batchResult{Position: cp.Position}, a: a}
	if keys != nil {
		var err error
		if t.ver, err = beginVerified(tx, cp); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// add applies items in order. Items at or before the checkpoint are
// ignored.
func (t *txApply) add(items []item) error {
	cp, res, a := &t.cp, &t.res, t.a
	for _, it := range items {
		if it.Position <= cp.Position {
			continue
		}
		it.decode()
		if t.hook != nil {
			if err := t.hook(it); err != nil {
				return fmt.Errorf("projections: apply position %d: %w", it.Position, err)
			}
		}
		if t.ver.on {
			t.ver.add(&it)
			if t.prior != nil && !*t.confirmed {
				if err := t.prior.check(&t.ver, it.Position); err != nil {
					return err
				}
				*t.confirmed = it.Position == t.prior.upTo
			}
		}
		if t.keys != nil {
			reason, err := verifyItem(t.tx, t.keys, &it, a.chains)
			if err != nil {
				return fmt.Errorf("projections: verify position %d: %w", it.Position, err)
			}
			if reason != "" {
				it.Reject = reason
				if t.ver.on {
					t.ver.rejected = append(t.ver.rejected, it.Position)
				}
				cp.Rejected++
				res.Rejected++
				res.Rejects = append(res.Rejects, it)
				if cp.FirstEventID == "" && cp.Position == 0 {
					cp.FirstEventID = it.EventID
				}
				cp.Position = it.Position
				cp.LastEventID = it.EventID
				continue
			}
		}
		applied := false
		if it.Skip == "" {
			var err error
			a.pre = it.pre
			applied, err = a.apply(it.AggType, it.AggID, it.Rec)
			a.pre = nil
			if err == nil && a.hold == 0 && a.dirty >= maxPendingInitiatives {
				err = a.flush()
			}
			if err != nil {
				return fmt.Errorf("projections: apply %s at position %d: %w", it.Type, it.Position, err)
			}
			if !applied && domain.AggregateType(it.AggType) != domain.Series {
				it.Skip = "no read model change (unknown type or unknown target)"
			}
		}
		if applied {
			cp.Applied++
			res.Applied++
		} else {
			cp.Skipped++
			res.Skipped++
			if it.Skip != "" {
				res.Skips = append(res.Skips, it)
			}
		}
		if cp.FirstEventID == "" && cp.Position == 0 {
			cp.FirstEventID = it.EventID
		}
		cp.Position = it.Position
		cp.LastEventID = it.EventID
	}
	return nil
}

// end writes what is pending and the checkpoint.
func (t *txApply) end() (batchResult, error) {
	cp, res, a := &t.cp, &t.res, t.a
	if err := a.endTx(); err != nil {
		return *res, fmt.Errorf("projections: apply: %w", err)
	}
	res.Initiatives, res.Strategy = a.written, a.strategy
	cp.Schema = SchemaVersion
	if t.id.Name != "" {
		cp.StreamName = t.id.Name
	}
	if t.id.Created != "" && cp.StreamCreated == "" {
		cp.StreamCreated = t.id.Created
	}
	res.Position = cp.Position
	if t.ver.on {
		if err := t.ver.write(t.tx, *cp); err != nil {
			return *res, err
		}
	}
	return *res, writeCheckpoint(t.tx, *cp)
}

// verifyItem checks an item against its aggregate's chain in BucketChains
// and, when it is good, moves the chain on. It returns the reason the item
// is rejected ("" when good); an error aborts the transaction. held, when
// not nil, holds chains instead of the file: the chain is read from it
// first and moved on in it (a rebuild writes them out at the end).
func verifyItem(tx *bolt.Tx, keys audit.Keyring, it *item, held map[string]audit.Link) (string, error) {
	it.inspect(keys)
	c, err := it.insp.checked, it.insp.err
	if err != nil {
		return err.Error(), nil
	}
	agg := c.Envelope.Aggregate()
	last, ok := held[agg]
	if !ok {
		if last, err = readChain(tx, agg); err != nil {
			return "", err
		}
	}
	if err := c.Follows(last); err != nil {
		return err.Error(), nil
	}
	if held != nil {
		held[agg] = c.Link()
		return "", nil
	}
	return "", writeChain(tx, agg, c.Link())
}

// readChain reads the last good link of an aggregate's chain (the zero
// link when there is none).
func readChain(tx *bolt.Tx, agg string) (audit.Link, error) {
	var last audit.Link
	b, err := bucket(tx, BucketChains)
	if err != nil {
		return last, err
	}
	if v := b.Get([]byte(agg)); v != nil {
		if len(v) != len(last.Hash)+8 {
			return last, &domain.Error{Kind: domain.KindInternal, Message: fmt.Sprintf("projections: corrupt chain entry for %s", agg)}
		}
		copy(last.Hash[:], v)
		last.Version = getU64(v[len(last.Hash):])
	}
	return last, nil
}

// writeChain stores the last good link of an aggregate's chain.
func writeChain(tx *bolt.Tx, agg string, l audit.Link) error {
	b, err := bucket(tx, BucketChains)
	if err != nil {
		return err
	}
	return b.Put([]byte(agg), append(l.Hash[:], u64(l.Version)...))
}

// keysText is the checkpoint's record of the trusted keys.
func keysText(keys audit.Keyring) string {
	return strings.Join(keys.IDs(), ",")
}
