package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/eventlog"
	"github.com/ehelse/portfolio/services"
)

// A form page shows one form for one command and takes its post. Every
// form goes through the API's command service (services.Executor) with
// the signed-in principal, so the same rules, roles and organisations
// apply as to the API. A rendered form carries an Idempotency-Key (a
// double click or a re-sent post records once) and, when its command
// changes an existing aggregate, the version the form was loaded at
// (If-Match: a form loaded before someone else's change is refused and
// shown again with what was typed). A recorded form answers 303 to a page
// that waits for the read models to show it (post-redirect-get).

// Hidden fields of every form.
const (
	fieldKey     = "idempotensnokkel"
	fieldVersion = "versjon"
)

// field is one input of a form; Name is the command's JSON field.
type field struct {
	Name, Label, Hint string
	// Kind: text, textarea, date, select, radio, number or lines (one
	// value per line, a JSON array).
	Kind     string
	Options  []option
	Required bool
	// Default is the value of a fresh form.
	Default string

	// Set when rendering.
	ID, Value, Error string
}

type option struct {
	Value, Label string
	Selected     bool
}

type fact struct{ Label, Value, Href string }

// formDef is what a form page's loader says about its form.
type formDef struct {
	Title, Lead string
	Section     string
	Facts       []fact
	Back        linkView
	Fields      []field
	Submit      string
	// Version is the target's version now; nil: the form sends no
	// If-Match (its command creates something, or the read models do not
	// know the target's version).
	Version *uint64
	// Build turns posted values into the command.
	Build func(v url.Values) (domain.Command, error)
	// Done is the page to show once the command is recorded.
	Done func(res services.CommandResult) string
}

// formView is the form as the template gets it.
type formView struct {
	formDef
	Action  string
	Key     string
	Version string
	Summary []fact // the errors, linking to their fields
	Notice  string
	Detail  string // the rule's own text, under Notice: Norwegian, or English when the error has no Norwegian text
	// DetailEnglish: Detail is the English fallback (marked lang="en").
	DetailEnglish bool
	Tone          string // danger, warning or info
	Restored      bool
}

// formLoader loads a form's definition for the request; an error is shown
// as an error page (404, 403).
type formLoader func(r *http.Request, p services.Principal) (*formDef, error)

// formPage serves GET (the form) and POST (its command) of one form.
func (s *Server) formPage(load formLoader) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := signedIn(r)
		s.waitAfter(r)
		def, err := load(r, p)
		if err != nil {
			s.renderFormError(w, r, err)
			return
		}
		if r.Method != http.MethodPost {
			values, key, version, restored := url.Values{}, newFormKey(), versionString(def.Version), false
			if d, ok, err := s.cfg.Secretariat.Sessions.Draft(r.Context(), r.URL.Query().Get("utkast")); err == nil && ok && d.Path == r.URL.Path {
				values, restored = url.Values(d.Values), true
				if k := values.Get(fieldKey); validFormKey(k) {
					key = k
				}
				version = values.Get(fieldVersion)
			}
			v := s.formView(r, def, values, key, version)
			v.Restored = restored
			if restored {
				v.Notice, v.Tone = "Du er logget inn igjen. Skjemaet er fylt ut slik du forlot det; send det når du er klar.", "info"
			}
			s.renderForm(w, r, http.StatusOK, v)
			return
		}
		s.postForm(w, r, p, def, load)
	}
}

func (s *Server) postForm(w http.ResponseWriter, r *http.Request, p services.Principal, def *formDef, load formLoader) {
	if err := r.ParseForm(); err != nil {
		s.renderSekError(w, r, http.StatusBadRequest, "Ugyldig skjema", "Skjemaet kunne ikke leses.")
		return
	}
	values := r.PostForm
	key := values.Get(fieldKey)
	if !validFormKey(key) {
		key = newFormKey()
	}
	posted := values.Get(fieldVersion)
	again := func(status int, v formView) { s.renderForm(w, r, status, v) }

	cmd, err := def.Build(values)
	if err == nil {
		err = cmd.Validate()
	}
	if err != nil {
		v := s.formView(r, def, values, newFormKey(), posted)
		s.explain(&v, err)
		again(statusOf(err), v)
		return
	}
	var ifMatch *uint64
	if posted != "" {
		n, perr := strconv.ParseUint(posted, 10, 64)
		if perr != nil {
			s.renderSekError(w, r, http.StatusBadRequest, "Ugyldig skjema", "Skjemaet har en ugyldig versjon.")
			return
		}
		ifMatch = &n
	}

	out, err := s.execute(r, p, cmd, key, ifMatch, def)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	if out.Location != "" {
		http.Redirect(w, r, out.Location, http.StatusSeeOther)
		return
	}
	failure := out.err()
	if domain.ErrorKind(failure) == domain.KindForbidden {
		s.renderSekError(w, r, http.StatusForbidden, "Ingen tilgang", "Du har ikke lov til dette. Ingenting er registrert.")
		return
	}
	// Shown again with what was typed, under a fresh key; after a
	// conflict, at the version that is current now.
	version := posted
	if out.Stale {
		if fresh, lerr := load(r, p); lerr == nil {
			def = fresh
			version = versionString(fresh.Version)
		}
	}
	v := s.formView(r, def, values, newFormKey(), version)
	s.explain(&v, failure)
	if out.Reused {
		v.Summary = nil
		v.Notice, v.Detail, v.Tone = "Dette skjemaet er allerede sendt med andre verdier. Se over det som står i skjemaet nå, og send det på nytt.", "", "warning"
	}
	if out.Stale {
		v.Notice, v.Detail, v.Tone = "Noen andre har endret dette etter at du åpnet skjemaet. Se over det som nå er registrert, og send skjemaet på nytt hvis det du skrev fortsatt gjelder. Teksten din er beholdt.", "", "warning"
	}
	again(out.Status, v)
}

