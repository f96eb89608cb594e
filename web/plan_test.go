package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ehelse/portfolio/projections"
)

// The realisation plan's pages on the demo: indicators as charts with a
// table on /strategi, the reports, and dependencies on an initiative.
func TestPlanPages(t *testing.T) {
	rounds, err := site.Reads.Rounds()
	if err != nil || len(rounds) < 2 {
		t.Fatalf("demo rounds: %v %+v", err, rounds)
	}
	var open, closed string
	for _, r := range rounds {
		if r.State == projections.RoundOpen {
			open = r.RoundID
		} else if closed == "" {
			closed = r.RoundID
		}
	}
	pll := initiativeID(t, "Pasientens legemiddelliste (PLL)")
	for _, c := range []struct {
		path string
		want []string
	}{
		{"/strategi", []string{"Målindikatorer for M1", `<svg class="line-chart"`, `role="img"`, "Tallene som tabell",
			"Illustrative demodata", "Utgangspunkt", "rettet fra"}},
		{"/rapporter", []string{"Porteføljerapporter", "2026-T4", "2027-T1", "Avsluttet", "Åpen"}},
		{"/rapporter/" + closed, []string{"Porteføljerapport 2026-T4", "Endringer siden forrige runde", "Forskjøvne milepæler",
			"Hvem har rapportert", "Ikke rapportert", "format=xlsx"}},
		{"/rapporter/" + open, []string{"Rapporteringsrunde 2027-T1", "Runden er åpen", "Har ikke rapportert"}},
		{"/tiltak/" + pll, []string{"Avhengigheter", "Tiltaket trenger", "HelseID", "I faresonen"}},
		{"/veikart?q=" + "legemiddelliste", []string{"Avhengighet i faresonen", "/tiltak/" + pll + "#avhengigheter"}},
	} {
		a := get(t, c.path)
		if a.status != http.StatusOK {
			t.Errorf("GET %s: %d\n%.400s", c.path, a.status, a.body)
			continue
		}
		checkHeaders(t, "GET "+c.path, a.header)
		if styleAttr.MatchString(a.body) || handlerAttr.MatchString(a.body) {
			t.Errorf("GET %s: a style or event handler attribute, which the CSP refuses", c.path)
		}
		for _, w := range c.want {
			if !strings.Contains(a.body, w) {
				t.Errorf("GET %s: no %q", c.path, w)
			}
		}
	}
	if a := get(t, "/rapporter/01JDNOSUCHR0VND00000000000"); a.status != http.StatusNotFound {
		t.Errorf("unknown round: %d", a.status)
	}
}
