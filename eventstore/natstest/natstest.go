// Package natstest starts embedded NATS servers with JetStream for tests:
// a single server (RunServer) or an in-process three-node cluster
// (RunCluster). Everything listens on 127.0.0.1 with random ports, stores
// under t.TempDir(), fsyncs every write (SyncAlways) and is shut down by
// t.Cleanup.
//
// It is an ordinary (non-test) package so that tests in any package can
// import it:
//
//	_, nc, js := natstest.RunServer(t)
//	store, err := eventstore.Open(ctx, js, eventstore.Config{})
package natstest

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Option changes the server options before a server starts.
type Option func(*server.Options)

// WithSyncAlways sets whether JetStream fsyncs every write (default true).
func WithSyncAlways(on bool) Option { return func(o *server.Options) { o.SyncAlways = on } }

// WithLogging turns the server's log on (to stderr), for debugging a test.
func WithLogging() Option { return func(o *server.Options) { o.NoLog = false } }

// ServerOptions returns the base options: loopback, random client port,
// JetStream storing in storeDir, SyncAlways, no logging, no signals.
func ServerOptions(storeDir string) *server.Options {
	return &server.Options{
		Host:               "127.0.0.1",
		Port:               -1,
		NoLog:              true,
		NoSigs:             true,
		JetStream:          true,
		StoreDir:           storeDir,
		SyncAlways:         true,
		JetStreamMaxMemory: 64 << 20,
		JetStreamMaxStore:  1 << 30,
	}
}

// Connect opens a client connection to url (a comma-separated list is fine)
// that reconnects forever with short waits, and its JetStream context. The
// connection is closed by t.Cleanup.
func Connect(t testing.TB, url string, opts ...nats.Option) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	all := append([]nats.Option{
		nats.MaxReconnects(-1),
		nats.ReconnectWait(50 * time.Millisecond),
		nats.ReconnectJitter(0, 0),
		nats.Timeout(2 * time.Second),
	}, opts...)
	nc, err := nats.Connect(url, all...)
	if err != nil {
		t.Fatalf("natstest: connect %s: %v", url, err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("natstest: jetstream: %v", err)
	}
	return nc, js
}

// RunServer starts a single JetStream server and returns it with a
// connected client and its JetStream context. All are shut down by
// t.Cleanup.
func RunServer(t testing.TB, opts ...Option) (*server.Server, *nats.Conn, jetstream.JetStream) {
	t.Helper()
	o := ServerOptions(t.TempDir())
	o.ServerName = "natstest"
	for _, f := range opts {
		f(o)
	}
	s := start(t, o)
	nc, js := Connect(t, s.ClientURL())
	return s, nc, js
}

func start(t testing.TB, o *server.Options) *server.Server {
	t.Helper()
	s, err := server.NewServer(o)
	if err != nil {
		t.Fatalf("natstest: new server: %v", err)
	}
	if !o.NoLog {
		s.ConfigureLogger()
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		t.Fatalf("natstest: server %s not ready", o.ServerName)
	}
	t.Cleanup(func() {
		s.Shutdown()
		s.WaitForShutdown()
	})
	return s
}

// Cluster is an in-process JetStream cluster on loopback.
type Cluster struct {
	t       testing.TB
	Name    string
	Servers []*server.Server
	opts    []*server.Options
}

// RunCluster starts an n-node JetStream cluster (n >= 3 for R3 streams) on
// 127.0.0.1 with random ports and waits until it has a meta leader and
// every node is current. The servers are shut down by t.Cleanup.
//
// Cluster formation needs a raft election, which takes the server's
// default election timeout (4-9 s).
func RunCluster(t testing.TB, n int, opts ...Option) *Cluster {
	t.Helper()
	if n < 1 {
		t.Fatalf("natstest: cluster of %d", n)
	}
	ports := freePorts(t, n)
	routes := make([]string, n)
	for i, p := range ports {
		routes[i] = fmt.Sprintf("nats-route://127.0.0.1:%d", p)
	}
	c := &Cluster{t: t, Name: "natstest"}
	for i := range n {
		o := ServerOptions(t.TempDir())
		o.ServerName = fmt.Sprintf("S-%d", i+1)
		o.Cluster = server.ClusterOpts{Name: c.Name, Host: "127.0.0.1", Port: ports[i]}
		o.Routes = server.RoutesFromStr(strings.Join(routes, ","))
		for _, f := range opts {
			f(o)
		}
		c.opts = append(c.opts, o)
		c.Servers = append(c.Servers, start(t, o))
	}
	c.WaitReady(60 * time.Second)
	return c
}

// freePorts finds n free TCP ports on 127.0.0.1 by listening on port 0.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	ports := make([]int, n)
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("natstest: free port: %v", err)
		}
		ls = append(ls, l)
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	return ports
}

// WaitReady waits until the running servers have a meta leader that sees
// every server as a peer and every running server is current.
func (c *Cluster) WaitReady(timeout time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if l := c.MetaLeader(); l != nil && len(l.JetStreamClusterPeers()) == len(c.Servers) {
			current := true
			for _, s := range c.Servers {
				if s.Running() && !s.JetStreamIsCurrent() {
					current = false
				}
			}
			if current {
				return
			}
		}
		// nats-server announces no leader election to wait on: poll
		time.Sleep(20 * time.Millisecond)
	}
	c.t.Fatalf("natstest: cluster %s has no meta leader after %s", c.Name, timeout)
}

// MetaLeader returns the running server that is the JetStream meta leader,
// or nil.
func (c *Cluster) MetaLeader() *server.Server {
	for _, s := range c.Servers {
		if s.Running() && s.JetStreamIsLeader() {
			return s
		}
	}
	return nil
}

// StreamLeader returns the index of the running server that leads stream
// (in the global account), or -1.
func (c *Cluster) StreamLeader(stream string) int {
	for i, s := range c.Servers {
		if s.Running() && s.JetStreamIsStreamLeader(server.DEFAULT_GLOBAL_ACCOUNT, stream) {
			return i
		}
	}
	return -1
}

// WaitStreamLeader waits up to timeout for stream to have a leader and
// returns its index, or -1.
func (c *Cluster) WaitStreamLeader(stream string, timeout time.Duration) int {
	deadline := time.Now().Add(timeout)
	for {
		if i := c.StreamLeader(stream); i >= 0 || time.Now().After(deadline) {
			return i
		}
		time.Sleep(20 * time.Millisecond) // nothing announces a stream leader election: poll
	}
}

// ClientURLs returns the client URLs of the running servers.
func (c *Cluster) ClientURLs() []string {
	var urls []string
	for _, s := range c.Servers {
		if s.Running() {
			urls = append(urls, s.ClientURL())
		}
	}
	return urls
}

// URL returns the client URLs of the running servers, comma-separated, for
// nats.Connect.
func (c *Cluster) URL() string { return strings.Join(c.ClientURLs(), ",") }

// Connect opens a client connection to all running servers (see Connect).
func (c *Cluster) Connect(t testing.TB, opts ...nats.Option) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	return Connect(t, c.URL(), opts...)
}

// Stop shuts server i down and waits until it has stopped. Its store stays,
// so Restart can bring it back.
func (c *Cluster) Stop(i int) {
	c.Servers[i].Shutdown()
	c.Servers[i].WaitForShutdown()
}

// Restart starts server i again with its options and store. Its client
// port is new (the options ask for a random one).
func (c *Cluster) Restart(i int) *server.Server {
	c.t.Helper()
	o := c.opts[i].Clone()
	c.Servers[i] = start(c.t, o)
	return c.Servers[i]
}
