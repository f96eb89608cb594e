// Package sessions keeps the web site's sign-in sessions in a JetStream
// key-value bucket: the adapter behind services.SessionKV.
package sessions

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/services"
)

var _ services.SessionKV = (*Bucket)(nil)

// DefaultBucket is the default name of the JetStream key-value bucket
// that holds the web site's sign-in sessions.
const DefaultBucket = "PORTFOLIO_SESSIONS"

// Config configures Open.
type Config struct {
	Bucket   string // default DefaultBucket
	Replicas int    // default 1
	// TTL is how long an entry lives after its last write; the bucket's
	// MaxAge. Default 13 hours: a session lives at most 12.
	TTL time.Duration
	// OpTimeout bounds each request to the bucket; default 5 s.
	OpTimeout time.Duration
}

// Bucket is a key-value bucket of opaque values, shared by every
// instance connected to the same JetStream: a value written by one
// instance is read by all, and survives their restarts. Keys must be
// valid KV keys ([-/_=.a-zA-Z0-9]). Safe for concurrent use.
type Bucket struct {
	kv      jetstream.KeyValue
	timeout time.Duration
}

// Open creates the bucket if it is missing (or updates its
// configuration) and returns it. Errors are KindUnavailable.
func Open(ctx context.Context, js jetstream.JetStream, cfg Config) (*Bucket, error) {
	if cfg.Bucket == "" {
		cfg.Bucket = DefaultBucket
	}
	if cfg.Replicas <= 0 {
		cfg.Replicas = 1
	}
	if cfg.TTL <= 0 {
		cfg.TTL = 13 * time.Hour
	}
	if cfg.OpTimeout <= 0 {
		cfg.OpTimeout = 5 * time.Second
	}
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      cfg.Bucket,
		Description: "sign-in sessions of the portfolio web site",
		History:     1,
		TTL:         cfg.TTL,
		Storage:     jetstream.FileStorage,
		Replicas:    cfg.Replicas,
	})
	if err != nil {
		return nil, sessionErr("open bucket "+cfg.Bucket, err)
	}
	return &Bucket{kv: kv, timeout: cfg.OpTimeout}, nil
}

// Get returns the value under key; ok is false when there is none.
func (b *Bucket) Get(ctx context.Context, key string) (value []byte, ok bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	e, err := b.kv.Get(ctx, key)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound), errors.Is(err, jetstream.ErrKeyDeleted):
		return nil, false, nil
	case err != nil:
		return nil, false, sessionErr("get", err)
	}
	return e.Value(), true, nil
}

// Put writes value under key.
func (b *Bucket) Put(ctx context.Context, key string, value []byte) error {
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	if _, err := b.kv.Put(ctx, key, value); err != nil {
		return sessionErr("put", err)
	}
	return nil
}

// Delete removes key and its history; a missing key is no error.
func (b *Bucket) Delete(ctx context.Context, key string) error {
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	if err := b.kv.Purge(ctx, key); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return sessionErr("delete", err)
	}
	return nil
}

func sessionErr(op string, err error) error {
	return &domain.Error{Kind: domain.KindUnavailable, Message: fmt.Sprintf("sessions: %s", op), Err: err}
}
