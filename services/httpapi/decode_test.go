package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/ehelse/portfolio/domain"
)

// tokenKeys is the reference: the member names of a JSON object as the
// json.Decoder token stream gives them.
func tokenKeys(t *testing.T, data []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	keys := []string{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

func TestTopLevelKeysMatchTheTokenStream(t *testing.T) {
	for _, body := range []string{
		`{}`,
		` { } `,
		`{"a":1}`,
		`{"a" : 1 , "b":"x"}`,
		`{"a":"}\"{,","b":{"c":"]","d":[1,{"e":"\\"}]},"f":[],"g":null,"h":true,"i":-1.5e3}`,
		`{"\u0069d":"x","i\"d":2,"id":3,"id":4}`,
		"{\n\t\"a\"\r\n:\n[ [ ] ]\n,\n\"b\"\t:\t{ }\n}",
		`{"title":"Opptak 🚑 ÆØÅ","x":"\ud800"}`,
		`{"a":{"b":{"c":{"d":[[[["}"]]]]}}},"z":0}`,
		`{"` + strings.Repeat("k", 300) + `":1,"":2}`,
	} {
		if !json.Valid([]byte(body)) {
			t.Fatalf("test body %q is not valid JSON", body)
		}
		got, err := topLevelKeys([]byte(strings.TrimSpace(body)))
		if err != nil {
			t.Fatalf("%q: %v", body, err)
		}
		if want := tokenKeys(t, []byte(body)); !slices.Equal(got, want) {
			t.Errorf("%q: keys %q, want %q", body, got, want)
		}
	}
}

func TestDecodeStrictManyRepeatedFields(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"initiativeId":"x"`)
	for range 40 {
		b.WriteString(`,"comment":"y"`)
	}
	b.WriteString(`,"extra":1}`)
	cmd, _ := domain.NewCommand("ReportStatus")
	var de *domain.Error
	if err := decodeStrict([]byte(b.String()), cmd); !errors.As(err, &de) || de.Kind != domain.KindMalformed {
		t.Fatalf("error %v, want a malformed request", err)
	}
	if len(de.Fields) != 40 || de.Fields[0].Field != "comment" || de.Fields[0].Detail != "is given twice" ||
		de.Fields[39].Field != "extra" || !strings.HasPrefix(de.Fields[39].Detail, "is not a field") {
		t.Fatalf("fields %+v, want 39 × comment given twice and extra unknown", de.Fields)
	}
}

// BenchmarkDecodeStrict: a ReportStatus body as P2 sends it.
func BenchmarkDecodeStrict(b *testing.B) {
	body := []byte(`{"initiativeId":"01JF0000000000000000000000","reportDate":"2026-03-01","overall":"green","schedule":"yellow","cost":"red","benefit":"green","comment":"status from the bench"}`)
	b.ReportAllocs()
	for b.Loop() {
		cmd, _ := domain.NewCommand("ReportStatus")
		if err := decodeStrict(body, cmd); err != nil {
			b.Fatal(err)
		}
	}
}
