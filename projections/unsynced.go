package projections

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// The runner's commits are not fsynced (bbolt's NoSync) where the
// machine's boot id can be read. The read models are derived from the log,
// which is the record: what a crash of the process loses of a commit it
// made is nothing (the commit is in the kernel's page cache, which the
// next process reads), and what a crash of the machine loses can be rebuilt
// from the log. A commit without fsync costs a fraction of one with two
// fdatasyncs, and the fsyncs of the log's appends — what every command
// waits for — no longer share the disk with them.
//
// Only a crash of the machine can leave the file torn (pages written in
// another order than bbolt's fsyncs would have enforced). So Open writes
// the boot id beside the file (FileName + ".open") before it commits
// anything unsynced, and Close fsyncs the file and removes it. When Open
// finds the marker of another boot, the machine stopped while the file was
// open: the file is removed and rebuilt from the log, every signature
// checked (its verified prefix is not trusted either).

// openMarkerSuffix names the marker beside the file.
const openMarkerSuffix = ".open"

// bootID reads the boot id of the running kernel ("" where there is none;
// a variable for the tests).
var bootID = func() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// guardUnsynced prepares path for unsynced commits: it reports whether
// commits may skip fsync (a boot id is known), and, when the marker of
// another boot was there, why the file was removed (lost). Call it before
// opening path.
func guardUnsynced(path string) (noSync bool, lost string, err error) {
	id := bootID()
	if id == "" {
		return false, "", nil
	}
	marker := path + openMarkerSuffix
	prev, err := os.ReadFile(marker)
	switch {
	case err == nil && strings.TrimSpace(string(prev)) != id:
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return false, "", fmt.Errorf("projections: remove %s: %w", path, err)
		}
		lost = "the machine stopped while the read models were open (their commits are not fsynced), so the file may be torn"
	case err != nil && !errors.Is(err, os.ErrNotExist):
		return false, "", fmt.Errorf("projections: read %s: %w", marker, err)
	}
	if err := writeSynced(marker, []byte(id+"\n")); err != nil {
		return false, "", err
	}
	return true, lost, nil
}

// releaseUnsynced removes the marker of path once its file is fsynced and
// closed.
func releaseUnsynced(path string) error {
	marker := path + openMarkerSuffix
	if err := os.Remove(marker); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("projections: remove %s: %w", marker, err)
	}
	return syncDir(filepath.Dir(path))
}

// writeSynced writes data to path and fsyncs it and its directory.
func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("projections: write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("projections: write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("projections: sync %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("projections: write %s: %w", path, err)
	}
	return syncDir(filepath.Dir(path))
}
