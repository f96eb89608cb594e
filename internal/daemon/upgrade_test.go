package daemon_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/ehelse/portfolio/audit"
	"github.com/ehelse/portfolio/eventstore"
	"github.com/ehelse/portfolio/eventstore/natstest"
	"github.com/ehelse/portfolio/internal/daemon"
	"github.com/ehelse/portfolio/projections"
)

// fixtureRelease is the release whose log the upgrade test starts on: the
// last one before StatusReported gained roundId (issue 13). The fixture is
// its `portfolioctl audit export` after a start with demo data, and the
// read models it then showed.
const fixtureRelease = "release-9f5cb49"

type exportHeader struct {
	Format    string `json:"format"`
	PublicKey string `json:"publicKey"`
	KeyID     string `json:"keyId"`
}

type exportLine struct {
	Position  uint64 `json:"position"`
	Subject   string `json:"subject"`
	Signature string `json:"signature"`
	Raw       []byte `json:"raw"`
}

type fixtureExpected struct {
	Events    uint64 `json:"events"`
	Decisions int    `json:"decisions"`
	// series counts the numbering series' events: they have no read
	// model, so the read models skip them.
	series      uint64
	Initiatives []struct {
		InitiativeID  string `json:"initiativeId"`
		Title         string `json:"title"`
		Phase         string `json:"phase"`
		State         string `json:"state"`
		Version       uint64 `json:"version"`
		LatestOverall string `json:"latestOverall"`
	} `json:"initiatives"`
}

