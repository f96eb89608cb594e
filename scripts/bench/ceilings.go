package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/synadia-io/orbit.go/jetstreamext"
	bolt "go.etcd.io/bbolt"

	"github.com/ehelse/portfolio/eventlog"
	"github.com/ehelse/portfolio/eventstore"
	"github.com/ehelse/portfolio/eventstore/embedded"
	"github.com/ehelse/portfolio/projections"
	"github.com/ehelse/portfolio/services"
)

// ceilings are the raw building blocks' figures of one profile.
type ceilings struct {
	append1, append16 float64   // C1, C2: events/s
	batch16           float64   // C7: events/s in atomic batches of 16
	orderedRead       float64   // C3: events/s
	boltSync          float64   // C4: puts/s
	boltNoSync        float64   // C5: puts/s
	projection        float64   // C6: events/s
	delivery          latencies // C10: publish acknowledged → ordered consumer received
}

// startServer starts the product's embedded server on dir with the
// profile's durability setting.
func startServer(ctx context.Context, dir string, syncAlways bool) (*embedded.Server, jetstream.JetStream, error) {
	srv, err := embedded.Start(ctx, embedded.Options{DataDir: dir, SyncAlways: &syncAlways})
	if err != nil {
		return nil, nil, err
	}
	js, err := srv.JetStream()
	if err != nil {
		shutdown(srv)
		return nil, nil, err
	}
	return srv, js, nil
}

func shutdown(srv *embedded.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
}

// samplePayload is a stored event as the product writes it: a CloudEvents
// envelope around a status report with a comment (about 700 bytes).
func samplePayload(aggID string, version uint64) []byte {
	data := map[string]any{
		"initiativeId": aggID, "reportDate": "2026-03-31", "overall": "yellow", "schedule": "yellow", "cost": "green", "benefit": "green",
		"comment": "Forsinkelse i leveranse fra leverandør; revidert plan er lagt fram for styringsgruppen og tiltak er iverksatt.",
	}
	env := map[string]any{
		"specversion": "1.0", "id": services.NewID(), "source": eventlog.DefaultSource,
		"type": eventlog.TypePrefix + "StatusReported.v1", "subject": "initiative/" + aggID,
		"time": time.Now().UTC().Format(time.RFC3339Nano), "datacontenttype": eventlog.ContentType,
		"aggregatetype": "initiative", "aggregateid": aggID, "aggregateversion": version,
		"actor": "sekretariat", "causationid": services.NewID(), "correlationid": services.NewID(), "data": data,
	}
	b, _ := json.Marshal(env)
	return b
}

// rawServer starts a fresh embedded server with the profile's setting in
// a directory of its own under the run's root (name), with the product's
// stream created as eventstore creates it; done shuts the server down and
// removes the directory.
func (b *bench) rawServer(ctx context.Context, p profile, name string) (srv *embedded.Server, js jetstream.JetStream, stream string, done func(), err error) {
	dir := filepath.Join(b.root, p.name, name)
	if srv, js, err = startServer(ctx, dir, p.syncAlways); err != nil {
		os.RemoveAll(dir)
		return nil, nil, "", nil, err
	}
	done = func() {
		shutdown(srv)
		os.RemoveAll(dir)
	}
	store, err := eventstore.Open(ctx, js, eventstore.Config{Logger: b.log})
	if err != nil {
		done()
		return nil, nil, "", nil, err
	}
	return srv, js, store.StreamName(), done, nil
}

