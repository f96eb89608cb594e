package web

import "testing"

func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{
		"/sekretariat/moter":     "/sekretariat/moter",
		"/sekretariat?utkast=x":  "/sekretariat?utkast=x",
		"//evil.example/x":       "",
		"/\\evil.example":        "",
		"https://evil.example/x": "",
		"sekretariat":            "",
		"":                       "",
	} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDetailNO(t *testing.T) {
	for in, want := range map[string]string{
		"is required": "Må fylles ut.",
		"is required when a light is yellow or red": "Må fylles ut når et lys er gult eller rødt.",
		"must be a date YYYY-MM-DD":                 "Må være en dato (åååå-mm-dd).",
		"must not be before plannedStart":           "Kan ikke være før planlagt start.",
		"must be at most 200 characters (is 201)":   "Teksten er for lang.",
		"something new":                             "Ugyldig verdi.",
	} {
		if got := detailNO(in); got != want {
			t.Errorf("detailNO(%q) = %q, want %q", in, got, want)
		}
	}
}
