package domain

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// ConsultationState is one consultation (høring): a proposal sent out with
// questions to invited bodies, open to everyone until its deadline. Each
// organisation has at most one current response; a replaced response stays
// in Responses with ReplacedBy set. Nothing happens after it is closed.
type ConsultationState struct {
	ID          string `json:"id"`
	Version     uint64 `json:"version"`
	Title       string `json:"title"`
	ArchiveRef  string `json:"archiveRef,omitempty"`
	DocumentURL string `json:"documentUrl,omitempty"`
	// Questions, numbered from 1 in this order.
	Questions []string `json:"questions"`
	// Invited lists the invited bodies (høringsinstanser) in the order
	// they were invited, without duplicates (compared by OrganisationKey).
	Invited    []string `json:"invited"`
	OpenedDate Date     `json:"openedDate"`
	Deadline   Date     `json:"deadline"`
	// Responses lists every response in the order received, replaced ones
	// included.
	Responses       []ConsultationResponse `json:"responses"`
	Closed          bool                   `json:"closed"`
	ResultingCaseID string                 `json:"resultingCaseId,omitempty"`
	CreatedAt       time.Time              `json:"createdAt,omitzero"`
	UpdatedAt       time.Time              `json:"updatedAt,omitzero"`
}

// ConsultationResponse is what the consultation's rules need to know of a
// response; its texts are in the events and the read models.
type ConsultationResponse struct {
	ID           string `json:"id"`
	Organisation string `json:"organisation"`
	ReceivedDate Date   `json:"receivedDate"`
	Late         bool   `json:"late,omitempty"`
	Published    bool   `json:"published,omitempty"`
	// ReplacedBy is the response that replaced this one ("" while current).
	ReplacedBy string `json:"replacedBy,omitempty"`
}

// StateRef implements State.
func (s *ConsultationState) StateRef() Ref { return Ref{Consultation, s.ID} }

// StateVersion implements State.
func (s *ConsultationState) StateVersion() uint64 { return s.Version }

// Response returns the response with the id.
func (s *ConsultationState) Response(id string) (ConsultationResponse, bool) {
	for _, r := range s.Responses {
		if r.ID == id {
			return r, true
		}
	}
	return ConsultationResponse{}, false
}

// CurrentResponse returns the organisation's response that has not been
// replaced, comparing names by OrganisationKey.
func (s *ConsultationState) CurrentResponse(organisation string) (ConsultationResponse, bool) {
	k := OrganisationKey(organisation)
	for _, r := range s.Responses {
		if r.ReplacedBy == "" && OrganisationKey(r.Organisation) == k {
			return r, true
		}
	}
	return ConsultationResponse{}, false
}

// OrganisationKey is the form in which organisation names are compared:
// one response per organisation, one invitation per body. Case and
// surrounding or repeated white space do not matter:
//
//	OrganisationKey("  Den norske  Legeforening ") == OrganisationKey("den norske legeforening")
func OrganisationKey(name string) string {
	return strings.ToLower(strings.Join(strings.Fields(name), " "))
}

// Length and count limits of consultations.
const (
	MaxQuestions   = 30    // questions of a consultation
	MaxQuestionLen = 2000  // one question
	MaxBodies      = 2000  // invited bodies in one command
	MaxURLLen      = 2000  // a document URL
	MaxAnswerLen   = 20000 // one answer, or the other comments
	MaxSealedLen   = 2000  // the sealed contact address
)

// SealedContactTag begins a sealed contact address: the version of the
// sealing.
const SealedContactTag = "v1."

// ---- commands ----

// OpenConsultation opens a consultation (høring): the proposal, the
// questions it wants answered, the invited bodies and the deadline.
type OpenConsultation struct {
	// Assigned by the server when absent.
	ConsultationID string `json:"consultationId,omitempty"`
	Title          string `json:"title"`
	Description    string `json:"description"`
	// The case number in the archive, e.g. 22/414.
	ArchiveRef string `json:"archiveRef,omitempty"`
	// Where the consultation document is published (http or https).
	DocumentURL string `json:"documentUrl,omitempty"`
	// The questions, numbered from 1 in this order.
	Questions []string `json:"questions"`
	// The invited bodies (høringsinstanser); duplicates are ignored.
	InvitedBodies []string `json:"invitedBodies"`
	// The last day responses are on time.
	Deadline Date `json:"deadline"`
	// The day the consultation was sent out (default: today). An addition
	// to the contract, to record consultations of the past.
	OpenedDate Date `json:"openedDate,omitempty"`
}

