package faults

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/eventlog"
	"github.com/ehelse/portfolio/projections"
)

// eventSamples are the domain's golden event data, by event type.
func eventSamples(t testing.TB) map[string][]byte {
	t.Helper()
	dir := filepath.Join("..", "..", "domain", "testdata", "events")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("event samples: %v", err)
	}
	out := map[string][]byte{}
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[name] = data
	}
	return out
}

// aggregateOf names the aggregate an event sample belongs to.
func aggregateOf(eventType string, data []byte) (string, string) {
	at, ok := domain.AggregateOf(eventType)
	if !ok {
		return "initiative", "01JDQ6Z3V7M8W0X8PVRBQ5N2E4"
	}
	var d struct {
		InitiativeID string `json:"initiativeId"`
		MeetingID    string `json:"meetingId"`
		CaseID       string `json:"caseId"`
		Forum        string `json:"forum"`
		Year         int    `json:"year"`
	}
	_ = json.Unmarshal(data, &d)
	switch at {
	case domain.Strategy:
		return string(at), domain.StrategyCatalogID
	case domain.Initiative:
		return string(at), d.InitiativeID
	case domain.Meeting:
		return string(at), d.MeetingID
	case domain.Case:
		return string(at), d.CaseID
	case domain.Series:
		return string(at), domain.SeriesRef(domain.Forum(d.Forum), d.Year).ID
	}
	return string(at), "x"
}

// envelopeOf builds a stored CloudEvent the way the event store writes one.
func envelopeOf(eventType string, version int, aggType, aggID string, aggVersion uint64, data []byte) []byte {
	env := map[string]any{
		"specversion": "1.0", "id": "01JDQ8M1ME5TNE0000000000A1", "source": "/portfolio",
		"type":    fmt.Sprintf("%s%s.v%d", eventlog.TypePrefix, eventType, version),
		"subject": aggType + "/" + aggID, "time": "2026-06-11T10:00:00.123456789Z",
		"datacontenttype": "application/json", "aggregatetype": aggType, "aggregateid": aggID,
		"aggregateversion": aggVersion, "actor": "sekretariat",
		"causationid": "01JDQ8M1ME5TNE0000000000C1", "correlationid": "corr-1",
		"data": json.RawMessage(data),
	}
	b, _ := json.Marshal(env)
	return b
}

