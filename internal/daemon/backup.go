package daemon

// Online backup (GET /v1/admin/backup): JetStream snapshots of the
// Idempotency-Key bucket's stream and of the event log, streamed into a
// backupfile archive, with the audit chain's head at the snapshot.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/ehelse/portfolio/eventstore/idempotency"
	"io"
	"runtime/debug"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ehelse/portfolio/audit"
	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/eventstore"
	"github.com/ehelse/portfolio/backupfile"
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
func idempotencyStream() string { return "KV_" + idempotency.DefaultBucket }

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

	// The chain up to the snapshot's last position is walked while the
	// snapshot streams; its tail once the snapshot is done.
	chain := audit.NewVerifier(audit.Options{Keys: d.keys})
	var certain uint64
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
				certain = state.LastSeq
				go func() { auditDone <- d.walkChain(auditCtx, chain, 0, certain, nil) }()
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
	if err := d.backupAudit(ctx, chain, certain, &m.Audit); err != nil {
		return fmt.Errorf("backup: audit chain: %w", err)
	}
	if err := bw.Close(m); err != nil {
		return err
	}
	d.log.Info("backup written", "by", by, "events", m.Audit.Events, "lastPosition", m.Audit.Position, "head", m.Audit.Head,
		"bytes", bw.Bytes(), "took", time.Since(start).Round(time.Millisecond).String())
	return nil
}

// walkChain adds the events after position after up to upTo to v,
// calling each (if not nil) after each event.
func (d *Daemon) walkChain(ctx context.Context, v *audit.Verifier, after, upTo uint64, each func(audit.Event)) error {
	for after < upTo {
		evs, err := services.AuditPages(d.Store)(ctx, after, services.VerifyPage)
		if err != nil {
			return err
		}
		if len(evs) == 0 {
			return nil
		}
		for _, ev := range evs {
			if ev.Position > upTo {
				return nil
			}
			v.Add(ev)
			after = ev.Position
			if each != nil {
				each(ev)
			}
		}
	}
	return nil
}

// backupAudit fills in a: the chain v has walked up to certain, and its
// tail up to the log's head now, which bounds what the snapshot, done by
// now, may hold.
func (d *Daemon) backupAudit(ctx context.Context, v *audit.Verifier, certain uint64, a *backupfile.Audit) error {
	res := v.Result()
	if res.Position < certain && res.Reason == "" {
		res.OK = false
		res.Reason = fmt.Sprintf("the log ends at position %d, but the snapshot's last is %d", res.Position, certain)
	}
	a.OK, a.Events, a.Head, a.Reason, a.Position = res.OK, res.Events, res.Head, res.Reason, certain
	a.KeyID = audit.KeyID(d.trusted[0])
	a.PublicKey = audit.EncodePublicKey(d.trusted[0])
	for _, k := range d.trusted {
		a.TrustedKeys = append(a.TrustedKeys, audit.EncodePublicKey(k))
	}
	head, err := d.Store.Head(ctx)
	if err != nil {
		return err
	}
	return d.walkChain(ctx, v, certain, head, func(ev audit.Event) {
		r := v.Result()
		a.Tail = append(a.Tail, backupfile.AuditPoint{Position: ev.Position, Events: r.Events, Head: r.Head, OK: r.OK})
	})
}

func errorsIsNotFound(err error) bool { return errors.Is(err, jetstream.ErrStreamNotFound) }
