package projections

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/ehelse/portfolio/domain"
)

// The consultations read model: one document per consultation
// (BucketConsultations) with its questions, invited bodies and every
// response, replaced ones included. A query returns it whole; Public()
// cuts it down to what anonymous readers see.

// BucketConsultations: id → consultationDoc.
const BucketConsultations = "consultations"

// Consultation statuses, as of a day (ConsultationStatusOn).
const (
	ConsultationOpen           = "open"            // åpen
	ConsultationDeadlinePassed = "deadline_passed" // frist ute
	ConsultationClosed         = "closed"          // ferdig behandlet
)

// ConsultationStatusOn is a consultation's status on the day today: closed
// once concluded, else open until and on its deadline, then
// deadline_passed.
func ConsultationStatusOn(closed bool, deadline, today domain.Date) string {
	switch {
	case closed:
		return ConsultationClosed
	case today > deadline:
		return ConsultationDeadlinePassed
	}
	return ConsultationOpen
}

// ConsultationSummary is one consultation in the list.
type ConsultationSummary struct {
	ConsultationID string      `json:"consultationId"`
	Title          string      `json:"title"`
	ArchiveRef     string      `json:"archiveRef,omitempty"`
	OpenedDate     domain.Date `json:"openedDate"`
	Deadline       domain.Date `json:"deadline"`
	Closed         bool        `json:"closed"`
	// Status is open, deadline_passed or closed, as of the day of the
	// query (ConsultationStatusOn).
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

// ConsultationResponseView is one response.
type ConsultationResponseView struct {
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
	// for the secretariat only; the read model keeps it sealed.
	ContactEmail string `json:"contactEmail,omitempty"`
	// ContactSealed is the sealed address as recorded; never shown.
	ContactSealed string `json:"-"`
}

// Current reports whether the response has not been replaced.
func (r ConsultationResponseView) Current() bool { return r.ReplacedBy == "" }

// Response returns the response with the id.
func (d ConsultationDetail) Response(id string) (ConsultationResponseView, bool) {
	for _, r := range d.Responses {
		if r.ResponseID == id {
			return r, true
		}
	}
	return ConsultationResponseView{}, false
}

// Answer returns the response's answer to question q (from 1), or "".
func (r ConsultationResponseView) Answer(q int) string {
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
	// published current ones (Public).
	Responses []ConsultationResponseView `json:"responses"`
	Version   uint64                     `json:"version"`
	Position  uint64                     `json:"position"`
}

// consultationDoc is what BucketConsultations stores.
type consultationDoc struct {
	ConsultationDetail
	Contacts map[string]string `json:"contacts,omitempty"` // responseId → sealed address
}

// Public returns what anonymous readers see: only the published current
// responses, without contact addresses, and invited bodies marked as
// responded by those.
func (d ConsultationDetail) Public() ConsultationDetail {
	out := d
	out.Responses = []ConsultationResponseView{}
	for _, r := range d.Responses {
		if r.Published && r.Current() {
			r.ContactEmail, r.ContactSealed, r.RegisteredBy = "", "", ""
			out.Responses = append(out.Responses, r)
		}
	}
	out.InvitedBodies = respondedBy(d.InvitedBodies, out.Responses)
	out.setCounts()
	return out
}

// setCounts counts the invited bodies and the current and published
// responses.
func (d *ConsultationDetail) setCounts() {
	cur, pub := 0, 0
	for _, r := range d.Responses {
		if r.Current() {
			cur++
			if r.Published {
				pub++
			}
		}
	}
	d.ResponseCount, d.PublishedCount, d.InvitedCount = cur, pub, len(d.InvitedBodies)
}

// respondedBy marks the bodies with a current response among rs.
func respondedBy(bodies []InvitedBody, rs []ConsultationResponseView) []InvitedBody {
	keys := map[string]bool{}
	for _, r := range rs {
		if r.Current() {
			keys[domain.OrganisationKey(r.Organisation)] = true
		}
	}
	out := make([]InvitedBody, len(bodies))
	for i, b := range bodies {
		out[i] = InvitedBody{Name: b.Name, Responded: keys[domain.OrganisationKey(b.Name)]}
	}
	return out
}

// ---- apply ----

func getConsultation(tx *bolt.Tx, id string) (consultationDoc, bool, error) {
	var d consultationDoc
	found, err := getJSON(tx, BucketConsultations, []byte(id), &d)
	return d, found, err
}

// changeConsultation applies change to the stored document of id; an
// event about a consultation the read model does not hold changes nothing.
func changeConsultation(tx *bolt.Tx, id string, r domain.Recorded, change func(d *consultationDoc)) (bool, error) {
	d, found, err := getConsultation(tx, id)
	if err != nil || !found {
		return false, err
	}
	change(&d)
	d.InvitedBodies = respondedBy(d.InvitedBodies, d.Responses)
	d.setCounts()
	d.Version, d.Position = r.Version, r.Position
	return true, putJSON(tx, BucketConsultations, []byte(id), d)
}

func applyConsultationOpened(tx *bolt.Tx, id string, r domain.Recorded, e domain.ConsultationOpened) (bool, error) {
	d := consultationDoc{ConsultationDetail: ConsultationDetail{
		ConsultationSummary: ConsultationSummary{ConsultationID: id, Title: e.Title, ArchiveRef: e.ArchiveRef,
			OpenedDate: e.OpenedDate, Deadline: e.Deadline},
		Description: e.Description, DocumentURL: e.DocumentURL, Questions: nonNilStrings(e.Questions),
		InvitedBodies: []InvitedBody{}, Responses: []ConsultationResponseView{},
	}}
	for _, b := range e.InvitedBodies {
		d.InvitedBodies = append(d.InvitedBodies, InvitedBody{Name: b})
	}
	d.setCounts()
	d.Version, d.Position = r.Version, r.Position
	return true, putJSON(tx, BucketConsultations, []byte(id), d)
}

func applyBodiesInvited(tx *bolt.Tx, id string, r domain.Recorded, e domain.BodiesInvited) (bool, error) {
	return changeConsultation(tx, id, r, func(d *consultationDoc) {
		for _, b := range e.Bodies {
			d.InvitedBodies = append(d.InvitedBodies, InvitedBody{Name: b})
		}
	})
}

func applyResponseRegistered(tx *bolt.Tx, id string, r domain.Recorded, e domain.ConsultationResponseRegistered) (bool, error) {
	return changeConsultation(tx, id, r, func(d *consultationDoc) {
		answers := slices.Clone(e.Answers)
		if answers == nil {
			answers = []domain.Answer{}
		}
		d.Responses = append(d.Responses, ConsultationResponseView{
			ResponseID: e.ResponseID, Organisation: e.Organisation, ReceivedDate: e.ReceivedDate, Late: e.Late,
			Answers: answers, Comments: e.Comments, DocumentURL: e.DocumentURL, Replaces: e.Replaces,
			RegisteredBy: r.Actor, RegisteredAt: r.Time.UTC(),
		})
		if e.ContactSealed != "" {
			if d.Contacts == nil {
				d.Contacts = map[string]string{}
			}
			d.Contacts[e.ResponseID] = e.ContactSealed
		}
	})
}

func applyResponseReplaced(tx *bolt.Tx, id string, r domain.Recorded, e domain.ConsultationResponseReplaced) (bool, error) {
	return changeConsultation(tx, id, r, func(d *consultationDoc) {
		for i := range d.Responses {
			if d.Responses[i].ResponseID == e.ResponseID {
				d.Responses[i].ReplacedBy = e.ReplacedBy
			}
		}
	})
}

func applyResponsePublished(tx *bolt.Tx, id string, r domain.Recorded, e domain.ConsultationResponsePublished) (bool, error) {
	return changeConsultation(tx, id, r, func(d *consultationDoc) {
		at := r.Time.UTC()
		for i := range d.Responses {
			if d.Responses[i].ResponseID == e.ResponseID {
				d.Responses[i].Published, d.Responses[i].PublishedAt = true, &at
			}
		}
	})
}

func applyConsultationClosed(tx *bolt.Tx, id string, r domain.Recorded, e domain.ConsultationClosed) (bool, error) {
	return changeConsultation(tx, id, r, func(d *consultationDoc) {
		at := r.Time.UTC()
		d.Closed, d.Summary, d.ResultingCaseID, d.ClosedAt = true, e.Summary, e.ResultingCaseID, &at
	})
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return slices.Clone(s)
}

// ---- queries ----

// detail is the stored document as the full view, the sealed contact
// addresses on their responses.
func (d consultationDoc) detail() ConsultationDetail {
	out := d.ConsultationDetail
	out.Responses = slices.Clone(out.Responses)
	for i := range out.Responses {
		out.Responses[i].ContactSealed = d.Contacts[out.Responses[i].ResponseID]
	}
	return out
}

func readConsultations(tx *bolt.Tx) ([]ConsultationDetail, error) {
	out := []ConsultationDetail{}
	err := scanPrefix(tx, BucketConsultations, nil, func(k, v []byte) error {
		var d consultationDoc
		if err := json.Unmarshal(v, &d); err != nil {
			return corrupt(BucketConsultations, k, err)
		}
		out = append(out, d.detail())
		return nil
	})
	// Newest first: by opening day, then deadline, then id.
	slices.SortStableFunc(out, func(a, b ConsultationDetail) int {
		if c := strings.Compare(string(b.OpenedDate), string(a.OpenedDate)); c != 0 {
			return c
		}
		if c := strings.Compare(string(b.Deadline), string(a.Deadline)); c != 0 {
			return c
		}
		return strings.Compare(a.ConsultationID, b.ConsultationID)
	})
	return out, err
}

// Consultations returns every consultation with all its responses, newest
// first. Status is left empty: it depends on the day (ConsultationStatusOn).
func (m *ReadModels) Consultations() ([]ConsultationDetail, error) {
	var out []ConsultationDetail
	err := m.view(func(tx *bolt.Tx) error {
		var err error
		out, err = readConsultations(tx)
		return err
	})
	return out, err
}

// Consultation returns one consultation with all its responses, or a
// KindNotFound error. Status is left empty (ConsultationStatusOn).
func (m *ReadModels) Consultation(id string) (ConsultationDetail, error) {
	var out ConsultationDetail
	err := m.view(func(tx *bolt.Tx) error {
		d, ok, err := getConsultation(tx, id)
		if err != nil {
			return err
		}
		if !ok || id == "" {
			return notFound("consultation", id)
		}
		out = d.detail()
		return nil
	})
	return out, err
}

// WriteCSV writes the consultation's current responses as CSV: one row per
// organisation, one column per question, then the other comments, the
// document link, the day received, whether late, and whether published.
// Cells a spreadsheet would run as a formula get a leading apostrophe.
func (d ConsultationDetail) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	head := []string{"organisasjon"}
	for i, q := range d.Questions {
		head = append(head, fmt.Sprintf("spørsmål %d: %s", i+1, q))
	}
	head = append(head, "andre merknader", "dokument", "mottatt", "for sent", "publisert")
	if err := cw.Write(safeRow(head)); err != nil {
		return err
	}
	for _, r := range d.Responses {
		if !r.Current() {
			continue
		}
		row := []string{r.Organisation}
		for i := range d.Questions {
			row = append(row, r.Answer(i+1))
		}
		row = append(row, r.Comments, r.DocumentURL, string(r.ReceivedDate), yesNo(r.Late), yesNo(r.Published))
		if err := cw.Write(safeRow(row)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func yesNo(b bool) string {
	if b {
		return "ja"
	}
	return "nei"
}

func safeRow(row []string) []string {
	for i, s := range row {
		if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
			row[i] = "'" + s
		}
	}
	return row
}
