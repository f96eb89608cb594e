package web_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ehelse/portfolio/projections"
)

// The consultation pages and the public response form, over HTTP against
// the demo server (the browser tests in e2e/ drive the same form in
// Chromium).

// demoConsultation is the demo's 2022 consultation on the strategy.
func demoConsultation(t *testing.T) projections.ConsultationDetail {
	t.Helper()
	all, err := site.Reads.Consultations()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range all {
		if c.ArchiveRef == "22/414" {
			return c
		}
	}
	t.Fatal("the demo has no consultation 22/414")
	return projections.ConsultationDetail{}
}

// openConsultation opens a consultation through the API, with a deadline
// a month from now, and waits until the read models have it.
func openConsultation(t *testing.T, title string) string {
	t.Helper()
	id, pos := command(t, "OpenConsultation", map[string]any{"title": title, "description": "Forslag.\n\nAndre avsnitt.",
		"questions": []string{"Støtter dere forslaget?", "Har dere andre innspill?"}, "invitedBodies": []string{"KS", "Sametinget"},
		"deadline": time.Now().AddDate(0, 1, 0).Format(time.DateOnly)})
	waitFor(t, pos)
	return id
}

func waitFor(t *testing.T, pos uint64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := site.Reads.WaitFor(ctx, pos); err != nil {
		t.Fatal(err)
	}
}

// formID is the hidden form id of a rendered page.
var formIDRE = regexp.MustCompile(`name="skjema" value="([0-9A-Z]{26}\.[A-Za-z0-9_-]{22})"`)

func formID(t *testing.T, body string) string {
	t.Helper()
	m := formIDRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("the page has no response form")
	}
	return m[1]
}

// poster posts forms from one client address (127.0.0.x), without
// following redirects.
type poster struct {
	hc *http.Client
}

func newPoster(localIP string) *poster {
	d := &net.Dialer{Timeout: 5 * time.Second}
	if localIP != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(localIP)}
	}
	tr := &http.Transport{DialContext: d.DialContext, DisableCompression: true, MaxIdleConnsPerHost: 64}
	return &poster{hc: &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

func (p *poster) post(t *testing.T, path string, form url.Values, header ...string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, site.URL()+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := p.hc.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return answer{status: res.StatusCode, header: res.Header, body: string(b)}
}

// responsesOf are the consultation's responses once the read models have
// applied the whole log.
func responsesOf(t *testing.T, id string) []projections.ConsultationResponseView {
	t.Helper()
	head, err := site.Store.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, head)
	c, err := site.Reads.Consultation(id)
	if err != nil {
		t.Fatal(err)
	}
	return c.Responses
}

func TestConsultationPages(t *testing.T) {
	c := demoConsultation(t)
	list := get(t, "/horinger")
	if list.status != 200 {
		t.Fatalf("/horinger: %d", list.status)
	}
	checkHeaders(t, "/horinger", list.header)
	for _, want := range []string{"Nasjonal e-helsestrategi for helse- og omsorgssektoren", "22/414", "1. oktober 2022",
		"Ferdig behandlet", "Åpen", "Eksempelhøring"} {
		if !strings.Contains(list.body, want) {
			t.Errorf("/horinger lacks %q", want)
		}
	}
	page := get(t, "/horinger/"+c.ConsultationID)
	if page.status != 200 || page.header.Get("Cache-Control") != "no-store" || page.header.Get("ETag") != "" {
		t.Fatalf("consultation page: %d, Cache-Control %q, ETag %q", page.status, page.header.Get("Cache-Control"), page.header.Get("ETag"))
	}
	checkHeaders(t, "consultation page", page.header)
	for _, want := range []string{"Kan dere stille dere bak de fem strategiske målene", "Har svart (0)", "Har ikke svart (94)",
		"Eksempelkommune (illustrativ)", "Illustrativt svar:", "(etter fristen)", "Oppsummering", "Andre merknader"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("the 2022 consultation's page lacks %q", want)
		}
	}
	if strings.Contains(page.body, "<form method=\"post\"") {
		t.Error("a closed consultation offers the response form")
	}
	// The replaced first response is history, not on the public page.
	if strings.Contains(page.body, "Vi støtter målene.</p>") {
		t.Error("the replaced response is shown")
	}
	if inlineScript.MatchString(page.body) && strings.Contains(page.body, "<script>") || styleAttr.MatchString(page.body) || handlerAttr.MatchString(page.body) {
		t.Error("inline script or style on the consultation page")
	}
	csvA := get(t, "/horinger/"+c.ConsultationID+"?format=csv")
	if csvA.status != 200 || !strings.HasPrefix(csvA.header.Get("Content-Type"), "text/csv") || !strings.HasPrefix(csvA.body, "\uFEFF") {
		t.Fatalf("csv: %d %q", csvA.status, csvA.header.Get("Content-Type"))
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(csvA.body, "\uFEFF")))
	r.Comma = ';'
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || len(rows[0]) != 8 || !strings.HasPrefix(rows[0][3], "Spørsmål 1: Kan dere stille") {
		t.Fatalf("csv rows %q", rows)
	}
	for _, row := range rows[1:] {
		if !strings.Contains(row[0], "(illustrativ)") {
			t.Errorf("csv row of %q", row[0])
		}
	}
	if bad := get(t, "/horinger/"+c.ConsultationID+"?format=xml"); bad.status != 400 {
		t.Errorf("format=xml: %d", bad.status)
	}
	if nf := get(t, "/horinger/01JDQAC0NSXTAT10N000000009"); nf.status != 404 {
		t.Errorf("unknown consultation: %d", nf.status)
	}
}

