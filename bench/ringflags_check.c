/*
 * ringflags_check.c: checks bench/ringflags.c, run by .ci/run.
 *
 * Sets a ring up through libc's syscall(3) the way fio 3.33 does
 * (COOP_TASKRUN, SINGLE_ISSUER, DEFER_TASKRUN) and reports the flags the
 * ring got (io_uring_setup(2) writes the parameters back). Preloaded with
 * ringflags.so it must get rawbench's flags and leave a line in
 * RINGFLAGS_LOG; without the shim, fio's. Exit 0 when the flags are the
 * ones named by the first argument ("rawbench" or "fio"), 1 when not, 2
 * when the ring cannot be set up (io_uring disabled: nothing to check), 3
 * on a usage error.
 */
#define _GNU_SOURCE
#include <linux/io_uring.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define FIO (IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN)
#define RAWBENCH (IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG)

int main(int argc, char **argv)
{
	struct io_uring_params p;
	unsigned int want;
	long fd;

	if (argc != 2 || (strcmp(argv[1], "rawbench") && strcmp(argv[1], "fio"))) {
		fprintf(stderr, "usage: ringflags_check rawbench|fio\n");
		return 3;
	}
	want = strcmp(argv[1], "fio") ? RAWBENCH : FIO;
	memset(&p, 0, sizeof(p));
	p.flags = FIO;
	fd = syscall(__NR_io_uring_setup, 4, &p);
	if (fd < 0) {
		perror("ringflags_check: io_uring_setup");
		return 2;
	}
	close(fd);
	if (p.flags != want) {
		fprintf(stderr, "ringflags_check: ring set up with flags %#x, want %#x (%s's)\n",
			p.flags, want, argv[1]);
		return 1;
	}
	return 0;
}
