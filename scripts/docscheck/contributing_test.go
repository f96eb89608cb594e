package docscheck

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestContributingAddingACommand checks the worked example of "Adding a
// command" in docs/CONTRIBUTING.md against the code: every file it names
// exists and holds what its last column quotes, every kind is known, and
// production code and data take at most six files.
func TestContributingAddingACommand(t *testing.T) {
	root := filepath.Join("..", "..")
	src, err := os.ReadFile(filepath.Join(root, "docs", "CONTRIBUTING.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(src), "\n## Adding a command\n")
	if !ok {
		t.Fatal("docs/CONTRIBUTING.md has no section \"## Adding a command\"")
	}
	if next := strings.Index(section, "\n## "); next >= 0 {
		section = section[:next]
	}
	row := regexp.MustCompile("(?m)^\\| (\\d+) \\| ([a-z]+) \\| `([^`]+)` \\| .* \\| (.+) \\|$")
	quoted := regexp.MustCompile("`([^`]+)`")
	kinds := map[string]bool{"code": true, "data": true, "generated": true, "test": true, "check": true}
	production := map[string]bool{}
	rows := row.FindAllStringSubmatch(section, -1)
	if len(rows) == 0 {
		t.Fatal("the section has no table rows")
	}
	seen := map[string]bool{}
	for _, r := range rows {
		n, kind, file, example := r[1], r[2], r[3], r[4]
		seen[kind] = true
		if !kinds[kind] {
			t.Errorf("row %s: unknown kind %q", n, kind)
		}
		if kind == "code" || kind == "data" {
			production[file] = true
		}
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(file)))
		if err != nil {
			t.Errorf("row %s: %v", n, err)
			continue
		}
		quotes := quoted.FindAllStringSubmatch(example, -1)
		if len(quotes) == 0 {
			t.Errorf("row %s: the example column quotes nothing to check", n)
		}
		for _, q := range quotes {
			if !strings.Contains(string(data), q[1]) {
				t.Errorf("row %s: %s does not contain %q", n, file, q[1])
			}
		}
	}
	for kind := range kinds {
		if !seen[kind] {
			t.Errorf("no row of kind %s", kind)
		}
	}
	if len(production) > 6 {
		t.Errorf("adding a command takes %d files of production code and data, more than 6: %v", len(production), production)
	}
}
