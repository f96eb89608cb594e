package domain

import (
	"errors"
	"fmt"
	"strings"
)

// Kind classifies an error. The HTTP layer maps each kind to one status in a
// single table; nothing else inspects error strings.
type Kind string

// The kinds of error the product returns.
const (
	// KindInvalid: the command is invalid on its own, whatever the state
	// (a field is missing or malformed). Fields lists them. HTTP 422.
	KindInvalid Kind = "invalid"
	// KindRuleViolated: a valid command that the current state refuses. HTTP 409.
	KindRuleViolated Kind = "rule_violated"
	// KindNotFound: the aggregate the command or query names does not exist. HTTP 404.
	KindNotFound Kind = "not_found"
	// KindConflict: the aggregate is not at the version the caller expected
	// (If-Match), or concurrent writers kept winning. HTTP 412.
	KindConflict Kind = "version_conflict"
	// KindForbidden: the caller's role or organisation may not do this. HTTP 403.
	KindForbidden Kind = "forbidden"
	// KindUnauthorized: no token, or an unknown one. HTTP 401.
	KindUnauthorized Kind = "unauthorized"
	// KindUnavailable: the event store cannot be reached. HTTP 503.
	KindUnavailable Kind = "unavailable"
	// KindLagging: the read models have not reached the position the caller
	// asked for (minPosition) in time. HTTP 503 projection_lagging.
	KindLagging Kind = "projection_lagging"
	// KindMalformed: the request is not JSON, has wrong types or unknown
	// fields. HTTP 400 malformed_request.
	KindMalformed Kind = "malformed_request"
	// KindInternal: a bug or an unexpected infrastructure failure. HTTP 500.
	KindInternal Kind = "internal"
)

// FieldError names one invalid field of a command.
type FieldError struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

// Error is the one error type of the product.
//
// Message is English and is the API's: it is the problem+json detail and
// part of Error(), and clients may show or match it, so it keeps its
// wording. Norsk is the same message in Norwegian (bokmål) for people: the
// web site's pages are Norwegian and show it in place of Message. Every
// refusal (KindRuleViolated) and every KindNotFound error of the domain
// has one (a test in this package checks it); elsewhere it may be empty,
// and a page then falls back to Message. Norsk never reaches the API.
type Error struct {
	Kind    Kind
	Message string
	Norsk   string
	Fields  []FieldError
	Err     error // wrapped cause, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(string(e.Kind))
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	for _, f := range e.Fields {
		fmt.Fprintf(&b, "; %s %s", f.Field, f.Detail)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error of the given kind.
func Errorf(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// Refuse returns a KindRuleViolated error. The domain's refusals say
// themselves in Norwegian too: Refuse(...).WithNorsk(...).
func Refuse(format string, args ...any) *Error {
	return Errorf(KindRuleViolated, format, args...)
}

// WithNorsk sets e's Norwegian (bokmål) text for people and returns e, so
// that it chains onto the constructor:
//
//	Refuse("initiative %s is already paused", id).WithNorsk("Tiltaket %s er allerede midlertidig stanset.", id)
//
// It leaves Message, the API's English text, as it is.
func (e *Error) WithNorsk(format string, args ...any) *Error {
	e.Norsk = fmt.Sprintf(format, args...)
	return e
}

// ForPeople is e's text for a Norwegian page: Norsk, or Message when e has
// no Norwegian text.
func (e *Error) ForPeople() string {
	if e.Norsk != "" {
		return e.Norsk
	}
	return e.Message
}

// ErrorKind returns the kind of err, KindInternal if err is not an *Error,
// and "" for nil.
func ErrorKind(err error) Kind {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// IsKind reports whether err is an *Error of kind k.
func IsKind(err error, k Kind) bool { return err != nil && ErrorKind(err) == k }

// Validation collects field errors; Err returns nil when there are none.
type Validation struct{ Fields []FieldError }

// Add records a field error.
func (v *Validation) Add(field, detail string) {
	v.Fields = append(v.Fields, FieldError{field, detail})
}

// Require adds "is required" when value is empty.
func (v *Validation) Require(field, value string) {
	if strings.TrimSpace(value) == "" {
		v.Add(field, "is required")
	}
}

// Err returns a KindInvalid *Error listing the fields, or nil.
func (v *Validation) Err() error {
	if len(v.Fields) == 0 {
		return nil
	}
	return &Error{Kind: KindInvalid, Message: "the command has invalid fields", Fields: v.Fields}
}
