package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The portfoliod binary is built once per test binary run.
var (
	buildOnce sync.Once
	buildDir  string
	binPath   string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// portfoliod returns the path of a freshly built cmd/portfoliod.
func portfoliod(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		goBin, err := exec.LookPath("go")
		if err != nil {
			buildErr = fmt.Errorf("no go command: %w", err)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, goBin, "env", "GOMOD").Output()
		if err != nil {
			buildErr = fmt.Errorf("go env GOMOD: %w", err)
			return
		}
		gomod := strings.TrimSpace(string(out))
		if gomod == "" || gomod == os.DevNull {
			buildErr = errors.New("not inside the module")
			return
		}
		buildDir, err = os.MkdirTemp("", "faults-portfoliod-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(buildDir, "portfoliod")
		cmd := exec.CommandContext(ctx, goBin, "build", "-o", binPath, "./cmd/portfoliod")
		cmd.Dir = filepath.Dir(gomod)
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/portfoliod: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// proc is portfoliod running as a child process.
type proc struct {
	cmd     *exec.Cmd
	url     string
	logPath string
	exited  chan struct{}
	waitErr error
}

// servingWriter receives the process's stdout, copies it into the log and
// reports the "portfoliod: serving URL (tokens: PATH)" line.
type servingWriter struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	log     *os.File
	serving chan string
	sent    bool
}

func (w *servingWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	_, _ = w.log.Write(p)
	w.buf.Write(p)
	for {
		line, err := w.buf.ReadString('\n')
		if err != nil {
			// An incomplete line: keep it for the next write.
			rest := line
			w.buf.Reset()
			w.buf.WriteString(rest)
			break
		}
		if f := strings.Fields(line); !w.sent && len(f) >= 3 && f[0] == "portfoliod:" && f[1] == "serving" {
			w.sent = true
			w.serving <- f[2]
		}
	}
	return len(p), nil
}

// startProc starts portfoliod on dataDir with HTTP on a random loopback port
// and no NATS listener, and waits for its "serving" line. Its stdout and
// stderr go to logPath (appended). The process is killed by t.Cleanup if
// it is still running.
func startProc(t *testing.T, bin, dataDir, logPath string, args ...string) *proc {
	t.Helper()
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(logf, "==== start %s %s\n", time.Now().Format(time.RFC3339Nano), strings.Join(args, " "))
	all := append([]string{"--data", dataDir, "--http", "127.0.0.1:0", "--ops-listen", "127.0.0.1:0", "--nats-listen", "", "--sync", "always", "--log-level", "warn"}, args...)
	cmd := exec.Command(bin, all...)
	// The environment may carry PORTFOLIO_* settings of the person running
	// the tests; they must not change the process under test.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PORTFOLIO_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	sw := &servingWriter{log: logf, serving: make(chan string, 1)}
	cmd.Stdout = sw
	cmd.Stderr = logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		t.Fatalf("start portfoliod: %v", err)
	}
	p := &proc{cmd: cmd, logPath: logPath, exited: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		logf.Close()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = cmd.Process.Kill()
			<-p.exited
		}
	})
	select {
	case p.url = <-sw.serving:
	case <-p.exited:
		t.Fatalf("portfoliod exited before serving (%v); log:\n%s", p.waitErr, tail(logPath, 30))
	case <-time.After(90 * time.Second):
		t.Fatalf("portfoliod did not print its serving line within 90 s; log:\n%s", tail(logPath, 30))
	}
	return p
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *proc) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("SIGKILL: %v", err)
	}
	select {
	case <-p.exited:
	case <-time.After(20 * time.Second):
		t.Fatal("portfoliod did not die within 20 s of SIGKILL")
	}
}

// stop sends SIGTERM and expects a clean exit within 30 s.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case <-p.exited:
		if p.waitErr != nil {
			t.Errorf("portfoliod exited with %v after SIGTERM; log:\n%s", p.waitErr, tail(p.logPath, 20))
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("portfoliod did not stop within 30 s of SIGTERM; log:\n%s", tail(p.logPath, 20))
	}
}

// readTokens reads the token file portfoliod wrote into the data directory.
func readTokens(t *testing.T, dataDir string) map[string]string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dataDir, "tokens.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Tokens []struct {
			Name  string `json:"name"`
			Token string `json:"token"`
		} `json:"tokens"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range f.Tokens {
		out[e.Name] = e.Token
	}
	if out["sekretariat"] == "" || out["riksrevisjonen"] == "" {
		t.Fatalf("token file has no sekretariat or riksrevisjonen token: %s", raw)
	}
	return out
}
