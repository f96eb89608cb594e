package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// heartbeat is how often an idle live stream sends a comment, so that
// proxies keep it open and a gone client is noticed.
const heartbeat = 25 * time.Second

// maxStreams bounds the open live streams.
const maxStreams = 1000

// handleEvents is the live update stream (Server-Sent Events): an event
// "endring" with the read models' position each time they change. It
// waits on the read models (WaitFor), which every commit of the runner
// wakes; it does not poll. Pages with data-live reload their results on
// each event (site.js).
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodHead {
		w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		return
	}
	select {
	case s.streams <- struct{}{}:
		defer func() { <-s.streams }()
	default:
		w.Header().Set("Retry-After", "30")
		http.Error(w, "For mange åpne strømmer.", http.StatusServiceUnavailable)
		return
	}
	rc := http.NewResponseController(w)
	// The server's write timeout is for ordinary answers; a stream lives
	// until the client or the server goes.
	_ = rc.SetWriteDeadline(time.Time{})
	_ = rc.SetReadDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	stop := context.AfterFunc(s.done, cancel)
	defer stop()

	pos := s.cfg.Queries.Position()
	if _, err := fmt.Fprintf(w, "retry: 2000\nid: %d\nevent: endring\ndata: %d\n\n", pos, pos); err != nil {
		return
	}
	if rc.Flush() != nil {
		return
	}
	for {
		wctx, wcancel := context.WithTimeout(ctx, heartbeat)
		err := s.cfg.Queries.WaitFor(wctx, pos+1)
		wcancel()
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil || rc.Flush() != nil {
				return
			}
			continue
		}
		pos = s.cfg.Queries.Position()
		p := strconv.FormatUint(pos, 10)
		if _, err := fmt.Fprint(w, "id: "+p+"\nevent: endring\ndata: "+p+"\n\n"); err != nil || rc.Flush() != nil {
			return
		}
	}
}
