package services

import (
	"context"
	"fmt"
	"time"

	"github.com/ehelse/portfolio/domain"
)

// Demo organisations. The token file written on first start has an owner
// token for each, so a newcomer can act as an initiative owner at once.
const (
	OrgNHN  = "Norsk helsenett SF"
	OrgHdir = "Helsedirektoratet"
	OrgKS   = "KS"
	OrgHSO  = "Helse Sør-Øst RHF"
	OrgHMN  = "Helse Midt-Norge RHF"
)

// DemoOrgs lists the organisations that own demo initiatives.
var DemoOrgs = []string{OrgHSO, OrgNHN, OrgHdir, OrgKS, OrgHMN}

// demoInitiative is one initiative of the demo portfolio. Names are real
// national initiatives; descriptions, phases, statuses, milestones and
// council decisions are illustrative demo data, not the real record.
type demoInitiative struct {
	key, title, desc, owner, sub string
	others, groups               []string
	start, end                   domain.Date
	cost                         int64
	phase                        domain.Phase
}

var demoInitiatives = []demoInitiative{
	{"helsenorge", "Helsenorge", "Innbyggernes felles inngang til digitale helsetjenester: innsyn, digital dialog og administrasjon av behandlingsforløp.", OrgNHN, "1A", []string{"4A"}, []string{"innbyggere", "helseforetak", "fastleger"}, "2023-01-01", "2030-12-31", 1_200_000_000, domain.PhaseExecution},
	{"digihelse", "Digihelse", "Digital dialog mellom innbyggere og kommunale helse- og omsorgstjenester via Helsenorge.", OrgNHN, "1A", nil, []string{"innbyggere", "kommuner"}, "2024-01-01", "2027-12-31", 180_000_000, domain.PhasePlanning},
	{"digihelsestasjon", "DigiHelsestasjon", "Digitale tjenester for helsestasjons- og skolehelsetjenesten, med innsyn for foreldre og ungdom.", OrgKS, "1A", []string{"1B"}, []string{"innbyggere", "kommuner", "helsesykepleiere"}, "2024-06-01", "2028-06-30", 240_000_000, domain.PhaseConcept},
	{"hjemmeoppfolging", "Digital hjemmeoppfølging", "Spredning av digital hjemmeoppfølging for personer med kroniske sykdommer til 19 helsefellesskap.", OrgHdir, "2A", []string{"1B"}, []string{"kommuner", "helseforetak", "innbyggere"}, "2024-01-01", "2027-12-31", 320_000_000, domain.PhaseExecution},
	{"helseplattformen", "Helseplattformen", "Felles journal- og pasientadministrativ løsning for kommuner, sykehus og fastleger i Midt-Norge.", OrgHMN, "2A", []string{"4A"}, []string{"helseforetak", "kommuner", "fastleger"}, "2017-01-01", "2028-12-31", 3_800_000_000, domain.PhaseRollout},
	{"akson", "Felles kommunal journal (Akson)", "Felles kommunal journalløsning for helse- og omsorgstjenesten i kommunene.", OrgKS, "2A", []string{"4A"}, []string{"kommuner", "fastleger"}, "2023-01-01", "2032-12-31", 2_900_000_000, domain.PhasePlanning},
	{"helsedataprogrammet", "Helsedataprogrammet", "Enklere og sikker tilgang til helsedata for forskning og forbedring gjennom felles løsninger og søknadsbehandling.", OrgHdir, "3A", nil, []string{"forskere", "helseforetak"}, "2017-01-01", "2026-12-31", 600_000_000, domain.PhaseRollout},
	{"hap", "Helseanalyseplattformen", "Nasjonal analyseplattform for helsedata, med analyserom for forskere og registerforvaltere.", OrgHdir, "3A", nil, []string{"forskere", "registerforvaltere"}, "2018-01-01", "2027-12-31", 900_000_000, domain.PhaseExecution},
	{"kjernejournal", "Kjernejournal", "Nasjonal løsning med viktige helseopplysninger som er tilgjengelig for helsepersonell i hele landet.", OrgNHN, "4A", []string{"1A"}, []string{"helseforetak", "fastleger", "legevakt", "innbyggere"}, "2013-01-01", "2030-12-31", 450_000_000, domain.PhaseRollout},
	{"eresept", "E-resept", "Elektronisk forskrivning og utlevering av legemidler, videreutvikling av reseptformidleren.", OrgNHN, "4A", nil, []string{"fastleger", "apotek", "helseforetak"}, "2012-01-01", "2030-12-31", 300_000_000, domain.PhaseRollout},
	{"pll", "Pasientens legemiddelliste (PLL)", "Én oppdatert legemiddelliste per pasient, delt mellom helsepersonell og innbygger.", OrgNHN, "4A", []string{"1A", "2A"}, []string{"fastleger", "helseforetak", "kommuner", "apotek", "innbyggere"}, "2019-01-01", "2028-12-31", 1_100_000_000, domain.PhasePlanning},
	{"helseid", "HelseID", "Felles løsning for sikker autentisering og tilgangsstyring for helsepersonell og systemer i sektoren.", OrgNHN, "5A", []string{"4B"}, []string{"helseforetak", "kommuner", "leverandører"}, "2016-01-01", "2030-12-31", 150_000_000, domain.PhaseRollout},
	{"meldingsutveksling", "Meldingsutveksling", "Modernisering av meldingsutveksling i helsenettet, med felles adresseregister og nye standarder.", OrgNHN, "4B", nil, []string{"helseforetak", "kommuner", "fastleger"}, "2020-01-01", "2029-12-31", 220_000_000, domain.PhaseExecution},
	{"grunndata", "Grunndata og kodeverk", "Felles grunndata, terminologi og kodeverk (SNOMED CT) for hele helse- og omsorgssektoren.", OrgHdir, "5A", []string{"3A"}, []string{"helseforetak", "kommuner", "leverandører"}, "2020-01-01", "2030-12-31", 260_000_000, domain.PhaseExecution},
	{"regional-kurve", "Regional kurve- og medikasjonsløsning (demo)", "Illustrativt demo-tiltak: felles kurve- og medikasjonsløsning i en region, brukt for å vise et avslått tiltak.", OrgHSO, "2A", nil, []string{"helseforetak"}, "2025-01-01", "2029-12-31", 700_000_000, domain.PhaseConcept},
}

