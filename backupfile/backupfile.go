// Package backupfile is the file format of `portfolioctl backup`: a tar
// archive, written as it streams, that holds JetStream snapshots of the
// product's streams and a manifest with their checksums, so that a
// damaged or truncated file is found before anything is restored from it.
//
// Entries, in this order:
//
//	<stream>/stream.json          the server's snapshot header: the stream's config and state
//	<stream>/snapshot/00000001    the snapshot's data (JetStream's own format), chunk by chunk;
//	<stream>/snapshot/00000002    concatenated they are what `nats stream backup` calls stream.tar.s2
//	…                             (the same for each further stream)
//	manifest.json                 Manifest: what the backup holds, with SHA-256 of every stream's
//	                              stream.json and of its concatenated data
//	manifest.json.sha256          the SHA-256 of manifest.json, in hex
//
// The manifest comes last because the audit chain's head is known only
// after the server has walked the log; a file without it is truncated.
// The package uses only the standard library: portfolioctl checks a
// download with it.
package backupfile

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"path"
	"strconv"
	"strings"
	"time"
)

// Format names the file format in the manifest.
const Format = "portfolio-backup/1"

// Entry names.
const (
	ManifestName = "manifest.json"
	ManifestSum  = "manifest.json.sha256"
	metaName     = "stream.json"
	dataDir      = "snapshot"
)

// Stream roles.
const (
	RoleEvents      = "events"      // the event log, the record
	RoleIdempotency = "idempotency" // the Idempotency-Key bucket's stream
)

// Manifest describes a backup.
type Manifest struct {
	Format string `json:"format"`
	// Product is the version of portfoliod that wrote it.
	Product   string    `json:"product"`
	CreatedAt time.Time `json:"createdAt"`
	// Streams in the order of the file; the event log first.
	Streams []Stream `json:"streams"`
	// Audit is the audit chain over the event log's snapshot.
	Audit Audit `json:"audit"`
}

// Stream is one stream of a backup.
type Stream struct {
	Name string `json:"name"`
	Role string `json:"role"`
	// Created is the stream's creation time: with Name, its identity (the
	// read models compare it).
	Created  time.Time `json:"created"`
	Messages uint64    `json:"messages"`
	FirstSeq uint64    `json:"firstSeq"`
	LastSeq  uint64    `json:"lastSeq"`
	// Bytes is the size of the stream's messages; DataBytes the size of
	// its snapshot data (compressed) in Chunks chunks.
	Bytes      uint64 `json:"bytes"`
	Chunks     int    `json:"chunks"`
	DataBytes  int64  `json:"dataBytes"`
	DataSHA256 string `json:"dataSha256"`
	MetaSHA256 string `json:"metaSha256"`
}

// Audit is the audit chain of the event log up to the snapshot's last
// position, as GET /v1/audit/verify reports it.
//
// JetStream takes a snapshot's state when it begins but copies the
// stream's blocks after, so events written meanwhile may be in it too:
// Position is the last position the backup certainly holds, and Tail the
// chain after each later position up to the log's head when the snapshot
// ended. A restore finds out where its log ends and checks that
// position's head.
type Audit struct {
	OK       bool   `json:"ok"`
	Events   uint64 `json:"events"`
	Position uint64 `json:"position"`
	Head     string `json:"head"`
	Reason   string `json:"reason,omitempty"`
	// KeyID is the id of the signing key; PublicKey its public half
	// (base64); TrustedKeys every public key the server accepted (base64),
	// the signing key's first. The private key is never in a backup.
	KeyID       string   `json:"keyId"`
	PublicKey   string   `json:"publicKey"`
	TrustedKeys []string `json:"trustedKeys,omitempty"`
	// Tail is the chain after each position after Position that the
	// snapshot may hold, in order.
	Tail []AuditPoint `json:"tail,omitempty"`
}

// AuditPoint is the audit chain after one position.
type AuditPoint struct {
	Position uint64 `json:"position"`
	Events   uint64 `json:"events"`
	Head     string `json:"head"`
	OK       bool   `json:"ok"`
}

// At returns the chain after position p: Position's or a Tail point.
func (a Audit) At(p uint64) (AuditPoint, bool) {
	if p == a.Position {
		return AuditPoint{Position: a.Position, Events: a.Events, Head: a.Head, OK: a.OK}, true
	}
	for _, t := range a.Tail {
		if t.Position == p {
			return t, true
		}
	}
	return AuditPoint{}, false
}

// LastPossible is the last position the snapshot may hold.
func (a Audit) LastPossible() uint64 {
	if n := len(a.Tail); n > 0 {
		return a.Tail[n-1].Position
	}
	return a.Position
}

// EventStream returns the event log's entry.
func (m Manifest) EventStream() (Stream, bool) {
	for _, s := range m.Streams {
		if s.Role == RoleEvents {
			return s, true
		}
	}
	return Stream{}, false
}

