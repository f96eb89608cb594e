package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/ehelse/portfolio/domain"
	"github.com/ehelse/portfolio/projections"
	"github.com/ehelse/portfolio/services"
)

// R1: the time to build the portfolio report of a round when it closes,
// for reportInitiatives initiatives in the portfolio (goal ≤ 1 s). The
// report is computed inside the read models' apply of
// ReportingRoundClosed, so R1 is the time of the transaction that applies
// that one event, on a read model file that holds the initiatives with
// their milestones and status reports for the round.
const reportInitiatives = 10_000

func (b *bench) reportFigure(ctx context.Context, p profile) error {
	dir := filepath.Join(b.root, p.name, "report")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	db, err := bolt.Open(filepath.Join(dir, "rm.db"), 0o600, &bolt.Options{Timeout: time.Second, NoSync: !p.syncAlways})
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Update(func(tx *bolt.Tx) error {
		for _, name := range projections.AllBuckets {
			if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return err
	}
	pos := uint64(0)
	now := time.Now().UTC()
	versions := map[domain.Ref]uint64{}
	apply := func(tx *bolt.Tx, ref domain.Ref, e domain.Event) error {
		pos++
		versions[ref]++
		_, err := projections.Apply(tx, string(ref.Type), ref.ID, domain.Recorded{ID: services.NewID(), Version: versions[ref],
			Position: pos, Time: now, Actor: "bench", Event: e})
		return err
	}
	rounds := domain.Ref{Type: domain.Round, ID: domain.RoundsCatalogID}
	round := services.NewID()
	rags := []domain.RAG{domain.Green, domain.Green, domain.Yellow, domain.Red}
	err = db.Update(func(tx *bolt.Tx) error {
		return apply(tx, rounds, domain.ReportingRoundOpened{RoundID: round, Label: "2026-T3", PeriodEnd: "2026-08-31", Deadline: "2026-09-15"})
	})
	if err != nil {
		return err
	}
	const batch = 500
	for i := 0; i < reportInitiatives; i += batch {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		err := db.Update(func(tx *bolt.Tx) error {
			for j := i; j < min(i+batch, reportInitiatives); j++ {
				id := services.NewID()
				ref := domain.Ref{Type: domain.Initiative, ID: id}
				sg := subGoals[j%len(subGoals)]
				for _, e := range []domain.Event{
					domain.InitiativeProposed{InitiativeID: id, Title: fmt.Sprintf("Tiltak %05d", j), Description: "Benk",
						Owner: services.DemoOrgs[j%len(services.DemoOrgs)], PrimarySubGoal: sg.id, PrimaryGoal: sg.goal, SubGoals: []string{},
						UserGroups: []string{"innbyggere"}, PlannedStart: "2025-01-01", PlannedEnd: "2028-12-31", Phase: domain.PhasePlanning},
					domain.InitiativeAdmitted{InitiativeID: id, CaseID: services.NewID(), MeetingID: services.NewID(), Phase: domain.PhasePlanning},
					domain.MilestonePlanned{InitiativeID: id, MilestoneID: services.NewID(), Title: "Pilot", PlannedDate: "2026-06-30"},
					domain.MilestonePlanned{InitiativeID: id, MilestoneID: services.NewID(), Title: "Utbredelse", PlannedDate: "2027-06-30"},
				} {
					if err := apply(tx, ref, e); err != nil {
						return err
					}
				}
				if j%5 != 4 { // one in five does not report
					r := rags[j%len(rags)]
					if err := apply(tx, ref, domain.StatusReported{InitiativeID: id, ReportDate: "2026-08-31", Overall: r, Schedule: r,
						Cost: domain.Green, Benefit: domain.Green, Comment: "Benk", RoundID: round}); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	stop := b.profileFigure("R1", p)
	start := time.Now()
	err = db.Update(func(tx *bolt.Tx) error {
		return apply(tx, rounds, domain.ReportingRoundClosed{RoundID: round, Label: "2026-T3"})
	})
	took := time.Since(start)
	stop()
	if err != nil {
		return err
	}
	var report []byte
	copyPath := filepath.Join(dir, "c11.db")
	if err := db.View(func(tx *bolt.Tx) error {
		report = slices.Clone(tx.Bucket([]byte(projections.BucketReports)).Get([]byte(round)))
		return tx.CopyFile(copyPath, 0o600)
	}); err != nil {
		return err
	}
	size := len(report)
	if size == 0 {
		return fmt.Errorf("R1: no report was stored")
	}
	raw, err := rawReportTx(ctx, copyPath, report, p.syncAlways)
	if err != nil {
		return fmt.Errorf("C11: %w", err)
	}
	b.emit(result{id: "C11", profile: p.name, what: fmt.Sprintf("one bbolt write transaction reading every value of %q (no decoding) and putting one %d KiB value", projections.BucketInitiatives, size/1024),
		value: ms(raw.took), note: fmt.Sprintf("on a copy of R1's read-model file, R1's fsync setting; %d values, %d KiB read; median of %d transactions, each committed", raw.values, raw.bytes/1024, c11Runs)})
	b.emit(result{id: "R1", profile: p.name, what: fmt.Sprintf("build the portfolio report, %d initiatives", reportInitiatives),
		value: ms(took), ceiling: ms(raw.took), ratio: fmt.Sprintf("%.2f", float64(took)/float64(max(raw.took, time.Microsecond))),
		goal: "<=1000ms", verdict: verdict(took <= time.Second),
		note: fmt.Sprintf("the apply transaction of ReportingRoundClosed, report %d KiB; ratio = R1 / C11", size/1024)})
	return nil
}

// c11Runs is the number of C11 transactions; the figure is their median.
const c11Runs = 5

// rawReport is what rawReportTx measured.
type rawReport struct {
	took          time.Duration // median transaction, commit included
	values, bytes int           // initiative documents read, their bytes
}

// rawReportTx is C11, the building block under R1: one bbolt write
// transaction on the read-model file at path (a copy: it is written) that
// reads every value of the initiative documents bucket without decoding
// them and puts value into a scratch bucket, then commits, with R1's fsync
// setting. It returns the median of c11Runs such transactions.
func rawReportTx(ctx context.Context, path string, value []byte, syncAlways bool) (rawReport, error) {
	var r rawReport
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, NoSync: !syncAlways})
	if err != nil {
		return r, err
	}
	defer db.Close()
	scratch := []byte("bench_scratch")
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucketIfNotExists(scratch); return err }); err != nil {
		return r, err
	}
	var runs latencies
	for range c11Runs {
		if err := ctx.Err(); err != nil {
			return r, err
		}
		r.values, r.bytes = 0, 0
		start := time.Now()
		err := db.Update(func(tx *bolt.Tx) error {
			bk := tx.Bucket([]byte(projections.BucketInitiatives))
			if bk == nil {
				return fmt.Errorf("no bucket %q", projections.BucketInitiatives)
			}
			c := bk.Cursor()
			for k, v := c.First(); k != nil; k, v = c.Next() {
				r.values++
				r.bytes += len(v)
			}
			return tx.Bucket(scratch).Put([]byte(services.NewID()), value)
		})
		runs = append(runs, time.Since(start))
		if err != nil {
			return r, err
		}
	}
	if r.values < reportInitiatives {
		return r, fmt.Errorf("%d initiative documents, want %d", r.values, reportInitiatives)
	}
	r.took = runs.pct(50)
	return r, nil
}

// R2: the dependency policy's lag at policyRate commands per second: the
// time from an event being recorded to the policy having acted on it (its
// write, when the event puts a dependency at risk or clears it, is part of
// it), p99 over the window.
const policyRate = deliveryRate

func (b *bench) policyFigure(ctx context.Context, p profile, c ceilings) error {
	cfg := b.cfg
	dir := filepath.Join(b.root, p.name, "policy")
	defer os.RemoveAll(dir)
	const pairs = 200
	var consumers, providers, milestones []string
	_, err := b.seedDir(ctx, dir, func(w *world) error {
		ids, err := w.seedInitiatives(2 * pairs)
		if err != nil {
			return err
		}
		for i := range pairs {
			c, pr := ids[2*i], ids[2*i+1]
			ms := services.NewID()
			if err := w.do(&domain.ReportMilestone{InitiativeID: pr, MilestoneID: ms, Title: "Leveranse",
				Status: domain.MilestonePlannedStatus, PlannedDate: "2026-06-30"}); err != nil {
				return err
			}
			if err := w.do(&domain.DeclareDependency{DependencyID: services.NewID(), InitiativeID: c, DependsOn: pr,
				MilestoneID: ms, NeededBy: "2026-12-31", Description: "Benk"}); err != nil {
				return err
			}
			consumers, providers, milestones = append(consumers, c), append(providers, pr), append(milestones, ms)
		}
		return nil
	})
	if err != nil {
		return err
	}
	srv, _, store, key, err := b.startStore(ctx, dir, p.syncAlways)
	if err != nil {
		return err
	}
	defer shutdown(srv)
	svc, err := services.NewCommandService(services.CommandConfig{Log: store, Logger: b.log, TrustedKeys: publicKey(key)})
	if err != nil {
		return err
	}
	var (
		mu        sync.Mutex
		measuring bool
		lags      latencies
	)
	pol, err := services.NewDependencyPolicy(services.DependencyPolicyConfig{Log: store, Checkpoint: filepath.Join(dir, "policy.checkpoint"),
		Logger: b.log, TrustedKeys: publicKey(key), Observe: func(d time.Duration) {
			mu.Lock()
			if measuring {
				lags = append(lags, d)
			}
			mu.Unlock()
		}})
	if err != nil {
		return err
	}
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- pol.Run(pctx) }()
	head, err := store.Head(ctx)
	if err != nil {
		return err
	}
	if err := pol.WaitFor(ctx, head); err != nil {
		return err
	}

	// Paced commands: status reports of the consumers and, one in ten, a
	// slip (puts a dependency at risk) or an achievement (clears it) of a
	// provider's milestone.
	mu.Lock()
	measuring = true
	mu.Unlock()
	stop := b.profileFigure("R2", p)
	planned := map[int]domain.Date{}
	jobs := make(chan domain.Command, 4*policyRate)
	var wg sync.WaitGroup
	var failed error
	var fmu sync.Mutex
	for range cfg.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for cmd := range jobs {
				if _, err := svc.Execute(ctx, secretariat, cmd, services.ExecOptions{}); err != nil && !domain.IsKind(err, domain.KindRuleViolated) {
					fmu.Lock()
					failed = err
					fmu.Unlock()
				}
			}
		}()
	}
	tick := time.NewTicker(time.Second / policyRate)
	deadline := time.Now().Add(cfg.window)
	sent, day := 0, 0
	for time.Now().Before(deadline) && ctx.Err() == nil {
		<-tick.C
		i := sent % pairs
		var cmd domain.Command
		switch {
		case sent%10 == 5:
			d := planned[i]
			if d == "" {
				d = "2026-06-30"
			}
			day++
			next := domain.DateOf(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, day))
			if d > "2026-12-31" {
				next = "" // at risk: achieve it instead
			}
			if next != "" {
				cmd, planned[i] = &domain.ReportMilestone{InitiativeID: providers[i], MilestoneID: milestones[i],
					Status: domain.MilestoneSlippedStatus, NewPlannedDate: next}, next
			} else {
				cmd = &domain.ReportMilestone{InitiativeID: providers[i], MilestoneID: milestones[i],
					Status: domain.MilestoneAchievedStatus, AchievedDate: "2026-12-01"}
			}
		default:
			cmd = &domain.ReportStatus{InitiativeID: consumers[i], ReportDate: "2026-12-31", Overall: domain.Green,
				Schedule: domain.Green, Cost: domain.Green, Benefit: domain.Green}
		}
		select {
		case jobs <- cmd:
			sent++
		default: // the workers are behind: the rate is what the service can take
		}
	}
	tick.Stop()
	close(jobs)
	wg.Wait()
	if head, err = store.Head(ctx); err == nil {
		err = pol.WaitFor(ctx, head)
	}
	stop()
	cancel()
	<-done
	if err != nil {
		return err
	}
	if failed != nil {
		return fmt.Errorf("R2: %w", failed)
	}
	mu.Lock()
	l := slices.Clone(lags)
	mu.Unlock()
	slices.Sort(l)
	p99 := l.pct(99)
	achieved := float64(sent) / cfg.window.Seconds()
	b.emit(withDelivery(result{id: "R2", profile: p.name, what: fmt.Sprintf("dependency policy lag p99 at %d commands/s", policyRate),
		value: ms(p99), goal: "<=50ms", verdict: verdict(p99 <= 50*time.Millisecond && achieved >= 0.9*policyRate),
		note: fmt.Sprintf("%.0f commands/s sent, %d events acted on, p50 %s, policy writes %d", achieved, len(l), ms(l.pct(50)), pol.Written())}, p99, c.delivery, "R2"))
	return nil
}