// outcome is a form's remembered result: a page to go to, or why not.
type outcome struct {
	Status   int         `json:"status"`
	Location string      `json:"location,omitempty"`
	Kind     domain.Kind `json:"kind,omitempty"`
	Message  string      `json:"message,omitempty"`
	// Norsk is the error's Norwegian text for the page; an outcome without
	// one (not every error has it) shows Message.
	Norsk  string              `json:"norsk,omitempty"`
	Fields []domain.FieldError `json:"fields,omitempty"`
	Stale  bool                `json:"stale,omitempty"`
	// Reused: the form was sent before with other values (the browser's
	// back button); never remembered.
	Reused bool `json:"-"`
}

func (o outcome) err() error {
	return &domain.Error{Kind: o.Kind, Message: o.Message, Norsk: o.Norsk, Fields: o.Fields}
}

// execute runs cmd under the form's Idempotency-Key: the first post runs
// it, a repeated one (a double click) gets the first one's outcome.
// The error is for failures that are not the command's (the key store
// unreachable).
func (s *Server) execute(r *http.Request, p services.Principal, cmd domain.Command, key string, ifMatch *uint64, def *formDef) (outcome, error) {
	canonical, err := json.Marshal(cmd)
	if err != nil {
		return outcome{}, &domain.Error{Kind: domain.KindInternal, Err: err}
	}
	idem := s.cfg.Secretariat.Idempotency
	opts := services.ExecOptions{IfMatch: ifMatch}
	var res *services.Reservation
	if idem != nil {
		begun, err := idem.Begin(r.Context(), p.Name, key, services.Fingerprint([]byte(cmd.CommandName()), canonical))
		if err != nil {
			// Nothing ran: the form is shown again with what was typed.
			return outcome{Status: statusOf(err), Kind: domain.ErrorKind(err), Message: err.Error(),
				Reused: errors.Is(err, services.ErrIdempotencyKeyReused)}, nil
		}
		if begun.Replay != nil {
			var o outcome
			if err := json.Unmarshal(begun.Replay.Body, &o); err != nil {
				return outcome{}, &domain.Error{Kind: domain.KindInternal, Message: "a remembered form outcome", Err: err}
			}
			return o, nil
		}
		res = begun.Reservation
		opts.CommandID, opts.Retry = res.CommandID, res.Retry
		if c, ok := cmd.(domain.Creator); ok && services.CreatorNeedsID(cmd) {
			c.AssignID(res.AssignedID)
		}
	}
	// The command runs to its end even if the browser goes away.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 30*time.Second)
	defer cancel()
	result, xerr := s.cfg.Secretariat.Executor.Execute(ctx, p, cmd, opts)
	var o outcome
	if xerr == nil {
		o = outcome{Status: http.StatusSeeOther, Location: withAfter(def.Done(result), result.Position)}
	} else {
		var de *domain.Error
		o = outcome{Status: statusOf(xerr), Kind: domain.ErrorKind(xerr), Message: xerr.Error(),
			Stale: domain.IsKind(xerr, domain.KindConflict) && errors.Is(xerr, eventlog.ErrConflict)}
		if errors.As(xerr, &de) {
			o.Message, o.Norsk, o.Fields = de.Message, de.Norsk, de.Fields
		}
	}
	if res != nil {
		body, _ := json.Marshal(o)
		ictx, icancel := context.WithTimeout(context.WithoutCancel(r.Context()), 10*time.Second)
		defer icancel()
		stored := services.StoredResponse{Status: o.Status, Body: body}
		if o.Status >= 500 {
			err = idem.Release(ictx, res)
		} else {
			err = idem.Complete(ictx, res, stored)
		}
		if err != nil {
			s.log.Error("web: remembering a form's outcome failed", "command", cmd.CommandName(), "err", err)
		}
	}
	if o.Status >= 500 {
		s.log.Error("web: command failed", "command", cmd.CommandName(), "principal", p.Name, "err", xerr)
	}
	return o, nil
}

