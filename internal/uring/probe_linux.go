package uring

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// The sysctls io_uring_allowed() consults (io_uring/io_uring.c,
// Documentation/admin-guide/sysctl/kernel.rst). Variables so tests can
// point them at files of their own.
var (
	disabledPath = "/proc/sys/kernel/io_uring_disabled"
	groupPath    = "/proc/sys/kernel/io_uring_group"

	hasSysAdmin = capSysAdmin
	inGroup     = memberOf
)

// Probe reports whether this process can use io_uring for the reads and
// writes package engine issues, and if not, why. It honours
// /proc/sys/kernel/io_uring_disabled the way the kernel does (0: allowed;
// 1: only for CAP_SYS_ADMIN or members of the group in
// kernel.io_uring_group; 2: disabled), then sets up a real ring and asks
// the kernel (IORING_REGISTER_PROBE) for the opcodes.
//
// The error reads as a reason ("io_uring_disabled=2: io_uring is disabled
// for all processes"); it matches ErrDisabled for the sysctl, and wraps the
// errno when a syscall refused.
func Probe() error {
	disabled, err := readSysctl(disabledPath)
	switch {
	case errors.Is(err, os.ErrNotExist):
		disabled = 0 // kernels before 6.6 have no such sysctl
	case err != nil:
		return &probeError{reason: err.Error(), err: err}
	}
	switch disabled {
	case 0:
	case 1:
		if !hasSysAdmin() {
			gid, err := readSysctl(groupPath)
			if err != nil || gid < 0 || !inGroup(gid) {
				g := "kernel.io_uring_group is unset"
				if err == nil && gid >= 0 {
					g = "it is not in group " + strconv.Itoa(gid) + " (kernel.io_uring_group)"
				}
				return &probeError{
					reason: "io_uring_disabled=1: io_uring is limited to CAP_SYS_ADMIN and the group in kernel.io_uring_group; this process lacks CAP_SYS_ADMIN and " + g,
					err:    ErrDisabled,
				}
			}
		}
	default:
		return &probeError{
			reason: "io_uring_disabled=" + strconv.Itoa(disabled) + ": io_uring is disabled for all processes",
			err:    ErrDisabled,
		}
	}

	r, err := New(Config{Entries: 1})
	if err != nil {
		reason := err.Error()
		switch {
		case errors.Is(err, unix.ENOSYS):
			reason += " (the kernel was built without CONFIG_IO_URING)"
		case errors.Is(err, unix.EPERM):
			reason += " (a seccomp filter, such as a container's default profile, a security module, or kernel.io_uring_disabled forbids it)"
		}
		return &probeError{reason: reason, err: err}
	}
	defer r.Close()
	ok, err := r.Supports(OpNop, OpRead, OpWrite, OpReadFixed, OpWriteFixed)
	if err != nil {
		return &probeError{reason: err.Error() + " (kernel older than 5.6 lacks IORING_OP_READ and IORING_OP_WRITE)", err: err}
	}
	if !ok {
		return &probeError{reason: "the kernel's io_uring lacks IORING_OP_READ, WRITE, READ_FIXED or WRITE_FIXED"}
	}
	return nil
}

type probeError struct {
	reason string
	err    error
}

func (e *probeError) Error() string { return e.reason }
func (e *probeError) Unwrap() error { return e.err }

func readSysctl(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	v, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, fmt.Errorf("parsing %s: %w", path, err)
	}
	return v, nil
}

// capSysAdmin reports whether CAP_SYS_ADMIN is in the effective set
// (capget(2)). The kernel checks it in the initial user namespace, which
// this cannot see; the real setup in Probe settles such cases.
func capSysAdmin() bool {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return false
	}
	return data[unix.CAP_SYS_ADMIN/32].Effective&(1<<(unix.CAP_SYS_ADMIN%32)) != 0
}

// memberOf mirrors in_group_p(): the file-system gid (the effective gid
// unless changed with setfsgid) or a supplementary group.
func memberOf(gid int) bool {
	if unix.Getegid() == gid {
		return true
	}
	groups, err := unix.Getgroups()
	if err != nil {
		return false
	}
	for _, g := range groups {
		if g == gid {
			return true
		}
	}
	return false
}
