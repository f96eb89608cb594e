package backupfile

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func write(t *testing.T, m Manifest, streams map[string][]string, order []string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := NewWriter(&buf, time.Unix(1_800_000_000, 0))
	for _, name := range order {
		role := RoleIdempotency
		if name == "PORTFOLIO" {
			role = RoleEvents
		}
		if err := w.BeginStream(Stream{Name: name, Role: role}, []byte(`{"config":{"name":"`+name+`"}}`)); err != nil {
			t.Fatal(err)
		}
		for _, c := range streams[name] {
			if err := w.Chunk([]byte(c)); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := w.EndStream(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(m); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestRoundTrip: what the Writer writes, the Reader gives back in order,
// with the manifest's checksums and counts filled in and checked.
func TestRoundTrip(t *testing.T) {
	data := map[string][]string{"KV_X": {"kv"}, "PORTFOLIO": {strings.Repeat("e", 2000), "f", strings.Repeat("g", 700)}}
	b := write(t, Manifest{Product: "p", Audit: Audit{OK: true, Events: 3, Position: 3, Head: "h", Tail: []AuditPoint{{Position: 4, Events: 4, Head: "h4", OK: true}}}},
		data, []string{"KV_X", "PORTFOLIO"})
	r := NewReader(bytes.NewReader(b))
	var got []string
	for {
		it, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if it.Manifest != nil {
			m := *it.Manifest
			ev, ok := m.EventStream()
			if m.Format != Format || !ok || ev.Chunks != 3 || ev.DataBytes != 2701 || len(m.Streams) != 2 || m.Audit.LastPossible() != 4 {
				t.Fatalf("manifest %+v", m)
			}
			if p, ok := m.Audit.At(4); !ok || p.Head != "h4" {
				t.Errorf("At(4) %+v %v", p, ok)
			}
			if _, ok := m.Audit.At(5); ok {
				t.Errorf("At(5) found")
			}
			break
		}
		if it.Meta != nil {
			got = append(got, "meta:"+it.Stream)
		} else {
			got = append(got, it.Stream+":"+string(it.Chunk[:1]))
		}
	}
	if strings.Join(got, ",") != "meta:KV_X,KV_X:k,meta:PORTFOLIO,PORTFOLIO:e,PORTFOLIO:f,PORTFOLIO:g" {
		t.Errorf("items %v", got)
	}
	if _, err := r.Next(); err == nil {
		t.Errorf("Next after the manifest: no error")
	}
}

// TestDamage: every damage is ErrDamaged: a flipped byte anywhere, a cut
// anywhere, an edited manifest.
func TestDamage(t *testing.T) {
	b := write(t, Manifest{Audit: Audit{OK: true, Head: "h"}}, map[string][]string{"PORTFOLIO": {strings.Repeat("x", 3000), "yz"}}, []string{"PORTFOLIO"})
	if _, err := Check(bytes.NewReader(b), nil); err != nil {
		t.Fatal(err)
	}
	// Up to the end of the last entry's content (the checksum line): after
	// it come only the tar's padding and end blocks, whose loss loses
	// nothing.
	content := bytes.LastIndexByte(b, '\n') + 1
	// A flip in any entry's content is found; one in a tar header is found
	// or harmless (an unused field).
	var contents [][2]int
	for _, part := range [][]byte{[]byte(`{"config"`), []byte(strings.Repeat("x", 3000)), []byte("yz"), []byte(`"format"`)} {
		i := bytes.Index(b, part)
		if i < 0 {
			t.Fatalf("no %q in the file", part[:8])
		}
		contents = append(contents, [2]int{i, i + len(part)})
	}
	inContent := func(i int) bool {
		for _, c := range contents {
			if i >= c[0] && i < c[1] {
				return true
			}
		}
		return false
	}
	found := 0
	for i := 0; i < content; i += 7 {
		c := bytes.Clone(b)
		c[i] ^= 0x20
		_, err := Check(bytes.NewReader(c), nil)
		switch {
		case err == nil && inContent(i):
			t.Errorf("flip at %d in an entry's content not found", i)
		case err != nil && !errors.Is(err, ErrDamaged):
			t.Errorf("flip at %d: %v, not ErrDamaged", i, err)
		case err != nil:
			found++
		}
	}
	if found == 0 {
		t.Fatal("no flip found")
	}
	for n := 0; n < content; n += 131 {
		if _, err := Check(bytes.NewReader(b[:n]), nil); !errors.Is(err, ErrDamaged) {
			t.Errorf("cut at %d of %d: %v", n, len(b), err)
		}
	}
	edited := bytes.Replace(b, []byte(`"head": "h"`), []byte(`"head": "H"`), 1)
	if bytes.Equal(edited, b) {
		t.Fatal("no head in the manifest")
	}
	if _, err := Check(bytes.NewReader(edited), nil); !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("edited manifest: %v", err)
	}
}
