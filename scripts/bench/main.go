// Command bench measures the ceilings of the building blocks (raw
// JetStream appends, ordered reads and delivery latency, bbolt batched
// puts and raw transactions on the read-model file, a projection without
// domain logic) and the product's figures P1–P8 and the web
// site's W1–W3 against them, with
// the product's own durability settings: the embedded NATS server with
// SyncAlways (fsync before every acknowledgement, profile "always") and
// without it (the server's background fsync interval, profile
// "interval").
//
//	go run ./scripts/bench                         # make bench: scale 1, both profiles
//	BENCH_SCALE=0.01 go run ./scripts/bench        # a quick smoke run
//	go run ./scripts/bench -only=P1,P3 -profiles=always
//	go run ./scripts/bench -only=P5 -cpuprofile=/tmp/p5.prof
//
// Everything runs in-process on loopback under one temporary directory,
// removed at the end. See docs/PERFORMANCE.md for what each figure means.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ehelse/portfolio/internal/daemon"
)

// profile is a durability setting of the embedded server.
type profile struct {
	name       string
	syncAlways bool
}

var knownProfiles = map[string]profile{
	"always":   {"always", true},
	"interval": {"interval", false},
}

type config struct {
	scale       float64
	window      time.Duration
	warmup      time.Duration
	profiles    []profile
	only        map[string]bool // empty: everything
	events      int             // P3 stream size
	initiatives int             // initiatives in the P3/P6 stream
	samples     int             // P5 samples per side
	workers     int
	cpuprofile  string
	memprofile  string
	keep        bool
	dir         string
	memoryLimit string // the rebuild child's --memory-limit
	procs       string // -procs: GOMAXPROCS as portfoliod's --procs, set per profile (resolve)
	cpus        int    // the runtime's GOMAXPROCS at the start
	dataset     string // reuse this P3 dataset instead of generating one

	// child mode
	child      string
	childDir   string
	childSync  bool
	childPrior bool // keep the read models the previous run left (P3) instead of building with none (P3full)
	childLimit time.Duration
}

// resolveProcs is the GOMAXPROCS portfoliod would run with under a
// profile: fsyncHere for the always profile (daemon.ExtraProcs).
func (c *config) resolveProcs(fsyncHere bool) (daemon.Procs, error) {
	p, err := daemon.ResolveProcs(c.procs, os.Getenv, c.cpus, fsyncHere)
	if err != nil {
		return p, fmt.Errorf("-procs: %w", err)
	}
	return p, nil
}

// setProcs sets GOMAXPROCS as portfoliod would under profile p and says
// so in the output.
func (b *bench) setProcs(p profile) {
	procs, _ := b.cfg.resolveProcs(p.syncAlways) // checked by parseFlags
	procs.Apply()
	fmt.Fprintf(b.out, "# GOMAXPROCS %d under profile %s (%s)\n", runtime.GOMAXPROCS(0), p.name, procs)
}

