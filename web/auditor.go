package web

import (
	"net/http"
	"strconv"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/projections"
)

// The auditor's pages: read-only. The verification of the whole log (ok,
// or the first bad position; the head digest), and the history of any
// initiative or case, event by event, from the log itself.

type auditView struct {
	Verified                bool
	OK                      bool
	Events, Head, FirstBad  string
	Reason, At, VerifyError string
	Initiatives             []initiativeRow
	Decisions               []linkView
}

func (s *Server) handleAudit(w http.ResponseWriter, r *http.Request) {
	v := auditView{}
	if s.cfg.Secretariat.Verify != nil {
		res, err := s.cfg.Secretariat.Verify(r.Context())
		if err != nil {
			s.log.Warn("web: verification failed", "err", err)
			v.VerifyError = "Verifiseringen kunne ikke kjøres akkurat nå. Prøv igjen om litt."
		} else {
			v.Verified, v.OK, v.Events, v.Head, v.Reason, v.At = true, res.OK, strconv.FormatUint(res.Events, 10), res.Head, res.Reason, timeNO(res.At)
			if res.FirstBad != nil {
				v.FirstBad = strconv.FormatUint(*res.FirstBad, 10)
			}
		}
	}
	all, err := s.cfg.Queries.Initiatives(projections.InitiativeFilter{})
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	sortNO(all, func(i projections.InitiativeSummary) string { return i.Title })
	for _, in := range all {
		v.Initiatives = append(v.Initiatives, initiativeRow{Href: "/sekretariat/revisjon/tiltak/" + in.InitiativeID, Title: in.Title,
			Owner: in.Owner, Phase: phaseNO(in.Phase), State: stateNO(in.State)})
	}
	ds, err := s.cfg.Queries.Decisions(projections.DecisionFilter{})
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	seen := map[string]bool{}
	for i := len(ds) - 1; i >= 0 && len(v.Decisions) < 50; i-- {
		d := ds[i]
		if seen[d.CaseID] {
			continue
		}
		seen[d.CaseID] = true
		v.Decisions = append(v.Decisions, linkView{Href: "/sekretariat/revisjon/saker/" + d.CaseID,
			Text: string(d.Forum) + " " + d.CaseNumber + " " + d.CaseTitle})
	}
	s.renderSek(w, r, http.StatusOK, "audit", sekLayout{Title: "Revisjon", Section: "revisjon", Page: v})
}

type auditEventRow struct {
	Position, Version, Time, Actor, Type, ID, Data string
	Signed                                         bool
}

func (s *Server) handleAuditHistory(w http.ResponseWriter, r *http.Request) {
	kind := map[string]domain.AggregateType{"tiltak": domain.Initiative, "saker": domain.Case}[r.PathValue("kind")]
	if kind == "" || s.cfg.Secretariat.History == nil {
		s.renderSekError(w, r, http.StatusNotFound, "Fant ikke siden", "Historikk finnes for tiltak og saker.")
		return
	}
	id := r.PathValue("id")
	recs, err := s.cfg.Secretariat.History.Events(r.Context(), string(kind), id)
	if err != nil {
		s.renderFormError(w, r, err)
		return
	}
	title := id
	if kind == domain.Initiative {
		if in, err := s.cfg.Queries.Initiative(id); err == nil {
			title = in.Title
		}
	} else if c, err := s.cfg.Queries.Case(id); err == nil {
		title = c.Title
	}
	rows := make([]auditEventRow, 0, len(recs))
	for _, rec := range recs {
		rows = append(rows, auditEventRow{Position: strconv.FormatUint(rec.Position, 10), Version: strconv.FormatUint(rec.Version, 10),
			Time: timeNO(rec.Time), Actor: rec.Actor, Type: rec.Type, ID: rec.ID, Data: string(rec.Data), Signed: rec.Signature != ""})
	}
	noun := "tiltaket"
	if kind == domain.Case {
		noun = "saken"
	}
	s.renderSek(w, r, http.StatusOK, "history", sekLayout{Title: "Historikk: " + title, Section: "revisjon",
		Page: struct {
			Title, Noun string
			Rows        []auditEventRow
		}{title, noun, rows}})
}
