package web

import (
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // Europe/Oslo on hosts without a zoneinfo database

	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"github.com/ehelse/portfolio/domain"
)

// oslo is the time zone every time on the site is shown in.
var oslo = func() *time.Location {
	l, err := time.LoadLocation("Europe/Oslo")
	if err != nil {
		return time.FixedZone("CET", 3600)
	}
	return l
}()

// dateNO formats a date the Norwegian way: "6. desember 2026". An invalid
// or empty date is "".
func dateNO(d domain.Date) string { return d.Norsk() }

// timeNO formats an instant in Oslo time: "6. desember 2026 kl. 11.25".
func timeNO(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(oslo)
	return domain.NorskDay(t) + " kl. " + t.Format("15.04")
}

// dayNO formats an instant's Oslo date: "6. desember 2026".
func dayNO(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return domain.NorskDay(t.In(oslo))
}

// amountNO formats whole kroner with space as thousands separator:
// "240 000 000 kr".
func amountNO(n int64) string {
	neg := n < 0
	if neg {
		n = -n
	}
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	if neg {
		b.WriteString("−")
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	b.WriteString(" kr")
	return b.String()
}

// collators are not safe for concurrent use; a pool gives each sort its own.
// CLDR's Norwegian order (Æ Ø Å after Z) is the same for bokmål and
// nynorsk; x/text's table for "nb" falls back to the root order (Æ as AE,
// Å as A), its "nn" table has the Norwegian rules.
var collators = sync.Pool{New: func() any { return collate.New(language.Make("nn"), collate.IgnoreCase) }}

// sortKeys caches collation keys: the same titles are sorted on every
// page view.
var sortKeys = struct {
	sync.RWMutex
	m map[string]string
}{m: map[string]string{}}

// maxSortKeys bounds the cache; it starts over when full.
const maxSortKeys = 100_000

// sortKey is s's collation key in Norwegian order.
func sortKey(s string) string {
	sortKeys.RLock()
	k, ok := sortKeys.m[s]
	sortKeys.RUnlock()
	if ok {
		return k
	}
	c := collators.Get().(*collate.Collator)
	var buf collate.Buffer
	k = string(c.KeyFromString(&buf, s))
	collators.Put(c)
	sortKeys.Lock()
	if len(sortKeys.m) >= maxSortKeys {
		sortKeys.m = map[string]string{}
	}
	sortKeys.m[s] = k
	sortKeys.Unlock()
	return k
}

// sortNO sorts xs by key in Norwegian order (æ, ø, å after z), stably.
func sortNO[T any](xs []T, key func(T) string) {
	keys := make([]string, len(xs))
	for i, x := range xs {
		keys[i] = sortKey(key(x))
	}
	idx := make([]int, len(xs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return keys[idx[a]] < keys[idx[b]] })
	out := make([]T, len(xs))
	for i, j := range idx {
		out[i] = xs[j]
	}
	copy(xs, out)
}

// compareNO compares two strings in Norwegian order.
func compareNO(a, b string) int {
	c := collators.Get().(*collate.Collator)
	defer collators.Put(c)
	return c.CompareString(a, b)
}

// nameOf is k's name in names, or k itself when it has none.
func nameOf[K ~string](names map[K]string, k K) string {
	if n, ok := names[k]; ok {
		return n
	}
	return string(k)
}

func phaseNO(p domain.Phase) string { return p.Norsk() }

var stateNames = map[domain.Lifecycle]string{
	domain.LifecycleProposed: "Meldt inn", domain.LifecycleInPortfolio: "I porteføljen",
	domain.LifecyclePaused: "Midlertidig stanset", domain.LifecycleRejected: "Avvist",
	domain.LifecycleWithdrawn: "Trukket", domain.LifecycleClosed: "Avsluttet", domain.LifecycleCancelled: "Avbrutt",
}

// states lists the lifecycle states in the order the filters show them.
var states = []domain.Lifecycle{domain.LifecycleProposed, domain.LifecycleInPortfolio, domain.LifecyclePaused,
	domain.LifecycleClosed, domain.LifecycleRejected, domain.LifecycleWithdrawn, domain.LifecycleCancelled}

func stateNO(s domain.Lifecycle) string { return nameOf(stateNames, s) }

var ragNames = map[domain.RAG]string{domain.Green: "Grønn", domain.Yellow: "Gul", domain.Red: "Rød"}

func ragNO(r domain.RAG) string {
	if n, ok := ragNames[r]; ok {
		return n
	}
	return "Ikke rapportert"
}

func outcomeNO(o domain.Outcome) string {
	if o == "" {
		return "Ikke behandlet"
	}
	return o.Norsk()
}

func caseTypeNO(c domain.CaseType) string { return c.Norsk() }

var purposeNames = map[domain.Purpose]string{
	domain.PurposeAdmission: "Opptak i porteføljen", domain.PurposePhaseGate: "Faseovergang",
	domain.PurposePrioritisation: "Prioritering", domain.PurposeOther: "Annet",
}

func purposeNO(p domain.Purpose) string { return nameOf(purposeNames, p) }

var forumNames = map[domain.Forum]string{
	domain.NUFA: "Nasjonalt fagutvalg", domain.NUIT: "Nasjonalt utvalg for IT-prioritering",
	domain.EHR: "Nasjonalt e-helseråd",
}

func forumNO(f domain.Forum) string { return nameOf(forumNames, f) }

var milestoneNames = map[domain.MilestoneStatus]string{
	domain.MilestonePlannedStatus: "Planlagt", domain.MilestoneAchievedStatus: "Nådd",
	domain.MilestoneSlippedStatus: "Forsinket",
}

func milestoneNO(m domain.MilestoneStatus) string { return nameOf(milestoneNames, m) }

var eventNames = map[string]string{
	"InitiativeProposed": "Meldt inn", "InitiativeAdmitted": "Tatt opp i porteføljen",
	"InitiativeRejected": "Avvist", "InitiativeWithdrawn": "Trukket", "InitiativePhaseChanged": "Ny fase",
	"InitiativePaused": "Midlertidig stanset", "InitiativeResumed": "Gjenopptatt",
	"InitiativeClosed": "Avsluttet", "InitiativeCancelled": "Avbrutt",
}

func eventNO(e string) string { return nameOf(eventNames, e) }

func itoa(n int) string { return strconv.Itoa(n) }

// hits is a search's count in words: "Ingen tiltak passer til søket." or
// "3 tiltak" and tail (the nouns used are the same in singular and plural).
func hits(n int, noun, tail string) string {
	if n == 0 {
		return "Ingen " + noun + " passer til søket."
	}
	return itoa(n) + " " + noun + tail
}

// stableBy sorts xs stably by less.
func stableBy[T any](xs []T, less func(a, b T) bool) {
	sort.SliceStable(xs, func(i, j int) bool { return less(xs[i], xs[j]) })
}