// sel reports whether figure id was selected with -only.
func (c *config) sel(id string) bool { return len(c.only) == 0 || c.only[id] }

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	if cfg.child != "" {
		// The parent passes the GOMAXPROCS of its profile.
		procs, _ := cfg.resolveProcs(cfg.childSync)
		procs.Apply()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	if cfg.child != "" {
		err = runChild(ctx, cfg)
	} else {
		err = run(ctx, cfg, os.Stdout)
	}
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (*config, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	scale := 1.0
	if s := os.Getenv("BENCH_SCALE"); s != "" {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || v <= 0 || math.IsInf(v, 0) {
			return nil, fmt.Errorf("BENCH_SCALE=%q: want a positive number", s)
		}
		scale = v
	}
	fs.Float64Var(&scale, "scale", scale, "size factor (default $BENCH_SCALE or 1): P3 events 200k×scale, initiatives 10k×min(scale,1), measuring windows 5s×scale (0.5–10 s)")
	profiles := fs.String("profiles", "always,interval", "durability profiles: always (SyncAlways, fsync per write), interval (no SyncAlways: the server's fsync interval)")
	only := fs.String("only", "", "comma-separated figures to measure: P1…P8, W1…W3, B1, R1, R2, C (ceilings only), C7 (with C1/C2); empty: all. The ceilings a selected ratio needs are measured too")
	window := fs.Duration("window", 0, "measuring window of each throughput figure (default 5s×scale, 0.5–10 s)")
	events := fs.Int("events", 0, "events in the P3/P6/P7/P8 stream (default 200000×scale, at least 2000)")
	initiatives := fs.Int("initiatives", 0, "initiatives in that stream (default 10000×min(scale,1), at least 20)")
	samples := fs.Int("samples", 0, "P5 samples per side (default 100×scale, 20–300)")
	workers := fs.Int("workers", 16, "concurrent publishers/clients of C2, P1, P2 and P4")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of each figure's measuring window to <prefix>.<figure>-<profile>.prof (the rebuild child's too)")
	memprofile := fs.String("memprofile", "", "write a heap profile of the rebuild child (P3/P7) to <prefix>.P7-<profile>.heap (go tool pprof -sample_index=alloc_space)")
	memoryLimit := fs.String("memory-limit", "auto", "the rebuild child's Go memory limit, as portfoliod's --memory-limit (auto: GOMEMLIMIT if set, else 3/4 of the cgroup limit, else 1/4 of the machine's memory, at least 192MiB; off; or a size)")
	procs := fs.String("procs", "auto", "GOMAXPROCS of the bench and its rebuild child, set per profile as portfoliod's --procs would be (auto: GOMAXPROCS if set, else the CPUs, plus 2 under the always profile; or a number): the product's figures and their ceilings run with what portfoliod would set")
	datasetDir := fs.String("dataset", "", "reuse the P3 dataset in this directory (<kept dir>/dataset of an earlier -keep run) instead of generating one; the figures may add to it")
	keep := fs.Bool("keep", false, "keep the temporary directory (for inspection)")
	dir := fs.String("dir", "", "parent of the temporary directory (default $TMPDIR)")
	child := fs.String("child", "", "internal: run as a child process (rebuild)")
	childDir := fs.String("child-dir", "", "internal: the child's data directory")
	childSync := fs.Bool("child-sync", true, "internal: the child's SyncAlways")
	childPrior := fs.Bool("child-prior", false, "internal: rebuild over the read models already there (else remove them first)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if scale <= 0 {
		return nil, errors.New("-scale must be positive")
	}
	c := &config{
		scale: scale, workers: *workers, cpuprofile: *cpuprofile, memprofile: *memprofile, keep: *keep, dir: *dir, memoryLimit: *memoryLimit, dataset: *datasetDir,
		child: *child, childDir: *childDir, childSync: *childSync, childPrior: *childPrior, only: map[string]bool{},
	}
	if c.workers < 1 {
		return nil, errors.New("-workers must be at least 1")
	}
	c.procs, c.cpus = *procs, daemon.DefaultProcs()
	if _, err := c.resolveProcs(true); err != nil {
		return nil, err
	}
	for _, p := range strings.Split(*profiles, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		pr, ok := knownProfiles[p]
		if !ok {
			return nil, fmt.Errorf("-profiles: unknown profile %q (always, interval)", p)
		}
		c.profiles = append(c.profiles, pr)
	}
	if len(c.profiles) == 0 && c.child == "" {
		return nil, errors.New("-profiles: none given")
	}
	for _, id := range strings.Split(*only, ",") {
		id = strings.ToUpper(strings.TrimSpace(id))
		switch id {
		case "":
		case "P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8", "W1", "W2", "W3", "B1", "R1", "R2", "C", "C7":
			c.only[id] = true
		case "CEILINGS":
			c.only["C"] = true
		default:
			return nil, fmt.Errorf("-only: unknown figure %q (P1…P8, W1…W3, B1, R1, R2, C, C7)", id)
		}
	}
	c.window = *window
	if c.window <= 0 {
		c.window = time.Duration(float64(5*time.Second) * scale)
		c.window = min(max(c.window, 500*time.Millisecond), 10*time.Second)
	}
	c.warmup = min(max(c.window/5, 200*time.Millisecond), 2*time.Second)
	c.events = *events
	if c.events <= 0 {
		c.events = max(2000, int(200_000*scale))
	}
	c.initiatives = *initiatives
	if c.initiatives <= 0 {
		c.initiatives = max(20, int(10_000*min(scale, 1)))
		// Admission alone takes about ten events per initiative; leave
		// room for status reports and milestones.
		c.initiatives = min(c.initiatives, max(1, c.events/15))
	}
	c.samples = *samples
	if c.samples <= 0 {
		c.samples = min(max(int(100*scale), 20), 300)
	}
	c.childLimit = 15 * time.Minute
	return c, nil
}

// bench is one run.
type bench struct {
	cfg     *config
	out     io.Writer
	root    string
	log     *slog.Logger
	results []result
	data    *dataset
}

// result is one printed figure.
type result struct {
	id, profile, what, value, ceiling, ratio, goal, verdict, note string
}

