package projections

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/ehelse/portfolio/domain"
)

// The initiative read models: the portfolio overview and one initiative's
// detail. Per initiative there are
//
//   - a document in BucketInitiatives (InitiativeDetail without status
//     history and cases),
//   - a card in BucketInitiativeCards (summary and milestones), which the
//     overview and the roadmap read,
//   - its folded search text in BucketInitiativeSearch,
//   - its status reports in BucketStatusHistory,
//   - its cases in BucketInitiativeCases (the cases' documents are the
//     council read model's),
//   - keys in the Idx… index buckets for each filterable field.

// initiativeCard is what lists read per initiative.
type initiativeCard struct {
	InitiativeSummary
	Milestones []MilestoneView `json:"milestones"`
}

// pending returns the initiative's document as the batch left it, reading
// it from tx the first time.
func (a *applier) pending(id string) (*pendingInitiative, error) {
	if p := a.inits[id]; p != nil {
		return p, nil
	}
	if p, err := a.docs.take(a.tx, id); err != nil || p != nil {
		if p != nil {
			a.inits[id] = p
		}
		return p, err
	}
	p := &pendingInitiative{}
	var found bool
	var err error
	if pre := a.pre; pre != nil && pre.id == id {
		found, err = a.prefetched(pre, &p.d)
	} else {
		found, err = getJSON(a.tx, BucketInitiatives, []byte(id), &p.d)
	}
	if err != nil {
		return nil, err
	}
	if found {
		p.exists = true
		p.stored()
	}
	a.inits[id] = p
	a.resized(p)
	return p, nil
}

// prefetchedDoc is an initiative document a rebuild's reader decoded ahead
// of the apply, from the file as last committed: raw is what it decoded.
type prefetchedDoc struct {
	id    string
	raw   []byte // nil: the file had no document
	d     InitiativeDetail
	taken bool
}

// prefetched reads the document of pre.id into d: pre's decoding when the
// file still holds the bytes it was decoded from (byte for byte, so the
// result is getJSON's), else the file's.
func (a *applier) prefetched(pre *prefetchedDoc, d *InitiativeDetail) (bool, error) {
	b, err := bucket(a.tx, BucketInitiatives)
	if err != nil {
		return false, err
	}
	v := b.Get([]byte(pre.id))
	switch {
	case v == nil:
		return false, nil
	case !pre.taken && pre.raw != nil && bytes.Equal(v, pre.raw):
		pre.taken = true
		*d = pre.d
		return true, nil
	}
	return getJSON(a.tx, BucketInitiatives, []byte(pre.id), d)
}

// prefetchDocs decodes, from db as last committed, the documents of the
// initiatives the items are about (for the apply's pending), outside the
// apply's transaction, except those the apply keeps decoded (kept, may be
// nil; a stale set costs only time).
func prefetchDocs(db *bolt.DB, items []item, kept *map[string]struct{}) error {
	seen := map[string]bool{}
	return db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(BucketInitiatives))
		if b == nil {
			return nil
		}
		for i := range items {
			it := &items[i]
			if it.Skip != "" || it.Rec.Event == nil || domain.AggregateType(it.AggType) != domain.Initiative || seen[it.AggID] {
				continue
			}
			if kept != nil {
				if _, ok := (*kept)[it.AggID]; ok {
					continue
				}
			}
			seen[it.AggID] = true
			pre := &prefetchedDoc{id: it.AggID}
			if v := b.Get([]byte(it.AggID)); v != nil {
				pre.raw = bytes.Clone(v)
				if json.Unmarshal(pre.raw, &pre.d) != nil {
					pre.raw = nil // the apply reports it
				}
			}
			it.pre = pre
		}
		return nil
	})
}

func (a *applier) applyInitiative(id string, r domain.Recorded) (bool, error) {
	pi, err := a.pending(id)
	if err != nil {
		return false, err
	}
	applied, status, err := evolveInitiative(&pi.d, pi.exists, id, r)
	if err != nil {
		return false, err
	}
	if !applied {
		return false, nil
	}
	if status != nil {
		if err := a.addStatus(pi, id, r.Position, *status); err != nil {
			return false, err
		}
		if err := putRoundStatus(a.tx, id, *status); err != nil {
			return false, err
		}
	}
	if e, ok := r.Event.(domain.MilestoneSlipped); ok {
		if i := milestoneIndex(pi.d.Milestones, e.MilestoneID); i >= 0 {
			if err := putSlip(a.tx, pi.d, pi.d.Milestones[i], e, r); err != nil {
				return false, err
			}
		}
	}
	if !pi.dirty {
		pi.dirty = true
		a.dirty++
	}
	pi.exists = true
	a.resized(pi)
	return true, nil
}

