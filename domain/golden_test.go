package domain

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
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
	variants := eventVariants()
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
			golden(t, dir, et, et, e)
			// Fully populated: no field is its zero value in the sample and
			// in every variant of the type.
			zero := zeroFields(reflect.ValueOf(e), "")
			for name, v := range variants {
				if strings.HasPrefix(name, et+".") {
					golden(t, dir, et, name, v)
					set := zeroFields(reflect.ValueOf(v), "")
					zero = slices.DeleteFunc(zero, func(f string) bool { return !slices.Contains(set, f) })
				}
			}
			if len(zero) > 0 {
				t.Fatalf("samples of %s leave fields empty: %s", et, strings.Join(zero, ", "))
			}
		})
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range entries {
		name := strings.TrimSuffix(en.Name(), ".json")
		et, variant, isVariant := strings.Cut(name, ".")
		if _, ok := NewEvent(et); !ok {
			t.Errorf("golden file %s names no event type", en.Name())
		}
		if _, ok := variants[name]; isVariant && !ok {
			t.Errorf("golden file %s names no variant %q in eventVariants", en.Name(), variant)
		}
	}
}

// golden checks the JSON of e, of event type et, against testdata/events/<name>.json.
func golden(t *testing.T, dir, et, name string, e Event) {
	t.Helper()
	if e.EventType() != et {
		t.Fatalf("sample %s is a %s", name, e.EventType())
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
	path := filepath.Join(dir, name+".json")
	if *update {
		if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	golden, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%s has no golden file (go test ./domain -run TestEventGolden -update): %v", name, err)
	}
	if !bytes.Equal(golden, pretty.Bytes()) {
		t.Fatalf("the JSON of %s changed; a change needs a new event version and an upcaster.\n got %s\nwant %s",
			name, pretty.Bytes(), golden)
	}
	// The golden file decodes to the sample, and nothing in it is unknown.
	back, err := DecodeEvent(et, EventVersion, golden)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, e) {
		t.Fatalf("DecodeEvent(golden %s) = %#v, want %#v", name, back, e)
	}
	p := reflect.New(reflect.TypeOf(e)).Interface()
	dec := json.NewDecoder(bytes.NewReader(golden))
	dec.DisallowUnknownFields()
	if err := dec.Decode(p); err != nil {
		t.Fatalf("golden %s has unknown fields: %v", name, err)
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
