package domain

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The Norwegian (bokmål) names of the domain's values, as the web pages
// show them (Phase.Norsk, Outcome.Norsk, CaseType.Norsk, Date.Norsk), and
// the forms of them the refusals' Norwegian texts use inside a sentence
// (phaseNB and the rest): one table each, so a refusal on a form names a
// phase or an outcome as the page around it does.

var phasesNB = map[Phase]string{
	PhaseConcept: "Konsept", PhasePlanning: "Planlegging", PhaseExecution: "Gjennomføring",
	PhaseRollout: "Innføring", PhaseClosed: "Avsluttet",
}

// Norsk is the phase's Norwegian name ("Planlegging"), or p itself when
// it has none.
func (p Phase) Norsk() string { return nbName(phasesNB, p) }

// phaseNB names a phase inside a sentence; no phase (past the last one)
// is "ingen fase".
func phaseNB(p Phase) string {
	if p == "" {
		return "ingen fase"
	}
	return lowerFirst(p.Norsk())
}

var lifecyclesNB = map[Lifecycle]string{
	LifecycleProposed:    "meldt inn og ikke tatt opp i porteføljen",
	LifecycleInPortfolio: "i porteføljen",
	LifecyclePaused:      "midlertidig stanset",
	LifecycleRejected:    "avvist",
	LifecycleWithdrawn:   "trukket",
	LifecycleClosed:      "avsluttet",
	LifecycleCancelled:   "avbrutt",
}

// lifecycleNB says where an initiative stands, after "Tiltaket X er".
func lifecycleNB(l Lifecycle) string {
	if l == "" {
		return "i ingen kjent tilstand"
	}
	return nbName(lifecyclesNB, l)
}

var outcomesNB = map[Outcome]string{
	OutcomeNoted: "Tatt til orientering", OutcomeDiscussed: "Drøftet", OutcomeRecommended: "Anbefalt",
	OutcomeApproved: "Godkjent", OutcomeRejected: "Avvist", OutcomeDeferred: "Utsatt",
}

// Norsk is the outcome's Norwegian name ("Tatt til orientering"), or o
// itself when it has none.
func (o Outcome) Norsk() string { return nbName(outcomesNB, o) }

func outcomeNB(o Outcome) string { return lowerFirst(o.Norsk()) }

var caseTypesNB = map[CaseType]string{
	CaseApproval: "Godkjenning", CaseDiscussion: "Drøfting", CaseInformation: "Orientering",
}

// Norsk is the case type's Norwegian name ("Godkjenning"), or c itself
// when it has none.
func (c CaseType) Norsk() string { return nbName(caseTypesNB, c) }

func caseTypeNB(c CaseType) string { return lowerFirst(c.Norsk()) }

// lowerFirst is s with its first letter in lower case (a name inside a
// sentence).
func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToLower(r)) + s[n:]
}

// aggregatesNB is the definite form of what each aggregate is, capitalised
// to begin a sentence ("Saken 01J… finnes ikke.").
var aggregatesNB = map[AggregateType]string{
	Strategy: "Strategikatalogen", Initiative: "Tiltaket", Meeting: "Møtet", Case: "Saken",
	Series: "Nummerserien", Indicator: "Målindikatoren", Round: "Rapporteringsrunden",
	Dependency: "Avhengigheten", Consultation: "Høringen",
}

func aggregateNB(a AggregateType) string { return nbName(aggregatesNB, a) }

// nbName is k's Norwegian name, or k itself when it has none (a value the
// domain does not know is shown as it was given).
func nbName[K ~string](names map[K]string, k K) string {
	if n, ok := names[k]; ok {
		return n
	}
	return string(k)
}

var monthsNB = [...]string{"januar", "februar", "mars", "april", "mai", "juni", "juli",
	"august", "september", "oktober", "november", "desember"}

// NorskDay writes t's date the Norwegian way: "6. desember 2026" (in t's
// own location).
func NorskDay(t time.Time) string {
	return strconv.Itoa(t.Day()) + ". " + monthsNB[t.Month()-1] + " " + strconv.Itoa(t.Year())
}

// Norsk is the date the Norwegian way, "6. desember 2026"; "" when it is
// not a valid date.
func (d Date) Norsk() string {
	if !d.Valid() {
		return ""
	}
	return NorskDay(d.Time())
}

// dateNB is a date inside a refusal: Norsk, or the date as it was given
// when it is not valid.
func dateNB(d Date) string {
	if !d.Valid() {
		return string(d)
	}
	return d.Norsk()
}

// valueNB writes an indicator value with a decimal comma, as the pages do.
func valueNB(f float64) string { return strings.Replace(formatValue(f), ".", ",", 1) }
