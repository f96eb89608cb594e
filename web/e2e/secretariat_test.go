package e2e_test

// Browser tests of the signed-in area: the secretariat signs in with a
// token and records a whole meeting cycle (a refusal on the way reads in
// Norwegian); a double click records once;
// a stale form says so and keeps the text; a cross-site form is refused;
// every form page, one with validation errors included, has no axe-core
// WCAG 2.1 A/AA violations. (Sessions, owners' organisations, expired
// sessions and OpenID Connect are tested over HTTP in internal/daemon.)

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/ehelse/portfolio/internal/browsertest"
)

// sekPage is a tab signed in with the token of the named token file entry.
func sekPage(t *testing.T, who string) *browsertest.Page {
	t.Helper()
	p := browser.NewPage(t)
	p.Open(site.URL() + "/logg-inn")
	requireClean(t, p, "sign-in page")
	p.Do("type the token", chromedp.SetValue(chromedp.CSS(`#token`), site.Token(who)))
	st := submit(t, p)
	if st != http.StatusOK || !strings.HasPrefix(p.URL(), site.URL()+"/sekretariat") {
		t.Fatalf("sign-in as %s: status %d at %s", who, st, p.URL())
	}
	return p
}

// submit clicks the form's submit button and returns the status of the
// page the browser ends on.
func submit(t *testing.T, p *browsertest.Page) int64 {
	t.Helper()
	res, err := runResponse(p, chromedp.Click(chromedp.CSS(`main form.sek-form button[type="submit"]`)))
	if err != nil {
		t.Fatalf("submit at %s: %v", p.URL(), err)
	}
	return res.Status
}

func setValue(t *testing.T, p *browsertest.Page, name, value string) {
	t.Helper()
	p.Do("set "+name, chromedp.SetValue(chromedp.CSS(`main [name="`+name+`"]`), value))
}

func text(p *browsertest.Page, sel string) string {
	return browsertest.Eval[string](p, `(document.querySelector(`+strconv.Quote(sel)+`) || {}).textContent || ""`)
}

var idInURL = regexp.MustCompile(`/(moter|saker|tiltak)/([0-9A-Z]{26})`)

// idFrom is the id of the meeting, case or initiative whose page p shows.
func idFrom(t *testing.T, p *browsertest.Page) string {
	t.Helper()
	m := idInURL.FindStringSubmatch(p.URL())
	if m == nil {
		t.Fatalf("no id in %s", p.URL())
	}
	return m[2]
}

// formPage opens a form page, checks it with axe-core and returns.
func formPage(t *testing.T, p *browsertest.Page, path string) {
	t.Helper()
	p.Open(site.URL() + path)
	requireClean(t, p, path)
}

func todayOslo() string {
	loc, err := time.LoadLocation("Europe/Oslo")
	if err != nil {
		loc = time.UTC
	}
	return time.Now().In(loc).Format(time.DateOnly)
}

