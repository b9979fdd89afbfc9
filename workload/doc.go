// Package workload is the benchmark behind rawbench: job specifications and
// their sweep expansion, the runner that drives the engines of package
// engine over pinned buffers, the statistics (HDR latency histograms, CPU
// time, page-cache and /proc/diskstats deltas), the versioned JSON
// document, the human table and an SVG plot.
//
// A Spec holds comma-list dimensions (rw, bs, depth, jobs, engine, cache);
// Spec.Expand turns it into Jobs, every combination, the cache mode varying
// fastest so that the direct and buffered runs of one job are neighbours.
// Bench checks every job against the target before any I/O (safety,
// region, direct I/O alignment), runs them one after the other and returns
// a Document. WriteJSON, WriteTable and WritePlot render that one value;
// nothing is kept in globals. Options holds rawbench's flags (AddFlags)
// and turns them into a Config, reporting bad values as *UsageError.
//
// Guarantees of a Result:
//   - ios counts only I/Os completed inside the measurement window, which
//     opens after Job.Ramp and lasts Job.Runtime (or until Job.IOs I/Os per
//     instance); bytes == ios × bs and bytes_per_sec == iops × bs exactly.
//     When no instance completed an I/O inside Job.Runtime, the window
//     runs on to each instance's first completion, and Document.Fallbacks
//     says so.
//   - Latency is submission to completion as the engine measures it, the
//     same definition for every engine, with percentiles within 0.1%.
//   - The hot loop (one goroutine per --jobs instance; with the sync engine
//     at a depth above 1, one per request in flight, each doing its own
//     pread or pwrite, as fio's psync runs numjobs threads) allocates
//     nothing, takes no lock and crosses no channel per I/O; it reads the
//     clock once per batch of completions. While a job runs, GOMAXPROCS is
//     raised to give each such goroutine its own P, plus one spare, and
//     restored after (only where that changes it).
//   - Every fallback (io_uring unavailable under "auto", registered buffers
//     refused, unlocked buffers, mincore instead of cachestat) is recorded
//     in Document.Fallbacks; nothing falls back silently.
//
// Caveats: /proc/stat and /proc/diskstats are system-wide, so other
// activity on the machine or the device is counted too; the diskstats
// delta can differ from ios by up to depth × jobs I/Os in flight at each
// edge of the window. Buffered jobs drop the target's clean cached pages
// before and after they run (posix_fadvise DONTNEED), which affects other
// users of the same file.
//
// Bench is Linux-only; elsewhere it returns ErrNotSupported. Bench runs
// one job at a time and is not meant to be called concurrently on the
// same target.
package workload