func TestResponseForm(t *testing.T) {
	id := openConsultation(t, "Skjemahøring "+time.Now().Format(time.RFC3339Nano))
	path := "/horinger/" + id
	p := newPoster("127.0.0.3")
	valid := func(org string) url.Values {
		return url.Values{"skjema": {formID(t, get(t, path).body)}, "organisasjon": {org}, "epost": {"post@eksempel.no"},
			"svar1": {"Illustrativt svar: ja.\r\n\r\nAndre avsnitt."}, "svar2": {""}, "merknader": {""}}
	}

	t.Run("a valid response is recorded, not published, and the reader gets a receipt", func(t *testing.T) {
		f := valid("Eksempelkommune (illustrativ)")
		a := p.post(t, path, f)
		if a.status != http.StatusSeeOther || a.header.Get("Location") != path+"?mottatt=1#kvittering" {
			t.Fatalf("post: %d %q", a.status, a.header.Get("Location"))
		}
		rs := responsesOf(t, id)
		if len(rs) != 1 || rs[0].Published || rs[0].RegisteredBy != "webskjema" || rs[0].ContactSealed == "" {
			t.Fatalf("responses %+v", rs)
		}
		page := get(t, path+"?mottatt=1")
		if !strings.Contains(page.body, "Takk, svaret er mottatt") || strings.Contains(page.body, "Illustrativt svar: ja.") ||
			strings.Contains(page.body, "post@eksempel.no") {
			t.Error("the receipt is missing, or the unpublished response or the address is on the page")
		}
		t.Run("the same rendered form posted again records nothing new", func(t *testing.T) {
			a := p.post(t, path, f)
			if a.status != http.StatusSeeOther || len(responsesOf(t, id)) != 1 {
				t.Fatalf("repeat: %d, %d responses", a.status, len(responsesOf(t, id)))
			}
		})
		t.Run("a second response needs the replace step", func(t *testing.T) {
			a := p.post(t, path, valid("  eksempelkommune (ILLUSTRATIV)"))
			if a.status != http.StatusConflict || !strings.Contains(a.body, "Organisasjonen har allerede sendt et svar") {
				t.Fatalf("second response: %d", a.status)
			}
			f := valid("eksempelkommune (illustrativ)")
			f.Set("erstatt", "ja")
			if a := p.post(t, path, f); a.status != http.StatusSeeOther {
				t.Fatalf("replace: %d %s", a.status, a.body)
			}
			rs := responsesOf(t, id)
			if len(rs) != 2 || rs[0].ReplacedBy != rs[1].ResponseID || rs[1].Replaces != rs[0].ResponseID {
				t.Fatalf("history %+v", rs)
			}
		})
	})

	t.Run("bad input gets Norwegian messages next to the fields and records nothing", func(t *testing.T) {
		p := newPoster("127.0.0.5")
		before := len(responsesOf(t, id))
		for _, tc := range []struct {
			name   string
			change func(url.Values)
			want   []string
		}{
			{"no organisation", func(f url.Values) { f.Set("organisasjon", " ") }, []string{"Skriv navnet på organisasjonen dere svarer for."}},
			{"an over-long answer", func(f url.Values) { f.Set("svar2", strings.Repeat("æ", 10001)) },
				[]string{"Svaret kan være på høyst 10 000 tegn. Nå er det 10 001."}},
			{"a bad address", func(f url.Values) { f.Set("epost", "ikke-en-adresse") }, []string{"Skriv en gyldig e-postadresse"}},
			{"nothing said", func(f url.Values) { f.Set("svar1", " ") }, []string{"Svar på minst ett av spørsmålene, eller skriv en merknad."}},
			{"replace without an earlier response", func(f url.Values) { f.Set("erstatt", "ja") }, []string{"Vi finner ikke noe tidligere svar"}},
		} {
			f := valid("Ny organisasjon (illustrativ)")
			tc.change(f)
			a := p.post(t, path, f)
			if a.status != http.StatusUnprocessableEntity && a.status != http.StatusConflict {
				t.Errorf("%s: status %d", tc.name, a.status)
			}
			for _, w := range tc.want {
				if !strings.Contains(a.body, w) {
					t.Errorf("%s: the page lacks %q", tc.name, w)
				}
			}
			if !strings.Contains(a.body, `aria-invalid="true"`) || !strings.Contains(a.body, "ds-error-summary") {
				t.Errorf("%s: no field marked invalid, or no error summary", tc.name)
			}
			if strings.Contains(a.body, "skjema\" value=\""+f.Get("skjema")) == false {
				t.Errorf("%s: the form id changed on the page shown again", tc.name)
			}
		}
		if n := len(responsesOf(t, id)); n != before {
			t.Fatalf("refused posts recorded %d responses", n-before)
		}
	})

	t.Run("a form id is accepted only as the site signed it for this consultation", func(t *testing.T) {
		p := newPoster("127.0.0.7")
		other := openConsultation(t, "Annen høring "+time.Now().Format(time.RFC3339Nano))
		foreign := formID(t, get(t, "/horinger/"+other).body)
		made := "01JDQAR0SP0NSE0000000000ZZ"
		for i, token := range []string{foreign, made, made + ".AAAAAAAAAAAAAAAAAAAAAA"} {
			f := valid(fmt.Sprintf("Falsk skjema %d (illustrativ)", i))
			f.Set("skjema", token)
			if a := p.post(t, path, f); a.status != http.StatusSeeOther {
				t.Fatalf("token %q: %d", token, a.status)
			}
			rs := responsesOf(t, id)
			last := rs[len(rs)-1]
			if last.Organisation != f.Get("organisasjon") || strings.HasPrefix(token, last.ResponseID) {
				t.Fatalf("token %q: recorded %+v", token, last)
			}
		}
	})

	t.Run("a cross-site post is refused", func(t *testing.T) {
		p := newPoster("127.0.0.6")
		before := len(responsesOf(t, id))
		a := p.post(t, path, valid("Kryssområde (illustrativ)"), "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
		if a.status != http.StatusForbidden || len(responsesOf(t, id)) != before {
			t.Fatalf("cross-site post: %d", a.status)
		}
	})

	t.Run("a closed consultation takes no response", func(t *testing.T) {
		p := newPoster("127.0.0.6")
		c := demoConsultation(t)
		a := p.post(t, "/horinger/"+c.ConsultationID, valid("Sent (illustrativ)"))
		if a.status != http.StatusConflict || !strings.Contains(a.body, "ferdig behandlet") {
			t.Fatalf("closed: %d", a.status)
		}
	})

	t.Run("a body over the limit is refused", func(t *testing.T) {
		p := newPoster("127.0.0.6")
		f := valid("Stor (illustrativ)")
		f.Set("merknader", strings.Repeat("x", 300<<10))
		if a := p.post(t, path, f); a.status != http.StatusRequestEntityTooLarge {
			t.Fatalf("big body: %d", a.status)
		}
	})
}

// TestResponseFormFlood: 50 posts in a second from one address: the
// first few are recorded, the rest answered 429 and recorded nothing.
func TestResponseFormFlood(t *testing.T) {
	id := openConsultation(t, "Flomhøring "+time.Now().Format(time.RFC3339Nano))
	path := "/horinger/" + id
	p := newPoster("127.0.0.2")
	forms := make([]url.Values, 50)
	for i := range forms {
		forms[i] = url.Values{"skjema": {formID(t, get(t, path).body)}, "organisasjon": {fmt.Sprintf("Flomkommune %d (illustrativ)", i)},
			"epost": {"post@eksempel.no"}, "svar1": {"Illustrativt svar: ja."}}
	}
	var (
		mu       sync.Mutex
		statuses = map[int]int{}
		wg       sync.WaitGroup
	)
	start := time.Now()
	for _, f := range forms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := p.post(t, path, f)
			mu.Lock()
			statuses[a.status]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if d := time.Since(start); d > 5*time.Second {
		t.Logf("the 50 posts took %s", d)
	}
	accepted, refused := statuses[http.StatusSeeOther], statuses[http.StatusTooManyRequests]
	if refused == 0 || accepted == 0 || accepted+refused != 50 || accepted > 12 {
		t.Fatalf("statuses %v: want a few 303 and the rest 429", statuses)
	}
	if n := len(responsesOf(t, id)); n != accepted {
		t.Fatalf("%d responses recorded, %d posts accepted", n, accepted)
	}
	// Another address is not held back by the flood.
	q := newPoster("127.0.0.4")
	f := url.Values{"skjema": {formID(t, get(t, path).body)}, "organisasjon": {"Annen adresse (illustrativ)"},
		"epost": {"post@eksempel.no"}, "svar1": {"Illustrativt svar: ja."}}
	if a := q.post(t, path, f); a.status != http.StatusSeeOther {
		t.Fatalf("another address: %d", a.status)
	}
}
