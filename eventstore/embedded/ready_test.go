package embedded

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// TestWaitReadyFatal: when the server's own listen fails (the address was
// taken after Start's probe), waitReady returns the server's error at
// once rather than after the ready timeout.
func TestWaitReadyFatal(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	port := taken.Addr().(*net.TCPAddr).Port
	ns, err := server.NewServer(&server.Options{JetStream: true, StoreDir: filepath.Join(t.TempDir(), "jetstream"),
		Host: "127.0.0.1", Port: port, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	fl := &fatalLogger{fatal: make(chan string, 1)}
	ns.SetLoggerV2(fl, false, false, false)
	go ns.Start()
	defer func() { ns.Shutdown(); ns.WaitForShutdown() }()
	begin := time.Now()
	err = waitReady(context.Background(), ns, fl.fatal, time.Minute)
	took := time.Since(begin)
	t.Logf("failed after %s: %v", took, err)
	if !errors.Is(err, ErrListen) || !strings.Contains(err.Error(), strconv.Itoa(port)) {
		t.Errorf("error %v: want ErrListen naming port %d", err, port)
	}
	if took > 5*time.Second {
		t.Errorf("took %s to fail (ready timeout 1 min)", took)
	}
}
