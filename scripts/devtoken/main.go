// Command devtoken prints the token of one entry of a token file, for
// trying the API by hand after `make run`:
//
//	export PORTFOLIO_TOKEN=$(go run ./scripts/devtoken sekretariat)
//
// Usage: devtoken [-file data/tokens.json] NAME
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
)

func main() {
	file := flag.String("file", "data/tokens.json", "token file")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: devtoken [-file data/tokens.json] NAME")
		os.Exit(2)
	}
	raw, err := os.ReadFile(*file)
	if err != nil {
		fmt.Fprintln(os.Stderr, "devtoken:", err, "(start the server once with `make run` to create it)")
		os.Exit(1)
	}
	var f struct {
		Tokens []struct{ Name, Token, Role, Org string }
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		fmt.Fprintln(os.Stderr, "devtoken:", err)
		os.Exit(1)
	}
	for _, t := range f.Tokens {
		if t.Name == flag.Arg(0) {
			if t.Token == "" {
				fmt.Fprintln(os.Stderr, "devtoken: the file has only the hash of", t.Name)
				os.Exit(1)
			}
			fmt.Println(t.Token)
			return
		}
	}
	fmt.Fprintf(os.Stderr, "devtoken: no entry %q; entries:", flag.Arg(0))
	for _, t := range f.Tokens {
		fmt.Fprintf(os.Stderr, " %s (%s %s)", t.Name, t.Role, t.Org)
	}
	fmt.Fprintln(os.Stderr)
	os.Exit(1)
}