func run(ctx context.Context, cfg *config, out io.Writer) error {
	root, err := os.MkdirTemp(cfg.dir, "portfolio-bench-")
	if err != nil {
		return err
	}
	if cfg.keep {
		fmt.Fprintf(os.Stderr, "bench: keeping %s\n", root)
	} else {
		defer os.RemoveAll(root)
	}
	b := &bench{cfg: cfg, out: out, root: root, log: discardLogger()}

	names := make([]string, len(cfg.profiles))
	for i, p := range cfg.profiles {
		names[i] = p.name
	}
	start := time.Now()
	fmt.Fprintf(out, "# portfolio bench %s, %s %s/%s, nproc=%d, -procs=%s, %s\n", start.Format(time.RFC3339), runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cfg.procs, machine())
	fmt.Fprintf(out, "# scale=%g window=%s warmup=%s workers=%d profiles=%s events=%d initiatives=%d p5samples=%d\n",
		cfg.scale, cfg.window, cfg.warmup, cfg.workers, strings.Join(names, ","), cfg.events, cfg.initiatives, cfg.samples)

	needData := cfg.sel("C") || cfg.sel("P3") || cfg.sel("P6") || cfg.sel("P7") || cfg.sel("P8") || cfg.sel("W1") || cfg.sel("W2") || cfg.sel("B1")
	if needData {
		if cfg.dataset != "" {
			if b.data, err = b.reuse(ctx, cfg.dataset); err != nil {
				return err
			}
			fmt.Fprintf(out, "# stream: %d events (%d initiatives, %.0f B/event stored on average) reused from %s, last written %s ago\n",
				b.data.events, b.data.initiatives, b.data.avgBytes, b.data.dir, b.data.age.Round(time.Second))
		} else {
			b.progress("generating the P3 stream: %d events, %d initiatives (bulk, relaxed fsync)", cfg.events, cfg.initiatives)
			if b.data, err = b.generate(ctx); err != nil {
				return err
			}
			fmt.Fprintf(out, "# stream: %d events (%d initiatives, %.0f B/event stored on average) generated in %s (%s)\n",
				b.data.events, b.data.initiatives, b.data.avgBytes, b.data.took.Round(time.Millisecond), rate(float64(b.data.events)/b.data.took.Seconds()))
		}
	}
	err = b.runAll(ctx)
	b.summary()
	fmt.Fprintf(out, "# done in %s\n", time.Since(start).Round(time.Second))
	return err
}

func (b *bench) progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

// emit prints one figure line and remembers it for the summary.
func (b *bench) emit(r result) {
	b.results = append(b.results, r)
	var sb strings.Builder
	sb.WriteString(r.id + " " + r.what + ": " + r.value)
	if r.ceiling != "" {
		sb.WriteString(" ceiling=" + r.ceiling)
	}
	if r.ratio != "" {
		sb.WriteString(" ratio=" + r.ratio)
	}
	if r.goal != "" {
		sb.WriteString(" goal" + r.goal)
	}
	if r.verdict != "" {
		sb.WriteString(" " + r.verdict)
	}
	sb.WriteString(" (")
	if r.note != "" {
		sb.WriteString(r.note + ", ")
	}
	sb.WriteString("profile=" + r.profile + ")")
	fmt.Fprintln(b.out, sb.String())
}

// section is one group of figures measured together.
type section struct {
	ids  []string // the figures it yields, for -only and for error lines
	name string
	run  func(ctx context.Context, p profile, c *ceilings) error
}

func describe(p profile) string {
	if p.syncAlways {
		return "SyncAlways=true: fsync before every acknowledgement"
	}
	return "SyncAlways=false: the server's background fsync interval (default 2m)"
}

