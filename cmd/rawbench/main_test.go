package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rawio/rawio/internal/testdev"
	"github.com/rawio/rawio/workload"
)

// TestMain lets a test re-run this binary as rawbench itself (for the
// SIGINT test), selected by an environment variable; with
// RAWBENCH_TEST_NO_URING=1 too, in a process where io_uring_setup fails.
func TestMain(m *testing.M) {
	if os.Getenv("RAWBENCH_TEST_MAIN") == "1" {
		if os.Getenv("RAWBENCH_TEST_NO_URING") == "1" {
			if err := denyURing(); err != nil {
				fmt.Fprintln(os.Stderr, noURingSetupFailed+err.Error())
				os.Exit(3)
			}
		}
		os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(args, strings.NewReader(""), &o, &e)
	return code, o.String(), e.String()
}

func TestHelp(t *testing.T) {
	code, out, _ := runCmd(t, "--help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"usage: rawbench", "--allow-write", "--cache", "130", "exit codes"} {
		if !strings.Contains(out, want) {
			t.Errorf("help lacks %q", want)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{"--frobnicate"}, "unknown flag"},
		{"unknown engine", []string{"--engine", "libaio", "x"}, `unknown engine "libaio"`},
		{"unknown rw", []string{"--rw", "trim", "x"}, `unknown rw "trim"`},
		{"unknown cache", []string{"--cache", "none", "x"}, "unknown cache mode"},
		{"bad bs", []string{"--bs", "4x", "x"}, "--bs"},
		{"zero depth", []string{"--depth", "0", "x"}, "--depth"},
		{"bad runtime", []string{"--runtime", "soon", "x"}, "--runtime"},
		{"bad lock", []string{"--lock", "maybe", "x"}, "lock"},
		{"two targets", []string{"a", "b"}, "one TARGET at most"},
		{"mix", []string{"--mix", "120", "x"}, "--mix"},
		{"negative mix", []string{"--mix", "-1", "x"}, "--mix"},
		{"zero bs", []string{"--bs", "0", "x"}, "--bs 0 out of range"},
		{"zero jobs", []string{"--jobs", "0", "x"}, "--jobs"},
		{"depth beyond the engines", []string{"--depth", "32769", "x"}, "depth 32769 out of range 1..32768"},
		{"zero size", []string{"--size", "0", "x"}, "--size"},
		{"negative offset", []string{"--offset", "-4k", "x"}, "--offset"},
		{"negative ios", []string{"--ios", "-1", "x"}, "--ios"},
		{"NaN ramp", []string{"--ramp", "NaN", "x"}, `--ramp "NaN" out of range`},
		{"no runtime", []string{"--runtime", "0", "x"}, "--runtime"},
		{"empty bs entry", []string{"--bs", "4k,,8k", "x"}, `--bs "4k,,8k": empty entry`},
		{"trailing comma in depth", []string{"--depth", "1,8,", "x"}, `--depth "1,8,": empty entry`},
		{"empty rw entry", []string{"--rw", "read,,write", "x"}, `--rw "read,,write": empty entry`},
		{"empty engine entry", []string{"--engine", ",sync", "x"}, `--engine ",sync": empty entry`},
		{"empty cache list", []string{"--cache", "", "x"}, `--cache "": empty entry`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantOneLine(t, exitUsage, tt.want, tt.args...)
		})
	}
}

// wantOneLine runs rawbench with args and checks the exit code, an empty
// stdout, and one line on stderr, prefixed "rawbench: ", containing want.
func wantOneLine(t *testing.T, wantCode int, want string, args ...string) {
	t.Helper()
	code, out, errOut := runCmd(t, args...)
	if code != wantCode {
		t.Errorf("exit %d, want %d", code, wantCode)
	}
	if out != "" {
		t.Errorf("stdout not empty: %q", out)
	}
	if !strings.HasPrefix(errOut, "rawbench: ") || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, want) {
		t.Errorf("stderr %q, want one line with %q", errOut, want)
	}
}

func TestErrors(t *testing.T) {
	file := testdev.RandomFile(t, t.TempDir(), 1<<20)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"missing target", []string{filepath.Join(t.TempDir(), "missing")}, "no such file or directory"},
		{"unaligned bs", []string{"--rw", "read", "--bs", "100", file}, "bs 100 is not a multiple of"},
		{"write to existing file", []string{"--rw", "write", file}, "--allow-write"},
		{"size smaller than bs", []string{"--rw", "randread", "--bs", "64k", "--size", "4k", file}, "smaller than bs 64 KiB"},
		{"offset beyond the end", []string{"--rw", "read", "--offset", "2M", file}, "at or past the end"},
		{"region beyond the end", []string{"--rw", "read", "--offset", "512k", "--size", "1M", file}, "past the end"},
		{"unaligned offset", []string{"--rw", "read", "--offset", "100", file}, "offset 100 is not a multiple of"},
		{"unaligned size", []string{"--rw", "read", "--size", "4100", file}, "size 4100 is not a multiple of"},
		{"default run, unaligned size", []string{"--dir", t.TempDir(), "--size", "1000"}, "size 1000 is not a multiple of"},
		{"default run, size smaller than the suite's bs", []string{"--dir", t.TempDir(), "--size", "64k"}, "smaller than bs 1 MiB"},
		{"character device", []string{"--rw", "read", "/dev/null"}, "is a character device"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantOneLine(t, exitError, tt.want, append([]string{"-q", "--runtime", "100ms", "--ramp", "0"}, tt.args...)...)
		})
	}
}

