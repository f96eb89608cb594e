package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/eventlog"
	"github.com/ehelse/portfolio/eventstore"
	"github.com/ehelse/portfolio/services"
)

// world produces realistic event logs in bulk: every command goes through
// domain.Decide against in-memory states (so each event passes the domain
// rules, as if the command service had written it), and the events are
// written through eventstore.Store.Append in atomic batches of up to
// eventstore.MaxBatch events, each aggregate once per batch with its
// per-aggregate expectation. The batch, not the command, is the unit of
// the causation id (one bulk-load id per batch).
type world struct {
	ctx    context.Context
	store  *eventstore.Store
	now    time.Time
	actor  string
	rng    *rand.Rand
	states map[domain.Ref]domain.State
	stored map[domain.Ref]aggPos

	aggs    []eventlog.AggregateAppend
	index   map[domain.Ref]int
	pending int
	written uint64 // events appended
	bytes   uint64 // event data bytes appended

	catalogue   bool
	meetings    int
	initiatives map[string]*iniGen
}

// aggPos is where an aggregate stands in the log: its version, the
// position of its last event and that event's hash (the next prevhash).
type aggPos struct {
	version, position uint64
	hash              string
}

// iniGen is what the filler remembers of an initiative.
type iniGen struct {
	id         string
	reports    int
	milestones []*msGen
}

type msGen struct {
	id       string
	planned  domain.Date
	achieved bool
}

func newWorld(ctx context.Context, store *eventstore.Store, seed uint64) *world {
	return &world{
		ctx: ctx, store: store, now: time.Now().UTC(), actor: "bench-loader",
		rng:         rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		states:      map[domain.Ref]domain.State{},
		stored:      map[domain.Ref]aggPos{},
		index:       map[domain.Ref]int{},
		initiatives: map[string]*iniGen{},
	}
}

// total is the number of events decided so far (written or pending).
func (w *world) total() uint64 { return w.written + uint64(w.pending) }

// do decides cmd against the in-memory states and queues its events.
func (w *world) do(cmd domain.Command) error {
	for range 8 {
		added := false
		for _, r := range domain.Needs(cmd, w.states) {
			if _, ok := w.states[r]; !ok {
				w.states[r] = domain.NewState(r)
				added = true
			}
		}
		if !added {
			break
		}
	}
	changes, err := domain.Decide(cmd, w.states, w.now)
	if err != nil {
		return fmt.Errorf("bench load: %s: %w", cmd.CommandName(), err)
	}
	if w.pending+len(changes) > eventstore.MaxBatch {
		if err := w.flush(); err != nil {
			return err
		}
	}
	for _, ch := range changes {
		st := w.states[ch.Ref]
		data, err := domain.EncodeEvent(ch.Event)
		if err != nil {
			return err
		}
		id := services.NewID()
		j, ok := w.index[ch.Ref]
		if !ok {
			sp := w.stored[ch.Ref]
			j = len(w.aggs)
			w.index[ch.Ref] = j
			w.aggs = append(w.aggs, eventlog.AggregateAppend{
				Type: string(ch.Ref.Type), ID: ch.Ref.ID, ExpectedVersion: sp.version, ExpectedPosition: sp.position,
				PrevHash: sp.hash,
			})
		}
		w.aggs[j].Events = append(w.aggs[j].Events, eventlog.NewEvent{ID: id, Type: ch.Event.EventType(), Data: data})
		next, err := domain.Evolve(st, domain.Recorded{ID: id, Version: st.StateVersion() + 1, Time: w.now, Actor: w.actor, Event: ch.Event})
		if err != nil {
			return fmt.Errorf("bench load: evolve %s: %w", ch.Ref, err)
		}
		w.states[ch.Ref] = next
		w.pending++
		w.bytes += uint64(len(data))
	}
	return nil
}

// flush appends the pending events as one atomic batch.
func (w *world) flush() error {
	if w.pending == 0 {
		return nil
	}
	meta := eventlog.Meta{CommandID: services.NewID(), CorrelationID: "bench-load", Actor: w.actor, Time: w.now}
	res, err := w.store.Append(w.ctx, meta, w.aggs...)
	if err != nil {
		return fmt.Errorf("bench load: append %d events: %w", w.pending, err)
	}
	for _, a := range res.Events {
		w.stored[domain.Ref{Type: domain.AggregateType(a.AggregateType), ID: a.AggregateID}] = aggPos{a.Version, a.Position, a.Hash}
	}
	w.written += uint64(len(res.Events))
	w.aggs, w.pending = w.aggs[:0], 0
	clear(w.index)
	return nil
}

