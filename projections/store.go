package projections

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"

	bolt "go.etcd.io/bbolt"

	"github.com/ehelse/portfolio/domain"
)

// SchemaVersion is the version of the read models' layout. A file written
// with another version is rebuilt. 2: lists are stored as [] and never as
// null (the HTTP layer no longer patches them). 3: status reports are
// keyed by position, with each initiative's positions beside them
// (BucketInitiativeStatus).
const SchemaVersion = 3

// Bucket names. Document buckets hold JSON values; index buckets (Idx…)
// hold keys "value\x00id" with empty values.
const (
	// BucketMeta holds the checkpoint and the stream identity (meta keys).
	BucketMeta = "meta"

	// BucketGoals: "strategy\x00goalId" → GoalView (without sub-goals).
	BucketGoals = "strategy_goals"
	// BucketSubGoals: "strategy\x00goalId\x00subGoalId" → SubGoalView.
	BucketSubGoals = "strategy_subgoals"

	// BucketInitiatives: id → the initiative document (InitiativeDetail
	// without status history and cases).
	BucketInitiatives = "initiatives"
	// BucketInitiativeCards: id → the small document lists and the roadmap
	// read (summary and milestones).
	BucketInitiativeCards = "initiative_cards"
	// BucketInitiativeSearch: id → folded "title\ndescription\nowner".
	BucketInitiativeSearch = "initiative_search"
	// BucketStatusHistory: position (8 bytes, big-endian) → StatusView:
	// every initiative's status reports in log order, so that they are
	// appended and never inserted among others (a rebuild writes each
	// page once).
	BucketStatusHistory = "status_reports"
	// BucketInitiativeStatus: id → the positions of the initiative's
	// status reports in BucketStatusHistory, in log order (8 bytes each,
	// big-endian).
	BucketInitiativeStatus = "initiative_status_positions"
	// BucketInitiativeCases: "initiativeId\x00caseId" → empty.
	BucketInitiativeCases = "initiative_cases"
	// IdxInitiativeGoal: "primaryGoal\x00id".
	IdxInitiativeGoal = "idx_initiative_goal"
	// IdxInitiativeSubGoal: "subGoal\x00id" for the primary and other sub-goals.
	IdxInitiativeSubGoal = "idx_initiative_subgoal"
	// IdxInitiativeOwner: "folded owner\x00id".
	IdxInitiativeOwner = "idx_initiative_owner"
	// IdxInitiativePhase: "phase\x00id".
	IdxInitiativePhase = "idx_initiative_phase"
	// IdxInitiativeState: "lifecycle\x00id".
	IdxInitiativeState = "idx_initiative_state"
	// IdxInitiativeUserGroup: "folded user group\x00id".
	IdxInitiativeUserGroup = "idx_initiative_usergroup"

	// BucketMeetings: id → meeting document.
	BucketMeetings = "meetings"
	// IdxMeetingForumYear: "forum\x00YYYY\x00date\x00id".
	IdxMeetingForumYear = "idx_meeting_forum_year"
	// BucketAgenda: "meetingId\x00caseId" → AgendaItem.
	BucketAgenda = "agenda"
	// BucketCases: id → CaseDetail.
	BucketCases = "cases"
	// BucketDecisions: "meetingDate\x00position" → DecisionEntry.
	BucketDecisions = "decisions"
	// IdxDecisionForum: "forum\x00meetingDate\x00position".
	IdxDecisionForum = "idx_decision_forum"
	// IdxDecisionInitiative: "initiativeId\x00meetingDate\x00position".
	IdxDecisionInitiative = "idx_decision_initiative"
	// IdxDecisionEvent: event id → key in BucketDecisions.
	IdxDecisionEvent = "idx_decision_event"

	// BucketChains: "aggregateType/aggregateId" → the aggregate's last good
	// event: its 32-byte hash followed by its 8-byte big-endian version.
	// Written only when Config.TrustedKeys is set.
	BucketChains = "audit_chains"
)

// AllBuckets lists every bucket of the read models.
var AllBuckets = []string{
	BucketMeta,
	BucketGoals, BucketSubGoals,
	BucketInitiatives, BucketInitiativeCards, BucketInitiativeSearch,
	BucketStatusHistory, BucketInitiativeStatus, BucketInitiativeCases,
	IdxInitiativeGoal, IdxInitiativeSubGoal, IdxInitiativeOwner,
	IdxInitiativePhase, IdxInitiativeState, IdxInitiativeUserGroup,
	BucketMeetings, IdxMeetingForumYear, BucketAgenda, BucketCases,
	BucketDecisions, IdxDecisionForum, IdxDecisionInitiative, IdxDecisionEvent,
	BucketChains, BucketVerified, BucketVerifiedRejected,
	BucketIndicators, IdxIndicatorGoal,
	BucketRounds, BucketRoundStatus, BucketSlips, BucketReports,
	BucketDependencies,
	BucketConsultations,
}

// Keys of BucketMeta.
const (
	metaSchema        = "schema"         // decimal SchemaVersion
	metaPosition      = "position"       // 8-byte big-endian last applied position
	metaLastEventID   = "last_event_id"  // id of the event at position ("" if undecodable)
	metaStreamCreated = "stream_created" // RFC 3339 nano creation time of the stream
	metaFirstEventID  = "first_event_id" // id of the stream's first event
	metaSkipped       = "skipped"        // 8-byte count of skipped events
	metaApplied       = "applied"        // 8-byte count of applied events
	metaStreamName    = "stream_name"    // the stream the models follow
	metaRejected      = "rejected"       // 8-byte count of events rejected by verification
	metaTrustedKeys   = "trusted_keys"   // comma-separated sorted key ids ("" when not verifying)
)