func TestSecretariatMeetingCycle(t *testing.T) {
	p := sekPage(t, "sekretariat")
	requireClean(t, p, "the secretariat's start page")
	initiative := initiativeID(t, "DigiHelsestasjon")
	date := todayOslo()

	schedule := func(forum string) string {
		formPage(t, p, "/sekretariat/moter/ny")
		setValue(t, p, "forum", forum)
		setValue(t, p, "date", date)
		if st := submit(t, p); st != 200 {
			t.Fatalf("schedule %s: status %d", forum, st)
		}
		requireClean(t, p, forum+" meeting page")
		return idFrom(t, p)
	}
	register := func(title, caseType, purpose, target string) string {
		formPage(t, p, "/sekretariat/saker/ny")
		setValue(t, p, "forum", "NUIT")
		setValue(t, p, "title", title)
		setValue(t, p, "caseType", caseType)
		setValue(t, p, "purpose", purpose)
		setValue(t, p, "initiativeId", initiative)
		if target != "" {
			setValue(t, p, "targetPhase", target)
		}
		setValue(t, p, "proposedResolution", "Tiltaket går over i planleggingsfasen.")
		if st := submit(t, p); st != 200 {
			t.Fatalf("register %q: status %d", title, st)
		}
		requireClean(t, p, "case page")
		return idFrom(t, p)
	}
	numberRE := regexp.MustCompile(`^\d+/\d\d$`)
	place := func(caseID, meetingID string) string {
		formPage(t, p, "/sekretariat/saker/"+caseID+"/sakskart")
		setValue(t, p, "meetingId", meetingID)
		if st := submit(t, p); st != 200 {
			t.Fatalf("place: status %d", st)
		}
		nums := browsertest.Eval[[]string](p, `[...document.querySelectorAll("main td.case-number")].map(td => td.textContent.trim())`)
		if len(nums) == 0 || !numberRE.MatchString(nums[len(nums)-1]) {
			t.Fatalf("the case page shows no forum case number n/YY: %q", nums)
		}
		return nums[len(nums)-1]
	}
	hold := func(meetingID string) {
		formPage(t, p, "/sekretariat/moter/"+meetingID+"/avhold")
		if st := submit(t, p); st != 200 {
			t.Fatalf("hold: status %d", st)
		}
		if got := text(p, "#motestatus"); got != "Avholdt" {
			t.Fatalf("meeting status %q after holding it", got)
		}
	}
	outcome := func(caseID, meetingID, value string, fields ...string) {
		formPage(t, p, "/sekretariat/saker/"+caseID+"/utfall/"+meetingID)
		p.Do("choose "+value, chromedp.Click(chromedp.CSS(`main input[name="outcome"][value="`+value+`"]`)))
		for i := 0; i+1 < len(fields); i += 2 {
			setValue(t, p, fields[i], fields[i+1])
		}
		if st := submit(t, p); st != 200 {
			t.Fatalf("outcome %s: status %d at %s", value, st, p.URL())
		}
	}

	gate := register("Faseovergang for DigiHelsestasjon til planlegging (nettlesertest)", "approval", "phase_gate", "planning")
	other := register("Prioritering av DigiHelsestasjon i 2027 (nettlesertest)", "discussion", "prioritisation", "")
	nuit := schedule("NUIT")
	n1 := place(gate, nuit)
	n2 := place(other, nuit)
	if n1 == n2 {
		t.Fatalf("both cases got number %s", n1)
	}
	hold(nuit)
	outcome(gate, nuit, "recommended", "conditions", "Gevinstplanen legges fram før gjennomføring.")
	outcome(other, nuit, "deferred", "reason", "Saken utsettes til budsjettet for 2027 er kjent.")
	p.Open(site.URL() + "/sekretariat/moter/" + nuit)
	outcomes := browsertest.Eval[[]string](p, `[...document.querySelectorAll("main td.outcome")].map(td => td.textContent.trim())`)
	if fmt.Sprint(outcomes) != "[Anbefalt Utsatt]" {
		t.Fatalf("NUIT agenda outcomes %v, want [Anbefalt Utsatt]", outcomes)
	}

	ehr := schedule("EHR")
	n3 := place(gate, ehr)
	hold(ehr)
	outcome(gate, ehr, "approved")
	p.Open(site.URL() + "/sekretariat/tiltak/" + initiative)
	if got := text(p, "#fase"); got != "Planlegging" {
		t.Fatalf("DigiHelsestasjon's phase is %q after EHR's approval, want Planlegging", got)
	}
	requireClean(t, p, "initiative page")

	p.Open(site.URL() + "/sekretariat/moter/" + nuit + "/protokoll")
	requireClean(t, p, "minutes")
	minutes := text(p, "main")
	for _, want := range []string{"Sak " + n1, "Sak " + n2, "Anbefalt", "Gevinstplanen legges fram", "Utsatt", "budsjettet for 2027"} {
		if !strings.Contains(minutes, want) {
			t.Errorf("the NUIT minutes lack %q:\n%s", want, minutes)
		}
	}
	p.Open(site.URL() + "/sekretariat/moter/" + ehr + "/protokoll")
	if m := text(p, "main"); !strings.Contains(m, "Sak "+n3) || !strings.Contains(m, "Godkjent") {
		t.Errorf("the EHR minutes lack case %s approved:\n%s", n3, m)
	}

	// The other forms of a case: its correction.
	p.Open(site.URL() + "/sekretariat/saker/" + gate)
	href := browsertest.Eval[string](p, `(document.querySelector("main a[href*='/korriger/']") || {}).getAttribute?.("href") || ""`)
	if href == "" {
		t.Fatal("the case page has no link to correct a decision")
	}
	formPage(t, p, href)
	setValue(t, p, "reason", "Skrivefeil i vedtaket.")
	if st := submit(t, p); st != 200 {
		t.Fatalf("correction: status %d", st)
	}
	if !strings.Contains(text(p, "main"), "(rettet)") {
		t.Error("the case page does not show the correction")
	}

	// A refusal reads in Norwegian: a case is approved once. Last, as the
	// 409 stays in the tab's console.
	formPage(t, p, "/sekretariat/saker/"+gate+"/utfall/"+ehr)
	p.Do("choose approved again", chromedp.Click(chromedp.CSS(`main input[name="outcome"][value="approved"]`)))
	if st := submit(t, p); st != http.StatusConflict {
		t.Fatalf("a second approval: status %d, want 409", st)
	}
	want := "Regelen: Saken " + gate + " er allerede godkjent: en sak godkjennes bare én gang."
	if got := strings.TrimSpace(text(p, "#melding .rule-text")); got != want {
		t.Errorf("the refusal reads %q, want %q", got, want)
	}
	if n := browsertest.Eval[int](p, `document.querySelectorAll("#melding [lang]").length`); n != 0 {
		t.Errorf("the Norwegian refusal is marked as another language (%d lang attributes)", n)
	}
	requireClean(t, p, "refused form", p.URL())
}