func (OpenConsultation) CommandName() string { return "OpenConsultation" }

func (c *OpenConsultation) AssignID(id string) { c.ConsultationID = id }

// Validate checks consultationId (optional), title, description,
// archiveRef, documentUrl, one to MaxQuestions questions, the invited
// bodies, deadline and openedDate (not after the deadline).
func (c OpenConsultation) Validate() error {
	var v Validation
	v.id("consultationId", c.ConsultationID, false)
	v.text("title", c.Title, true, MaxTitleLen, false)
	v.text("description", c.Description, true, MaxTextLen, true)
	v.text("archiveRef", c.ArchiveRef, false, MaxRefLen, false)
	v.url("documentUrl", c.DocumentURL)
	switch {
	case len(c.Questions) == 0:
		v.Add("questions", "must list at least one question")
	case len(c.Questions) > MaxQuestions:
		v.Add("questions", fmt.Sprintf("must list at most %d questions", MaxQuestions))
	default:
		for i, q := range c.Questions {
			v.text(fmt.Sprintf("questions[%d]", i), q, true, MaxQuestionLen, true)
		}
	}
	v.bodies("invitedBodies", c.InvitedBodies, false)
	okDeadline := v.date("deadline", c.Deadline, true)
	okOpened := v.date("openedDate", c.OpenedDate, false)
	if okDeadline && okOpened && c.OpenedDate > c.Deadline {
		v.Add("openedDate", "must not be after the deadline")
	}
	return v.Err()
}

// InviteToConsultation invites more bodies; those already invited are
// ignored.
type InviteToConsultation struct {
	ConsultationID string   `json:"consultationId"`
	Bodies         []string `json:"bodies"`
}

func (InviteToConsultation) CommandName() string { return "InviteToConsultation" }

// Validate checks consultationId and at least one body.
func (c InviteToConsultation) Validate() error {
	var v Validation
	v.id("consultationId", c.ConsultationID, true)
	v.bodies("bodies", c.Bodies, true)
	return v.Err()
}

// Answer is a response's answer to one question.
type Answer struct {
	// The question's number, from 1.
	Question int `json:"question"`
	// The answer.
	Text string `json:"text"`
}

// RegisterConsultationResponse records an organisation's response. One
// response per organisation: a second one must say replaces: true, and
// replaces the first (both stay in the history). A response received after
// the deadline is recorded and marked late.
type RegisterConsultationResponse struct {
	ConsultationID string `json:"consultationId"`
	// Assigned by the server when absent. An addition to the contract.
	ResponseID   string   `json:"responseId,omitempty"`
	Organisation string   `json:"organisation"`
	ReceivedDate Date     `json:"receivedDate"`
	Answers      []Answer `json:"answers"`
	Comments     string   `json:"comments,omitempty"`
	DocumentURL  string   `json:"documentUrl,omitempty"`
	// Replace the organisation's earlier response.
	Replaces bool `json:"replaces,omitempty"`
	// The contact e-mail address sealed by the server's web form
	// ("v1.…"); an API client leaves it out. An addition to the contract.
	ContactSealed string `json:"contactSealed,omitempty"`
}

func (RegisterConsultationResponse) CommandName() string { return "RegisterConsultationResponse" }

func (c *RegisterConsultationResponse) AssignID(id string) { c.ResponseID = id }

