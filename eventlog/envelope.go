package eventlog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ehelse/portfolio/audit"
	"github.com/ehelse/portfolio/domain"
)

// Subject and envelope constants.
const (
	// SubjectPrefix is the first two tokens of every event subject.
	SubjectPrefix = "portfolio.events"
	// StreamSubjects is the one subject filter of the stream.
	StreamSubjects = SubjectPrefix + ".>"
	// TypePrefix prefixes the event name in the CloudEvents type attribute:
	// "no.ehelse.portfolio.InitiativeProposed.v1".
	TypePrefix = "no.ehelse.portfolio."
	// DefaultSource is the CloudEvents source of a store configured without one.
	DefaultSource = "/portfolio"
	// ContentType is the CloudEvents datacontenttype of every event.
	ContentType = "application/json"
)

// Subject returns the subject an event of type eventType on aggregate
// aggType/aggID is stored under: "portfolio.events.<aggType>.<aggID>.<eventType>".
// It does not validate its arguments; see ValidToken.
func Subject(aggType, aggID, eventType string) string {
	return SubjectPrefix + "." + aggType + "." + aggID + "." + eventType
}

// AggregateSubject returns the wildcard subject that matches every event of
// one aggregate: "portfolio.events.<aggType>.<aggID>.*". It is the subject
// filter of Append's per-aggregate expectation and of Load.
func AggregateSubject(aggType, aggID string) string {
	return SubjectPrefix + "." + aggType + "." + aggID + ".*"
}

// ValidToken reports whether s can be one token of a subject: non-empty,
// valid UTF-8, and without '.', '*', '>', whitespace or control characters.
// Aggregate types, aggregate ids and event types must be valid tokens.
func ValidToken(s string) bool {
	if s == "" || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		switch {
		case r == '.', r == '*', r == '>':
			return false
		case unicode.IsSpace(r), unicode.IsControl(r):
			return false
		}
	}
	return true
}

// ceType returns the CloudEvents type of an event name and schema version.
func ceType(eventType string, version int) string {
	return TypePrefix + eventType + ".v" + strconv.Itoa(version)
}

// envelope is the CloudEvents 1.0 structured JSON envelope, written by hand
// (no reflection over maps) in the attribute order of the spec.
type envelope struct {
	SpecVersion      string          `json:"specversion"`
	ID               string          `json:"id"`
	Source           string          `json:"source"`
	Type             string          `json:"type"`
	Subject          string          `json:"subject"`
	Time             string          `json:"time"`
	DataContentType  string          `json:"datacontenttype"`
	AggregateType    string          `json:"aggregatetype"`
	AggregateID      string          `json:"aggregateid"`
	AggregateVersion uint64          `json:"aggregateversion"`
	Actor            string          `json:"actor,omitempty"`
	CausationID      string          `json:"causationid,omitempty"`
	CorrelationID    string          `json:"correlationid,omitempty"`
	PrevHash         string          `json:"prevhash,omitempty"`
	Data             json.RawMessage `json:"data"`
}

// EncodeEvent returns the stored payload of one event: the CloudEvent of
// ev as the version-th event of aggregate aggType/aggID, from source, with
// meta's time, actor, causation and correlation ids. prevHash is the hash
// of the aggregate's previous event ("" for version 1: the attribute is
// then omitted). DecodeRecord reads it back.
func EncodeEvent(source string, meta Meta, aggType, aggID string, version uint64, prevHash string, ev NewEvent) ([]byte, error) {
	env := envelope{
		SpecVersion:      "1.0",
		ID:               ev.ID,
		Source:           source,
		Type:             ceType(ev.Type, domain.EventVersion),
		Subject:          aggType + "/" + aggID,
		Time:             meta.Time.UTC().Format(time.RFC3339Nano),
		DataContentType:  ContentType,
		AggregateType:    aggType,
		AggregateID:      aggID,
		AggregateVersion: version,
		Actor:            meta.Actor,
		CausationID:      meta.CommandID,
		CorrelationID:    meta.CorrelationID,
		PrevHash:         prevHash,
		Data:             ev.Data,
	}
	return json.Marshal(&env)
}

// decoded mirrors envelope for decoding.
type decoded struct {
	SpecVersion      string          `json:"specversion"`
	ID               string          `json:"id"`
	Source           string          `json:"source"`
	Type             string          `json:"type"`
	Subject          string          `json:"subject"`
	Time             string          `json:"time"`
	DataContentType  string          `json:"datacontenttype"`
	AggregateType    string          `json:"aggregatetype"`
	AggregateID      string          `json:"aggregateid"`
	AggregateVersion json.RawMessage `json:"aggregateversion"`
	Actor            string          `json:"actor"`
	CausationID      string          `json:"causationid"`
	CorrelationID    string          `json:"correlationid"`
	PrevHash         string          `json:"prevhash"`
	Data             json.RawMessage `json:"data"`
}

