package domain

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzDecodeEvent: DecodeEvent never panics, and what it decodes encodes
// and decodes to the same value. Seeds: every event sample.
//
//	go test ./domain -run '^$' -fuzz FuzzDecodeEvent -fuzztime 30s
func FuzzDecodeEvent(f *testing.F) {
	for et, e := range eventSamples() {
		data, err := EncodeEvent(e)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(et, data)
	}
	f.Add("CaseNoted", []byte(`{"caseId":"x","remarks":"\ud800"}`))
	f.Add("InitiativeProposed", []byte(`{"subGoals":null,"estimatedCostNOK":-1}`))
	f.Add("MeetingScheduled", []byte(`{"year":1e3}`))
	f.Add("Nothing", []byte(`{}`))
	f.Add("StatusReported", []byte(`[`))
	f.Fuzz(func(t *testing.T, eventType string, data []byte) {
		e, err := DecodeEvent(eventType, EventVersion, data)
		if err != nil {
			if !IsKind(err, KindInvalid) {
				t.Fatalf("DecodeEvent error %v is not invalid", err)
			}
			return
		}
		if e == nil || e.EventType() != eventType {
			t.Fatalf("DecodeEvent(%q) = %#v", eventType, e)
		}
		again, err := EncodeEvent(e)
		if err != nil {
			t.Fatalf("EncodeEvent: %v", err)
		}
		back, err := DecodeEvent(eventType, EventVersion, again)
		if err != nil {
			t.Fatalf("re-decoding %s: %v", again, err)
		}
		if !reflect.DeepEqual(back, e) {
			t.Fatalf("round trip changed the event:\n%#v\n%#v", e, back)
		}
		// Folding a decoded event into an empty state never panics.
		if at, ok := AggregateOf(eventType); ok {
			_, _ = Evolve(NewState(Ref{at, "x"}), Recorded{Version: 1, Event: e})
		}
	})
}

// FuzzDecodeCommand: a command body decoded strictly (as the HTTP API
// does) never makes Validate, Target, Needs or Decide panic. Seeds: every
// command sample.
//
//	go test ./domain -run '^$' -fuzz FuzzDecodeCommand -fuzztime 30s
func FuzzDecodeCommand(f *testing.F) {
	for name, c := range commandSamples() {
		data, err := json.Marshal(c)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(name, data)
	}
	f.Add("ReportMilestone", []byte(`{"initiativeId":"01JDQ6Z3V7M8W0X8PVRBQ5N2E4","status":"slipped","newPlannedDate":"2026-02-29"}`))
	f.Add("ProposeInitiative", []byte(`{"title":"t","estimatedCostNOK":-9223372036854775808,"subGoals":["", "1A"]}`))
	f.Add("ScheduleMeeting", []byte(`{"forum":"EHR","date":"9999-12-31"}`))
	f.Add("RegisterCase", []byte(`{"purpose":"phase_gate","targetPhase":"closed"}`))
	f.Add("NoteCase", []byte(`{"unknown":1}`))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		c, ok := NewCommand(name)
		if !ok {
			return
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(c); err != nil {
			return
		}
		err := c.Validate()
		if err != nil && !IsKind(err, KindInvalid) {
			t.Fatalf("Validate error %v is not invalid", err)
		}
		_ = Target(c)
		states := map[Ref]State{}
		for range 4 {
			for _, r := range Needs(c, states) {
				if _, ok := states[r]; !ok {
					if s := NewState(r); s != nil {
						states[r] = s
					}
				}
			}
		}
		changes, derr := Decide(c, states, now)
		if err != nil && derr == nil {
			t.Fatalf("Decide accepted an invalid command: %v", err)
		}
		for _, ch := range changes {
			if _, err := EncodeEvent(ch.Event); err != nil {
				t.Fatalf("EncodeEvent(%s): %v", ch.Event.EventType(), err)
			}
		}
	})
}
