package httpapi

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/ehelse/portfolio/audit"
	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/eventlog"
	"github.com/ehelse/portfolio/services"
)

// EventView is one event of the log as the history and audit endpoints
// show it. Raw (base64 of the stored CloudEvent, byte for byte) is given
// by the audit endpoint only.
type EventView struct {
	Position      uint64          `json:"position"`
	ID            string          `json:"id"`
	Type          string          `json:"type"`
	SchemaVersion int             `json:"schemaVersion"`
	Subject       string          `json:"subject"`
	AggregateType string          `json:"aggregateType"`
	AggregateID   string          `json:"aggregateId"`
	Version       uint64          `json:"version"`
	Time          time.Time       `json:"time"`
	Actor         string          `json:"actor"`
	CausationID   string          `json:"causationId,omitempty"`
	CorrelationID string          `json:"correlationId,omitempty"`
	Data          json.RawMessage `json:"data"`
	Raw           []byte          `json:"raw,omitempty"`
	// Hash (lowercase hex SHA-256 of raw), Signature (the message's
	// Portfolio-Signature header) and Invalid (why a stored message is not
	// a valid event) are given by the audit endpoint only.
	Hash      string `json:"hash,omitempty"`
	Signature string `json:"signature,omitempty"`
	Invalid   string `json:"invalid,omitempty"`
}

// EventList is the answer of the history endpoints.
type EventList struct {
	Events []EventView `json:"events"`
}

func eventViews(recs []eventlog.Record, raw bool) []EventView {
	out := make([]EventView, 0, len(recs))
	for _, r := range recs {
		v := EventView{
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
	writeJSON(w, http.StatusOK, EventList{Events: eventViews(recs, false)})
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
	writeJSON(w, http.StatusOK, EventList{Events: eventViews(recs, false)})
}