// Validate checks consultationId, responseId (optional), organisation,
// receivedDate, the answers (question numbers from 1, each at most once,
// text required), comments, documentUrl and contactSealed, and that the
// response says something: an answer, comments or a document.
func (c RegisterConsultationResponse) Validate() error {
	var v Validation
	v.id("consultationId", c.ConsultationID, true)
	v.id("responseId", c.ResponseID, false)
	v.text("organisation", c.Organisation, true, MaxNameLen, false)
	v.date("receivedDate", c.ReceivedDate, true)
	if len(c.Answers) > MaxQuestions {
		v.Add("answers", fmt.Sprintf("must list at most %d answers", MaxQuestions))
	} else {
		seen := map[int]bool{}
		for i, a := range c.Answers {
			f := fmt.Sprintf("answers[%d]", i)
			switch {
			case a.Question < 1 || a.Question > MaxQuestions:
				v.Add(f+".question", fmt.Sprintf("must be a question number from 1 to %d", MaxQuestions))
			case seen[a.Question]:
				v.Add(f+".question", fmt.Sprintf("question %d is answered twice", a.Question))
			}
			seen[a.Question] = true
			v.text(f+".text", a.Text, true, MaxAnswerLen, true)
		}
	}
	v.text("comments", c.Comments, false, MaxAnswerLen, true)
	v.url("documentUrl", c.DocumentURL)
	if c.ContactSealed != "" {
		v.text("contactSealed", c.ContactSealed, false, MaxSealedLen, false)
		if !strings.HasPrefix(c.ContactSealed, SealedContactTag) {
			v.Add("contactSealed", "must be sealed by the server (\""+SealedContactTag+"…\")")
		}
	}
	if len(c.Answers) == 0 && strings.TrimSpace(c.Comments) == "" && c.DocumentURL == "" {
		v.Add("answers", "a response needs an answer, comments or a document")
	}
	return v.Err()
}

// PublishConsultationResponse publishes a response: from then on everyone
// may read it.
type PublishConsultationResponse struct {
	ConsultationID string `json:"consultationId"`
	ResponseID     string `json:"responseId"`
}

func (PublishConsultationResponse) CommandName() string { return "PublishConsultationResponse" }

// Validate checks consultationId and responseId.
func (c PublishConsultationResponse) Validate() error {
	var v Validation
	v.id("consultationId", c.ConsultationID, true)
	v.id("responseId", c.ResponseID, true)
	return v.Err()
}

// CloseConsultation concludes a consultation (ferdig behandlet) with a
// summary and, if any, the council case that followed.
type CloseConsultation struct {
	ConsultationID string `json:"consultationId"`
	Summary        string `json:"summary"`
	// The council case that followed from the consultation.
	ResultingCaseID string `json:"resultingCaseId,omitempty"`
}

func (CloseConsultation) CommandName() string { return "CloseConsultation" }

// Validate checks consultationId, summary and resultingCaseId (optional).
func (c CloseConsultation) Validate() error {
	var v Validation
	v.id("consultationId", c.ConsultationID, true)
	v.text("summary", c.Summary, true, MaxTextLen, true)
	v.id("resultingCaseId", c.ResultingCaseID, false)
	return v.Err()
}

// url checks an optional document link: an absolute http or https URL.
func (v *Validation) url(field, value string) {
	if value == "" {
		return
	}
	v.text(field, value, false, MaxURLLen, false)
	u, err := url.Parse(value)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		v.Add(field, "must be an http or https URL")
	}
}

// bodies checks a list of organisation names.
func (v *Validation) bodies(field string, names []string, required bool) {
	switch {
	case len(names) == 0:
		if required {
			v.Add(field, "must list at least one body")
		}
	case len(names) > MaxBodies:
		v.Add(field, fmt.Sprintf("must list at most %d bodies", MaxBodies))
	default:
		for i, n := range names {
			v.text(fmt.Sprintf("%s[%d]", field, i), n, true, MaxNameLen, false)
		}
	}
}

// ---- events ----

// ConsultationOpened: a consultation was sent out.
type ConsultationOpened struct {
	// The consultation's id (ULID or UUID).
	ConsultationID string `json:"consultationId"`
	// The consultation's title.
	Title string `json:"title"`
	// What is proposed and why.
	Description string `json:"description"`
	// The case number in the archive, e.g. `22/414`.
	ArchiveRef string `json:"archiveRef,omitempty"`
	// Where the consultation document is published.
	DocumentURL string `json:"documentUrl,omitempty"`
	// The questions, numbered from 1 in this order.
	Questions []string `json:"questions"`
	// The invited bodies, without duplicates.
	InvitedBodies []string `json:"invitedBodies"`
	// The day it was sent out.
	OpenedDate Date `json:"openedDate"`
	// The last day responses are on time.
	Deadline Date `json:"deadline"`
}