func TestJSONAndPlot(t *testing.T) {
	dir := testdev.MemDir(t)
	file := testdev.RandomFile(t, dir, 4<<20)
	plot := filepath.Join(dir, "p.svg")
	code, out, errOut := runCmd(t, "--json", "--rw", "randread", "--bs", "4k,16k", "--depth", "2",
		"--runtime", "100ms", "--ramp", "0", "--engine", "sync", "--plot", plot, file)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	dec := json.NewDecoder(strings.NewReader(out))
	var doc workload.Document
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, out)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Fatalf("stdout holds more than one document")
	}
	if doc.Version != 1 || len(doc.Results) != 2 || doc.Fallbacks == nil {
		t.Fatalf("document %+v", doc)
	}
	if !strings.Contains(errOut, "randread") || !strings.Contains(errOut, "IOPS") {
		t.Errorf("no table on stderr: %s", errOut)
	}
	b, err := os.ReadFile(plot)
	if err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		if _, err := d.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("plot is not XML: %v", err)
		}
	}
}

func TestDefaultRunFlags(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := runCmd(t, "--json", "--dir", dir, "--size", "4M", "--runtime", "50ms", "--ramp", "0")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc workload.Document
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Results) != 8 {
		t.Fatalf("%d results, want 8", len(doc.Results))
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("left behind: %v", ents)
	}
}

func TestInterrupt(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "--json", "--dir", dir, "--size", "4M", "--runtime", "20s", "--ramp", "0")
	cmd.Env = append(os.Environ(), "RAWBENCH_TEST_MAIN=1")
	var out bytes.Buffer
	var errOut lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until the first job runs, then interrupt.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(errOut.String(), "[1/8]") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitInterrupted {
		t.Fatalf("wait: %v, want exit %d\n%s", err, exitInterrupted, errOut.String())
	}
	if !strings.Contains(errOut.String(), "rawbench: interrupted") {
		t.Errorf("stderr: %s", errOut.String())
	}
	var doc workload.Document
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("partial document: %v\n%s", err, out.String())
	}
	if len(doc.Results) != 1 || doc.Results[0].IOs == 0 {
		t.Errorf("partial results %+v", doc.Results)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("test file left behind: %v", ents)
	}
}

// lockedBuffer is a bytes.Buffer safe to read while exec's copying
// goroutine writes to it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// runChild runs cmd (the test binary re-executed as rawbench) and returns
// its exit code and output.
func runChild(t *testing.T, cmd *exec.Cmd) (code int, stdout, stderr *bytes.Buffer) {
	t.Helper()
	stdout, stderr = new(bytes.Buffer), new(bytes.Buffer)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return ee.ExitCode(), stdout, stderr
	case err != nil:
		t.Fatal(err)
	}
	return 0, stdout, stderr
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestWithoutIPCLock runs rawbench without CAP_IPC_LOCK under a 1 MiB
// RLIMIT_MEMLOCK, where neither locking 4 MiB of buffers nor registering
// them with io_uring can succeed: auto must fall back visibly, uring and
// --lock require must fail with one line.
func TestWithoutIPCLock(t *testing.T) {
	file := testdev.RandomFile(t, testdev.MemDir(t), 8<<20)
	common := []string{"--rw", "randread", "--bs", "64k", "--depth", "64", "--runtime", "100ms", "--ramp", "0", "--fixed"}
	tests := []struct {
		name     string
		args     []string
		code     int
		stderr   string
		fallback []string
	}{
		{"auto falls back", []string{"--json", "--engine", "auto"}, exitOK, "", []string{"not locked", "registered buffers"}},
		{"uring fails", []string{"-q", "--engine", "uring"}, exitError, "rawbench: ", nil},
		{"lock require fails", []string{"-q", "--engine", "sync", "--lock", "require"}, exitError, "RLIMIT_MEMLOCK", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append(append(append([]string{}, common...), tt.args...), file)
			cmd := testdev.WithoutIPCLock(t, 1<<20, os.Args[0], args...)
			cmd.Env = append(os.Environ(), "RAWBENCH_TEST_MAIN=1")
			code, out, errOut := runChild(t, cmd)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\n%s", code, tt.code, errOut.String())
			}
			if tt.code != exitOK {
				if s := errOut.String(); !strings.Contains(s, tt.stderr) || strings.Count(s, "\n") != 1 {
					t.Errorf("stderr %q, want one line with %q", s, tt.stderr)
				}
				return
			}
			var doc workload.Document
			if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
				t.Fatal(err)
			}
			all := strings.Join(doc.Fallbacks, "\n")
			for _, w := range tt.fallback {
				if !strings.Contains(all, w) {
					t.Errorf("fallbacks %q lack %q", doc.Fallbacks, w)
				}
			}
			if doc.Env.Locked || doc.Results[0].Fixed {
				t.Errorf("locked %v fixed %v", doc.Env.Locked, doc.Results[0].Fixed)
			}
			if !strings.Contains(errOut.String(), "fallback: ") {
				t.Errorf("table does not show the fallbacks:\n%s", errOut.String())
			}
		})
	}
}
