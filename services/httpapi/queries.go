package httpapi

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ehelse/portfolio/audit"
	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/eventlog"
	"github.com/ehelse/portfolio/projections"
	"github.com/ehelse/portfolio/services"
)

// principal authenticates the request: no Authorization header is the
// anonymous principal; "Bearer <token>" with a known token is its
// principal; anything else is KindUnauthorized.
func (s *Server) principal(r *http.Request) (services.Principal, error) {
	h := r.Header.Values("Authorization")
	if len(h) == 0 {
		return services.Anonymous, nil
	}
	if len(h) > 1 {
		return services.Principal{}, domain.Errorf(domain.KindUnauthorized, "give one Authorization header")
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(h[0]), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return services.Principal{}, domain.Errorf(domain.KindUnauthorized, "the Authorization header must be: Bearer <token>")
	}
	if s.cfg.Auth == nil {
		return services.Principal{}, domain.Errorf(domain.KindUnauthorized, "unknown token")
	}
	p, err := s.cfg.Auth.Authenticate(token)
	if err != nil {
		if domain.ErrorKind(err) != domain.KindUnauthorized {
			return services.Principal{}, err
		}
		return services.Principal{}, domain.Errorf(domain.KindUnauthorized, "unknown token")
	}
	requestInfoFrom(r.Context()).principal = p.Name
	return p, nil
}

// startQuery is the common start of every query, in this order:
// authenticate (401), authorize what (401/403; the initiative history
// checks the owner itself later), check the parameters (check, 400/422),
// wait for minPosition (503 projection_lagging) and set X-Position.
func (s *Server) startQuery(w http.ResponseWriter, r *http.Request, what services.Readable, check func() error) (services.Principal, bool) {
	p, err := s.principal(r)
	if err != nil {
		s.writeError(w, r, err)
		return p, false
	}
	switch what {
	case services.ReadPublic:
	case services.ReadInitiativeHistory:
		// The owner is checked against the initiative later; the roles
		// that can never read it are refused before anything is read.
		if p.Role != services.RoleOwner {
			if err := services.AuthorizeRead(p, services.ReadHistory, ""); err != nil {
				s.writeError(w, r, err)
				return p, false
			}
		}
	default:
		if err := services.AuthorizeRead(p, what, ""); err != nil {
			s.writeError(w, r, err)
			return p, false
		}
	}
	minPos, err := uintParam(r.URL.Query(), "minPosition")
	if err == nil && check != nil {
		err = check()
	}
	if err != nil {
		s.writeError(w, r, err)
		return p, false
	}
	if s.cfg.Queries != nil {
		if minPos != nil && *minPos > 0 {
			ctx, cancel := context.WithTimeout(r.Context(), s.cfg.LagTimeout)
			err := s.cfg.Queries.WaitFor(ctx, *minPos)
			cancel()
			if err != nil {
				if k := domain.ErrorKind(err); k != domain.KindLagging && k != domain.KindUnavailable {
					err = &domain.Error{Kind: domain.KindLagging,
						Message: "the read models have not reached position " + itoa(*minPos) + " in time", Err: err}
				}
				s.writeError(w, r, err)
				return p, false
			}
		}
		w.Header().Set("X-Position", itoa(s.cfg.Queries.Position()))
	} else if minPos != nil && *minPos > 0 {
		s.writeError(w, r, errNotConfigured("the read models"))
		return p, false
	}
	return p, true
}

func (s *Server) needQueries(w http.ResponseWriter, r *http.Request) bool {
	if s.cfg.Queries == nil {
		s.writeError(w, r, errNotConfigured("the read models"))
		return false
	}
	return true
}

func (s *Server) needHistory(w http.ResponseWriter, r *http.Request) bool {
	if s.cfg.History == nil {
		s.writeError(w, r, errNotConfigured("the event history"))
		return false
	}
	return true
}

// ---- strategy, initiatives, roadmap ----

func (s *Server) handleStrategy(w http.ResponseWriter, r *http.Request) {
	if !s.needQueries(w, r) {
		return
	}
	if _, ok := s.startQuery(w, r, services.ReadPublic, nil); !ok {
		return
	}
	v, err := s.cfg.Queries.Strategy()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if v.Strategies == nil {
		v.Strategies = []projections.StrategyPeriod{}
	}
	writeJSON(w, http.StatusOK, v)
}

// InitiativeList is the answer of GET /v1/initiatives.
type InitiativeList struct {
	Initiatives []projections.InitiativeSummary `json:"initiatives"`
}

