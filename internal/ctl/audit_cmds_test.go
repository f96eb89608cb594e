package ctl

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ehelse/portfolio/audit"
)

// signedLog builds n signed events on three aggregates, as the event store
// writes them.
func signedLog(key ed25519.PrivateKey, n int) []audit.Event {
	links := map[string]audit.Link{}
	var out []audit.Event
	for i := 1; i <= n; i++ {
		agg := fmt.Sprintf("a%d", i%3)
		last := links[agg]
		prev := ""
		if last.Version > 0 {
			prev = `"prevhash":"` + last.Hash.String() + `",`
		}
		payload := []byte(fmt.Sprintf(`{"specversion":"1.0","id":"E%d","source":"/portfolio","type":"no.ehelse.portfolio.CaseNoted.v1",`+
			`"subject":"case/%s","time":"2026-01-02T03:04:05Z","datacontenttype":"application/json","aggregatetype":"case","aggregateid":"%s",`+
			`"aggregateversion":%d,%s"data":{"i":%d}}`, i, agg, agg, last.Version+1, prev, i))
		h := audit.HashEvent(payload)
		links[agg] = audit.Link{Hash: h, Version: last.Version + 1}
		out = append(out, audit.Event{Position: uint64(i), Subject: "portfolio.events.case." + agg + ".CaseNoted", Payload: payload, Signature: audit.Sign(key, h)})
	}
	return out
}

