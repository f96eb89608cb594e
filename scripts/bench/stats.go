package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// cpuTime is the process's CPU time so far (user + system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// throughput runs op in workers goroutines until warmup+window has passed
// and returns the completed operations per second in the window (after the
// warmup). The first error stops every worker and is returned.
func throughput(ctx context.Context, workers int, warmup, window time.Duration, op func(ctx context.Context, worker int) error) (float64, uint64, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		count   atomic.Uint64
		stop    atomic.Bool
		errOnce sync.Once
		first   error
		wg      sync.WaitGroup
	)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() && ctx.Err() == nil {
				if err := op(ctx, w); err != nil {
					if ctx.Err() == nil {
						errOnce.Do(func() { first = fmt.Errorf("worker %d: %w", w, err) })
					}
					stop.Store(true)
					cancel()
					return
				}
				count.Add(1)
			}
		}()
	}
	sleep := func(d time.Duration) bool {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(d):
			return true
		}
	}
	ok := sleep(warmup)
	c0, t0 := count.Load(), time.Now()
	if ok {
		sleep(window)
	}
	c1, t1 := count.Load(), time.Now()
	stop.Store(true)
	wg.Wait()
	if first != nil {
		return 0, 0, first
	}
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return 0, 0, err
	}
	n := c1 - c0
	return float64(n) / t1.Sub(t0).Seconds(), n, nil
}

// latencies is a sample of durations.
type latencies []time.Duration

// pct returns the p-th percentile (0..100) by the nearest-rank method.
func (l latencies) pct(p float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	s := slices.Clone(l)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.999999) - 1
	return s[max(0, min(i, len(s)-1))]
}

// ms formats a duration in milliseconds with two decimals.
func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64) + "ms"
}

// rate formats an events or commands per second figure.
func rate(v float64) string {
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64) + "/s"
	default:
		return strconv.FormatFloat(v, 'f', 1, 64) + "/s"
	}
}

// verdict is PASS or MISS.
func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "MISS"
}

// procStatusKiB returns a "VmXXX:" field of /proc/self/status in KiB (0
// when it cannot be read, e.g. not on Linux).
func procStatusKiB(field string) uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			fs := strings.Fields(rest)
			if len(fs) > 0 {
				v, _ := strconv.ParseUint(fs[0], 10, 64)
				return v
			}
		}
	}
	return 0
}

// machine describes the machine for the report header.
func machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := "unknown memory"
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(l, "MemTotal:"); ok {
				fs := strings.Fields(rest)
				if len(fs) > 0 {
					kib, _ := strconv.ParseUint(fs[0], 10, 64)
					mem = fmt.Sprintf("%.1f GiB RAM", float64(kib)/(1<<20))
				}
			}
		}
	}
	load := ""
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		fs := strings.Fields(string(b))
		if len(fs) >= 3 {
			load = ", load average " + strings.Join(fs[:3], " ")
		}
	}
	return fmt.Sprintf("%s, %s%s", cpu, mem, load)
}