// runAll measures the ceilings of every profile first, then the product
// figures. A section that fails is reported (ERROR line) and the run goes
// on; run returns an error at the end.
func (b *bench) runAll(ctx context.Context) error {
	cfg := b.cfg
	ceil := map[string]*ceilings{}
	ceilingSections := []section{
		{[]string{"C1", "C2", "C7"}, "ceilings C1/C2/C7 (raw JetStream append, atomic batches)", func(ctx context.Context, p profile, c *ceilings) error {
			return b.appendCeilings(ctx, p, c)
		}},
		{[]string{"C3", "C4", "C5", "C6"}, "ceilings C3–C6 (ordered read, bbolt, projection)", func(ctx context.Context, p profile, c *ceilings) error {
			return b.readCeilings(ctx, p, c)
		}},
		{[]string{"C10"}, "ceiling C10 (raw delivery: publish acknowledged → ordered consumer received)", func(ctx context.Context, p profile, c *ceilings) error {
			return b.deliveryCeiling(ctx, p, c)
		}},
	}
	productSections := []section{
		{[]string{"P1", "P5"}, "P1/P5 (command service)", func(ctx context.Context, p profile, c *ceilings) error {
			return b.serviceFigures(ctx, p, *c)
		}},
		{[]string{"P2", "P4"}, "P2/P4 (daemon)", func(ctx context.Context, p profile, c *ceilings) error {
			return b.daemonFigures(ctx, p, *c)
		}},
		{[]string{"P3", "P7"}, "P3/P7 (rebuild in a child process)", func(ctx context.Context, p profile, c *ceilings) error {
			return b.rebuildFigures(ctx, p, *c)
		}},
		{[]string{"P6", "P8"}, "P6/P8 (roadmap query, restart)", func(ctx context.Context, p profile, c *ceilings) error {
			return b.restartFigures(ctx, p)
		}},
		{[]string{"W1", "W2", "W3"}, "W1–W3 (web pages)", func(ctx context.Context, p profile, c *ceilings) error {
			return b.webFigures(ctx, p)
		}},
		{[]string{"R1"}, "R1 (portfolio report)", func(ctx context.Context, p profile, c *ceilings) error {
			return b.reportFigure(ctx, p)
		}},
		{[]string{"R2"}, "R2 (dependency policy lag)", func(ctx context.Context, p profile, c *ceilings) error {
			return b.policyFigure(ctx, p, *c)
		}},
		{[]string{"B1"}, "B1 (backup and restore)", func(ctx context.Context, p profile, c *ceilings) error {
			return b.backupFigures(ctx, p)
		}},
	}
	// The ceilings a selected ratio needs.
	needs := map[string][]string{"C1": {"C", "C7", "P1", "P2"}, "C3": {"C", "P3"}, "C10": {"C", "P4", "R2"}}
	var failed []string
	runSection := func(s section, p profile, selected bool) {
		if !selected || ctx.Err() != nil {
			return
		}
		b.progress("%s: %s", p.name, s.name)
		if err := s.run(ctx, p, ceil[p.name]); err != nil {
			failed = append(failed, fmt.Sprintf("%s %s", p.name, s.name))
			for _, id := range s.ids {
				if cfg.sel(id) || id[0] == 'C' {
					b.emit(result{id: id, profile: p.name, what: "ERROR", value: err.Error(), verdict: "ERROR"})
				}
			}
		}
	}
	for _, p := range cfg.profiles {
		ceil[p.name] = &ceilings{}
		fmt.Fprintf(b.out, "## ceilings, profile %s (%s)\n", p.name, describe(p))
		b.setProcs(p)
		for _, s := range ceilingSections {
			sel := false
			for _, id := range needs[s.ids[0]] {
				sel = sel || cfg.sel(id)
			}
			runSection(s, p, sel)
		}
	}
	for _, p := range cfg.profiles {
		fmt.Fprintf(b.out, "## product figures, profile %s (%s)\n", p.name, describe(p))
		b.setProcs(p)
		for _, s := range productSections {
			sel := false
			for _, id := range s.ids {
				sel = sel || cfg.sel(id)
			}
			runSection(s, p, sel)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(failed) > 0 {
		return fmt.Errorf("failed: %s", strings.Join(failed, "; "))
	}
	return nil
}

// summary prints the figures as a Markdown table, by id then profile.
func (b *bench) summary() {
	rs := slices.Clone(b.results)
	slices.SortStableFunc(rs, func(x, y result) int {
		// C1…C6 before P1…P8, profiles in run order.
		return strings.Compare(x.id, y.id)
	})
	fmt.Fprintln(b.out, "\n| id | profile | what | figure | ceiling | ratio | goal | verdict | notes |")
	fmt.Fprintln(b.out, "|---|---|---|---|---|---|---|---|---|")
	for _, r := range rs {
		fmt.Fprintf(b.out, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			r.id, r.profile, r.what, r.value, r.ceiling, r.ratio, r.goal, r.verdict, r.note)
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// startCPUProfile starts a CPU profile into path ("" : none) and returns
// the function that stops it. A profile that cannot be started is
// reported and skipped.
func startCPUProfile(path string) func() {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
		if err != nil {
			f.Close()
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench: cpu profile:", err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "bench: cpu profile:", err)
		}
	}
}

// profileFigure starts the CPU profile of one figure's measuring window
// when -cpuprofile is set.
func (b *bench) profileFigure(figure string, p profile) func() {
	if b.cfg.cpuprofile == "" {
		return func() {}
	}
	return startCPUProfile(fmt.Sprintf("%s.%s-%s.prof", b.cfg.cpuprofile, figure, p.name))
}
