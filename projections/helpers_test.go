package projections

import (
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/ehelse/portfolio/domain"
)

var t0 = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// hist builds an event history directly from domain values, with positions,
// versions, ids and times as the event store would give them.
type hist struct {
	items    []item
	versions map[domain.Ref]uint64
}

func newHist() *hist { return &hist{versions: map[domain.Ref]uint64{}} }

func evID(pos int) string { return fmt.Sprintf("01JDEV%020d", pos) }

// add appends events of one aggregate and returns the last one's id.
func (h *hist) add(t domain.AggregateType, id string, events ...domain.Event) string {
	ref := domain.Ref{Type: t, ID: id}
	var last string
	for _, e := range events {
		pos := len(h.items) + 1
		h.versions[ref]++
		last = evID(pos)
		h.items = append(h.items, item{
			Position: uint64(pos), EventID: last, AggType: string(t), AggID: id, Type: e.EventType(),
			Rec: domain.Recorded{
				ID: last, Version: h.versions[ref], Position: uint64(pos),
				Time: t0.Add(time.Duration(pos) * time.Hour), Actor: "sekretariat", Event: e,
			},
		})
	}
	return last
}

func openDB(t testing.TB) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "rm.db"), 0o644, &bolt.Options{Timeout: time.Second, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// applyItems applies items in transactions of batch events (0: one).
func applyItems(t testing.TB, db *bolt.DB, items []item, batch int) {
	t.Helper()
	if batch <= 0 {
		batch = len(items) + 1
	}
	for i := 0; i < len(items); i += batch {
		end := min(i+batch, len(items))
		if err := db.Update(func(tx *bolt.Tx) error {
			_, err := applyBatch(tx, items[i:end], identity{}, nil)
			return err
		}); err != nil {
			t.Fatalf("apply %d..%d: %v", i, end, err)
		}
	}
}

func dumpDB(t testing.TB, db *bolt.DB) string {
	t.Helper()
	var s string
	if err := db.View(func(tx *bolt.Tx) error { s = Dump(tx); return nil }); err != nil {
		t.Fatal(err)
	}
	return s
}

// modelsOn serves queries from db, without a runner.
func modelsOn(t testing.TB, db *bolt.DB) *ReadModels {
	t.Helper()
	var cp checkpoint
	_ = db.View(func(tx *bolt.Tx) error { cp = readCheckpoint(tx); return nil })
	m := &ReadModels{db: db, log: quietLogger(), notify: make(chan struct{}), docs: newDocCache(maxCachedDocs)}
	m.state.Store(loadState(db, cp.Position))
	return m
}

// ---- a realistic history ----

// Ids of the scenario.
const (
	iHjemme    = "01JDINI0000000000000000001" // Digital hjemmeoppfølging, HSØ, 1A (+2A), admitted, planning
	iPLL       = "01JDINI0000000000000000002" // Pasientens legemiddelliste, 2A, execution, paused
	iAkson     = "01JDINI0000000000000000003" // Felles kommunal journal (Akson), KS, 1B, proposed
	iAnalyse   = "01JDINI0000000000000000004" // Helseanalyseplattformen, 3A, withdrawn
	iPaaror    = "01JDINI0000000000000000005" // Økt bruk av Helsenorge for pårørende, NHN, 1A, closed
	iAvvist    = "01JDINI0000000000000000006" // rejected at admission
	mNUIT25    = "01JDMTG0000000000000000001" // NUIT 4/2025, 2025-11-10
	mNUFA      = "01JDMTG0000000000000000002" // NUFA 1/2026, 2026-02-02
	mNUIT      = "01JDMTG0000000000000000003" // NUIT 1/2026, 2026-02-16
	mEHR       = "01JDMTG0000000000000000004" // EHR 1/2026, 2026-03-02
	cAdmit     = "01JDCAS0000000000000000001" // admission of iHjemme: NUFA noted, NUIT recommended (corrected), EHR approved
	cGate      = "01JDCAS0000000000000000002" // phase gate iHjemme concept → planning: NUIT recommended, EHR approved
	cReject    = "01JDCAS0000000000000000003" // admission of iAvvist: NUIT recommended, EHR rejected
	cInfo      = "01JDCAS0000000000000000004" // information, NUIT 2025, noted
	cDefer     = "01JDCAS0000000000000000005" // prioritisation, EHR deferred
	hso        = "Helse Sør-Øst RHF"
	nhn        = "Norsk helsenett SF"
	direktorat = "Helsedirektoratet"
)

// scenarioIDs remembers event ids the tests refer to.
type scenarioIDs struct {
	nuitRecommendAdmit string // the corrected decision
	correction         string
}

func cost(n int64) *int64 { return &n }

// scenario is a realistic history touching every read model.
func scenario() (*hist, scenarioIDs) {
	h := newHist()
	var ids scenarioIDs
	cat := domain.StrategyCatalogID
	h.add(domain.Strategy, cat,
		domain.StrategicGoalDefined{GoalID: "M1", Strategy: "2023-2030", Title: "Aktiv medvirkning i egen og næres helse"},
		domain.StrategicGoalDefined{GoalID: "M2", Strategy: "2023-2030", Title: "Enklere arbeidshverdag"},
		domain.StrategicGoalDefined{GoalID: "M3", Strategy: "2023-2030", Title: "Helsedata til fornying og forbedring"},
		domain.SubGoalDefined{SubGoalID: "1A", GoalID: "M1", Strategy: "2023-2030", Title: "Innbygger skal ha mulighet for å administrere behandlingsforløp, digital dialog og innsynstjenester gjennom Helsenorge"},
		domain.SubGoalDefined{SubGoalID: "1B", GoalID: "M1", Strategy: "2023-2030", Title: "Illustrativt delmål 1B"},
		domain.SubGoalDefined{SubGoalID: "2A", GoalID: "M2", Strategy: "2023-2030", Title: "Illustrativt delmål 2A"},
		domain.SubGoalDefined{SubGoalID: "3A", GoalID: "M3", Strategy: "2023-2030", Title: "Illustrativt delmål 3A"},
		domain.StrategicGoalDefined{GoalID: "S1", Strategy: "2017-2022", Title: "Illustrativt innsatsområde"},
		domain.SubGoalDefined{SubGoalID: "S1A", GoalID: "S1", Strategy: "2017-2022", Title: "Illustrativt delmål S1A"},
	)

	propose := func(id, title, desc, owner, sub, goal string, subs, groups []string, start, end domain.Date, phase domain.Phase) {
		h.add(domain.Initiative, id, domain.InitiativeProposed{
			InitiativeID: id, Title: title, Description: desc, Owner: owner, PrimarySubGoal: sub, PrimaryGoal: goal,
			SubGoals: subs, UserGroups: groups, PlannedStart: start, PlannedEnd: end, Phase: phase, EstimatedCostNOK: cost(12_500_000),
		})
	}
	propose(iHjemme, "Digital hjemmeoppfølging", "Spredning av digital hjemmeoppfølging til 19 helsefellesskap.", hso,
		"1A", "M1", []string{"2A"}, []string{"innbyggere", "kommuner"}, "2024-01-01", "2027-12-31", domain.PhaseConcept)
	propose(iPLL, "Pasientens legemiddelliste", "Felles oversikt over pasientens legemidler (PLL).", direktorat,
		"2A", "M2", nil, []string{"fastleger", "helseforetak"}, "2023-06-01", "2028-06-30", domain.PhaseExecution)
	propose(iAkson, "Felles kommunal journal (Akson)", "Journalløsning for kommuner, blant annet Bærum.", "KS",
		"1B", "M1", nil, []string{"kommuner"}, "2025-01-01", "2030-12-31", "")
	propose(iAnalyse, "Helseanalyseplattformen", "Tilgang til helsedata.", direktorat,
		"3A", "M3", nil, []string{"forskere"}, "2022-01-01", "2026-12-31", domain.PhaseConcept)
	propose(iPaaror, "Økt bruk av Helsenorge for pårørende", "Innsyn og digital dialog på vegne av andre.", nhn,
		"1A", "M1", nil, []string{"Innbyggere"}, "2021-01-01", "2025-12-31", domain.PhaseRollout)
	propose(iAvvist, "Avvist tiltak", "Blir ikke tatt opp.", hso, "1B", "M1", nil, nil, "2026-01-01", "2026-12-31", domain.PhaseConcept)

	h.add(domain.Initiative, iAnalyse, domain.InitiativeWithdrawn{InitiativeID: iAnalyse, Reason: "Slått sammen med Helsedataprogrammet"})
	// iPLL and iPaaror were admitted long ago (history not in this log).
	h.add(domain.Initiative, iPLL, domain.InitiativeAdmitted{InitiativeID: iPLL, CaseID: "old", MeetingID: "old", Phase: domain.PhaseExecution})
	h.add(domain.Initiative, iPaaror, domain.InitiativeAdmitted{InitiativeID: iPaaror, CaseID: "old", MeetingID: "old", Phase: domain.PhaseRollout})

	// Meetings (the series events come with them).
	sched := func(id string, f domain.Forum, d domain.Date, n int) {
		h.add(domain.Meeting, id, domain.MeetingScheduled{MeetingID: id, Forum: f, Date: d, Year: d.Year(), Number: n, Label: fmt.Sprintf("%d/%d", n, d.Year())})
		h.add(domain.Series, fmt.Sprintf("%s-%d", f, d.Year()), domain.MeetingNumberAssigned{Forum: f, Year: d.Year(), Number: n, MeetingID: id})
	}
	meetings := map[string]domain.MeetingScheduled{}
	for _, m := range []struct {
		id string
		f  domain.Forum
		d  domain.Date
		n  int
	}{{mNUIT25, domain.NUIT, "2025-11-10", 4}, {mNUFA, domain.NUFA, "2026-02-02", 1}, {mNUIT, domain.NUIT, "2026-02-16", 1}, {mEHR, domain.EHR, "2026-03-02", 1}} {
		sched(m.id, m.f, m.d, m.n)
		meetings[m.id] = domain.MeetingScheduled{MeetingID: m.id, Forum: m.f, Date: m.d, Year: m.d.Year(), Number: m.n, Label: fmt.Sprintf("%d/%d", m.n, m.d.Year())}
	}
	caseNo := map[string]int{}
	numbers := map[string]string{}
	register := func(id string, f domain.Forum, title string, ct domain.CaseType, p domain.Purpose, ini string, target domain.Phase) {
		h.add(domain.Case, id, domain.CaseRegistered{CaseID: id, Forum: f, Title: title, CaseType: ct, Purpose: p,
			InitiativeID: ini, TargetPhase: target, ProposedResolution: "Rådet gir sin tilslutning til " + title + ".", ArchiveRef: "22/414-1"})
	}
	place := func(c, mid string) {
		m := meetings[mid]
		sk := fmt.Sprintf("%s-%d", m.Forum, m.Year)
		caseNo[sk]++
		n := caseNo[sk]
		cn := fmt.Sprintf("%d/%02d", n, m.Year%100)
		numbers[c+mid] = cn
		h.add(domain.Case, c, domain.CasePlacedOnAgenda{CaseID: c, MeetingID: mid, Forum: m.Forum, MeetingLabel: m.Label,
			MeetingDate: m.Date, Year: m.Year, Number: n, CaseNumber: cn})
		h.add(domain.Series, sk, domain.CaseNumberAssigned{Forum: m.Forum, Year: m.Year, Number: n, CaseNumber: cn, CaseID: c, MeetingID: mid})
	}
	dec := func(c, mid string) domain.Decision {
		m := meetings[mid]
		return domain.Decision{CaseID: c, MeetingID: mid, Forum: m.Forum, MeetingLabel: m.Label, MeetingDate: m.Date, CaseNumber: numbers[c+mid]}
	}
	hold := func(mid string) {
		m := meetings[mid]
		h.add(domain.Meeting, mid, domain.MeetingHeld{MeetingID: mid, Forum: m.Forum, Label: m.Label})
	}

	register(cInfo, domain.NUIT, "Orientering om e-resept", domain.CaseInformation, domain.PurposeOther, "", "")
	place(cInfo, mNUIT25)
	hold(mNUIT25)
	h.add(domain.Case, cInfo, domain.CaseNoted{Decision: dec(cInfo, mNUIT25), Remarks: "Tatt til orientering."})

	register(cAdmit, domain.NUIT, "Opptak av digital hjemmeoppfølging", domain.CaseApproval, domain.PurposeAdmission, iHjemme, "")
	register(cGate, domain.NUIT, "Faseovergang for digital hjemmeoppfølging", domain.CaseApproval, domain.PurposePhaseGate, iHjemme, domain.PhasePlanning)
	register(cReject, domain.NUIT, "Opptak av avvist tiltak", domain.CaseApproval, domain.PurposeAdmission, iAvvist, "")
	register(cDefer, domain.EHR, "Prioritering 2027", domain.CaseDiscussion, domain.PurposePrioritisation, "", "")

	place(cAdmit, mNUFA)
	hold(mNUFA)
	h.add(domain.Case, cAdmit, domain.CaseNoted{Decision: dec(cAdmit, mNUFA)})
	place(cAdmit, mNUIT)
	place(cGate, mNUIT)
	place(cReject, mNUIT)
	hold(mNUIT)
	ids.nuitRecommendAdmit = h.add(domain.Case, cAdmit, domain.CaseRecommended{Decision: dec(cAdmit, mNUIT), Resolution: "NUIT anbefaler opptak.", Conditions: "Gevinstplan"})
	h.add(domain.Case, cGate, domain.CaseRecommended{Decision: dec(cGate, mNUIT), Resolution: "NUIT anbefaler faseovergang."})
	h.add(domain.Case, cReject, domain.CaseRecommended{Decision: dec(cReject, mNUIT), Resolution: "NUIT anbefaler."})
	place(cAdmit, mEHR)
	place(cGate, mEHR)
	place(cReject, mEHR)
	place(cDefer, mEHR)
	hold(mEHR)
	h.add(domain.Case, cAdmit, domain.CaseApproved{Decision: dec(cAdmit, mEHR), Resolution: "Tatt opp i porteføljen."})
	h.add(domain.Initiative, iHjemme, domain.InitiativeAdmitted{InitiativeID: iHjemme, CaseID: cAdmit, MeetingID: mEHR, Phase: domain.PhaseConcept})
	h.add(domain.Case, cGate, domain.CaseApproved{Decision: dec(cGate, mEHR), Resolution: "Går til planlegging."})
	h.add(domain.Initiative, iHjemme, domain.InitiativePhaseChanged{InitiativeID: iHjemme, From: domain.PhaseConcept, To: domain.PhasePlanning, CaseID: cGate, MeetingID: mEHR})
	h.add(domain.Case, cReject, domain.CaseRejected{Decision: dec(cReject, mEHR), Resolution: "Avvist."})
	h.add(domain.Initiative, iAvvist, domain.InitiativeRejected{InitiativeID: iAvvist, CaseID: cReject, MeetingID: mEHR})
	h.add(domain.Case, cDefer, domain.CaseDeferred{Decision: dec(cDefer, mEHR), Reason: "Mangler underlag."})
	ids.correction = h.add(domain.Case, cAdmit, domain.DecisionCorrected{CaseID: cAdmit, CorrectsEventID: ids.nuitRecommendAdmit,
		CorrectedType: "CaseRecommended", Forum: domain.NUIT, MeetingID: mNUIT, Reason: "Feil i vilkår", Resolution: "NUIT anbefaler opptak uten vilkår."})

	// Status and milestones.
	h.add(domain.Initiative, iHjemme,
		domain.StatusReported{InitiativeID: iHjemme, ReportDate: "2026-03-31", Overall: domain.Green, Schedule: domain.Green, Cost: domain.Green, Benefit: domain.Green},
		domain.MilestonePlanned{InitiativeID: iHjemme, MilestoneID: "K1", Title: "Pilot i to helsefellesskap", PlannedDate: "2026-06-30"},
		domain.MilestonePlanned{InitiativeID: iHjemme, MilestoneID: "K2", Title: "Spredt til alle 19", PlannedDate: "2027-06-30"},
		domain.MilestoneAchieved{InitiativeID: iHjemme, MilestoneID: "K1", AchievedDate: "2026-06-15"},
		domain.MilestoneSlipped{InitiativeID: iHjemme, MilestoneID: "K2", PreviousPlannedDate: "2027-06-30", NewPlannedDate: "2027-10-31"},
		domain.StatusReported{InitiativeID: iHjemme, ReportDate: "2026-06-30", Overall: domain.Yellow, Schedule: domain.Yellow, Cost: domain.Green, Benefit: domain.Green, Comment: "Forsinket spredning"},
	)
	h.add(domain.Initiative, iPLL,
		domain.StatusReported{InitiativeID: iPLL, ReportDate: "2026-03-31", Overall: domain.Red, Schedule: domain.Red, Cost: domain.Yellow, Benefit: domain.Green, Comment: "Avhengigheter"},
		domain.InitiativePaused{InitiativeID: iPLL, Reason: "Midlertidig stans"},
	)
	h.add(domain.Initiative, iPaaror, domain.InitiativeClosed{InitiativeID: iPaaror, FinalReport: "Levert."})
	return h, ids
}
