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

// listen listens on addr, the value of the flag --name; its error names
// both, so that an operator sees which setting to change.
func listen(name, addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--%s %s: %w", name, addr, err)
	}
	return ln, nil
}

// startOps serves h on the operations listener Start opened (none without
// --ops-listen).
func (d *Daemon) startOps(h http.Handler) error {
	if d.ops == nil {
		return nil
	}
	ln := d.ops.ln
	d.ops.srv = httpapi.NewHTTPServer(ln.Addr().String(), h)
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