// demoSeeder records the demo through ordinary commands.
type demoSeeder struct {
	ctx  context.Context
	ex   Executor
	p    Principal
	ids  map[string]string
	n    int
	err  error
	last uint64
}

func (d *demoSeeder) do(cmd domain.Command) CommandResult {
	if d.err != nil {
		return CommandResult{}
	}
	r, err := d.ex.Execute(d.ctx, d.p, cmd, ExecOptions{CorrelationID: "demo-seed"})
	if err != nil {
		d.err = fmt.Errorf("demo %s: %w", cmd.CommandName(), err)
		return r
	}
	d.n++
	d.last = r.Position
	return r
}

// meeting schedules a meeting, places the given cases on its agenda,
// holds it (unless it is in the future) and runs the decisions.
func (d *demoSeeder) meeting(forum domain.Forum, date domain.Date, held bool, cases []string, decide func(meetingID string)) {
	id := NewID()
	d.do(&domain.ScheduleMeeting{MeetingID: id, Forum: forum, Date: date})
	for _, c := range cases {
		d.do(&domain.PlaceCaseOnAgenda{CaseID: d.ids["case:"+c], MeetingID: id})
	}
	if !held {
		return
	}
	d.do(&domain.HoldMeeting{MeetingID: id})
	if decide != nil {
		decide(id)
	}
}

func (d *demoSeeder) registerCase(key string, forum domain.Forum, ct domain.CaseType, purpose domain.Purpose, initiative string, target domain.Phase, title, resolution, archive string) {
	id := NewID()
	d.ids["case:"+key] = id
	d.do(&domain.RegisterCase{CaseID: id, Forum: forum, Title: title, CaseType: ct, Purpose: purpose,
		InitiativeID: d.ids[initiative], TargetPhase: target, ProposedResolution: resolution, ArchiveRef: archive})
}