// sep separates the parts of composite keys.
const sep = "\x00"

func key(parts ...string) []byte { return []byte(strings.Join(parts, sep)) }

func u64(n uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, n)
	return b
}

func getU64(b []byte) uint64 {
	if len(b) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

// posKey renders a position so that keys sort by it.
func posKey(p uint64) string { return fmt.Sprintf("%020d", p) }

// ensureBuckets creates every bucket that is missing.
func ensureBuckets(tx *bolt.Tx) error {
	for _, name := range AllBuckets {
		if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
			return fmt.Errorf("projections: create bucket %s: %w", name, err)
		}
	}
	return nil
}

// bucket returns a bucket that must exist.
func bucket(tx *bolt.Tx, name string) (*bolt.Bucket, error) {
	b := tx.Bucket([]byte(name))
	if b == nil {
		return nil, &domain.Error{Kind: domain.KindInternal, Message: "projections: missing bucket " + name}
	}
	return b, nil
}

func putJSON(tx *bolt.Tx, bucketName string, k []byte, v any) error {
	b, err := bucket(tx, bucketName)
	if err != nil {
		return err
	}
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("projections: encode %s: %w", bucketName, err)
	}
	return b.Put(k, data)
}

// getJSON decodes the value at k into v; it reports false when missing.
// getOne reads the value under id into v; a KindNotFound error names what
// when there is none (or id is empty).
func getOne(tx *bolt.Tx, bucketName, what, id string, v any) error {
	ok, err := getJSON(tx, bucketName, []byte(id), v)
	if err != nil {
		return err
	}
	if !ok || id == "" {
		return notFound(what, id)
	}
	return nil
}

func getJSON(tx *bolt.Tx, bucketName string, k []byte, v any) (bool, error) {
	b, err := bucket(tx, bucketName)
	if err != nil {
		return false, err
	}
	data := b.Get(k)
	if data == nil {
		return false, nil
	}
	if err := json.Unmarshal(data, v); err != nil {
		return false, &domain.Error{Kind: domain.KindInternal, Message: fmt.Sprintf("projections: decode %s/%q", bucketName, k), Err: err}
	}
	return true, nil
}

func putIndex(tx *bolt.Tx, bucketName string, k []byte) error {
	b, err := bucket(tx, bucketName)
	if err != nil {
		return err
	}
	return b.Put(k, []byte{})
}

func deleteKey(tx *bolt.Tx, bucketName string, k []byte) error {
	b, err := bucket(tx, bucketName)
	if err != nil {
		return err
	}
	return b.Delete(k)
}

// scanJSON calls fn with each value under a key with the prefix, in key
// order, decoded from JSON.
func scanJSON[T any](tx *bolt.Tx, bucketName string, prefix []byte, fn func(k []byte, v T) error) error {
	return scanPrefix(tx, bucketName, prefix, func(k, data []byte) error {
		var v T
		if err := json.Unmarshal(data, &v); err != nil {
			return corrupt(bucketName, k, err)
		}
		return fn(k, v)
	})
}

// scanPrefix calls fn for each key with the prefix, in key order.
func scanPrefix(tx *bolt.Tx, bucketName string, prefix []byte, fn func(k, v []byte) error) error {
	b, err := bucket(tx, bucketName)
	if err != nil {
		return err
	}
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}

// indexIDs returns the ids under "value\x00" in an index bucket.
func indexIDs(tx *bolt.Tx, bucketName, value string) (map[string]bool, error) {
	out := map[string]bool{}
	prefix := []byte(value + sep)
	err := scanPrefix(tx, bucketName, prefix, func(k, _ []byte) error {
		out[string(k[len(prefix):])] = true
		return nil
	})
	return out, err
}

// lastPart is the part of a composite key after its last separator.
func lastPart(k []byte) string {
	if i := bytes.LastIndexByte(k, 0); i >= 0 {
		return string(k[i+1:])
	}
	return string(k)
}

// notFound is the KindNotFound error of a query.
func notFound(what, id string) error {
	return domain.Errorf(domain.KindNotFound, "%s %s not found", what, id)
}

// naturalLess orders ids like "M2" before "M10" and "1A" before "10A".
func naturalLess(a, b string) bool {
	for a != "" && b != "" {
		da, db := unicode.IsDigit(rune(a[0])), unicode.IsDigit(rune(b[0]))
		if da && db {
			na, ra := leadingDigits(a)
			nb, rb := leadingDigits(b)
			ia, _ := strconv.ParseUint(na, 10, 64)
			ib, _ := strconv.ParseUint(nb, 10, 64)
			if ia != ib {
				return ia < ib
			}
			if len(na) != len(nb) {
				return len(na) < len(nb)
			}
			a, b = ra, rb
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func leadingDigits(s string) (string, string) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i], s[i:]
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Dump renders every bucket's keys and values in order, for comparing two
// read model files in tests and tools. Bucket order and key order are
// bbolt's byte order, so equal contents give equal dumps.
func Dump(tx *bolt.Tx) string {
	var b strings.Builder
	_ = tx.ForEach(func(name []byte, bk *bolt.Bucket) error {
		fmt.Fprintf(&b, "[%s]\n", name)
		return bk.ForEach(func(k, v []byte) error {
			if bytes.Equal(name, []byte(BucketMeta)) && (string(k) == metaStreamCreated || string(k) == metaStreamName) {
				return nil // identity of the source, not of the contents
			}
			if bytes.Equal(name, []byte(BucketVerified)) && bytes.Equal(k, verifiedKey) {
				v = normalizeVerified(v) // without the stream's identity
			}
			fmt.Fprintf(&b, "%q = %q\n", k, v)
			return nil
		})
	})
	return b.String()
}
