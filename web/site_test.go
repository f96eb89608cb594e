package web_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ehelse/portfolio/internal/daemon"
	"github.com/ehelse/portfolio/projections"
)

// The tests run against the real server (portfoliod's wiring) with the
// demo data, started once for the package.
var site *daemon.Daemon

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "web-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	site, err = daemon.Start(ctx, daemon.Config{DataDir: dir, HTTPAddr: "127.0.0.1:0", Demo: true,
		Logger: slog.New(slog.DiscardHandler), Out: io.Discard})
	if err != nil {
		fmt.Fprintln(os.Stderr, "start the demo server:", err)
		return 1
	}
	defer site.Close(context.Background())
	head, err := site.Store.Head(ctx)
	if err == nil {
		err = site.Reads.WaitFor(ctx, head)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo read models:", err)
		return 1
	}
	return m.Run()
}

// plain does not ask for gzip on its own (the tests ask where they mean to).
var plain = &http.Transport{DisableCompression: true}

type answer struct {
	status int
	header http.Header
	body   string
}

func get(t *testing.T, path string, header ...string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, site.URL()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := plain.RoundTrip(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return answer{status: res.StatusCode, header: res.Header, body: string(b)}
}

func initiativeID(t *testing.T, title string) string {
	t.Helper()
	all, err := site.Reads.Initiatives(projections.InitiativeFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range all {
		if in.Title == title {
			return in.InitiativeID
		}
	}
	t.Fatalf("the demo has no initiative %q", title)
	return ""
}

func heldMeeting(t *testing.T) (meetingID, caseID string) {
	t.Helper()
	ms, err := site.Reads.Meetings("", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.Held && m.AgendaItems > 0 {
			md, err := site.Reads.Meeting(m.MeetingID)
			if err != nil {
				t.Fatal(err)
			}
			return md.MeetingID, md.Agenda[0].CaseID
		}
	}
	t.Fatal("the demo has no held meeting with an agenda")
	return "", ""
}

func command(t *testing.T, name string, body map[string]any) (id string, position uint64) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, site.URL()+"/v1/commands/"+name, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+site.Token("sekretariat"))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("%s: status %d: %s", name, res.StatusCode, out)
	}
	var r struct {
		AggregateID string `json:"aggregateId"`
		Position    uint64 `json:"position"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return r.AggregateID, r.Position
}

// checkHeaders checks the security headers every page carries.
func checkHeaders(t *testing.T, what string, h http.Header) {
	t.Helper()
	csp := h.Get("Content-Security-Policy")
	if csp == "" || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") ||
		!strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("%s: Content-Security-Policy %q", what, csp)
	}
	if h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("%s: X-Content-Type-Options %q", what, h.Get("X-Content-Type-Options"))
	}
	if h.Get("Referrer-Policy") == "" {
		t.Errorf("%s: no Referrer-Policy", what)
	}
}

var (
	styleAttr    = regexp.MustCompile(`(?i)\sstyle\s*=`)
	inlineScript = regexp.MustCompile(`(?i)<script(?:\s[^>]*)?>`)
	handlerAttr  = regexp.MustCompile(`(?i)\son[a-z]+\s*=`)
)

func TestPages(t *testing.T) {
	initiative := initiativeID(t, "Digital hjemmeoppfølging")
	meeting, caseID := heldMeeting(t)
	for _, path := range []string{"/", "/veikart", "/veikart?phase=execution&sort=title", "/portefolje", "/portefolje?sort=-updated&state=in_portfolio",
		"/tiltak/" + initiative, "/strategi", "/radsmodell", "/radsmodell?forum=NUIT", "/radsmodell/moter/" + meeting,
		"/radsmodell/saker/" + caseID, "/vedtak", "/vedtak?forum=EHR&from=2020-01-01&to=2030-12-31"} {
		a := get(t, path)
		if a.status != http.StatusOK {
			t.Errorf("GET %s: status %d:\n%.500s", path, a.status, a.body)
			continue
		}
		if ct := a.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("GET %s: Content-Type %q", path, ct)
		}
		checkHeaders(t, "GET "+path, a.header)
		if !strings.Contains(a.body, `<html lang="nb"`) {
			t.Errorf("GET %s: not <html lang=\"nb\">", path)
		}
		if !strings.Contains(a.body, "Sist oppdatert ") {
			t.Errorf("GET %s: does not say when the data last changed", path)
		}
		if styleAttr.MatchString(a.body) || handlerAttr.MatchString(a.body) {
			t.Errorf("GET %s: has a style or event handler attribute, which the CSP refuses", path)
		}
		for _, s := range inlineScript.FindAllString(a.body, -1) {
			if !strings.Contains(s, "src=") {
				t.Errorf("GET %s: inline script %s", path, s)
			}
		}
	}
}

func TestRoadmapSearch(t *testing.T) {
	want := initiativeID(t, "Digital hjemmeoppfølging")
	for _, q := range []string{"HJEMMEOPPFØLGING", "hjemmeoppfølging", "Hjemmeoppfølging kroniske"} {
		a := get(t, "/veikart?q="+url.QueryEscape(q))
		if a.status != http.StatusOK {
			t.Fatalf("q=%s: status %d", q, a.status)
		}
		if got := tiltakLinks(a.body); !slices.Equal(got, []string{want}) {
			t.Errorf("q=%s: the roadmap links to %v, want only %s", q, got, want)
		}
		if !strings.Contains(a.body, `value="`+q+`"`) {
			t.Errorf("q=%s: the search field does not keep the search", q)
		}
	}
	a := get(t, "/veikart?q=finnesikkeiportefoljen")
	if len(tiltakLinks(a.body)) != 0 || !strings.Contains(a.body, "Ingen tiltak passer til søket.") {
		t.Errorf("a search that matches nothing shows initiatives or no message")
	}
	// Every initiative of the roadmap is on the unfiltered page.
	rm, err := site.Reads.Roadmap(projections.RoadmapFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for _, g := range rm.Goals {
		for _, s := range g.SubGoals {
			for _, in := range s.Initiatives {
				all = append(all, in.InitiativeID)
			}
		}
	}
	slices.Sort(all)
	all = slices.Compact(all)
	if got := tiltakLinks(get(t, "/veikart").body); !slices.Equal(got, all) {
		t.Errorf("the unfiltered roadmap links to %d initiatives, want the roadmap's %d", len(got), len(all))
	}
}

var tiltakHref = regexp.MustCompile(`href="/tiltak/([^"/?#]+)"`)

func tiltakLinks(body string) []string {
	main := body
	if i := strings.Index(body, "<main"); i >= 0 {
		main = body[i:]
	}
	var ids []string
	for _, m := range tiltakHref.FindAllStringSubmatch(main, -1) {
		ids = append(ids, m[1])
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

func TestRoadmapFilterCounts(t *testing.T) {
	a := get(t, "/veikart")
	all, err := site.Reads.Initiatives(projections.InitiativeFilter{Phase: "execution"})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, in := range all {
		if in.State != "rejected" && in.State != "withdrawn" && in.State != "cancelled" {
			n++
		}
	}
	want := fmt.Sprintf(`<option value="execution">Gjennomføring (%d)</option>`, n)
	if !strings.Contains(a.body, want) {
		t.Errorf("the phase filter does not offer %s", want)
	}
	b := get(t, "/veikart?phase=execution")
	if !strings.Contains(b.body, `<option value="execution" selected>`) {
		t.Error("the chosen phase is not selected")
	}
	if got := len(tiltakLinks(b.body)); got != n {
		t.Errorf("phase=execution shows %d initiatives, the count says %d", got, n)
	}
}

func TestBadInput(t *testing.T) {
	initiative := initiativeID(t, "Digital hjemmeoppfølging")
	long := strings.Repeat("a", 10*1024)
	cases := []struct {
		path   string
		status int
		says   string
	}{
		{"/veikart?phase=nesten-ferdig", 400, "Ukjent fase"},
		{"/veikart?goal=M99", 400, "Ukjent mål"},
		{"/veikart?subGoal=9Z", 400, "Ukjent delmål"},
		{"/veikart?owner=Ingen+eier+AS", 400, "Ukjent eier"},
		{"/veikart?userGroup=astronauter", 400, "Ukjent brukergruppe"},
		{"/veikart?sort=pris", 400, "Ukjent sortering"},
		{"/veikart?q=" + long, 400, "Søketeksten er for lang"},
		{"/veikart?q=a&q=b", 400, "flere ganger"},
		{"/veikart?subGoal=1A&side=0", 400, "sidenummer"},
		{"/portefolje?state=glemt", 400, "Ukjent tilstand"},
		{"/portefolje?sort=pris", 400, "Ukjent sortering"},
		{"/portefolje?format=pdf", 400, "Ukjent format"},
		{"/portefolje?q=" + long, 400, "Søketeksten er for lang"},
		{"/tiltak/01JFINNESIKKE0000000000000", 404, "Vi fant ikke tiltaket"},
		{"/tiltak/" + long, 404, "Vi fant ikke tiltaket"},
		{"/tiltak/" + initiative + "?asOf=2026-13-45", 400, "Ugyldig dato"},
		{"/tiltak/" + initiative + "?asOf=i+går", 400, "Ugyldig dato"},
		{"/tiltak/" + initiative + "?asOf=2000-01-01", 404, "fantes ikke"},
		{"/radsmodell?year=tjueseks", 400, "Ugyldig år"},
		{"/radsmodell?forum=STORTINGET", 400, "Ukjent forum"},
		{"/radsmodell/moter/finnesikke", 404, "Vi fant ikke møtet"},
		{"/radsmodell/saker/finnesikke", 404, "Vi fant ikke saken"},
		{"/vedtak?from=2026-02-30", 400, "Ugyldig dato"},
		{"/vedtak?to=igår", 400, "Ugyldig dato"},
		{"/vedtak?from=2026-05-01&to=2026-01-01", 400, "kan ikke være før"},
		{"/vedtak?forum=xyz", 400, "Ukjent forum"},
		{"/vedtak?initiativeId=finnesikke", 400, "Ukjent tiltak"},
		{"/vedtak?q=" + long, 400, "for lang"},
		{"/vedtak?format=xml", 400, "Ukjent format"},
		{"/feed/vedtak.atom?from=1.1.2026", 400, "Ugyldig dato"},
		{"/finnes-ikke", 404, "Vi fant ikke siden"},
		{"/assets/finnes-ikke.css", 404, "Fant ikke filen"},
	}
	for _, c := range cases {
		a := get(t, c.path)
		short := c.path
		if len(short) > 80 {
			short = short[:80] + "…"
		}
		if a.status != c.status {
			t.Errorf("GET %s: status %d, want %d", short, a.status, c.status)
			continue
		}
		if !strings.Contains(a.body, c.says) {
			t.Errorf("GET %s: the page does not say %q:\n%.300s", short, c.says, a.body)
		}
		if c.path != "/assets/finnes-ikke.css" {
			if !strings.Contains(a.body, `<html lang="nb"`) {
				t.Errorf("GET %s: the error page is not a Norwegian HTML page", short)
			}
			checkHeaders(t, "GET "+short, a.header)
		}
		if strings.Contains(a.body, long) {
			t.Errorf("GET %s: the error page repeats the 10 KB input", short)
		}
	}
	req, _ := http.NewRequest(http.MethodPost, site.URL()+"/veikart", strings.NewReader("x=1"))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /veikart: status %d, want 405", res.StatusCode)
	}
	// The API keeps its own problem answers.
	if a := get(t, "/v1/finnes-ikke"); a.status != 404 || !strings.Contains(a.header.Get("Content-Type"), "problem+json") {
		t.Errorf("GET /v1/finnes-ikke: %d %s, want the API's 404 problem", a.status, a.header.Get("Content-Type"))
	}
}

func TestPortfolioCSV(t *testing.T) {
	a := get(t, "/portefolje?format=csv")
	if a.status != 200 || a.header.Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Fatalf("status %d, Content-Type %q", a.status, a.header.Get("Content-Type"))
	}
	if !strings.Contains(a.header.Get("Content-Disposition"), "portefolje.csv") {
		t.Errorf("Content-Disposition %q", a.header.Get("Content-Disposition"))
	}
	if !strings.HasPrefix(a.body, "\uFEFF") {
		t.Fatal("no UTF-8 byte order mark: Excel would misread æ ø å")
	}
	if !strings.Contains(a.body, "\r\n") {
		t.Error("lines do not end in CRLF")
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(a.body, "\uFEFF")))
	r.Comma = ';'
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	all, err := site.Reads.Initiatives(projections.InitiativeFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(all)+1 {
		t.Fatalf("%d rows, want a header and %d initiatives", len(rows), len(all))
	}
	if rows[0][0] != "Tiltak-ID" || rows[0][1] != "Tiltak" {
		t.Errorf("header %v", rows[0])
	}
	found := false
	for _, row := range rows[1:] {
		if row[1] == "Digital hjemmeoppfølging" {
			found = true
			if row[11] != "320000000" {
				t.Errorf("cost %q, want 320000000", row[11])
			}
		}
	}
	if !found {
		t.Error("the CSV has no Digital hjemmeoppfølging")
	}
	f := get(t, "/portefolje?format=csv&phase=execution")
	if strings.Count(f.body, "\r\n") >= strings.Count(a.body, "\r\n") {
		t.Error("the CSV does not follow the filters")
	}
}

func TestDecisionsCSVAndFormulas(t *testing.T) {
	title := "=HYPERLINK(\"http://example.com\") " + strconv.FormatInt(time.Now().UnixNano(), 36)
	meeting, _ := command(t, "ScheduleMeeting", map[string]any{"forum": "NUFA", "date": time.Now().Format(time.DateOnly)})
	caseID, _ := command(t, "RegisterCase", map[string]any{"forum": "NUFA", "title": title, "caseType": "discussion",
		"purpose": "other", "proposedResolution": "+drøfte"})
	command(t, "PlaceCaseOnAgenda", map[string]any{"caseId": caseID, "meetingId": meeting})
	command(t, "HoldMeeting", map[string]any{"meetingId": meeting})
	_, pos := command(t, "RecommendInCouncil", map[string]any{"caseId": caseID, "meetingId": meeting, "resolution": "-1+1 anbefales"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := site.Reads.WaitFor(ctx, pos); err != nil {
		t.Fatal(err)
	}
	a := get(t, "/vedtak?format=csv&forum=NUFA")
	if a.status != 200 || !strings.HasPrefix(a.body, "\uFEFF") {
		t.Fatalf("status %d, BOM %v", a.status, strings.HasPrefix(a.body, "\uFEFF"))
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(a.body, "\uFEFF")))
	r.Comma = ';'
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var row []string
	for _, x := range rows[1:] {
		if strings.Contains(x[4], title[1:]) {
			row = x
		}
	}
	if row == nil {
		t.Fatal("the new decision is not in the CSV")
	}
	if row[4] != "'"+title || row[7] != "'-1+1 anbefales" {
		t.Errorf("formula-like cells not neutralised: title %q, resolution %q", row[4], row[7])
	}
	for _, x := range rows[1:] {
		if x[1] != "NUFA" {
			t.Errorf("forum=NUFA lists a decision of %s", x[1])
		}
	}
	// The page finds it by free text, whatever the case.
	p := get(t, "/vedtak?q="+url.QueryEscape("HYPERLINK ANBEFALES"))
	if !strings.Contains(p.body, "1 anbefales") || len(tiltakLinks(p.body)) != 0 {
		t.Error("/vedtak?q= does not find the decision")
	}
}

type feed struct {
	XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string   `xml:"id"`
	Title   string   `xml:"title"`
	Updated string   `xml:"updated"`
	Links   []struct {
		Rel  string `xml:"rel,attr"`
		Href string `xml:"href,attr"`
	} `xml:"link"`
	Entries []struct {
		ID      string `xml:"id"`
		Title   string `xml:"title"`
		Updated string `xml:"updated"`
		Link    struct {
			Href string `xml:"href,attr"`
		} `xml:"link"`
		Summary string `xml:"summary"`
	} `xml:"entry"`
}

func TestAtomFeed(t *testing.T) {
	a := get(t, "/feed/vedtak.atom")
	if a.status != 200 || !strings.HasPrefix(a.header.Get("Content-Type"), "application/atom+xml") {
		t.Fatalf("status %d, Content-Type %q", a.status, a.header.Get("Content-Type"))
	}
	var f feed
	if err := xml.Unmarshal([]byte(a.body), &f); err != nil {
		t.Fatalf("the feed is not Atom XML: %v", err)
	}
	if f.ID == "" || f.Title == "" {
		t.Error("the feed has no id or title")
	}
	if _, err := time.Parse(time.RFC3339, f.Updated); err != nil {
		t.Errorf("feed updated %q: %v", f.Updated, err)
	}
	self := false
	for _, l := range f.Links {
		self = self || (l.Rel == "self" && strings.HasSuffix(l.Href, "/feed/vedtak.atom"))
	}
	if !self {
		t.Error("no rel=self link")
	}
	ds, err := site.Reads.Decisions(projections.DecisionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Entries) != min(len(ds), 100) || len(f.Entries) == 0 {
		t.Fatalf("%d entries, want %d", len(f.Entries), min(len(ds), 100))
	}
	ids := map[string]bool{}
	for _, e := range f.Entries {
		if ids[e.ID] {
			t.Errorf("entry id %s twice", e.ID)
		}
		ids[e.ID] = true
		if _, err := time.Parse(time.RFC3339, e.Updated); err != nil {
			t.Errorf("entry %s updated %q: %v", e.ID, e.Updated, err)
		}
		if !strings.HasPrefix(e.Link.Href, "http://") || e.Title == "" || e.Summary == "" {
			t.Errorf("entry %s: link %q, title %q, summary %q", e.ID, e.Link.Href, e.Title, e.Summary)
		}
	}
	// The ids are stable: the same decisions have the same ids next time.
	var again feed
	if err := xml.Unmarshal([]byte(get(t, "/feed/vedtak.atom").body), &again); err != nil {
		t.Fatal(err)
	}
	for _, e := range again.Entries {
		if !ids[e.ID] {
			t.Errorf("entry id %s is new on the second fetch", e.ID)
		}
	}
}

func TestETagAndCaching(t *testing.T) {
	a := get(t, "/veikart")
	tag := a.header.Get("ETag")
	if tag == "" {
		t.Fatal("no ETag")
	}
	if b := get(t, "/veikart", "If-None-Match", tag); b.status != http.StatusNotModified || b.body != "" {
		t.Errorf("revalidation with the ETag: status %d, %d bytes; want 304 and no body", b.status, len(b.body))
	}
	// A new event changes the read models' position and so the ETag.
	_, pos := command(t, "ScheduleMeeting", map[string]any{"forum": "EHR", "date": "2030-06-01"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := site.Reads.WaitFor(ctx, pos); err != nil {
		t.Fatal(err)
	}
	c := get(t, "/veikart", "If-None-Match", tag)
	if c.status != http.StatusOK || c.header.Get("ETag") == tag {
		t.Errorf("after a new event: status %d, ETag %s (was %s); want 200 and a new ETag", c.status, c.header.Get("ETag"), tag)
	}

	// gzip for pages and assets; assets by content hash, cached for a year.
	z := get(t, "/veikart", "Accept-Encoding", "gzip")
	if z.header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding %q", z.header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(strings.NewReader(z.body))
	if err != nil {
		t.Fatal(err)
	}
	html, err := io.ReadAll(zr)
	if err != nil || !strings.Contains(string(html), "Veikart") {
		t.Fatalf("the gzipped page does not unpack to the roadmap: %v", err)
	}
	assets := regexp.MustCompile(`/assets/[a-z-]+\.[0-9a-f]{10}\.(?:css|js)`).FindAllString(string(html), -1)
	if len(assets) < 4 {
		t.Fatalf("the page links %d hashed assets, want the Designsystemet CSS, its theme, site.css and site.js", len(assets))
	}
	for _, p := range assets {
		x := get(t, p, "Accept-Encoding", "gzip")
		if x.status != 200 || !strings.Contains(x.header.Get("Cache-Control"), "max-age=31536000") ||
			!strings.Contains(x.header.Get("Cache-Control"), "immutable") {
			t.Errorf("GET %s: status %d, Cache-Control %q", p, x.status, x.header.Get("Cache-Control"))
		}
		if x.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: no nosniff", p)
		}
		if y := get(t, p, "If-None-Match", x.header.Get("ETag")); y.status != http.StatusNotModified {
			t.Errorf("GET %s revalidated: status %d", p, y.status)
		}
	}
}

func TestInitiativePage(t *testing.T) {
	id := initiativeID(t, "Digital hjemmeoppfølging")
	a := get(t, "/tiltak/"+id)
	for _, want := range []string{"Helsedirektoratet", "320 000 000 kr", "1. januar 2024 – 31. desember 2027",
		"Statusrapporter", "Milepæler", "Faser og beslutninger", `href="/radsmodell/saker/`, "Delmål", "kommuner"} {
		if !strings.Contains(a.body, want) {
			t.Errorf("the initiative page does not show %q", want)
		}
	}
	today := time.Now().Format(time.DateOnly)
	b := get(t, "/tiltak/"+id+"?asOf="+today)
	if b.status != 200 || !strings.Contains(b.body, "Slik tiltaket sto") || !strings.Contains(b.body, "Digital hjemmeoppfølging") {
		t.Errorf("as it stood today: status %d", b.status)
	}
}

func TestLiveStream(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, site.URL()+"/hendelser", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("Content-Type %q", ct)
	}
	events := make(chan uint64, 16)
	go func() {
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				n, _ := strconv.ParseUint(d, 10, 64)
				events <- n
			}
		}
		close(events)
	}()
	first := <-events
	if first == 0 || first > site.Reads.Position() {
		t.Fatalf("first event at %d, the read models are at %d", first, site.Reads.Position())
	}
	_, pos := command(t, "ScheduleMeeting", map[string]any{"forum": "NUIT", "date": "2030-09-01"})
	for {
		select {
		case n, ok := <-events:
			if !ok {
				t.Fatal("the stream ended")
			}
			if n >= pos {
				return
			}
		case <-ctx.Done():
			t.Fatalf("no event for position %d", pos)
		}
	}
}

