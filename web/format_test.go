package web

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/projections"
)

func TestNorwegianFormats(t *testing.T) {
	if got := dateNO("2026-12-06"); got != "6. desember 2026" {
		t.Errorf("dateNO: %q", got)
	}
	if got := dateNO("2026-02-30"); got != "" {
		t.Errorf("dateNO of an invalid date: %q", got)
	}
	// 10.25 UTC is 11.25 in Oslo in winter, 12.25 in summer.
	if got := timeNO(time.Date(2026, 12, 6, 10, 25, 0, 0, time.UTC)); got != "6. desember 2026 kl. 11.25" {
		t.Errorf("timeNO in winter: %q", got)
	}
	if got := timeNO(time.Date(2026, 7, 1, 10, 25, 0, 0, time.UTC)); got != "1. juli 2026 kl. 12.25" {
		t.Errorf("timeNO in summer: %q", got)
	}
	for n, want := range map[int64]string{0: "0 kr", 999: "999 kr", 1000: "1 000 kr", 240_000_000: "240 000 000 kr",
		3_800_000_000: "3 800 000 000 kr", -12500: "−12 500 kr"} {
		if got := amountNO(n); got != want {
			t.Errorf("amountNO(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestNorwegianOrder(t *testing.T) {
	xs := []string{"Åsane", "Zeta", "Øvre", "ærlig", "Alfa", "Ærfugl", "Oslo", "beta"}
	sortNO(xs, func(s string) string { return s })
	// æ, ø, å after z; case does not decide the order of letters.
	want := []string{"Alfa", "beta", "Oslo", "Zeta", "Ærfugl", "ærlig", "Øvre", "Åsane"}
	if !slices.Equal(xs, want) {
		t.Errorf("sortNO: %v\nwant     %v", xs, want)
	}
	if compareNO("Ål", "Øl") <= 0 || compareNO("Øl", "Æl") <= 0 || compareNO("Æl", "Zl") <= 0 {
		t.Error("compareNO does not put Æ < Ø < Å after Z")
	}
}

func TestCSVNeutralisesFormulas(t *testing.T) {
	out := string(excelCSV([][]string{{"a", "b"}, {"=1+1", "+47 22 00 00 00"}, {"-5", "@SUM(A1)"}, {"vanlig; tekst", "æøå"}}))
	if !strings.HasPrefix(out, "\uFEFF") {
		t.Error("no byte order mark")
	}
	for _, want := range []string{"a;b\r\n", "'=1+1;'+47 22 00 00 00\r\n", "'-5;'@SUM(A1)\r\n", "\"vanlig; tekst\";æøå\r\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("CSV %q does not contain %q", out, want)
		}
	}
}

func TestTimelinePlacement(t *testing.T) {
	s := span("2024-01-01", "2027-12-31")
	if s.Class != "gs-13 ge-61" || s.Before || s.After {
		t.Errorf("span 2024–2027: %+v", s)
	}
	s = span("2013-01-01", "2035-06-30")
	if s.Class != "gs-1 ge-97" || !s.Before || !s.After {
		t.Errorf("span 2013–2035: %+v", s)
	}
	if s := span("2031-01-01", "2032-01-01"); s.Class != "" {
		t.Errorf("a span after the grid is placed: %+v", s)
	}
	m, ok := milestoneMarker(projectionsMilestone("2025-03-15", domain.MilestoneSlippedStatus))
	if !ok || m.Class != "ms ms-slipped gs-27" || !strings.Contains(m.Label, "Forsinket 15. mars 2025") {
		t.Errorf("milestone marker: %+v", m)
	}
	if d := today(time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)); d.Class != "gs-48" {
		t.Errorf("today: %+v", d)
	}
}

func projectionsMilestone(d domain.Date, st domain.MilestoneStatus) projections.MilestoneView {
	return projections.MilestoneView{Title: "M", Status: st, PlannedDate: d, OriginalPlannedDate: d}
}
