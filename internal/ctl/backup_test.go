package ctl

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ehelse/portfolio/backupfile"
)

// testBackup is a small, whole backup.
func testBackup(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := backupfile.NewWriter(&buf, time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC))
	if err := w.BeginStream(backupfile.Stream{Name: "PORTFOLIO", Role: backupfile.RoleEvents, Messages: 42, FirstSeq: 1, LastSeq: 42}, []byte(`{"config":{},"state":{}}`)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{strings.Repeat("a", 5000), strings.Repeat("b", 300)} {
		if err := w.Chunk([]byte(c)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.EndStream(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(backupfile.Manifest{Product: "test", Audit: backupfile.Audit{OK: true, Events: 42, Position: 42, Head: "abc123", KeyID: "k1"}}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestBackupCommand: the backup is kept only when it checks out; a
// truncated or damaged answer leaves no file (exit 1); a refusal is the
// problem; an existing file needs --force.
func TestBackupCommand(t *testing.T) {
	whole := testBackup(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "x.backup")
	f := newFake(t)
	f.on("GET "+backupPath, reply{contentType: "application/x-tar", body: string(whole)})
	r := f.run("--token", "tok", "backup", file)
	if r.code != 0 || !strings.Contains(r.stdout, "backed up 42 events (positions 1 to 42) of stream PORTFOLIO to "+file) ||
		!strings.Contains(r.stdout, "audit chain ok: 42 events, head abc123, signing key id k1") {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if got, err := os.ReadFile(file); err != nil || !bytes.Equal(got, whole) {
		t.Fatalf("kept file: %v", err)
	}
	if q := f.only(t); q.Method != "GET" || q.Header.Get("Authorization") != "Bearer tok" {
		t.Errorf("request %+v", q)
	}

	// An existing file is a usage error without --force; -o json prints the manifest.
	if r := f.run("--token", "tok", "backup", file); r.code != ExitUsage || !strings.Contains(r.stderr, "--force") {
		t.Errorf("existing file: exit %d, stderr %q", r.code, r.stderr)
	}
	r = f.run("--token", "tok", "backup", "--force", "-o", "json", file)
	var m backupfile.Manifest
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &m) != nil || m.Format != backupfile.Format || m.Audit.Head != "abc123" {
		t.Errorf("-o json: exit %d, stdout %q", r.code, r.stdout)
	}

	flipped := []byte(string(whole))
	flipped[len(flipped)/3] ^= 1
	for name, body := range map[string]string{"truncated": string(whole[:len(whole)/2]), "damaged": string(flipped)} {
		f := newFake(t)
		f.on("GET "+backupPath, reply{contentType: "application/x-tar", body: body})
		target := filepath.Join(dir, name+".backup")
		r := f.run("--token", "tok", "backup", target)
		if r.code != ExitFailure || !strings.Contains(r.stderr, "nothing was kept") {
			t.Errorf("%s: exit %d, stderr %q", name, r.code, r.stderr)
		}
		if _, err := os.Stat(target); err == nil {
			t.Errorf("%s: the file was kept", name)
		}
		if _, err := os.Stat(target + ".partial"); err == nil {
			t.Errorf("%s: the partial file was left", name)
		}
	}

	f = newFake(t)
	f.on("GET "+backupPath, reply{status: 403, contentType: "application/problem+json",
		body: `{"type":"about:blank","title":"Forbidden","status":403,"code":"forbidden","detail":"hso may not run administrative operations"}`})
	r = f.run("--token", "tok", "backup", filepath.Join(dir, "refused.backup"))
	if r.code != ExitFailure || !strings.Contains(r.stderr, "403 forbidden") {
		t.Errorf("refused: exit %d, stderr %q", r.code, r.stderr)
	}
}