// auditCount counts the events after position after through the audit API.
func auditCount(t *testing.T, after uint64) (int, uint64) {
	t.Helper()
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/v1/audit/events?after=%d&limit=1000", site.URL(), after), nil)
	req.Header.Set("Authorization", "Bearer "+site.Token("riksrevisjonen"))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var page struct {
		Events []struct {
			Position uint64 `json:"position"`
			Type     string `json:"type"`
		} `json:"events"`
	}
	b, _ := io.ReadAll(res.Body)
	if err := json.Unmarshal(b, &page); err != nil {
		t.Fatalf("audit events: %v: %s", err, b)
	}
	last := after
	for _, e := range page.Events {
		last = e.Position
	}
	return len(page.Events), last
}

func TestSecretariatDoubleClickRecordsOnce(t *testing.T) {
	p := sekPage(t, "sekretariat")
	id := initiativeID(t, "HelseID")
	formPage(t, p, "/sekretariat/tiltak/"+id+"/status")
	for _, f := range []string{"overall", "schedule", "cost", "benefit"} {
		setValue(t, p, f, "green")
	}
	_, head := auditCount(t, 0)

	// The server's answers are held in the browser (Fetch at the response
	// stage): the first post has reached the server and been answered, the
	// form page is still showing, and the second click posts again, as a
	// hurried hand on a slow line does.
	ctx, cancel := context.WithCancel(p.Context())
	defer cancel()
	paused := make(chan fetch.EventRequestPaused, 4)
	go func() {
		for ev, err := range chromedp.Events(ctx, fetch.RequestPaused) {
			if err != nil {
				return
			}
			paused <- ev
		}
	}()
	call := func(what string, f func(ctx context.Context, t *chromedp.Target) error) {
		p.Do(what, chromedp.Func(f))
	}
	call("hold the answers to the form", func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{
			{URLPattern: "*/sekretariat/tiltak/" + id + "/status", RequestStage: fetch.RequestStageResponse}}})
		return err
	})
	// Real mouse clicks on the button, as a person gives them.
	at := browsertest.Eval[[]float64](p, `(() => { const b = document.querySelector("main form.sek-form button[type=submit]"); b.scrollIntoView({block: "center"}); const r = b.getBoundingClientRect(); return [r.x + r.width/2, r.y + r.height/2]; })()`)
	var answers []fetch.EventRequestPaused
	for i := range 2 {
		call("click", func(ctx context.Context, tg *chromedp.Target) error {
			for _, typ := range []input.DispatchMouseEventType{input.DispatchMouseEventTypeMousePressed, input.DispatchMouseEventTypeMouseReleased} {
				if _, err := cdp.Call(ctx, tg, input.DispatchMouseEvent, input.DispatchMouseEventParams{Type: typ, X: at[0], Y: at[1],
					Button: input.MouseButtonLeft, Buttons: 1, ClickCount: 1}); err != nil {
					return err
				}
			}
			return nil
		})
		select {
		case ev := <-paused:
			if ev.Request.Method != "POST" {
				t.Fatalf("held a %s request", ev.Request.Method)
			}
			answers = append(answers, ev)
		case <-time.After(10 * time.Second):
			t.Fatalf("click %d: no answer from the server", i+1)
		}
	}
	call("let the answers through", func(ctx context.Context, tg *chromedp.Target) error {
		for _, ev := range answers {
			_, _ = cdp.Call(ctx, tg, fetch.ContinueResponse, fetch.ContinueResponseParams{RequestID: ev.RequestID})
		}
		_, err := cdp.Call(ctx, tg, fetch.Disable, cdp.Empty{})
		return err
	})
	for i, ev := range answers {
		if ev.ResponseStatusCode != http.StatusSeeOther {
			t.Errorf("post %d answered %d, want 303", i+1, ev.ResponseStatusCode)
		}
	}
	// The page may be between documents: ask again until it has one.
	var err error
	for range 20 {
		if err = p.TryWaitUntil(`location.pathname === "/sekretariat/tiltak/`+id+`"`, 10*time.Second); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("the browser did not end on the initiative's page: %v", err)
	}
	if n, _ := auditCount(t, head); n != 1 {
		t.Fatalf("two posts of one form wrote %d events, want 1", n)
	}
}

