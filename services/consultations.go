package services

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/mail"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/services/wire"
)

// ContactKeyFile is the name of the key file in the data directory that
// seals the contact addresses of consultation responses.
const ContactKeyFile = "consultation-contact.key"

// ContactSealer seals and opens the contact e-mail addresses given in the
// public consultation form. The log and the read models hold only the
// sealed form (domain.SealedContactTag + base64url(nonce ‖ AES-256-GCM
// ciphertext)); the key never leaves the server. Deleting the key forgets
// every address.
type ContactSealer struct {
	aead cipher.AEAD
	key  []byte
}

// NewContactSealer returns a sealer with a 32-byte key.
func NewContactSealer(key []byte) (*ContactSealer, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("services: contact key: %d bytes, want 32", len(key))
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("services: contact key: %w", err)
	}
	aead, err := cipher.NewGCM(b)
	if err != nil {
		return nil, fmt.Errorf("services: contact key: %w", err)
	}
	return &ContactSealer{aead: aead, key: bytes.Clone(key)}, nil
}

// DeriveKey returns a 32-byte key for another purpose (label), derived
// from the sealing key (HMAC-SHA256), so that one secret file serves the
// consultation form: the web form signs its form ids with one.
func (s *ContactSealer) DeriveKey(label string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(label))
	return m.Sum(nil)
}

// LoadContactSealer reads the key file at path, writing a fresh random key
// (mode 0600) when there is none.
func LoadContactSealer(path string) (*ContactSealer, error) {
	key, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("services: contact key: %w", err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("services: write contact key: %w", err)
		}
		if _, err := f.Write(key); err != nil {
			_ = f.Close()
			return nil, fmt.Errorf("services: write contact key: %w", err)
		}
		if err := f.Close(); err != nil {
			return nil, fmt.Errorf("services: write contact key: %w", err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("services: read contact key: %w", err)
	}
	return NewContactSealer(key)
}

// Seal returns the sealed form of an address.
func (s *ContactSealer) Seal(address string) (string, error) {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("services: seal contact: %w", err)
	}
	out := s.aead.Seal(nonce, nonce, []byte(address), []byte(domain.SealedContactTag))
	return domain.SealedContactTag + base64.RawURLEncoding.EncodeToString(out), nil
}

// Open returns the address a sealed form holds; an error when it was not
// sealed with this key.
func (s *ContactSealer) Open(sealed string) (string, error) {
	rest, ok := strings.CutPrefix(sealed, domain.SealedContactTag)
	if !ok {
		return "", errors.New("services: open contact: not a sealed address")
	}
	raw, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil || len(raw) < s.aead.NonceSize() {
		return "", errors.New("services: open contact: malformed")
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, raw[:n], raw[n:], []byte(domain.SealedContactTag))
	if err != nil {
		return "", fmt.Errorf("services: open contact: %w", err)
	}
	return string(plain), nil
}

// WebFormActor is the actor of responses submitted through the public
// consultation form: the events say they came from the form, not from a
// person with a token.
const WebFormActor = "webskjema"

// WebForm is the principal the public consultation form records with. It
// gives RegisterConsultationResponse only (ConsultationForms.Submit).
var WebForm = Principal{Name: WebFormActor, Role: RoleSecretariat}

// ConsultationResponseForm is a response as the public form submits it.
type ConsultationResponseForm struct {
	ConsultationID string
	Organisation   string
	ContactEmail   string
	Answers        []domain.Answer
	Comments       string
	// Replaces confirms that the organisation's earlier response is to be
	// replaced ("erstatt tidligere svar").
	Replaces bool
}

// ConsultationForms records responses from the public form.
type ConsultationForms struct {
	Exec   Executor
	Sealer *ContactSealer
	// Now is the clock (default time.Now): the day received.
	Now func() time.Time
}

