package domain

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// update regenerates the golden files: go test ./domain -run TestEventGolden -update
var update = flag.Bool("update", false, "rewrite the golden files in testdata/events")

// TestEventGolden pins the JSON of every event type: events are a persisted
// contract, and a change to their JSON needs a new version and an upcaster.
// Every event type needs a sample and a golden file; no golden file is
// left without its event type.
func TestEventGolden(t *testing.T) {
	samples := eventSamples()
	dir := filepath.Join("testdata", "events")
	if *update {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, et := range EventTypes() {
		t.Run(et, func(t *testing.T) {
			e, ok := samples[et]
			if !ok {
				t.Fatalf("no sample of event type %s in eventSamples", et)
			}
			if e.EventType() != et {
				t.Fatalf("sample of %s is a %s", et, e.EventType())
			}
			data, err := EncodeEvent(e)
			if err != nil {
				t.Fatal(err)
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, data, "", "  "); err != nil {
				t.Fatal(err)
			}
			pretty.WriteByte('\n')
			path := filepath.Join(dir, et+".json")
			if *update {
				if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			golden, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("event type %s has no golden file (go test ./domain -run TestEventGolden -update): %v", et, err)
			}
			if !bytes.Equal(golden, pretty.Bytes()) {
				t.Fatalf("the JSON of %s changed; a change needs a new event version and an upcaster.\n got %s\nwant %s",
					et, pretty.Bytes(), golden)
			}
			// The golden file decodes to the sample, and nothing in it is unknown.
			back, err := DecodeEvent(et, EventVersion, golden)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, e) {
				t.Fatalf("DecodeEvent(golden) = %#v, want %#v", back, e)
			}
			f := eventFactories[et]()
			dec := json.NewDecoder(bytes.NewReader(golden))
			dec.DisallowUnknownFields()
			if err := dec.Decode(f); err != nil {
				t.Fatalf("golden %s has unknown fields: %v", et, err)
			}
			// Fully populated: no field of the sample is its zero value.
			if z := zeroFields(reflect.ValueOf(e), ""); len(z) > 0 {
				t.Fatalf("sample of %s leaves fields empty: %s", et, strings.Join(z, ", "))
			}
		})
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range entries {
		name := strings.TrimSuffix(en.Name(), ".json")
		if _, ok := eventFactories[name]; !ok {
			t.Errorf("golden file %s names no event type", en.Name())
		}
	}
}

func zeroFields(v reflect.Value, prefix string) []string {
	var out []string
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		name := prefix + v.Type().Field(i).Name
		if f.Kind() == reflect.Struct {
			out = append(out, zeroFields(f, name+".")...)
			continue
		}
		if f.IsZero() {
			out = append(out, name)
		}
	}
	return out
}

func TestDecodeEventErrors(t *testing.T) {
	if _, err := DecodeEvent("NoSuchEvent", EventVersion, []byte(`{}`)); !IsKind(err, KindInvalid) {
		t.Errorf("unknown type: %v", err)
	}
	if _, err := DecodeEvent("CaseNoted", EventVersion+1, []byte(`{}`)); !IsKind(err, KindInvalid) {
		t.Errorf("unknown version: %v", err)
	}
	if _, err := DecodeEvent("CaseNoted", EventVersion, []byte(`{"caseId": 1}`)); !IsKind(err, KindInvalid) {
		t.Errorf("malformed data: %v", err)
	}
}
