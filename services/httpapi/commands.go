package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/services"
)

// handleCommand is POST /v1/commands/{name}. The order of checks: token
// (401), command name (404), role (401/403), headers (400), body size
// (413), JSON (400), fields (422), Idempotency-Key (replay, 422 reused,
// 409 in use), then the command itself.
func (s *Server) handleCommand(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	name := r.PathValue("name")
	label := name
	outcome := "internal" // until the command is answered: a panic is an internal error
	defer func() {
		if _, ok := domain.NewCommand(name); !ok {
			label = "unknown"
		}
		s.metrics.observeCommand(label, outcome, time.Since(start))
	}()
	fail := func(err error) {
		outcome = errorTable[classify(err)].code
		s.writeError(w, r, err)
	}

	p, err := s.principal(r)
	if err != nil {
		fail(err)
		return
	}
	cmd, ok := domain.NewCommand(name)
	if !ok {
		fail(errUnknownCommand(name))
		return
	}
	if err := services.AuthorizeCommand(p, cmd); err != nil {
		fail(err)
		return
	}
	if s.cfg.Executor == nil {
		fail(errNotConfigured("the command service"))
		return
	}
	ifMatch, err := parseIfMatch(r.Header.Values("If-Match"))
	if err != nil {
		fail(err)
		return
	}
	idemKey, err := parseIdempotencyKey(r.Header.Values("Idempotency-Key"))
	if err != nil {
		fail(err)
		return
	}
	body, err := readBody(w, r, s.cfg.MaxBodyBytes)
	if err != nil {
		fail(err)
		return
	}
	if err := decodeStrict(body, cmd); err != nil {
		fail(err)
		return
	}
	if err := cmd.Validate(); err != nil {
		fail(err)
		return
	}

	ri := requestInfoFrom(r.Context())
	opts := services.ExecOptions{CorrelationID: ri.correlationID, IfMatch: ifMatch}
	var reservation *services.Reservation
	if idemKey != "" {
		if s.cfg.Idempotency == nil {
			fail(errNotConfigured("Idempotency-Key"))
			return
		}
		canonical, err := json.Marshal(cmd)
		if err != nil {
			fail(&domain.Error{Kind: domain.KindInternal, Err: err})
			return
		}
		begun, err := s.cfg.Idempotency.Begin(r.Context(), p.Name, idemKey, services.Fingerprint([]byte(name), canonical))
		if err != nil {
			fail(err)
			return
		}
		if begun.Replay != nil {
			outcome = "replayed"
			writeReplay(w, *begun.Replay)
			return
		}
		reservation = begun.Reservation
		opts.CommandID = reservation.CommandID
		opts.Retry = reservation.Retry
		if c, ok := cmd.(domain.Creator); ok && services.CreatorNeedsID(cmd) {
			c.AssignID(reservation.AssignedID)
		}
	}

	// The command runs to its end even if the client goes away: a command
	// that gets as far as the log is either written whole or not at all,
	// and its answer is remembered for the Idempotency-Key.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), s.cfg.CommandTimeout)
	defer cancel()
	res, err := s.cfg.Executor.Execute(ctx, p, cmd, opts)

	var resp services.StoredResponse
	if err != nil {
		outcome = errorTable[classify(err)].code
		resp = s.problemResponse(r, err)
	} else {
		outcome = "created"
		resp = commandResponse(cmd, res)
	}
	if reservation != nil {
		// A fresh deadline: the command may have used all of its own.
		ictx, icancel := context.WithTimeout(context.WithoutCancel(r.Context()), 10*time.Second)
		if resp.Status >= 500 {
			err = s.cfg.Idempotency.Release(ictx, reservation)
		} else {
			err = s.cfg.Idempotency.Complete(ictx, reservation, resp)
		}
		icancel()
		if err != nil {
			// The command's outcome stands; only its replay is lost.
			s.log.LogAttrs(r.Context(), levelFor(500), "idempotency: remembering the response failed",
				slogString("request_id", ri.requestID), slogString("error", err.Error()))
		}
	}
	writeStored(w, resp)
}

// problemResponse renders err as a stored response (logging 5xx).
func (s *Server) problemResponse(r *http.Request, err error) services.StoredResponse {
	p := problemFor(err, r.URL.Path)
	if p.Status >= 500 {
		s.log.LogAttrs(r.Context(), levelFor(p.Status), "command failed",
			slogString("request_id", requestInfoFrom(r.Context()).requestID),
			slogString("command", r.PathValue("name")),
			slogString("code", p.Code), slogString("error", err.Error()))
	}
	body, _ := json.Marshal(p)
	h := map[string]string{"Content-Type": ProblemContentType}
	switch p.Status {
	case http.StatusServiceUnavailable:
		h["Retry-After"] = "1"
	case http.StatusUnauthorized:
		h["WWW-Authenticate"] = `Bearer realm="portfolio"`
	}
	return services.StoredResponse{Status: p.Status, Header: h, Body: body}
}

