package projections

import (
	"encoding/json"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/services/wire"
)

// The consultations read model: one document per consultation
// (BucketConsultations) with its questions, invited bodies and every
// response, replaced ones included. A query returns it whole;
// services.PublicConsultation cuts it down to what anonymous readers see.

// BucketConsultations: id → consultationDoc.
const BucketConsultations = "consultations"

// The consultations' views are the wire contract's (package
// services/wire).
type (
	ConsultationSummary      = wire.ConsultationSummary
	InvitedBody              = wire.InvitedBody
	ConsultationResponseView = wire.ConsultationResponse
	ConsultationDetail       = wire.ConsultationDetail
)

// consultationDoc is what BucketConsultations stores.
type consultationDoc struct {
	ConsultationDetail
	Contacts map[string]string `json:"contacts,omitempty"` // responseId → sealed address
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
	d.Recount()
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
	d.Recount()
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
