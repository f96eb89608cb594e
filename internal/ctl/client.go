package ctl

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"
)

// userAgent identifies the client to the server.
const userAgent = "portfolioctl/1"

// maxBody bounds what the client reads of one answer.
const maxBody = 512 << 20

// client is an HTTP client of one portfolio server.
type client struct {
	base    *url.URL // scheme, host and optional path prefix, no trailing slash
	token   string
	timeout time.Duration
	http    *http.Client
}

// response is a successful (2xx) answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

// Problem is an RFC 9457 problem+json answer, or a non-2xx answer turned
// into one.
type Problem struct {
	Type   string       `json:"type"`
	Title  string       `json:"title"`
	Status int          `json:"status"`
	Code   string       `json:"code"`
	Detail string       `json:"detail"`
	Errors []FieldError `json:"errors"`

	retryAfter string
	hint       string
}

// FieldError is one invalid field of a 422 answer.
type FieldError struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

// Error is the one line portfolioctl prints: "409 rule_violated: detail".
func (p *Problem) Error() string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(p.Status))
	code := p.Code
	if code == "" {
		code = strings.ToLower(strings.ReplaceAll(http.StatusText(p.Status), " ", "_"))
	}
	if code != "" {
		b.WriteString(" " + code)
	}
	msg := p.Detail
	if msg == "" {
		msg = p.Title
	}
	if msg != "" {
		b.WriteString(": " + oneLine(msg))
	}
	if p.retryAfter != "" {
		if _, err := strconv.Atoi(p.retryAfter); err == nil {
			b.WriteString(" (retry after " + p.retryAfter + "s)")
		} else {
			b.WriteString(" (retry after " + p.retryAfter + ")")
		}
	}
	if p.hint != "" {
		b.WriteString(" (" + p.hint + ")")
	}
	return b.String()
}

// client returns the HTTP client for the global options, or a usage error
// when the server URL is malformed.
func (a *app) client() (*client, error) {
	server := a.server
	if server == "" {
		server = a.getenv(EnvServer)
	}
	if server == "" {
		server = DefaultServer
	}
	base, err := parseServer(server)
	if err != nil {
		return nil, err
	}
	token := a.token
	if token == "" {
		token = a.getenv(EnvToken)
	}
	if a.timeout < 0 {
		return nil, usagef("--timeout must not be negative")
	}
	return newClient(base, strings.TrimSpace(token), a.timeout), nil
}

// parseServer parses a server URL; "host:port" means http://host:port.
func parseServer(s string) (*url.URL, error) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, usagef("server %q is not an http(s) URL like %s", s, DefaultServer)
	}
	if u.User != nil {
		return nil, usagef("server URL must not contain credentials; use --token")
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawQuery, u.Fragment, u.RawPath = "", "", ""
	return u, nil
}

func newClient(base *url.URL, token string, timeout time.Duration) *client {
	dial := 10 * time.Second
	if timeout > 0 && timeout < dial {
		dial = timeout
	}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: dial, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   dial,
		ResponseHeaderTimeout: timeout,
		IdleConnTimeout:       30 * time.Second,
		MaxIdleConns:          4,
		ForceAttemptHTTP2:     true,
	}
	return &client{
		base:    base,
		token:   token,
		timeout: timeout,
		http:    &http.Client{Timeout: timeout, Transport: tr},
	}
}

// server is the base URL as the user should see it.
func (c *client) server() string { return c.base.String() }

// do sends one request. It returns the answer when the status is 2xx, a
// *Problem for any other status, and a *failure when the server could not
// be reached or did not answer.
func (c *client) do(ctx context.Context, method, path string, query url.Values, body []byte, header http.Header) (*response, error) {
	// path is escaped already (ids through url.PathEscape).
	u := *c.base
	u.RawPath = c.base.EscapedPath() + path
	p, err := url.PathUnescape(u.RawPath)
	if err != nil {
		return nil, failf("bad request path %q: %v", path, err)
	}
	u.Path = p
	if len(query) > 0 {
		u.RawQuery = query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, failf("cannot build request: %v", err)
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json, application/problem+json")
	}
	req.Header.Set("User-Agent", userAgent)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.transportError(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, c.transportError(err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return &response{status: resp.StatusCode, header: resp.Header, body: data}, nil
	}
	return nil, c.problem(resp, data)
}

// problem turns a non-2xx answer into a *Problem.
func (c *client) problem(resp *http.Response, data []byte) *Problem {
	p := &Problem{}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	parsed := false
	if mt == "application/problem+json" || mt == "application/json" {
		parsed = json.Unmarshal(data, p) == nil
	}
	if !parsed {
		p = &Problem{Title: http.StatusText(resp.StatusCode), Detail: snippet(data)}
	}
	p.Status = resp.StatusCode // the status line wins over the body
	p.retryAfter = strings.TrimSpace(resp.Header.Get("Retry-After"))
	if resp.StatusCode == http.StatusUnauthorized && c.token == "" {
		p.hint = "no token given: use --token or " + EnvToken
	}
	return p
}

// transportError explains a failure to reach the server or read its
// answer. It never includes the token (which travels only in a header).
func (c *client) transportError(err error) error {
	srv := c.server()
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, context.Canceled):
		return failf("interrupted while talking to %s", srv)
	case errors.Is(err, syscall.ECONNREFUSED):
		return failf("cannot connect to the portfolio server at %s: connection refused; is portfoliod running? Start it with `make run`, or point --server or %s at it", srv, EnvServer)
	case errors.As(err, &dnsErr):
		return failf("cannot find the portfolio server at %s: %v; check --server or %s", srv, dnsErr, EnvServer)
	case isTimeout(err):
		return failf("no answer from the portfolio server at %s within %s (see --timeout)", srv, c.timeout)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return failf("request to the portfolio server at %s failed: %v", srv, err)
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// snippet returns the first line of a non-JSON error body, shortened.
func snippet(data []byte) string {
	s := strings.TrimSpace(string(data))
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	return truncate(s, 200)
}

// oneLine folds a message onto one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// truncate shortens s to at most n runes, marking the cut with "…".
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// writeRaw prints an answer's body as is, ending with a newline.
func writeRaw(w io.Writer, body []byte) error {
	if _, err := w.Write(body); err != nil {
		return err
	}
	if len(body) == 0 || body[len(body)-1] != '\n' {
		_, err := fmt.Fprintln(w)
		return err
	}
	return nil
}
