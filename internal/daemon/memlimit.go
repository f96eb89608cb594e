package daemon

import (
	"errors"
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// DefaultMemoryLimit is the least Go memory limit portfoliod sets when
// neither --memory-limit, GOMEMLIMIT nor a cgroup memory limit says
// otherwise (it takes a quarter of the machine's memory when that is
// more: see ResolveMemoryLimit), and the limit where the machine's memory
// cannot be read. It is above the live heap of a running daemon (≈ 70 MiB with 1M events and
// 10,000 initiatives) and of a 1M-event rebuild with the embedded server
// (≈ 100–130 MiB), so the collector runs more often near it but not
// continuously, and it holds the process's anonymous memory near it
// whatever GOGC is: without a limit a rebuild's heap grows to about twice
// its live size (GOGC=100), or without bound (GOGC=off).
const DefaultMemoryLimit int64 = 192 << 20

// cgroupShare is the part of a cgroup memory limit given to the Go
// runtime: the rest is the bbolt file mapped into the process, the page
// cache the cgroup is also charged for, and what the runtime does not
// count.
const cgroupShare = 0.75

// machineShare is the part of the machine's memory (MemTotal) given to the
// Go runtime when there is no cgroup limit, if more than
// DefaultMemoryLimit: on a 1 GiB VM 256 MiB, which bounds a rebuild's
// anonymous memory near it; on a machine with memory to spare a limit the
// daemon does not reach, because near its limit the collector runs far
// more often (a 1M-event rebuild under 192 MiB took twice the CPU of one
// without a limit; docs/PERFORMANCE.md).
const machineShare = 0.25

// machineMemory is the machine's memory in bytes (MemTotal in
// /proc/meminfo) and whether it could be read; a variable for the tests.
var machineMemory = readMemTotal

// readMemTotal reads MemTotal from /proc/meminfo.
func readMemTotal() (int64, bool) {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, false
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "MemTotal:"); ok {
			f := strings.Fields(v)
			if len(f) == 0 {
				return 0, false
			}
			n, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil || n <= 0 {
				return 0, false
			}
			return n << 10, true // kB
		}
	}
	return 0, false
}

// MemoryLimit is a resolved Go memory limit (runtime/debug.SetMemoryLimit).
type MemoryLimit struct {
	// Bytes is the limit; math.MaxInt64 means none. 0 with Source
	// "GOMEMLIMIT" means the runtime's own setting is left alone.
	Bytes int64
	// Source says where it came from: "--memory-limit", "GOMEMLIMIT",
	// "cgroup", "machine" (a quarter of MemTotal) or "default".
	Source string
}

// String is the limit for logs: "192 MiB (default)".
func (m MemoryLimit) String() string {
	if m.Source == "GOMEMLIMIT" {
		return "GOMEMLIMIT"
	}
	if m.Bytes == math.MaxInt64 {
		return "off (" + m.Source + ")"
	}
	return fmt.Sprintf("%d MiB (%s)", m.Bytes>>20, m.Source)
}

// ResolveMemoryLimit decides the Go memory limit from the --memory-limit
// value (or PORTFOLIO_MEMORY_LIMIT): "auto" or "" derives it — a
// GOMEMLIMIT in the environment is kept as the runtime read it; otherwise
// three quarters of the cgroup's memory limit if there is one, else a
// quarter of the machine's memory but at least DefaultMemoryLimit —; "off" sets none; anything else is a size as
// GOMEMLIMIT writes it ("256MiB", "1GiB", "300000000").
//
// getenv reads the environment (GOMEMLIMIT); cgroupLimit returns the
// cgroup's limit in bytes and whether there is one.
func ResolveMemoryLimit(value string, getenv func(string) string, cgroupLimit func() (int64, bool)) (MemoryLimit, error) {
	switch v := strings.TrimSpace(value); strings.ToLower(v) {
	case "", "auto":
		if g := getenv("GOMEMLIMIT"); g != "" {
			return MemoryLimit{Source: "GOMEMLIMIT"}, nil
		}
		if n, ok := cgroupLimit(); ok {
			return MemoryLimit{Bytes: int64(float64(n) * cgroupShare), Source: "cgroup"}, nil
		}
		if n, ok := machineMemory(); ok && int64(float64(n)*machineShare) > DefaultMemoryLimit {
			return MemoryLimit{Bytes: int64(float64(n) * machineShare), Source: "machine"}, nil
		}
		return MemoryLimit{Bytes: DefaultMemoryLimit, Source: "default"}, nil
	case "off":
		return MemoryLimit{Bytes: math.MaxInt64, Source: "--memory-limit"}, nil
	default:
		n, err := parseSize(v)
		if err != nil {
			return MemoryLimit{}, err
		}
		return MemoryLimit{Bytes: n, Source: "--memory-limit"}, nil
	}
}

// Apply sets the limit in the runtime (nothing for a GOMEMLIMIT the
// runtime read itself).
func (m MemoryLimit) Apply() {
	if m.Source == "GOMEMLIMIT" || m.Bytes <= 0 {
		return
	}
	debug.SetMemoryLimit(m.Bytes)
}

// parseSize parses a size as GOMEMLIMIT does: a number of bytes with an
// optional unit B, KiB, MiB, GiB or TiB.
func parseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		shift  uint
	}{{"TiB", 40}, {"GiB", 30}, {"MiB", 20}, {"KiB", 10}, {"B", 0}}
	num, shift := s, uint(0)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			num, shift = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.shift
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 || n > math.MaxInt64>>shift {
		return 0, fmt.Errorf("memory limit %q: want auto, off or a size such as 256MiB or 1GiB", s)
	}
	return n << shift, nil
}

// CgroupMemoryLimit returns the memory limit of the process's cgroup
// (v2 memory.max, or v1 memory.limit_in_bytes) and whether there is one.
func CgroupMemoryLimit() (int64, bool) {
	for _, p := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		if n, err := readCgroupLimit(p); err == nil {
			return n, n > 0
		}
	}
	return 0, false
}

// unlimitedCgroup: cgroup v1 writes "no limit" as a number near
// MaxInt64 (rounded down to the page size); anything above 1 PiB is no limit.
const unlimitedCgroup = 1 << 50

func readCgroupLimit(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	s := strings.TrimSpace(string(b))
	if s == "max" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	if n >= unlimitedCgroup {
		return 0, nil
	}
	if n <= 0 {
		return 0, errors.New(path + ": not a limit")
	}
	return n, nil
}
