package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/ehelse/portfolio/internal/daemon"
)

// webQueries are the W2 searches: one initiative's words, a title shared
// by a twelfth of the P3 stream's initiatives, capitals with æøå, a word
// in every description, and a word in none.
var webQueries = []string{"Kjernejournal 4711", "helseid", "HJEMMEOPPFØLGING", "gevinstoppfølging", "finnesikke"}

// webFigures measures the web site's roadmap page over HTTP on loopback:
// W1 (render time, unfiltered) and W3 (gzip bytes) on a fresh demo server,
// then W1 and W2 (search) on the P3 stream's read models. Every request
// asks for gzip, as a browser does, and sends no If-None-Match, so each
// one renders the page. The ceiling of each is the JSON API's answer from
// the same read model (GET /v1/roadmap with the same filter): the cost of
// the data without its HTML.
func (b *bench) webFigures(ctx context.Context, p profile) error {
	cfg := b.cfg
	client := httpClient(2)
	if cfg.sel("W1") || cfg.sel("W3") {
		dir := filepath.Join(b.root, p.name, "web-demo")
		d, err := daemon.Start(ctx, daemon.Config{DataDir: dir, HTTPAddr: "127.0.0.1:0", SyncAlways: p.syncAlways,
			Demo: true, Logger: b.log, Out: io.Discard})
		if err != nil {
			return err
		}
		err = b.webDemo(ctx, p, client, d)
		closeDaemon(d)
		if err != nil {
			return err
		}
	}
	if !cfg.sel("W1") && !cfg.sel("W2") {
		return nil
	}
	if err := b.ensureReadModels(ctx, p); err != nil {
		return err
	}
	d, err := b.startDaemon(ctx, b.data.dir, p)
	if err != nil {
		return err
	}
	defer closeDaemon(d)
	if err := waitReady(ctx, client, d.URL(), 5*time.Minute); err != nil {
		return err
	}
	n := b.data.initiatives
	if cfg.sel("W1") {
		page, api, err := b.timePair(ctx, client, d.URL(), []string{""})
		if err != nil {
			return fmt.Errorf("W1: %w", err)
		}
		b.emitTimes("W1", p, fmt.Sprintf("GET /veikart, %d initiatives", n), page, api, 50*time.Millisecond, "")
	}
	if cfg.sel("W2") {
		page, api, err := b.timePair(ctx, client, d.URL(), webQueries)
		if err != nil {
			return fmt.Errorf("W2: %w", err)
		}
		b.emitTimes("W2", p, fmt.Sprintf("GET /veikart?q=…, %d initiatives", n), page, api, 20*time.Millisecond,
			"queries in turn: "+strings.Join(webQueries, " | "))
	}
	return nil
}

// webDemo is W1 and W3 at demo size.
func (b *bench) webDemo(ctx context.Context, p profile, client *http.Client, d *daemon.Daemon) error {
	head, err := d.Store.Head(ctx)
	if err != nil {
		return err
	}
	if err := d.Reads.WaitFor(ctx, head); err != nil {
		return err
	}
	if b.cfg.sel("W1") {
		page, api, err := b.timePair(ctx, client, d.URL(), []string{""})
		if err != nil {
			return fmt.Errorf("W1: %w", err)
		}
		b.emitTimes("W1", p, "GET /veikart, demo", page, api, 10*time.Millisecond, "")
	}
	if b.cfg.sel("W3") {
		html, status, enc, err := get(ctx, client, d.URL()+"/veikart")
		if err != nil {
			return fmt.Errorf("W3: %w", err)
		}
		if status != http.StatusOK {
			return fmt.Errorf("W3: GET /veikart: status %d", status)
		}
		body, _, apiEnc, err := get(ctx, client, d.URL()+"/v1/roadmap")
		if err != nil {
			return fmt.Errorf("W3: %w", err)
		}
		assets, list, err := assetBytes(ctx, client, d.URL())
		if err != nil {
			return fmt.Errorf("W3: %w", err)
		}
		kb := float64(len(html)) / 1024
		b.emit(result{id: "W3", profile: p.name, what: "bytes of GET /veikart (gzip), demo",
			value: fmt.Sprintf("%.1f KB (Content-Encoding: %s)", kb, enc), ceiling: fmt.Sprintf("%.1f KB", float64(len(body))/1024),
			ratio: fmt.Sprintf("%.2f", float64(len(html))/float64(max(1, len(body)))), goal: "<=100KB", verdict: verdict(enc == "gzip" && kb <= 100),
			note: fmt.Sprintf("ceiling: GET /v1/roadmap with Accept-Encoding gzip (Content-Encoding: %s); a first visit also loads %.1f KB of assets (%s), cached for a year after", apiEnc, float64(assets)/1024, list)})
	}
	return nil
}