// appendCeilings measures C1 and C2: synchronous JetStream publishes with
// the per-aggregate expectation (Nats-Expected-Last-Subject-Sequence on the
// aggregate's wildcard subject, as eventstore.Append sends them), one
// aggregate per publisher, on the in-process connection the product uses.
func (b *bench) appendCeilings(ctx context.Context, p profile, c *ceilings) error {
	srv, js, stream, done, err := b.rawServer(ctx, p, "raw")
	if err != nil {
		return err
	}
	defer done()
	for _, n := range []int{1, b.cfg.workers} {
		fig := "C1"
		if n > 1 {
			fig = "C2"
		}
		stop := b.profileFigure(fig, p)
		r, err := rawAppend(ctx, srv.Conn, stream, n, b.cfg.warmup, b.cfg.window)
		stop()
		if err != nil {
			return fmt.Errorf("raw append, %d publishers: %w", n, err)
		}
		id, what := "C1", "raw JetStream append 1 publisher"
		if n == 1 {
			c.append1 = r
		} else {
			c.append16 = r
			id, what = "C2", fmt.Sprintf("raw JetStream append %d publishers", n)
		}
		b.emit(result{id: id, profile: p.name, what: what + " (sync publish, per-subject expectation)", value: rate(r) + " events"})
		if n == 1 && b.cfg.workers == 1 {
			c.append16 = r
			break
		}
	}
	if b.cfg.sel("C7") || b.cfg.sel("C") {
		// Batches and single appends in alternating slices, so that the
		// comparison survives a machine whose load changes during the run.
		const rounds = 5
		slice := max(b.cfg.window/rounds, 300*time.Millisecond)
		warm := min(b.cfg.warmup, 200*time.Millisecond)
		var batched, single []float64
		stop := b.profileFigure("C7", p)
		for range rounds {
			r, err := rawBatches(ctx, js, stream, batchSize, warm, slice)
			if err != nil {
				stop()
				return fmt.Errorf("raw atomic batches of %d: %w", batchSize, err)
			}
			batched = append(batched, r)
			r, err = rawAppend(ctx, srv.Conn, stream, 1, warm, slice)
			if err != nil {
				stop()
				return fmt.Errorf("raw append between batches: %w", err)
			}
			single = append(single, r)
		}
		stop()
		r, r1 := median(batched), median(single)
		c.batch16 = r
		b.emit(result{id: "C7", profile: p.name, what: fmt.Sprintf("raw JetStream atomic batches of %d events, 1 publisher, each event its own aggregate (per-subject expectation, Nats-Msg-Id)", batchSize),
			value: rate(r) + " events", ratio: fmt.Sprintf("%.2f", r/r1),
			note: fmt.Sprintf("%s batches; median of %d slices of %s alternating with single appends by 1 publisher (C1's setting): %s events; ratio = C7 / those", rate(r/batchSize), rounds, slice, rate(r1))})
	}
	return nil
}

// median returns the median of v (v is sorted in place).
func median(v []float64) float64 {
	slices.Sort(v)
	return v[len(v)/2]
}

// batchSize is the number of events of one C7 batch: one per concurrent
// client of P1/P2 at the default -workers.
const batchSize = 16

// rawBatches publishes atomic batches of n messages, one after the other,
// for warmup+window with the client the store uses
// (jetstreamext.PublishMsgBatch, no flow control) and returns the
// acknowledged events per second. Every message is the next event of its
// own aggregate with the headers eventstore.Append sends (Nats-Msg-Id,
// expected stream, expected last subject sequence on the aggregate).
func rawBatches(ctx context.Context, js jetstream.JetStream, stream string, n int, warmup, window time.Duration) (float64, error) {
	aggs := make([]*rawPub, n)
	for i := range aggs {
		aggs[i] = newRawPub()
	}
	batches, _, err := throughput(ctx, 1, warmup, window, func(ctx context.Context, _ int) error {
		msgs := make([]*nats.Msg, n)
		for i, a := range aggs {
			msgs[i] = a.next(stream)
		}
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		ack, err := jetstreamext.PublishMsgBatch(rctx, js, msgs, jetstreamext.BatchFlowControl{AckFirst: false})
		cancel()
		if err != nil {
			return err
		}
		if int(ack.BatchSize) != n || ack.Sequence < uint64(n) {
			return fmt.Errorf("batch ack: seq %d count %d, sent %d", ack.Sequence, ack.BatchSize, n)
		}
		first := ack.Sequence - uint64(n-1)
		for i, a := range aggs {
			a.last = first + uint64(i)
		}
		return nil
	})
	return batches * float64(n), err
}

// rawPub is one raw publisher: one aggregate, its next event sent with
// the headers eventstore.Append sends (Nats-Msg-Id, expected stream,
// expected last subject sequence on the aggregate's wildcard subject).
type rawPub struct {
	id, subject, filter string
	last, seq           uint64
	payload             []byte
}

// newRawPub returns a publisher of a new aggregate.
func newRawPub() *rawPub {
	id := services.NewID()
	return &rawPub{id: id, subject: eventlog.Subject("initiative", id, "StatusReported"),
		filter: eventlog.AggregateSubject("initiative", id), payload: samplePayload(id, 1)}
}

