package projections

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// combining maps a base letter followed by a combining mark to the
// precomposed letter, for the decomposed (NFD) forms Norwegian text most
// often arrives in (e.g. "a" + U+030A from macOS file names and some
// keyboards). The standard library has no Unicode normalisation; this
// covers what users of a Norwegian product type.
var combining = map[[2]rune]rune{
	{'a', '\u030A'}: 'å', {'A', '\u030A'}: 'Å',
	{'o', '\u0338'}: 'ø', {'O', '\u0338'}: 'Ø',
	{'a', '\u0308'}: 'ä', {'A', '\u0308'}: 'Ä',
	{'o', '\u0308'}: 'ö', {'O', '\u0308'}: 'Ö',
	{'u', '\u0308'}: 'ü', {'U', '\u0308'}: 'Ü',
	{'e', '\u0301'}: 'é', {'E', '\u0301'}: 'É',
	{'e', '\u0300'}: 'è', {'E', '\u0300'}: 'È',
	{'o', '\u0301'}: 'ó', {'O', '\u0301'}: 'Ó',
	{'a', '\u0301'}: 'á', {'A', '\u0301'}: 'Á',
}

// compat maps look-alike code points to the letter users mean.
var compat = map[rune]rune{
	'\u212B': 'å', // ANGSTROM SIGN
	'\u00A0': ' ', // no-break space
	'\u2010': '-', '\u2011': '-', '\u2012': '-', '\u2013': '-', '\u2014': '-',
}

// fold returns s normalised for case-insensitive matching: decomposed
// letters composed, look-alikes replaced, lower case (Æ Ø Å → æ ø å), and
// runs of white space collapsed to one space.
func fold(s string) string {
	if foldedASCII(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		if i < len(s) && (s[i] == 0xCC || s[i] == 0xCD) { // U+0300–U+037F follows
			if next, n2 := utf8.DecodeRuneInString(s[i:]); next >= 0x300 && next <= 0x36F {
				if c, ok := combining[[2]rune{r, next}]; ok {
					r = c
					i += n2
				}
			}
		}
		if r >= 0xA0 {
			if c, ok := compat[r]; ok {
				r = c
			}
		}
		if unicode.IsSpace(r) {
			if !space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		if r < utf8.RuneSelf {
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			b.WriteByte(byte(r))
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return strings.TrimRight(b.String(), " ")
}

// foldedASCII reports whether s is ASCII that fold leaves as it is: no
// upper case letters, no white space but single spaces between words.
func foldedASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= utf8.RuneSelf, 'A' <= c && c <= 'Z', '\t' <= c && c <= '\r':
			return false
		case c == ' ' && (i == 0 || i == len(s)-1 || s[i+1] == ' '):
			return false
		}
	}
	return true
}

// matchQuery reports whether every word of the folded query occurs in the
// folded text.
func matchQuery(foldedText, foldedQuery string) bool {
	for _, w := range strings.Fields(foldedQuery) {
		if !strings.Contains(foldedText, w) {
			return false
		}
	}
	return true
}
