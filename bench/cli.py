"""cli: how the bench scripts end when something outside them fails.

A command that exits non-zero (fio refusing a job, dd failing to fill a
target, go build), a file operation that fails (a full disk, say) or a
Ctrl-C ends the script with one line on stderr and a non-zero exit code, not
a Python traceback; a --dir that cannot be used is refused before anything
starts (workdir). The script's own cleanups (loop devices, zram,
hugetlbfs) have run by then: they sit in main's finally.
"""
import os, subprocess, sys


def workdir(prog, path):
    """Makes the work directory given by --dir and checks that a file can be
    made in it, or ends the script with one line that says what is wrong
    with it and what to give instead (exit 1). It runs before any device or
    file of the run is made; a directory it created stays when only the
    check fails."""
    try:
        os.makedirs(path, exist_ok=True)
        probe = os.path.join(path, f".{prog}-probe-{os.getpid()}")
        open(probe, "w").close()
        os.unlink(probe)
    except OSError as e:
        sys.exit(f"{prog}: --dir {path}: {e.strerror or e} (give a writable directory on the filesystem under test, "
                 f"e.g. --dir /var/tmp/rb)")


def run(prog, main):
    """Runs main(); a failure outside the script becomes one line naming
    prog and exit 1 (130 for an interrupt)."""
    try:
        main()
    except subprocess.CalledProcessError as e:
        argv = [e.cmd] if isinstance(e.cmd, str) else [str(x) for x in e.cmd]
        err = e.stderr.decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or "")
        last = err.strip().splitlines()[-1] if err.strip() else "no message"
        cmd = " ".join(argv)
        if len(cmd) > 160:
            cmd = cmd[:157] + "..."
        sys.exit(f"{prog}: {cmd}: exit {e.returncode}: {last}")
    except OSError as e:
        sys.exit(f"{prog}: {e}")
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        sys.exit(130)