// SeedDemo records the demo portfolio: the 2023–2030 strategy (sub-goal 1A
// real, the others illustrative and marked so), a goal of the earlier
// strategy period, about fifteen initiatives with owners, NUFA, NUIT and
// EHR meetings and decisions from 2024 to the present, status reports and
// milestones, and the 2022 consultation on the strategy (demo_consultations.go).
// It uses only ordinary commands as principal p, and returns
// the number of commands and the position of the last event.
func SeedDemo(ctx context.Context, ex Executor, p Principal, now time.Time) (int, uint64, error) {
	d := &demoSeeder{ctx: ctx, ex: ex, p: p, ids: map[string]string{}}

	// Strategy.
	goals := []struct{ id, title string }{
		{"M1", "Aktiv medvirkning i egen og næres helse"},
		{"M2", "Enklere arbeidshverdag"},
		{"M3", "Helsedata til fornying og forbedring"},
		{"M4", "Tilgjengelig informasjon og styrket samhandling"},
		{"M5", "Samarbeid og virkemidler som styrker gjennomføringskraft"},
	}
	for _, g := range goals {
		d.do(&domain.DefineStrategicGoal{GoalID: g.id, Strategy: "2023-2030", Title: g.title})
	}
	subs := []struct{ id, goal, title string }{
		{"1A", "M1", "Innbygger skal ha mulighet for å administrere behandlingsforløp, digital dialog og innsynstjenester gjennom Helsenorge"},
		{"1B", "M1", "Illustrativt delmål (demo): digitale tjenester som støtter pårørende og innbyggere med sammensatte behov"},
		{"2A", "M2", "Illustrativt delmål (demo): helsepersonell har sammenhengende journal- og samhandlingsløsninger"},
		{"3A", "M3", "Illustrativt delmål (demo): enklere og sikker tilgang til helsedata for forskning og styring"},
		{"4A", "M4", "Illustrativt delmål (demo): pasientens helseopplysninger er tilgjengelige der de trengs"},
		{"4B", "M4", "Illustrativt delmål (demo): felles standarder og meldingsutveksling i hele sektoren"},
		{"5A", "M5", "Illustrativt delmål (demo): felles grunnmur, styring og finansiering av nasjonale løsninger"},
	}
	for _, s := range subs {
		d.do(&domain.DefineSubGoal{SubGoalID: s.id, GoalID: s.goal, Title: s.title})
	}
	d.do(&domain.DefineStrategicGoal{GoalID: "E1", Strategy: "2017-2022", Title: "Illustrativt innsatsområde fra forrige strategi (demo): modernisering av journalløsninger"})

	// Initiatives.
	for _, in := range demoInitiatives {
		id := NewID()
		d.ids[in.key] = id
		cost := in.cost
		d.do(&domain.ProposeInitiative{InitiativeID: id, Title: in.title, Description: in.desc, Owner: in.owner,
			PrimarySubGoal: in.sub, SubGoals: in.others, UserGroups: in.groups, PlannedStart: in.start,
			PlannedEnd: in.end, EstimatedCostNOK: &cost, Phase: in.phase})
	}
	admit := func(key string) {
		forum := domain.NUIT
		if key == "pll" || key == "digihelsestasjon" {
			forum = domain.NUFA // professional advice first
		}
		d.registerCase("adm-"+key, forum, domain.CaseApproval, domain.PurposeAdmission, key, "",
			"Innmelding av "+titleOf(key)+" i nasjonal e-helseportefølje",
			"Tiltaket tas inn i nasjonal e-helseportefølje.", "")
	}
	round1 := []string{"helsenorge", "kjernejournal", "eresept", "helseid", "meldingsutveksling", "grunndata"}
	round2 := []string{"pll", "helseplattformen", "akson", "helsedataprogrammet"}
	round3 := []string{"digihelse", "hap"}
	round4 := []string{"digihelsestasjon", "hjemmeoppfolging", "regional-kurve"}
	for _, k := range append(append(append(append([]string{}, round1...), round2...), round3...), round4...) {
		admit(k)
	}
	recommend := func(key string) func(m string) {
		return func(m string) {
			d.do(&domain.RecommendInCouncil{CaseID: d.ids["case:"+key], MeetingID: m, Resolution: "NUIT anbefaler at saken legges fram for Nasjonalt e-helseråd."})
		}
	}
	approve := func(key, m string) {
		d.do(&domain.ApproveInCouncil{CaseID: d.ids["case:"+key], MeetingID: m, Resolution: "Nasjonalt e-helseråd gir sin tilslutning."})
	}
	prefixed := func(keys []string, p string) []string {
		out := make([]string, len(keys))
		for i, k := range keys {
			out[i] = p + k
		}
		return out
	}

	// 2024.
	d.meeting(domain.NUIT, "2024-02-15", true, prefixed(round1, "adm-"), func(m string) {
		for _, k := range round1 {
			recommend("adm-" + k)(m)
		}
	})
	d.meeting(domain.EHR, "2024-03-14", true, prefixed(round1, "adm-"), func(m string) {
		for _, k := range round1 {
			approve("adm-"+k, m)
		}
	})
	d.meeting(domain.NUFA, "2024-04-10", true, []string{"adm-pll"}, func(m string) {
		d.do(&domain.RecommendInCouncil{CaseID: d.ids["case:adm-pll"], MeetingID: m,
			Resolution: "NUFA støtter faglig innretning og anbefaler videre behandling i NUIT."})
	})
	d.meeting(domain.NUIT, "2024-05-23", true, prefixed(round2, "adm-"), func(m string) {
		for _, k := range round2 {
			recommend("adm-" + k)(m)
		}
	})
	d.meeting(domain.EHR, "2024-06-13", true, prefixed(round2, "adm-"), func(m string) {
		for _, k := range []string{"pll", "helseplattformen", "helsedataprogrammet"} {
			approve("adm-"+k, m)
		}
		d.do(&domain.DeferCase{CaseID: d.ids["case:adm-akson"], MeetingID: m, Reason: "Rådet ber om avklaring av finansieringsmodell før tilslutning."})
	})
	d.meeting(domain.NUIT, "2024-10-03", true, prefixed(round3, "adm-"), func(m string) {
		for _, k := range round3 {
			recommend("adm-" + k)(m)
		}
	})
	d.meeting(domain.EHR, "2024-11-07", true, append(prefixed(round3, "adm-"), "adm-akson"), func(m string) {
		for _, k := range append([]string{"akson"}, round3...) {
			approve("adm-"+k, m)
		}
	})

	// 2025: admissions of the last round, phase gates, an information case.
	d.registerCase("gate-pll", domain.NUIT, domain.CaseApproval, domain.PurposePhaseGate, "pll", domain.PhaseExecution,
		"Faseovergang for Pasientens legemiddelliste til gjennomføring", "Tiltaket går over i gjennomføringsfasen.", "25/112-3")
	d.registerCase("info-hap", domain.NUIT, domain.CaseInformation, domain.PurposeOther, "hap", "",
		"Orientering om status for Helseanalyseplattformen", "NUIT tar orienteringen til etterretning.", "")
	d.registerCase("prio-2026", domain.NUFA, domain.CaseDiscussion, domain.PurposePrioritisation, "", "",
		"Faglige innspill til prioritering av porteføljen for 2026", "NUFA drøfter og gir innspill til NUIT.", "")
	d.meeting(domain.NUFA, "2025-02-05", true, []string{"adm-digihelsestasjon", "prio-2026"}, func(m string) {
		d.do(&domain.RecommendInCouncil{CaseID: d.ids["case:adm-digihelsestasjon"], MeetingID: m, Resolution: "NUFA anbefaler tiltaket faglig."})
		d.do(&domain.DiscussCase{CaseID: d.ids["case:prio-2026"], MeetingID: m, Remarks: "Innbyggerperspektivet bør vektes tyngre."})
	})
	d.meeting(domain.NUIT, "2025-02-20", true, append(prefixed(round4, "adm-"), "gate-pll", "info-hap"), func(m string) {
		recommend("adm-digihelsestasjon")(m)
		d.do(&domain.RecommendInCouncil{CaseID: d.ids["case:adm-hjemmeoppfolging"], MeetingID: m,
			Resolution: "NUIT støtter tiltaket.", Conditions: "Gevinstrealiseringsplan legges fram innen utgangen av 2025."})
		recommend("adm-regional-kurve")(m)
		recommend("gate-pll")(m)
		d.do(&domain.NoteCase{CaseID: d.ids["case:info-hap"], MeetingID: m, Remarks: "Tatt til orientering."})
	})
	d.meeting(domain.EHR, "2025-03-13", true, []string{"adm-digihelsestasjon", "adm-hjemmeoppfolging", "adm-regional-kurve", "gate-pll"}, func(m string) {
		approve("adm-digihelsestasjon", m)
		approve("adm-hjemmeoppfolging", m)
		approve("gate-pll", m)
		d.do(&domain.RejectInCouncil{CaseID: d.ids["case:adm-regional-kurve"], MeetingID: m,
			Resolution: "Rådet gir ikke sin tilslutning; behovet dekkes av eksisterende nasjonale tiltak (demo)."})
	})
	d.registerCase("gate-digihelse", domain.NUIT, domain.CaseApproval, domain.PurposePhaseGate, "digihelse", domain.PhaseExecution,
		"Faseovergang for Digihelse til gjennomføring", "Tiltaket går over i gjennomføringsfasen.", "25/301-1")
	d.registerCase("gate-akson", domain.NUIT, domain.CaseApproval, domain.PurposePhaseGate, "akson", domain.PhaseExecution,
		"Faseovergang for Akson til gjennomføring", "Tiltaket går over i gjennomføringsfasen.", "25/288-4")
	d.meeting(domain.NUIT, "2025-09-18", true, []string{"gate-digihelse", "gate-akson"}, func(m string) {
		recommend("gate-digihelse")(m)
		recommend("gate-akson")(m)
	})
	d.meeting(domain.EHR, "2025-10-16", true, []string{"gate-digihelse", "gate-akson"}, func(m string) {
		approve("gate-digihelse", m)
		d.do(&domain.DeferCase{CaseID: d.ids["case:gate-akson"], MeetingID: m, Reason: "Utsatt til leverandøravtalen er inngått."})
	})

	// 2026.
	d.registerCase("gate-hjemme", domain.NUIT, domain.CaseApproval, domain.PurposePhaseGate, "hjemmeoppfolging", domain.PhaseRollout,
		"Faseovergang for digital hjemmeoppfølging til innføring", "Tiltaket går over i innføringsfasen i alle 19 helsefellesskap.", "26/045-2")
	d.meeting(domain.NUIT, "2026-02-19", true, []string{"gate-hjemme"}, func(m string) {
		recommend("gate-hjemme")(m)
	})
	d.meeting(domain.EHR, "2026-03-12", true, []string{"gate-akson", "gate-hjemme"}, func(m string) {
		approve("gate-akson", m)
		approve("gate-hjemme", m)
	})
	d.registerCase("gate-helsenorge", domain.NUIT, domain.CaseApproval, domain.PurposePhaseGate, "helsenorge", domain.PhaseRollout,
		"Faseovergang for Helsenorge (ny plattform) til innføring", "Tiltaket går over i innføringsfasen.", "")
	d.meeting(domain.NUIT, "2026-09-17", true, []string{"gate-helsenorge"}, func(m string) {
		recommend("gate-helsenorge")(m)
	})
	ehrNext := domain.DateOf(now.AddDate(0, 0, 21))
	d.meeting(domain.EHR, ehrNext, false, []string{"gate-helsenorge"}, nil)

	// Status reports and milestones.
	admitted := []string{"helsenorge", "kjernejournal", "eresept", "helseid", "meldingsutveksling", "grunndata",
		"pll", "helseplattformen", "helsedataprogrammet", "akson", "digihelse", "hap", "digihelsestasjon", "hjemmeoppfolging"}
	periods := []domain.Date{"2025-03-31", "2025-06-30", "2025-09-30", "2025-12-31", "2026-03-31", "2026-06-30", "2026-09-30"}
	for i, k := range admitted {
		for j, per := range periods {
			if (k == "digihelsestasjon" || k == "hjemmeoppfolging") && j == 0 {
				continue // admitted after the first period
			}
			rag := func(off int) domain.RAG {
				switch (i*7 + j*3 + off) % 11 {
				case 0, 1:
					return domain.Yellow
				case 2:
					if k == "helseplattformen" || k == "akson" {
						return domain.Red
					}
					return domain.Yellow
				}
				return domain.Green
			}
			r := &domain.ReportStatus{InitiativeID: d.ids[k], ReportDate: per,
				Overall: rag(0), Schedule: rag(1), Cost: rag(2), Benefit: rag(3)}
			if r.Overall != domain.Green || r.Schedule != domain.Green || r.Cost != domain.Green || r.Benefit != domain.Green {
				r.Comment = "Demodata: avvik fra plan er meldt og tiltak er iverksatt."
			}
			d.do(r)
		}
		m1, m2 := NewID(), NewID()
		d.do(&domain.ReportMilestone{InitiativeID: d.ids[k], MilestoneID: m1, Title: "Løsning tilgjengelig i første region (demo)", Status: domain.MilestonePlannedStatus, PlannedDate: "2025-06-30"})
		d.do(&domain.ReportMilestone{InitiativeID: d.ids[k], MilestoneID: m2, Title: "Nasjonal utbredelse (demo)", Status: domain.MilestonePlannedStatus, PlannedDate: "2027-06-30"})
		if i%3 == 0 {
			d.do(&domain.ReportMilestone{InitiativeID: d.ids[k], MilestoneID: m1, Status: domain.MilestoneSlippedStatus, NewPlannedDate: "2025-12-15"})
		}
		d.do(&domain.ReportMilestone{InitiativeID: d.ids[k], MilestoneID: m1, Status: domain.MilestoneAchievedStatus, AchievedDate: "2025-11-20"})
	}
	d.do(&domain.PauseInitiative{InitiativeID: d.ids["hap"], Reason: "Demodata: midlertidig stans i påvente av ny vurdering av personvernkonsekvenser."})
	seedPlanDemo(d)
	d.seedConsultations(now)
	if d.err != nil {
		return d.n, d.last, d.err
	}
	return d.n, d.last, nil
}

func titleOf(key string) string {
	for _, in := range demoInitiatives {
		if in.key == key {
			return in.title
		}
	}
	return key
}
