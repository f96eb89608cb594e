package projections

import "runtime"

// workers is how many goroutines the CPU-bound parts of a build (decoding
// and checking events, encoding documents) share their work among: one
// per CPU the runtime may use, but no more than the CPUs there are.
// portfoliod may run with more Ps than CPUs (--procs), so that goroutines
// coming back from fsync find a free P; CPU-bound workers beyond the CPUs
// would only take turns (a 200k rebuild with four workers on two CPUs
// cost 10 % more CPU per event).
func workers() int {
	return max(1, min(runtime.GOMAXPROCS(0), runtime.NumCPU()))
}
