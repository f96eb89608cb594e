package httpapi

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/services"
	"github.com/ehelse/portfolio/services/wire"
)

func (s *Server) handleDecisions(w http.ResponseWriter, r *http.Request) {
	if !s.needQueries(w, r) {
		return
	}
	q := r.URL.Query()
	f := wire.DecisionFilter{
		Forum: q.Get("forum"), InitiativeID: q.Get("initiativeId"),
		From: domain.Date(q.Get("from")), To: domain.Date(q.Get("to")),
	}
	format := q.Get("format")
	check := func() error {
		for _, d := range []struct {
			name string
			v    domain.Date
		}{{"from", f.From}, {"to", f.To}} {
			if d.v != "" && !d.v.Valid() {
				return errMalformedField(d.name, "must be a date, YYYY-MM-DD")
			}
		}
		var v domain.Validation
		checkForum(&v, "forum", f.Forum)
		if f.From != "" && f.To != "" && f.To < f.From {
			v.Add("to", "must not be before from")
		}
		if format != "" && format != "json" && format != "csv" {
			v.Add("format", "must be json or csv")
		}
		return v.Err()
	}
	if _, ok := s.startQuery(w, r, services.ReadPublic, check); !ok {
		return
	}
	list, err := s.cfg.Queries.Decisions(f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if format == "csv" {
		writeDecisionsCSV(w, list)
		return
	}
	writeJSON(w, http.StatusOK, wire.DecisionList{Decisions: list})
}

// decisionCSVHeader are the columns of the CSV decision register.
var decisionCSVHeader = []string{
	"meetingDate", "forum", "meetingLabel", "caseNumber", "caseId", "caseTitle",
	"caseType", "purpose", "initiativeId", "outcome", "resolution", "conditions",
	"remarks", "reason", "correctedResolution", "corrections", "eventId", "position", "recordedAt",
}

// writeDecisionsCSV writes the decision register as RFC 4180 CSV, one row
// per decision; correctedResolution is the resolution in force after the
// last correction. Cells that a spreadsheet would run as a formula get a
// leading apostrophe.
func writeDecisionsCSV(w http.ResponseWriter, list []wire.DecisionEntry) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8; header=present")
	w.Header().Set("Content-Disposition", `attachment; filename="decisions.csv"`)
	w.WriteHeader(http.StatusOK)
	cw := csv.NewWriter(w)
	_ = cw.Write(decisionCSVHeader)
	for _, d := range list {
		corrected := ""
		if n := len(d.Corrections); n > 0 {
			corrected = d.Corrections[n-1].Resolution
		}
		row := []string{
			string(d.MeetingDate), string(d.Forum), d.MeetingLabel, d.CaseNumber, d.CaseID, d.CaseTitle,
			string(d.CaseType), string(d.Purpose), d.InitiativeID, string(d.Outcome), d.Resolution, d.Conditions,
			d.Remarks, d.Reason, corrected, strconv.Itoa(len(d.Corrections)), d.EventID,
			itoa(d.Position), d.RecordedAt.UTC().Format(time.RFC3339),
		}
		for i := range row {
			row[i] = csvSafe(row[i])
		}
		_ = cw.Write(row)
	}
	cw.Flush()
}

func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
