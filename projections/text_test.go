package projections

import (
	"math/rand"
	"strings"
	"testing"
	"unicode"
)

// fold returns s normalised for case-insensitive matching: decomposed
// letters composed, look-alikes replaced, lower case (Æ Ø Å → æ ø å), and
// runs of white space collapsed to one space.
func foldReference(s string) string {
	rs := []rune(s)
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		if i+1 < len(rs) {
			if c, ok := combining[[2]rune{r, rs[i+1]}]; ok {
				r = c
				i++
			}
		}
		if c, ok := compat[r]; ok {
			r = c
		}
		if unicode.IsSpace(r) {
			if !space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		b.WriteRune(unicode.ToLower(r))
	}
	return strings.TrimRight(b.String(), " ")
}

// TestFoldMatchesReference: fold's fast paths give what the plain
// rune-by-rune version gives.
func TestFoldMatchesReference(t *testing.T) {
	pieces := []string{"a", "A", "Æ", "Ø", "Å", "å", "a\u030A", "A\u030A", "o\u0338", "e\u0301", "E\u0300", "u\u0308",
		"\u212B", "\u00A0", "\u2013", "\u2010", " ", "  ", "\t", "\n", "\r\n", "\u0085", "\u2028", "\u3000",
		"x", "Z", "0", "-", "\u0300", "\u0301", "\u0338", "\u036F", "\u0370", "\xff", "\xcc", "\xcd\x80", "ß", "İ", "Σ", "ǅ", "\x00", "\x7f"}
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 20000; i++ {
		var b strings.Builder
		for n := r.Intn(8); n > 0; n-- {
			b.WriteString(pieces[r.Intn(len(pieces))])
		}
		s := b.String()
		if got, want := fold(s), foldReference(s); got != want {
			t.Fatalf("fold(%q) = %q, want %q", s, got, want)
		}
	}
	for _, s := range []string{"", "Digital hjemmeoppfølging", "Helse Sør-Øst RHF", "plain ascii words", " lead", "trail ", "dou  ble"} {
		if got, want := fold(s), foldReference(s); got != want {
			t.Fatalf("fold(%q) = %q, want %q", s, got, want)
		}
	}
}
