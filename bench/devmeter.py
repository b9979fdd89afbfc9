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
tool's CPU time per I/O the device counted, the comparison fio does not
make of itself.

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
    """The state, and the user and system CPU time in clock ticks, from the
    text of a /proc/PID/stat file: fields 3, 14 + 16 and 15 + 17, a
    process's own time and that of the children it has waited for (the
    command name, field 2, may hold spaces and parentheses).

    >>> parse_stat("42 (a (b) c) S 1 42 42 0 -1 4194560 10 0 0 0 125 37 3 4 20 0 3 0 9 0")
    ('S', 128, 41)
    """
    fields = text[text.rindex(")") + 2:].split()
    return fields[0], int(fields[11]) + int(fields[13]), int(fields[12]) + int(fields[14])


def cpu_ticks(pid):
    """User and system CPU time, in clock ticks, used so far by pid and its
    descendants, all their threads included (a process's stat file sums its
    threads; /proc/PID/task/TID/children names the processes each thread
    started; a child that has been waited for counts in its parent). None
    when pid has ended; a descendant that ends between two reads is left
    out of that sample, and one that has ended but not been waited for
    (a zombie, whose stat shows no time) until its parent waits for it."""
    user = system = 0
    todo, first = [pid], True
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/stat") as f:
                state, u, s = parse_stat(f.read())
            if state in "ZX":
                raise ProcessLookupError(p)
            kids = []
            for t in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{t}/children") as f:
                    kids += f.read().split()
        except (FileNotFoundError, ProcessLookupError):
            if first:
                return None
            continue
        finally:
            first = False
        user, system = user + u, system + s
        todo += kids
    return user, system


def run(argv, path, direction, interval=0.01):
    """Runs argv to completion, reading the stat file at path about every
    interval seconds. Returns (stdout, samples), samples being (monotonic
    seconds, bytes moved in direction, CPU ticks of user time, of system
    time) from before the start to after the end (none when path is None);
    a sample's time is the midpoint of the clock readings taken just before
    and just after its read of the stat file. The CPU times are the
    command's so far (see cpu_ticks): 0 before it starts, and carried over
    from the last sample once it has ended.
    Raises subprocess.CalledProcessError (with stderr) when argv fails, as
    subprocess.run(check=True) would; on any exception (SIGTERM turned into
    SystemExit, a failed read) the command is killed and waited for before
    it propagates, so it does not keep running on a device being torn
    down. Output goes through temporary files, not pipes, so a large JSON
    document cannot stall the tool while the loop is sleeping."""
    samples = []
    cpu = [(0, 0)]
    def sample(pid=None):
        if path:
            t0 = time.monotonic()
            n = read_bytes(path, direction)
            t = (t0 + time.monotonic()) / 2
            now = cpu_ticks(pid) if pid else None
            if now:
                cpu[0] = now
            samples.append((t, n, *cpu[0]))
    sample()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.Popen(argv, stdout=out, stderr=err)
        try:
            while p.poll() is None:
                time.sleep(interval)
                sample(p.pid)
            sample(p.pid)
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
    w = central_window(samples, width)
    if w is None:
        return None
    i, j = w
    return (samples[j][1] - samples[i][1]) / (samples[j][0] - samples[i][0])


def cpu_per_byte(samples, width, hz=os.sysconf("SC_CLK_TCK")):
    """Seconds of user and of system CPU time the command used per byte the
    device moved, over the central window (central_window); None when
    there is no window, the samples hold no CPU times, or nothing moved.
    Clock ticks make these coarse: over a 2 s window at 100 ticks a
    second, a tool using a tenth of a CPU is counted to about 5%.

    >>> s = [(0, 0, 0, 0), (1, 0, 5, 5), (2, 100, 10, 20), (3, 300, 20, 40), (4, 500, 30, 60), (5, 600, 35, 70)]
    >>> cpu_per_byte(s, 2, hz=100)   # window 2..4: 400 bytes, 0.2 s user, 0.4 s system
    (0.0005, 0.001)
    >>> cpu_per_byte([(0, 0), (1, 5), (2, 9)], 1) is None   # no CPU times
    True
    """
    w = central_window(samples, width)
    if w is None or len(samples[0]) < 4:
        return None
    i, j = w
    n = samples[j][1] - samples[i][1]
    if n <= 0:
        return None
    return ((samples[j][2] - samples[i][2]) / hz / n, (samples[j][3] - samples[i][3]) / hz / n)
