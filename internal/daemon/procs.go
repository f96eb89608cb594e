package daemon

import (
	"fmt"
	"runtime"
	"strconv"
	"strings"
)

// ExtraProcs is how many Ps portfoliod runs with beyond the CPUs it may
// use (--procs auto) when it runs the embedded server with every write
// fsynced. Acknowledging a command then waits for JetStream's writer to
// fsync the event, one message after the other, and the read models'
// writer and the HTTP handlers share the same CPUs. A goroutine coming
// back from a blocking system call such as fsync needs a free P to go on;
// with as many Ps as CPUs, all busy, it waits in the run queue while the
// next fsync waits for it. Two more Ps let it go on at once: on 2 CPUs,
// HTTP commands went from 1,937–2,040/s to 2,223–2,262/s (three runs of
// each, P2 in docs/PERFORMANCE.md), and the raw JetStream ceiling did not
// move; a rebuild's CPU-bound workers stay at one per CPU (projections).
// Without those fsyncs (--sync interval, or an external NATS server doing
// them in its own process) nothing waits that way: under interval, four Ps
// on two CPUs left the commands' rate as it was and cost the raw, CPU-bound
// append rate about 15 %, so auto adds none there.
const ExtraProcs = 2

// Procs is a resolved GOMAXPROCS.
type Procs struct {
	// N is the number of Ps; 0 with Source "GOMAXPROCS" leaves the
	// runtime's own setting alone.
	N int
	// Source says where it came from: "--procs", "GOMAXPROCS" or "auto"
	// (the CPUs plus Extra).
	Source string
	// Extra is, with Source "auto", the Ps added to the CPUs (ExtraProcs
	// or none).
	Extra int
}

// String is the setting for logs: "4 (auto: 2 CPUs + 2)".
func (p Procs) String() string {
	switch p.Source {
	case "GOMAXPROCS":
		return "GOMAXPROCS"
	case "auto":
		cpus, word := p.N-p.Extra, "CPUs"
		if cpus == 1 {
			word = "CPU"
		}
		if p.Extra == 0 {
			return fmt.Sprintf("%d (auto: %d %s)", p.N, cpus, word)
		}
		return fmt.Sprintf("%d (auto: %d %s + %d)", p.N, cpus, word, p.Extra)
	}
	return fmt.Sprintf("%d (%s)", p.N, p.Source)
}

// ResolveProcs decides GOMAXPROCS from the --procs value (or
// PORTFOLIO_PROCS): "auto" or "" keeps a GOMAXPROCS set in the
// environment, else takes cpus (the runtime's default: the CPUs the
// process may use, a cgroup's CPU limit included), plus ExtraProcs when
// fsyncHere (the process runs the embedded server with every write
// fsynced); a positive number sets it.
func ResolveProcs(value string, getenv func(string) string, cpus int, fsyncHere bool) (Procs, error) {
	switch v := strings.TrimSpace(value); strings.ToLower(v) {
	case "", "auto":
		if getenv("GOMAXPROCS") != "" {
			return Procs{Source: "GOMAXPROCS"}, nil
		}
		p := Procs{N: max(cpus, 1), Source: "auto"}
		if fsyncHere {
			p.N, p.Extra = p.N+ExtraProcs, ExtraProcs
		}
		return p, nil
	default:
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1024 {
			return Procs{}, fmt.Errorf("procs %q: want auto or a number from 1 to 1024", value)
		}
		return Procs{N: n, Source: "--procs"}, nil
	}
}

// DefaultProcs is the runtime's GOMAXPROCS, which is its default (the
// CPUs the process may use) until something sets it: call it before
// Procs.Apply, for the cpus argument of ResolveProcs.
func DefaultProcs() int {
	return runtime.GOMAXPROCS(0)
}

// Apply sets GOMAXPROCS (nothing for a GOMAXPROCS the runtime read
// itself).
func (p Procs) Apply() {
	if p.Source == "GOMAXPROCS" || p.N <= 0 {
		return
	}
	runtime.GOMAXPROCS(p.N)
}
