package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/rawio/rawio/internal/testdev"
	"github.com/rawio/rawio/workload"
)

// noURingSetupFailed starts the child's message when denyURing failed.
const noURingSetupFailed = "cannot make io_uring unavailable: "

// denyURing installs a seccomp filter on every thread of this process
// that fails io_uring_setup(2) with EPERM, as a container's default
// profile does. It makes io_uring unavailable to this process and its
// children alone; kernel.io_uring_disabled, which would do the same for
// the whole machine, is left alone. Only the child processes of
// TestURingUnavailable call it.
func denyURing() error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	// Without CAP_SYS_ADMIN, installing a filter needs no_new_privs
	// (seccomp(2)); TSYNC then sets it on the other threads too.
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return os.NewSyscallError("prctl", err)
	}
	filter := []unix.SockFilter{
		// A = seccomp_data.nr (offset 0)
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 0},
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, K: unix.SYS_IO_URING_SETUP, Jt: 0, Jf: 1},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW},
	}
	prog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
	r, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, unix.SECCOMP_FILTER_FLAG_TSYNC, uintptr(unsafe.Pointer(&prog)))
	runtime.KeepAlive(filter)
	if errno != 0 {
		return os.NewSyscallError("seccomp", errno)
	}
	if r != 0 {
		return fmt.Errorf("seccomp: thread %d could not take the filter", r)
	}
	return nil
}

// TestURingUnavailable runs rawbench in a child process where
// io_uring_setup fails: --engine auto must fall back to sync and say so in
// the table and the JSON; --engine uring must fail with one line and exit
// 1, before any job runs.
func TestURingUnavailable(t *testing.T) {
	file := testdev.RandomFile(t, testdev.MemDir(t), 4<<20)
	common := []string{"--rw", "randread", "--depth", "4", "--runtime", "100ms", "--ramp", "0"}
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr []string
	}{
		{"auto falls back", []string{"--json", "--engine", "auto", "--fixed"}, exitOK,
			[]string{"fallback: engine auto ran as sync: io_uring unavailable: "}},
		{"uring fails", []string{"-q", "--engine", "sync,uring"}, exitError,
			[]string{"rawbench: engine uring: io_uring unavailable: ", "operation not permitted"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], append(append(append([]string{}, common...), tt.args...), file)...)
			cmd.Env = append(os.Environ(), "RAWBENCH_TEST_MAIN=1", "RAWBENCH_TEST_NO_URING=1")
			code, out, errOut := runChild(t, cmd)
			if code == 3 && strings.HasPrefix(errOut.String(), noURingSetupFailed) {
				t.Skipf("skipping: %s", errOut.String())
			}
			if code != tt.code {
				t.Fatalf("exit %d, want %d\n%s", code, tt.code, errOut.String())
			}
			for _, w := range tt.stderr {
				if !strings.Contains(errOut.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut.String())
				}
			}
			if tt.code != exitOK {
				if n := strings.Count(errOut.String(), "\n"); n != 1 || out.Len() != 0 {
					t.Errorf("want one line on stderr and nothing on stdout, got %d lines and %q", n, out.String())
				}
				return
			}
			var doc workload.Document
			if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
				t.Fatalf("stdout: %v\n%s", err, out.String())
			}
			if r := doc.Results[0]; r.Engine != "sync" || r.Fixed {
				t.Errorf("ran as %s fixed %v, want sync", r.Engine, r.Fixed)
			}
			if len(doc.Fallbacks) != 1 || !strings.HasPrefix(doc.Fallbacks[0], "engine auto ran as sync: io_uring unavailable: ") {
				t.Errorf("fallbacks %q", doc.Fallbacks)
			}
		})
	}
}
