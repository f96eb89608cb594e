package audit

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
)

// ExportFormat names the JSONL export in its header line.
const ExportFormat = "portfolio-audit-export/1"

// Header is the first line of a JSONL export. It is informational: nothing
// in it is signed, and a verifier should trust a key it obtained itself
// (GET /v1/audit/key at another time, a key published by the operator)
// rather than the one in the header.
type Header struct {
	Format     string `json:"format"`
	PublicKey  string `json:"publicKey"` // base64 of the 32-byte Ed25519 public key
	KeyID      string `json:"keyId"`
	ExportedAt string `json:"exportedAt"` // RFC 3339
	Source     string `json:"source,omitempty"`
}

// Line is one event line of a JSONL export.
type Line struct {
	Position  uint64 `json:"position"`
	Subject   string `json:"subject"`
	Hash      string `json:"hash"`                // hex SHA-256 of raw
	Signature string `json:"signature,omitempty"` // the Portfolio-Signature header
	Raw       []byte `json:"raw"`                 // base64 of the stored CloudEvent
}

// WriteJSONL writes an export: the header line, then one line per event
// in the order given. It returns the number of events written.
func WriteJSONL(w io.Writer, h Header, events iter.Seq2[Event, error]) (uint64, error) {
	if h.Format == "" {
		h.Format = ExportFormat
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(h); err != nil {
		return 0, err
	}
	var n uint64
	for ev, err := range events {
		if err != nil {
			_ = bw.Flush()
			return n, err
		}
		if err := enc.Encode(Line{Position: ev.Position, Subject: ev.Subject, Hash: HashEvent(ev.Payload).String(),
			Signature: ev.Signature, Raw: ev.Payload}); err != nil {
			return n, err
		}
		n++
	}
	return n, bw.Flush()
}

// JSONLOptions configure VerifyJSONLWith.
type JSONLOptions struct {
	Options
	// TrustHeaderKey adds the header's public key to the trusted keys.
	// That only shows the export is consistent with itself; anyone can
	// write a consistent export with a key of their own.
	TrustHeaderKey bool
}

// Progress reports a verification under way.
type Progress struct {
	Events   uint64
	Position uint64
	Bytes    int64 // bytes of input read
}

// JSONLResult is the result of verifying an export, with its header.
type JSONLResult struct {
	Result
	Header Header `json:"header"`
	// FirstBadLine is the line number (1 is the header) of the first bad
	// line, 0 when none.
	FirstBadLine int `json:"firstBadLine,omitempty"`
}

// VerifyJSONL verifies a JSONL export against the trusted keys. progress,
// if not nil, is called every 1000 events and at the end.
func VerifyJSONL(r io.Reader, trustedKeys []ed25519.PublicKey, progress func(Progress)) (JSONLResult, error) {
	return VerifyJSONLWith(r, JSONLOptions{Options: Options{Keys: NewKeyring(trustedKeys...)}}, progress)
}

// VerifyJSONLWith is VerifyJSONL with all options. It returns an error
// only when the input cannot be read or has no header line; everything
// wrong with the events is in the result.
func VerifyJSONLWith(r io.Reader, opts JSONLOptions, progress func(Progress)) (JSONLResult, error) {
	cr := &countingReader{r: r}
	br := bufio.NewReaderSize(cr, 64<<10)
	var out JSONLResult
	first, err := readLine(br)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return out, errors.New("audit: empty export (no header line)")
		}
		return out, err
	}
	if err := json.Unmarshal(first, &out.Header); err != nil || out.Header.Format == "" {
		return out, fmt.Errorf("audit: the first line is not an export header (want {\"format\":%q,...})", ExportFormat)
	}
	if out.Header.Format != ExportFormat {
		return out, fmt.Errorf("audit: export format %q, want %q", out.Header.Format, ExportFormat)
	}
	keys := Keyring{}
	for id, k := range opts.Keys {
		keys[id] = k
	}
	if opts.TrustHeaderKey {
		pub, err := ParsePublicKey(out.Header.PublicKey)
		if err != nil {
			return out, fmt.Errorf("audit: header publicKey: %w", err)
		}
		if out.Header.KeyID != "" && out.Header.KeyID != KeyID(pub) {
			return out, fmt.Errorf("audit: header keyId %s is not the id of its publicKey (%s)", out.Header.KeyID, KeyID(pub))
		}
		keys[KeyID(pub)] = pub
	}
	o := opts.Options
	o.Keys = keys
	v := NewVerifier(o)
	lineNo := 1
	report := func() {
		if progress != nil {
			res := v.Result()
			progress(Progress{Events: res.Events, Position: res.Position, Bytes: cr.n})
		}
	}
	for {
		raw, err := readLine(br)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return out, err
		}
		lineNo++
		if len(raw) == 0 {
			continue
		}
		var l Line
		if err := json.Unmarshal(raw, &l); err != nil {
			if out.FirstBadLine == 0 && v.firstBad == nil {
				out.FirstBadLine = lineNo
			}
			v.AddUnreadable(v.position+1, fmt.Sprintf("line %d is not an export line: %v", lineNo, err))
			continue
		}
		ev := Event{Position: l.Position, Subject: l.Subject, Payload: l.Raw, Signature: l.Signature}
		hadBad := v.firstBad != nil
		bad := v.Add(ev)
		if bad == nil {
			// The hash field is not what is verified (the hash is
			// recomputed from raw), but a line that contradicts itself, or
			// is not written exactly as WriteJSONL writes it, has been
			// altered.
			reason := ""
			if l.Hash != HashEvent(l.Raw).String() {
				reason = fmt.Sprintf("line %d: the hash field is not the hash of raw", lineNo)
			} else if canon, err := canonicalLine(l); err != nil || !bytes.Equal(canon, raw) {
				reason = fmt.Sprintf("line %d is not in the export's canonical form (it was edited)", lineNo)
			}
			if reason != "" {
				bad = &BadEvent{Position: l.Position, Reason: reason}
				v.bad++
				if v.firstBad == nil {
					v.firstBad = bad
				}
			}
		}
		if bad != nil && !hadBad && out.FirstBadLine == 0 {
			out.FirstBadLine = lineNo
		}
		if v.events%1000 == 0 {
			report()
		}
	}
	report()
	out.Result = v.Result()
	return out, nil
}

// canonicalLine is the line as WriteJSONL writes it, without the newline.
func canonicalLine(l Line) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(l); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// readLine reads one line without its newline (any length).
func readLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadBytes('\n')
	if len(line) > 0 {
		n := len(line)
		if line[n-1] == '\n' {
			n--
			if n > 0 && line[n-1] == '\r' {
				n--
			}
		}
		return line[:n], nil
	}
	return nil, err
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// ReadDigest decodes a saved digest (the JSON of Digest, as written by
// `portfolioctl audit digest`) and validates it.
func ReadDigest(r io.Reader) (Digest, error) {
	var d Digest
	dec := json.NewDecoder(r)
	if err := dec.Decode(&d); err != nil {
		return d, fmt.Errorf("audit: digest: %w", err)
	}
	return d, d.Validate()
}
