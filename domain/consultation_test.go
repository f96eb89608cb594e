package domain

import (
	"strings"
	"testing"
)

var (
	cons1, cons2 = tid('H', 1), tid('H', 2)
	resp1, resp2 = tid('R', 1), tid('R', 2)
	resp3        = tid('R', 3)
	questions    = []string{"Kan dere stille dere bak de fem strategiske målene?", "Har dere tilbakemeldinger på målindikatorene?"}
)

func consRef(id string) Ref { return Ref{Consultation, id} }

// opened opens a consultation that ran from 2026-02-01 to the deadline.
func (w *world) opened(id string, deadline Date) *world {
	return w.add(consRef(id), ConsultationOpened{ConsultationID: id, Title: "Høring", Description: "Forslag.",
		Questions: questions, InvitedBodies: []string{"KS", "Den norske legeforening"}, OpenedDate: "2026-02-01", Deadline: deadline})
}

func (w *world) responded(id, responseID, org string, received Date) *world {
	return w.add(consRef(id), ConsultationResponseRegistered{ConsultationID: id, ResponseID: responseID, Organisation: org,
		ReceivedDate: received, Answers: []Answer{{1, "Ja."}}})
}

func (w *world) closedConsultation(id string) *world {
	return w.add(consRef(id), ConsultationClosed{ConsultationID: id, Summary: "Oppsummert."})
}

func TestOpenConsultation(t *testing.T) {
	open := OpenConsultation{ConsultationID: cons1, Title: "Nasjonal e-helsestrategi", Description: "Forslag.",
		ArchiveRef: "22/414", Questions: []string{" Enig? ", "Merknader?"},
		InvitedBodies: []string{"KS", " ks ", "Den  norske legeforening", "Sametinget"}, Deadline: "2026-04-01"}
	past := open
	past.OpenedDate, past.Deadline = "2022-05-31", "2022-10-01"
	future := open
	future.OpenedDate = "2026-03-11"
	bad := open
	bad.ConsultationID, bad.Questions, bad.DocumentURL = "x", []string{"Enig?", " "}, "javascript:alert(1)"
	bad.OpenedDate, bad.Deadline = "2026-05-01", "2026-04-01"
	run(t, []spec{
		{
			name: "a consultation opens today with its questions trimmed and the invited bodies without duplicates",
			when: &open,
			then: ok(Change{consRef(cons1), ConsultationOpened{ConsultationID: cons1, Title: open.Title, Description: open.Description,
				ArchiveRef: "22/414", Questions: []string{"Enig?", "Merknader?"},
				InvitedBodies: []string{"KS", "Den norske legeforening", "Sametinget"}, OpenedDate: "2026-03-10", Deadline: "2026-04-01"}}),
		},
		{
			name: "a consultation of the past is recorded with its dates",
			when: past,
			then: ok(Change{consRef(cons1), ConsultationOpened{ConsultationID: cons1, Title: open.Title, Description: open.Description,
				ArchiveRef: "22/414", Questions: []string{"Enig?", "Merknader?"},
				InvitedBodies: []string{"KS", "Den norske legeforening", "Sametinget"}, OpenedDate: "2022-05-31", Deadline: "2022-10-01"}}),
		},
		{
			name: "a consultation does not open in the future",
			when: future,
			err:  KindRuleViolated, msg: "after today",
		},
		{
			name:  "a consultation id is opened once",
			given: given().opened(cons1, "2026-04-01"),
			when:  open,
			err:   KindRuleViolated, msg: "already exists",
		},
		{
			name: "a consultation needs a title, a description, questions and a deadline",
			when: OpenConsultation{},
			err:  KindInvalid, fields: []string{"title", "description", "questions", "deadline"},
		},
		{
			name: "ids, questions, links and dates are checked",
			when: bad,
			err:  KindInvalid, fields: []string{"consultationId", "documentUrl", "questions[1]", "openedDate"},
		},
	})
}

