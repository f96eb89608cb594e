package eventstore_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/eventlog"
	"github.com/ehelse/portfolio/eventstore"
	"github.com/ehelse/portfolio/eventstore/natstest"
)

// TestStoredPayloadIsCloudEvent decodes stored payloads with the CloudEvents
// SDK and checks every attribute.
func TestStoredPayloadIsCloudEvent(t *testing.T) {
	_, _, js := natstest.RunServer(t)
	ctx := testCtx(t)
	s, err := eventstore.Open(ctx, js, eventstore.Config{Source: "/portfolio/test", Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	caseID, initID := newID(), newID()
	m := eventlog.Meta{CommandID: "cmd-" + newID(), CorrelationID: "corr-42", Actor: "user:kari", Time: time.Date(2026, 3, 4, 5, 6, 7, 890123456, time.FixedZone("CET", 3600))}
	data := []map[string]any{{"caseId": caseID, "resolution": "Godkjent", "n": 1.5}, {"initiativeId": initID, "phase": "konsept"}}
	raw0, _ := json.Marshal(data[0])
	raw1, _ := json.Marshal(data[1])
	res, err := s.Append(ctx, m,
		eventlog.AggregateAppend{Type: "case", ID: caseID, Events: []eventlog.NewEvent{{ID: "01JQZ0000000000000000000AA", Type: "CaseApproved", Data: raw0}}},
		eventlog.AggregateAppend{Type: "initiative", ID: initID, Events: []eventlog.NewEvent{{Type: "InitiativeAdmitted", Data: raw1}}},
	)
	if err != nil {
		t.Fatal(err)
	}
	if res.Events[0].ID != "01JQZ0000000000000000000AA" || len(res.Events[1].ID) != 26 {
		t.Fatalf("ids %+v", res.Events)
	}
	recs, err := s.Read(ctx, res.Events[0].Position-1, 2)
	if err != nil || len(recs) != 2 {
		t.Fatalf("Read: %d, %v", len(recs), err)
	}
	want := []struct{ aggType, aggID, typ string }{{"case", caseID, "CaseApproved"}, {"initiative", initID, "InitiativeAdmitted"}}
	for i, rec := range recs {
		var e event.Event
		if err := json.Unmarshal(rec.Raw, &e); err != nil {
			t.Fatalf("unmarshal %s: %v", rec.Raw, err)
		}
		if err := e.Validate(); err != nil {
			t.Fatalf("validate %s: %v", rec.Raw, err)
		}
		w := want[i]
		check := func(name string, got, want any) {
			t.Helper()
			if got != want {
				t.Errorf("event %d %s = %v, want %v", i, name, got, want)
			}
		}
		check("specversion", e.SpecVersion(), "1.0")
		check("id", e.ID(), res.Events[i].ID)
		check("source", e.Source(), "/portfolio/test")
		check("type", e.Type(), "no.ehelse.portfolio."+w.typ+".v1")
		check("subject", e.Subject(), w.aggType+"/"+w.aggID)
		check("time", e.Time().UTC(), m.Time.UTC())
		check("datacontenttype", e.DataContentType(), "application/json")
		var d map[string]any
		if err := e.DataAs(&d); err != nil {
			t.Fatal(err)
		}
		for k, v := range data[i] {
			check("data."+k, d[k], v)
		}
		ext := e.Extensions()
		str := func(name string) string {
			s, err := types.ToString(ext[name])
			if err != nil {
				t.Errorf("extension %s: %v", name, err)
			}
			return s
		}
		check("aggregatetype", str("aggregatetype"), w.aggType)
		check("aggregateid", str("aggregateid"), w.aggID)
		check("actor", str("actor"), "user:kari")
		check("causationid", str("causationid"), m.CommandID)
		check("correlationid", str("correlationid"), "corr-42")
		v, err := types.ToInteger(ext["aggregateversion"])
		if err != nil {
			t.Errorf("aggregateversion: %v", err)
		}
		check("aggregateversion", v, int32(1))
		for name := range ext {
			if !event.IsExtensionNameValid(name) || strings.ToLower(name) != name || len(name) > 20 {
				t.Errorf("extension name %q breaks the CloudEvents naming rules", name)
			}
		}
		if len(ext) != 6 {
			t.Errorf("extensions %v", ext)
		}

		// And the store's own decoder agrees.
		if rec.Type != w.typ || rec.SchemaVersion != 1 || rec.AggregateType != w.aggType || rec.AggregateID != w.aggID ||
			rec.Version != 1 || rec.Actor != m.Actor || rec.CausationID != m.CommandID || rec.CorrelationID != m.CorrelationID ||
			!rec.Time.Equal(m.Time) || rec.Time.Location() != time.UTC {
			t.Errorf("record %+v", rec)
		}
	}
	// The time attribute is written in UTC.
	if !strings.Contains(string(recs[0].Raw), `"time":"2026-03-04T04:06:07.890123456Z"`) {
		t.Errorf("time not RFC3339Nano UTC: %s", recs[0].Raw)
	}
}

func TestDecodeRecord(t *testing.T) {
	good := `{"specversion":"1.0","id":"01J","source":"/p","type":"no.ehelse.portfolio.CaseNoted.v2","subject":"case/c1","time":"2026-01-02T03:04:05.5Z","datacontenttype":"application/json","aggregatetype":"case","aggregateid":"c1","aggregateversion":7,"actor":"a","causationid":"cmd","correlationid":"corr","data":{"x":1}}`
	r, err := eventlog.DecodeRecord("portfolio.events.case.c1.CaseNoted", 42, []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if r.Position != 42 || r.Type != "CaseNoted" || r.SchemaVersion != 2 || r.Version != 7 || string(r.Data) != `{"x":1}` ||
		r.Subject != "portfolio.events.case.c1.CaseNoted" || string(r.Raw) != good {
		t.Fatalf("%+v", r)
	}
	// Without a subject it is derived; without a version suffix it is 1.
	r, err = eventlog.DecodeRecord("", 1, []byte(strings.Replace(good, ".v2", "", 1)))
	if err != nil || r.SchemaVersion != 1 || r.Subject != "portfolio.events.case.c1.CaseNoted" {
		t.Fatalf("%+v, %v", r, err)
	}

	bad := map[string]string{
		"not json":          `{`,
		"spec version":      strings.Replace(good, `"1.0"`, `"0.3"`, 1),
		"no id":             strings.Replace(good, `"id":"01J"`, `"id":""`, 1),
		"foreign type":      strings.Replace(good, "no.ehelse.portfolio.", "com.example.", 1),
		"bad version":       strings.Replace(good, ".v2", ".vx", 1),
		"type with dot":     strings.Replace(good, "CaseNoted.v2", "Case.Noted.v2", 1),
		"subject attribute": strings.Replace(good, `"case/c1"`, `"case/c2"`, 1),
		"version zero":      strings.Replace(good, `:7,`, `:0,`, 1),
		"version string":    strings.Replace(good, `:7,`, `:"7",`, 1),
		"version negative":  strings.Replace(good, `:7,`, `:-7,`, 1),
		"bad time":          strings.Replace(good, `2026-01-02T03:04:05.5Z`, `yesterday`, 1),
		"no data":           strings.Replace(good, `,"data":{"x":1}`, ``, 1),
		"null data":         strings.Replace(good, `{"x":1}`, `null`, 1),
		"bad aggregate id":  strings.Replace(good, `"aggregateid":"c1"`, `"aggregateid":"c.1"`, 1),
	}
	for name, raw := range bad {
		_, err := eventlog.DecodeRecord("", 1, []byte(raw))
		if !errors.Is(err, eventlog.ErrCorrupt) || !domain.IsKind(err, domain.KindInternal) {
			t.Errorf("%s: %v, want ErrCorrupt", name, err)
		}
	}
	// Stored under another aggregate's subject.
	if _, err := eventlog.DecodeRecord("portfolio.events.case.c2.CaseNoted", 1, []byte(good)); !errors.Is(err, eventlog.ErrCorrupt) {
		t.Errorf("wrong subject: %v", err)
	}
}

func TestValidToken(t *testing.T) {
	for _, s := range []string{"case", "01JQZ", "a-b_c", "æøå", "x:y"} {
		if !eventlog.ValidToken(s) {
			t.Errorf("%q rejected", s)
		}
	}
	for _, s := range []string{"", "a.b", "a*", ">", "a b", "a\tb", "a\nb", "a\x00b", "\xff"} {
		if eventlog.ValidToken(s) {
			t.Errorf("%q accepted", s)
		}
	}
}
