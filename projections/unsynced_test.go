package projections

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ehelse/portfolio/eventstore/natstest"
)

// A file whose commits were not fsynced is kept after the process stops
// however it stops, and rebuilt from the log after the machine stopped
// with it open (the marker of another boot).
func TestUnsyncedCommitsAfterAMachineRestart(t *testing.T) {
	old := bootID
	t.Cleanup(func() { bootID = old })
	boot := "boot-1"
	bootID = func() string { return boot }

	_, _, js := natstest.RunServer(t)
	pub := newPublisher(t, js)
	s := randomHistory(t, 7, 200)
	head := pub.publish(s.commands)
	want := directDump(t, s.items)
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	marker := path + openMarkerSuffix

	r := startModels(t, js, Config{Dir: dir})
	if !r.m.noSync {
		t.Fatal("commits are fsynced although the boot id is known")
	}
	if b, err := os.ReadFile(marker); err != nil || string(b) != "boot-1\n" {
		t.Fatalf("marker %q, %v", b, err)
	}
	waitPos(t, r.m, head)
	r.stop(t)
	if _, err := os.Stat(marker); !os.IsNotExist(err) {
		t.Fatalf("the marker is still there after Close: %v", err)
	}
	if got := dumpFile(t, path); got != want {
		t.Fatal("the file closed after unsynced commits differs from a full build")
	}

	// The process stopped with the file open (the marker stays), the
	// machine did not: the file is served as it is.
	if err := os.WriteFile(marker, []byte("boot-1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = startModels(t, js, Config{Dir: dir})
	if got := r.m.isInvalid(); got != "" {
		t.Fatalf("invalid after a stop of the process: %s", got)
	}
	if got := r.m.Position(); got != head {
		t.Fatalf("position %d at open, want %d", got, head)
	}
	r.stop(t)

	// The machine stopped with the file open: it is rebuilt from the log.
	if err := os.WriteFile(marker, []byte("boot-1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	boot = "boot-2"
	m, err := Open(context.Background(), js, Config{Dir: dir, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if m.Position() != 0 || !strings.Contains(m.isInvalid(), "machine stopped") {
		t.Fatalf("the file of the other boot: position %d, invalid %q", m.Position(), m.isInvalid())
	}
	ctx, cancel := context.WithCancel(context.Background())
	r = &runner{m: m, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- m.Run(ctx) }()
	t.Cleanup(func() { r.stop(t) })
	waitPos(t, r.m, head)
	if st := r.m.Stats(); st.Rebuilds != 1 {
		t.Fatalf("stats %+v, want one rebuild", st)
	}
	if got := r.m.dump(t); got != want {
		t.Fatal("the rebuilt read models differ from a full build")
	}
	if b, err := os.ReadFile(marker); err != nil || string(b) != "boot-2\n" {
		t.Fatalf("marker %q, %v", b, err)
	}
	r.stop(t)

	// A file built offline is fsynced whole: the marker of the file it
	// replaced goes with it.
	if err := os.WriteFile(marker, []byte("boot-0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := BuildFile(context.Background(), js, path, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(marker); !os.IsNotExist(err) {
		t.Fatalf("the marker stays after BuildFile: %v", err)
	}

	// No boot id: every commit is fsynced and no marker is written.
	bootID = func() string { return "" }
	r = startModels(t, js, Config{Dir: dir})
	if r.m.noSync {
		t.Fatal("commits are not fsynced without a boot id")
	}
	if _, err := os.Stat(marker); !os.IsNotExist(err) {
		t.Fatalf("a marker without a boot id: %v", err)
	}
}