// TestRoadmapFiltersAgreeWithReadModels: the page applies the filters to
// the roadmap of the search; it must show what the read models' own
// filters select.
func TestRoadmapFiltersAgreeWithReadModels(t *testing.T) {
	filters := []projections.RoadmapFilter{
		{Owner: "Norsk helsenett SF"}, {Owner: "ks"}, {Phase: "execution"}, {Phase: "rollout", Owner: "Helsedirektoratet"},
		{UserGroup: "kommuner"}, {UserGroup: "KOMMUNER", Phase: "planning"}, {Goal: "M2"}, {SubGoal: "1A"},
		{Goal: "M4", Phase: "rollout"}, {Q: "digital"}, {Q: "digital", UserGroup: "innbyggere"}, {Goal: "M1", SubGoal: "1A", Q: "helse"},
	}
	for _, f := range filters {
		rm, err := site.Reads.Roadmap(f)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, g := range rm.Goals {
			for _, s := range g.SubGoals {
				for _, in := range s.Initiatives {
					want = append(want, in.InitiativeID)
				}
			}
		}
		slices.Sort(want)
		want = slices.Compact(want)
		q := url.Values{}
		for k, v := range map[string]string{"goal": f.Goal, "subGoal": f.SubGoal, "owner": f.Owner, "userGroup": f.UserGroup, "phase": f.Phase, "q": f.Q} {
			if v != "" {
				q.Set(k, v)
			}
		}
		a := get(t, "/veikart?"+q.Encode())
		if a.status != 200 {
			t.Errorf("/veikart?%s: status %d", q.Encode(), a.status)
			continue
		}
		if got := tiltakLinks(a.body); !slices.Equal(got, want) {
			t.Errorf("/veikart?%s shows %v, the read models select %v", q.Encode(), got, want)
		}
	}
}

func TestHeadAndLanguage(t *testing.T) {
	req, _ := http.NewRequest(http.MethodHead, site.URL()+"/veikart", nil)
	res, err := plain.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || len(b) != 0 || res.Header.Get("Content-Length") == "" || res.Header.Get("ETag") == "" {
		t.Errorf("HEAD /veikart: status %d, %d body bytes, Content-Length %q, ETag %q", res.StatusCode, len(b),
			res.Header.Get("Content-Length"), res.Header.Get("ETag"))
	}
	if a := get(t, "/strategi"); a.header.Get("Content-Language") != "nb" {
		t.Errorf("Content-Language %q", a.header.Get("Content-Language"))
	}
}