// commandResponse is the 201 answer to an accepted command.
func commandResponse(cmd domain.Command, res services.CommandResult) services.StoredResponse {
	if res.Events == nil {
		res.Events = []services.EventRef{}
	}
	body, _ := json.Marshal(res)
	h := map[string]string{
		"Content-Type": "application/json",
		"ETag":         etag(res.Version),
	}
	if loc := createdLocation(cmd, res); loc != "" {
		h["Location"] = loc
	}
	return services.StoredResponse{Status: http.StatusCreated, Header: h, Body: body}
}

// createdLocation is the URL of the aggregate a creating command made.
func createdLocation(cmd domain.Command, res services.CommandResult) string {
	switch cmd.(type) {
	case *domain.ProposeInitiative:
		return "/v1/initiatives/" + res.AggregateID
	case *domain.ScheduleMeeting:
		return "/v1/council/meetings/" + res.AggregateID
	case *domain.RegisterCase:
		return "/v1/council/cases/" + res.AggregateID
	case *domain.OpenConsultation:
		return "/v1/consultations/" + res.AggregateID
	}
	return ""
}

func writeStored(w http.ResponseWriter, resp services.StoredResponse) {
	for k, v := range resp.Header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(resp.Body)))
	w.WriteHeader(resp.Status)
	_, _ = w.Write(resp.Body)
}

// writeReplay answers with a remembered response: 200 instead of 201, and
// Idempotent-Replayed: true.
func writeReplay(w http.ResponseWriter, resp services.StoredResponse) {
	if resp.Status == http.StatusCreated {
		resp.Status = http.StatusOK
	}
	w.Header().Set("Idempotent-Replayed", "true")
	writeStored(w, resp)
}

func etag(version uint64) string { return `"` + itoa(version) + `"` }

// parseIfMatch parses If-Match: "<version>" (a weak W/"<version>" is
// tolerated). Absent: nil. Anything else (several tags, *, unquoted) is a
// malformed request.
func parseIfMatch(values []string) (*uint64, error) {
	if len(values) == 0 {
		return nil, nil
	}
	bad := func(detail string) error { return errMalformedField("If-Match", detail) }
	if len(values) > 1 {
		return nil, bad(`must name one version, like "3"`)
	}
	v := strings.TrimSpace(values[0])
	if v == "" {
		return nil, bad(`is empty; give a quoted version, like "3"`)
	}
	v = strings.TrimPrefix(v, "W/")
	if len(v) < 3 || v[0] != '"' || v[len(v)-1] != '"' {
		return nil, bad(`must be a quoted version, like "3"`)
	}
	n, err := strconv.ParseUint(v[1:len(v)-1], 10, 64)
	if err != nil {
		return nil, bad(`must be a quoted version number, like "3"`)
	}
	return &n, nil
}

// parseIdempotencyKey checks the Idempotency-Key header: absent is "",
// else 1–255 visible ASCII characters.
func parseIdempotencyKey(values []string) (string, error) {
	if len(values) == 0 {
		return "", nil
	}
	if len(values) > 1 {
		return "", errMalformedField("Idempotency-Key", "must be given once")
	}
	k := values[0]
	if k == "" || len(k) > 255 {
		return "", errMalformedField("Idempotency-Key", "must be 1 to 255 characters")
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return "", errMalformedField("Idempotency-Key", "must be visible ASCII characters")
		}
	}
	return k, nil
}

// readBody reads at most limit bytes of the body, else payload_too_large.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, errTooLarge(limit)
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errTooLarge(limit)
		}
		return nil, errMalformed("reading the body: %v", err)
	}
	return data, nil
}