// next is the aggregate's next event, expecting its last acknowledged
// one; the caller sets p.last from the acknowledgement.
func (p *rawPub) next(stream string) *nats.Msg {
	p.seq++
	m := nats.NewMsg(p.subject)
	m.Data = p.payload
	m.Header.Set("Nats-Msg-Id", p.id+":"+strconv.FormatUint(p.seq, 10))
	m.Header.Set("Nats-Expected-Stream", stream)
	m.Header.Set("Nats-Expected-Last-Subject-Sequence", strconv.FormatUint(p.last, 10))
	m.Header.Set("Nats-Expected-Last-Subject-Sequence-Subject", p.filter)
	return m
}

// publish sends the aggregate's next event as a request on nc and returns
// the stream sequence the server acknowledged.
func (p *rawPub) publish(ctx context.Context, nc *nats.Conn, stream string) (uint64, error) {
	m := p.next(stream)
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	resp, err := nc.RequestMsgWithContext(rctx, m)
	cancel()
	if err != nil {
		return 0, err
	}
	var ack struct {
		Seq   uint64 `json:"seq"`
		Error *struct {
			Code        int    `json:"code"`
			ErrCode     int    `json:"err_code"`
			Description string `json:"description"`
		} `json:"error"`
	}
	if len(resp.Data) == 0 {
		return 0, fmt.Errorf("status-only publish reply %q", resp.Header.Get("Status"))
	}
	if err := json.Unmarshal(resp.Data, &ack); err != nil {
		return 0, err
	}
	if ack.Error != nil {
		return 0, fmt.Errorf("publish refused: %d/%d %s", ack.Error.Code, ack.Error.ErrCode, ack.Error.Description)
	}
	p.last = ack.Seq
	return ack.Seq, nil
}

// rawAppend publishes with n publishers for warmup+window and returns the
// acknowledged events per second.
func rawAppend(ctx context.Context, nc *nats.Conn, stream string, n int, warmup, window time.Duration) (float64, error) {
	pubs := make([]*rawPub, n)
	for i := range pubs {
		pubs[i] = newRawPub()
	}
	r, _, err := throughput(ctx, n, warmup, window, func(ctx context.Context, w int) error {
		_, err := pubs[w].publish(ctx, nc, stream)
		return err
	})
	return r, err
}

// deliveryRate is the pace of C10, P4 and R2: commands (or raw
// publishes) per second.
const deliveryRate = 1000

// deliveryCeiling measures C10: the raw path under P4 and R2. Publishers
// send to the product's stream at P4's pace with C1's headers while an
// ordered consumer in the same process reads the stream; the figure is
// the time from a publish's acknowledgement returning to the consumer
// receiving that message.
func (b *bench) deliveryCeiling(ctx context.Context, p profile, c *ceilings) error {
	srv, js, stream, done, err := b.rawServer(ctx, p, "delivery")
	if err != nil {
		return err
	}
	defer done()
	stop := b.profileFigure("C10", p)
	r, err := rawDelivery(ctx, srv.Conn, js, stream, b.cfg.workers, deliveryRate, b.cfg.warmup, b.cfg.window)
	stop()
	if err != nil {
		return fmt.Errorf("C10: %w", err)
	}
	c.delivery = r.lat
	b.emit(result{id: "C10", profile: p.name, what: fmt.Sprintf("raw delivery latency at %d publishes/s: publish acknowledged → ordered consumer received", deliveryRate),
		value: fmt.Sprintf("p50=%s p99=%s", ms(r.lat.pct(50)), ms(r.lat.pct(99))),
		note: fmt.Sprintf("open loop as P4 paces, %d publishers each its own aggregate with C1's headers, an ordered consumer on the stream in the same process, matched by stream sequence; achieved %s, %d samples after a %s warm-up, %d not sent (all publishers busy), %d received before their ack returned (counted as 0)",
			b.cfg.workers, rate(r.achieved), len(r.lat), b.cfg.warmup, r.missed, r.early)})
	return nil
}

// deliveryResult is what rawDelivery measured.
type deliveryResult struct {
	lat      latencies // sorted
	achieved float64   // acknowledged publishes per second
	missed   int       // slots that found every publisher busy
	early    int       // messages received before their publish's ack returned
}