// addStatus appends a status report to BucketStatusHistory and its
// position to the initiative's (written with its document).
func (a *applier) addStatus(p *pendingInitiative, id string, pos uint64, s StatusView) error {
	if !p.statusesLoaded {
		b, err := bucket(a.tx, BucketInitiativeStatus)
		if err != nil {
			return err
		}
		p.statuses = bytes.Clone(b.Get([]byte(id)))
		p.statusesLoaded = true
	}
	b, err := bucket(a.tx, BucketStatusHistory)
	if err != nil {
		return err
	}
	b.FillPercent = 1 // appended in log order: no room for inserts needed
	data, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("projections: encode %s: %w", BucketStatusHistory, err)
	}
	if err := b.Put(u64(pos), data); err != nil {
		return err
	}
	p.statuses = append(p.statuses, u64(pos)...)
	p.changed = true
	return nil
}

// statusHistory reads an initiative's status reports, in log order.
func statusHistory(tx *bolt.Tx, id string) ([]StatusView, error) {
	out := []StatusView{}
	idx, err := bucket(tx, BucketInitiativeStatus)
	if err != nil {
		return nil, err
	}
	positions := idx.Get([]byte(id))
	if len(positions)%8 != 0 {
		return nil, corrupt(BucketInitiativeStatus, []byte(id), fmt.Errorf("%d bytes, not positions of 8", len(positions)))
	}
	for i := 0; i < len(positions); i += 8 {
		var s StatusView
		found, err := getJSON(tx, BucketStatusHistory, positions[i:i+8], &s)
		if err != nil {
			return nil, err
		}
		if !found {
			return nil, corrupt(BucketStatusHistory, positions[i:i+8], errors.New("the status report is missing"))
		}
		out = append(out, s)
	}
	return out, nil
}