func (ConsultationOpened) EventType() string { return "ConsultationOpened" }

// BodiesInvited: more bodies were invited.
type BodiesInvited struct {
	// The consultation's id.
	ConsultationID string `json:"consultationId"`
	// The bodies newly invited (those invited before are left out).
	Bodies []string `json:"bodies"`
}

func (BodiesInvited) EventType() string { return "BodiesInvited" }

// ConsultationResponseRegistered: an organisation's response was received.
// It is not public until ConsultationResponsePublished.
type ConsultationResponseRegistered struct {
	// The consultation's id.
	ConsultationID string `json:"consultationId"`
	// The response's id (ULID or UUID).
	ResponseID string `json:"responseId"`
	// The responding organisation, as it gave its name.
	Organisation string `json:"organisation"`
	// The day the response was received.
	ReceivedDate Date `json:"receivedDate"`
	// The answers, by question number (from 1).
	Answers []Answer `json:"answers"`
	// Other comments.
	Comments string `json:"comments,omitempty"`
	// A link to the response as a document.
	DocumentURL string `json:"documentUrl,omitempty"`
	// Received after the deadline.
	Late bool `json:"late,omitempty"`
	// The organisation's earlier response that this one replaces
	// (ConsultationResponseReplaced follows in the same write).
	Replaces string `json:"replaces,omitempty"`
	// The contact e-mail address given in the web form, sealed: AES-256-GCM
	// under a key only the server holds, `v1.` + base64url(nonce ‖
	// ciphertext). Never the address in clear.
	ContactSealed string `json:"contactSealed,omitempty"`
}

func (ConsultationResponseRegistered) EventType() string { return "ConsultationResponseRegistered" }

// ConsultationResponseReplaced: an organisation's response was replaced by
// its newer one; the old one stays in the history but is no longer shown
// or published.
type ConsultationResponseReplaced struct {
	// The consultation's id.
	ConsultationID string `json:"consultationId"`
	// The replaced response.
	ResponseID string `json:"responseId"`
	// The response that replaces it.
	ReplacedBy string `json:"replacedBy"`
	// The organisation.
	Organisation string `json:"organisation"`
}

func (ConsultationResponseReplaced) EventType() string { return "ConsultationResponseReplaced" }

// ConsultationResponsePublished: a response was published; everyone may
// read it from now on.
type ConsultationResponsePublished struct {
	// The consultation's id.
	ConsultationID string `json:"consultationId"`
	// The published response.
	ResponseID string `json:"responseId"`
	// The organisation that gave it.
	Organisation string `json:"organisation"`
}

func (ConsultationResponsePublished) EventType() string { return "ConsultationResponsePublished" }

// ConsultationClosed: the consultation is concluded (ferdig behandlet).
type ConsultationClosed struct {
	// The consultation's id.
	ConsultationID string `json:"consultationId"`
	// What came of it.
	Summary string `json:"summary"`
	// The council case that followed, if any.
	ResultingCaseID string `json:"resultingCaseId,omitempty"`
}

func (ConsultationClosed) EventType() string { return "ConsultationClosed" }

// ---- registry ----

var consultationAggregate = &aggregateDef[ConsultationState, *ConsultationState]{
	typ:     Consultation,
	empty:   func(id string) *ConsultationState { return &ConsultationState{ID: id} },
	created: true,
	stamp: func(n *ConsultationState, r Recorded) {
		n.Questions, n.Invited, n.Responses = nonNil(n.Questions), nonNil(n.Invited), nonNil(n.Responses)
		n.Version, n.UpdatedAt = r.Version, r.Time
	},
}

func consultationRef(id string) Ref { return Ref{Consultation, id} }

