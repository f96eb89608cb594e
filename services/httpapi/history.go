package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/ehelse/portfolio/audit"
	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/eventlog"
	"github.com/ehelse/portfolio/services"
	"github.com/ehelse/portfolio/services/wire"
)

func eventViews(recs []eventlog.Record, raw bool) []wire.EventView {
	out := make([]wire.EventView, 0, len(recs))
	for _, r := range recs {
		v := wire.EventView{
			Position: r.Position, ID: r.ID, Type: r.Type, SchemaVersion: r.SchemaVersion,
			Subject: r.Subject, AggregateType: r.AggregateType, AggregateID: r.AggregateID,
			Version: r.Version, Time: r.Time, Actor: r.Actor,
			CausationID: r.CausationID, CorrelationID: r.CorrelationID,
			Data: r.Data,
		}
		if len(v.Data) == 0 || !json.Valid(v.Data) {
			v.Data = json.RawMessage("null")
		}
		if raw {
			v.Raw, v.Hash, v.Signature, v.Invalid = r.Raw, r.Hash, r.Signature, r.Invalid
			if v.Hash == "" && r.Raw != nil {
				v.Hash = audit.HashEvent(r.Raw).String()
			}
		}
		out = append(out, v)
	}
	return out
}

func (s *Server) handleInitiativeEvents(w http.ResponseWriter, r *http.Request) {
	if !s.needHistory(w, r) {
		return
	}
	p, ok := s.startQuery(w, r, services.ReadInitiativeHistory, nil)
	if !ok {
		return
	}
	recs, err := s.cfg.History.InitiativeEvents(r.Context(), p, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.EventList{Events: eventViews(recs, false)})
}

func (s *Server) handleCaseEvents(w http.ResponseWriter, r *http.Request) {
	if !s.needHistory(w, r) {
		return
	}
	if _, ok := s.startQuery(w, r, services.ReadHistory, nil); !ok {
		return
	}
	recs, err := s.cfg.History.Events(r.Context(), string(domain.Case), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(recs) == 0 {
		s.writeError(w, r, domain.Errorf(domain.KindNotFound, "no case %s", r.PathValue("id")))
		return
	}
	writeJSON(w, http.StatusOK, wire.EventList{Events: eventViews(recs, false)})
}
