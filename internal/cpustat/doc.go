// Package cpustat reads the system-wide CPU time counters from the "cpu"
// line of /proc/stat and turns two samples into shares of the machine's
// CPU time (user, system, iowait, busy), so a benchmark can report how
// much of the whole machine a run kept busy, beside its own getrusage
// figures.
//
// The fields are described in proc(5) under /proc/stat: user, nice,
// system, idle, iowait, irq, softirq, steal, guest, guest_nice, in
// USER_HZ ticks summed over all CPUs. guest and guest_nice are already
// included in user and nice (kernel/sched/cputime.c account_guest_time),
// so they are not added again to the total. The counters are coarse
// (10 ms ticks on most kernels): shares over windows shorter than about a
// second are rough.
//
// The package is Linux-only; elsewhere Read returns ErrNotSupported.
package cpustat