// evolveInitiative applies one initiative event to the initiative's view d
// (exists: d holds a proposed initiative), the projection's one rule for
// both the stored read model and time travel (InitiativeAt). It reports
// whether the event changed d, and returns the status report an event
// adds to the status history, which d keeps only as LatestStatus.
func evolveInitiative(d *InitiativeDetail, exists bool, id string, r domain.Recorded) (bool, *StatusView, error) {
	p, isProposal := r.Event.(domain.InitiativeProposed)
	if !exists && !isProposal {
		return false, nil, nil // an event about an initiative we never saw proposed
	}
	at := r.Time.UTC()
	change := func(event, reason, caseID, meetingID string) {
		d.History = append(d.History, LifecycleChange{
			Event: event, State: d.State, Phase: d.Phase, Reason: reason,
			CaseID: caseID, Meeting: meetingID, At: at, EventID: r.ID, Position: r.Position,
		})
	}
	var status *StatusView
	switch e := r.Event.(type) {
	case domain.InitiativeProposed:
		phase := e.Phase
		if phase == "" {
			phase = domain.PhaseConcept
		}
		history := d.History
		*d = InitiativeDetail{
			InitiativeSummary: InitiativeSummary{
				InitiativeID:     id,
				Title:            e.Title,
				Owner:            e.Owner,
				Phase:            phase,
				State:            domain.LifecycleProposed,
				PrimaryGoal:      e.PrimaryGoal,
				PrimarySubGoal:   e.PrimarySubGoal,
				SubGoals:         nonNil(e.SubGoals),
				UserGroups:       nonNil(e.UserGroups),
				PlannedStart:     e.PlannedStart,
				PlannedEnd:       e.PlannedEnd,
				EstimatedCostNOK: e.EstimatedCostNOK,
			},
			Description: e.Description,
			ProposedAt:  at,
			Milestones:  []MilestoneView{},
			History:     history,
		}
		change(p.EventType(), "", "", "")
	case domain.InitiativeWithdrawn:
		d.State = domain.LifecycleWithdrawn
		change(e.EventType(), e.Reason, "", "")
	case domain.InitiativeAdmitted:
		d.State = domain.LifecycleInPortfolio
		if e.Phase != "" {
			d.Phase = e.Phase
		}
		change(e.EventType(), "", e.CaseID, e.MeetingID)
	case domain.InitiativeRejected:
		d.State = domain.LifecycleRejected
		change(e.EventType(), "", e.CaseID, e.MeetingID)
	case domain.InitiativePhaseChanged:
		d.Phase = e.To
		change(e.EventType(), "", e.CaseID, e.MeetingID)
	case domain.InitiativePaused:
		d.State = domain.LifecyclePaused
		change(e.EventType(), e.Reason, "", "")
	case domain.InitiativeResumed:
		d.State = domain.LifecycleInPortfolio
		change(e.EventType(), e.Reason, "", "")
	case domain.InitiativeClosed:
		d.State = domain.LifecycleClosed
		d.Phase = domain.PhaseClosed
		d.FinalReport = e.FinalReport
		change(e.EventType(), "", "", "")
	case domain.InitiativeCancelled:
		d.State = domain.LifecycleCancelled
		change(e.EventType(), e.Reason, "", "")
	case domain.StatusReported:
		s := StatusView{
			ReportDate: e.ReportDate, Overall: e.Overall, Schedule: e.Schedule, Cost: e.Cost,
			Benefit: e.Benefit, Comment: e.Comment, ReportedAt: at, ReportedBy: r.Actor,
			EventID: r.ID, Position: r.Position, RoundID: e.RoundID,
		}
		status = &s
		if d.LatestStatus == nil || s.ReportDate >= d.LatestStatus.ReportDate {
			d.LatestStatus = &s
		}
	case domain.MilestonePlanned:
		i := milestoneIndex(d.Milestones, e.MilestoneID)
		m := MilestoneView{MilestoneID: e.MilestoneID, Title: e.Title, Status: domain.MilestonePlannedStatus,
			PlannedDate: e.PlannedDate, OriginalPlannedDate: e.PlannedDate}
		if i < 0 {
			d.Milestones = append(d.Milestones, m)
		} else {
			d.Milestones[i] = m
		}
	case domain.MilestoneAchieved:
		i := milestoneIndex(d.Milestones, e.MilestoneID)
		if i < 0 {
			return false, nil, nil
		}
		d.Milestones[i].Status = domain.MilestoneAchievedStatus
		d.Milestones[i].AchievedDate = e.AchievedDate
	case domain.MilestoneSlipped:
		i := milestoneIndex(d.Milestones, e.MilestoneID)
		if i < 0 {
			return false, nil, nil
		}
		d.Milestones[i].Status = domain.MilestoneSlippedStatus
		d.Milestones[i].PlannedDate = e.NewPlannedDate
		d.Milestones[i].Slips++
	default:
		// applySteps sends only initiative events here: one without a
		// case above is a missing apply step.
		return false, nil, fmt.Errorf("projections: no apply step for initiative event %s", r.Event.EventType())
	}
	sort.SliceStable(d.Milestones, func(i, j int) bool {
		a, b := d.Milestones[i], d.Milestones[j]
		if a.PlannedDate != b.PlannedDate {
			return a.PlannedDate < b.PlannedDate
		}
		return a.MilestoneID < b.MilestoneID
	})
	d.Version = r.Version
	d.LastUpdated = at
	d.Position = r.Position
	return true, status, nil
}

func milestoneIndex(ms []MilestoneView, id string) int {
	for i, m := range ms {
		if m.MilestoneID == id {
			return i
		}
	}
	return -1
}

// nonNil copies s into a slice that is never nil (an empty one when s is
// nil or empty), so that answers show [] and never null.
func nonNil(s []string) []string {
	return append([]string{}, s...)
}

func cardOf(d InitiativeDetail) initiativeCard {
	return initiativeCard{InitiativeSummary: d.InitiativeSummary, Milestones: d.Milestones}
}

func searchText(d InitiativeDetail) string {
	return fold(d.Title) + "\n" + fold(d.Description) + "\n" + fold(d.Owner)
}

