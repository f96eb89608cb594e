package audit

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/hdevalence/ed25519consensus"
)

// SignatureHeader is the NATS header that carries an event's signature.
const SignatureHeader = "Portfolio-Signature"

// Algorithm is the only signature algorithm.
const Algorithm = "ed25519"

// KeyID returns the id of a public key: the first 16 lowercase hex
// characters of SHA-256 over the 32-byte public key.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// Sign returns the Portfolio-Signature header value of an event with hash
// h: "ed25519;<keyid>;<signature>", the signature being Ed25519 over the 32
// bytes of h (not its hex form), in standard base64 with padding.
func Sign(priv ed25519.PrivateKey, h Hash) string {
	pub, _ := priv.Public().(ed25519.PublicKey)
	return Algorithm + ";" + KeyID(pub) + ";" + base64.StdEncoding.EncodeToString(ed25519.Sign(priv, h[:]))
}

// ParseSignature splits a Portfolio-Signature header value.
func ParseSignature(v string) (alg, keyID string, sig []byte, err error) {
	parts := strings.Split(v, ";")
	if len(parts) != 3 {
		return "", "", nil, errors.New("malformed signature header (want ed25519;<keyid>;<base64>)")
	}
	sig, err = base64.StdEncoding.Strict().DecodeString(parts[2])
	if err != nil || len(sig) != ed25519.SignatureSize {
		return "", "", nil, errors.New("malformed signature (want 64 bytes in standard base64)")
	}
	return parts[0], parts[1], sig, nil
}

// Keyring is a set of trusted public keys by key id.
type Keyring map[string]ed25519.PublicKey

// NewKeyring returns a keyring of the given keys.
func NewKeyring(keys ...ed25519.PublicKey) Keyring {
	k := Keyring{}
	for _, pub := range keys {
		if len(pub) == ed25519.PublicKeySize {
			k[KeyID(pub)] = pub
		}
	}
	return k
}