var consultationCommands = []commandEntry{
	command(Consultation, Secretariat, func(c OpenConsultation) Ref { return consultationRef(c.ConsultationID) },
		(*decider).openConsultation),
	command(Consultation, Secretariat, func(c InviteToConsultation) Ref { return consultationRef(c.ConsultationID) },
		(*decider).inviteToConsultation),
	command(Consultation, Secretariat, func(c RegisterConsultationResponse) Ref { return consultationRef(c.ConsultationID) },
		(*decider).registerConsultationResponse),
	command(Consultation, Secretariat, func(c PublishConsultationResponse) Ref { return consultationRef(c.ConsultationID) },
		(*decider).publishConsultationResponse),
	command(Consultation, Secretariat, func(c CloseConsultation) Ref { return consultationRef(c.ConsultationID) },
		(*decider).closeConsultation).
		needing(func(c CloseConsultation, _ map[Ref]State) []Ref {
			if c.ResultingCaseID != "" && ValidID(c.ResultingCaseID) {
				return []Ref{{Case, c.ResultingCaseID}}
			}
			return nil
		}),
}

var consultationEvents = []eventEntry{
	event(consultationAggregate, func(e ConsultationOpened) string { return e.ConsultationID },
		func(n *ConsultationState, e ConsultationOpened, r Recorded) error {
			n.Title, n.ArchiveRef, n.DocumentURL = e.Title, e.ArchiveRef, e.DocumentURL
			n.Questions = nonNil(slices.Clone(e.Questions))
			n.Invited = nonNil(slices.Clone(e.InvitedBodies))
			n.OpenedDate, n.Deadline = e.OpenedDate, e.Deadline
			n.CreatedAt = r.Time
			return nil
		}).creating(),
	event(consultationAggregate, func(e BodiesInvited) string { return e.ConsultationID },
		func(n *ConsultationState, e BodiesInvited, _ Recorded) error {
			n.Invited = append(slices.Clip(n.Invited), e.Bodies...)
			return nil
		}),
	event(consultationAggregate, func(e ConsultationResponseRegistered) string { return e.ConsultationID },
		func(n *ConsultationState, e ConsultationResponseRegistered, _ Recorded) error {
			if _, ok := n.Response(e.ResponseID); ok {
				return Errorf(KindInternal, "evolve %s: response %s registered twice", n.StateRef(), e.ResponseID)
			}
			n.Responses = append(slices.Clip(n.Responses), ConsultationResponse{
				ID: e.ResponseID, Organisation: e.Organisation, ReceivedDate: e.ReceivedDate, Late: e.Late,
			})
			return nil
		}),
	event(consultationAggregate, func(e ConsultationResponseReplaced) string { return e.ConsultationID },
		func(n *ConsultationState, e ConsultationResponseReplaced, _ Recorded) error {
			return n.changeResponse(e.ResponseID, func(r *ConsultationResponse) { r.ReplacedBy = e.ReplacedBy })
		}),
	event(consultationAggregate, func(e ConsultationResponsePublished) string { return e.ConsultationID },
		func(n *ConsultationState, e ConsultationResponsePublished, _ Recorded) error {
			return n.changeResponse(e.ResponseID, func(r *ConsultationResponse) { r.Published = true })
		}),
	event(consultationAggregate, func(e ConsultationClosed) string { return e.ConsultationID },
		func(n *ConsultationState, e ConsultationClosed, _ Recorded) error {
			n.Closed, n.ResultingCaseID = true, e.ResultingCaseID
			return nil
		}),
}

// changeResponse changes one response, copying the list (copy on write).
func (n *ConsultationState) changeResponse(id string, change func(*ConsultationResponse)) error {
	i := slices.IndexFunc(n.Responses, func(r ConsultationResponse) bool { return r.ID == id })
	if i < 0 {
		return Errorf(KindInternal, "evolve %s: no response %s", n.StateRef(), id)
	}
	n.Responses = slices.Clone(n.Responses)
	change(&n.Responses[i])
	return nil
}

// ---- decisions ----

func (d *decider) consultation(id string) (*ConsultationState, error) {
	c, err := existing[*ConsultationState](d, consultationRef(id), "consultation")
	if err != nil {
		return nil, err
	}
	if c.Closed {
		return nil, Refuse("consultation %s is closed: nothing more can be recorded on it", id).
			WithNorsk("Høringen %s er ferdig behandlet: ingenting mer kan registreres på den.", id)
	}
	return c, nil
}

// distinctBodies trims the names and drops those whose OrganisationKey is
// in have or earlier in names.
func distinctBodies(names, have []string) []string {
	seen := map[string]bool{}
	for _, h := range have {
		seen[OrganisationKey(h)] = true
	}
	out := []string{}
	for _, n := range names {
		k := OrganisationKey(n)
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, strings.Join(strings.Fields(n), " "))
	}
	return out
}