func TestInviteToConsultation(t *testing.T) {
	run(t, []spec{
		{
			name:  "only bodies not yet invited are invited, compared without case and spaces",
			given: given().opened(cons1, "2026-04-01"),
			when:  InviteToConsultation{ConsultationID: cons1, Bodies: []string{" ks", "Sametinget", "SAMETINGET", "Den norske  legeforening", "Tekna"}},
			then:  ok(Change{consRef(cons1), BodiesInvited{ConsultationID: cons1, Bodies: []string{"Sametinget", "Tekna"}}}),
		},
		{
			name:  "inviting only bodies already invited is refused",
			given: given().opened(cons1, "2026-04-01"),
			when:  InviteToConsultation{ConsultationID: cons1, Bodies: []string{"KS", "ks"}},
			err:   KindRuleViolated, msg: "already invited",
		},
		{
			name: "an unknown consultation is not found",
			when: InviteToConsultation{ConsultationID: cons2, Bodies: []string{"KS"}},
			err:  KindNotFound,
		},
		{
			name: "a blank body is invalid",
			when: InviteToConsultation{ConsultationID: cons1, Bodies: []string{"KS", " "}},
			err:  KindInvalid, fields: []string{"bodies[1]"},
		},
	})
}

func TestRegisterConsultationResponse(t *testing.T) {
	reg := func(id, org string, received Date, replaces bool) RegisterConsultationResponse {
		return RegisterConsultationResponse{ConsultationID: cons1, ResponseID: id, Organisation: org, ReceivedDate: received,
			Answers: []Answer{{2, "Illustrativt svar: nei."}, {1, "Illustrativt svar: ja."}}, Replaces: replaces}
	}
	registered := func(id, org string, received Date, late bool, replaces string) ConsultationResponseRegistered {
		return ConsultationResponseRegistered{ConsultationID: cons1, ResponseID: id, Organisation: org, ReceivedDate: received,
			Answers: []Answer{{1, "Illustrativt svar: ja."}, {2, "Illustrativt svar: nei."}}, Late: late, Replaces: replaces}
	}
	sealed := reg(resp1, "Eksempelkommune", "2026-03-01", false)
	sealed.ContactSealed = "v1.AAAA"
	sealedEvent := registered(resp1, "Eksempelkommune", "2026-03-01", false, "")
	sealedEvent.ContactSealed = "v1.AAAA"
	answered := given().opened(cons1, "2026-04-01").responded(cons1, resp1, "Den norske legeforening", "2026-03-01")
	unsealed := reg(resp1, "Eksempelkommune", "2026-03-01", false)
	unsealed.ContactSealed = "post@eksempel.no"
	tooLong := reg(resp1, "Eksempelkommune", "2026-03-01", false)
	tooLong.Answers = []Answer{{1, strings.Repeat("x", MaxAnswerLen+1)}, {1, "igjen"}, {0, "null"}}
	run(t, []spec{
		{
			name:  "a response on time is registered with its answers in question order",
			given: given().opened(cons1, "2026-04-01"),
			when:  reg(resp1, "  Eksempelkommune  (illustrativ) ", "2026-03-01", false),
			then:  ok(Change{consRef(cons1), registered(resp1, "Eksempelkommune (illustrativ)", "2026-03-01", false, "")}),
		},
		{
			name:  "an organisation that was not invited may respond: the consultation is open to all",
			given: given().opened(cons1, "2026-04-01"),
			when:  reg(resp1, "Eksempelforeningen", "2026-03-01", false),
			then:  ok(Change{consRef(cons1), registered(resp1, "Eksempelforeningen", "2026-03-01", false, "")}),
		},
		{
			name:  "the sealed contact address is carried as given",
			given: given().opened(cons1, "2026-04-01"),
			when:  sealed,
			then:  ok(Change{consRef(cons1), sealedEvent}),
		},
		{
			name:  "a response on the deadline is on time",
			given: given().opened(cons1, "2026-03-01"),
			when:  reg(resp1, "KS", "2026-03-01", false),
			then:  ok(Change{consRef(cons1), registered(resp1, "KS", "2026-03-01", false, "")}),
		},
		{
			name:  "a response after the deadline is recorded and marked late, not refused",
			given: given().opened(cons1, "2026-03-01"),
			when:  reg(resp1, "KS", "2026-03-02", false),
			then:  ok(Change{consRef(cons1), registered(resp1, "KS", "2026-03-02", true, "")}),
		},
		{
			name:  "one response per organisation: a second one without replaces is refused",
			given: answered,
			when:  reg(resp2, "den norske LEGEFORENING ", "2026-03-05", false),
			err:   KindRuleViolated, msg: "one response per organisation",
		},
		{
			name:  "a second response with replaces replaces the first, which stays in the history",
			given: answered,
			when:  reg(resp2, "den norske LEGEFORENING ", "2026-03-05", true),
			then: ok(
				Change{consRef(cons1), registered(resp2, "den norske LEGEFORENING", "2026-03-05", false, resp1)},
				Change{consRef(cons1), ConsultationResponseReplaced{ConsultationID: cons1, ResponseID: resp1, ReplacedBy: resp2, Organisation: "Den norske legeforening"}},
			),
		},
		{
			name: "a replacement may itself be replaced",
			given: answered.clone().add(consRef(cons1),
				ConsultationResponseRegistered{ConsultationID: cons1, ResponseID: resp2, Organisation: "Den norske legeforening",
					ReceivedDate: "2026-03-05", Answers: []Answer{{1, "Nei."}}, Replaces: resp1},
				ConsultationResponseReplaced{ConsultationID: cons1, ResponseID: resp1, ReplacedBy: resp2, Organisation: "Den norske legeforening"}),
			when: reg(resp3, "Den norske legeforening", "2026-03-06", true),
			then: ok(
				Change{consRef(cons1), registered(resp3, "Den norske legeforening", "2026-03-06", false, resp2)},
				Change{consRef(cons1), ConsultationResponseReplaced{ConsultationID: cons1, ResponseID: resp2, ReplacedBy: resp3, Organisation: "Den norske legeforening"}},
			),
		},
		{
			name:  "replaces without an earlier response is refused",
			given: answered,
			when:  reg(resp2, "KS", "2026-03-05", true),
			err:   KindRuleViolated, msg: "no response",
		},
		{
			name:  "a response id is used once",
			given: answered,
			when:  reg(resp1, "KS", "2026-03-05", false),
			err:   KindRuleViolated, msg: "already has response",
		},
		{
			name:  "an answer must name one of the consultation's questions",
			given: given().opened(cons1, "2026-04-01"),
			when: RegisterConsultationResponse{ConsultationID: cons1, ResponseID: resp1, Organisation: "KS", ReceivedDate: "2026-03-01",
				Answers: []Answer{{3, "Tredje?"}}},
			err: KindRuleViolated, msg: "has 2 questions",
		},
		{
			name:  "a response is not received in the future",
			given: given().opened(cons1, "2026-04-01"),
			when:  reg(resp1, "KS", "2026-03-11", false),
			err:   KindRuleViolated, msg: "after today",
		},
		{
			name:  "a response is not received before the consultation opened",
			given: given().opened(cons1, "2026-04-01"),
			when:  reg(resp1, "KS", "2026-01-31", false),
			err:   KindRuleViolated, msg: "before the consultation opened",
		},
		{
			name:  "nothing is registered after closing",
			given: given().opened(cons1, "2026-03-01").closedConsultation(cons1),
			when:  reg(resp1, "KS", "2026-03-05", false),
			err:   KindRuleViolated, msg: "closed",
		},
		{
			name: "a response needs an organisation, a date and something said",
			when: RegisterConsultationResponse{ConsultationID: cons1},
			err:  KindInvalid, fields: []string{"organisation", "receivedDate", "answers"},
		},
		{
			name: "answers are bounded, numbered from 1 and given once per question",
			when: tooLong,
			err:  KindInvalid, fields: []string{"answers[0].text", "answers[1].question", "answers[2].question"},
		},
		{
			name: "a contact address in clear is refused",
			when: unsealed,
			err:  KindInvalid, fields: []string{"contactSealed"},
		},
	})
}

