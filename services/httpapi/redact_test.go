package httpapi

import "testing"

func TestRedactQuery(t *testing.T) {
	for in, want := range map[string]string{
		"":                              "",
		"q=helse&goal=M1":               "q=helse&goal=M1",
		"code=abc&state=xyz":            "code=REDACTED&state=REDACTED",
		"neste=%2Fx&utkast=secret":      "neste=%2Fx&utkast=REDACTED",
		"Token=t&id%5Ftoken=x&q=code=1": "Token=REDACTED&id%5Ftoken=REDACTED&q=code=1",
	} {
		if got := redactQuery(in); got != want {
			t.Errorf("redactQuery(%q) = %q, want %q", in, got, want)
		}
	}
}
