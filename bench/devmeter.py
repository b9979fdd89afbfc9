"""devmeter: what reached the device, counted by the kernel, while a command runs.

A benchmark tool reports what it timed itself. The block layer keeps its own
count per device: /sys/dev/block/MAJ:MIN/stat holds the sectors read and
written, in 512-byte units whatever the device's block size
(Documentation/block/stat.rst). Polling that file while a tool runs gives a
referee that is the same for every tool: the bytes the device moved over the
same stretch of each run.

It matters where a tool's own figure rests on an assumption. fio's
--group_reporting divides the I/O of all its threads by the longest thread's
runtime (stat.c, sum_thread_stats), which is the group's rate only when the
threads ran at the same time. On a small machine that 32 threads saturate,
the later threads start late and end late; the union of their windows is
longer than any one of them, and the group figure comes out too high by
about that ratio (docs/benchmarks.md, "fio's group figure and the device's
count").

The rate is taken over the centre of the span in which the counter moved:
start-up falls outside it, and so do the starts and ends of threads that
begin late, as long as they begin within the margin left at each end. Only the job's direction
is counted, so writeback of unrelated files on the same disk does not add
to a read job's count (it still competes for the disk).

The same samples hold the CPU time the command has used so far, user and
system apart, summed over its processes and their threads from /proc (in
clock ticks, 10 ms here): over the same central window that gives each
tool's CPU time per I/O the device counted. Tools report their own CPU
use (fio's usr_cpu and sys_cpu, rawbench's getrusage); this is one
outside measure, the same for both, fio's main process included.

Run `python3 -m doctest bench/devmeter.py` to check the arithmetic.
"""
import os, stat, subprocess, tempfile, time

SECTOR = 512  # the unit of the stat file's sector fields, for every device


def stat_path(target):
    """The stat file of the block device target, or of the block device
    (disk, partition or device-mapper device) that holds the file target,
    and the device number it is named by. The path is None when there is
    no such file: a file on tmpfs, overlayfs, NFS, btrfs or ZFS sits on an
    anonymous device number with no stat file of its own."""
    st = os.stat(target)
    dev = st.st_rdev if stat.S_ISBLK(st.st_mode) else st.st_dev
    num = f"{os.major(dev)}:{os.minor(dev)}"
    path = f"/sys/dev/block/{num}/stat"
    return (path if os.path.exists(path) else None), num


# Fields of the stat file that count sectors, by direction (fields 3 and 7).
FIELD = {"read": 2, "write": 6}


def read_bytes(path, direction):
    """Bytes moved so far in direction ("read" or "write"), from a stat
    file."""
    return int(open(path).read().split()[FIELD[direction]]) * SECTOR


def parse_stat(text):
    """The user and system CPU time in clock ticks from the text of a
    /proc/PID/stat file: fields 14 + 16 and 15 + 17, a process's own time
    (all its threads) and that of the children it has waited for. The
    command name, field 2, may hold spaces and parentheses; a zombie's
    file still holds its times.

    >>> parse_stat("42 (a (b) c) S 1 42 42 0 -1 4194560 10 0 0 0 125 37 3 4 20 0 3 0 9 0")
    (128, 41)
    """
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[13]), int(fields[12]) + int(fields[14])


# Whether this kernel lists the processes each thread started
# (/proc/PID/task/TID/children, CONFIG_PROC_CHILDREN). Without it a tool's
# forked processes (fio's job process) cannot be found: no CPU times then.
CHILDREN = os.path.exists(f"/proc/self/task/{os.getpid()}/children")

# How often run re-reads which processes the command is made of; the stat
# files of those it knows are read at every sample.
TREE_EVERY = 0.1


