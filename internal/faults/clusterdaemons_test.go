package faults

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ehelse/portfolio/eventstore/natstest"
	"github.com/ehelse/portfolio/internal/daemon"
	"github.com/ehelse/portfolio/services"
)

// clusterDaemons is an in-process three-node cluster and the portfoliod
// instances a test starts on it: they share one token file and the event
// signing key (instance "a" generates it in its data directory), and log
// into one file whose tail a failed test prints.
type clusterDaemons struct {
	c         *natstest.Cluster
	dir       string
	tokenFile string
	logf      *os.File
	logger    *slog.Logger
}

func newClusterDaemons(t *testing.T) *clusterDaemons {
	t.Helper()
	begin := time.Now()
	c := natstest.RunCluster(t, 3)
	t.Logf("cluster formed in %s", time.Since(begin).Round(time.Millisecond))
	cd := newDaemonSet(t)
	cd.c = c
	return cd
}

// newDaemonSet prepares the token file and the log of portfoliod
// instances for a cluster the test starts itself (c is nil).
func newDaemonSet(t *testing.T) *clusterDaemons {
	t.Helper()
	cd := &clusterDaemons{dir: t.TempDir()}
	cd.tokenFile = filepath.Join(cd.dir, "tokens.json")
	if _, err := services.GenerateTokenFile(cd.tokenFile); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(cd.dir, "daemons.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cd.logf = logf
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("daemon log (tail):\n%s", tail(logPath, 30))
		}
		logf.Close()
	})
	cd.logger = slog.New(slog.NewJSONHandler(&lockedWriter{w: logf}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return cd
}

// start starts instance name connected to natsURLs (R3 stream), closed
// when the test ends.
func (cd *clusterDaemons) start(t *testing.T, ctx context.Context, name, natsURLs string, demo bool) *daemon.Daemon {
	t.Helper()
	key := filepath.Join(cd.dir, "a", "signing.key")
	if name == "a" {
		key = ""
	}
	d, err := daemon.Start(ctx, daemon.Config{
		DataDir: filepath.Join(cd.dir, name), HTTPAddr: "127.0.0.1:0", AuthFile: cd.tokenFile, SigningKeyFile: key,
		NATSURLs: natsURLs, Replicas: 3, NATSListen: "", Demo: demo,
		Logger: cd.logger.With("instance", name), Out: &lockedWriter{w: cd.logf},
	})
	if err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := d.Close(ctx); err != nil {
			t.Logf("close %s: %v", name, err)
		}
	})
	return d
}
