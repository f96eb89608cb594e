package main

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

// TestAddressInUse: when the address of --http, --ops-listen or
// --nats-listen is taken, portfoliod stops at once with an error naming
// the flag and the address, instead of waiting for a server that never
// becomes ready.
func TestAddressInUse(t *testing.T) {
	for _, flagName := range []string{"http", "ops-listen", "nats-listen"} {
		t.Run(flagName, func(t *testing.T) {
			taken, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer taken.Close()
			addr := taken.Addr().String()
			addrs := map[string]string{"http": "127.0.0.1:0", "ops-listen": "127.0.0.1:0", "nats-listen": "127.0.0.1:0"}
			addrs[flagName] = addr
			args := []string{"--data", t.TempDir(), "--demo=false", "--sync", "interval", "--log-level", "error"}
			for name, a := range addrs {
				args = append(args, "--"+name, a)
			}
			// A start that wrongly succeeds serves until ctx ends; the
			// deadline turns that into a failure rather than a hang.
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var stdout, stderr bytes.Buffer
			begin := time.Now()
			err = runArgs(ctx, args, func(string) string { return "" }, &stdout, &stderr)
			took := time.Since(begin)
			t.Logf("--%s %s: failed after %s: %v", flagName, addr, took, err)
			if err == nil {
				t.Fatalf("started although %s is in use; stdout: %s", addr, stdout.String())
			}
			if msg := err.Error(); !strings.Contains(msg, "--"+flagName+" "+addr) || !strings.Contains(msg, "address already in use") {
				t.Errorf("error %q does not name --%s, %s and the cause", msg, flagName, addr)
			}
			// The requirement is 1 s; the bound is generous for a loaded
			// test machine, the log line above shows the actual time.
			if took > 5*time.Second {
				t.Errorf("took %s to fail", took)
			}
			if strings.Contains(stdout.String(), "serving") {
				t.Errorf("reported serving: %s", stdout.String())
			}
		})
	}
}
