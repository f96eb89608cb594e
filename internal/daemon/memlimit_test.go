package daemon

import (
	"math"
	"os"
	"path/filepath"
	"testing"
)

func TestResolveMemoryLimit(t *testing.T) {
	noCgroup := func() (int64, bool) { return 0, false }
	cgroup1G := func() (int64, bool) { return 1 << 30, true }
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	tests := []struct {
		name    string
		value   string
		env     map[string]string
		cgroup  func() (int64, bool)
		machine int64 // MemTotal; 0: unreadable
		want    MemoryLimit
		wantErr bool
	}{
		{name: "auto without anything", value: "auto", cgroup: noCgroup, want: MemoryLimit{Bytes: DefaultMemoryLimit, Source: "default"}},
		{name: "auto on a 512 MiB machine", value: "auto", cgroup: noCgroup, machine: 512 << 20, want: MemoryLimit{Bytes: DefaultMemoryLimit, Source: "default"}},
		{name: "auto on a 1 GiB machine", value: "auto", cgroup: noCgroup, machine: 1 << 30, want: MemoryLimit{Bytes: 256 << 20, Source: "machine"}},
		{name: "auto on a 24 GiB machine", value: "auto", cgroup: noCgroup, machine: 24 << 30, want: MemoryLimit{Bytes: 6 << 30, Source: "machine"}},
		{name: "the cgroup wins over the machine", value: "auto", cgroup: cgroup1G, machine: 24 << 30, want: MemoryLimit{Bytes: 768 << 20, Source: "cgroup"}},
		{name: "empty is auto", value: "", cgroup: noCgroup, want: MemoryLimit{Bytes: DefaultMemoryLimit, Source: "default"}},
		{name: "auto in a cgroup", value: "auto", cgroup: cgroup1G, want: MemoryLimit{Bytes: 768 << 20, Source: "cgroup"}},
		{name: "GOMEMLIMIT wins over the cgroup", value: "auto", env: map[string]string{"GOMEMLIMIT": "100MiB"}, cgroup: cgroup1G,
			want: MemoryLimit{Source: "GOMEMLIMIT"}},
		{name: "a size wins over GOMEMLIMIT", value: "512MiB", env: map[string]string{"GOMEMLIMIT": "100MiB"}, cgroup: cgroup1G,
			want: MemoryLimit{Bytes: 512 << 20, Source: "--memory-limit"}},
		{name: "bytes", value: "300000000", cgroup: noCgroup, want: MemoryLimit{Bytes: 300000000, Source: "--memory-limit"}},
		{name: "GiB", value: "1GiB", cgroup: noCgroup, want: MemoryLimit{Bytes: 1 << 30, Source: "--memory-limit"}},
		{name: "KiB", value: "64KiB", cgroup: noCgroup, want: MemoryLimit{Bytes: 64 << 10, Source: "--memory-limit"}},
		{name: "off", value: "OFF", cgroup: cgroup1G, want: MemoryLimit{Bytes: math.MaxInt64, Source: "--memory-limit"}},
		{name: "unit without number", value: "MiB", cgroup: noCgroup, wantErr: true},
		{name: "zero", value: "0", cgroup: noCgroup, wantErr: true},
		{name: "negative", value: "-5MiB", cgroup: noCgroup, wantErr: true},
		{name: "unknown unit", value: "5MB", cgroup: noCgroup, wantErr: true},
		{name: "overflow", value: "9000000000TiB", cgroup: noCgroup, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			machineMemory = func() (int64, bool) { return tt.machine, tt.machine > 0 }
			defer func() { machineMemory = readMemTotal }()
			got, err := ResolveMemoryLimit(tt.value, env(tt.env), tt.cgroup)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("got %+v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestReadCgroupLimit(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tt := range []struct {
		content string
		want    int64
	}{
		{"max\n", 0},                 // v2, no limit
		{"9223372036854771712\n", 0}, // v1, no limit
		{"1073741824\n", 1 << 30},    // a limit
	} {
		got, err := readCgroupLimit(write("limit", tt.content))
		if err != nil || got != tt.want {
			t.Errorf("%q: got %d, %v; want %d", tt.content, got, err, tt.want)
		}
	}
	if _, err := readCgroupLimit(write("bad", "lots\n")); err == nil {
		t.Error("a malformed file gave no error")
	}
	if _, err := readCgroupLimit(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing file gave no error")
	}
}

// TestReadMemTotal reads this machine's memory, as the default limit does.
func TestReadMemTotal(t *testing.T) {
	if _, err := os.Stat("/proc/meminfo"); err != nil {
		t.Skip("no /proc/meminfo here")
	}
	n, ok := readMemTotal()
	if !ok || n < 64<<20 {
		t.Fatalf("readMemTotal() = %d, %v; want the machine's memory", n, ok)
	}
}