// rawDelivery publishes at perSecond for warmup+window (open loop, as
// paced: a publish is due every 1/perSecond and one whose slot finds
// every publisher busy is counted as missed) with n publishers, one
// aggregate each, while an ordered consumer on the same stream notes when
// each message arrives. It returns, for the publishes started after the
// warmup, the time from the ack returning to the message's arrival (0
// when it arrived first).
func rawDelivery(ctx context.Context, nc *nats.Conn, js jetstream.JetStream, stream string, n, perSecond int, warmup, window time.Duration) (deliveryResult, error) {
	var res deliveryResult
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return res, err
	}
	cons, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{projections.Subject}, DeliverPolicy: jetstream.DeliverNewPolicy})
	if err != nil {
		return res, err
	}
	it, err := cons.Messages()
	if err != nil {
		return res, err
	}
	defer it.Stop()
	var (
		mu       sync.Mutex
		received = map[uint64]time.Time{}
		acked    = map[uint64]time.Time{}
		lastSeen uint64
		seen     = make(chan struct{}, 1)
	)
	readErr := make(chan error, 1)
	go func() {
		for {
			m, err := it.Next()
			t := time.Now()
			if err != nil {
				readErr <- err
				return
			}
			md, err := m.Metadata()
			if err != nil {
				readErr <- err
				return
			}
			mu.Lock()
			received[md.Sequence.Stream] = t
			lastSeen = md.Sequence.Stream
			mu.Unlock()
			select {
			case seen <- struct{}{}:
			default:
			}
		}
	}()

	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		firstErr error
		done     atomic.Int64
		lastSeq  uint64
	)
	work := make(chan bool) // true: measured
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pub := newRawPub()
			for measured := range work {
				seq, err := pub.publish(pctx, nc, stream)
				t := time.Now()
				mu.Lock()
				if err != nil {
					if firstErr == nil {
						firstErr = err
					}
					cancel()
				} else {
					if measured {
						acked[seq] = t
						done.Add(1)
					}
					lastSeq = max(lastSeq, seq)
				}
				mu.Unlock()
			}
		}()
	}
	interval := time.Second / time.Duration(perSecond)
	total := int(float64(perSecond) * (warmup + window).Seconds())
	warm := int(float64(perSecond) * warmup.Seconds())
	start := time.Now()
	var measureStart time.Time
	for i := range total {
		if wait := time.Until(start.Add(time.Duration(i) * interval)); wait > 0 {
			time.Sleep(wait)
		}
		if pctx.Err() != nil {
			break
		}
		if i == warm {
			measureStart = time.Now()
		}
		select {
		case work <- i >= warm:
		default:
			if i >= warm {
				res.missed++
			}
		}
	}
	close(work)
	wg.Wait()
	if !measureStart.IsZero() {
		res.achieved = float64(done.Load()) / time.Since(measureStart).Seconds()
	}
	if firstErr != nil {
		return res, firstErr
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	// Wait until the consumer has seen the last acknowledged message.
	deadline := time.After(30 * time.Second)
	for {
		mu.Lock()
		caught := lastSeen >= lastSeq
		mu.Unlock()
		if caught {
			break
		}
		select {
		case <-seen:
		case err := <-readErr:
			return res, fmt.Errorf("ordered consumer: %w", err)
		case <-deadline:
			return res, fmt.Errorf("ordered consumer: not at sequence %d within 30s", lastSeq)
		case <-ctx.Done():
			return res, ctx.Err()
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for seq, ack := range acked {
		got, ok := received[seq]
		if !ok {
			return res, fmt.Errorf("ordered consumer: sequence %d acknowledged, never received", seq)
		}
		d := got.Sub(ack)
		if d < 0 {
			d = 0
			res.early++
		}
		res.lat = append(res.lat, d)
	}
	slices.Sort(res.lat)
	return res, nil
}

// readCeilings measures C3 (ordered read of the whole P3 stream), C4 and
// C5 (bbolt batched puts) and C6 (the projection ceiling: ordered read +
// bbolt batched puts of the raw events, no decoding, no domain logic, with
// the rebuild's settings). Each read runs on a freshly started server, like
// the rebuild in its child process.
func (b *bench) readCeilings(ctx context.Context, p profile, c *ceilings) error {
	if b.data == nil {
		return errors.New("no P3 stream")
	}
	n, took, err := b.orderedRead(ctx, p, nil)
	if err != nil {
		return fmt.Errorf("ordered read: %w", err)
	}
	c.orderedRead = float64(n) / took.Seconds()
	b.emit(result{id: "C3", profile: p.name, what: "JetStream ordered read (ordered consumer, whole stream)", value: rate(c.orderedRead) + " events",
		note: fmt.Sprintf("N=%d", n)})

	dir := filepath.Join(b.root, p.name, "bolt")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	value := samplePayload(services.NewID(), 7)
	for _, s := range []struct {
		id       string
		perTx    int
		noSync   bool
		dst      *float64
		describe string
	}{
		{"C4", 1000, false, &c.boltSync, "bbolt batched puts 1000/tx, fsync per commit (the live runner's setting)"},
		{"C5", 5000, true, &c.boltNoSync, "bbolt batched puts 5000/tx, no fsync until the end (the rebuild's setting)"},
	} {
		r, err := boltPuts(ctx, filepath.Join(dir, s.id+".db"), s.perTx, s.noSync, value, b.cfg.window)
		if err != nil {
			return fmt.Errorf("bbolt: %w", err)
		}
		*s.dst = r
		b.emit(result{id: s.id, profile: p.name, what: s.describe, value: rate(r) + " puts", note: fmt.Sprintf("%d B JSON values, sequential keys", len(value))})
	}

	path := filepath.Join(dir, "projection.db")
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second, NoSync: true, NoGrowSync: true})
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucketIfNotExists([]byte("events")); return err }); err != nil {
		return err
	}
	n, took, err = b.orderedRead(ctx, p, func(batch []jetstream.Msg, last bool) error {
		if err := db.Update(func(tx *bolt.Tx) error {
			bk := tx.Bucket([]byte("events"))
			var key [8]byte
			for _, m := range batch {
				md, err := m.Metadata()
				if err != nil {
					return err
				}
				binary.BigEndian.PutUint64(key[:], md.Sequence.Stream)
				if err := bk.Put(key[:], m.Data()); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
		if last {
			return db.Sync()
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("projection ceiling: %w", err)
	}
	c.projection = float64(n) / took.Seconds()
	b.emit(result{id: "C6", profile: p.name, what: "projection ceiling: ordered read + bbolt puts 5000/tx, no decoding", value: rate(c.projection) + " events",
		note: fmt.Sprintf("N=%d", n)})
	return nil
}

// orderedRead starts a server on the P3 stream and reads the whole stream
// with an ordered consumer (pull batches of 5000, as the rebuild does),
// handing batches of up to 5000 messages to apply (nil: just count). It
// returns the messages read and the time taken, server start excluded.
func (b *bench) orderedRead(ctx context.Context, p profile, apply func(batch []jetstream.Msg, last bool) error) (int, time.Duration, error) {
	srv, js, err := startServer(ctx, b.data.dir, p.syncAlways)
	if err != nil {
		return 0, 0, err
	}
	defer shutdown(srv)
	stream, err := js.Stream(ctx, projections.DefaultStream)
	if err != nil {
		return 0, 0, err
	}
	info, err := stream.Info(ctx)
	if err != nil {
		return 0, 0, err
	}
	head := info.State.LastSeq
	const batchSize = 5000
	start := time.Now()
	cons, err := stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{projections.Subject}, DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return 0, 0, err
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(batchSize))
	if err != nil {
		return 0, 0, err
	}
	defer it.Stop()
	n := 0
	var batch []jetstream.Msg
	for {
		nctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		m, err := it.Next(jetstream.NextContext(nctx))
		cancel()
		if err != nil {
			return n, 0, fmt.Errorf("after %d of %d messages: %w", n, head, err)
		}
		md, err := m.Metadata()
		if err != nil {
			return n, 0, err
		}
		n++
		last := md.Sequence.Stream >= head
		if apply != nil {
			batch = append(batch, m)
			if len(batch) >= batchSize || last || md.NumPending == 0 {
				if err := apply(batch, last); err != nil {
					return n, 0, err
				}
				batch = batch[:0]
			}
		}
		if last {
			break
		}
	}
	return n, time.Since(start), nil
}

// boltPuts puts perTx values per transaction with sequential 8-byte keys
// for window and returns the puts per second (with noSync, the final fsync
// is included).
func boltPuts(ctx context.Context, path string, perTx int, noSync bool, value []byte, window time.Duration) (float64, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second, NoSync: noSync, NoGrowSync: noSync})
	if err != nil {
		return 0, err
	}
	defer db.Close()
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucketIfNotExists([]byte("b")); return err }); err != nil {
		return 0, err
	}
	var seq uint64
	start := time.Now()
	deadline := start.Add(window)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		err := db.Update(func(tx *bolt.Tx) error {
			bk := tx.Bucket([]byte("b"))
			var key [8]byte
			for range perTx {
				seq++
				binary.BigEndian.PutUint64(key[:], seq)
				if err := bk.Put(key[:], value); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
	}
	if noSync {
		if err := db.Sync(); err != nil {
			return 0, err
		}
	}
	return float64(seq) / time.Since(start).Seconds(), ctx.Err()
}