func TestPublishConsultationResponse(t *testing.T) {
	answered := given().opened(cons1, "2026-04-01").responded(cons1, resp1, "KS", "2026-03-01")
	replaced := answered.clone().add(consRef(cons1),
		ConsultationResponseRegistered{ConsultationID: cons1, ResponseID: resp2, Organisation: "KS", ReceivedDate: "2026-03-02",
			Answers: []Answer{{1, "Nei."}}, Replaces: resp1},
		ConsultationResponseReplaced{ConsultationID: cons1, ResponseID: resp1, ReplacedBy: resp2, Organisation: "KS"})
	run(t, []spec{
		{
			name:  "a registered response is published",
			given: answered,
			when:  PublishConsultationResponse{ConsultationID: cons1, ResponseID: resp1},
			then:  ok(Change{consRef(cons1), ConsultationResponsePublished{ConsultationID: cons1, ResponseID: resp1, Organisation: "KS"}}),
		},
		{
			name:  "only existing responses are published",
			given: answered,
			when:  PublishConsultationResponse{ConsultationID: cons1, ResponseID: resp2},
			err:   KindRuleViolated, msg: "has no response",
		},
		{
			name:  "a response of another consultation is not this one's",
			given: answered.clone().opened(cons2, "2026-04-01"),
			when:  PublishConsultationResponse{ConsultationID: cons2, ResponseID: resp1},
			err:   KindRuleViolated, msg: "has no response",
		},
		{
			name:  "a replaced response is not published; its replacement is",
			given: replaced,
			when:  PublishConsultationResponse{ConsultationID: cons1, ResponseID: resp1},
			err:   KindRuleViolated, msg: "was replaced by " + resp2,
		},
		{
			name:  "a response is published once",
			given: answered.clone().add(consRef(cons1), ConsultationResponsePublished{ConsultationID: cons1, ResponseID: resp1, Organisation: "KS"}),
			when:  PublishConsultationResponse{ConsultationID: cons1, ResponseID: resp1},
			err:   KindRuleViolated, msg: "already published",
		},
		{
			name:  "nothing is published after closing",
			given: given().opened(cons1, "2026-03-01").responded(cons1, resp1, "KS", "2026-02-20").closedConsultation(cons1),
			when:  PublishConsultationResponse{ConsultationID: cons1, ResponseID: resp1},
			err:   KindRuleViolated, msg: "closed",
		},
		{
			name: "an unknown consultation is not found",
			when: PublishConsultationResponse{ConsultationID: cons1, ResponseID: resp1},
			err:  KindNotFound,
		},
	})
}

