package natstest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The nats-server binary is built once per version of the nats-server/v2
// dependency, into a directory of the system's temporary directory that
// later test runs reuse.
var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// ServerBinary returns the path of a nats-server binary built from the
// module's nats-server/v2 dependency (the version the product embeds). The
// test's working directory must be inside the module (it is, under go
// test).
func ServerBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() { binPath, buildErr = buildServer() })
	if buildErr != nil {
		t.Fatalf("natstest: %v", buildErr)
	}
	return binPath
}

func buildServer() (string, error) {
	version := "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/nats-io/nats-server/v2" {
				version = d.Version
				if d.Replace != nil {
					version = "replaced" // never reuse a build of a replaced module
				}
			}
		}
	}
	dir := filepath.Join(os.TempDir(), "natstest-nats-server")
	path := filepath.Join(dir, "nats-server-"+version)
	if _, err := os.Stat(path); err == nil && version != "unknown" && version != "replaced" {
		return path, nil
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("no go command: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	// Built under a name of its own and renamed: test binaries running
	// in parallel never see half a file.
	tmp, err := os.CreateTemp(dir, "build-*")
	if err != nil {
		return "", err
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, "build", "-o", tmp.Name(), "github.com/nats-io/nats-server/v2")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build nats-server: %v\n%s", err, out)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", err
	}
	return path, nil
}

// ProcessCluster is a JetStream cluster of nats-server processes on
// 127.0.0.1 — what an external cluster is — so that a node can be killed
// as a crash kills it (SIGKILL: no leadership handed over, no goodbye to
// clients or peers), which an in-process server's Shutdown cannot do.
// Every node keeps its ports across restarts.
type ProcessCluster struct {
	t     testing.TB
	Name  string
	bin   string
	Nodes []*Node
}

// Node is one nats-server process of a ProcessCluster.
type Node struct {
	Name       string // server name, "S-1" …
	ClientPort int
	HTTPPort   int // monitoring
	dir        string
	conf       string
	log        string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when the process has exited
}

// ClientURL is the node's client URL (also while it is down).
func (n *Node) ClientURL() string { return fmt.Sprintf("nats://127.0.0.1:%d", n.ClientPort) }

// Running reports whether the node's process is running.
func (n *Node) Running() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.exited == nil {
		return false
	}
	select {
	case <-n.exited:
		return false
	default:
		return true
	}
}

// LogTail returns the last lines of the node's log, for failure messages.
func (n *Node) LogTail(lines int) string {
	data, err := os.ReadFile(n.log)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	ls := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(ls) > lines {
		ls = ls[len(ls)-lines:]
	}
	return strings.Join(ls, "\n")
}

// RunProcessCluster starts an n-node JetStream cluster of nats-server
// processes (SyncAlways, stores under t.TempDir()) and waits until it is
// ready (WaitReady). The processes are killed by t.Cleanup.
func RunProcessCluster(t testing.TB, n int) *ProcessCluster {
	t.Helper()
	if n < 1 {
		t.Fatalf("natstest: cluster of %d", n)
	}
	c := &ProcessCluster{t: t, Name: "natstest", bin: ServerBinary(t)}
	ports := freePorts(t, 3*n)
	routes := make([]string, n)
	for i := range n {
		routes[i] = fmt.Sprintf("nats-route://127.0.0.1:%d", ports[3*i+2])
	}
	base := t.TempDir()
	for i := range n {
		nd := &Node{Name: fmt.Sprintf("S-%d", i+1), ClientPort: ports[3*i], HTTPPort: ports[3*i+1],
			dir: filepath.Join(base, fmt.Sprintf("s%d", i+1))}
		if err := os.MkdirAll(nd.dir, 0o755); err != nil {
			t.Fatal(err)
		}
		nd.conf, nd.log = filepath.Join(nd.dir, "server.conf"), filepath.Join(nd.dir, "server.log")
		conf := fmt.Sprintf(`server_name: %q
listen: "127.0.0.1:%d"
http: "127.0.0.1:%d"
jetstream {
  store_dir: %q
  max_memory_store: 64MB
  max_file_store: 1GB
  sync_interval: always
}
cluster {
  name: %q
  listen: "127.0.0.1:%d"
  routes: [%s]
}
`, nd.Name, nd.ClientPort, nd.HTTPPort, filepath.Join(nd.dir, "js"), c.Name, ports[3*i+2], strings.Join(routes, ", "))
		if err := os.WriteFile(nd.conf, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		c.Nodes = append(c.Nodes, nd)
	}
	t.Cleanup(func() {
		for i := range c.Nodes {
			c.Kill(i)
		}
	})
	for i := range c.Nodes {
		c.Restart(i)
	}
	if err := c.WaitReady(60 * time.Second); err != nil {
		t.Fatal(err)
	}
	return c
}

// URL is every node's client URL, comma-separated, for nats.Connect
// (ports are kept across restarts, so a client may come back to a node).
func (c *ProcessCluster) URL() string {
	urls := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		urls[i] = n.ClientURL()
	}
	return strings.Join(urls, ",")
}

