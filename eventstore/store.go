package eventstore

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/eventlog"
)

// Defaults of Config.
const (
	DefaultDuplicates = 2 * time.Minute
	DefaultTimeout    = 5 * time.Second
)

// Store is the event log on JetStream. Safe for concurrent use.
type Store struct {
	js      jetstream.JetStream
	nc      *nats.Conn
	cfg     Config
	log     *slog.Logger
	timeout time.Duration

	directSubj string // $JS.API.DIRECT.GET.<stream>
	msgGetSubj string // $JS.API.STREAM.MSG.GET.<stream> (answered by the stream leader)

	written *eventlog.Written // what this store signed and appended; nil without a Signer
}

// Written returns the record of the events this store signed and appended
// (see eventlog.Written), which the readers of the log in the same process
// may consult instead of verifying those signatures again; nil when the
// store has no Signer.
func (s *Store) Written() *eventlog.Written { return s.written }

// StreamName returns the name of the stream the store writes to.
func (s *Store) StreamName() string { return s.cfg.Stream }

// Config returns the store's configuration with defaults filled in.
func (s *Store) Config() Config { return s.cfg }

// JetStream returns the JetStream context the store was opened with.
func (s *Store) JetStream() jetstream.JetStream { return s.js }

// StreamConfig returns the stream configuration Open creates for cfg
// (defaults filled in): subjects portfolio.events.>, file storage, limits
// retention without limits, deny delete and purge, direct get, atomic batch
// publish and the duplicate window.
func StreamConfig(cfg Config) jetstream.StreamConfig {
	cfg = withDefaults(cfg)
	return jetstream.StreamConfig{
		Name:               cfg.Stream,
		Description:        "Portfolio event log (CloudEvents 1.0, one subject per event)",
		Subjects:           []string{eventlog.StreamSubjects},
		Retention:          jetstream.LimitsPolicy,
		Storage:            jetstream.FileStorage,
		Discard:            jetstream.DiscardOld,
		MaxMsgs:            -1,
		MaxBytes:           -1,
		MaxAge:             0,
		MaxMsgsPerSubject:  -1,
		MaxMsgSize:         -1,
		Replicas:           cfg.Replicas,
		Duplicates:         cfg.Duplicates,
		DenyDelete:         true,
		DenyPurge:          true,
		AllowDirect:        true,
		AllowAtomicPublish: true,
	}
}

