package domain

import (
	"fmt"
	"strconv"
)

// IsULID reports whether s is a ULID: 26 characters of Crockford's base32
// (0-9 and A-Z without I, L, O, U; either case) whose first character is
// at most '7' (the 128-bit limit).
//
//	IsULID("01JDQ6Z3V7M8W0X8PVRBQ5N2E4") // true
func IsULID(s string) bool {
	if len(s) != 26 || s[0] < '0' || s[0] > '7' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isCrockford(s[i]) {
			return false
		}
	}
	return true
}

func isCrockford(c byte) bool {
	if '0' <= c && c <= '9' {
		return true
	}
	if 'a' <= c && c <= 'z' {
		c -= 'a' - 'A'
	}
	if c < 'A' || c > 'Z' {
		return false
	}
	return c != 'I' && c != 'L' && c != 'O' && c != 'U'
}

// IsUUID reports whether s is a UUID in its canonical textual form,
// 8-4-4-4-12 hexadecimal digits (either case).
//
//	IsUUID("3f2b8c1e-9d4a-4e6b-8f0a-2c5d7e9b1a3c") // true
func IsUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// ValidID reports whether s may be the id of an initiative, meeting, case,
// milestone or event: a ULID or a UUID.
func ValidID(s string) bool { return IsULID(s) || IsUUID(s) }

// MaxCodeLen is the longest goal or sub-goal code.
const MaxCodeLen = 20

// IsCode reports whether s is a short code such as a goal id ("M1") or a
// sub-goal id ("1A"): 1 to MaxCodeLen ASCII letters, digits, '.', '-' or
// '_', beginning with a letter or digit.
func IsCode(s string) bool {
	if len(s) == 0 || len(s) > MaxCodeLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		if !alnum && (i == 0 || (c != '.' && c != '-' && c != '_')) {
			return false
		}
	}
	return true
}

// IsStrategyPeriod reports whether s names a strategy period as
// "YYYY-YYYY" with the first year not after the second, e.g. "2023-2030".
func IsStrategyPeriod(s string) bool {
	if len(s) != 9 || s[4] != '-' {
		return false
	}
	from, err1 := strconv.Atoi(s[:4])
	to, err2 := strconv.Atoi(s[5:])
	if err1 != nil || err2 != nil || s[0] == '+' || s[0] == '-' || s[5] == '+' || s[5] == '-' {
		return false
	}
	return from >= MinYear && to <= MaxYear && from <= to
}

// MinYear and MaxYear bound the years of every date a command carries.
const (
	MinYear = 1900
	MaxYear = 2199
)

// MeetingLabel is a meeting's number within its forum and year, "3/2026".
func MeetingLabel(number, year int) string { return fmt.Sprintf("%d/%d", number, year) }

// CaseNumber is a forum case number, the number within the forum and year
// and the year's last two digits: CaseNumber(15, 2026) is "15/26".
func CaseNumber(number, year int) string { return fmt.Sprintf("%d/%02d", number, year%100) }

// SeriesOf parses a series id "NUIT-2026" into its forum and year.
func SeriesOf(id string) (Forum, int, bool) {
	for i := len(id) - 1; i >= 0; i-- {
		if id[i] == '-' {
			f := Forum(id[:i])
			y, err := strconv.Atoi(id[i+1:])
			if err != nil || !f.Valid() || y < MinYear || y > MaxYear || strconv.Itoa(y) != id[i+1:] {
				return "", 0, false
			}
			return f, y, true
		}
	}
	return "", 0, false
}
