package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ehelse/portfolio/internal/daemon"
)

// TestRestoreSubcommand: portfoliod restore --from builds a data
// directory a server then starts on, serving /metrics only on the
// operations listener; wrong flags and a non-empty directory are refused.
func TestRestoreSubcommand(t *testing.T) {
	getenv := func(string) string { return "" }
	var out, errb bytes.Buffer
	if err := runArgs(context.Background(), []string{"restore", "--data", t.TempDir()}, getenv, &out, &errb); err == nil || !strings.Contains(err.Error(), "exactly one of --from and --from-export") {
		t.Errorf("no source: %v", err)
	}
	empty := t.TempDir()
	if err := runArgs(context.Background(), []string{"restore", "--from", "x.backup", "--data", empty, "--memory-limit", "5MB"}, getenv, &out, &errb); err == nil || !strings.Contains(err.Error(), "--memory-limit") {
		t.Errorf("a bad --memory-limit: %v", err)
	}
	if entries, err := os.ReadDir(empty); err != nil || len(entries) != 0 {
		t.Errorf("a refused restore wrote %v (%v)", entries, err)
	}

	src := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d, err := daemon.Start(ctx, daemon.Config{DataDir: src, HTTPAddr: "127.0.0.1:0", Demo: true, SyncAlways: true,
		Logger: slog.New(slog.DiscardHandler), Out: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "b.backup")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Backup(ctx, "test", f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}

	if err := runArgs(ctx, []string{"restore", "--from", file, "--data", src}, getenv, &out, &errb); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("into a non-empty directory: %v", err)
	}
	dir := filepath.Join(t.TempDir(), "restored")
	out.Reset()
	if err := runArgs(ctx, []string{"restore", "--quiet", "--from", file, "--data", dir}, getenv, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "portfoliod: restored ") || !strings.Contains(out.String(), "audit chain ok: ") {
		t.Fatalf("stdout %q", out.String())
	}

	// A normal start on it, with the key and tokens of the source.
	runCtx, stop := context.WithCancel(ctx)
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- runArgs(runCtx, []string{"--data", dir, "--http", "127.0.0.1:0", "--ops-listen", "127.0.0.1:0", "--nats-listen", "",
			"--signing-key", filepath.Join(src, "signing.key"), "--auth", filepath.Join(src, "tokens.json"), "--demo=false", "--log-level", "error"},
			getenv, pw, io.Discard)
		pw.Close()
	}()
	var serving, metrics string
	buf := make([]byte, 4096)
	var got strings.Builder
	for serving == "" || metrics == "" {
		n, err := pr.Read(buf)
		if err != nil {
			t.Fatalf("portfoliod stopped: %v %v\n%s", err, <-done, got.String())
		}
		got.Write(buf[:n])
		for _, line := range strings.Split(got.String(), "\n") {
			if f := strings.Fields(line); len(f) >= 3 && f[1] == "serving" {
				serving = f[2]
			} else if len(f) >= 4 && f[1] == "metrics" {
				metrics = f[3]
			}
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	for url, want := range map[string]int{serving + "/metrics": 404, metrics: 200, serving + "/healthz": 200} {
		res, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", url, res.StatusCode, want)
		}
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