// indexKeys returns the index entries of an initiative, per index bucket.
func indexKeys(c InitiativeSummary) map[string][][]byte {
	id := c.InitiativeID
	out := map[string][][]byte{
		IdxInitiativeGoal:  {key(c.PrimaryGoal, id)},
		IdxInitiativeOwner: {key(fold(c.Owner), id)},
		IdxInitiativePhase: {key(string(c.Phase), id)},
		IdxInitiativeState: {key(string(c.State), id)},
	}
	seen := map[string]bool{}
	for _, s := range append([]string{c.PrimarySubGoal}, c.SubGoals...) {
		if !seen[s] {
			seen[s] = true
			out[IdxInitiativeSubGoal] = append(out[IdxInitiativeSubGoal], key(s, id))
		}
	}
	seen = map[string]bool{}
	for _, g := range c.UserGroups {
		if f := fold(g); !seen[f] {
			seen[f] = true
			out[IdxInitiativeUserGroup] = append(out[IdxInitiativeUserGroup], key(f, id))
		}
	}
	return out
}

// encodedInitiative is an initiative's document and card in JSON.
type encodedInitiative struct {
	doc, card []byte
}

// encodeInitiative encodes what writeInitiative stores of d as JSON. It
// only reads d, so documents can be encoded on several goroutines.
func encodeInitiative(d *InitiativeDetail) (encodedInitiative, error) {
	stored := *d
	stored.StatusHistory, stored.Cases = nil, nil
	doc, err := json.Marshal(stored)
	if err != nil {
		return encodedInitiative{}, fmt.Errorf("projections: encode %s: %w", BucketInitiatives, err)
	}
	card, err := json.Marshal(cardOf(*d))
	if err != nil {
		return encodedInitiative{}, fmt.Errorf("projections: encode %s: %w", BucketInitiativeCards, err)
	}
	return encodedInitiative{doc: doc, card: card}, nil
}

// writeEncodedInitiative stores the document, card, search text and index
// entries of d, encoded as enc, replacing the old card's index entries.
// sameSearch says that the search text stored with the old card is d's;
// the search text and the index entries are written only when they
// change.
func writeEncodedInitiative(tx *bolt.Tx, d *InitiativeDetail, enc encodedInitiative, old *initiativeCard, sameSearch bool) error {
	id := []byte(d.InitiativeID)
	docs, err := bucket(tx, BucketInitiatives)
	if err != nil {
		return err
	}
	if err := docs.Put(id, enc.doc); err != nil {
		return err
	}
	cards, err := bucket(tx, BucketInitiativeCards)
	if err != nil {
		return err
	}
	if err := cards.Put(id, enc.card); err != nil {
		return err
	}
	card := initiativeCard{InitiativeSummary: d.InitiativeSummary}
	sb, err := bucket(tx, BucketInitiativeSearch)
	if err != nil {
		return err
	}
	if old == nil || !sameSearch {
		if err := sb.Put(id, []byte(searchText(*d))); err != nil {
			return err
		}
	}
	if old != nil && sameIndexFields(&old.InitiativeSummary, &card.InitiativeSummary) {
		return nil // the same index entries, stored with the old card
	}
	newKeys := indexKeys(card.InitiativeSummary)
	if old != nil {
		for name, ks := range indexKeys(old.InitiativeSummary) {
			for _, k := range ks {
				if !containsKey(newKeys[name], k) {
					if err := deleteKey(tx, name, k); err != nil {
						return err
					}
				}
			}
		}
	}
	for name, ks := range newKeys {
		for _, k := range ks {
			if err := putIndex(tx, name, k); err != nil {
				return err
			}
		}
	}
	return nil
}

// sameIndexFields reports whether a and b have the same index entries.
func sameIndexFields(a, b *InitiativeSummary) bool {
	return a.InitiativeID == b.InitiativeID && a.PrimaryGoal == b.PrimaryGoal && a.Owner == b.Owner &&
		a.Phase == b.Phase && a.State == b.State && a.PrimarySubGoal == b.PrimarySubGoal &&
		slices.Equal(a.SubGoals, b.SubGoals) && slices.Equal(a.UserGroups, b.UserGroups)
}

func containsKey(ks [][]byte, k []byte) bool {
	for _, x := range ks {
		if bytes.Equal(x, k) {
			return true
		}
	}
	return false
}

// selection is what the overview and the roadmap filter initiatives by.
type selection struct {
	Goal, SubGoal, Owner, Phase, State, UserGroup, Q string
}

