// Package embedded runs the product's NATS server with JetStream inside the
// process (cmd/portfoliod). The event store talks to it over an in-process
// connection; a client listen address, for subscribers in other processes,
// is optional.
//
//	srv, err := embedded.Start(ctx, embedded.Options{DataDir: dir})
//	...
//	defer srv.Shutdown(context.Background())
//	js, _ := srv.JetStream()
//	store, err := eventstore.Open(ctx, js, eventstore.Config{})
//
// Durability: with SyncAlways (the default) the server fsyncs every write
// before it acknowledges it, so an acknowledged Append survives a crash or
// power loss.
package embedded

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// User is a client account of the server: a name, a password (plain text
// or a bcrypt hash "$2a$…") and what it may publish and subscribe to (nil:
// everything).
type User struct {
	Name        string
	Password    string
	Permissions *server.Permissions
}

// Options configure Start.
type Options struct {
	// DataDir is the product's data directory (required). JetStream stores
	// under DataDir/jetstream.
	DataDir string
	// ServerName names the server in logs and monitoring. Default "portfoliod".
	ServerName string
	// ListenAddr is the client listen address "host:port" for subscribers in
	// other processes (port 0: a random port). Empty: in-process only, no
	// network listener at all.
	ListenAddr string
	// SyncAlways makes JetStream fsync every write before acknowledging it.
	// nil means true.
	SyncAlways *bool
	// Users are the accounts network clients log in with. When set, the
	// server requires authentication, and Start adds an internal user with
	// a random password for the in-process connection. Empty: no
	// authentication (only sensible without ListenAddr or on loopback).
	Users []User
	// MaxStore and MaxMemory limit JetStream's file and memory storage in
	// bytes; 0 leaves the server's defaults.
	MaxStore  int64
	MaxMemory int64
	// Logger receives the server's log; nil: no server log.
	Logger server.Logger
	// Debug and Trace turn on the server's debug and protocol trace logging
	// (with Logger).
	Debug, Trace bool
	// ReadyTimeout bounds the wait for the server to accept connections
	// when ctx has no deadline. Default 10 s.
	ReadyTimeout time.Duration
}

// Server is a running embedded server and the product's in-process
// connection to it.
type Server struct {
	NATS *server.Server
	Conn *nats.Conn
}

const internalUser = "_portfoliod"

// InboxPrefix is the reply-subject prefix of the in-process connection.
// Subscribing services may subscribe to _INBOX.> (their clients' default
// inbox); the product's own requests (to its KV buckets, the stream) get
// their replies under another prefix, so a subscriber cannot listen in on
// them.
const InboxPrefix = "_PORTFOLIOD_INBOX"

// Start starts the server, waits until it accepts connections and connects
// to it in-process. On error nothing is left running.
func Start(ctx context.Context, o Options) (*Server, error) {
	if o.DataDir == "" {
		return nil, errors.New("embedded: DataDir is required")
	}
	so := &server.Options{
		ServerName: o.ServerName,
		JetStream:  true,
		StoreDir:   filepath.Join(o.DataDir, "jetstream"),
		SyncAlways: o.SyncAlways == nil || *o.SyncAlways,
		NoSigs:     true,
		NoLog:      o.Logger == nil,
		Debug:      o.Debug,
		Trace:      o.Trace,
	}
	if so.ServerName == "" {
		so.ServerName = "portfoliod"
	}
	if o.MaxStore > 0 {
		so.JetStreamMaxStore = o.MaxStore
	}
	if o.MaxMemory > 0 {
		so.JetStreamMaxMemory = o.MaxMemory
	}
	if o.ListenAddr == "" {
		so.DontListen = true
	} else {
		host, port, err := net.SplitHostPort(o.ListenAddr)
		if err != nil {
			return nil, fmt.Errorf("embedded: listen address %q: %w", o.ListenAddr, err)
		}
		p, err := strconv.Atoi(port)
		if err != nil || p < 0 || p > 65535 {
			return nil, fmt.Errorf("embedded: listen address %q: bad port", o.ListenAddr)
		}
		if p == 0 {
			p = server.RANDOM_PORT
		} else if err := probeListen(o.ListenAddr); err != nil {
			return nil, err
		}
		so.Host, so.Port = host, p
	}
	var connOpts []nats.Option
	if len(o.Users) > 0 {
		pw, err := randomPassword()
		if err != nil {
			return nil, err
		}
		so.Users = append(so.Users, &server.User{Username: internalUser, Password: pw})
		for _, u := range o.Users {
			if u.Name == "" || u.Name == internalUser {
				return nil, fmt.Errorf("embedded: invalid user name %q", u.Name)
			}
			so.Users = append(so.Users, &server.User{Username: u.Name, Password: u.Password, Permissions: u.Permissions})
		}
		connOpts = append(connOpts, nats.UserInfo(internalUser, pw))
	}

	ns, err := server.NewServer(so)
	if err != nil {
		return nil, fmt.Errorf("embedded: %w", err)
	}
	// The server reports a failed listen only through its logger's Fatalf
	// (and otherwise never becomes ready); fl catches it so that Start
	// fails at once instead of after the ready timeout.
	fl := &fatalLogger{inner: o.Logger, fatal: make(chan string, 1)}
	ns.SetLoggerV2(fl, o.Debug, o.Trace, false)
	go ns.Start()

	wait := o.ReadyTimeout
	if wait <= 0 {
		wait = 10 * time.Second
	}
	if dl, ok := ctx.Deadline(); ok {
		wait = time.Until(dl)
	}
	if err := waitReady(ctx, ns, fl.fatal, wait); err != nil {
		ns.Shutdown()
		ns.WaitForShutdown()
		return nil, err
	}

	connOpts = append(connOpts,
		nats.InProcessServer(ns),
		nats.CustomInboxPrefix(InboxPrefix),
		nats.Name(so.ServerName+"-inprocess"),
		nats.NoReconnect(),
	)
	nc, err := nats.Connect("", connOpts...)
	if err != nil {
		ns.Shutdown()
		ns.WaitForShutdown()
		return nil, fmt.Errorf("embedded: in-process connection: %w", err)
	}
	return &Server{NATS: ns, Conn: nc}, nil
}

