package e2e_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ehelse/portfolio/internal/browsertest"
	"github.com/ehelse/portfolio/projections"
)

// openConsultation opens a consultation through the API with a deadline a
// month ahead and waits until the read models have it.
func openConsultation(t *testing.T, title string) string {
	t.Helper()
	id, pos := command(t, "OpenConsultation", map[string]any{"title": title, "description": "Forslag til felles retningslinjer.",
		"questions": []string{"Støtter dere forslaget?", "Har dere andre innspill?"}, "invitedBodies": []string{"KS", "Sametinget"},
		"deadline": time.Now().AddDate(0, 1, 0).Format(time.DateOnly)})
	waitRead(t, pos)
	return id
}

func waitRead(t *testing.T, pos uint64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := site.Reads.WaitFor(ctx, pos); err != nil {
		t.Fatal(err)
	}
}

// consultationNow is the consultation as the secretariat sees it, once the
// read models have applied the whole log.
func consultationNow(t *testing.T, id string) projections.ConsultationDetail {
	t.Helper()
	head, err := site.Store.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	waitRead(t, head)
	c, err := site.Reads.Consultation(id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// mainText is the visible text of the page's main element.
func mainText(p *browsertest.Page) string {
	return browsertest.Eval[string](p, `document.querySelector("main").innerText`)
}

// fillResponse types into the empty fields of a freshly loaded response form (the
// page may have scripts off).
func fillResponse(p *browsertest.Page, org, email, answer1 string, replace bool) {
	actions := []chromedp.Action[chromedp.Void]{
		chromedp.SendKeys(chromedp.CSS(`#organisasjon`), org),
		chromedp.SendKeys(chromedp.CSS(`#epost`), email),
		chromedp.SendKeys(chromedp.CSS(`#svar-1`), answer1),
	}
	if replace {
		actions = append(actions, chromedp.Click(chromedp.CSS(`#erstatt`)))
	}
	p.Do("fill the response form", actions...)
}

// submitResponse sends the form and returns the status of the page it leads to.
func submitResponse(t *testing.T, p *browsertest.Page) int64 {
	t.Helper()
	res, err := runResponse(p, chromedp.Click(chromedp.CSS(`form.response-form button[type=submit]`)))
	if err != nil {
		t.Fatalf("submit the response form: %v", err)
	}
	return res.Status
}

// TestConsultationPagesAccessible: /horinger, the 2022 consultation and an
// open consultation with its form, before and after a submission with
// errors, have no axe-core WCAG 2.1 A/AA violations and no console errors,
// and the Tab key reaches their links and controls with a visible focus.
func TestConsultationPagesAccessible(t *testing.T) {
	var demo string
	all, err := site.Reads.Consultations()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range all {
		if c.ArchiveRef == "22/414" {
			demo = c.ConsultationID
		}
	}
	if demo == "" {
		t.Fatal("the demo has no consultation 22/414")
	}
	open := openConsultation(t, "Tilgjengelighetshøring "+time.Now().Format(time.RFC3339Nano))
	for _, pg := range []struct{ name, path string }{
		{"the list", "/horinger"},
		{"the 2022 consultation", "/horinger/" + demo},
		{"an open consultation with its form", "/horinger/" + open},
	} {
		t.Run(pg.name, func(t *testing.T) {
			p := browser.NewPage(t)
			p.Open(site.URL() + pg.path)
			requireClean(t, p, "GET "+pg.path)
			tabThrough(t, p, pg.path, p.MarkFocusable("body"))
		})
	}
	t.Run("the form with validation errors", func(t *testing.T) {
		p := browser.NewPage(t)
		p.Open(site.URL() + "/horinger/" + open)
		fillResponse(p, " ", "ikke-en-adresse", " ", false)
		if st := submitResponse(t, p); st != http.StatusUnprocessableEntity {
			t.Fatalf("an empty form answered %d, want 422", st)
		}
		text := mainText(p)
		for _, want := range []string{"Rett opp dette før du sender:", "Skriv navnet på organisasjonen dere svarer for.",
			"Skriv en gyldig e-postadresse", "Svar på minst ett av spørsmålene, eller skriv en merknad."} {
			if !strings.Contains(text, want) {
				t.Errorf("the page with errors lacks %q", want)
			}
		}
		if n := browsertest.Eval[int](p, `document.querySelectorAll("[aria-invalid=true]").length`); n != 3 {
			t.Errorf("%d fields marked invalid, want 3", n)
		}
		// Each message is read with its field.
		if !browsertest.Eval[bool](p, `document.querySelector("#organisasjon").getAttribute("aria-describedby").includes("organisasjon-feil")`) {
			t.Error("the organisation's message is not tied to its field")
		}
		if !browsertest.Eval[bool](p, `document.activeElement.classList.contains("ds-error-summary")`) {
			t.Error("the error summary does not have the focus")
		}
		requireClean(t, p, "the form with errors", site.URL()+"/horinger/"+open)
		// From the error summary on: its links, then the fields.
		if n := tabThrough(t, p, "the form with errors", p.MarkFocusable("#skjema")); n < 8 {
			t.Errorf("the Tab key reached %d of the form's links and fields", n)
		}
	})
}

// TestResponseFormWithoutJavaScript: an organisation submits its response
// through the public form with JavaScript off; it is not on the public
// page; the secretariat publishes it through the API; it appears under its
// question; a second submission from the same organisation needs the
// replace step, and both responses stay in the history.
func TestResponseFormWithoutJavaScript(t *testing.T) {
	tag := time.Now().Format("150405.000")
	id := openConsultation(t, "Skjemahøring "+tag)
	path := "/horinger/" + id
	org := "Nettleserkommune " + tag + " (illustrativ)"
	first := "Illustrativt svar: vi støtter forslaget " + tag + "."
	p := browser.NewPage(t)
	p.DisableJavaScript()

	p.Open(site.URL() + path)
	fillResponse(p, org, "postmottak@nettleser.example.no", first, false)
	if st := submitResponse(t, p); st != 200 {
		t.Fatalf("submit: the receipt page answered %d", st)
	}
	if u := p.URL(); !strings.Contains(u, "mottatt=1") {
		t.Fatalf("after submitting the browser is at %s, want the receipt", u)
	}
	text := mainText(p)
	if !strings.Contains(text, "Takk, svaret er mottatt") {
		t.Fatal("no receipt on the page")
	}
	if strings.Contains(text, first) {
		t.Fatal("the response is on the public page before the secretariat published it")
	}
	c := consultationNow(t, id)
	if len(c.Responses) != 1 || c.Responses[0].Organisation != org || c.Responses[0].Published || c.Responses[0].RegisteredBy != "webskjema" {
		t.Fatalf("recorded %+v", c.Responses)
	}
	firstID := c.Responses[0].ResponseID

	t.Run("published through the API, it appears under its question", func(t *testing.T) {
		_, pos := command(t, "PublishConsultationResponse", map[string]any{"consultationId": id, "responseId": firstID})
		waitRead(t, pos)
		p.Open(site.URL() + path)
		if !browsertest.Eval[bool](p, fmt.Sprintf(`(() => { const h = document.getElementById("sporsmal-1");
  let n = h.nextElementSibling; while (n && n.tagName !== "H3") { if (n.innerText.includes(%q) && n.innerText.includes(%q)) return true; n = n.nextElementSibling; }
  return false; })()`, first, org)) {
			t.Fatal("the published response is not under question 1")
		}
		if strings.Contains(mainText(p), "postmottak@nettleser.example.no") {
			t.Fatal("the contact address is on the public page")
		}
	})

	second := "Illustrativt svar: vi har endret syn " + tag + "."
	t.Run("a second submission needs the replace step", func(t *testing.T) {
		p.Open(site.URL() + path)
		fillResponse(p, strings.ToUpper(org), "postmottak@nettleser.example.no", second, false)
		if st := submitResponse(t, p); st != http.StatusConflict {
			t.Fatalf("a second response without the replace step answered %d, want 409", st)
		}
		if !strings.Contains(mainText(p), "Organisasjonen har allerede sendt et svar") {
			t.Fatal("no message about the earlier response")
		}
		if n := len(consultationNow(t, id).Responses); n != 1 {
			t.Fatalf("the refused submission recorded something: %d responses", n)
		}
		// The page shown again keeps what was typed; tick the box and send.
		p.Do("tick replace", chromedp.Click(chromedp.CSS(`#erstatt`)))
		if st := submitResponse(t, p); st != 200 {
			t.Fatalf("the replacement answered %d", st)
		}
		c := consultationNow(t, id)
		if len(c.Responses) != 2 || c.Responses[0].ResponseID != firstID || c.Responses[0].ReplacedBy != c.Responses[1].ResponseID ||
			c.Responses[1].Replaces != firstID || c.Responses[1].Published {
			t.Fatalf("history %+v", c.Responses)
		}
		p.Open(site.URL() + path)
		text := mainText(p)
		if strings.Contains(text, first) || strings.Contains(text, second) {
			t.Fatal("the public page shows the replaced response, or the new one before it is published")
		}
		newID := c.Responses[1].ResponseID

		// The secretariat reads every response on its pages and publishes
		// the new one from there.
		sek := sekPage(t, "sekretariat")
		sek.Open(site.URL() + "/sekretariat/horinger/" + id)
		requireClean(t, sek, "the secretariat's consultation page")
		st := mainText(sek)
		for _, want := range []string{first, second, "Erstattet av svaret mottatt", "Ikke publisert", "postmottak@nettleser.example.no", "webskjema"} {
			if !strings.Contains(st, want) {
				t.Errorf("the secretariat's page lacks %q", want)
			}
		}
		sek.Open(site.URL() + "/sekretariat/horinger/" + id + "/publiser/" + newID)
		requireClean(t, sek, "the publish form")
		if st := submit(t, sek); st != 200 {
			t.Fatalf("publish from the secretariat's page: status %d", st)
		}
		if c := consultationNow(t, id); !c.Responses[1].Published {
			t.Fatal("the secretariat's form did not publish the response")
		}
		p.Open(site.URL() + path)
		if text := mainText(p); !strings.Contains(text, second) || strings.Contains(text, first) {
			t.Fatal("after publishing, the page does not show the new response only")
		}
	})
}
