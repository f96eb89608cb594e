package browsertest

import (
	_ "embed"
	"fmt"
	"strings"
)

// axeSource is axe-core, vendored from npm with its licence (see
// testdata/axe-core/README.md).
//
//go:embed testdata/axe-core/axe.min.js
var axeSource string

// WCAG21AA are the axe-core tags of WCAG 2.0 and 2.1, levels A and AA.
var WCAG21AA = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa"}

// Violation is one failed axe-core rule with the elements that fail it.
type Violation struct {
	ID      string    `json:"id"`
	Impact  string    `json:"impact"`
	Help    string    `json:"help"`
	HelpURL string    `json:"helpUrl"`
	Nodes   []AxeNode `json:"nodes"`
	Tags    []string  `json:"tags"`
}

// AxeNode is one failing element: its CSS path, its HTML and why it fails.
type AxeNode struct {
	Target  []string `json:"target"`
	HTML    string   `json:"html"`
	Failure string   `json:"failure"`
}

// String renders the violation with every failing element, for a test
// failure message.
func (v Violation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): %s — %s", v.ID, v.Impact, v.Help, v.HelpURL)
	for _, n := range v.Nodes {
		fmt.Fprintf(&b, "\n    at %s: %s", strings.Join(n.Target, " "), abbrev(n.HTML, 160))
		if n.Failure != "" {
			fmt.Fprintf(&b, "\n       %s", strings.ReplaceAll(abbrev(n.Failure, 300), "\n", " "))
		}
	}
	return b.String()
}

// FormatViolations renders violations one after another.
func FormatViolations(vs []Violation) string {
	var b strings.Builder
	for _, v := range vs {
		b.WriteString("\n  ")
		b.WriteString(v.String())
	}
	return b.String()
}

// Axe injects axe-core into the current document (through the DevTools
// protocol, which the page's Content-Security-Policy does not govern) and
// runs the rules with the given tags (WCAG21AA when none) on the whole
// document. It returns the violations; an empty result means none.
func (p *Page) Axe(tags ...string) []Violation {
	p.tb.Helper()
	if len(tags) == 0 {
		tags = WCAG21AA
	}
	if !Eval[bool](p, `typeof window.axe === "object"`) {
		// The script defines window.axe; its value is not needed.
		Eval[bool](p, axeSource+"\n;true")
	}
	quoted := make([]string, len(tags))
	for i, t := range tags {
		quoted[i] = fmt.Sprintf("%q", t)
	}
	return Eval[[]Violation](p, `axe.run(document, {
  runOnly: {type: "tag", values: [`+strings.Join(quoted, ",")+`]},
  resultTypes: ["violations"]
}).then(r => r.violations.map(v => ({
  id: v.id, impact: v.impact || "", help: v.help, helpUrl: v.helpUrl, tags: v.tags,
  nodes: v.nodes.map(n => ({target: n.target.map(t => Array.isArray(t) ? t.join(" >>> ") : String(t)),
    html: n.html, failure: n.failureSummary || ""}))
})))`)
}