// decodeStrict decodes a command body: one JSON object in UTF-8, no unknown or
// repeated fields (names match exactly, case included), values of the
// right types. Errors are KindMalformed and name the fields.
func decodeStrict(body []byte, cmd domain.Command) error {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return errMalformed("the body is empty; send the command as a JSON object")
	}
	// JSON text is UTF-8 (RFC 8259 §8.1). encoding/json would silently
	// replace invalid bytes with U+FFFD, so the log would record text the
	// client never sent; refuse it instead.
	if !utf8.Valid(trimmed) {
		return errMalformed("the body is not valid UTF-8")
	}
	if !json.Valid(trimmed) {
		var v any
		err := json.Unmarshal(trimmed, &v)
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return errMalformed("the body is not valid JSON (at byte %d): %v", se.Offset, se)
		}
		return errMalformed("the body is not valid JSON: %v", err)
	}
	if trimmed[0] != '{' {
		return errMalformed("the body must be a JSON object")
	}
	known := fieldNames(reflect.TypeOf(cmd))
	keys, err := topLevelKeys(trimmed)
	if err != nil {
		return errMalformed("the body is not valid JSON: %v", err)
	}
	var seen map[string]bool // with many members: keep the check linear
	if len(keys) > 32 {
		seen = make(map[string]bool, len(keys))
	}
	var fields []domain.FieldError
	for i, key := range keys {
		repeated := seen[key]
		if seen != nil {
			seen[key] = true
		} else {
			repeated = slices.Contains(keys[:i], key)
		}
		switch {
		case repeated:
			fields = append(fields, domain.FieldError{Field: key, Detail: "is given twice"})
		case !known[key]:
			fields = append(fields, domain.FieldError{Field: key, Detail: "is not a field of " + cmd.CommandName()})
		}
	}
	if len(fields) > 0 {
		return &domain.Error{Kind: domain.KindMalformed, Message: "the body has unknown or repeated fields", Fields: fields}
	}
	d := json.NewDecoder(bytes.NewReader(trimmed))
	d.DisallowUnknownFields()
	if err := d.Decode(cmd); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			field := te.Field
			if field == "" {
				field = "(body)"
			}
			detail := fmt.Sprintf("must be %s, not %s", jsonTypeName(te.Type), te.Value)
			return &domain.Error{Kind: domain.KindMalformed, Message: field + " " + detail,
				Fields: []domain.FieldError{{Field: field, Detail: detail}}}
		}
		return errMalformed("the body does not fit %s: %v", cmd.CommandName(), err)
	}
	return nil
}

// topLevelKeys returns the names of the members of data, a valid JSON
// object, in order and unescaped. One pass over the bytes, without the
// json.Decoder token stream (which allocated a token, a copy of every
// value and a scanner error per member).
func topLevelKeys(data []byte) ([]string, error) {
	keys := make([]string, 0, 16)
	i := skipSpace(data, 1) // past '{'
	for i < len(data) && data[i] == '"' {
		end := endOfString(data, i)
		raw := data[i:end]
		var key string
		if bytes.IndexByte(raw, '\\') < 0 {
			key = string(raw[1 : len(raw)-1])
		} else if err := json.Unmarshal(raw, &key); err != nil {
			return nil, err
		}
		keys = append(keys, key)
		i = skipSpace(data, end)
		i = skipSpace(data, i+1) // past ':'
		i = skipSpace(data, endOfValue(data, i))
		if i < len(data) && data[i] == ',' {
			i = skipSpace(data, i+1)
		}
	}
	return keys, nil
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// endOfString returns the index just past the JSON string starting at
// data[i] == '"'.
func endOfString(data []byte, i int) int {
	for i++; i < len(data); i++ {
		switch data[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(data)
}

// endOfValue returns the index just past the JSON value starting at
// data[i] (data is valid JSON).
func endOfValue(data []byte, i int) int {
	if i >= len(data) {
		return i
	}
	switch data[i] {
	case '"':
		return endOfString(data, i)
	case '{', '[':
		depth := 0
		for ; i < len(data); i++ {
			switch data[i] {
			case '"':
				i = endOfString(data, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return i
	}
	for i < len(data) && data[i] != ',' && data[i] != '}' && data[i] != ']' && data[i] != ' ' && data[i] != '\t' && data[i] != '\n' && data[i] != '\r' {
		i++
	}
	return i
}

var fieldNameCache sync.Map // reflect.Type → map[string]bool

// fieldNames returns the JSON names of a command struct's fields.
func fieldNames(t reflect.Type) map[string]bool {
	if v, ok := fieldNameCache.Load(t); ok {
		return v.(map[string]bool)
	}
	key := t
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	names := map[string]bool{}
	var walk func(reflect.Type)
	walk = func(t reflect.Type) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
				walk(f.Type)
				continue
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			names[name] = true
		}
	}
	walk(t)
	fieldNameCache.Store(key, names)
	return names
}

// jsonTypeName names a Go type as a JSON type for error details.
func jsonTypeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return t.String()
}
