package eventlog_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/ehelse/portfolio/audit"
	"github.com/ehelse/portfolio/eventlog"
)

// TestAuditDecodesTheEnvelope keeps package audit's own envelope decoder
// in step with this codec: the same prefixes, and what EncodeEvent writes
// is what audit.DecodeEnvelope reads.
func TestAuditDecodesTheEnvelope(t *testing.T) {
	if audit.SubjectPrefix != eventlog.SubjectPrefix || audit.TypePrefix != eventlog.TypePrefix {
		t.Fatalf("audit prefixes %q %q, eventlog %q %q", audit.SubjectPrefix, audit.TypePrefix, eventlog.SubjectPrefix, eventlog.TypePrefix)
	}
	meta := eventlog.Meta{CommandID: "c1", CorrelationID: "k1", Actor: "kari", Time: time.Date(2026, 3, 1, 12, 0, 0, 5, time.UTC)}
	first, err := eventlog.EncodeEvent(eventlog.DefaultSource, meta, "case", "a", 1, "",
		eventlog.NewEvent{ID: "e1", Type: "CaseNoted", Data: json.RawMessage(`{"note":"x"}`)})
	if err != nil {
		t.Fatal(err)
	}
	subject := eventlog.Subject("case", "a", "CaseNoted")
	rec, err := eventlog.DecodeRecord(subject, 7, first)
	if err != nil {
		t.Fatal(err)
	}
	if rec.ID != "e1" || rec.Type != "CaseNoted" || rec.Version != 1 || rec.Position != 7 || rec.Actor != "kari" ||
		rec.CausationID != "c1" || rec.CorrelationID != "k1" || !rec.Time.Equal(meta.Time) || rec.Hash != audit.HashEvent(first).String() {
		t.Fatalf("decoded %+v", rec)
	}
	second, err := eventlog.EncodeEvent(eventlog.DefaultSource, meta, "case", "a", 2, rec.Hash,
		eventlog.NewEvent{ID: "e2", Type: "CaseNoted", Data: json.RawMessage(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	env, err := audit.DecodeEnvelope(subject, second)
	if err != nil {
		t.Fatal(err)
	}
	if env.ID != "e2" || env.EventType != "CaseNoted" || env.Aggregate() != "case/a" || env.Version != 2 || env.PrevHash != rec.Hash {
		t.Fatalf("audit read %+v", env)
	}
	if _, err := eventlog.DecodeRecord(eventlog.Subject("case", "b", "CaseNoted"), 8, second); !errors.Is(err, eventlog.ErrCorrupt) {
		t.Fatalf("wrong subject: %v", err)
	}
}
