package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGeneratedSpecsUpToDate fails when a committed document differs from
// what specgen generates from the domain's registry.
func TestGeneratedSpecsUpToDate(t *testing.T) {
	root := filepath.Join("..", "..")
	want, err := Generate(root)
	if err != nil {
		t.Fatal(err)
	}
	for path, data := range want {
		got, err := os.ReadFile(filepath.Join(root, path))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(data) {
			t.Errorf("%s is out of date: run go generate ./domain (first difference at line %d)", path, firstDiff(string(got), string(data)))
		}
	}
}

func firstDiff(a, b string) int {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return i + 1
		}
	}
	return min(len(al), len(bl)) + 1
}

// A generated region is replaced, the text around it kept; a missing or
// unknown region is an error.
func TestFill(t *testing.T) {
	in := "keep 1\n# specgen:begin a — x\nold\n# specgen:end\nkeep 2\n"
	got, err := fill(in, map[string]func() (string, error){"a": func() (string, error) { return "new\n", nil }})
	if err != nil || got != "keep 1\n# specgen:begin a — x\nnew\n# specgen:end\nkeep 2\n" {
		t.Fatalf("fill = %q, %v", got, err)
	}
	if _, err := fill(in, map[string]func() (string, error){}); err == nil {
		t.Error("an unknown region was accepted")
	}
	if _, err := fill("x\n", map[string]func() (string, error){"a": nil}); err == nil {
		t.Error("a missing region was accepted")
	}
}