func withDefaults(cfg Config) Config {
	if cfg.Stream == "" {
		cfg.Stream = DefaultStream
	}
	if cfg.Replicas <= 0 {
		cfg.Replicas = 1
	}
	if cfg.Source == "" {
		cfg.Source = eventlog.DefaultSource
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Duplicates <= 0 {
		cfg.Duplicates = DefaultDuplicates
	}
	return cfg
}

// Open returns a Store on js. It creates the stream if it is missing. If it
// exists, Open checks that it is usable as the event log and updates the
// settings that are safe to change (deny delete/purge, direct get, atomic
// publish, duplicate window, replicas); a stream it cannot use returns an
// error wrapping ErrStreamMismatch that says what differs.
//
// Errors: ErrStreamMismatch (kind internal), ErrUnavailable (JetStream did
// not answer), or a kind-internal error from the JetStream API.
func Open(ctx context.Context, js jetstream.JetStream, cfg Config) (*Store, error) {
	if js == nil {
		return nil, internal("eventstore.Open", errors.New("nil JetStream"))
	}
	cfg = withDefaults(cfg)
	if !eventlog.ValidToken(cfg.Stream) {
		return nil, &domain.Error{Kind: domain.KindInvalid, Message: fmt.Sprintf("eventstore: invalid stream name %q", cfg.Stream)}
	}
	opts := js.Options()
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = opts.DefaultTimeout
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	cfg.Timeout = timeout
	prefix := apiPrefix(opts)
	s := &Store{
		js:         js,
		nc:         js.Conn(),
		cfg:        cfg,
		log:        cfg.Logger,
		timeout:    timeout,
		directSubj: prefix + "DIRECT.GET." + cfg.Stream,
		msgGetSubj: prefix + "STREAM.MSG.GET." + cfg.Stream,
	}
	if len(cfg.Signer) == ed25519.PrivateKeySize {
		s.written = eventlog.NewWritten(cfg.Signer.Public().(ed25519.PublicKey), eventlog.DefaultWrittenSize)
	}
	if err := s.ensureStream(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// apiPrefix returns the JetStream API prefix ("$JS.API.") of opts.
func apiPrefix(opts jetstream.JetStreamOptions) string {
	switch {
	case opts.Domain != "":
		return "$JS." + opts.Domain + ".API."
	case opts.APIPrefix != "":
		if strings.HasSuffix(opts.APIPrefix, ".") {
			return opts.APIPrefix
		}
		return opts.APIPrefix + "."
	default:
		return jetstream.DefaultAPIPrefix
	}
}

func (s *Store) ensureStream(ctx context.Context) error {
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	want := StreamConfig(s.cfg)
	st, err := s.js.Stream(ctx, want.Name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		_, err = s.js.CreateStream(ctx, want)
		if err == nil {
			s.log.Info("eventstore: created stream", "stream", want.Name, "replicas", want.Replicas)
			return s.waitLeader(ctx, want.Name)
		}
		if !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			return translate("eventstore: create stream "+want.Name, err)
		}
		// Someone else created it meanwhile: check theirs.
		st, err = s.js.Stream(ctx, want.Name)
	}
	if err != nil {
		return translate("eventstore: stream info "+want.Name, err)
	}
	have := st.CachedInfo().Config
	update, ok, problems := reconcile(have, want)
	if len(problems) > 0 {
		return &domain.Error{
			Kind:    domain.KindInternal,
			Message: fmt.Sprintf("stream %s: %s", want.Name, strings.Join(problems, "; ")),
			Err:     ErrStreamMismatch,
		}
	}
	if !ok {
		if _, err := s.js.UpdateStream(ctx, update); err != nil {
			return translate("eventstore: update stream "+want.Name, err)
		}
		s.log.Info("eventstore: updated stream settings", "stream", want.Name)
	}
	return s.waitLeader(ctx, want.Name)
}

// waitLeader waits until the stream has a leader, so that the first append
// after Open does not meet "no responders" while a replicated stream is
// still electing one.
func (s *Store) waitLeader(ctx context.Context, name string) error {
	errNoLeader := errors.New("no leader yet")
	_, err := backoff.Retry(ctx, func() (struct{}, error) {
		st, err := s.js.Stream(ctx, name)
		if err == nil {
			info := st.CachedInfo()
			if info.Cluster == nil || info.Cluster.Leader != "" {
				return struct{}{}, nil
			}
		}
		return struct{}{}, errNoLeader
	}, backoff.WithBackOff(backoff.NewConstantBackOff(50*time.Millisecond)), backoff.WithMaxElapsedTime(0))
	if err != nil {
		return translate("eventstore: wait for the leader of stream "+name, ctx.Err())
	}
	return nil
}

// reconcile compares an existing stream's config with the wanted one. It
// returns the config to update to, whether have is already fine, and the
// differences that cannot be fixed by an update.
func reconcile(have, want jetstream.StreamConfig) (update jetstream.StreamConfig, ok bool, problems []string) {
	if !slices.Equal(have.Subjects, want.Subjects) {
		problems = append(problems, fmt.Sprintf("subjects are %q, want %q", have.Subjects, want.Subjects))
	}
	if have.Storage != want.Storage {
		problems = append(problems, fmt.Sprintf("storage is %s, want %s", have.Storage, want.Storage))
	}
	if have.Retention != jetstream.LimitsPolicy {
		problems = append(problems, fmt.Sprintf("retention is %s, want %s", have.Retention, jetstream.LimitsPolicy))
	}
	if have.MaxAge > 0 {
		problems = append(problems, fmt.Sprintf("max age is %s: events would expire", have.MaxAge))
	}
	if have.MaxMsgs > 0 || have.MaxBytes > 0 || have.MaxMsgsPerSubject > 0 {
		problems = append(problems, fmt.Sprintf("limits max_msgs=%d max_bytes=%d max_msgs_per_subject=%d: events would be discarded",
			have.MaxMsgs, have.MaxBytes, have.MaxMsgsPerSubject))
	}
	if have.Sealed {
		problems = append(problems, "stream is sealed")
	}
	if have.Mirror != nil || len(have.Sources) > 0 {
		problems = append(problems, "stream is a mirror or has sources")
	}
	if have.NoAck {
		problems = append(problems, "stream does not acknowledge publishes (no_ack)")
	}
	if have.AllowMsgCounter {
		problems = append(problems, "stream is a counter stream")
	}
	if have.SubjectTransform != nil {
		problems = append(problems, "stream has a subject transform")
	}

	update = have
	update.DenyDelete, update.DenyPurge = true, true
	update.AllowDirect, update.AllowAtomicPublish = true, true
	update.Duplicates = want.Duplicates
	update.Replicas = want.Replicas
	ok = have.DenyDelete && have.DenyPurge && have.AllowDirect && have.AllowAtomicPublish &&
		have.Duplicates == want.Duplicates && have.Replicas == want.Replicas
	return update, ok, problems
}

// withTimeout bounds ctx by the store's timeout (Config.Timeout).
func (s *Store) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	// Always bound by the store's own timeout, also under a longer caller
	// deadline: a request lost with a stopped cluster node must fail fast
	// (ErrUnavailable) so the caller can retry, not hang until its deadline.
	return context.WithTimeout(ctx, s.timeout)
}

// Head returns the stream's last sequence (the position of the newest
// event), 0 for an empty log. It asks the stream leader, so it reflects
// every acknowledged append.
//
// Errors: ErrUnavailable, or a kind-internal error from the JetStream API.
func (s *Store) Head(ctx context.Context) (uint64, error) {
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	return s.head(ctx)
}

// head is Head with ctx already bounded.
func (s *Store) head(ctx context.Context) (uint64, error) {
	st, err := s.js.Stream(ctx, s.cfg.Stream)
	if err != nil {
		return 0, translate("eventstore: stream info", err)
	}
	return st.CachedInfo().State.LastSeq, nil
}
