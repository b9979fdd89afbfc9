/*
 * ringflags.c: an LD_PRELOAD shim that sets up a program's io_uring rings
 * with rawbench's task-work flags, for bench/compare-fio --fio-ring rawbench.
 *
 * fio 3.33 asks io_uring_setup(2) for IORING_SETUP_COOP_TASKRUN,
 * SINGLE_ISSUER and DEFER_TASKRUN; rawbench's engine asks for
 * COOP_TASKRUN and TASKRUN_FLAG, and not for SINGLE_ISSUER, which would tie
 * the ring to one OS thread (engine/doc.go). Where io_uring hands every
 * request to an io-wq worker (zram), that difference alone moved fio's
 * 4 KiB random reads at depth 32 by 13-18% (docs/benchmarks.md, "fio's ring
 * flags"). With this shim preloaded, each io_uring_setup made through
 * libc's syscall(3) has DEFER_TASKRUN and SINGLE_ISSUER cleared and
 * COOP_TASKRUN and TASKRUN_FLAG set; everything else passes through.
 *
 * A program that enters the kernel some other way (its own system call
 * instruction, as liburing does) is not changed. So that this cannot pass
 * unnoticed, the shim appends "OLD NEW\n" (the flags in hex) to the file
 * named by RINGFLAGS_LOG for each ring it changes; compare-fio checks it
 * after every io_uring run of fio.
 *
 *     cc -O2 -shared -fPIC -o ringflags.so bench/ringflags.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define DROP (IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER)
#define ADD (IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG)

static void note(unsigned int old, unsigned int new)
{
	const char *path = getenv("RINGFLAGS_LOG");
	char line[32];
	int fd, n;

	if (!path)
		return;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	n = snprintf(line, sizeof(line), "%x %x\n", old, new);
	if (write(fd, line, n) != n) {
		/* Nothing to do: compare-fio reports a missing line. */
	}
	close(fd);
}

long syscall(long nr, ...)
{
	static long (*next)(long, ...);
	long a[6];
	va_list ap;
	int i;

	if (!next) {
		next = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
		if (!next) {
			errno = ENOSYS;
			return -1;
		}
	}
	/* syscall(3) takes up to six arguments; reading six is what libc's
	 * own wrapper does whatever the call. */
	va_start(ap, nr);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (nr == __NR_io_uring_setup && a[1]) {
		struct io_uring_params *p = (struct io_uring_params *)a[1];
		unsigned int old = p->flags;

		p->flags = (old & ~DROP) | ADD;
		note(old, p->flags);
	}
	return next(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}