// ---- writing ----

// Writer writes a backup as it streams: BeginStream, Chunk…, EndStream for
// each stream, then Close with the manifest.
type Writer struct {
	tw      *tar.Writer
	modTime time.Time
	cur     *Stream
	sum     hash.Hash
	streams []Stream
	bytes   int64
}

// NewWriter starts a backup on w.
func NewWriter(w io.Writer, now time.Time) *Writer {
	return &Writer{tw: tar.NewWriter(w), modTime: now.UTC().Truncate(time.Second)}
}

func (w *Writer) entry(name string, data []byte) error {
	hdr := &tar.Header{Name: name, Mode: 0o600, Size: int64(len(data)), ModTime: w.modTime, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
	if err := w.tw.WriteHeader(hdr); err != nil {
		return err
	}
	_, err := w.tw.Write(data)
	w.bytes += int64(len(data))
	return err
}

// BeginStream starts a stream: meta is the server's snapshot header
// (written as stream.json), s describes the stream (its checksums are
// filled in by the Writer).
func (w *Writer) BeginStream(s Stream, meta []byte) error {
	if w.cur != nil {
		return errors.New("backupfile: BeginStream before EndStream")
	}
	if s.Name == "" || strings.ContainsAny(s.Name, "/\\") {
		return fmt.Errorf("backupfile: bad stream name %q", s.Name)
	}
	ms := sha256.Sum256(meta)
	s.MetaSHA256 = hex.EncodeToString(ms[:])
	s.Chunks, s.DataBytes = 0, 0
	w.cur, w.sum = &s, sha256.New()
	return w.entry(s.Name+"/"+metaName, meta)
}

// Chunk adds the next chunk of the current stream's snapshot data.
func (w *Writer) Chunk(data []byte) error {
	if w.cur == nil {
		return errors.New("backupfile: Chunk outside a stream")
	}
	w.cur.Chunks++
	w.cur.DataBytes += int64(len(data))
	w.sum.Write(data)
	return w.entry(fmt.Sprintf("%s/%s/%08d", w.cur.Name, dataDir, w.cur.Chunks), data)
}

// EndStream ends the current stream and returns its manifest entry.
func (w *Writer) EndStream() (Stream, error) {
	if w.cur == nil {
		return Stream{}, errors.New("backupfile: EndStream outside a stream")
	}
	s := *w.cur
	s.DataSHA256 = hex.EncodeToString(w.sum.Sum(nil))
	w.streams = append(w.streams, s)
	w.cur = nil
	return s, nil
}

// Bytes is the number of content bytes written so far.
func (w *Writer) Bytes() int64 { return w.bytes }

// Close writes the manifest (its Streams are the ones written) and its
// checksum and ends the archive.
func (w *Writer) Close(m Manifest) error {
	if w.cur != nil {
		return errors.New("backupfile: Close inside a stream")
	}
	m.Format = Format
	m.Streams = w.streams
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if err := w.entry(ManifestName, b); err != nil {
		return err
	}
	sum := sha256.Sum256(b)
	if err := w.entry(ManifestSum, []byte(hex.EncodeToString(sum[:])+"\n")); err != nil {
		return err
	}
	return w.tw.Close()
}

// ---- reading ----

// ErrDamaged is wrapped by every error about a file that is not a whole,
// intact backup.
var ErrDamaged = errors.New("the backup file is damaged or incomplete")

func damaged(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrDamaged, fmt.Sprintf(format, args...))
}

// Item is one piece of a backup as Reader returns it.
type Item struct {
	// Stream is the stream's name; "" for the manifest.
	Stream string
	// Meta is the stream's snapshot header (stream.json), at its start.
	Meta []byte
	// Chunk is the next chunk of its data.
	Chunk []byte
	// Manifest, at the end.
	Manifest *Manifest
}

// Reader reads a backup in order and checks it as it goes: the archive's
// structure, and at the manifest every checksum and count. A caller that
// acts on the data before the end (a restore) must have checked the whole
// file first with Check.
type Reader struct {
	tr      *tar.Reader
	cur     *Stream // as read so far
	sum     hash.Hash
	streams []Stream
	done    bool
	// maxChunk bounds an entry's size before it is read into memory.
	maxChunk int64
}

// NewReader reads a backup from r.
func NewReader(r io.Reader) *Reader {
	return &Reader{tr: tar.NewReader(r), maxChunk: 64 << 20}
}

