package daemon

// Online backup (GET /v1/admin/backup): JetStream snapshots of the
// Idempotency-Key bucket's stream and of the event log, streamed into a
// backupfile archive, with the audit chain's head at the snapshot.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ehelse/portfolio/audit"
	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/eventstore"
	"github.com/ehelse/portfolio/eventstore/backupfile"
	"github.com/ehelse/portfolio/services"
)

// backupSlots allows one backup at a time per process: each reads the
// whole log twice (the snapshot and the audit walk).
var backupSlots = make(chan struct{}, 1)

// ProductVersion is the version of this build, as recorded in backups.
func ProductVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" {
			v += " " + s.Value
		}
	}
	return v
}

// idempotencyStream is the JetStream stream of the Idempotency-Key bucket.
func idempotencyStream() string { return "KV_" + services.IdempotencyBucket }

// Backup writes an online backup to w: first the Idempotency-Key bucket,
// then the event log (so that every request the bucket remembers as done
// has its events in the backup), then the manifest with the audit head at
// the event log's last position in the backup. It implements
// httpapi.Backuper.
func (d *Daemon) Backup(ctx context.Context, by string, w io.Writer) error {
	select {
	case backupSlots <- struct{}{}:
		defer func() { <-backupSlots }()
	default:
		return &domain.Error{Kind: domain.KindUnavailable, Message: "another backup is running on this server; try again when it is done"}
	}
	start := time.Now()
	bw := backupfile.NewWriter(w, start)
	m := backupfile.Manifest{Product: ProductVersion(), CreatedAt: start.UTC()}

	auditDone := make(chan error, 1)
	auditCtx, cancelAudit := context.WithCancel(ctx)
	defer cancelAudit()
	streams := []struct{ name, role string }{
		{idempotencyStream(), backupfile.RoleIdempotency},
		{d.cfg.Stream, backupfile.RoleEvents},
	}
	for _, st := range streams {
		info, err := d.js.Stream(ctx, st.name)
		if err != nil {
			if st.role == backupfile.RoleIdempotency && errorsIsNotFound(err) {
				continue // never created: nothing to keep
			}
			return &domain.Error{Kind: domain.KindUnavailable, Message: "backup: stream " + st.name, Err: err}
		}
		created := info.CachedInfo().Created.UTC()
		err = eventstore.Snapshot(ctx, d.nc, "", st.name, func(h eventstore.SnapshotHeader) error {
			state, err := h.ParsedState()
			if err != nil {
				return err
			}
			meta, err := json.Marshal(h)
			if err != nil {
				return err
			}
			if st.role == backupfile.RoleEvents {
				go func() { auditDone <- d.backupAudit(auditCtx, state.LastSeq, &m.Audit) }()
			}
			return bw.BeginStream(backupfile.Stream{Name: st.name, Role: st.role, Created: created, Messages: state.Messages,
				FirstSeq: state.FirstSeq, LastSeq: state.LastSeq, Bytes: state.Bytes}, meta)
		}, bw.Chunk)
		if err != nil {
			return fmt.Errorf("backup of %s: %w", st.name, err)
		}
		if _, err := bw.EndStream(); err != nil {
			return err
		}
	}
	if err := <-auditDone; err != nil {
		return fmt.Errorf("backup: audit chain: %w", err)
	}
	if err := bw.Close(m); err != nil {
		return err
	}
	d.log.Info("backup written", "by", by, "events", m.Audit.Events, "lastPosition", m.Audit.Position, "head", m.Audit.Head,
		"bytes", bw.Bytes(), "took", time.Since(start).Round(time.Millisecond).String())
	return nil
}

// backupAudit walks the log up to upTo, as audit verify does, into a.
func (d *Daemon) backupAudit(ctx context.Context, upTo uint64, a *backupfile.Audit) error {
	a.Position = upTo
	a.KeyID = audit.KeyID(d.trusted[0])
	a.PublicKey = audit.EncodePublicKey(d.trusted[0])
	for _, k := range d.trusted {
		a.TrustedKeys = append(a.TrustedKeys, audit.EncodePublicKey(k))
	}
	res := audit.Result{OK: true, Head: audit.Hash{}.String()}
	if upTo > 0 {
		var err error
		res, err = audit.VerifyLog(ctx, d.auditPage, verifyPage, upTo, audit.Options{Keys: d.keys}, nil)
		if err != nil {
			return err
		}
		if res.Position < upTo && res.Reason == "" {
			res.OK = false
			res.Reason = fmt.Sprintf("the log ends at position %d, but the snapshot's last is %d", res.Position, upTo)
		}
	}
	a.OK, a.Events, a.Head, a.Reason = res.OK, res.Events, res.Head, res.Reason
	return nil
}

func errorsIsNotFound(err error) bool { return errors.Is(err, jetstream.ErrStreamNotFound) }