// openConsultation: the id must be new. It may be opened with a past date,
// to record history, but not with a future one.
func (d *decider) openConsultation(c OpenConsultation) ([]Change, error) {
	s, err := fresh[*ConsultationState](d, consultationRef(c.ConsultationID), "consultation")
	if err != nil {
		return nil, err
	}
	opened := c.OpenedDate
	if opened == "" {
		opened = today(d.now)
	}
	if t := today(d.now); opened > t {
		return nil, Refuse("a consultation cannot be opened on %s, after today (%s)", opened, t).
			WithNorsk("En høring kan ikke åpnes %s, etter dagens dato (%s).", dateNB(opened), dateNB(t))
	}
	if opened > c.Deadline {
		return nil, Refuse("the deadline %s is before the consultation opens (%s)", c.Deadline, opened).
			WithNorsk("Høringsfristen %s er før høringen åpner (%s).", dateNB(c.Deadline), dateNB(opened))
	}
	questions := make([]string, len(c.Questions))
	for i, q := range c.Questions {
		questions[i] = strings.TrimSpace(q)
	}
	return []Change{{s.StateRef(), ConsultationOpened{
		ConsultationID: c.ConsultationID, Title: c.Title, Description: c.Description, ArchiveRef: c.ArchiveRef,
		DocumentURL: c.DocumentURL, Questions: questions, InvitedBodies: distinctBodies(c.InvitedBodies, nil),
		OpenedDate: opened, Deadline: c.Deadline,
	}}}, nil
}

// inviteToConsultation: only bodies not invited yet; refused when every
// one of them already is.
func (d *decider) inviteToConsultation(c InviteToConsultation) ([]Change, error) {
	s, err := d.consultation(c.ConsultationID)
	if err != nil {
		return nil, err
	}
	bodies := distinctBodies(c.Bodies, s.Invited)
	if len(bodies) == 0 {
		return nil, Refuse("every one of the %d bodies is already invited to consultation %s", len(c.Bodies), s.ID).
			WithNorsk("Alle de %d høringsinstansene er allerede invitert til høringen %s.", len(c.Bodies), s.ID)
	}
	return []Change{{s.StateRef(), BodiesInvited{ConsultationID: s.ID, Bodies: bodies}}}, nil
}

// registerConsultationResponse: one current response per organisation; a
// second one needs replaces: true and replaces the first in the same write.
// Answers name the consultation's questions. A response after the deadline
// is late, not refused; one dated before the consultation opened or after
// today is refused.
func (d *decider) registerConsultationResponse(c RegisterConsultationResponse) ([]Change, error) {
	s, err := d.consultation(c.ConsultationID)
	if err != nil {
		return nil, err
	}
	if c.ResponseID == "" {
		return nil, Errorf(KindInternal, "decide: a response without an id (AssignID first)")
	}
	if _, ok := s.Response(c.ResponseID); ok {
		return nil, Refuse("consultation %s already has response %s", s.ID, c.ResponseID).
			WithNorsk("Høringen %s har allerede høringssvaret %s.", s.ID, c.ResponseID)
	}
	for _, a := range c.Answers {
		if a.Question > len(s.Questions) {
			return nil, Refuse("consultation %s has %d questions, not %d", s.ID, len(s.Questions), a.Question).
				WithNorsk("Høringen %s har %d spørsmål, ikke %d.", s.ID, len(s.Questions), a.Question)
		}
	}
	if t := today(d.now); c.ReceivedDate > t {
		return nil, Refuse("a response cannot be received on %s, after today (%s)", c.ReceivedDate, t).
			WithNorsk("Et høringssvar kan ikke være mottatt %s, etter dagens dato (%s).", dateNB(c.ReceivedDate), dateNB(t))
	}
	if c.ReceivedDate < s.OpenedDate {
		return nil, Refuse("a response cannot be received on %s, before the consultation opened (%s)", c.ReceivedDate, s.OpenedDate).
			WithNorsk("Et høringssvar kan ikke være mottatt %s, før høringen åpnet (%s).", dateNB(c.ReceivedDate), dateNB(s.OpenedDate))
	}
	org := strings.Join(strings.Fields(c.Organisation), " ")
	prev, has := s.CurrentResponse(org)
	switch {
	case has && !c.Replaces:
		return nil, Refuse("%s has already responded to consultation %s (response %s): one response per organisation; "+
			"send replaces: true to replace it", prev.Organisation, s.ID, prev.ID).
			WithNorsk("%s har allerede svart på høringen %s (høringssvar %s): hver organisasjon gir ett svar; "+
				"et nytt svar må erstatte det forrige.", prev.Organisation, s.ID, prev.ID)
	case !has && c.Replaces:
		return nil, Refuse("%s has no response to consultation %s to replace", org, s.ID).
			WithNorsk("%s har ikke noe svar på høringen %s som kan erstattes.", org, s.ID)
	}
	answers := make([]Answer, len(c.Answers))
	copy(answers, c.Answers)
	slices.SortStableFunc(answers, func(a, b Answer) int { return a.Question - b.Question })
	reg := ConsultationResponseRegistered{
		ConsultationID: s.ID, ResponseID: c.ResponseID, Organisation: org, ReceivedDate: c.ReceivedDate,
		Answers: answers, Comments: c.Comments, DocumentURL: c.DocumentURL, Late: c.ReceivedDate > s.Deadline,
		ContactSealed: c.ContactSealed,
	}
	if !has {
		return []Change{{s.StateRef(), reg}}, nil
	}
	reg.Replaces = prev.ID
	return []Change{
		{s.StateRef(), reg},
		{s.StateRef(), ConsultationResponseReplaced{ConsultationID: s.ID, ResponseID: prev.ID, ReplacedBy: c.ResponseID, Organisation: prev.Organisation}},
	}, nil
}

