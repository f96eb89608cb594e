package web

import (
	"encoding/json"
	"testing"

	"github.com/ehelse/portfolio/domain"
)

// TestExplainRefusalInNorwegian: a refused form shows the rule's
// Norwegian text; an error without one shows the English text, marked as
// English. The rendered page is tested over HTTP in internal/daemon
// (TestWebForms).
func TestExplainRefusalInNorwegian(t *testing.T) {
	refusal := domain.Refuse("initiative %s is already paused", "X").
		WithNorsk("Tiltaket %s er allerede midlertidig stanset.", "X")
	notFound := domain.Errorf(domain.KindNotFound, "case %s does not exist", "C").
		WithNorsk("Saken %s finnes ikke.", "C")
	english := domain.Refuse("a refusal without a Norwegian text")
	for _, tc := range []struct {
		name        string
		err         error
		detail      string
		english     bool
		noticeStart string
	}{
		{"refusal", refusal, "Tiltaket X er allerede midlertidig stanset.", false, "Dette ble avvist av reglene"},
		{"not found", notFound, "Saken C finnes ikke.", false, "Noe skjemaet viser til finnes ikke"},
		{"no Norwegian text", english, "a refusal without a Norwegian text", true, "Dette ble avvist av reglene"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var v formView
			(&Server{}).explain(&v, tc.err)
			if v.Detail != tc.detail || v.DetailEnglish != tc.english || v.Tone != "danger" ||
				len(v.Notice) < len(tc.noticeStart) || v.Notice[:len(tc.noticeStart)] != tc.noticeStart {
				t.Fatalf("notice %q, detail %q (English %v), tone %s; want detail %q (English %v)",
					v.Notice, v.Detail, v.DetailEnglish, v.Tone, tc.detail, tc.english)
			}
		})
	}
}

// TestRememberedOutcomeKeepsNorwegian: a double post is answered from the
// remembered outcome, and that answer shows the Norwegian text too.
func TestRememberedOutcomeKeepsNorwegian(t *testing.T) {
	o := outcome{Status: 409, Kind: domain.KindRuleViolated, Message: "initiative X is already paused",
		Norsk: "Tiltaket X er allerede midlertidig stanset."}
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	var back outcome
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	var v formView
	(&Server{}).explain(&v, back.err())
	if v.Detail != o.Norsk || v.DetailEnglish {
		t.Fatalf("the remembered refusal shows %q (English %v), want %q", v.Detail, v.DetailEnglish, o.Norsk)
	}
}