// ValidEmail reports whether s is a plain e-mail address
// (local@domain.tld), as the form asks for.
func ValidEmail(s string) bool {
	if len(s) > 254 || strings.ContainsAny(s, " <>\"") {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s {
		return false
	}
	_, host, _ := strings.Cut(s, "@")
	return strings.Contains(host, ".") && !strings.HasPrefix(host, ".") && !strings.HasSuffix(host, ".")
}

// Submit records the form's response as received today, with the contact
// address sealed, as WebForm. formID identifies the rendered form: it is
// the command id and the response id, so the same form submitted twice
// records one response (the second answers with the first's result).
func (f *ConsultationForms) Submit(ctx context.Context, form ConsultationResponseForm, formID string) (CommandResult, error) {
	if !domain.ValidID(formID) {
		return CommandResult{}, domain.Errorf(domain.KindInvalid, "the form id must be a ULID or a UUID")
	}
	var v domain.Validation
	if form.ContactEmail != "" && !ValidEmail(form.ContactEmail) {
		v.Add("contactEmail", "must be an e-mail address")
	}
	if err := v.Err(); err != nil {
		return CommandResult{}, err
	}
	sealed := ""
	if form.ContactEmail != "" {
		if f.Sealer == nil {
			return CommandResult{}, domain.Errorf(domain.KindInternal, "no contact sealer configured")
		}
		var err error
		if sealed, err = f.Sealer.Seal(form.ContactEmail); err != nil {
			return CommandResult{}, &domain.Error{Kind: domain.KindInternal, Message: "seal contact", Err: err}
		}
	}
	now := time.Now
	if f.Now != nil {
		now = f.Now
	}
	// The day in Norway, as the domain takes it (UTC+2 at most).
	received := domain.DateOf(now().Add(2 * time.Hour))
	cmd := &domain.RegisterConsultationResponse{
		ConsultationID: form.ConsultationID, ResponseID: formID, Organisation: form.Organisation,
		ReceivedDate: received, Answers: form.Answers, Comments: form.Comments, Replaces: form.Replaces,
		ContactSealed: sealed,
	}
	return f.Exec.Execute(ctx, WebForm, cmd, ExecOptions{CommandID: formID, Retry: true})
}

// ConsultationStatusOn is a consultation's status on the day today:
// closed once concluded, else open until and on its deadline, then
// deadline_passed (wire.ConsultationOpen, …).
func ConsultationStatusOn(closed bool, deadline, today domain.Date) string {
	switch {
	case closed:
		return wire.ConsultationClosed
	case today > deadline:
		return wire.ConsultationDeadlinePassed
	}
	return wire.ConsultationOpen
}

// PublicConsultation is what anonymous readers (and owners and
// subscribers) see of a consultation: only the published current
// responses, without contact addresses or who recorded them, and invited
// bodies marked as responded by those.
func PublicConsultation(d wire.ConsultationDetail) wire.ConsultationDetail {
	out := d
	out.Responses = []wire.ConsultationResponse{}
	for _, r := range d.Responses {
		if r.Published && r.Current() {
			r.ContactEmail, r.ContactSealed, r.RegisteredBy = "", "", ""
			out.Responses = append(out.Responses, r)
		}
	}
	out.Recount()
	return out
}

// ContactOpener opens sealed contact addresses. *ContactSealer implements it.
type ContactOpener interface {
	Open(sealed string) (string, error)
}

var _ ContactOpener = (*ContactSealer)(nil)

// ConsultationFor is d as p may read it, with its status on the day
// today: the secretariat and auditors every response, the secretariat also
// the contact addresses (opened with contacts, when given); everyone else
// PublicConsultation.
func ConsultationFor(p Principal, d wire.ConsultationDetail, today domain.Date, contacts ContactOpener) wire.ConsultationDetail {
	switch p.Role {
	case RoleSecretariat, RoleAuditor:
		d.Responses = slices.Clone(d.Responses)
		for i, r := range d.Responses {
			if p.Role == RoleSecretariat && contacts != nil && r.ContactSealed != "" {
				if addr, err := contacts.Open(r.ContactSealed); err == nil {
					d.Responses[i].ContactEmail = addr
				}
			}
		}
	default:
		d = PublicConsultation(d)
	}
	d.Status = ConsultationStatusOn(d.Closed, d.Deadline, today)
	return d
}

// WriteConsultationCSV writes d's current responses as CSV: one row per
// organisation, one column per question, then the other comments, the
// document link, the day received, whether late, and whether published.
// Cells a spreadsheet would run as a formula get a leading apostrophe.
func WriteConsultationCSV(w io.Writer, d wire.ConsultationDetail) error {
	cw := csv.NewWriter(w)
	head := []string{"organisasjon"}
	for i, q := range d.Questions {
		head = append(head, fmt.Sprintf("spørsmål %d: %s", i+1, q))
	}
	head = append(head, "andre merknader", "dokument", "mottatt", "for sent", "publisert")
	if err := cw.Write(csvSafeRow(head)); err != nil {
		return err
	}
	yesNo := map[bool]string{true: "ja", false: "nei"}
	for _, r := range d.Responses {
		if !r.Current() {
			continue
		}
		row := []string{r.Organisation}
		for i := range d.Questions {
			row = append(row, r.Answer(i+1))
		}
		row = append(row, r.Comments, r.DocumentURL, string(r.ReceivedDate), yesNo[r.Late], yesNo[r.Published])
		if err := cw.Write(csvSafeRow(row)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func csvSafeRow(row []string) []string {
	for i, s := range row {
		if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
			row[i] = "'" + s
		}
	}
	return row
}