// publishConsultationResponse: a response that exists, is current (not
// replaced) and is not published yet.
func (d *decider) publishConsultationResponse(c PublishConsultationResponse) ([]Change, error) {
	s, err := d.consultation(c.ConsultationID)
	if err != nil {
		return nil, err
	}
	r, ok := s.Response(c.ResponseID)
	switch {
	case !ok:
		return nil, Refuse("consultation %s has no response %s", s.ID, c.ResponseID).
			WithNorsk("Høringen %s har ikke høringssvaret %s.", s.ID, c.ResponseID)
	case r.ReplacedBy != "":
		return nil, Refuse("response %s of %s was replaced by %s; publish that one", r.ID, r.Organisation, r.ReplacedBy).
			WithNorsk("Høringssvaret %s fra %s er erstattet av %s; publiser det i stedet.", r.ID, r.Organisation, r.ReplacedBy)
	case r.Published:
		return nil, Refuse("response %s of %s is already published", r.ID, r.Organisation).
			WithNorsk("Høringssvaret %s fra %s er allerede publisert.", r.ID, r.Organisation)
	}
	return []Change{{s.StateRef(), ConsultationResponsePublished{ConsultationID: s.ID, ResponseID: r.ID, Organisation: r.Organisation}}}, nil
}

// closeConsultation: after the deadline; the resulting case, if named,
// must exist.
func (d *decider) closeConsultation(c CloseConsultation) ([]Change, error) {
	s, err := d.consultation(c.ConsultationID)
	if err != nil {
		return nil, err
	}
	if t := today(d.now); t <= s.Deadline {
		return nil, Refuse("consultation %s is open until %s: it cannot be closed before the deadline has passed", s.ID, s.Deadline).
			WithNorsk("Høringen %s er åpen til %s: den kan ikke registreres som ferdig behandlet før fristen er ute.", s.ID, dateNB(s.Deadline))
	}
	if c.ResultingCaseID != "" {
		if _, err := d.caseOf(c.ResultingCaseID); err != nil {
			if IsKind(err, KindNotFound) {
				return nil, Refuse("the resulting case %s does not exist", c.ResultingCaseID).
					WithNorsk("Saken %s som høringen skal føre til, finnes ikke.", c.ResultingCaseID)
			}
			return nil, err
		}
	}
	return []Change{{s.StateRef(), ConsultationClosed{ConsultationID: s.ID, Summary: c.Summary, ResultingCaseID: c.ResultingCaseID}}}, nil
}