var (
	goals = []struct{ id, title string }{
		{"M1", "Aktiv medvirkning i egen og næres helse"},
		{"M2", "Enklere arbeidshverdag"},
		{"M3", "Helsedata til fornying og forbedring"},
		{"M4", "Tilgjengelig informasjon og styrket samhandling"},
		{"M5", "Samarbeid og virkemidler som styrker gjennomføringskraft"},
	}
	subGoals = []struct{ id, goal, title string }{
		{"1A", "M1", "Innbygger skal ha mulighet for å administrere behandlingsforløp, digital dialog og innsynstjenester gjennom Helsenorge"},
		{"1B", "M1", "Digitale tjenester som støtter pårørende og innbyggere med sammensatte behov"},
		{"2A", "M2", "Helsepersonell har sammenhengende journal- og samhandlingsløsninger"},
		{"3A", "M3", "Enklere og sikker tilgang til helsedata for forskning og styring"},
		{"4A", "M4", "Pasientens helseopplysninger er tilgjengelige der de trengs"},
		{"4B", "M4", "Felles standarder og meldingsutveksling i hele sektoren"},
		{"5A", "M5", "Felles grunnmur, styring og finansiering av nasjonale løsninger"},
	}
	titles = []string{"Digital hjemmeoppfølging", "Pasientens legemiddelliste", "Felles kommunal journal",
		"Helseanalyseplattformen", "Meldingsutveksling", "Grunndata og kodeverk", "Kjernejournal", "E-resept",
		"Digital dialog", "Helsenorge", "Regional kurve- og medikasjonsløsning", "HelseID"}
	groups   = []string{"innbyggere", "helseforetak", "kommuner", "fastleger", "apotek", "forskere", "leverandører", "legevakt"}
	comments = []string{
		"Forsinkelse i leveranse fra leverandør; revidert plan er lagt fram for styringsgruppen og tiltak er iverksatt.",
		"Kostnadsoverskridelse i innføringsfasen; gevinstrealiseringsplanen er oppdatert og risiko er meldt til NUIT.",
		"Avhengighet til nasjonal grunnmur er ikke avklart; saken følges opp i porteføljestyringen.",
	}
)

// seedCatalogue defines the strategy catalogue (once).
func (w *world) seedCatalogue() error {
	if w.catalogue {
		return nil
	}
	for _, g := range goals {
		if err := w.do(&domain.DefineStrategicGoal{GoalID: g.id, Strategy: "2023-2030", Title: g.title}); err != nil {
			return err
		}
	}
	for _, s := range subGoals {
		if err := w.do(&domain.DefineSubGoal{SubGoalID: s.id, GoalID: s.goal, Title: s.title}); err != nil {
			return err
		}
	}
	w.catalogue = true
	return nil
}

func (w *world) pick(list []string) string { return list[w.rng.IntN(len(list))] }

// seedInitiatives proposes k initiatives and takes them through admission
// (NUIT recommends, EHR approves), up to 50 cases per meeting. It returns
// their ids; they are in the portfolio afterwards.
func (w *world) seedInitiatives(k int) ([]string, error) {
	if err := w.seedCatalogue(); err != nil {
		return nil, err
	}
	ids := make([]string, 0, k)
	cases := make([]string, 0, k)
	phases := []domain.Phase{domain.PhaseConcept, domain.PhasePlanning, domain.PhaseExecution, domain.PhaseRollout}
	for i := range k {
		id, caseID := services.NewID(), services.NewID()
		sg := subGoals[w.rng.IntN(len(subGoals))]
		var others []string
		for range w.rng.IntN(3) {
			others = append(others, subGoals[w.rng.IntN(len(subGoals))].id)
		}
		var gs []string
		for range 1 + w.rng.IntN(3) {
			gs = append(gs, w.pick(groups))
		}
		startYear := 2018 + w.rng.IntN(8)
		cost := int64(10_000_000 + w.rng.IntN(2_000_000_000))
		title := fmt.Sprintf("%s %d", w.pick(titles), i+1)
		if err := w.do(&domain.ProposeInitiative{
			InitiativeID: id, Title: title,
			Description: "Tiltaket skal gi innbyggere og helsepersonell bedre digitale tjenester gjennom felles nasjonale løsninger, " +
				"med trinnvis innføring i regionene og tydelig gevinstoppfølging i porteføljen.",
			Owner: w.pick(services.DemoOrgs), PrimarySubGoal: sg.id, SubGoals: others, UserGroups: gs,
			PlannedStart: domain.Date(fmt.Sprintf("%d-01-01", startYear)), PlannedEnd: domain.Date(fmt.Sprintf("%d-12-31", startYear+3+w.rng.IntN(5))),
			EstimatedCostNOK: &cost, Phase: phases[w.rng.IntN(len(phases))],
		}); err != nil {
			return nil, err
		}
		if err := w.do(&domain.RegisterCase{
			CaseID: caseID, Forum: domain.NUIT, Title: "Innmelding av " + title + " i nasjonal e-helseportefølje",
			CaseType: domain.CaseApproval, Purpose: domain.PurposeAdmission, InitiativeID: id,
			ProposedResolution: "Tiltaket tas inn i nasjonal e-helseportefølje.",
		}); err != nil {
			return nil, err
		}
		ids = append(ids, id)
		cases = append(cases, caseID)
		w.initiatives[id] = &iniGen{id: id}
	}
	for lo := 0; lo < len(cases); lo += 50 {
		group := cases[lo:min(lo+50, len(cases))]
		m := w.meetings
		w.meetings++
		year, month := 2018+m%8, 1+(m/8)%12
		nuit, ehr := services.NewID(), services.NewID()
		steps := []struct {
			id     string
			forum  domain.Forum
			day    int
			decide func(caseID string) domain.Command
		}{
			{nuit, domain.NUIT, 10, func(c string) domain.Command {
				return &domain.RecommendInCouncil{CaseID: c, MeetingID: nuit, Resolution: "NUIT anbefaler at saken legges fram for Nasjonalt e-helseråd."}
			}},
			{ehr, domain.EHR, 20, func(c string) domain.Command {
				return &domain.ApproveInCouncil{CaseID: c, MeetingID: ehr, Resolution: "Nasjonalt e-helseråd gir sin tilslutning."}
			}},
		}
		for _, st := range steps {
			date := domain.Date(fmt.Sprintf("%d-%02d-%02d", year, month, st.day))
			if err := w.do(&domain.ScheduleMeeting{MeetingID: st.id, Forum: st.forum, Date: date}); err != nil {
				return nil, err
			}
			for _, c := range group {
				if err := w.do(&domain.PlaceCaseOnAgenda{CaseID: c, MeetingID: st.id}); err != nil {
					return nil, err
				}
			}
			if err := w.do(&domain.HoldMeeting{MeetingID: st.id}); err != nil {
				return nil, err
			}
			for _, c := range group {
				if err := w.do(st.decide(c)); err != nil {
					return nil, err
				}
			}
		}
	}
	return ids, nil
}

