package daemon

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ehelse/portfolio/audit"
	"github.com/ehelse/portfolio/internal/ctl"
	"github.com/ehelse/portfolio/services"
	"github.com/ehelse/portfolio/services/wire"
)

func startDemo(t *testing.T, cfg Config) *Daemon {
	t.Helper()
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.OpsAddr = "127.0.0.1:0"
	cfg.Demo = true
	cfg.Logger = slog.New(slog.DiscardHandler)
	cfg.Out = io.Discard
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d, err := Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close(context.Background()) })
	return d
}

// getJSON GETs path with token ("" anonymous) into v and returns the status.
func getJSON(t *testing.T, d *Daemon, token, path string, v any) int {
	t.Helper()
	req, _ := http.NewRequest("GET", d.URL()+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode == 200 && v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("%s: %v: %s", path, err, body)
		}
	}
	return res.StatusCode
}

// TestAuditVerifyDemo: GET /v1/audit/verify answers ok on a fresh demo log,
// the key is served, and an export through the API verifies offline.
func TestAuditVerifyDemo(t *testing.T) {
	dir := t.TempDir()
	d := startDemo(t, Config{DataDir: dir})
	auditor := d.Token("riksrevisjonen")
	head, err := d.Store.Head(context.Background())
	if err != nil || head == 0 {
		t.Fatalf("head %d, %v", head, err)
	}

	var v services.VerifyResult
	if st := getJSON(t, d, auditor, "/v1/audit/verify", &v); st != 200 {
		t.Fatalf("verify: %d", st)
	}
	if !v.OK || v.Events != head || v.Position != head || v.FirstBad != nil || v.Bad != 0 || v.KeyID != audit.KeyID(d.PublicKey()) || len(v.Head) != 64 {
		t.Fatalf("verify %+v", v)
	}
	if st := getJSON(t, d, "", "/v1/audit/verify", nil); st == 200 {
		t.Fatal("anonymous may verify")
	}
	if st := getJSON(t, d, d.Token("sekretariat"), "/v1/audit/verify", nil); st != 403 {
		t.Fatalf("secretariat verify: %d", st)
	}

	// The key, to anyone.
	var key wire.AuditKey
	if st := getJSON(t, d, "", "/v1/audit/key", &key); st != 200 {
		t.Fatalf("key: %d", st)
	}
	pub, err := audit.ParsePublicKey(key.PublicKey)
	if err != nil || !pub.Equal(d.PublicKey()) || key.KeyID != v.KeyID || key.Algorithm != "ed25519" {
		t.Fatalf("key %+v %v", key, err)
	}
	if p2, err := audit.ParsePublicKey(key.PublicKeyPEM); err != nil || !p2.Equal(pub) {
		t.Fatalf("pem: %v", err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "signing.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("signing.key: %v %v", fi, err)
	}

	// Since a digest: ok; with another head: diverged at that event.
	var s services.VerifyResult
	getJSON(t, d, auditor, fmt.Sprintf("/v1/audit/verify?sinceEvents=%d&sinceHead=%s", v.Events, v.Head), &s)
	if !s.OK || s.Since == nil || !s.Since.OK {
		t.Fatalf("since %+v", s)
	}
	wrong := strings.Repeat("ab", 32)
	getJSON(t, d, auditor, fmt.Sprintf("/v1/audit/verify?sinceEvents=10&sinceHead=%s", wrong), &s)
	if s.OK || s.Since.OK || s.Since.DivergedAt == nil || *s.Since.DivergedAt != 10 {
		t.Fatalf("since wrong %+v %+v", s, s.Since)
	}
	if st := getJSON(t, d, auditor, "/v1/audit/verify?sinceEvents=10", nil); st != 422 {
		t.Fatalf("sinceEvents alone: %d", st)
	}
	var c services.VerifyResult
	getJSON(t, d, auditor, "/v1/audit/verify?checkpoints=true", &c)
	if c.CheckpointEvery != 1 || uint64(len(c.Checkpoints)) != c.Events || c.Checkpoints[len(c.Checkpoints)-1].Head != c.Head {
		t.Fatalf("checkpoints every %d, %d of %d", c.CheckpointEvery, len(c.Checkpoints), c.Events)
	}

	// An export through GET /v1/audit/events verifies offline.
	var buf bytes.Buffer
	var pageErr error
	_, err = audit.WriteJSONL(&buf, audit.Header{PublicKey: key.PublicKey, KeyID: key.KeyID, ExportedAt: time.Now().UTC().Format(time.RFC3339)},
		func(yield func(audit.Event, error) bool) {
			after := uint64(0)
			for {
				var page wire.AuditEventList
				if st := getJSON(t, d, auditor, "/v1/audit/events?limit=100&after="+url.QueryEscape(fmt.Sprint(after)), &page); st != 200 {
					pageErr = fmt.Errorf("events: %d", st)
					yield(audit.Event{}, pageErr)
					return
				}
				if len(page.Events) == 0 {
					return
				}
				for _, e := range page.Events {
					if e.Hash != audit.HashEvent(e.Raw).String() || !strings.HasPrefix(e.Signature, "ed25519;"+key.KeyID+";") {
						t.Errorf("event %d: hash %s signature %q", e.Position, e.Hash, e.Signature)
					}
					if !yield(audit.Event{Position: e.Position, Subject: e.Subject, Payload: e.Raw, Signature: e.Signature}, nil) {
						return
					}
				}
				after = page.Next
			}
		})
	if err != nil {
		t.Fatal(err)
	}
	r, err := audit.VerifyJSONL(bytes.NewReader(buf.Bytes()), []ed25519.PublicKey{pub}, nil)
	if err != nil || !r.OK || r.Head != v.Head || r.Events != v.Events {
		t.Fatalf("export: %+v %v (online %+v)", r, err, v)
	}

	var metrics bytes.Buffer
	res, err := http.Get(d.OpsURL() + "/metrics")
	if err == nil {
		_, _ = io.Copy(&metrics, res.Body)
		res.Body.Close()
	}
	if !strings.Contains(metrics.String(), "portfolio_projection_rejected_total 0") {
		t.Fatalf("metrics:\n%s", metrics.String())
	}

	// After a restart the same key signs, and the log still verifies.
	if err := d.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	d2 := startDemo(t, Config{DataDir: dir})
	if !d2.PublicKey().Equal(pub) {
		t.Fatal("the signing key changed on restart")
	}
	var v2 services.VerifyResult
	getJSON(t, d2, d2.Token("riksrevisjonen"), "/v1/audit/verify", &v2)
	if !v2.OK || v2.Head != v.Head {
		t.Fatalf("after restart %+v", v2)
	}
}

// TestSigningKeyFlag: --signing-key names a key file that must exist; two
// instances given the same file sign with the same key.
func TestSigningKeyFlag(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "shared.key")
	ctx := context.Background()
	_, err := Start(ctx, Config{DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", SigningKeyFile: keyFile, Logger: slog.New(slog.DiscardHandler), Out: io.Discard})
	if err == nil || !strings.Contains(err.Error(), "signing key") {
		t.Fatalf("a missing --signing-key file: %v", err)
	}
	key, err := audit.GenerateSigningKey(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	d := startDemo(t, Config{SigningKeyFile: keyFile})
	if !d.PublicKey().Equal(key.Public().(ed25519.PublicKey)) {
		t.Fatal("not the given key")
	}
	if _, err := os.Stat(filepath.Join(d.cfg.DataDir, "signing.key")); err == nil {
		t.Fatal("generated a key although one was given")
	}
}

// TestAuditCLI: portfolioctl's audit commands against a running server:
// export, verify offline with the served key, digest, verify --since.
func TestAuditCLI(t *testing.T) {
	d := startDemo(t, Config{})
	dir := t.TempDir()
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := ctl.Main(context.Background(), append([]string{"--server", d.URL(), "--token", d.Token("riksrevisjonen")}, args...), strings.NewReader(""), &out, &errb)
		return code, out.String(), errb.String()
	}
	export := filepath.Join(dir, "export.jsonl")
	if code, _, stderr := run("audit", "export", "--format", "jsonl", "--out", export); code != 0 {
		t.Fatalf("export: %d %s", code, stderr)
	}
	keyFile := filepath.Join(dir, "key.pem")
	if err := os.WriteFile(keyFile, []byte(audit.PublicKeyPEM(d.PublicKey())), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := run("audit", "verify", "--file", export, "--public-key", keyFile)
	if code != 0 || !strings.Contains(stdout, "ok:") {
		t.Fatalf("verify --file: %d %s %s", code, stdout, stderr)
	}
	digest := filepath.Join(dir, "digest.json")
	if code, _, stderr := run("audit", "digest", "--out", digest); code != 0 {
		t.Fatalf("digest: %d %s", code, stderr)
	}
	// More events, then the log still extends the digest, online and offline.
	var res struct {
		Position uint64 `json:"position"`
	}
	body := strings.NewReader(`{"forum":"NUIT","date":"2031-05-05"}`)
	req, _ := http.NewRequest("POST", d.URL()+"/v1/commands/ScheduleMeeting", body)
	req.Header.Set("Authorization", "Bearer "+d.Token("sekretariat"))
	req.Header.Set("Content-Type", "application/json")
	if r, err := http.DefaultClient.Do(req); err != nil || r.StatusCode != 201 {
		t.Fatalf("command: %v %v", r, err)
	} else {
		_ = json.NewDecoder(r.Body).Decode(&res)
		r.Body.Close()
	}
	code, stdout, stderr = run("audit", "verify", "--since", digest)
	if code != 0 || !strings.Contains(stdout, "since:") {
		t.Fatalf("verify --since: %d %s %s", code, stdout, stderr)
	}
	later := filepath.Join(dir, "later.jsonl")
	if code, _, stderr := run("audit", "export", "--out", later); code != 0 {
		t.Fatalf("export: %d %s", code, stderr)
	}
	code, stdout, stderr = run("audit", "verify", "--file", later, "--public-key", keyFile, "--since", digest, "-o", "json")
	var r audit.JSONLResult
	if code != 0 || json.Unmarshal([]byte(stdout), &r) != nil || !r.OK || r.Since == nil || !r.Since.OK || r.Position != res.Position {
		t.Fatalf("verify --file --since: %d %s %s", code, stdout, stderr)
	}
}
