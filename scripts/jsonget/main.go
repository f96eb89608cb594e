// Command jsonget prints one value from JSON on standard input, addressed
// by a dotted path of object keys and array indexes, for shell scripts:
//
//	portfolioctl initiatives -o json | go run ./scripts/jsonget initiatives.0.initiativeId
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: jsonget PATH < file.json")
		os.Exit(2)
	}
	var v any
	if err := json.NewDecoder(os.Stdin).Decode(&v); err != nil {
		fmt.Fprintln(os.Stderr, "jsonget:", err)
		os.Exit(1)
	}
	for _, k := range strings.Split(os.Args[1], ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(x) {
				fmt.Fprintf(os.Stderr, "jsonget: no element %q\n", k)
				os.Exit(1)
			}
			v = x[i]
		default:
			fmt.Fprintf(os.Stderr, "jsonget: no key %q\n", k)
			os.Exit(1)
		}
	}
	if s, ok := v.(string); ok {
		fmt.Println(s)
		return
	}
	out, _ := json.Marshal(v)
	fmt.Println(string(out))
}
