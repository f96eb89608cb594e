package httpapi

// GET /v1/admin/backup: an online backup of the event log and the
// Idempotency-Key bucket, streamed as it is taken (docs/OPERATIONS.md).

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"time"
)

// BackupContentType is the media type of a backup (a tar archive; see
// package backupfile).
const BackupContentType = "application/x-tar"

// backupWriteTimeout bounds each write of a backup to the client: the
// server's WriteTimeout (75 s for the whole answer) would cut a long one.
const backupWriteTimeout = 60 * time.Second

// Backuper takes online backups. The daemon implements it.
type Backuper interface {
	// Backup writes a backup to w as it is taken. It writes nothing to w
	// before the backup has started, so that an error until then can be
	// answered as a problem. by names who asked, for the log.
	Backup(ctx context.Context, by string, w io.Writer) error
}

// handleBackup is GET /v1/admin/backup (secretariat, auditor).
func (s *Server) handleBackup(w http.ResponseWriter, r *http.Request) {
	p, ok := s.startAdmin(w, r, s.cfg.Backup != nil, "the backup")
	if !ok {
		return
	}
	bw := &backupWriter{w: w, rc: http.NewResponseController(w)}
	err := s.cfg.Backup.Backup(r.Context(), p.Name, bw)
	if err == nil {
		return
	}
	if !bw.started {
		s.writeError(w, r, err)
		return
	}
	// Half a backup is sent: break the connection, so that the client
	// sees an incomplete answer and not a short file that ends cleanly.
	s.log.LogAttrs(r.Context(), slog.LevelError, "backup failed after it started", slog.String("by", p.Name), slog.Any("err", err))
	panic(http.ErrAbortHandler)
}

// backupWriter sends the answer's header with the first byte, and moves
// the write deadline along with every write.
type backupWriter struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	started bool
}

func (b *backupWriter) Write(p []byte) (int, error) {
	if !b.started {
		b.started = true
		h := b.w.Header()
		h.Set("Content-Type", BackupContentType)
		h.Set("Content-Disposition", `attachment; filename="portfolio-`+time.Now().UTC().Format("20060102T150405Z")+`.backup"`)
		h.Set("Cache-Control", "no-store")
		b.w.WriteHeader(http.StatusOK)
	}
	_ = b.rc.SetWriteDeadline(time.Now().Add(backupWriteTimeout))
	n, err := b.w.Write(p)
	if err == nil {
		// Send each chunk as it comes: the server's snapshot waits for
		// the client to take it.
		_ = b.rc.Flush()
	}
	return n, err
}
