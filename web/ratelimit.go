package web

import (
	"math"
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// postLimiter bounds the form posts per client address: a token bucket of
// burst posts per address, refilled at every posts per second. Addresses
// idle longer than a full refill are forgotten.
type postLimiter struct {
	every rate.Limit
	burst int
	now   func() time.Time

	mu      sync.Mutex
	clients map[string]*rate.Limiter
	swept   time.Time
}

func newPostLimiter(every rate.Limit, burst int, now func() time.Time) *postLimiter {
	return &postLimiter{every: every, burst: burst, now: now, clients: map[string]*rate.Limiter{}}
}

// allow takes a token of the address's bucket, reporting whether there
// was one.
func (l *postLimiter) allow(addr string) bool {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	lim := l.clients[addr]
	if lim == nil {
		lim = rate.NewLimiter(l.every, l.burst)
		l.clients[addr] = lim
	}
	return lim.AllowN(now, 1)
}

// retryAfter is the whole seconds until a token comes back.
func (l *postLimiter) retryAfter() int {
	if l.every <= 0 {
		return 60
	}
	return int(math.Ceil(1 / float64(l.every)))
}

// sweep forgets full buckets, at most once a minute.
func (l *postLimiter) sweep(now time.Time) {
	if now.Sub(l.swept) < time.Minute {
		return
	}
	l.swept = now
	for k, lim := range l.clients {
		if lim.TokensAt(now) >= float64(l.burst) {
			delete(l.clients, k)
		}
	}
}

// clientAddress is the address the request came from (without the port).
// The site answers clients directly; behind a proxy every client would
// share the proxy's bucket.
func clientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