// formView fills the form's fields with values.
func (s *Server) formView(r *http.Request, def *formDef, values url.Values, key, version string) formView {
	v := formView{formDef: *def, Action: r.URL.Path, Key: key, Version: version}
	v.Fields = make([]field, len(def.Fields))
	fresh := len(values) == 0
	for i, f := range def.Fields {
		f.ID = "f-" + f.Name
		if fresh {
			f.Value = f.Default
		} else {
			f.Value = values.Get(f.Name)
		}
		opts := make([]option, len(f.Options))
		for j, o := range f.Options {
			o.Selected = o.Value == f.Value
			opts[j] = o
		}
		f.Options = opts
		v.Fields[i] = f
	}
	return v
}

// explain puts err on the form: field errors beside their fields and in
// the summary, a refusal as a notice with the rule's own text, in
// Norwegian (the domain's Norsk; the English Message, which the API shows,
// only where the error has no Norwegian text).
func (s *Server) explain(v *formView, err error) {
	var de *domain.Error
	if !errors.As(err, &de) {
		v.Notice, v.Tone = "Noe gikk galt. Prøv igjen om litt.", "danger"
		return
	}
	switch de.Kind {
	case domain.KindInvalid, domain.KindMalformed:
		for _, fe := range de.Fields {
			name, _, _ := strings.Cut(fe.Field, "[")
			text := detailNO(fe.Detail)
			placed := false
			for i := range v.Fields {
				if v.Fields[i].Name == name && v.Fields[i].Error == "" {
					v.Fields[i].Error = text
					href := "#" + v.Fields[i].ID
					if v.Fields[i].Kind == "radio" {
						href += "-0"
					}
					v.Summary = append(v.Summary, fact{Label: v.Fields[i].Label, Value: text, Href: href})
					placed = true
				}
			}
			if !placed {
				v.Summary = append(v.Summary, fact{Label: fe.Field, Value: text})
			}
		}
		v.Notice, v.Tone = "Skjemaet har feil. Rett opp feltene under og send igjen.", "danger"
	case domain.KindRuleViolated:
		v.Notice, v.Tone = "Dette ble avvist av reglene for porteføljen og rådsmodellen. Ingenting er registrert.", "danger"
		v.Detail, v.DetailEnglish = de.ForPeople(), de.Norsk == ""
	case domain.KindNotFound:
		v.Notice, v.Tone = "Noe skjemaet viser til finnes ikke. Ingenting er registrert.", "danger"
		v.Detail, v.DetailEnglish = de.ForPeople(), de.Norsk == ""
	case domain.KindConflict:
		v.Notice, v.Tone = "Skjemaet er sendt fra før og behandles fortsatt. Vent litt og last siden på nytt.", "warning"
	case domain.KindUnavailable, domain.KindLagging:
		v.Notice, v.Tone = "Tjenesten er ikke tilgjengelig akkurat nå. Ingenting er registrert; send skjemaet på nytt om litt.", "danger"
	default:
		v.Notice, v.Tone = "Noe gikk galt. Prøv igjen om litt.", "danger"
	}
}

