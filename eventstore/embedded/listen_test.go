package embedded_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ehelse/portfolio/eventstore/embedded"
)

// TestListenAddressInUse: Start fails at once with ErrListen naming the
// address when the client listen address is taken.
func TestListenAddressInUse(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	addr := taken.Addr().String()
	begin := time.Now()
	srv, err := embedded.Start(context.Background(), embedded.Options{DataDir: t.TempDir(), ListenAddr: addr})
	took := time.Since(begin)
	t.Logf("failed after %s: %v", took, err)
	if err == nil {
		_ = srv.Shutdown(context.Background())
		t.Fatal("started although the address is in use")
	}
	if !errors.Is(err, embedded.ErrListen) || !strings.Contains(err.Error(), addr) {
		t.Errorf("error %v: want ErrListen naming %s", err, addr)
	}
	if took > 5*time.Second {
		t.Errorf("took %s to fail", took)
	}
}
