package wire

import (
	"time"

	"github.com/ehelse/portfolio/domain"
)

// ---- consultations ----

// Consultation statuses, as of a day.
const (
	ConsultationOpen           = "open"            // åpen: until and on the deadline
	ConsultationDeadlinePassed = "deadline_passed" // frist ute
	ConsultationClosed         = "closed"          // ferdig behandlet
)

// ConsultationSummary is one consultation in the list.
type ConsultationSummary struct {
	ConsultationID string      `json:"consultationId"`
	Title          string      `json:"title"`
	ArchiveRef     string      `json:"archiveRef,omitempty"`
	OpenedDate     domain.Date `json:"openedDate"`
	Deadline       domain.Date `json:"deadline"`
	Closed         bool        `json:"closed"`
	// Status is open, deadline_passed or closed, as of the day of the
	// query.
	Status string `json:"status"`
	// InvitedCount counts the invited bodies; ResponseCount the current
	// responses (for anonymous readers: the published ones);
	// PublishedCount the published ones.
	InvitedCount   int `json:"invitedCount"`
	ResponseCount  int `json:"responseCount"`
	PublishedCount int `json:"publishedCount"`
}

// InvitedBody is an invited body and whether it has responded.
type InvitedBody struct {
	Name string `json:"name"`
	// Responded: a current response from it is registered (for anonymous
	// readers: published).
	Responded bool `json:"responded"`
}

// ConsultationResponse is one response to a consultation.
type ConsultationResponse struct {
	ResponseID   string          `json:"responseId"`
	Organisation string          `json:"organisation"`
	ReceivedDate domain.Date     `json:"receivedDate"`
	Late         bool            `json:"late"`
	Answers      []domain.Answer `json:"answers"`
	Comments     string          `json:"comments,omitempty"`
	DocumentURL  string          `json:"documentUrl,omitempty"`
	Published    bool            `json:"published"`
	PublishedAt  *time.Time      `json:"publishedAt,omitempty"`
	// Replaces and ReplacedBy link an organisation's responses; a
	// response with ReplacedBy set is history, not current.
	Replaces   string `json:"replaces,omitempty"`
	ReplacedBy string `json:"replacedBy,omitempty"`
	// RegisteredBy is who recorded it (the actor: a token name, or
	// "webskjema" for the public form).
	RegisteredBy string    `json:"registeredBy,omitempty"`
	RegisteredAt time.Time `json:"registeredAt"`
	// ContactEmail is the contact address given in the web form, opened
	// for the secretariat only.
	ContactEmail string `json:"contactEmail,omitempty"`
	// ContactSealed is the sealed address as recorded; never sent.
	ContactSealed string `json:"-"`
}

// Current reports whether the response has not been replaced.
func (r ConsultationResponse) Current() bool { return r.ReplacedBy == "" }

// Answer returns the response's answer to question q (from 1), or "".
func (r ConsultationResponse) Answer(q int) string {
	for _, a := range r.Answers {
		if a.Question == q {
			return a.Text
		}
	}
	return ""
}

// ConsultationDetail is one consultation with its questions, invited
// bodies and responses (GET /v1/consultations/{id}).
type ConsultationDetail struct {
	ConsultationSummary
	Description string   `json:"description"`
	DocumentURL string   `json:"documentUrl,omitempty"`
	Questions   []string `json:"questions"`
	// Summary and ResultingCaseID are set once it is closed.
	Summary         string        `json:"summary,omitempty"`
	ResultingCaseID string        `json:"resultingCaseId,omitempty"`
	ClosedAt        *time.Time    `json:"closedAt,omitempty"`
	InvitedBodies   []InvitedBody `json:"invitedBodies"`
	// Responses in the order received: for the secretariat and auditors
	// every response, replaced ones included; for everyone else the
	// published current ones.
	Responses []ConsultationResponse `json:"responses"`
	Version   uint64                 `json:"version"`
	Position  uint64                 `json:"position"`
}

// Response returns the response with the id.
func (d ConsultationDetail) Response(id string) (ConsultationResponse, bool) {
	for _, r := range d.Responses {
		if r.ResponseID == id {
			return r, true
		}
	}
	return ConsultationResponse{}, false
}

// ConsultationList is the answer of GET /v1/consultations.
type ConsultationList struct {
	Consultations []ConsultationSummary `json:"consultations"`
}

// Recount derives what follows from the responses: each invited body's
// Responded (a current response from an organisation of the same name, by
// domain.OrganisationKey) and the counts of the summary.
func (d *ConsultationDetail) Recount() {
	keys := map[string]bool{}
	cur, pub := 0, 0
	for _, r := range d.Responses {
		if r.Current() {
			keys[domain.OrganisationKey(r.Organisation)] = true
			cur++
			if r.Published {
				pub++
			}
		}
	}
	bodies := make([]InvitedBody, len(d.InvitedBodies))
	for i, b := range d.InvitedBodies {
		bodies[i] = InvitedBody{Name: b.Name, Responded: keys[domain.OrganisationKey(b.Name)]}
	}
	d.InvitedBodies = bodies
	d.ResponseCount, d.PublishedCount, d.InvitedCount = cur, pub, len(bodies)
}
