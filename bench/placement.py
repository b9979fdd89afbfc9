"""placement: where the kernel runs work for the tools compare-fio times.

compare-fio's --cpus pins both tools with taskset; pin_workqueues confines
the kernel's unbound workqueues to the same CPUs, so a loop device's reader
does not wait for a worker on another vCPU, whose wakeup the host schedules
(docs/benchmarks.md, "The loop driver's worker and the other vCPU"). The
loop driver queues its reads on a workqueue it allocates with WQ_UNBOUND
(drivers/block/loop.c, loop_add), and /sys/devices/virtual/workqueue/cpumask
bounds where every unbound workqueue's workers run (kernel/workqueue.c,
wq_unbound_cpumask). The setting is system-wide.
"""

WQ_MASK = "/sys/devices/virtual/workqueue/cpumask"


def cpu_mask(cpus):
    """The mask of a CPU list as taskset takes it, in the form the kernel
    reads a cpumask from sysfs: hex words of 32 bits, separated by commas,
    most significant first (lib/bitmap.c, bitmap_parse).

    >>> cpu_mask("1"), cpu_mask("0-1"), cpu_mask("0,2-3"), cpu_mask("0-6:2")
    ('2', '3', 'd', '55')
    >>> cpu_mask("35"), cpu_mask("0,32-33"), cpu_mask("64")
    ('8,00000000', '3,00000001', '1,00000000,00000000')
    """
    bits = 0
    for part in cpus.split(","):
        span, _, stride = part.partition(":")
        lo, _, hi = span.partition("-")
        for c in range(int(lo), int(hi or lo) + 1, int(stride or 1)):
            bits |= 1 << c
    words = []
    while True:
        words.append(bits & 0xFFFFFFFF)
        bits >>= 32
        if not bits:
            break
    words.reverse()
    return ",".join([f"{words[0]:x}"] + [f"{w:08x}" for w in words[1:]])


def current_mask(path=WQ_MASK):
    """The unbound workqueue cpumask in force, or None when it cannot be
    read (an older kernel, or no sysfs)."""
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def pin_workqueues(cpus, cleanups, path=WQ_MASK):
    """Confines the kernel's unbound workqueues to cpus, after appending the
    restore to cleanups; returns (the mask before, the mask written). Raises
    OSError naming the file and the mask when the kernel refuses it (a CPU
    the kernel does not have, or none of the list online).

    >>> import os, tempfile
    >>> d = tempfile.mkdtemp(); p = os.path.join(d, "cpumask")
    >>> _ = open(p, "w").write("3\\n")
    >>> undo = []
    >>> pin_workqueues("1", undo, p), open(p).read()
    (('3', '2'), '2')
    >>> undo[0](); open(p).read()
    '3'
    """
    old = current_mask(path)
    if old is None:
        raise OSError(f"cannot read {path}: this kernel has no unbound workqueue cpumask; use --workqueues free")
    mask = cpu_mask(cpus)
    cleanups.append(lambda: _write(path, old, f"could not restore {path} to {old}",
                                   f"write it by hand: echo {old} > {path}"))
    _write(path, mask, f"the kernel refused unbound workqueue cpumask {mask} for CPUs {cpus} in {path}",
           "give CPUs it has, or --workqueues free")
    return old, mask


def _write(path, text, what, advice):
    """Writes text to the sysfs file path; a refusal (reported when the file
    closes) becomes one OSError saying what failed, why and what to do."""
    try:
        with open(path, "w") as f:
            f.write(text)
    except OSError as e:
        raise OSError(f"{what} ({e.strerror}): {advice}") from e
