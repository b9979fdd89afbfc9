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


def run(argv, path, direction, interval=0.01):
    """Runs argv to completion, reading the stat file at path about every
    interval seconds. Returns (stdout, samples), samples being (monotonic
    seconds, bytes moved in direction) pairs from before the start to after
    the end (none when path is None); a sample's time is the midpoint of
    the clock readings taken just before and just after its read.
    Raises subprocess.CalledProcessError (with stderr) when argv fails, as
    subprocess.run(check=True) would; on any exception (SIGTERM turned into
    SystemExit, a failed read) the command is killed and waited for before
    it propagates, so it does not keep running on a device being torn
    down. Output goes through temporary files, not pipes, so a large JSON
    document cannot stall the tool while the loop is sleeping."""
    samples = []
    def sample():
        if path:
            t0 = time.monotonic()
            n = read_bytes(path, direction)
            samples.append(((t0 + time.monotonic()) / 2, n))
    sample()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.Popen(argv, stdout=out, stderr=err)
        try:
            while p.poll() is None:
                time.sleep(interval)
                sample()
            sample()
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


def central_rate(samples, width):
    """Bytes per second over at least width seconds at the centre of the
    span in which the count moved; None when that span is shorter than
    width (nothing to centre on).

    The span runs from the last sample before the first movement to the
    first sample at or after the last. The window runs from the last sample
    at or before centre - width/2 to the first at or after centre + width/2,
    so it covers width plus at most one poll interval at each end, and the
    rate is counted bytes over measured time.

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
    n = samples[j][1] - samples[i][1]
    return None if n < 0 else n / (samples[j][0] - samples[i][0])