func TestCloseConsultation(t *testing.T) {
	past := given().opened(cons1, "2026-03-01")
	run(t, []spec{
		{
			name:  "a consultation past its deadline is closed with a summary",
			given: past,
			when:  CloseConsultation{ConsultationID: cons1, Summary: "Innspillene er tatt inn i strategien."},
			then:  ok(Change{consRef(cons1), ConsultationClosed{ConsultationID: cons1, Summary: "Innspillene er tatt inn i strategien."}}),
		},
		{
			name:  "the council case that followed is named",
			given: past.clone().register(case1, EHR, CaseApproval, PurposeOther, "", ""),
			when:  CloseConsultation{ConsultationID: cons1, Summary: "Til rådet.", ResultingCaseID: case1},
			then:  ok(Change{consRef(cons1), ConsultationClosed{ConsultationID: cons1, Summary: "Til rådet.", ResultingCaseID: case1}}),
		},
		{
			name:  "the resulting case must exist",
			given: past,
			when:  CloseConsultation{ConsultationID: cons1, Summary: "Til rådet.", ResultingCaseID: case2},
			err:   KindRuleViolated, msg: "does not exist",
		},
		{
			name:  "a consultation is not closed on or before its deadline",
			given: given().opened(cons1, "2026-03-10"),
			when:  CloseConsultation{ConsultationID: cons1, Summary: "For tidlig."},
			err:   KindRuleViolated, msg: "before the deadline",
		},
		{
			name:  "nothing after closing: not even closing again",
			given: past.clone().closedConsultation(cons1),
			when:  CloseConsultation{ConsultationID: cons1, Summary: "Igjen."},
			err:   KindRuleViolated, msg: "closed",
		},
		{
			name:  "nothing after closing: no more invitations",
			given: past.clone().closedConsultation(cons1),
			when:  InviteToConsultation{ConsultationID: cons1, Bodies: []string{"Tekna"}},
			err:   KindRuleViolated, msg: "closed",
		},
		{
			name: "closing needs a summary",
			when: CloseConsultation{ConsultationID: cons1, ResultingCaseID: "sak"},
			err:  KindInvalid, fields: []string{"summary", "resultingCaseId"},
		},
	})
}

func TestOrganisationKey(t *testing.T) {
	if OrganisationKey("  Den norske  Legeforening ") != OrganisationKey("den norske legeforening") {
		t.Error("case and spaces matter")
	}
	if OrganisationKey("Pårørendealliansen") != OrganisationKey("PÅRØRENDEALLIANSEN") {
		t.Error("Norwegian letters fold")
	}
	if OrganisationKey("KS") == OrganisationKey("KSB") {
		t.Error("different names are equal")
	}
}
