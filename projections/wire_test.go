package projections

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ehelse/portfolio/domain"
)

// nilSlices lists the paths of the nil slices reachable from v through
// structs, pointers and slices that would encode as null: []byte and
// json.RawMessage aside (null or base64 on purpose), and fields tagged
// omitempty (left out when empty).
func nilSlices(v reflect.Value, path string) []string {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		return nilSlices(v.Elem(), path)
	case reflect.Struct:
		var out []string
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() && !strings.Contains(f.Tag.Get("json"), ",omitempty") {
				out = append(out, nilSlices(v.Field(i), path+"."+f.Name)...)
			}
		}
		return out
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return nil
		}
		if v.IsNil() {
			return []string{path}
		}
		var out []string
		for i := range v.Len() {
			out = append(out, nilSlices(v.Index(i), fmt.Sprintf("%s[%d]", path, i))...)
		}
		return out
	}
	return nil
}

// TestAnswersHaveNoNilSlices: every query answers arrays as [] and never
// null, because the read models give non-nil slices (the HTTP layer does
// not patch them), on empty read models and on a history touching every
// read model.
func TestAnswersHaveNoNilSlices(t *testing.T) {
	h, _ := scenario()
	// Lists decoded from JSON are empty but not nil: an initiative proposed
	// with "subGoals": [] and "userGroups": [].
	h.add(domain.Initiative, "01JDINI0000000000000000099", domain.InitiativeProposed{
		InitiativeID: "01JDINI0000000000000000099", Title: "Tomme lister", Description: "d", Owner: "KS",
		PrimarySubGoal: "1A", PrimaryGoal: "M1", SubGoals: []string{}, UserGroups: []string{},
		PlannedStart: "2026-01-01", PlannedEnd: "2026-12-31"})
	// A goal without sub-goals, a meeting without cases, a case on no agenda.
	h.add(domain.Strategy, domain.StrategyCatalogID,
		domain.StrategicGoalDefined{GoalID: "M9", Strategy: "2023-2030", Title: "Uten delmål"})
	h.add(domain.Meeting, "01JDMTG0000000000000000099", domain.MeetingScheduled{MeetingID: "01JDMTG0000000000000000099",
		Forum: domain.NUFA, Date: "2026-12-01", Year: 2026, Number: 9, Label: "9/2026"})
	h.add(domain.Case, "01JDCAS0000000000000000099", domain.CaseRegistered{CaseID: "01JDCAS0000000000000000099",
		Forum: domain.NUFA, Title: "Ikke plassert", CaseType: domain.CaseInformation, Purpose: domain.PurposeOther,
		InitiativeID: "01JDINI0000000000000000099", ProposedResolution: "Tas til orientering"})
	fullDB := openDB(t)
	applyItems(t, fullDB, h.items, 7)
	full := modelsOn(t, fullDB)
	db := openDB(t)
	if err := db.Update(ensureBuckets); err != nil {
		t.Fatal(err)
	}
	empty := modelsOn(t, db)
	for name, m := range map[string]*ReadModels{"empty": empty, "scenario": full} {
		check := func(what string, v any, err error) {
			t.Helper()
			if err != nil {
				t.Fatalf("%s %s: %v", name, what, err)
			}
			if nils := nilSlices(reflect.ValueOf(v), what); len(nils) > 0 {
				t.Errorf("%s: nil slices %v", name, nils)
			}
		}
		v1, err := m.Strategy()
		check("Strategy", v1, err)
		v2, err := m.Initiatives(InitiativeFilter{})
		check("Initiatives", v2, err)
		v3, err := m.Roadmap(RoadmapFilter{})
		check("Roadmap", v3, err)
		v4, err := m.Meetings("", 0)
		check("Meetings", v4, err)
		v5, err := m.Decisions(DecisionFilter{})
		check("Decisions", v5, err)
		v6, err := m.Initiatives(InitiativeFilter{Owner: "nobody"})
		check("Initiatives(owner=nobody)", v6, err)
		v7, err := m.Roadmap(RoadmapFilter{Owner: "nobody"})
		check("Roadmap(owner=nobody)", v7, err)
		v8, err := m.Decisions(DecisionFilter{Forum: "NUFA", From: "2099-01-01"})
		check("Decisions(none)", v8, err)
		if m == empty {
			continue
		}
		seen := map[string]bool{}
		for _, it := range h.items {
			if seen[it.AggType+"/"+it.AggID] {
				continue
			}
			seen[it.AggType+"/"+it.AggID] = true
			switch domain.AggregateType(it.AggType) {
			case domain.Initiative:
				d, err := m.Initiative(it.AggID)
				check("Initiative "+it.AggID, d, err)
			case domain.Meeting:
				d, err := m.Meeting(it.AggID)
				check("Meeting "+it.AggID, d, err)
			case domain.Case:
				d, err := m.Case(it.AggID)
				check("Case "+it.AggID, d, err)
			}
		}
	}
}

// TestInitiativeAt: time travel folds with the projection's rule, so all
// of an initiative's events give exactly the current state, and the first
// one the proposal.
func TestInitiativeAt(t *testing.T) {
	m, _ := scenarioModels(t)
	h, _ := scenario()
	events := map[string][]domain.Recorded{}
	for _, it := range h.items {
		if it.AggType == string(domain.Initiative) {
			events[it.AggID] = append(events[it.AggID], it.Rec)
		}
	}
	if len(events) == 0 {
		t.Fatal("the scenario has no initiatives")
	}
	far := time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
	for id, evs := range events {
		now, err := m.Initiative(id)
		if err != nil {
			t.Fatal(err)
		}
		then, err := m.InitiativeAt(id, evs, far)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(then, now) {
			t.Errorf("%s: all events give\n%+v\nthe current state is\n%+v", id, then, now)
		}
		first, err := m.InitiativeAt(id, evs[:1], evs[0].Time)
		if err != nil {
			t.Fatal(err)
		}
		if first.Version != 1 || first.State != domain.LifecycleProposed || len(first.StatusHistory) != 0 || len(first.History) != 1 {
			t.Errorf("%s at version 1: %+v", id, first)
		}
		for _, c := range first.Cases {
			if len(c.CaseNumbers) > 0 || c.LastOutcome != "" {
				t.Errorf("%s at version 1: case %+v placed or decided before the proposal", id, c)
			}
		}
	}
	if _, err := m.InitiativeAt("nope", nil, far); !domain.IsKind(err, domain.KindNotFound) {
		t.Errorf("no events: %v", err)
	}
}
