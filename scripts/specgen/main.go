// Command specgen writes the parts of the API documents that follow from
// the domain's registry: in services/httpapi/openapi.yaml the command
// paths and request schemas, in docs/asyncapi.yaml the event data
// schemas, and in docs/EVENTS.md the event table and each event type's
// field table and golden JSON. Each part sits between a "specgen:begin
// <region>" and a "specgen:end" line; everything outside them is written
// by hand and left as it is.
//
// Descriptions come from the doc comments of the command and event types
// and their fields in package domain, types and required fields from the
// Go types (a field without omitempty is required), who may give a
// command from the registry.
//
// Run it after changing a command or an event:
//
//	go generate ./domain
//
// specgen_test.go fails when a committed file differs from what specgen
// writes. With -check, specgen writes nothing and exits 1 when a file is
// out of date.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	root := flag.String("root", ".", "the repository root")
	check := flag.Bool("check", false, "only report files that are out of date")
	flag.Parse()
	if err := run(*root, *check); err != nil {
		fmt.Fprintln(os.Stderr, "specgen:", err)
		os.Exit(1)
	}
}

func run(root string, check bool) error {
	want, err := Generate(root)
	if err != nil {
		return err
	}
	stale, err := changed(root, want)
	if err != nil {
		return err
	}
	if check {
		if len(stale) > 0 {
			return fmt.Errorf("out of date (go generate ./domain): %v", stale)
		}
		return nil
	}
	for _, path := range stale {
		if err := os.WriteFile(filepath.Join(root, path), want[path], 0o644); err != nil {
			return err
		}
		fmt.Println("specgen: wrote", path)
	}
	return nil
}