// maxReportDate is the latest date the filler reports status for; the
// measured commands report on fixedReportDate, which is not earlier.
const (
	maxReportDate   = domain.Date("2026-11-30")
	fixedReportDate = domain.Date("2026-12-31")
)

var firstReport = time.Date(2019, 1, 7, 0, 0, 0, 0, time.UTC)

// statusReport is a realistic status report on the initiative's next
// weekly date.
func (w *world) statusReport(g *iniGen) *domain.ReportStatus {
	date := domain.DateOf(firstReport.AddDate(0, 0, 7*g.reports))
	if date > maxReportDate {
		date = maxReportDate
	}
	g.reports++
	return w.statusOn(g.id, date)
}

func (w *world) statusOn(id string, date domain.Date) *domain.ReportStatus {
	rag := func() domain.RAG {
		switch n := w.rng.IntN(10); {
		case n < 7:
			return domain.Green
		case n < 9:
			return domain.Yellow
		}
		return domain.Red
	}
	r := &domain.ReportStatus{InitiativeID: id, ReportDate: date, Overall: rag(), Schedule: rag(), Cost: rag(), Benefit: rag()}
	if r.Overall != domain.Green || r.Schedule != domain.Green || r.Cost != domain.Green || r.Benefit != domain.Green {
		r.Comment = w.pick(comments)
	}
	return r
}

// fill adds a realistic mix of initiative events (status reports about
// 65 %, milestones planned, slipped and achieved; at most 12 milestones per
// initiative) to random initiatives until the log holds target events.
func (w *world) fill(ids []string, target uint64) error {
	if len(ids) == 0 {
		return nil
	}
	for w.total() < target {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		g := w.initiatives[ids[w.rng.IntN(len(ids))]]
		var cmd domain.Command
		var open []*msGen
		for _, m := range g.milestones {
			if !m.achieved {
				open = append(open, m)
			}
		}
		switch r := w.rng.IntN(100); {
		case r < 65:
		case r < 85 && len(g.milestones) < 12:
			m := &msGen{id: services.NewID(), planned: domain.DateOf(time.Date(2020+w.rng.IntN(8), time.Month(1+w.rng.IntN(12)), 15, 0, 0, 0, 0, time.UTC))}
			g.milestones = append(g.milestones, m)
			cmd = &domain.ReportMilestone{InitiativeID: g.id, MilestoneID: m.id, Title: "Løsning tatt i bruk i " + w.pick(groups) + " i første region",
				Status: domain.MilestonePlannedStatus, PlannedDate: m.planned}
		case r >= 85 && len(open) > 0:
			m := open[w.rng.IntN(len(open))]
			if w.rng.IntN(2) == 0 {
				m.achieved = true
				cmd = &domain.ReportMilestone{InitiativeID: g.id, MilestoneID: m.id, Status: domain.MilestoneAchievedStatus, AchievedDate: m.planned}
			} else {
				m.planned = domain.DateOf(m.planned.Time().AddDate(0, 1+w.rng.IntN(4), 0))
				cmd = &domain.ReportMilestone{InitiativeID: g.id, MilestoneID: m.id, Status: domain.MilestoneSlippedStatus, NewPlannedDate: m.planned}
			}
		}
		if cmd == nil {
			cmd = w.statusReport(g)
		}
		if err := w.do(cmd); err != nil {
			return err
		}
	}
	return w.flush()
}

// fillOne appends status reports to one initiative until it has events
// events.
func (w *world) fillOne(id string, events uint64) error {
	g := w.initiatives[id]
	ref := domain.Ref{Type: domain.Initiative, ID: id}
	for w.states[ref].StateVersion() < events {
		if err := w.do(w.statusReport(g)); err != nil {
			return err
		}
	}
	return w.flush()
}