// ErrListen is the error of a Start whose client listen address cannot be
// listened on (typically: the address is in use).
var ErrListen = errors.New("embedded: cannot listen")

// probeListen listens on addr and closes the listener again: an address
// in use fails here, before the server and its JetStream store start.
func probeListen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("%w on %s: %w", ErrListen, addr, err)
	}
	if err := ln.Close(); err != nil {
		return fmt.Errorf("%w on %s: %w", ErrListen, addr, err)
	}
	return nil
}

// readyPoll is how often waitReady looks at the server between checks for
// a fatal error.
const readyPoll = 50 * time.Millisecond

// waitReady waits until ns accepts connections, a fatal error arrives on
// fatal, ctx ends or wait has passed.
func waitReady(ctx context.Context, ns *server.Server, fatal <-chan string, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		if ns.ReadyForConnections(min(readyPoll, max(time.Until(deadline), time.Millisecond))) {
			return nil
		}
		select {
		case msg := <-fatal:
			if strings.Contains(msg, "listening") {
				return fmt.Errorf("%w: %s", ErrListen, msg)
			}
			return fmt.Errorf("embedded: %s", msg)
		default:
		}
		if ctx.Err() != nil {
			return fmt.Errorf("embedded: server not ready: %w", ctx.Err())
		}
		if !time.Now().Before(deadline) {
			return fmt.Errorf("embedded: server not ready after %s", wait)
		}
	}
}

// fatalLogger passes the server's log to inner (nil: nowhere) and turns
// its Fatalf, which would end the process with a process-wide logger,
// into a message on fatal and an error log line.
type fatalLogger struct {
	inner server.Logger
	fatal chan string
}

func (l *fatalLogger) Noticef(format string, v ...any) {
	if l.inner != nil {
		l.inner.Noticef(format, v...)
	}
}

func (l *fatalLogger) Warnf(format string, v ...any) {
	if l.inner != nil {
		l.inner.Warnf(format, v...)
	}
}

func (l *fatalLogger) Errorf(format string, v ...any) {
	if l.inner != nil {
		l.inner.Errorf(format, v...)
	}
}

func (l *fatalLogger) Debugf(format string, v ...any) {
	if l.inner != nil {
		l.inner.Debugf(format, v...)
	}
}

func (l *fatalLogger) Tracef(format string, v ...any) {
	if l.inner != nil {
		l.inner.Tracef(format, v...)
	}
}

func (l *fatalLogger) Fatalf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	select {
	case l.fatal <- msg:
	default:
	}
	if l.inner != nil {
		l.inner.Errorf(format, v...)
	}
}

func randomPassword() (string, error) {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("embedded: random password: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// JetStream returns a JetStream context on the in-process connection.
func (s *Server) JetStream(opts ...jetstream.JetStreamOpt) (jetstream.JetStream, error) {
	return jetstream.New(s.Conn, opts...)
}

// ClientURL returns the URL network clients connect to, "" when the server
// runs without a listener.
func (s *Server) ClientURL() string {
	if s.NATS.Addr() == nil {
		return ""
	}
	return s.NATS.ClientURL()
}

// Shutdown drains the in-process connection (pending publishes and
// subscriptions finish), then stops the server and waits until its store
// is closed. If ctx ends first, it stops the server anyway and returns
// ctx.Err().
func (s *Server) Shutdown(ctx context.Context) error {
	var errs []error
	if s.Conn != nil && !s.Conn.IsClosed() {
		closed := make(chan struct{})
		s.Conn.SetClosedHandler(func(*nats.Conn) { close(closed) })
		if err := s.Conn.Drain(); err != nil {
			s.Conn.Close()
		} else {
			select {
			case <-closed:
			case <-ctx.Done():
				s.Conn.Close()
				errs = append(errs, ctx.Err())
			}
		}
	}
	s.NATS.Shutdown()
	done := make(chan struct{})
	go func() { s.NATS.WaitForShutdown(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		if len(errs) == 0 {
			errs = append(errs, ctx.Err())
		}
	}
	return errors.Join(errs...)
}