def tree(pid):
    """pid and its descendants, now: the processes any of their threads
    started, from /proc/PID/task/TID/children (proc_tid_children(5): a list
    taken while children start or end may miss some). A thread or process
    that ends during the walk is left out."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            tids = os.listdir(f"/proc/{p}/task")
        except FileNotFoundError:
            continue
        found.append(p)
        for t in tids:
            try:
                with open(f"/proc/{p}/task/{t}/children") as f:
                    todo += [int(c) for c in f.read().split()]
            except (FileNotFoundError, ProcessLookupError):
                pass  # the thread ended
    return found


def cpu_ticks(pids):
    """User and system CPU time, in clock ticks, used so far by the
    processes pids (see parse_stat); None when none of them could be read.

    >>> cpu_ticks([os.getpid()]) is not None
    True
    >>> cpu_ticks([]) is None
    True
    """
    total = None
    for p in pids:
        try:
            with open(f"/proc/{p}/stat") as f:
                u, s = parse_stat(f.read())
        except (FileNotFoundError, ProcessLookupError):
            continue  # ended since the walk
        total = (u, s) if total is None else (total[0] + u, total[1] + s)
    return total


def run(argv, path, direction, interval=0.01):
    """Runs argv to completion, reading the stat file at path about every
    interval seconds. Returns (stdout, samples), samples being (monotonic
    seconds, bytes moved in direction, CPU) triples from before the start
    to after the end (none when path is None); a sample's time is the
    midpoint of the clock readings taken just before and just after its
    read of the stat file. CPU is the (user, system) clock ticks the
    command's processes have used so far (cpu_ticks over tree, the tree
    re-read every TREE_EVERY seconds), never less than in the sample
    before (a child waited for between the reads of its parent and its own
    is in neither), carried over from the sample before once the command
    has ended, and None before the first reading or when CHILDREN is
    false.
    Raises subprocess.CalledProcessError (with stderr) when argv fails, as
    subprocess.run(check=True) would; on any exception (SIGTERM turned into
    SystemExit, a failed read) the command is killed and waited for before
    it propagates, so it does not keep running on a device being torn
    down. Output goes through temporary files, not pipes, so a large JSON
    document cannot stall the tool while the loop is sleeping."""
    samples = []
    cpu, pids, walked = None, [], None

    def sample(pid=None):
        nonlocal cpu, pids, walked
        if not path:
            return
        t0 = time.monotonic()
        n = read_bytes(path, direction)
        t = (t0 + time.monotonic()) / 2
        if pid and CHILDREN:
            if walked is None or t - walked >= TREE_EVERY:
                pids, walked = tree(pid), t
            now = cpu_ticks(pids)
            if now:
                cpu = now if cpu is None else (max(cpu[0], now[0]), max(cpu[1], now[1]))
        samples.append((t, n, cpu))

    sample()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.Popen(argv, stdout=out, stderr=err)
        try:
            while p.poll() is None:
                time.sleep(interval)
                sample(p.pid)
            sample()  # reaped: its PID may be another process's now
        except BaseException:
            p.kill()
            p.wait()
            raise
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if p.returncode != 0:
        raise subprocess.CalledProcessError(p.returncode, argv, stdout, stderr)
    return stdout, samples


def central_window(samples, width):
    """The indices (i, j) of the samples that bound at least width seconds
    at the centre of the span in which the count moved; None when that
    span is shorter than width (nothing to centre on) or the count went
    back.

    The span runs from the last sample before the first movement to the
    first sample at or after the last. The window runs from the last sample
    at or before centre - width/2 to the first at or after centre + width/2,
    so it covers width plus at most one poll interval at each end.

    >>> central_window([(0, 0), (1, 0), (2, 100), (3, 300), (4, 500), (5, 600), (6, 600)], 2)
    (2, 4)
    """
    if width <= 0:
        raise ValueError(f"width {width}: want more than 0 seconds")
    moved = [i for i in range(1, len(samples)) if samples[i][1] != samples[i - 1][1]]
    if not moved:
        return None
    t0, t1 = samples[moved[0] - 1][0], samples[moved[-1]][0]
    if t1 - t0 < width:
        return None
    lo, hi = (t0 + t1 - width) / 2, (t0 + t1 + width) / 2
    i = max(k for k in range(len(samples)) if samples[k][0] <= lo)
    j = min(k for k in range(len(samples)) if samples[k][0] >= hi)
    return None if samples[j][1] < samples[i][1] else (i, j)


def central_rate(samples, width):
    """Bytes per second over the central window (central_window): counted
    bytes over measured time; None when there is no window.

    >>> s = [(0, 0), (1, 0), (2, 100), (3, 300), (4, 500), (5, 600), (6, 600)]
    >>> central_rate(s, 2)      # span 1..5, centre 3, window 2..4
    200.0
    >>> central_rate(s, 1)      # window 2.5..3.5 widens to 2..4
    200.0
    >>> central_rate(s, 5) is None
    True
    >>> central_rate([(0, 7), (1, 7)], 1) is None
    True
    >>> central_rate([], 1) is None
    True
    >>> central_rate([(0, 0), (1, 5), (2, 3), (3, 9)], 1) is None  # counter went back
    True
    """
    return rate_over(samples, central_window(samples, width))


def rate_over(samples, w):
    """Bytes per second between the samples w = (i, j) (central_window);
    None when w is None."""
    if w is None:
        return None
    i, j = w
    return (samples[j][1] - samples[i][1]) / (samples[j][0] - samples[i][0])


def cpu_per_byte(samples, width, hz=os.sysconf("SC_CLK_TCK")):
    """Seconds of user and of system CPU time the command used per byte the
    device moved, over the central window (central_window); None when
    there is no window, either end of it has no CPU reading, or nothing
    moved. Clock ticks make these coarse: a run's figure is good to a tick
    over the window (at 100 ticks a second and 87k I/Os a second over 2 s,
    0.06 µs per I/O), and the kernel charges each tick wholly to user or
    system time, so the split is coarser still; read medians of many runs.

    >>> s = [(0, 0, None), (1, 0, (5, 5)), (2, 100, (10, 20)), (3, 300, (20, 40)), (4, 500, (30, 60)), (5, 600, (35, 70))]
    >>> cpu_per_byte(s, 2, hz=100)   # window 2..4: 400 bytes, 0.2 s user, 0.4 s system
    (0.0005, 0.001)
    >>> cpu_per_byte([(0, 0), (1, 5), (2, 9)], 1) is None   # no CPU readings
    True
    >>> cpu_per_byte([(0, 0, None), (1, 5, None), (2, 9, (1, 1))], 1) is None   # none at the start
    True
    """
    return cpu_over(samples, central_window(samples, width), hz)


def cpu_over(samples, w, hz=os.sysconf("SC_CLK_TCK")):
    """cpu_per_byte between the samples w = (i, j) (central_window); None
    when w is None or either end has no CPU reading."""
    if w is None:
        return None
    i, j = w
    if len(samples[i]) < 3 or samples[i][2] is None or samples[j][2] is None:
        return None
    n = samples[j][1] - samples[i][1]
    if n <= 0:
        return None
    (u0, s0), (u1, s1) = samples[i][2], samples[j][2]
    return ((u1 - u0) / hz / n, (s1 - s0) / hz / n)