// serveLog makes the fake serve the log at /v1/audit/events and the key.
func serveLog(f *fake, pub ed25519.PublicKey, evs []audit.Event) {
	f.on("/v1/audit/key", reply{body: fmt.Sprintf(`{"algorithm":"ed25519","keyId":%q,"publicKey":%q}`, audit.KeyID(pub), audit.EncodePublicKey(pub))})
	f.fallback = func(w http.ResponseWriter, r *http.Request, _ []byte) {
		if r.URL.Path != "/v1/audit/events" {
			w.WriteHeader(404)
			return
		}
		after, _ := strconv.ParseUint(r.URL.Query().Get("after"), 10, 64)
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		type ev struct {
			Position  uint64 `json:"position"`
			Subject   string `json:"subject"`
			Raw       []byte `json:"raw"`
			Signature string `json:"signature"`
		}
		var page struct {
			Events []ev   `json:"events"`
			Next   uint64 `json:"next"`
		}
		page.Events, page.Next = []ev{}, after
		for _, e := range evs {
			if e.Position > after && len(page.Events) < limit {
				page.Events = append(page.Events, ev{e.Position, e.Subject, e.Payload, e.Signature})
				page.Next = e.Position
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Position", strconv.Itoa(len(evs)))
		_ = json.NewEncoder(w).Encode(page)
	}
}

func TestAuditExportVerifyOffline(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(nil)
	pub := key.Public().(ed25519.PublicKey)
	evs := signedLog(key, 2500) // three pages
	f := newFake(t)
	serveLog(f, pub, evs)
	dir := t.TempDir()
	export := filepath.Join(dir, "export.jsonl")
	keyFile := filepath.Join(dir, "key.pem")
	if err := os.WriteFile(keyFile, []byte(audit.PublicKeyPEM(pub)), 0o644); err != nil {
		t.Fatal(err)
	}

	r := f.run("audit", "export", "--format", "jsonl", "--out", export)
	if r.code != 0 || !strings.Contains(r.stderr, "exported 2500 events") {
		t.Fatalf("export: %d %q", r.code, r.stderr)
	}
	// To stdout, the same bytes but for the time.
	r = f.run("audit", "export")
	if r.code != 0 || strings.Count(r.stdout, "\n") != 2501 {
		t.Fatalf("export to stdout: %d, %d lines", r.code, strings.Count(r.stdout, "\n"))
	}
	if r := f.run("audit", "export", "--format", "csv"); r.code != ExitUsage {
		t.Fatalf("--format csv: %d", r.code)
	}

	want := audit.NewVerifier(audit.Options{Keys: audit.NewKeyring(pub)})
	for _, e := range evs {
		want.Add(e)
	}
	head := want.Result().Head

	r = runCtl(nil, "", "audit", "verify", "--file", export, "--public-key", keyFile)
	if r.code != 0 || !strings.Contains(r.stdout, "ok:") || !strings.Contains(r.stdout, head) || r.stderr != "" {
		t.Fatalf("verify --file: %d %q %q", r.code, r.stdout, r.stderr)
	}
	// Without a key: the header's, with a warning.
	r = runCtl(nil, "", "audit", "verify", "--file", export)
	if r.code != 0 || !strings.Contains(r.stderr, "warning") {
		t.Fatalf("verify without key: %d %q", r.code, r.stderr)
	}
	// Another key: not intact.
	_, other, _ := ed25519.GenerateKey(nil)
	r = runCtl(nil, "", "audit", "verify", "--file", export, "--public-key", audit.EncodePublicKey(other.Public().(ed25519.PublicKey)))
	if r.code != ExitFailure || !strings.Contains(r.stderr, "first bad event at position 1") {
		t.Fatalf("verify with another key: %d %q", r.code, r.stderr)
	}

	// A digest of the export, then the log grows: still extended.
	digest := filepath.Join(dir, "digest.json")
	r = runCtl(nil, "", "audit", "digest", "--file", export, "--public-key", keyFile, "--out", digest)
	if r.code != 0 {
		t.Fatalf("digest: %d %q", r.code, r.stderr)
	}
	raw, _ := os.ReadFile(digest)
	var d audit.Digest
	if err := json.Unmarshal(raw, &d); err != nil || d.Events != 2500 || d.Head != head || d.CheckpointEvery != 4 || len(d.Checkpoints) != 625 {
		t.Fatalf("digest %s: %v", raw, err)
	}
	more := signedLog(key, 2600) // the same 2500 events and 100 more
	serveLog(f, pub, more)
	bigger := filepath.Join(dir, "bigger.jsonl")
	if r := f.run("audit", "export", "--out", bigger); r.code != 0 {
		t.Fatal(r.stderr)
	}
	r = runCtl(nil, "", "audit", "verify", "--file", bigger, "--public-key", keyFile, "--since", digest)
	if r.code != 0 || !strings.Contains(r.stdout, "since:") || !strings.Contains(r.stdout, "extends") {
		t.Fatalf("verify --since: %d %q %q", r.code, r.stdout, r.stderr)
	}
	// A rewritten line 1000 (re-signed with the key, as its holder could):
	// the export verifies on its own, but not against the digest, which
	// locates it between two checkpoints.
	lines := strings.Split(string(mustRead(t, bigger)), "\n")
	var l audit.Line
	_ = json.Unmarshal([]byte(lines[1000]), &l)
	l.Raw = bytes.Replace(l.Raw, []byte(`"data":{`), []byte(`"data":{"x":1,`), 1)
	l.Hash = audit.HashEvent(l.Raw).String()
	l.Signature = audit.Sign(key, audit.HashEvent(l.Raw))
	b, _ := json.Marshal(l)
	lines[1000] = string(b)
	rewritten := filepath.Join(dir, "rewritten.jsonl")
	_ = os.WriteFile(rewritten, []byte(strings.Join(lines, "\n")), 0o644)
	r = runCtl(nil, "", "audit", "verify", "--file", rewritten, "--public-key", keyFile, "--since", digest, "-o", "json")
	if r.code != ExitFailure {
		t.Fatalf("rewritten: %d %q", r.code, r.stdout)
	}
	var res audit.JSONLResult
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || res.Since == nil || res.Since.DivergedAt == nil ||
		*res.Since.DivergedAt != 1000 || res.Since.AgreedThrough != 996 {
		t.Fatalf("rewritten: %s %v", r.stdout, err)
	}

	// A one-byte change in the export.
	data := mustRead(t, export)
	i := bytes.Index(data, []byte(`"raw":"`)) + 30
	data[i] ^= 0x01
	changed := filepath.Join(dir, "changed.jsonl")
	_ = os.WriteFile(changed, data, 0o644)
	r = runCtl(nil, "", "audit", "verify", "--file", changed, "--public-key", keyFile)
	if r.code != ExitFailure || !strings.Contains(r.stdout, "reason:") {
		t.Fatalf("changed: %d %q %q", r.code, r.stdout, r.stderr)
	}

	// Usage errors.
	for _, args := range [][]string{
		{"audit", "verify", "--since", digest, "--since-head", head, "--since-events", "1"},
		{"audit", "verify", "--since-head", head},
		{"audit", "verify", "--since-head", "xyz", "--since-events", "1"},
		{"audit", "verify", "--public-key", keyFile},
		{"audit", "verify", "--file", filepath.Join(dir, "none.jsonl")},
		{"audit", "verify", "--file", export, "--public-key", "nonsense"},
	} {
		if r := runCtl(nil, "", args...); r.code != ExitUsage {
			t.Errorf("%v: exit %d %q", args, r.code, r.stderr)
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAuditVerifyOnlineSince(t *testing.T) {
	f := newFake(t)
	head := strings.Repeat("a", 64)
	other := strings.Repeat("b", 64)
	d := audit.Digest{Events: 8, Position: 8, Head: head, CheckpointEvery: 2, Checkpoints: []audit.Checkpoint{
		{Events: 2, Position: 2, Head: strings.Repeat("1", 64)}, {Events: 4, Position: 4, Head: strings.Repeat("2", 64)},
		{Events: 6, Position: 6, Head: strings.Repeat("3", 64)}}}
	path := filepath.Join(t.TempDir(), "d.json")
	b, _ := json.Marshal(d)
	_ = os.WriteFile(path, b, 0o644)
	f.fallback = func(w http.ResponseWriter, r *http.Request, _ []byte) {
		q := r.URL.Query()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case q.Get("sinceHead") != "":
			if q.Get("sinceEvents") != "8" || q.Get("sinceHead") != head || (q.Get("sincePosition") != "8" && q.Get("sincePosition") != "") {
				w.WriteHeader(400)
				return
			}
			fmt.Fprintf(w, `{"ok":false,"events":10,"head":%q,"reason":"the log does not extend the saved digest","since":{"ok":false,"events":8,"head":%q,"agreedThrough":0,"divergedAt":8}}`, other, head)
		case q.Get("checkpointEvery") == "2":
			fmt.Fprintf(w, `{"ok":true,"events":10,"head":%q,"checkpointEvery":2,"checkpoints":[{"events":2,"position":2,"head":%q},{"events":4,"position":4,"head":%q},{"events":6,"position":6,"head":%q},{"events":8,"position":8,"head":%q},{"events":10,"position":10,"head":%q}]}`,
				other, strings.Repeat("1", 64), strings.Repeat("2", 64), strings.Repeat("9", 64), other, other)
		default:
			w.WriteHeader(400)
		}
	}
	r := f.run("audit", "verify", "--since", path)
	if r.code != ExitFailure || !strings.Contains(r.stdout, "after position 4, at or before position 6") {
		t.Fatalf("%d %q %q", r.code, r.stdout, r.stderr)
	}
	r = f.run("audit", "verify", "--since-head", head, "--since-events", "8", "-o", "json")
	if r.code != ExitFailure || !strings.Contains(r.stdout, `"divergedAt":8`) {
		t.Fatalf("%d %q %q", r.code, r.stdout, r.stderr)
	}
}