func (m *ReadModels) initiativesQuery(f InitiativeFilter) ([]InitiativeSummary, error) {
	x, err := m.cards()
	if err != nil {
		return nil, err
	}
	return x.initiatives(selection(f)), nil
}

func (m *ReadModels) initiativeQuery(id string) (InitiativeDetail, error) {
	var d InitiativeDetail
	err := m.view(func(tx *bolt.Tx) error {
		err := getOne(tx, BucketInitiatives, "initiative", id, &d)
		if err != nil {
			return err
		}
		if d.StatusHistory, err = statusHistory(tx, id); err != nil {
			return err
		}
		d.Cases = []InitiativeCase{}
		regs, err := initiativeCases(tx, id)
		if err != nil {
			return err
		}
		for _, c := range regs {
			d.Cases = append(d.Cases, initiativeCaseOf(c))
		}
		if d.Milestones == nil {
			d.Milestones = []MilestoneView{}
		}
		if d.History == nil {
			d.History = []LifecycleChange{}
		}
		return nil
	})
	if err != nil {
		return InitiativeDetail{}, err
	}
	return d, nil
}

// InitiativeAt is the initiative as it was after events, its own events
// up to a time or version in log order (services.History.InitiativeUntil),
// in the shape of the current state (Initiative): the events are folded
// with the projection's own rule, and the council cases are those
// registered by asOf, with their path up to asOf. It returns a
// KindNotFound error when the events do not propose the initiative.
func (m *ReadModels) InitiativeAt(id string, events []domain.Recorded, asOf time.Time) (InitiativeDetail, error) {
	var d InitiativeDetail
	exists := false
	statuses := []StatusView{}
	for _, r := range events {
		applied, status, err := evolveInitiative(&d, exists, id, r)
		if err != nil {
			return InitiativeDetail{}, err
		}
		exists = exists || applied
		if status != nil {
			statuses = append(statuses, *status)
		}
	}
	if !exists || id == "" {
		return InitiativeDetail{}, notFound("initiative", id)
	}
	sort.SliceStable(statuses, func(i, j int) bool { return statuses[i].Position < statuses[j].Position })
	d.StatusHistory = statuses
	if d.Milestones == nil {
		d.Milestones = []MilestoneView{}
	}
	if d.History == nil {
		d.History = []LifecycleChange{}
	}
	d.Cases = []InitiativeCase{}
	err := m.view(func(tx *bolt.Tx) error {
		regs, err := initiativeCases(tx, id)
		for _, c := range regs {
			if c.RegisteredAt.After(asOf) {
				continue
			}
			path := c.Path[:0:0]
			for _, st := range c.Path {
				if !st.RecordedAt.After(asOf) {
					path = append(path, st)
				}
			}
			c.Path = path
			d.Cases = append(d.Cases, initiativeCaseOf(c))
		}
		return err
	})
	if err != nil {
		return InitiativeDetail{}, err
	}
	return d, nil
}

// initiativeCases reads the cases registered about an initiative, in the
// order they were registered.
func initiativeCases(tx *bolt.Tx, id string) ([]CaseDetail, error) {
	var regs []CaseDetail
	err := scanPrefix(tx, BucketInitiativeCases, key(id, ""), func(k, _ []byte) error {
		var c CaseDetail
		ok, err := getJSON(tx, BucketCases, []byte(lastPart(k)), &c)
		if ok {
			regs = append(regs, c)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(regs, func(i, j int) bool {
		if !regs[i].RegisteredAt.Equal(regs[j].RegisteredAt) {
			return regs[i].RegisteredAt.Before(regs[j].RegisteredAt)
		}
		return regs[i].CaseID < regs[j].CaseID
	})
	return regs, nil
}

func initiativeCaseOf(c CaseDetail) InitiativeCase {
	ic := InitiativeCase{
		CaseID: c.CaseID, Forum: c.Forum, Title: c.Title, CaseType: c.CaseType,
		Purpose: c.Purpose, TargetPhase: c.TargetPhase, CaseNumbers: []string{},
	}
	for _, s := range c.Path {
		switch s.Kind {
		case StepPlaced:
			ic.CaseNumbers = append(ic.CaseNumbers, s.CaseNumber)
		case StepDecision:
			ic.LastOutcome, ic.LastForum = s.Outcome, s.Forum
		}
	}
	return ic
}
