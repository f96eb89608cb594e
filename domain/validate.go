package domain

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Every command's Validate checks it on its own, whatever the state:
// required fields, formats, enums and the rules between its fields. It returns a
// KindInvalid *Error whose Fields name every bad field by its JSON name
// (HTTP 422), or nil. Rules that need state are Decide's (HTTP 409).
//
//	err := ReportStatus{InitiativeID: id, ReportDate: "2026-03-01",
//		Overall: Yellow, Schedule: Green, Cost: Green, Benefit: Green}.Validate()
//	// err lists "comment": a yellow or red light needs a comment.

// Length limits of text fields, in characters (runes).
const (
	MaxTitleLen      = 300   // titles
	MaxNameLen       = 200   // owner organisation
	MaxUserGroupLen  = 100   // one user group
	MaxRefLen        = 100   // archive reference
	MaxTextLen       = 10000 // description, resolutions, reasons, reports, remarks
	MaxListLen       = 50    // sub-goals, user groups
	maxNOK           = 1_000_000_000_000_000
	plannedEndDetail = "must not be before plannedStart"
)

// text checks a free-text field: required or not, at most max characters,
// valid UTF-8, and no control characters (multiline text may contain line
// breaks and tabs).
func (v *Validation) text(field, value string, required bool, max int, multiline bool) {
	if strings.TrimSpace(value) == "" {
		if required {
			v.Add(field, "is required")
		}
		return
	}
	if !utf8.ValidString(value) {
		v.Add(field, "must be valid UTF-8")
		return
	}
	if n := utf8.RuneCountInString(value); n > max {
		v.Add(field, fmt.Sprintf("must be at most %d characters (is %d)", max, n))
		return
	}
	for _, r := range value {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\r' || r == '\t')) {
			v.Add(field, "must not contain control characters")
			return
		}
	}
}

// id checks an aggregate, milestone or event id: a ULID or a UUID.
func (v *Validation) id(field, value string, required bool) {
	if value == "" {
		if required {
			v.Add(field, "is required")
		}
		return
	}
	if !ValidID(value) {
		v.Add(field, "must be a ULID or a UUID")
	}
}

// code checks a goal or sub-goal code such as "M1" or "1A".
func (v *Validation) code(field, value string) {
	if value == "" {
		v.Add(field, "is required")
		return
	}
	if !IsCode(value) {
		v.Add(field, fmt.Sprintf("must be a short code such as \"M1\" or \"1A\" (letters, digits, '.', '-', '_'; at most %d)", MaxCodeLen))
	}
}

// date checks a YYYY-MM-DD date and reports whether it is a valid one.
func (v *Validation) date(field string, d Date, required bool) bool {
	if d == "" {
		if required {
			v.Add(field, "is required")
		}
		return false
	}
	if !d.Valid() {
		v.Add(field, "must be a date YYYY-MM-DD")
		return false
	}
	if y := d.Year(); y < MinYear || y > MaxYear {
		v.Add(field, fmt.Sprintf("must be a date between %d and %d", MinYear, MaxYear))
		return false
	}
	return true
}

// forbid reports a field that must be empty in this command's form.
func (v *Validation) forbid(field string, present bool, why string) {
	if present {
		v.Add(field, "must not be given "+why)
	}
}

func (v *Validation) forum(field string, f Forum) {
	switch {
	case f == "":
		v.Add(field, "is required")
	case !f.Valid():
		v.Add(field, "must be NUFA, NUIT or EHR")
	}
}

func (v *Validation) rag(field string, r RAG) {
	switch {
	case r == "":
		v.Add(field, "is required")
	case !r.Valid():
		v.Add(field, "must be green, yellow or red")
	}
}

// reasoned validates the initiative commands that are an id and one text.
func reasoned(initiativeID, field, text string) error {
	var v Validation
	v.id("initiativeId", initiativeID, true)
	v.text(field, text, true, MaxTextLen, true)
	return v.Err()
}

// council validates the commands that name a case and a meeting.
func council(caseID, meetingID string, more func(*Validation)) error {
	var v Validation
	v.id("caseId", caseID, true)
	v.id("meetingId", meetingID, true)
	if more != nil {
		more(&v)
	}
	return v.Err()
}
