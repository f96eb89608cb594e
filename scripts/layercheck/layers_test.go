package layercheck

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/ehelse/portfolio"

// deps returns the packages pkg's production code depends on, itself
// included (go list -deps, without test files).
func deps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", module+"/"+pkg).Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("go list -deps %s: %v\n%s", pkg, err, stderr)
	}
	return strings.Fields(string(out))
}

// stdlib reports whether an import path is the standard library's: its
// first element has no dot (and it is not this module).
func stdlib(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

func TestDomainIsStdlibOnly(t *testing.T) {
	for _, d := range deps(t, "domain") {
		if d != module+"/domain" && !stdlib(d) {
			t.Errorf("domain depends on %s", d)
		}
	}
}

func TestServicesImportNoNATS(t *testing.T) {
	found := false
	for _, d := range deps(t, "services") {
		if d == module+"/services" {
			found = true
		}
		if strings.HasPrefix(d, "github.com/nats-io/") || strings.HasPrefix(d, module+"/eventstore") || strings.HasPrefix(d, module+"/projections") {
			t.Errorf("services depends on %s", d)
		}
	}
	if !found {
		t.Fatal("go list -deps services does not list services itself")
	}
}

// TestClientsImportNoAdapters: the HTTP API and portfolioctl speak the
// wire types and the use cases' types, not the adapters'.
func TestClientsImportNoAdapters(t *testing.T) {
	for _, pkg := range []string{"services/httpapi", "internal/ctl"} {
		for _, d := range deps(t, pkg) {
			if strings.HasPrefix(d, module+"/eventstore") || strings.HasPrefix(d, module+"/projections") || strings.HasPrefix(d, "github.com/nats-io/") {
				t.Errorf("%s depends on %s", pkg, d)
			}
		}
	}
}