// timePair times GET /veikart?q=<query> and GET /v1/roadmap?q=<query>,
// the queries in turn, sequentially, for the measuring window (at least 30
// and at most 2,000 requests each).
func (b *bench) timePair(ctx context.Context, client *http.Client, base string, queries []string) (page, api latencies, err error) {
	path := func(prefix, q string) string {
		if q == "" {
			return base + prefix
		}
		return base + prefix + "?q=" + url.QueryEscape(q)
	}
	for _, side := range []struct {
		prefix string
		lat    *latencies
	}{{"/veikart", &page}, {"/v1/roadmap", &api}} {
		// One warm-up round: the first request of a kind fills caches.
		for _, q := range queries {
			if _, st, _, err := get(ctx, client, path(side.prefix, q)); err != nil || st != http.StatusOK {
				return nil, nil, fmt.Errorf("GET %s: status %d: %v", path(side.prefix, q), st, err)
			}
		}
		deadline := time.Now().Add(b.cfg.window)
		for i := 0; i < 2000 && (i < 30 || time.Now().Before(deadline)); i++ {
			u := path(side.prefix, queries[i%len(queries)])
			t := time.Now()
			_, st, _, err := get(ctx, client, u)
			*side.lat = append(*side.lat, time.Since(t))
			if err != nil {
				return nil, nil, err
			}
			if st != http.StatusOK {
				return nil, nil, fmt.Errorf("GET %s: status %d", u, st)
			}
		}
	}
	return page, api, nil
}

func (b *bench) emitTimes(id string, p profile, what string, page, api latencies, goal time.Duration, note string) {
	p99 := page.pct(99)
	if note != "" {
		note += "; "
	}
	b.emit(result{id: id, profile: p.name, what: what,
		value:   fmt.Sprintf("p50=%s p99=%s", ms(page.pct(50)), ms(p99)),
		ceiling: fmt.Sprintf("p50=%s p99=%s", ms(api.pct(50)), ms(api.pct(99))),
		ratio:   fmt.Sprintf("%.1f", float64(p99)/float64(max(1, api.pct(99)))),
		goal:    "(p99)<=" + ms(goal), verdict: verdict(p99 <= goal),
		note: note + fmt.Sprintf("p90=%s max=%s; HTTP on loopback, request to last byte, gzip, %d sequential requests; ceiling: GET /v1/roadmap with the same filter",
			ms(page.pct(90)), ms(page.pct(100)), len(page))})
}

// get fetches u asking for gzip and returns the body as sent (not
// decompressed), the status and the Content-Encoding.
func get(ctx context.Context, client *http.Client, u string) ([]byte, int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, 0, "", err
	}
	req.Header.Set("Accept-Encoding", "gzip")
	res, err := client.Do(req)
	if err != nil {
		return nil, 0, "", err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	return body, res.StatusCode, res.Header.Get("Content-Encoding"), err
}

var assetRef = regexp.MustCompile(`(?:href|src)="(/assets/[^"]+)"`)

// assetBytes sums the gzip bytes of the assets /veikart links to (the page
// itself is read uncompressed to find them).
func assetBytes(ctx context.Context, client *http.Client, base string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/veikart", nil)
	if err != nil {
		return 0, "", err
	}
	res, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	plain, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return 0, "", err
	}
	seen := map[string]bool{}
	total := 0
	var names []string
	for _, m := range assetRef.FindAllStringSubmatch(string(plain), -1) {
		if seen[m[1]] {
			continue
		}
		seen[m[1]] = true
		body, st, _, err := get(ctx, client, base+m[1])
		if err != nil {
			return 0, "", err
		}
		if st != http.StatusOK {
			return 0, "", fmt.Errorf("GET %s: status %d", m[1], st)
		}
		total += len(body)
		names = append(names, fmt.Sprintf("%s %.1f KB", strings.TrimPrefix(m[1], "/assets/"), float64(len(body))/1024))
	}
	return total, strings.Join(names, ", "), nil
}