func (s *Server) handleInitiatives(w http.ResponseWriter, r *http.Request) {
	if !s.needQueries(w, r) {
		return
	}
	q := r.URL.Query()
	f := projections.InitiativeFilter{
		Goal: q.Get("goal"), SubGoal: q.Get("subGoal"), Owner: q.Get("owner"),
		Phase: q.Get("phase"), State: q.Get("state"), UserGroup: q.Get("userGroup"), Q: q.Get("q"),
	}
	check := func() error {
		var v domain.Validation
		checkPhase(&v, "phase", f.Phase)
		checkLifecycle(&v, "state", f.State)
		return v.Err()
	}
	if _, ok := s.startQuery(w, r, services.ReadPublic, check); !ok {
		return
	}
	list, err := s.cfg.Queries.Initiatives(f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if list == nil {
		list = []projections.InitiativeSummary{}
	}
	writeJSON(w, http.StatusOK, InitiativeList{Initiatives: list})
}

// InitiativeAt is the answer of GET /v1/initiatives/{id}?asOf=…|atVersion=…:
// the initiative's state then, folded from the event log.
type InitiativeAt struct {
	InitiativeID string                  `json:"initiativeId"`
	Version      uint64                  `json:"version"`
	AsOf         *time.Time              `json:"asOf,omitempty"`
	AtVersion    *uint64                 `json:"atVersion,omitempty"`
	State        *domain.InitiativeState `json:"state"`
}

func (s *Server) handleInitiative(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	q := r.URL.Query()
	var asOf *time.Time
	var atVersion *uint64
	check := func() error {
		if v := q.Get("asOf"); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return errMalformedField("asOf", "must be an RFC 3339 time, like 2026-03-01T12:00:00Z")
			}
			asOf = &t
		}
		var err error
		if atVersion, err = uintParam(q, "atVersion"); err != nil {
			return err
		}
		if atVersion != nil && *atVersion == 0 {
			return errInvalidField("atVersion", "must be at least 1")
		}
		if asOf != nil && atVersion != nil {
			return errInvalidField("asOf", "give asOf or atVersion, not both")
		}
		if (asOf != nil || atVersion != nil) && s.cfg.History == nil {
			return errNotConfigured("the event history")
		}
		if asOf == nil && atVersion == nil && s.cfg.Queries == nil {
			return errNotConfigured("the read models")
		}
		return nil
	}
	if _, ok := s.startQuery(w, r, services.ReadPublic, check); !ok {
		return
	}

	if asOf != nil || atVersion != nil {
		st, version, err := s.cfg.History.InitiativeAt(r.Context(), id, asOf, atVersion)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		w.Header().Set("ETag", etag(version))
		writeJSON(w, http.StatusOK, InitiativeAt{InitiativeID: id, Version: version, AsOf: asOf, AtVersion: atVersion, State: st})
		return
	}
	d, err := s.cfg.Queries.Initiative(id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	tag := etag(d.Version)
	w.Header().Set("ETag", tag)
	if noneMatch(r.Header.Get("If-None-Match"), tag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// noneMatch reports whether an If-None-Match header names tag (weak
// comparison) or is *.
func noneMatch(header, tag string) bool {
	if header == "" {
		return false
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == tag {
			return true
		}
	}
	return false
}

func (s *Server) handleRoadmap(w http.ResponseWriter, r *http.Request) {
	if !s.needQueries(w, r) {
		return
	}
	q := r.URL.Query()
	f := projections.RoadmapFilter{
		Goal: q.Get("goal"), SubGoal: q.Get("subGoal"), Owner: q.Get("owner"),
		UserGroup: q.Get("userGroup"), Phase: q.Get("phase"), Q: q.Get("q"),
	}
	check := func() error {
		var v domain.Validation
		checkPhase(&v, "phase", f.Phase)
		return v.Err()
	}
	if _, ok := s.startQuery(w, r, services.ReadPublic, check); !ok {
		return
	}
	rm, err := s.cfg.Queries.Roadmap(f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if rm.Goals == nil {
		rm.Goals = []projections.RoadmapGoal{}
	}
	writeJSON(w, http.StatusOK, rm)
}

// ---- council ----

// MeetingList is the answer of GET /v1/council/meetings.
type MeetingList struct {
	Meetings []projections.MeetingSummary `json:"meetings"`
}

func (s *Server) handleMeetings(w http.ResponseWriter, r *http.Request) {
	if !s.needQueries(w, r) {
		return
	}
	q := r.URL.Query()
	forum := q.Get("forum")
	year := 0
	check := func() error {
		if y := q.Get("year"); y != "" {
			n, err := strconv.Atoi(y)
			if err != nil {
				return errMalformedField("year", "must be an integer, like 2026")
			}
			if n < 1900 || n > 9999 {
				return errInvalidField("year", "must be a four-digit year")
			}
			year = n
		}
		var v domain.Validation
		checkForum(&v, "forum", forum)
		return v.Err()
	}
	if _, ok := s.startQuery(w, r, services.ReadPublic, check); !ok {
		return
	}
	list, err := s.cfg.Queries.Meetings(forum, year)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if list == nil {
		list = []projections.MeetingSummary{}
	}
	writeJSON(w, http.StatusOK, MeetingList{Meetings: list})
}

func (s *Server) handleMeeting(w http.ResponseWriter, r *http.Request) {
	if !s.needQueries(w, r) {
		return
	}
	if _, ok := s.startQuery(w, r, services.ReadPublic, nil); !ok {
		return
	}
	m, err := s.cfg.Queries.Meeting(r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if m.Agenda == nil {
		m.Agenda = []projections.AgendaItem{}
	}
	writeJSON(w, http.StatusOK, m)
}

func (s *Server) handleCase(w http.ResponseWriter, r *http.Request) {
	if !s.needQueries(w, r) {
		return
	}
	if _, ok := s.startQuery(w, r, services.ReadPublic, nil); !ok {
		return
	}
	c, err := s.cfg.Queries.Case(r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if c.Path == nil {
		c.Path = []projections.CaseStep{}
	}
	if c.Corrections == nil {
		c.Corrections = []projections.CorrectionView{}
	}
	w.Header().Set("ETag", etag(c.Version))
	writeJSON(w, http.StatusOK, c)
}

// DecisionList is the answer of GET /v1/council/decisions.
type DecisionList struct {
	Decisions []projections.DecisionEntry `json:"decisions"`
}

func (s *Server) handleDecisions(w http.ResponseWriter, r *http.Request) {
	if !s.needQueries(w, r) {
		return
	}
	q := r.URL.Query()
	f := projections.DecisionFilter{
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
	if list == nil {
		list = []projections.DecisionEntry{}
	}
	if format == "csv" {
		writeDecisionsCSV(w, list)
		return
	}
	writeJSON(w, http.StatusOK, DecisionList{Decisions: list})
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
func writeDecisionsCSV(w http.ResponseWriter, list []projections.DecisionEntry) {
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

// ---- history and audit ----

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

// AuditEventList is the answer of GET /v1/audit/events. Next is the
// position to pass as after to continue (the last event's, or after when
// there were none).
type AuditEventList struct {
	Events []EventView `json:"events"`
	Next   uint64      `json:"next"`
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
	id := r.PathValue("id")
	recs, err := s.cfg.History.Events(r.Context(), string(domain.Initiative), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(recs) == 0 {
		s.writeError(w, r, domain.Errorf(domain.KindNotFound, "no initiative %s", id))
		return
	}
	if err := services.AuthorizeRead(p, services.ReadInitiativeHistory, initiativeOwner(recs)); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, EventList{Events: eventViews(recs, false)})
}

// initiativeOwner is the owner named by the initiative's InitiativeProposed.
func initiativeOwner(recs []eventlog.Record) string {
	for _, r := range recs {
		if r.Type != "InitiativeProposed" {
			continue
		}
		var d struct {
			Owner string `json:"owner"`
		}
		if json.Unmarshal(r.Data, &d) == nil {
			return d.Owner
		}
	}
	return ""
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

// Audit page sizes.
const (
	defaultAuditLimit = 100
	maxAuditLimit     = 1000
)

func (s *Server) handleAuditEvents(w http.ResponseWriter, r *http.Request) {
	if !s.needHistory(w, r) {
		return
	}
	q := r.URL.Query()
	var from uint64
	limit := defaultAuditLimit
	check := func() error {
		after, err := uintParam(q, "after")
		if err != nil {
			return err
		}
		if after != nil {
			from = *after
		}
		l, err := uintParam(q, "limit")
		if err != nil {
			return err
		}
		if l != nil {
			if *l < 1 || *l > maxAuditLimit {
				return errInvalidField("limit", "must be 1 to "+strconv.Itoa(maxAuditLimit))
			}
			limit = int(*l)
		}
		return nil
	}
	if _, ok := s.startQuery(w, r, services.ReadAudit, check); !ok {
		return
	}
	recs, err := s.cfg.History.AuditEvents(r.Context(), from, limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(recs) > limit {
		recs = recs[:limit]
	}
	next := from
	if n := len(recs); n > 0 {
		next = recs[n-1].Position
	}
	writeJSON(w, http.StatusOK, AuditEventList{Events: eventViews(recs, true), Next: next})
}

// maxCheckpoints bounds the checkpoints one verify answer may carry.
const maxCheckpoints = 100_000

// verifyWriteTimeout bounds a verification's answer (the client's timeout,
// portfolioctl's 15 minutes, is what normally ends it).
const verifyWriteTimeout = 30 * time.Minute

func (s *Server) handleAuditVerify(w http.ResponseWriter, r *http.Request) {
	var req VerifyRequest
	check := func() error {
		var err error
		req, err = verifyRequest(r.URL.Query())
		return err
	}
	if _, ok := s.startQuery(w, r, services.ReadAudit, check); !ok {
		return
	}
	if s.cfg.Verify == nil {
		s.writeError(w, r, errNotConfigured("verification"))
		return
	}
	// Verification reads the whole log: allow more than the server's
	// write timeout (meant for commands and small queries).
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(verifyWriteTimeout))
	res, err := s.cfg.Verify(r.Context(), req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(res.Checkpoints) > maxCheckpoints {
		s.writeError(w, r, errInvalidField("checkpointEvery", fmt.Sprintf("gives %d checkpoints, more than %d: choose a larger interval", len(res.Checkpoints), maxCheckpoints)))
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// verifyRequest parses sinceEvents, sinceHead, sincePosition, checkpoints
// and checkpointEvery.
func verifyRequest(q url.Values) (VerifyRequest, error) {
	var req VerifyRequest
	n, err := uintParam(q, "sinceEvents")
	if err != nil {
		return req, err
	}
	pos, err := uintParam(q, "sincePosition")
	if err != nil {
		return req, err
	}
	head := q.Get("sinceHead")
	switch {
	case n == nil && head == "" && pos == nil:
	case n == nil || head == "":
		return req, errInvalidField("sinceHead", "sinceEvents and sinceHead go together")
	default:
		d := audit.Digest{Events: *n, Head: head}
		if pos != nil {
			d.Position = *pos
		}
		if err := d.Validate(); err != nil {
			return req, errInvalidField("sinceHead", strings.TrimPrefix(err.Error(), "audit: "))
		}
		req.Since = &d
	}
	if v := q.Get("checkpoints"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return req, errMalformedField("checkpoints", "must be true or false")
		}
		req.Checkpoints = b
	}
	k, err := uintParam(q, "checkpointEvery")
	if err != nil {
		return req, err
	}
	if k != nil {
		if *k < 1 {
			return req, errInvalidField("checkpointEvery", "must be at least 1")
		}
		req.CheckpointEvery = *k
	}
	return req, nil
}

// handleAuditKey serves the public signing key to anyone (a contract
// addition): auditors fetch it to verify exports offline.
func (s *Server) handleAuditKey(w http.ResponseWriter, r *http.Request) {
	if _, err := s.principal(r); err != nil { // an unknown token is 401, as everywhere
		s.writeError(w, r, err)
		return
	}
	if s.cfg.AuditKey == nil {
		s.writeError(w, r, errNotConfigured("the signing key"))
		return
	}
	writeJSON(w, http.StatusOK, s.cfg.AuditKey)
}

// ---- parameters ----

// uintParam parses a non-negative integer query parameter; absent is nil.
func uintParam(q url.Values, name string) (*uint64, error) {
	v, ok := q[name]
	if !ok {
		return nil, nil
	}
	if len(v) != 1 {
		return nil, errMalformedField(name, "must be given once")
	}
	n, err := strconv.ParseUint(v[0], 10, 64)
	if err != nil {
		return nil, errMalformedField(name, "must be a non-negative integer")
	}
	return &n, nil
}

func checkPhase(v *domain.Validation, field, s string) {
	if s != "" && !domain.Phase(s).Valid() {
		v.Add(field, "must be one of concept, planning, execution, rollout, closed")
	}
}

var lifecycles = []domain.Lifecycle{
	domain.LifecycleProposed, domain.LifecycleInPortfolio, domain.LifecyclePaused,
	domain.LifecycleRejected, domain.LifecycleWithdrawn, domain.LifecycleClosed, domain.LifecycleCancelled,
}

func checkLifecycle(v *domain.Validation, field, s string) {
	if s == "" {
		return
	}
	for _, l := range lifecycles {
		if string(l) == s {
			return
		}
	}
	v.Add(field, "must be one of proposed, in_portfolio, paused, rejected, withdrawn, closed, cancelled")
}

func checkForum(v *domain.Validation, field, s string) {
	if s != "" && !domain.Forum(s).Valid() {
		v.Add(field, "must be one of NUFA, NUIT, EHR")
	}
}

// writeJSON writes v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(withEmptySlices(v))
	if err != nil {
		writeProblem(w, problemFor(&domain.Error{Kind: domain.KindInternal, Err: err}, ""))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