// Next returns the next item, io.EOF after the manifest was read and
// checked, or an error wrapping ErrDamaged.
func (r *Reader) Next() (Item, error) {
	if r.done {
		return Item{}, io.EOF
	}
	hdr, err := r.tr.Next()
	if errors.Is(err, io.EOF) {
		return Item{}, damaged("it ends before its manifest (truncated?)")
	}
	if err != nil {
		return Item{}, damaged("%v", err)
	}
	if hdr.Typeflag != tar.TypeReg || hdr.Size < 0 || hdr.Size > r.maxChunk {
		return Item{}, damaged("unexpected entry %q", hdr.Name)
	}
	data := make([]byte, hdr.Size)
	if _, err := io.ReadFull(r.tr, data); err != nil {
		return Item{}, damaged("entry %s: %v (truncated?)", hdr.Name, err)
	}
	name := path.Clean(hdr.Name)
	switch {
	case name == ManifestName:
		if r.cur != nil {
			r.endStream()
		}
		return r.manifest(data)
	case strings.HasSuffix(name, "/"+metaName) && strings.Count(name, "/") == 1:
		if r.cur != nil {
			r.endStream()
		}
		stream := strings.TrimSuffix(name, "/"+metaName)
		ms := sha256.Sum256(data)
		r.cur = &Stream{Name: stream, MetaSHA256: hex.EncodeToString(ms[:])}
		r.sum = sha256.New()
		return Item{Stream: stream, Meta: data}, nil
	case r.cur != nil && strings.HasPrefix(name, r.cur.Name+"/"+dataDir+"/"):
		n, err := strconv.Atoi(strings.TrimPrefix(name, r.cur.Name+"/"+dataDir+"/"))
		if err != nil || n != r.cur.Chunks+1 {
			return Item{}, damaged("entry %s out of order (expected chunk %d of %s)", name, r.cur.Chunks+1, r.cur.Name)
		}
		r.cur.Chunks++
		r.cur.DataBytes += int64(len(data))
		r.sum.Write(data)
		return Item{Stream: r.cur.Name, Chunk: data}, nil
	}
	return Item{}, damaged("unexpected entry %q", hdr.Name)
}

func (r *Reader) endStream() {
	r.cur.DataSHA256 = hex.EncodeToString(r.sum.Sum(nil))
	r.streams = append(r.streams, *r.cur)
	r.cur = nil
}

// manifest checks the manifest against its checksum entry and against
// what was read.
func (r *Reader) manifest(data []byte) (Item, error) {
	hdr, err := r.tr.Next()
	if err != nil {
		return Item{}, damaged("no %s after the manifest (truncated?)", ManifestSum)
	}
	if path.Clean(hdr.Name) != ManifestSum || hdr.Size > 128 {
		return Item{}, damaged("unexpected entry %q after the manifest", hdr.Name)
	}
	want, err := io.ReadAll(r.tr)
	if err != nil {
		return Item{}, damaged("%s: %v", ManifestSum, err)
	}
	got := sha256.Sum256(data)
	if strings.TrimSpace(string(want)) != hex.EncodeToString(got[:]) {
		return Item{}, damaged("the manifest does not match its checksum")
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return Item{}, damaged("manifest: %v", err)
	}
	if m.Format != Format {
		return Item{}, fmt.Errorf("the file is a %q, not a %q backup", m.Format, Format)
	}
	if len(m.Streams) != len(r.streams) {
		return Item{}, damaged("the manifest lists %d streams, the file has %d", len(m.Streams), len(r.streams))
	}
	for i, s := range m.Streams {
		got := r.streams[i]
		switch {
		case s.Name != got.Name:
			return Item{}, damaged("stream %d is %s, the manifest says %s", i+1, got.Name, s.Name)
		case s.MetaSHA256 != got.MetaSHA256:
			return Item{}, damaged("%s/%s does not match its checksum", s.Name, metaName)
		case s.Chunks != got.Chunks || s.DataBytes != got.DataBytes:
			return Item{}, damaged("%s has %d chunks (%d bytes) of snapshot data, the manifest says %d (%d bytes)",
				s.Name, got.Chunks, got.DataBytes, s.Chunks, s.DataBytes)
		case s.DataSHA256 != got.DataSHA256:
			return Item{}, damaged("the snapshot data of %s does not match its checksum", s.Name)
		}
	}
	if _, ok := m.EventStream(); !ok {
		return Item{}, damaged("the manifest names no event stream")
	}
	// Nothing may follow but the archive's end.
	if hdr, err := r.tr.Next(); !errors.Is(err, io.EOF) {
		name := ""
		if hdr != nil {
			name = hdr.Name
		}
		return Item{}, damaged("unexpected data after the manifest %s %v", name, err)
	}
	r.done = true
	return Item{Manifest: &m}, nil
}

// Check reads a whole backup and returns its manifest when every
// checksum and count agrees, else an error wrapping ErrDamaged. progress,
// if not nil, gets the bytes of content read so far.
func Check(r io.Reader, progress func(int64)) (Manifest, error) {
	br := NewReader(r)
	var n int64
	for {
		it, err := br.Next()
		if err != nil {
			return Manifest{}, err
		}
		n += int64(len(it.Meta) + len(it.Chunk))
		if progress != nil {
			progress(n)
		}
		if it.Manifest != nil {
			return *it.Manifest, nil
		}
	}
}
