package httpapi

import (
	"bytes"
	"net/http"
	"time"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/projections"
	"github.com/ehelse/portfolio/services"
)

// ConsultationReader is the consultations read model. The Queries
// dependency provides it when it can (*projections.ReadModels does);
// without it the consultation queries answer 503.
type ConsultationReader interface {
	Consultations() ([]projections.ConsultationDetail, error)
	Consultation(id string) (projections.ConsultationDetail, error)
}

var _ ConsultationReader = (*projections.ReadModels)(nil)

// ContactOpener opens the sealed contact addresses of consultation
// responses for the secretariat. *services.ContactSealer implements it.
type ContactOpener interface {
	Open(sealed string) (string, error)
}

var _ ContactOpener = (*services.ContactSealer)(nil)

// ConsultationList is the answer of GET /v1/consultations.
type ConsultationList struct {
	Consultations []projections.ConsultationSummary `json:"consultations"`
}

func (s *Server) consultations(w http.ResponseWriter, r *http.Request) (ConsultationReader, bool) {
	c, ok := s.cfg.Queries.(ConsultationReader)
	if !ok || s.cfg.Queries == nil {
		s.writeError(w, r, errNotConfigured("the consultations read model"))
		return nil, false
	}
	return c, true
}

// seesAllResponses: the secretariat and auditors read every response;
// everyone else the published ones.
func seesAllResponses(p services.Principal) bool {
	return p.Role == services.RoleSecretariat || p.Role == services.RoleAuditor
}

// today is the day in Norway for the consultations' status (UTC+2 at most,
// as the domain takes it).
func (s *Server) today() domain.Date {
	now := time.Now
	if s.cfg.Now != nil {
		now = s.cfg.Now
	}
	return domain.DateOf(now().Add(2 * time.Hour))
}

// consultationFor is d as p may read it, with its status as of today.
func (s *Server) consultationFor(p services.Principal, d projections.ConsultationDetail) projections.ConsultationDetail {
	if !seesAllResponses(p) {
		d = d.Public()
	} else if p.Role == services.RoleSecretariat && s.cfg.Contacts != nil {
		for i, resp := range d.Responses {
			if resp.ContactSealed == "" {
				continue
			}
			if addr, err := s.cfg.Contacts.Open(resp.ContactSealed); err == nil {
				d.Responses[i].ContactEmail = addr
			}
		}
	}
	d.Status = projections.ConsultationStatusOn(d.Closed, d.Deadline, s.today())
	return d
}

func (s *Server) handleConsultations(w http.ResponseWriter, r *http.Request) {
	cr, ok := s.consultations(w, r)
	if !ok {
		return
	}
	p, ok := s.startQuery(w, r, services.ReadPublic, nil)
	if !ok {
		return
	}
	list, err := cr.Consultations()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := ConsultationList{Consultations: make([]projections.ConsultationSummary, 0, len(list))}
	for _, d := range list {
		out.Consultations = append(out.Consultations, s.consultationFor(p, d).ConsultationSummary)
	}
	writeJSON(w, http.StatusOK, out)
}

// handleConsultation answers GET /v1/consultations/{id}; ?format=csv gives
// the responses one row per organisation, one column per question.
func (s *Server) handleConsultation(w http.ResponseWriter, r *http.Request) {
	cr, ok := s.consultations(w, r)
	if !ok {
		return
	}
	format := r.URL.Query().Get("format")
	check := func() error {
		var v domain.Validation
		if format != "" && format != "json" && format != "csv" {
			v.Add("format", "must be json or csv")
		}
		return v.Err()
	}
	p, ok := s.startQuery(w, r, services.ReadPublic, check)
	if !ok {
		return
	}
	d, err := cr.Consultation(r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	d = s.consultationFor(p, d)
	w.Header().Set("ETag", etag(d.Version))
	if format == "csv" {
		var b bytes.Buffer
		if err := d.WriteCSV(&b); err != nil {
			s.writeError(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8; header=present")
		w.Header().Set("Content-Disposition", `attachment; filename="horingssvar.csv"`)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(b.Bytes())
		return
	}
	writeJSON(w, http.StatusOK, d)
}
