package audit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The parts of the envelope the checks rely on. They equal the event
// store's (eventlog.SubjectPrefix, eventlog.TypePrefix); a test keeps
// them in step.
const (
	SubjectPrefix = "portfolio.events"
	TypePrefix    = "no.ehelse.portfolio."
)

// Envelope is what verification reads from a stored CloudEvent.
type Envelope struct {
	ID            string
	EventType     string // the event name, without prefix and version
	AggregateType string
	AggregateID   string
	Version       uint64 // aggregateversion
	PrevHash      string // prevhash; "" when absent
}

// Aggregate is "<aggregateType>/<aggregateId>", the key of the chains.
func (e Envelope) Aggregate() string { return e.AggregateType + "/" + e.AggregateID }

type envelopeJSON struct {
	SpecVersion      string          `json:"specversion"`
	ID               string          `json:"id"`
	Type             string          `json:"type"`
	Subject          string          `json:"subject"`
	Time             string          `json:"time"`
	AggregateType    string          `json:"aggregatetype"`
	AggregateID      string          `json:"aggregateid"`
	AggregateVersion json.RawMessage `json:"aggregateversion"`
	PrevHash         *string         `json:"prevhash"`
	Data             json.RawMessage `json:"data"`
}

// DecodeEnvelope decodes a stored event payload stored under the NATS
// subject subject, with the same rules as the event store's decoder: a
// CloudEvents 1.0 JSON object with an id, a type
// "no.ehelse.portfolio.<Name>[.vN]", aggregatetype and aggregateid that are
// subject tokens, subject "<aggregatetype>/<aggregateid>", an RFC 3339
// time, an integer aggregateversion of at least 1, data that is not null,
// and — the audit addition — a prevhash that is absent, or 64 lowercase
// hex characters. The NATS subject must be
// portfolio.events.<aggregatetype>.<aggregateid>.<Name>.
func DecodeEnvelope(subject string, payload []byte) (Envelope, error) {
	var d envelopeJSON
	if err := json.Unmarshal(payload, &d); err != nil {
		return Envelope{}, fmt.Errorf("does not decode: not a JSON object: %v", err)
	}
	if d.SpecVersion != "1.0" {
		return Envelope{}, fmt.Errorf("does not decode: specversion %q", d.SpecVersion)
	}
	if d.ID == "" {
		return Envelope{}, fmt.Errorf("does not decode: no id")
	}
	name, ok := eventName(d.Type)
	if !ok {
		return Envelope{}, fmt.Errorf("does not decode: type %q", d.Type)
	}
	if !validToken(d.AggregateType) || !validToken(d.AggregateID) {
		return Envelope{}, fmt.Errorf("does not decode: aggregate %q/%q", d.AggregateType, d.AggregateID)
	}
	v, err := strconv.ParseUint(string(d.AggregateVersion), 10, 64)
	if err != nil || v == 0 {
		return Envelope{}, fmt.Errorf("does not decode: aggregateversion %s", d.AggregateVersion)
	}
	if _, err := time.Parse(time.RFC3339Nano, d.Time); err != nil {
		return Envelope{}, fmt.Errorf("does not decode: time %q", d.Time)
	}
	if len(d.Data) == 0 || bytes.Equal(d.Data, []byte("null")) {
		return Envelope{}, fmt.Errorf("does not decode: no data")
	}
	e := Envelope{ID: d.ID, EventType: name, AggregateType: d.AggregateType, AggregateID: d.AggregateID, Version: v}
	if d.PrevHash != nil {
		if *d.PrevHash != "" && !IsHashText(*d.PrevHash) {
			return Envelope{}, fmt.Errorf("does not decode: prevhash %q is not 64 lowercase hex characters", *d.PrevHash)
		}
		e.PrevHash = *d.PrevHash
	}
	if d.Subject != e.Aggregate() {
		return e, fmt.Errorf("subject attribute %q does not match aggregate %s", d.Subject, e.Aggregate())
	}
	if want := SubjectPrefix + "." + d.AggregateType + "." + d.AggregateID + "." + name; subject != want {
		return e, fmt.Errorf("stored under subject %q, but the envelope says %q", subject, want)
	}
	return e, nil
}

// eventName returns the <Name> of "no.ehelse.portfolio.<Name>[.vN]".
func eventName(t string) (string, bool) {
	rest, found := strings.CutPrefix(t, TypePrefix)
	if !found {
		return "", false
	}
	if i := strings.LastIndexByte(rest, '.'); i >= 0 {
		suffix := rest[i+1:]
		if len(suffix) < 2 || suffix[0] != 'v' {
			return "", false
		}
		if n, err := strconv.Atoi(suffix[1:]); err != nil || n < 1 {
			return "", false
		}
		rest = rest[:i]
	}
	return rest, validToken(rest)
}

// validToken is eventlog.ValidToken: a non-empty subject token without
// '.', '*', '>', whitespace or control characters.
func validToken(s string) bool {
	if s == "" || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r == '.' || r == '*' || r == '>' || unicode.IsSpace(r) || unicode.IsControl(r) {
			return false
		}
	}
	return true
}