// statusOf is the form page's status for a failed command, as the API's.
func statusOf(err error) int {
	switch domain.ErrorKind(err) {
	case domain.KindInvalid:
		return http.StatusUnprocessableEntity
	case domain.KindMalformed:
		return http.StatusBadRequest
	case domain.KindRuleViolated, domain.KindConflict:
		return http.StatusConflict
	case domain.KindNotFound:
		return http.StatusNotFound
	case domain.KindForbidden:
		return http.StatusForbidden
	case domain.KindUnauthorized:
		return http.StatusUnauthorized
	case domain.KindUnavailable, domain.KindLagging:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

func (s *Server) renderForm(w http.ResponseWriter, r *http.Request, status int, v formView) {
	s.renderSek(w, r, status, "form", sekLayout{Title: v.Title, Section: v.Section, Page: v})
}

func (s *Server) renderFormError(w http.ResponseWriter, r *http.Request, err error) {
	switch domain.ErrorKind(err) {
	case domain.KindForbidden:
		s.renderSekError(w, r, http.StatusForbidden, "Ingen tilgang", "Du har ikke tilgang til dette.")
		return
	case domain.KindNotFound:
		s.renderSekError(w, r, http.StatusNotFound, "Fant ikke siden", "Vi fant ikke det du lette etter.")
		return
	}
	s.renderError(w, r, err)
}

// waitAfter waits (up to 5 s) until the read models show the position in
// ?etter=, so the page after a form shows what the form recorded.
func (s *Server) waitAfter(r *http.Request) {
	n, err := strconv.ParseUint(r.URL.Query().Get("etter"), 10, 64)
	if err != nil || n == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	_ = s.cfg.Queries.WaitFor(ctx, n)
}

func withAfter(loc string, pos uint64) string {
	sep := "?"
	if strings.Contains(loc, "?") {
		sep = "&"
	}
	return loc + sep + "etter=" + strconv.FormatUint(pos, 10)
}

func versionString(v *uint64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatUint(*v, 10)
}

// newFormKey is a fresh Idempotency-Key for a rendered form.
func newFormKey() string { return "web-" + services.NewID() }

func validFormKey(k string) bool {
	if !strings.HasPrefix(k, "web-") || len(k) > 64 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// build returns a Build that makes the command name from the posted
// values of fields (by kind) and the fixed values (ids from the address).
func build(name string, fields []field, fixed map[string]any) func(url.Values) (domain.Command, error) {
	return func(v url.Values) (domain.Command, error) {
		m := map[string]any{}
		var bad []domain.FieldError
		for _, f := range fields {
			val := strings.TrimSpace(v.Get(f.Name))
			if f.Kind == "textarea" {
				val = strings.ReplaceAll(strings.TrimSpace(v.Get(f.Name)), "\r\n", "\n")
			}
			if val == "" {
				continue
			}
			switch f.Kind {
			case "number":
				n, err := strconv.ParseInt(strings.ReplaceAll(strings.ReplaceAll(val, " ", ""), "\u00a0", ""), 10, 64)
				if err != nil {
					bad = append(bad, domain.FieldError{Field: f.Name, Detail: "must be a whole number"})
					continue
				}
				m[f.Name] = n
			case "lines":
				var xs []string
				for _, x := range strings.FieldsFunc(val, func(r rune) bool { return r == '\n' || r == ',' }) {
					if x = strings.TrimSpace(x); x != "" {
						xs = append(xs, x)
					}
				}
				m[f.Name] = xs
			default:
				m[f.Name] = val
			}
		}
		if len(bad) > 0 {
			return nil, &domain.Error{Kind: domain.KindInvalid, Message: "invalid fields", Fields: bad}
		}
		for k, x := range fixed {
			m[k] = x
		}
		cmd, ok := domain.NewCommand(name)
		if !ok {
			return nil, &domain.Error{Kind: domain.KindInternal, Message: "no command " + name}
		}
		b, err := json.Marshal(m)
		if err != nil {
			return nil, &domain.Error{Kind: domain.KindInternal, Err: err}
		}
		if err := json.Unmarshal(b, cmd); err != nil {
			return nil, &domain.Error{Kind: domain.KindInvalid, Message: err.Error()}
		}
		return cmd, nil
	}
}

// detailNO says a validation detail of the domain in Norwegian.
func detailNO(d string) string {
	switch {
	case d == "is required":
		return "Må fylles ut."
	case d == "is required when a light is yellow or red":
		return "Må fylles ut når et lys er gult eller rødt."
	case d == "is required for a phase_gate case":
		return "Må velges for en sak om faseovergang."
	case d == "must be a date YYYY-MM-DD":
		return "Må være en dato (åååå-mm-dd)."
	case strings.HasPrefix(d, "must be a date between"):
		return "Datoen er utenfor det tillatte tidsrommet."
	case d == "must be a whole number":
		return "Må være et heltall."
	case d == "must not be negative":
		return "Kan ikke være negativt."
	case d == "must not be before plannedStart":
		return "Kan ikke være før planlagt start."
	case d == "must be green, yellow or red":
		return "Velg grønn, gul eller rød."
	case d == "must be NUFA, NUIT or EHR":
		return "Velg et forum."
	case d == "must be a ULID or a UUID":
		return "Velg fra listen."
	case strings.HasPrefix(d, "must be at most"):
		return "Teksten er for lang."
	case d == "must not contain control characters":
		return "Teksten har tegn som ikke er tillatt."
	case strings.HasPrefix(d, "must be a short code"):
		return "Må være en kode som «1A»."
	case strings.HasPrefix(d, "must not be given"):
		return "Skal ikke fylles ut her."
	case strings.HasPrefix(d, "must be "):
		return "Velg en av verdiene i listen."
	}
	return "Ugyldig verdi."
}
