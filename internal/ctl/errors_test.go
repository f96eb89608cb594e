package ctl

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

var holdArgs = []string{"council", "hold", "--meeting", "M1"}

func TestProblemLines(t *testing.T) {
	cases := []struct {
		name   string
		reply  reply
		token  bool
		stderr string
	}{
		{"409", reply{status: 409, contentType: "application/problem+json",
			body: `{"type":"about:blank","title":"Rule violated","status":409,"code":"rule_violated","detail":"initiative 01JD is closed"}`},
			true, "error: 409 rule_violated: initiative 01JD is closed\n"},
		{"422 fields", reply{status: 422, contentType: "application/problem+json",
			body: `{"title":"Validation failed","status":422,"code":"validation_failed","detail":"the command has invalid fields",
			"errors":[{"field":"plannedEnd","detail":"must not be before plannedStart"},{"field":"owner","detail":"is required"}]}`},
			true, "error: 422 validation_failed: the command has invalid fields\n  plannedEnd: must not be before plannedStart\n  owner: is required\n"},
		{"title only", reply{status: 403, contentType: "application/problem+json",
			body: `{"title":"Forbidden","status":403,"code":"forbidden"}`},
			true, "error: 403 forbidden: Forbidden\n"},
		{"multi-line detail", reply{status: 409, contentType: "application/problem+json",
			body: `{"status":409,"code":"rule_violated","detail":"line one\nline two"}`},
			true, "error: 409 rule_violated: line one line two\n"},
		{"401 without token", reply{status: 401, contentType: "application/problem+json",
			body: `{"title":"Unauthorized","status":401,"code":"unauthorized","detail":"no token"}`},
			false, "error: 401 unauthorized: no token (no token given: use --token or PORTFOLIO_TOKEN)\n"},
		{"401 with token", reply{status: 401, contentType: "application/problem+json",
			body: `{"title":"Unauthorized","status":401,"code":"unauthorized","detail":"unknown token"}`},
			true, "error: 401 unauthorized: unknown token\n"},
		{"503 retry", reply{status: 503, contentType: "application/problem+json", header: map[string]string{"Retry-After": "2"},
			body: `{"title":"Unavailable","status":503,"code":"unavailable","detail":"event store unreachable"}`},
			true, "error: 503 unavailable: event store unreachable (retry after 2s)\n"},
		{"502 html", reply{status: 502, contentType: "text/html", body: "<html>bad gateway</html>\n<body>…</body>"},
			true, "error: 502 bad_gateway: <html>bad gateway</html>\n"},
		{"500 empty", reply{status: 500, contentType: "text/plain"},
			true, "error: 500 internal_server_error: Internal Server Error\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			f.on("/v1/commands/HoldMeeting", tc.reply)
			f.on("/v1/roadmap", tc.reply)
			for _, args := range [][]string{holdArgs, {"roadmap"}} {
				if tc.token {
					args = append([]string{"--token", "tok-XYZ"}, args...)
				}
				r := f.run(args...)
				if r.code != ExitFailure {
					t.Errorf("%v: exit %d, want 1", args, r.code)
				}
				if r.stderr != tc.stderr {
					t.Errorf("%v: stderr\n got %q\nwant %q", args, r.stderr, tc.stderr)
				}
				if r.stdout != "" {
					t.Errorf("%v: stdout %q", args, r.stdout)
				}
				if strings.Contains(r.stderr+r.stdout, "tok-XYZ") {
					t.Errorf("%v: the token was printed", args)
				}
			}
		})
	}
}

func TestConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	for _, args := range [][]string{holdArgs, {"roadmap"}, {"audit", "verify"}} {
		r := runCtl(nil, "", append([]string{"--server", "http://" + addr, "--token", "tok-XYZ"}, args...)...)
		if r.code != ExitFailure {
			t.Errorf("%v: exit %d", args, r.code)
		}
		want := "error: cannot connect to the portfolio server at http://" + addr + ": connection refused; is portfoliod running? Start it with `make run`, or point --server or PORTFOLIO_SERVER at it\n"
		if r.stderr != want {
			t.Errorf("%v: stderr\n got %q\nwant %q", args, r.stderr, want)
		}
		if strings.Contains(r.stderr, "tok-XYZ") {
			t.Error("the token was printed")
		}
	}
}

func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	f := newFake(t)
	f.fallback = func(w http.ResponseWriter, r *http.Request, _ []byte) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}
	defer close(release)
	start := time.Now()
	r := f.run("--timeout", "200ms", "roadmap")
	if r.code != ExitFailure {
		t.Errorf("exit %d", r.code)
	}
	want := "error: no answer from the portfolio server at " + f.URL + " within 200ms (see --timeout)\n"
	if r.stderr != want {
		t.Errorf("stderr\n got %q\nwant %q", r.stderr, want)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s", d)
	}
}

