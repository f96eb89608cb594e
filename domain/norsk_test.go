package domain

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestEveryRefusalHasNorwegian reads the domain's source: every Refuse(...)
// and every Errorf(KindNotFound|KindRuleViolated, ...) must be the receiver
// of .WithNorsk(...), and every &Error{Kind: KindNotFound|KindRuleViolated}
// literal must set Norsk, so that no refusal reaches a Norwegian page in
// English only. The table tests check the texts at run time (check in
// helpers_test.go); this test also covers the refusals no table reaches.
func TestEveryRefusalHasNorwegian(t *testing.T) {
	paths, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	found := 0
	for _, path := range paths {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		chained := map[*ast.CallExpr]bool{}
		ast.Inspect(f, func(n ast.Node) bool {
			if call, ok := n.(*ast.CallExpr); ok {
				if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "WithNorsk" {
					if inner, ok := sel.X.(*ast.CallExpr); ok {
						chained[inner] = true
					}
				}
			}
			return true
		})
		for _, decl := range f.Decls {
			if fd, ok := decl.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == "Refuse" {
				continue // the constructor itself
			}
			ast.Inspect(decl, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.CallExpr:
					if what, ok := refusalCall(n); ok {
						found++
						if !chained[n] {
							t.Errorf("%s: %s has no Norwegian text: chain .WithNorsk(...) onto it", fset.Position(n.Pos()), what)
						}
					}
				case *ast.CompositeLit:
					if kind, ok := refusalLiteral(n); ok {
						found++
						if !hasKey(n, "Norsk") {
							t.Errorf("%s: an &Error{Kind: %s} has no Norwegian text: set Norsk", fset.Position(n.Pos()), kind)
						}
					}
				}
				return true
			})
		}
	}
	// The domain refuses in many places; finding none means the walk
	// looked in the wrong place, not that all is well.
	if found == 0 {
		t.Fatal("found no refusal in the domain's source")
	}
	t.Logf("%d refusals and not-found errors checked", found)
}

// refusalCall reports whether call makes a refusal or a not-found error.
func refusalCall(call *ast.CallExpr) (string, bool) {
	id, ok := call.Fun.(*ast.Ident)
	if !ok {
		return "", false
	}
	switch {
	case id.Name == "Refuse":
		return "Refuse", true
	case id.Name == "Errorf" && len(call.Args) > 0 && isRefusalKind(call.Args[0]):
		return "Errorf(" + call.Args[0].(*ast.Ident).Name + ", ...)", true
	}
	return "", false
}

func refusalLiteral(lit *ast.CompositeLit) (string, bool) {
	if id, ok := lit.Type.(*ast.Ident); !ok || id.Name != "Error" {
		return "", false
	}
	for _, e := range lit.Elts {
		if kv, ok := e.(*ast.KeyValueExpr); ok {
			if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Kind" && isRefusalKind(kv.Value) {
				return kv.Value.(*ast.Ident).Name, true
			}
		}
	}
	return "", false
}

func isRefusalKind(e ast.Expr) bool {
	id, ok := e.(*ast.Ident)
	return ok && (id.Name == "KindNotFound" || id.Name == "KindRuleViolated")
}

func hasKey(lit *ast.CompositeLit, key string) bool {
	for _, e := range lit.Elts {
		if kv, ok := e.(*ast.KeyValueExpr); ok {
			if k, ok := kv.Key.(*ast.Ident); ok && k.Name == key {
				return true
			}
		}
	}
	return false
}

// TestNorwegianNames: every value a refusal may name has a Norwegian word,
// so that no English enum value shows through.
func TestNorwegianNames(t *testing.T) {
	for _, p := range Phases {
		if phaseNB(p) == string(p) {
			t.Errorf("phase %s has no Norwegian name", p)
		}
	}
	for _, l := range []Lifecycle{LifecycleProposed, LifecycleInPortfolio, LifecyclePaused, LifecycleRejected,
		LifecycleWithdrawn, LifecycleClosed, LifecycleCancelled} {
		if lifecycleNB(l) == string(l) {
			t.Errorf("lifecycle %s has no Norwegian name", l)
		}
	}
	for _, o := range Outcomes {
		if outcomeNB(o) == string(o) {
			t.Errorf("outcome %s has no Norwegian name", o)
		}
	}
	for _, c := range CaseTypes {
		if caseTypeNB(c) == string(c) {
			t.Errorf("case type %s has no Norwegian name", c)
		}
	}
	for _, a := range AggregateTypes {
		if aggregateNB(a) == string(a) {
			t.Errorf("aggregate %s has no Norwegian name", a)
		}
	}
	if got, want := phaseNB(PhasePlanning)+"/"+PhasePlanning.Norsk(), "planlegging/Planlegging"; got != want {
		t.Errorf("the planning phase inside a sentence / as a label = %q, want %q", got, want)
	}
	if got := Date("2026-13-01").Norsk(); got != "" {
		t.Errorf("an invalid date's Norsk() = %q, want \"\"", got)
	}
	if got := valueNB(12.5); got != "12,5" {
		t.Errorf("valueNB(12.5) = %q, want 12,5", got)
	}
	for _, tc := range []struct {
		d    Date
		want string
	}{{"2026-12-06", "6. desember 2026"}, {"2027-01-31", "31. januar 2027"}, {"not a date", "not a date"}} {
		if got := dateNB(tc.d); got != tc.want {
			t.Errorf("dateNB(%q) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

// TestWithNorskKeepsTheAPIText: the Norwegian text is beside the English
// one, never in it: Message and Error() are what the API shows.
func TestWithNorskKeepsTheAPIText(t *testing.T) {
	e := Refuse("initiative %s is already paused", "X").WithNorsk("Tiltaket %s er allerede midlertidig stanset.", "X")
	if e.Message != "initiative X is already paused" || e.Error() != "rule_violated: initiative X is already paused" {
		t.Fatalf("Message %q, Error() %q: the English text changed", e.Message, e.Error())
	}
	if e.Norsk != "Tiltaket X er allerede midlertidig stanset." || e.ForPeople() != e.Norsk {
		t.Fatalf("Norsk %q, ForPeople() %q", e.Norsk, e.ForPeople())
	}
	if plain := Errorf(KindConflict, "stale"); plain.ForPeople() != "stale" {
		t.Fatalf("ForPeople() without Norwegian = %q, want the Message", plain.ForPeople())
	}
}
