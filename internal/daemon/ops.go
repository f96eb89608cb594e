package daemon

// The operations listener (--ops-listen): /metrics, /healthz and /readyz
// on an address of their own, so that metrics are not served on the
// public site.

import (
	"errors"
	"fmt"
	"net"
	"net/http"

	"github.com/ehelse/portfolio/services/httpapi"
)

// opsListener is the operations listener and its server.
type opsListener struct {
	ln  net.Listener
	srv *http.Server
}

// startOps listens on d.cfg.OpsAddr ("" : no operations listener) and
// serves h there.
func (d *Daemon) startOps(h http.Handler) error {
	if d.cfg.OpsAddr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", d.cfg.OpsAddr)
	if err != nil {
		return fmt.Errorf("ops listen: %w", err)
	}
	d.ops = &opsListener{ln: ln, srv: httpapi.NewHTTPServer(ln.Addr().String(), h)}
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		if err := d.ops.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			d.log.Error("ops http server stopped", "err", err)
			d.runErr <- err
		}
	}()
	return nil
}

// OpsURL is the operations listener's base URL ("" without one).
func (d *Daemon) OpsURL() string {
	if d.ops == nil {
		return ""
	}
	return "http://" + d.ops.ln.Addr().String()
}
