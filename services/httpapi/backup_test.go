package httpapi

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/ehelse/portfolio/domain"
)

// fakeBackuper writes data, or fails with err before writing anything.
type fakeBackuper struct {
	data string
	err  error
	by   []string
}

func (f *fakeBackuper) Backup(ctx context.Context, by string, w io.Writer) error {
	f.by = append(f.by, by)
	if f.err != nil {
		return f.err
	}
	_, err := io.WriteString(w, f.data)
	return err
}

// TestAdminBackup: the backup is for the secretariat and the auditor
// (401/403 otherwise, taking none), streamed as application/x-tar; a
// failure before it starts is a problem; without a Backuper 503.
func TestAdminBackup(t *testing.T) {
	for _, c := range []struct {
		who    string
		tok    string
		status int
		code   string
	}{
		{"anonymous", "", 401, "unauthorized"},
		{"unknown token", tokBad, 401, "unauthorized"},
		{"owner", tokHSO, 403, "forbidden"},
		{"subscriber", tokSub, 403, "forbidden"},
		{"secretariat", tokSek, 200, ""},
		{"auditor", tokAudit, 200, ""},
	} {
		t.Run(c.who, func(t *testing.T) {
			fb := &fakeBackuper{data: strings.Repeat("x", 3000)}
			h := newHarness(t, func(cfg *Config) { cfg.Backup = fb })
			var opts []reqOpt
			if c.tok != "" {
				opts = append(opts, bearer(c.tok))
			}
			rec := h.do("GET", "/v1/admin/backup", "", opts...)
			if c.status != 200 {
				h.problem(rec, c.status, c.code)
				if len(fb.by) != 0 {
					t.Errorf("a refused request took a backup")
				}
				return
			}
			if rec.Code != 200 || rec.Header().Get("Content-Type") != BackupContentType || rec.Body.String() != fb.data ||
				!strings.Contains(rec.Header().Get("Content-Disposition"), "attachment") {
				t.Fatalf("%d %v %q", rec.Code, rec.Header(), rec.Body.String()[:20])
			}
			if len(fb.by) != 1 || fb.by[0] == "" {
				t.Errorf("taken by %q", fb.by)
			}
		})
	}
	t.Run("busy", func(t *testing.T) {
		fb := &fakeBackuper{err: &domain.Error{Kind: domain.KindUnavailable, Message: "another backup is running", Err: errors.New("busy")}}
		h := newHarness(t, func(cfg *Config) { cfg.Backup = fb })
		h.problem(h.do("GET", "/v1/admin/backup", "", bearer(tokSek)), 503, "unavailable")
	})
	t.Run("not configured", func(t *testing.T) {
		h := newHarness(t, nil)
		h.problem(h.do("GET", "/v1/admin/backup", "", bearer(tokSek)), 503, "unavailable")
	})
}
