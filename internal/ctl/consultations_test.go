package ctl

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const cons = "01JDQAC0NSXTAT10N000000001"

// The consultation commands join the cases TestCommandBodies runs.
func init() {
	commandCases = append(commandCases,
		commandCase{"consultations open",
			[]string{"consultations", "open", "--title", "Nasjonal e-helsestrategi", "--description", "Forslag", "--archive-ref", "22/414",
				"--question", "Kan dere stille dere bak målene?", "--question", "Andre innspill?", "--invite", "KS", "--invite", "Sametinget",
				"--deadline", "2022-10-01", "--opened", "2022-05-31"},
			"OpenConsultation",
			`{"title":"Nasjonal e-helsestrategi","description":"Forslag","archiveRef":"22/414",
			  "questions":["Kan dere stille dere bak målene?","Andre innspill?"],"invitedBodies":["KS","Sametinget"],
			  "deadline":"2022-10-01","openedDate":"2022-05-31"}`},
		commandCase{"consultations invite",
			[]string{"consultations", "invite", "--consultation", cons, "--body", "Tekna", "--body", "Unio"},
			"InviteToConsultation",
			`{"consultationId":"` + cons + `","bodies":["Tekna","Unio"]}`},
		commandCase{"consultations respond",
			[]string{"consultations", "respond", "--consultation", cons, "--organisation", "Eksempelkommune (illustrativ)",
				"--received", "2022-09-30", "--answer", "1=Illustrativt svar: ja, med forbehold = enighet", "--answer", "3=Nei",
				"--comments", "Ingen", "--replaces"},
			"RegisterConsultationResponse",
			`{"consultationId":"` + cons + `","organisation":"Eksempelkommune (illustrativ)","receivedDate":"2022-09-30",
			  "answers":[{"question":1,"text":"Illustrativt svar: ja, med forbehold = enighet"},{"question":3,"text":"Nei"}],
			  "comments":"Ingen","replaces":true}`},
		commandCase{"consultations publish",
			[]string{"consultations", "publish", "--consultation", cons, "--response", "01JDQAR0SP0NSE000000000001"},
			"PublishConsultationResponse",
			`{"consultationId":"` + cons + `","responseId":"01JDQAR0SP0NSE000000000001"}`},
		commandCase{"consultations close",
			[]string{"consultations", "close", "--consultation", cons, "--summary", "Oppsummert", "--case", "01JDQ7A1B2C3D4E5F6G7H8J9K0"},
			"CloseConsultation",
			`{"consultationId":"` + cons + `","summary":"Oppsummert","resultingCaseId":"01JDQ7A1B2C3D4E5F6G7H8J9K0"}`},
	)
}

func TestInviteFromFile(t *testing.T) {
	f := newFake(t)
	path := filepath.Join(t.TempDir(), "bodies.txt")
	list := "\ufeffAbelia\n\nAkademikerne\r\n  abelia  \nAleap\n   \nAKADEMIKERNE\nAleap\n"
	if err := os.WriteFile(path, []byte(list), 0o644); err != nil {
		t.Fatal(err)
	}
	r := f.run("consultations", "invite", "--consultation", cons, "--file", path, "--body", "Tekna")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	jsonEqual(t, f.only(t).Body, `{"consultationId":"`+cons+`","bodies":["Tekna","Abelia","Akademikerne","Aleap"]}`)
	if want := path + ": 3 bodies (2 blank lines and 3 duplicates ignored)\n"; r.stderr != want {
		t.Errorf("stderr %q, want %q", r.stderr, want)
	}

	t.Run("from standard input", func(t *testing.T) {
		f.reset()
		r := runCtl(nil, "KS\nks\n\nSametinget\n", "--server", f.URL, "consultations", "invite", "--consultation", cons, "--file", "-")
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		jsonEqual(t, f.only(t).Body, `{"consultationId":"`+cons+`","bodies":["KS","Sametinget"]}`)
	})
	t.Run("an empty file sends nothing", func(t *testing.T) {
		f.reset()
		empty := filepath.Join(t.TempDir(), "empty.txt")
		_ = os.WriteFile(empty, []byte("\n\n"), 0o644)
		r := f.run("consultations", "invite", "--consultation", cons, "--file", empty)
		if r.code != ExitUsage || len(f.requests()) != 0 {
			t.Fatalf("exit %d, %d requests", r.code, len(f.requests()))
		}
	})
	t.Run("a missing file sends nothing", func(t *testing.T) {
		f.reset()
		r := f.run("consultations", "invite", "--consultation", cons, "--file", filepath.Join(t.TempDir(), "nope.txt"))
		if r.code != ExitUsage || len(f.requests()) != 0 {
			t.Fatalf("exit %d, %d requests", r.code, len(f.requests()))
		}
	})
}

func TestRespondBadAnswer(t *testing.T) {
	f := newFake(t)
	r := f.run("consultations", "respond", "--consultation", cons, "--organisation", "KS", "--received", "2022-09-30", "--answer", "ja")
	if r.code != ExitUsage || len(f.requests()) != 0 || !strings.Contains(r.stderr, `--answer "1=Ja"`) {
		t.Fatalf("exit %d, %d requests, stderr %q", r.code, len(f.requests()), r.stderr)
	}
}

func TestConsultationQueries(t *testing.T) {
	f := newFake(t)
	f.on("/v1/consultations", reply{body: `{"consultations":[{"consultationId":"` + cons + `","title":"Nasjonal e-helsestrategi",
		"archiveRef":"22/414","openedDate":"2022-05-31","deadline":"2022-10-01","closed":true,"status":"closed",
		"invitedCount":94,"responseCount":3,"publishedCount":3}]}`})
	f.on("/v1/consultations/"+cons, reply{body: `{"consultationId":"` + cons + `","title":"Nasjonal e-helsestrategi",
		"archiveRef":"22/414","openedDate":"2022-05-31","deadline":"2022-10-01","closed":true,"status":"closed",
		"invitedCount":2,"responseCount":1,"publishedCount":1,"description":"d","questions":["Enig?","Annet?"],
		"summary":"Oppsummert","invitedBodies":[{"name":"KS","responded":true},{"name":"Tekna","responded":false}],
		"responses":[{"responseId":"R1","organisation":"KS","receivedDate":"2022-10-03","late":true,"published":true,
		"answers":[{"question":1,"text":"Ja"}],"registeredAt":"2022-10-03T10:00:00Z"}],"version":5,"position":9}`})
	r := f.run("consultations", "list")
	if r.code != 0 || !strings.Contains(r.stdout, "22/414") || !strings.Contains(r.stdout, "closed") || !strings.Contains(r.stdout, "94") {
		t.Fatalf("list: %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = f.run("consultations", "show", cons)
	for _, want := range []string{"1. Enig?", "2. Annet?", "Invited bodies: 2, 1 of them responded", "R1", "Oppsummert"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("show lacks %q:\n%s", want, r.stdout)
		}
	}
	f.reset()
	r = f.run("-o", "csv", "consultations", "show", cons)
	if req := f.only(t); req.Query != "format=csv" || r.code != 0 {
		t.Fatalf("csv: query %q, exit %d %s", req.Query, r.code, r.stderr)
	}
}