// FuzzEventDecoding: whatever bytes are stored in the stream (a damaged
// file, a foreign publisher, a newer version), the read side never
// panics: eventlog.DecodeRecord either decodes a consistent record or
// returns an ErrCorrupt error; domain.DecodeEvent of what it decoded
// either decodes the event or returns a KindInvalid error; and
// projections.Apply of a decoded event into read models holding a sample
// portfolio returns (changed, error) without panicking.
//
//	go test ./internal/faults -run '^$' -fuzz FuzzEventDecoding -fuzztime 60s
func FuzzEventDecoding(f *testing.F) {
	samples := eventSamples(f)
	for typ, data := range samples {
		at, id := aggregateOf(typ, data)
		raw := envelopeOf(typ, 1, at, id, 3, data)
		f.Add(eventlog.Subject(at, id, typ), uint64(42), raw)
		f.Add("", uint64(1), raw)
	}
	proposed := samples["InitiativeProposed"]
	ini := "01JDQ6Z3V7M8W0X8PVRBQ5N2E4"
	subj := eventlog.Subject("initiative", ini, "InitiativeProposed")
	for _, raw := range [][]byte{
		envelopeOf("InitiativeProposed", 2, "initiative", ini, 1, proposed),     // a newer version
		envelopeOf("InitiativeProposed", 1, "initiative", ini, 0, proposed),     // version 0
		envelopeOf("NoSuchEvent", 1, "initiative", ini, 1, []byte(`{"a":1}`)),   // an unknown type
		envelopeOf("MilestonePlanned", 1, "initiative", ini, 7, []byte(`[]`)),   // data not an object
		envelopeOf("MilestonePlanned", 1, "initiative", ini, 7, []byte(`null`)), // no data
		envelopeOf("StatusReported", 1, "initiative", ini, 7, []byte(`{"overall":1e999}`)),
		envelopeOf("InitiativeProposed", 1, "initiative", ini, 1, []byte(`{"initiativeId":"`+ini+`","estimatedCostNOK":99999999999999999999999}`)),
		envelopeOf("InitiativeProposed", 1, "initiative", ini, 1, []byte(`{"initiativeId":"`+ini+`","title":"\ud800 \u0000 Ærlig 🚑","subGoals":[null,""]}`)),
		envelopeOf("CaseApproved", 1, "case", "01JDQ7A1B2C3D4E5F6G7H8J9K0", 2, []byte(`{"caseId":"01JDQ7A1B2C3D4E5F6G7H8J9K0","meetingId":"nope"}`)),
		envelopeOf("DecisionCorrected", 1, "case", "01JDQ7A1B2C3D4E5F6G7H8J9K0", 9, []byte(`{"correctsEventId":"missing"}`)),
		envelopeOf("MilestoneSlipped", 1, "initiative", ini, 9, []byte(`{"milestoneId":"01JDQ8M1ME5TNE0000000000A1","newPlannedDate":"0000-00-00"}`)),
		envelopeOf("InitiativeProposed", 1, "initiative", "a.b", 1, proposed), // an unsafe subject token
		envelopeOf("InitiativeProposed", 1, "initiative", ini, 1, proposed)[:40],
		[]byte(`{"specversion":"1.0","id":"x","type":"no.ehelse.portfolio.StatusReported.v","aggregatetype":"initiative","aggregateid":"x","subject":"initiative/x","aggregateversion":"1","time":"2026-01-01T00:00:00Z","data":{}}`),
		[]byte(`{"specversion":"1.0","id":"x","type":"no.ehelse.portfolio.StatusReported","aggregatetype":"initiative","aggregateid":"x","subject":"initiative/x","aggregateversion":18446744073709551616,"time":"2026-01-01T00:00:00Z","data":{}}`),
		[]byte(`{"specversion":"1.0","specversion":"0.3"}`),
		[]byte(`null`), []byte(``), []byte(`{`), []byte("\xff\xfe\x00"), []byte(`[{"data":{}}]`),
	} {
		f.Add(subj, uint64(7), raw)
		f.Add("", uint64(0), raw)
	}

	// Read models holding a sample portfolio: the golden events applied in
	// an order the domain allows.
	db, err := bolt.Open(filepath.Join(f.TempDir(), "readmodels.db"), 0o600, &bolt.Options{Timeout: 5 * time.Second, NoSync: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range projections.AllBuckets {
			if _, err := tx.CreateBucketIfNotExists([]byte(b)); err != nil {
				return err
			}
		}
		versions := map[string]uint64{}
		for i, typ := range []string{"StrategicGoalDefined", "SubGoalDefined", "InitiativeProposed", "MeetingScheduled",
			"CaseRegistered", "CasePlacedOnAgenda", "CaseApproved", "InitiativeAdmitted", "MilestonePlanned", "StatusReported"} {
			data, ok := samples[typ]
			if !ok {
				continue
			}
			ev, err := domain.DecodeEvent(typ, domain.EventVersion, data)
			if err != nil {
				return fmt.Errorf("%s: %w", typ, err)
			}
			at, id := aggregateOf(typ, data)
			versions[at+"/"+id]++
			r := domain.Recorded{ID: fmt.Sprintf("01JDQ8M1ME5TNE00000000%04d", i), Version: versions[at+"/"+id],
				Position: uint64(i + 1), Time: time.Date(2026, 6, 11, 10, 0, i, 0, time.UTC), Actor: "sekretariat", Event: ev}
			if _, err := projections.Apply(tx, at, id, r); err != nil {
				return fmt.Errorf("apply %s: %w", typ, err)
			}
		}
		return nil
	})
	if err != nil {
		f.Fatal(err)
	}
	errRollback := errors.New("rollback")

	f.Fuzz(func(t *testing.T, subject string, seq uint64, raw []byte) {
		rec, err := eventlog.DecodeRecord(subject, seq, raw)
		if err != nil {
			if !errors.Is(err, eventlog.ErrCorrupt) || domain.ErrorKind(err) != domain.KindInternal {
				t.Fatalf("DecodeRecord error %v is not ErrCorrupt of kind internal", err)
			}
			return
		}
		// A decoded record is consistent with what was stored.
		if rec.Position != seq || string(rec.Raw) != string(raw) {
			t.Fatalf("record position %d / raw differ from the stored message (seq %d)", rec.Position, seq)
		}
		if !eventlog.ValidToken(rec.AggregateType) || !eventlog.ValidToken(rec.AggregateID) || !eventlog.ValidToken(rec.Type) {
			t.Fatalf("record with an unsafe subject token: %q %q %q", rec.AggregateType, rec.AggregateID, rec.Type)
		}
		if want := eventlog.Subject(rec.AggregateType, rec.AggregateID, rec.Type); rec.Subject != want {
			t.Fatalf("record subject %q, its attributes say %q", rec.Subject, want)
		}
		if rec.Version == 0 || rec.SchemaVersion < 1 || rec.ID == "" || len(rec.Data) == 0 {
			t.Fatalf("record %+v accepted without version, schema version, id or data", rec)
		}

		ev, err := domain.DecodeEvent(rec.Type, rec.SchemaVersion, rec.Data)
		if err != nil {
			if domain.ErrorKind(err) != domain.KindInvalid {
				t.Fatalf("DecodeEvent error %v is not invalid", err)
			}
			return
		}
		if ev == nil || ev.EventType() != rec.Type {
			t.Fatalf("DecodeEvent(%q) = %#v", rec.Type, ev)
		}
		r := domain.Recorded{ID: rec.ID, Version: rec.Version, Position: rec.Position, Time: rec.Time, Actor: rec.Actor, Event: ev}
		err = db.Update(func(tx *bolt.Tx) error {
			if _, err := projections.Apply(tx, rec.AggregateType, rec.AggregateID, r); err != nil {
				return err
			}
			return errRollback
		})
		_ = err // Apply may refuse (a corrupt document is an error, not a panic)
	})
}
