"""placement: where the kernel runs work for the tools compare-fio times.

compare-fio's --cpus pins both tools with taskset; pin_workqueues confines
the kernel's unbound workqueues (the loop driver's reads run in one) to the
same CPUs, so a loop device's reader does not wait for a worker on another
vCPU, whose wakeup the host schedules (docs/benchmarks.md, "The loop
driver's worker and the other vCPU").
"""

WQ_MASK = "/sys/devices/virtual/workqueue/cpumask"

def cpu_mask(cpus):
    """The hex mask of a CPU list as taskset takes it.

    >>> cpu_mask("1"), cpu_mask("0-1"), cpu_mask("0,2-3"), cpu_mask("35"), cpu_mask("0-6:2")
    ('2', '3', 'd', '800000000', '55')
    """
    bits = 0
    for part in cpus.split(","):
        span, _, stride = part.partition(":")
        lo, _, hi = span.partition("-")
        for c in range(int(lo), int(hi or lo) + 1, int(stride or 1)):
            bits |= 1 << c
    return f"{bits:x}"

def pin_workqueues(cpus, cleanups):
    """Confines the kernel's unbound workqueues to cpus, appending the
    restore to cleanups; returns the mask written. Raises OSError when the
    kernel refuses it (no such file, or no housekeeping CPU in the list)."""
    old = open(WQ_MASK).read().strip()
    mask = cpu_mask(cpus)
    with open(WQ_MASK, "w") as f: f.write(mask)
    def restore():
        with open(WQ_MASK, "w") as f: f.write(old)
    cleanups.append(restore)
    return mask