func TestUsageErrors(t *testing.T) {
	f := newFake(t)
	cases := []struct {
		args   []string
		stderr string
	}{
		{[]string{"bogus"}, "error: unknown command \"bogus\" for \"portfolioctl\"\nRun 'portfolioctl --help' for usage.\n"},
		{[]string{"council", "bogus"}, "error: unknown command \"bogus\" for \"portfolioctl council\"\nRun 'portfolioctl council --help' for usage.\n"},
		{[]string{"strategy", "bogus"}, ""},
		{[]string{"initiatives", "--nope"}, "error: unknown flag: --nope\nRun 'portfolioctl initiatives --help' for usage.\n"},
		{[]string{"--output", "xml", "roadmap"}, "error: --output \"xml\" is not supported here; use table or json\nRun 'portfolioctl roadmap --help' for usage.\n"},
		{[]string{"--server", "ftp://x", "roadmap"}, ""},
		{[]string{"--server", "http://", "roadmap"}, ""},
		{[]string{"--timeout", "soon", "roadmap"}, ""},
		{[]string{"--timeout", "-1s", "roadmap"}, ""},
		{[]string{"council", "meetings", "--year", "twenty"}, ""},
		{[]string{"council", "meeting"}, ""},
		{[]string{"council", "meeting", "a", "b"}, ""},
		{[]string{"audit", "events", "--limit", "-1"}, ""},
		{[]string{"initiative", "propose", "--title", "t", "--description", "d", "--owner", "o", "--primary-subgoal", "1A",
			"--start", "2026-01-01", "--end", "2026-12-31", "--cost", "lots"}, ""},
	}
	for _, tc := range cases {
		r := f.run(tc.args...)
		if r.code != ExitUsage {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", tc.args, r.code, r.stderr)
		}
		if tc.stderr != "" && r.stderr != tc.stderr {
			t.Errorf("%v: stderr\n got %q\nwant %q", tc.args, r.stderr, tc.stderr)
		}
		if !strings.HasPrefix(r.stderr, "error: ") {
			t.Errorf("%v: stderr %q", tc.args, r.stderr)
		}
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("usage errors sent %d requests", n)
	}
}

func TestHelpAndCompletion(t *testing.T) {
	for _, args := range [][]string{nil, {"--help"}, {"council"}, {"initiative", "milestone"}, {"help", "roadmap"}} {
		r := runCtl(nil, "", args...)
		if r.code != 0 || !strings.Contains(r.stdout, "Usage:") {
			t.Errorf("%v: exit %d, %q", args, r.code, r.stdout)
		}
	}
	for _, sh := range []string{"bash", "zsh", "fish", "powershell"} {
		r := runCtl(nil, "", "completion", sh)
		if r.code != 0 || len(r.stdout) < 100 {
			t.Errorf("completion %s: exit %d, %d bytes, stderr %q", sh, r.code, len(r.stdout), r.stderr)
		}
	}
	// The dynamic completion of flag values.
	r := runCtl(nil, "", "__complete", "council", "schedule-meeting", "--forum", "")
	if r.code != 0 || !strings.Contains(r.stdout, "NUIT\n") {
		t.Errorf("__complete: %q", r.stdout)
	}
	r = runCtl(nil, "", "__complete", "command", "Approve")
	if r.code != 0 || !strings.Contains(r.stdout, "ApproveInCouncil\n") {
		t.Errorf("__complete command: %q", r.stdout)
	}
}

// TestEnv: PORTFOLIO_SERVER and PORTFOLIO_TOKEN apply when the flags are
// not given; the flags win.
func TestEnv(t *testing.T) {
	envSrv, flagSrv := newFake(t), newFake(t)
	env := map[string]string{EnvServer: envSrv.URL + "/", EnvToken: "env-token"}

	r := runCtl(env, "", holdArgs...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if got := envSrv.only(t).Header.Get("Authorization"); got != "Bearer env-token" {
		t.Errorf("Authorization %q", got)
	}

	envSrv.reset()
	r = runCtl(env, "", append([]string{"--server", flagSrv.URL, "--token", "flag-token"}, holdArgs...)...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if len(envSrv.requests()) != 0 {
		t.Error("the env server got the request")
	}
	if got := flagSrv.only(t).Header.Get("Authorization"); got != "Bearer flag-token" {
		t.Errorf("Authorization %q", got)
	}

	// No token anywhere: no Authorization header.
	flagSrv.reset()
	runCtl(map[string]string{EnvServer: flagSrv.URL}, "", "roadmap")
	if h, ok := flagSrv.only(t).Header["Authorization"]; ok {
		t.Errorf("Authorization %q without a token", h)
	}

	// A server given as host:port.
	envSrv.reset()
	r = runCtl(map[string]string{EnvServer: strings.TrimPrefix(envSrv.URL, "http://")}, "", holdArgs...)
	if r.code != 0 || len(envSrv.requests()) != 1 {
		t.Errorf("host:port server: exit %d, %d requests", r.code, len(envSrv.requests()))
	}

	// A server under a path prefix.
	envSrv.reset()
	runCtl(nil, "", "--server", envSrv.URL+"/portfolio/", "roadmap")
	if p := envSrv.only(t).Path; p != "/portfolio/v1/roadmap" {
		t.Errorf("path %q", p)
	}
}

// TestMainEnv runs the exported Main with the real process environment.
func TestMainEnv(t *testing.T) {
	f := newFake(t)
	t.Setenv(EnvServer, f.URL)
	t.Setenv(EnvToken, "proc-token")
	var out, errb bytes.Buffer
	code := Main(context.Background(), holdArgs, strings.NewReader(""), &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if got := f.only(t).Header.Get("Authorization"); got != "Bearer proc-token" {
		t.Errorf("Authorization %q", got)
	}
	if strings.Contains(out.String()+errb.String(), "proc-token") {
		t.Error("the token was printed")
	}
	// --help must not show the token as a default either.
	out.Reset()
	Main(context.Background(), []string{"--help"}, strings.NewReader(""), &out, &errb)
	if strings.Contains(out.String(), "proc-token") {
		t.Error("--help printed the token")
	}
}

func TestUserAgentAndAccept(t *testing.T) {
	f := newFake(t)
	f.run("roadmap")
	req := f.only(t)
	if req.Header.Get("User-Agent") != userAgent || !strings.Contains(req.Header.Get("Accept"), "application/json") {
		t.Errorf("headers %v", req.Header)
	}
}
