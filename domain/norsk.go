package domain

import (
	"strconv"
	"strings"
)

// The Norwegian (bokmål) words the refusals' Norwegian texts use for the
// values they name, in lower case for use inside a sentence. They are the
// words the web pages show (there capitalised as labels), so that a refusal
// on a form names a phase or an outcome as the page around it does.

var phasesNB = map[Phase]string{
	PhaseConcept: "konsept", PhasePlanning: "planlegging", PhaseExecution: "gjennomføring",
	PhaseRollout: "innføring", PhaseClosed: "avsluttet",
}

// phaseNB names a phase; no phase (past the last one) is "ingen fase".
func phaseNB(p Phase) string {
	if p == "" {
		return "ingen fase"
	}
	return nbName(phasesNB, p)
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
	OutcomeNoted: "tatt til orientering", OutcomeDiscussed: "drøftet", OutcomeRecommended: "anbefalt",
	OutcomeApproved: "godkjent", OutcomeRejected: "avvist", OutcomeDeferred: "utsatt",
}

func outcomeNB(o Outcome) string { return nbName(outcomesNB, o) }

var caseTypesNB = map[CaseType]string{
	CaseApproval: "godkjenning", CaseDiscussion: "drøfting", CaseInformation: "orientering",
}

func caseTypeNB(c CaseType) string { return nbName(caseTypesNB, c) }

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

// dateNB is a date the way the web pages write it: "6. desember 2026"; a
// date that is not valid is shown as it was given.
func dateNB(d Date) string {
	if !d.Valid() {
		return string(d)
	}
	t := d.Time()
	return strconv.Itoa(t.Day()) + ". " + monthsNB[t.Month()-1] + " " + strconv.Itoa(t.Year())
}

// valueNB writes an indicator value with a decimal comma, as the pages do.
func valueNB(f float64) string { return strings.Replace(formatValue(f), ".", ",", 1) }
