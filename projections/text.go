package projections

import (
	"strings"
	"unicode"
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
