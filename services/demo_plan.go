package services

import (
	"github.com/ehelse/portfolio/domain"
)

// demoSource marks every demo indicator as illustrative: the names,
// figures and sources are made up for the demo.
const demoSource = "Illustrative demodata – ikke offisielle tall"

// demoIndicators are two illustrative indicators per goal of 2023–2030,
// with values over time.
var demoIndicators = []struct {
	goal, sub, name, unit string
	dir                   domain.Direction
	base, target          float64
	values                []float64 // 2024, 2025, 2026-H1
}{
	{"M1", "1A", "Andel innbyggere som har brukt digital dialog med fastlegen (illustrativ)", "prosent", domain.Increase, 38, 80, []float64{44, 52, 57}},
	{"M1", "1B", "Andel pårørende med digital fullmakt på Helsenorge (illustrativ)", "prosent", domain.Increase, 12, 50, []float64{15, 19, 24}},
	{"M2", "2A", "Minutter helsepersonell bruker på dokumentasjon per konsultasjon (illustrativ)", "minutter", domain.Decrease, 14, 8, []float64{13.5, 12.4, 12.1}},
	{"M2", "", "Andel kommuner med felles journal på tvers av nivåene (illustrativ)", "prosent", domain.Increase, 5, 60, []float64{8, 14, 21}},
	{"M3", "3A", "Saksbehandlingstid for søknader om tilgang til helsedata (illustrativ)", "dager", domain.Decrease, 300, 60, []float64{260, 190, 150}},
	{"M3", "", "Antall helseregistre tilgjengelige i Helseanalyseplattformen (illustrativ)", "antall", domain.Increase, 2, 20, []float64{3, 6, 7}},
	{"M4", "4A", "Andel legemiddelforskrivninger som oppdaterer pasientens legemiddelliste (illustrativ)", "prosent", domain.Increase, 0, 95, []float64{1, 9, 18}},
	{"M4", "4B", "Andel meldinger sendt som standardiserte e-meldinger (illustrativ)", "prosent", domain.Increase, 72, 98, []float64{75, 80, 83}},
	{"M5", "5A", "Andel nasjonale e-helseløsninger med avklart finansieringsmodell (illustrativ)", "prosent", domain.Increase, 40, 100, []float64{45, 55, 60}},
	{"M5", "", "Antall tiltak i porteføljen med gevinstrealiseringsplan (illustrativ)", "antall", domain.Increase, 4, 30, []float64{7, 11, 16}},
}

// seedPlanDemo records the realisation plan of the demo: indicators with
// values (one corrected), two closed reporting rounds and an open one,
// and dependencies, one of which becomes at risk when HelseID's
// milestone slips (the dependency policy records it).
func seedPlanDemo(d *demoSeeder) {
	for i, in := range demoIndicators {
		id := NewID()
		d.do(&domain.DefineIndicator{IndicatorID: id, GoalID: in.goal, SubGoalID: in.sub, Name: in.name, Unit: in.unit,
			Direction: in.dir, Baseline: domain.Measure{Value: in.base, Date: "2023-12-31"},
			Target: domain.Measure{Value: in.target, Date: "2030-12-31"}, Source: demoSource})
		for j, p := range []string{"2024", "2025", "2026-H1"} {
			v := in.values[j]
			if i == 0 && j == 1 {
				v = 50 // corrected below
			}
			d.do(&domain.RecordIndicatorValue{IndicatorID: id, Period: p, Value: v})
		}
		if i == 0 {
			d.do(&domain.RecordIndicatorValue{IndicatorID: id, Period: "2025", Value: in.values[1], Source: demoSource,
				Correction: &domain.Correction{Reason: "Demodata: endelige tall erstatter foreløpige."}})
		}
	}

	// A milestone of HelseID that PLL needs, and dependencies.
	helseidMS := NewID()
	d.do(&domain.ReportMilestone{InitiativeID: d.ids["helseid"], MilestoneID: helseidMS,
		Title: "HelseID med støtte for PLL-integrasjon (demo)", Status: domain.MilestonePlannedStatus, PlannedDate: "2026-10-15"})
	d.do(&domain.DeclareDependency{DependencyID: NewID(), InitiativeID: d.ids["pll"], DependsOn: d.ids["helseid"],
		MilestoneID: helseidMS, NeededBy: "2026-12-31",
		Description: "Demodata: PLL trenger HelseID-støtte for at helsepersonell skal kunne oppdatere listen."})
	d.do(&domain.DeclareDependency{DependencyID: NewID(), InitiativeID: d.ids["hjemmeoppfolging"], DependsOn: d.ids["hap"],
		NeededBy: "2027-06-30", Description: "Demodata: gevinstmålingen bruker data fra Helseanalyseplattformen."})
	d.do(&domain.DeclareDependency{DependencyID: NewID(), InitiativeID: d.ids["kjernejournal"], DependsOn: d.ids["grunndata"],
		NeededBy: "2027-12-31", Description: "Demodata: kjernejournal bruker felles kodeverk fra grunndata."})

	// Reporting rounds: T3 and T4 of 2026 closed, the next one open.
	rounds := []struct {
		label     string
		periodEnd domain.Date
		deadline  domain.Date
		close     bool
	}{
		{"2026-T3", "2026-09-30", "2026-10-15", true},
		{"2026-T4", "2026-11-30", "2026-12-15", true},
		{"2027-T1", "2027-03-31", "2027-04-15", false},
	}
	reporters := []string{"helsenorge", "kjernejournal", "eresept", "helseid", "meldingsutveksling", "grunndata",
		"pll", "helseplattformen", "helsedataprogrammet", "akson", "digihelse", "hap", "digihelsestasjon", "hjemmeoppfolging"}
	for r, rd := range rounds {
		id := NewID()
		d.do(&domain.OpenReportingRound{RoundID: id, Label: rd.label, PeriodEnd: rd.periodEnd, Deadline: rd.deadline})
		for i, k := range reporters {
			if (i+r)%5 == 4 || !rd.close && i%2 == 0 {
				continue // not reported (yet)
			}
			light := func(off int) domain.RAG {
				switch (i*5 + r*3 + off) % 7 {
				case 0:
					return domain.Yellow
				case 1:
					if r == 1 {
						return domain.Red
					}
				}
				return domain.Green
			}
			st := &domain.ReportStatus{InitiativeID: d.ids[k], ReportDate: "2026-09-30", RoundID: id,
				Overall: light(0), Schedule: light(1), Cost: light(2), Benefit: light(3)}
			if st.Overall != domain.Green || st.Schedule != domain.Green || st.Cost != domain.Green || st.Benefit != domain.Green {
				st.Comment = "Demodata: avvik fra plan er meldt og tiltak er iverksatt."
			}
			d.do(st)
		}
		if rd.close {
			d.do(&domain.CloseReportingRound{RoundID: id})
		}
		if r == 0 {
			// In the next period HelseID's milestone slips past the date PLL needs it.
			d.do(&domain.ReportMilestone{InitiativeID: d.ids["helseid"], MilestoneID: helseidMS,
				Status: domain.MilestoneSlippedStatus, NewPlannedDate: "2027-03-01"})
		}
	}
}
