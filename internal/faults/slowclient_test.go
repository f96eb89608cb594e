package faults

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ehelse/portfolio/internal/daemon"
	"github.com/ehelse/portfolio/services/httpapi"
)

// TestSlowClients starts a daemon (embedded NATS) and attacks its HTTP
// server with stuck clients while ordinary clients keep using it:
//
//   - slowloris: headers sent one byte at a time; the server must close
//     the connection at its ReadHeaderTimeout;
//   - silent: a connection that sends nothing; closed at ReadHeaderTimeout;
//   - slow body: complete headers of a valid command, then the body one
//     byte at a time; the server must stop reading at its ReadTimeout
//     (answering 400 or closing), and the command must not run.
//
// Meanwhile health checks, queries and commands from ordinary clients are
// answered promptly. The limits are the values httpapi.NewHTTPServer
// configures (the daemon serves with that server); the test measures the
// cut-off against them, so it takes as long as the longer of the two
// (30 s with the current settings) and runs in parallel with the kill -9
// suite.
func TestSlowClients(t *testing.T) {
	cfg := httpapi.NewHTTPServer("127.0.0.1:0", http.NotFoundHandler())
	rht, rt := cfg.ReadHeaderTimeout, cfg.ReadTimeout
	t.Logf("configured: ReadHeaderTimeout %s, ReadTimeout %s, WriteTimeout %s, IdleTimeout %s, MaxHeaderBytes %d",
		rht, rt, cfg.WriteTimeout, cfg.IdleTimeout, cfg.MaxHeaderBytes)
	switch {
	case rht <= 0:
		t.Fatal("httpapi.NewHTTPServer sets no ReadHeaderTimeout: a slowloris client holds a connection forever")
	case rt <= 0:
		t.Fatal("httpapi.NewHTTPServer sets no ReadTimeout: a slow body holds a connection forever")
	case cfg.WriteTimeout <= 0 || cfg.IdleTimeout <= 0 || cfg.MaxHeaderBytes <= 0:
		t.Error("httpapi.NewHTTPServer leaves WriteTimeout, IdleTimeout or MaxHeaderBytes unset")
	case rht > rt:
		t.Errorf("ReadHeaderTimeout %s is longer than ReadTimeout %s", rht, rt)
	}
	if rt > 45*time.Second || rht > 30*time.Second {
		t.Skipf("the configured timeouts (%s, %s) are too long for a bounded test", rht, rt)
	}
	t.Parallel()

	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	d, err := daemon.Start(ctx, daemon.Config{DataDir: filepath.Join(dir, "data"), HTTPAddr: "127.0.0.1:0",
		NATSListen: "", Demo: false, SyncAlways: true, Logger: slog.New(slog.DiscardHandler), Out: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := d.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
	}()
	u, _ := url.Parse(d.URL())
	addr := u.Host
	sek := d.Token("sekretariat")

	const (
		slowloris = 20
		silent    = 5
		slowBody  = 5
		// Tolerances: the server closes at the deadline; a busy machine
		// may notice a little late.
		early = 250 * time.Millisecond
		late  = 5 * time.Second
	)
	type cut struct {
		kind    string
		elapsed time.Duration
		answer  string // the first line of an answer, if any
		err     error
	}
	cuts := make(chan cut, slowloris+silent+slowBody)
	var wg sync.WaitGroup
	// watch reads from conn until it is closed; it reports when, and the
	// status line if the server answered.
	watch := func(kind string, conn net.Conn, start time.Time, stopWriting *atomic.Bool) {
		defer wg.Done()
		defer conn.Close()
		_ = conn.SetReadDeadline(start.Add(rt + 2*late))
		br := bufio.NewReader(conn)
		line, err := br.ReadString('\n')
		c := cut{kind: kind, elapsed: time.Since(start), answer: strings.TrimSpace(line)}
		if err != nil && line == "" {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				c.err = fmt.Errorf("still open after %s", time.Since(start).Round(time.Millisecond))
			}
		} else {
			_, _ = io.Copy(io.Discard, br) // the rest of the answer, until close
		}
		stopWriting.Store(true)
		cuts <- c
	}
	dial := func() (net.Conn, time.Time) {
		conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		return conn, time.Now()
	}
	// trickle writes s one byte every interval until stop or an error.
	trickle := func(conn net.Conn, s string, interval time.Duration, stop *atomic.Bool) {
		defer wg.Done()
		for i := 0; i < len(s) && !stop.Load(); i++ {
			if _, err := conn.Write([]byte{s[i]}); err != nil {
				return
			}
			time.Sleep(interval) // the scenario: a client that sends one byte at a time
		}
	}

	for i := range slowloris {
		conn, start := dial()
		var stop atomic.Bool
		head := fmt.Sprintf("GET /v1/strategy HTTP/1.1\r\nHost: %s\r\nX-Slow: %s\r\n\r\n", addr, strings.Repeat("a", 4096))
		// The request line at once, the headers byte by byte.
		nl := strings.Index(head, "\n") + 1
		if _, err := conn.Write([]byte(head[:nl])); err != nil {
			t.Fatal(err)
		}
		wg.Add(2)
		go watch(fmt.Sprintf("slowloris %d", i), conn, start, &stop)
		go trickle(conn, head[nl:], 200*time.Millisecond, &stop)
	}
	for i := range silent {
		conn, start := dial()
		var stop atomic.Bool
		wg.Add(1)
		go watch(fmt.Sprintf("silent %d", i), conn, start, &stop)
	}
	const slowMeeting = "01M0S10WC11EN70000000000AA" // ids end A…E
	for i := range slowBody {
		conn, start := dial()
		var stop atomic.Bool
		body := fmt.Sprintf(`{"meetingId":"%s","forum":"NUFA","date":"2027-05-0%d"}`+strings.Repeat(" ", 400), slowMeeting[:len(slowMeeting)-1]+string(rune('A'+i)), i+1)
		head := fmt.Sprintf("POST /v1/commands/ScheduleMeeting HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"+
			"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n", addr, sek, len(body))
		if _, err := conn.Write([]byte(head)); err != nil {
			t.Fatal(err)
		}
		wg.Add(2)
		go watch(fmt.Sprintf("slow body %d", i), conn, start, &stop)
		go trickle(conn, body, 250*time.Millisecond, &stop)
	}

	// Ordinary clients while the stuck ones hang.
	normal := newClient(d.URL(), 10*time.Second)
	defer normal.close()
	var (
		slowest time.Duration
		served  int
	)
	waitDone := make(chan struct{})
	go func() { wg.Wait(); close(waitDone) }()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for n := 0; ; n++ {
		select {
		case <-waitDone:
		case <-tick.C:
			for _, req := range []struct {
				method, path string
				body         []byte
				want         int
			}{
				{http.MethodGet, "/healthz", nil, http.StatusOK},
				{http.MethodGet, "/v1/strategy", nil, http.StatusOK},
				{http.MethodPost, "/v1/commands/ScheduleMeeting", []byte(fmt.Sprintf(`{"forum":"NUIT","date":"2027-%02d-%02d"}`, 1+n/28%12, 1+n%28)), http.StatusCreated},
			} {
				rctx, rcancel := context.WithTimeout(context.Background(), 10*time.Second)
				st := time.Now()
				r, err := normal.do(rctx, req.method, req.path, sek, req.body, nil)
				took := time.Since(st)
				rcancel()
				if err != nil || r.status != req.want {
					t.Errorf("%s %s while slow clients hang: %v %v", req.method, req.path, err, r)
					continue
				}
				served++
				slowest = max(slowest, took)
			}
			continue
		}
		break
	}
	close(cuts)
	t.Logf("%d ordinary requests served while the slow clients hung; slowest took %s", served, slowest.Round(time.Millisecond))
	if slowest > 3*time.Second {
		t.Errorf("an ordinary request took %s while slow clients hung", slowest)
	}

	for c := range cuts {
		limit := rht
		if strings.HasPrefix(c.kind, "slow body") {
			limit = rt
		}
		switch {
		case c.err != nil:
			t.Errorf("%s: %v (limit %s)", c.kind, c.err, limit)
		case c.elapsed < limit-early || c.elapsed > limit+late:
			t.Errorf("%s: cut off after %s, configured limit %s", c.kind, c.elapsed.Round(time.Millisecond), limit)
		case strings.HasPrefix(c.kind, "slow body") && c.answer != "" && !strings.HasPrefix(c.answer, "HTTP/1.1 400") && !strings.HasPrefix(c.answer, "HTTP/1.1 408"):
			t.Errorf("%s: answered %q after %s", c.kind, c.answer, c.elapsed.Round(time.Millisecond))
		case !strings.HasPrefix(c.kind, "slow body") && c.answer != "":
			t.Errorf("%s: answered %q", c.kind, c.answer)
		}
	}
	// The slow bodies never became commands.
	for i := range slowBody {
		id := slowMeeting[:len(slowMeeting)-1] + string(rune('A'+i))
		rctx, rcancel := context.WithTimeout(context.Background(), 10*time.Second)
		r, err := normal.do(rctx, http.MethodGet, "/v1/council/meetings/"+id, "", nil, nil)
		rcancel()
		if err != nil || r.status != http.StatusNotFound {
			t.Errorf("meeting %s of a cut-off slow body: %v %v", id, err, r)
		}
	}
}