// DecodeRecord decodes a stored message (its subject, stream sequence and
// payload) into a Record. Record.Type is the event name without TypePrefix
// or version suffix; SchemaVersion is the N of the ".vN" suffix (1 when the
// type has none). raw is kept as Record.Raw without copying; Record.Hash is
// its SHA-256. Record.Signature is left empty (it is a header, not part of
// the payload).
//
// When subject is not empty it must be the event's subject
// (portfolio.events.<aggregatetype>.<aggregateid>.<EventType>).
// A malformed envelope returns an error wrapping ErrCorrupt (kind internal).
func DecodeRecord(subject string, seq uint64, raw []byte) (Record, error) {
	var d decoded
	if err := json.Unmarshal(raw, &d); err != nil {
		return Record{}, corrupt(subject, seq, "not JSON: %v", err)
	}
	if d.SpecVersion != "1.0" {
		return Record{}, corrupt(subject, seq, "specversion %q", d.SpecVersion)
	}
	if d.ID == "" {
		return Record{}, corrupt(subject, seq, "no id")
	}
	name, version, ok := parseCEType(d.Type)
	if !ok {
		return Record{}, corrupt(subject, seq, "type %q", d.Type)
	}
	if !ValidToken(d.AggregateType) || !ValidToken(d.AggregateID) {
		return Record{}, corrupt(subject, seq, "aggregate %q/%q", d.AggregateType, d.AggregateID)
	}
	if d.Subject != d.AggregateType+"/"+d.AggregateID {
		return Record{}, corrupt(subject, seq, "subject attribute %q", d.Subject)
	}
	if subject != "" && subject != Subject(d.AggregateType, d.AggregateID, name) {
		return Record{}, corrupt(subject, seq, "stored under the wrong subject")
	}
	// A JSON number (the CloudEvents Integer type), not a string.
	v, err := strconv.ParseUint(string(d.AggregateVersion), 10, 64)
	if err != nil || v == 0 {
		return Record{}, corrupt(subject, seq, "aggregateversion %s", d.AggregateVersion)
	}
	t, err := time.Parse(time.RFC3339Nano, d.Time)
	if err != nil {
		return Record{}, corrupt(subject, seq, "time %q", d.Time)
	}
	if len(d.Data) == 0 || bytes.Equal(d.Data, []byte("null")) {
		return Record{}, corrupt(subject, seq, "no data")
	}
	if d.PrevHash != "" && !audit.IsHashText(d.PrevHash) {
		return Record{}, corrupt(subject, seq, "prevhash %q", d.PrevHash)
	}
	if subject == "" {
		subject = Subject(d.AggregateType, d.AggregateID, name)
	}
	return Record{
		Position:      seq,
		Subject:       subject,
		ID:            d.ID,
		Type:          name,
		SchemaVersion: version,
		AggregateType: d.AggregateType,
		AggregateID:   d.AggregateID,
		Version:       v,
		Time:          t.UTC(),
		Actor:         d.Actor,
		CausationID:   d.CausationID,
		CorrelationID: d.CorrelationID,
		Data:          d.Data,
		Raw:           raw,
		PrevHash:      d.PrevHash,
		Hash:          audit.HashEvent(raw).String(),
	}, nil
}

// parseCEType splits "no.ehelse.portfolio.<Name>[.vN]" into name and N.
func parseCEType(t string) (name string, version int, ok bool) {
	rest, found := strings.CutPrefix(t, TypePrefix)
	if !found {
		return "", 0, false
	}
	version = 1
	if i := strings.LastIndexByte(rest, '.'); i >= 0 {
		suffix := rest[i+1:]
		if len(suffix) < 2 || suffix[0] != 'v' {
			return "", 0, false
		}
		n, err := strconv.Atoi(suffix[1:])
		if err != nil || n < 1 {
			return "", 0, false
		}
		rest, version = rest[:i], n
	}
	if !ValidToken(rest) {
		return "", 0, false
	}
	return rest, version, true
}

func corrupt(subject string, seq uint64, format string, args ...any) error {
	return &domain.Error{
		Kind:    domain.KindInternal,
		Message: fmt.Sprintf("message %d (%s): %s", seq, subject, fmt.Sprintf(format, args...)),
		Err:     ErrCorrupt,
	}
}