// Index returns the index of the node named name (a server name, as in
// stream and consumer cluster info), or -1.
func (c *ProcessCluster) Index(name string) int {
	for i, n := range c.Nodes {
		if n.Name == name {
			return i
		}
	}
	return -1
}

// Kill kills node i with SIGKILL and waits until it has exited. Its
// store stays for Restart. Killing a stopped node does nothing.
func (c *ProcessCluster) Kill(i int) {
	n := c.Nodes[i]
	n.mu.Lock()
	cmd, exited := n.cmd, n.exited
	n.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-exited
}

// Restart starts node i (again) with its configuration and store, and
// waits until it accepts client connections (not until it is current:
// see WaitReady).
func (c *ProcessCluster) Restart(i int) {
	c.t.Helper()
	n := c.Nodes[i]
	if n.Running() {
		c.t.Fatalf("natstest: %s is running", n.Name)
	}
	logf, err := os.OpenFile(n.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		c.t.Fatal(err)
	}
	cmd := exec.Command(c.bin, "-c", n.conf)
	cmd.Stdout, cmd.Stderr = logf, logf
	dieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		logf.Close()
		c.t.Fatalf("natstest: start %s: %v", n.Name, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(exited)
	}()
	n.mu.Lock()
	n.cmd, n.exited = cmd, exited
	n.mu.Unlock()
	// Started: its monitoring endpoint answers (polled: a process
	// announces nothing).
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := c.get(n, "/varz"); err == nil {
			return
		}
		select {
		case <-exited:
			c.t.Fatalf("natstest: %s exited at start:\n%s", n.Name, n.LogTail(20))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("natstest: %s not started after 10s:\n%s", n.Name, n.LogTail(20))
		}
	}
}

var monitorClient = &http.Client{Timeout: 2 * time.Second}

// get fetches a monitoring endpoint of n and returns its status code.
func (c *ProcessCluster) get(n *Node, path string) (int, error) {
	resp, err := monitorClient.Get(fmt.Sprintf("http://127.0.0.1:%d%s", n.HTTPPort, path))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	return resp.StatusCode, nil
}

// MetaLeader returns the name of the meta leader as node i sees it ("" if
// it knows none or does not answer).
func (c *ProcessCluster) MetaLeader(i int) string {
	resp, err := monitorClient.Get(fmt.Sprintf("http://127.0.0.1:%d/jsz", c.Nodes[i].HTTPPort))
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var jsz struct {
		Meta *struct {
			Leader string `json:"leader"`
		} `json:"meta_cluster"`
	}
	if json.NewDecoder(resp.Body).Decode(&jsz) != nil || jsz.Meta == nil {
		return ""
	}
	return jsz.Meta.Leader
}

// WaitReady waits until every running node reports itself healthy
// (/healthz: JetStream enabled and current, with every stream and
// consumer it holds caught up) and all agree on a meta leader.
func (c *ProcessCluster) WaitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last string
	for {
		last = c.notReady()
		if last == "" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("natstest: cluster %s not ready after %s: %s", c.Name, timeout, last)
		}
		// nats-server announces nothing to wait on: poll, as its own
		// health checks are meant to be.
		time.Sleep(50 * time.Millisecond)
	}
}

// notReady says why the cluster is not ready, "" when it is.
func (c *ProcessCluster) notReady() string {
	leader := ""
	for i, n := range c.Nodes {
		if !n.Running() {
			continue
		}
		code, err := c.get(n, "/healthz")
		if err != nil {
			return fmt.Sprintf("%s: %v", n.Name, err)
		}
		if code != http.StatusOK {
			return fmt.Sprintf("%s: /healthz %d", n.Name, code)
		}
		l := c.MetaLeader(i)
		if l == "" {
			return n.Name + ": no meta leader"
		}
		if leader != "" && l != leader {
			return fmt.Sprintf("meta leader %s or %s", leader, l)
		}
		leader = l
	}
	if leader == "" {
		return "no node running"
	}
	return ""
}