func TestSecretariatStaleFormKeepsText(t *testing.T) {
	p := sekPage(t, "sekretariat")
	id := initiativeID(t, "Kjernejournal")
	formPage(t, p, "/sekretariat/tiltak/"+id+"/status")
	for _, f := range []string{"overall", "schedule"} {
		setValue(t, p, f, "yellow")
	}
	for _, f := range []string{"cost", "benefit"} {
		setValue(t, p, f, "green")
	}
	typed := "Leveransen fra leverandøren er forsinket; ny plan legges fram i januar."
	setValue(t, p, "comment", typed)
	command(t, "ReportMilestone", map[string]any{"initiativeId": id, "title": "Ny versjon i drift (nettlesertest)", "status": "planned", "plannedDate": "2027-05-01"})
	if st := submit(t, p); st != http.StatusConflict {
		t.Fatalf("stale form: status %d, want 409", st)
	}
	if !strings.Contains(text(p, "#melding"), "Noen andre har endret dette") {
		t.Errorf("no conflict message: %q", text(p, "main"))
	}
	if got := browsertest.Eval[string](p, `document.querySelector("#f-comment").value`); got != typed {
		t.Errorf("the comment is %q after the conflict, want what was typed", got)
	}
	requireClean(t, p, "conflict page", p.URL())
	if st := submit(t, p); st != 200 {
		t.Fatalf("the form sent again: status %d", st)
	}
}