// loadFixture restores the fixture's stream, byte for byte with its
// signatures, into a fresh JetStream server and returns the server's URL,
// the signing key's public half (base64) and what the old release showed.
func loadFixture(t *testing.T) (string, string, fixtureExpected) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", fixtureRelease+".jsonl.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	if !sc.Scan() {
		t.Fatal("empty fixture")
	}
	var h exportHeader
	if err := json.Unmarshal(sc.Bytes(), &h); err != nil || h.PublicKey == "" {
		t.Fatalf("fixture header: %v %+v", err, h)
	}
	srv, nc, js := natstest.RunServer(t)
	if _, err := eventstore.Open(context.Background(), js, eventstore.Config{}); err != nil {
		t.Fatal(err)
	}
	n, series := uint64(0), uint64(0)
	for sc.Scan() {
		var l exportLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		m := nats.NewMsg(l.Subject)
		m.Data = l.Raw
		m.Header.Set(audit.SignatureHeader, l.Signature)
		ack, err := js.PublishMsg(context.Background(), m)
		if err != nil {
			t.Fatalf("restore position %d: %v", l.Position, err)
		}
		if strings.HasPrefix(l.Subject, "portfolio.events.series.") {
			series++
		}
		if n++; ack.Sequence != l.Position {
			t.Fatalf("restored position %d as %d", l.Position, ack.Sequence)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	nc.Close()
	var want fixtureExpected
	raw, err := os.ReadFile(filepath.Join("testdata", fixtureRelease+".expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	want.series = series
	if n != want.Events {
		t.Fatalf("fixture has %d events, expected %d", n, want.Events)
	}
	return srv.ClientURL(), h.PublicKey, want
}

// TestUpgradeFromPreviousRelease starts this release on the event log of
// the release before it (new signing key; the old one trusted), rebuilds,
// verifies signatures and chains, compares the read models with what the
// old release showed, and writes the new events (a reporting round, a
// status with roundId) on top.
func TestUpgradeFromPreviousRelease(t *testing.T) {
	url, oldKey, want := loadFixture(t)
	dir := t.TempDir()
	trusted := filepath.Join(dir, "trusted.keys")
	if err := os.WriteFile(trusted, []byte(oldKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	d, err := daemon.Start(ctx, daemon.Config{DataDir: filepath.Join(dir, "data"), HTTPAddr: "127.0.0.1:0", NATSURLs: url,
		Replicas: 1, TrustedKeysFile: trusted, Logger: logger(), Out: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close(context.Background()) })
	hc := &http.Client{Timeout: 30 * time.Second}
	call := func(method, path, who string, body any, v any) int {
		t.Helper()
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, _ := http.NewRequest(method, d.URL()+path, rd)
		if who != "" {
			req.Header.Set("Authorization", "Bearer "+d.Token(who))
		}
		res, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		data, _ := io.ReadAll(res.Body)
		if v != nil && res.StatusCode < 300 {
			if err := json.Unmarshal(data, v); err != nil {
				t.Fatalf("%s %s: %v: %s", method, path, err, data)
			}
		}
		if res.StatusCode >= 300 {
			t.Logf("%s %s: %d %s", method, path, res.StatusCode, data)
		}
		return res.StatusCode
	}
	if err := d.Reads.WaitFor(ctx, want.Events); err != nil {
		t.Fatal(err)
	}

	checkReadModels := func(step string, builds uint64) {
		t.Helper()
		if st := d.Reads.Stats(); st.Rejected != 0 || st.Skipped != builds*want.series {
			t.Errorf("%s: %d events rejected, %d skipped (want the %d series events skipped %d times)", step, st.Rejected, st.Skipped, want.series, builds)
		}
		var list struct {
			Initiatives []projections.InitiativeSummary `json:"initiatives"`
		}
		call("GET", "/v1/initiatives", "", nil, &list)
		got := map[string]projections.InitiativeSummary{}
		for _, i := range list.Initiatives {
			got[i.InitiativeID] = i
		}
		if len(got) != len(want.Initiatives) {
			t.Errorf("%s: %d initiatives, the old release showed %d", step, len(got), len(want.Initiatives))
		}
		for _, w := range want.Initiatives {
			g := got[w.InitiativeID]
			overall := ""
			if g.LatestStatus != nil {
				overall = string(g.LatestStatus.Overall)
			}
			if g.Title != w.Title || string(g.Phase) != w.Phase || string(g.State) != w.State || g.Version != w.Version || overall != w.LatestOverall {
				t.Errorf("%s: initiative %s is %q %s %s v%d %s; the old release showed %+v", step, w.InitiativeID, g.Title, g.Phase, g.State, g.Version, overall, w)
			}
		}
		var ds struct {
			Decisions []json.RawMessage `json:"decisions"`
		}
		call("GET", "/v1/council/decisions", "", nil, &ds)
		if len(ds.Decisions) != want.Decisions {
			t.Errorf("%s: %d decisions, the old release showed %d", step, len(ds.Decisions), want.Decisions)
		}
	}
	verify := func(step string, events uint64) {
		t.Helper()
		var v struct {
			OK     bool   `json:"ok"`
			Events uint64 `json:"events"`
			Reason string `json:"reason"`
		}
		if code := call("GET", "/v1/audit/verify", "riksrevisjonen", nil, &v); code != 200 || !v.OK || v.Events != events {
			t.Fatalf("%s: audit verify %d: %+v", step, code, v)
		}
	}

	checkReadModels("first start", 1)
	verify("first start", want.Events)
	if err := d.Reads.Rebuild(ctx, nil); err != nil {
		t.Fatal(err)
	}
	checkReadModels("after a rebuild", 2)

	// The new release writes on top: a round, a status with roundId for an
	// initiative of the old log, and the frozen report.
	var someone string
	for _, w := range want.Initiatives {
		if w.State == "in_portfolio" {
			someone = w.InitiativeID
			break
		}
	}
	var opened struct {
		AggregateID string `json:"aggregateId"`
		Position    uint64 `json:"position"`
		Events      []struct {
			ID string `json:"id"`
		} `json:"events"`
	}
	if code := call("POST", "/v1/commands/OpenReportingRound", "sekretariat",
		map[string]any{"label": "2027-T1", "periodEnd": "2027-03-31", "deadline": "2027-04-15"}, &opened); code != 201 {
		t.Fatalf("OpenReportingRound: %d", code)
	}
	var rounds struct {
		Rounds []projections.RoundSummary `json:"rounds"`
	}
	if err := d.Reads.WaitFor(ctx, opened.Position); err != nil {
		t.Fatal(err)
	}
	call("GET", "/v1/reporting-rounds", "", nil, &rounds)
	if len(rounds.Rounds) != 1 {
		t.Fatalf("rounds: %+v", rounds)
	}
	round := rounds.Rounds[0].RoundID
	if code := call("POST", "/v1/commands/ReportStatus", "sekretariat", map[string]any{"initiativeId": someone, "reportDate": "2027-03-31",
		"overall": "green", "schedule": "green", "cost": "green", "benefit": "green", "roundId": round}, nil); code != 201 {
		t.Fatalf("ReportStatus with roundId: %d", code)
	}
	var closed struct {
		Position uint64 `json:"position"`
	}
	if code := call("POST", "/v1/commands/CloseReportingRound", "sekretariat", map[string]any{"roundId": round}, &closed); code != 201 {
		t.Fatalf("CloseReportingRound: %d", code)
	}
	if err := d.Reads.WaitFor(ctx, closed.Position); err != nil {
		t.Fatal(err)
	}
	var rep projections.PortfolioReport
	if code := call("GET", fmt.Sprintf("/v1/reports/%s", round), "", nil, &rep); code != 200 {
		t.Fatalf("report: %d", code)
	}
	if rep.Summary.Reported != 1 || rep.Summary.Initiatives < 2 {
		t.Errorf("report of the upgraded log: %+v", rep.Summary)
	}
	verify("after new events", closed.Position)
	if st := d.Reads.Stats(); st.Rejected != 0 {
		t.Errorf("rejected after new events: %d", st.Rejected)
	}
}