// IDs returns the key ids, sorted.
func (k Keyring) IDs() []string {
	out := make([]string, 0, len(k))
	for id := range k {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// Check checks a signature header value against the event hash h. It
// returns nil when a trusted key signed h, else the reason.
func (k Keyring) Check(header string, h Hash) error {
	id, pub, sig, err := k.signature(header)
	if err != nil {
		return err
	}
	if !ed25519.Verify(pub, h[:], sig) {
		return invalidSignature(id)
	}
	return nil
}

// signature parses a header value and finds its trusted key; the error
// says why the header cannot be checked (unsigned, malformed, another
// algorithm, an untrusted key).
func (k Keyring) signature(header string) (id string, pub ed25519.PublicKey, sig []byte, err error) {
	if header == "" {
		return "", nil, nil, errors.New("unsigned (no " + SignatureHeader + " header)")
	}
	alg, id, sig, err := ParseSignature(header)
	if err != nil {
		return "", nil, nil, err
	}
	if alg != Algorithm {
		return "", nil, nil, fmt.Errorf("unknown signature algorithm %q", alg)
	}
	pub, ok := k[id]
	if !ok {
		return "", nil, nil, fmt.Errorf("signed by key %q, which is not trusted", id)
	}
	return id, pub, sig, nil
}

func invalidSignature(keyID string) error {
	return fmt.Errorf("invalid signature (key %s): the event is not what was signed", keyID)
}

// CheckAll checks many signatures at once: errs[i] is what
// Check(headers[i], hashes[i]) returns. The well-formed signatures are
// verified together as one Ed25519 batch (github.com/hdevalence/
// ed25519consensus, about twice as fast per signature as one by one);
// when the batch fails, each of them is verified on its own with
// crypto/ed25519, so a bad signature gets exactly Check's verdict and
// reason and the good ones beside it still pass.
//
// A batch accepts what ZIP 215 accepts (cofactored verification), a
// superset of crypto/ed25519's verdicts. The two differ only for
// signatures built with small-order components, which only the holder of
// the private key can make valid: for a forger without the key, both
// refuse the same signatures. docs/AUDIT.md says so for auditors.
func (k Keyring) CheckAll(headers []string, hashes []Hash) []error {
	if len(headers) != len(hashes) {
		panic("audit: CheckAll: headers and hashes differ in length")
	}
	errs := make([]error, len(headers))
	type entry struct {
		i   int
		id  string
		pub ed25519.PublicKey
		sig []byte
	}
	entries := make([]entry, 0, len(headers))
	for i, header := range headers {
		id, pub, sig, err := k.signature(header)
		if err != nil {
			errs[i] = err
			continue
		}
		entries = append(entries, entry{i: i, id: id, pub: pub, sig: sig})
	}
	if len(entries) == 0 {
		return errs
	}
	if len(entries) > 1 {
		v := ed25519consensus.NewPreallocatedBatchVerifier(len(entries))
		for _, e := range entries {
			v.Add(e.pub, hashes[e.i][:], e.sig)
		}
		if v.Verify() {
			return errs
		}
	}
	for _, e := range entries {
		if !ed25519.Verify(e.pub, hashes[e.i][:], e.sig) {
			errs[e.i] = invalidSignature(e.id)
		}
	}
	return errs
}

// ---- key files and text forms ----

// GenerateSigningKey writes a fresh Ed25519 private key to path as PEM
// (PKCS #8, "PRIVATE KEY", as written by `openssl genpkey -algorithm
// ed25519`), mode 0600. It refuses to overwrite an existing file.
func GenerateSigningKey(path string) (ed25519.PrivateKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if err := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		_ = f.Close()
		_ = os.Remove(path)
		return nil, err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		_ = os.Remove(path)
		return nil, err
	}
	return priv, f.Close()
}

// ReadSigningKey reads an Ed25519 private key: PEM (PKCS #8 "PRIVATE KEY"),
// the 32-byte seed as raw bytes, or the seed in hex or base64 text.
func ReadSigningKey(path string) (ed25519.PrivateKey, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	priv, err := ParseSigningKey(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return priv, nil
}

// ParseSigningKey parses what ReadSigningKey reads.
func ParseSigningKey(raw []byte) (ed25519.PrivateKey, error) {
	if len(raw) == ed25519.SeedSize {
		return ed25519.NewKeyFromSeed(raw), nil
	}
	if block, _ := pem.Decode(raw); block != nil {
		if block.Type != "PRIVATE KEY" {
			return nil, fmt.Errorf("PEM block %q, want PRIVATE KEY (PKCS #8)", block.Type)
		}
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		priv, ok := k.(ed25519.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("the key is a %T, not Ed25519", k)
		}
		return priv, nil
	}
	if seed, ok := decodeKeyText(string(bytes.TrimSpace(raw)), ed25519.SeedSize); ok {
		return ed25519.NewKeyFromSeed(seed), nil
	}
	return nil, errors.New("not an Ed25519 private key (PEM PKCS #8, or the 32-byte seed raw, hex or base64)")
}

// EncodePublicKey returns the public key in standard base64 of its 32
// bytes (the form of GET /v1/audit/key and the export header).
func EncodePublicKey(pub ed25519.PublicKey) string { return base64.StdEncoding.EncodeToString(pub) }

// PublicKeyPEM returns the public key as PEM ("PUBLIC KEY", PKIX).
func PublicKeyPEM(pub ed25519.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return ""
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// ParsePublicKey parses a public key: PEM ("PUBLIC KEY", PKIX), or the 32
// bytes in base64 (standard or URL alphabet) or hex.
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	s = strings.TrimSpace(s)
	if block, _ := pem.Decode([]byte(s)); block != nil {
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		pub, ok := k.(ed25519.PublicKey)
		if !ok {
			return nil, fmt.Errorf("the key is a %T, not Ed25519", k)
		}
		return pub, nil
	}
	if b, ok := decodeKeyText(s, ed25519.PublicKeySize); ok {
		return ed25519.PublicKey(b), nil
	}
	return nil, errors.New("not an Ed25519 public key (PEM, or 32 bytes in base64 or hex)")
}

func decodeKeyText(s string, size int) ([]byte, bool) {
	if len(s) == 2*size {
		if b, err := hex.DecodeString(s); err == nil {
			return b, true
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == size {
			return b, true
		}
	}
	return nil, false
}

// ParsePublicKeys parses several public keys: PEM blocks, or one key per
// line in base64 or hex. Empty lines and lines starting with # are
// ignored.
func ParsePublicKeys(data string) ([]ed25519.PublicKey, error) {
	var out []ed25519.PublicKey
	var block []string
	for i, line := range strings.Split(data, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case block != nil:
			block = append(block, line)
			if strings.HasPrefix(line, "-----END") {
				pub, err := ParsePublicKey(strings.Join(block, "\n"))
				if err != nil {
					return nil, fmt.Errorf("line %d: %w", i+1, err)
				}
				out = append(out, pub)
				block = nil
			}
		case strings.HasPrefix(line, "-----BEGIN"):
			block = []string{line}
		case line == "" || strings.HasPrefix(line, "#"):
		default:
			pub, err := ParsePublicKey(line)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", i+1, err)
			}
			out = append(out, pub)
		}
	}
	if block != nil {
		return nil, errors.New("unterminated PEM block")
	}
	return out, nil
}
