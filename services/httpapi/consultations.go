package httpapi

import (
	"bytes"
	"net/http"
	"time"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/services"
	"github.com/ehelse/portfolio/services/wire"
)

// ConsultationReader is the consultations read model. The Queries
// dependency provides it when it can (*projections.ReadModels does, see
// the daemon's wiring); without it the consultation queries answer 503.
type ConsultationReader interface {
	Consultations() ([]wire.ConsultationDetail, error)
	Consultation(id string) (wire.ConsultationDetail, error)
}

// ContactOpener opens the sealed contact addresses of consultation
// responses for the secretariat. *services.ContactSealer implements it.
type ContactOpener = services.ContactOpener

func (s *Server) consultations(w http.ResponseWriter, r *http.Request) (ConsultationReader, bool) {
	c, ok := s.cfg.Queries.(ConsultationReader)
	if !ok || s.cfg.Queries == nil {
		s.writeError(w, r, errNotConfigured("the consultations read model"))
		return nil, false
	}
	return c, true
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
	out := wire.ConsultationList{Consultations: make([]wire.ConsultationSummary, 0, len(list))}
	today := s.today()
	for _, d := range list {
		out.Consultations = append(out.Consultations, services.ConsultationFor(p, d, today, nil).ConsultationSummary)
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
	d = services.ConsultationFor(p, d, s.today(), s.cfg.Contacts)
	w.Header().Set("ETag", etag(d.Version))
	if format == "csv" {
		var b bytes.Buffer
		if err := services.WriteConsultationCSV(&b, d); err != nil {
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
