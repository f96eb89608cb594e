package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ehelse/portfolio/internal/daemon"
)

// backupFigures is B1: an online backup of the P3 stream by a running
// daemon (Daemon.Backup, what GET /v1/admin/backup streams, written to a
// file), and portfoliod restore of it into a new data directory, both
// timed; beside them the P3 rebuild rate, which is what the first start
// after a restore spends.
func (b *bench) backupFigures(ctx context.Context, p profile) error {
	d, err := b.startDaemon(ctx, b.data.dir, p)
	if err != nil {
		return err
	}
	if err := waitReady(ctx, httpClient(2), d.URL(), 45*time.Minute); err != nil {
		closeDaemon(d)
		return err
	}
	file := filepath.Join(b.root, "b1-"+p.name+".backup")
	f, err := os.Create(file)
	if err != nil {
		closeDaemon(d)
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	stop := b.profileFigure("B1", p)
	t0 := time.Now()
	err = d.Backup(ctx, "bench", w)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	backupTook := time.Since(t0)
	stop()
	closeDaemon(d)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fi, err := os.Stat(file)
	if err != nil {
		return err
	}

	target := filepath.Join(b.root, "b1-restored-"+p.name)
	t0 = time.Now()
	res, err := daemon.Restore(ctx, daemon.RestoreConfig{DataDir: target, File: file, Logger: b.log})
	restoreTook := time.Since(t0)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer os.RemoveAll(target)
	defer os.Remove(file)
	n := res.Events
	b.emit(result{id: "B1", profile: p.name, what: fmt.Sprintf("backup and restore of %d events", n),
		value: fmt.Sprintf("backup %.1fs, restore %.1fs", backupTook.Seconds(), restoreTook.Seconds()),
		note: fmt.Sprintf("Daemon.Backup to a file (snapshot + audit walk, %.1f MiB, %s), then daemon.Restore into a new DataDir (check pass + JetStream restore + audit walk, %s); the first start then rebuilds the read models at the P3 rate",
			float64(fi.Size())/(1<<20), rate(float64(n)/backupTook.Seconds()), rate(float64(n)/restoreTook.Seconds()))})
	return nil
}