func TestSecretariatFormsAccessible(t *testing.T) {
	p := sekPage(t, "sekretariat")
	id := initiativeID(t, "Helsenorge")
	in, err := site.Reads.Initiative(id)
	if err != nil {
		t.Fatal(err)
	}
	meetingID, caseID := heldMeeting(t)
	c, err := site.Reads.Case(caseID)
	if err != nil {
		t.Fatal(err)
	}
	pages := []string{"/sekretariat", "/sekretariat/moter", "/sekretariat/moter/ny", "/sekretariat/moter/" + meetingID,
		"/sekretariat/moter/" + meetingID + "/protokoll", "/sekretariat/saker/ny", "/sekretariat/saker/" + caseID,
		"/sekretariat/saker/" + caseID + "/sakskart", "/sekretariat/saker/" + caseID + "/utfall/" + meetingID,
		"/sekretariat/tiltak", "/sekretariat/tiltak/ny", "/sekretariat/tiltak/" + id, "/sekretariat/tiltak/" + id + "/status",
		"/sekretariat/tiltak/" + id + "/milepel", "/sekretariat/tiltak/" + id + "/livslop/pause",
		"/sekretariat/tiltak/" + id + "/livslop/avslutt", "/sekretariat/strategi", "/sekretariat/strategi/mal/ny",
		"/sekretariat/strategi/delmal/ny"}
	for _, st := range c.Path {
		if st.Kind == "decision" {
			pages = append(pages, "/sekretariat/saker/"+caseID+"/korriger/"+st.EventID)
			break
		}
	}
	for _, m := range in.Milestones {
		pages = append(pages, "/sekretariat/tiltak/"+id+"/milepel/"+m.MilestoneID+"/nadd", "/sekretariat/tiltak/"+id+"/milepel/"+m.MilestoneID+"/forsinket")
		break
	}
	for _, path := range pages {
		formPage(t, p, path)
	}

	t.Run("a form with validation errors", func(t *testing.T) {
		formPage(t, p, "/sekretariat/tiltak/"+id+"/status")
		setValue(t, p, "overall", "red")
		if st := submit(t, p); st != http.StatusUnprocessableEntity {
			t.Fatalf("status %d, want 422", st)
		}
		if n := browsertest.Eval[int](p, `document.querySelectorAll("main [aria-invalid=true]").length`); n < 4 {
			t.Errorf("%d fields marked invalid, want the three lights and the comment", n)
		}
		if !strings.Contains(text(p, "#f-comment-feil"), "Må fylles ut når et lys er gult eller rødt.") {
			t.Errorf("the comment's error: %q", text(p, "#f-comment-feil"))
		}
		requireClean(t, p, "form with validation errors", p.URL())
	})
	t.Run("the auditor's pages", func(t *testing.T) {
		a := sekPage(t, "riksrevisjonen")
		requireClean(t, a, "audit start page")
		if !strings.Contains(text(a, "#verifisering"), "Ja: alle") {
			t.Errorf("verification: %q", text(a, "main"))
		}
		formPage(t, a, "/sekretariat/revisjon/tiltak/"+id)
		formPage(t, a, "/sekretariat/revisjon/saker/"+caseID)
	})
	t.Run("an owner's pages", func(t *testing.T) {
		o := sekPage(t, "hso")
		requireClean(t, o, "owner's initiatives")
		formPage(t, o, "/sekretariat/tiltak/ny")
	})
}

func TestSecretariatCrossSitePostRefused(t *testing.T) {
	p := sekPage(t, "sekretariat")
	// A page of another origin that posts a form to the site at once.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!DOCTYPE html><html lang="en"><title>x</title><body>
<form id="f" method="post" action="%s/sekretariat/moter/ny"><input name="forum" value="NUIT"><input name="date" value="2026-12-31"></form>
<script>document.getElementById("f").submit()</script></body></html>`, site.URL())
	}))
	defer evil.Close()
	_, head := auditCount(t, 0)
	res, err := runResponse(p, chromedp.Navigate(strings.Replace(evil.URL, "127.0.0.1", "localhost", 1)))
	if err != nil {
		t.Fatal(err)
	}
	_ = res
	p.WaitUntil(`location.pathname === "/sekretariat/moter/ny"`, 10*time.Second)
	if !strings.Contains(text(p, "main"), "Skjemaet ble sendt fra et annet nettsted") {
		t.Fatalf("the cross-site post was not refused: %s", text(p, "main"))
	}
	if n, _ := auditCount(t, head); n != 0 {
		t.Fatalf("a cross-site post wrote %d events", n)
	}
}
