// Command screenshots takes the README's pictures of the demo site with the
// browser tests' Chromium (internal/browsertest): the roadmap, an
// initiative and a council meeting, at desktop width, as PNG files.
//
//	go run ./scripts/screenshots -out docs/screenshots
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/ehelse/portfolio/internal/browsertest"
	"github.com/ehelse/portfolio/internal/daemon"
	"github.com/ehelse/portfolio/projections"
)

func main() {
	out := flag.String("out", "docs/screenshots", "directory for the PNG files")
	width := flag.Int64("width", 1280, "viewport width in CSS pixels")
	flag.Parse()
	r := &runner{}
	code := 0
	func() {
		defer func() {
			if v := recover(); v != nil {
				if _, ok := v.(fatal); !ok {
					panic(v)
				}
				code = 1
			}
		}()
		r.run(*out, *width)
	}()
	r.cleanup()
	os.Exit(code)
}

// fatal unwinds main after Fatalf, so that the cleanups still run.
type fatal struct{}

// runner is the browsertest.TB of a program.
type runner struct{ cleanups []func() }

func (r *runner) Helper()                        {}
func (r *runner) Logf(format string, a ...any)   { fmt.Fprintf(os.Stderr, format+"\n", a...) }
func (r *runner) Cleanup(f func())               { r.cleanups = append(r.cleanups, f) }
func (r *runner) Fatalf(format string, a ...any) { r.Logf(format, a...); panic(fatal{}) }

func (r *runner) cleanup() {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
}

func (r *runner) run(out string, width int64) {
	dir, err := os.MkdirTemp("", "screenshots-")
	if err != nil {
		r.Fatalf("%v", err)
	}
	r.Cleanup(func() { os.RemoveAll(dir) })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d, err := daemon.Start(ctx, daemon.Config{DataDir: dir, HTTPAddr: "127.0.0.1:0", Demo: true,
		Logger: slog.New(slog.DiscardHandler), Out: io.Discard})
	if err != nil {
		r.Fatalf("start the demo server: %v", err)
	}
	r.Cleanup(func() { _ = d.Close(context.Background()) })
	head, err := d.Store.Head(ctx)
	if err == nil {
		err = d.Reads.WaitFor(ctx, head)
	}
	if err != nil {
		r.Fatalf("demo read models: %v", err)
	}

	b, err := browsertest.Start()
	if err != nil {
		r.Fatalf("%v", err)
	}
	r.Cleanup(func() { _ = b.Close() })

	initiative := r.initiative(d, "Digital hjemmeoppfølging")
	meeting := r.meeting(d)
	shots := []struct {
		file, path string
		height     int64
	}{
		{"veikart.png", "/veikart", 1400},
		{"tiltak.png", "/tiltak/" + initiative, 1400},
		{"mote.png", "/radsmodell/moter/" + meeting, 1200},
	}
	for _, s := range shots {
		p := b.NewPage(r)
		p.SetViewport(width, 900)
		p.Open(d.URL() + s.path)
		path := filepath.Join(out, s.file)
		p.Screenshot(path, width, s.height)
		fmt.Println("wrote", path, "from", s.path)
	}
}

func (r *runner) initiative(d *daemon.Daemon, title string) string {
	all, err := d.Reads.Initiatives(projections.InitiativeFilter{})
	if err != nil {
		r.Fatalf("%v", err)
	}
	for _, in := range all {
		if in.Title == title {
			return in.InitiativeID
		}
	}
	r.Fatalf("the demo has no initiative %q", title)
	return ""
}

// meeting is the latest held meeting with the longest agenda of its year.
func (r *runner) meeting(d *daemon.Daemon) string {
	ms, err := d.Reads.Meetings("", 0)
	if err != nil {
		r.Fatalf("%v", err)
	}
	sort.SliceStable(ms, func(i, j int) bool {
		if ms[i].Year != ms[j].Year {
			return ms[i].Year > ms[j].Year
		}
		return ms[i].AgendaItems > ms[j].AgendaItems
	})
	for _, m := range ms {
		if m.Held && m.AgendaItems > 0 {
			return m.MeetingID
		}
	}
	r.Fatalf("the demo has no held meeting with an agenda")
	return ""
}
