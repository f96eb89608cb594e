package projections

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// dropMapped drops the pages of path mapped into this process (bbolt's
// read-only shared mmap of the file) with madvise(MADV_DONTNEED): they
// stay in the page cache, and reading them again maps them again (a minor
// fault). It reports whether it found the mapping.
//
// bbolt never writes through its mapping (writes go through the file), so
// the mapping holds nothing that is not in the file: dropping it at any
// moment, even while a transaction reads it, loses nothing.
func dropMapped(path string) bool {
	// /proc/self/maps names the file by its absolute path, symlinks
	// resolved.
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return false
	}
	defer f.Close()
	found := false
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		// start-end perms offset dev inode path
		fields := strings.Fields(line)
		if len(fields) < 6 || strings.Join(fields[5:], " ") != path {
			continue
		}
		lo, hi, ok := strings.Cut(fields[0], "-")
		if !ok {
			continue
		}
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil || end <= start {
			continue
		}
		if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, uintptr(start), uintptr(end-start), syscall.MADV_DONTNEED); errno == 0 {
			found = true
		}
	}
	return found
}
