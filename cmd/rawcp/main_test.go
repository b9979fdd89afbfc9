package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rawio/rawio/internal/testdev"
	"golang.org/x/sys/unix"
)

// The test binary doubles as rawcp: with RAWCP_TEST_MAIN=1 it runs main
// instead of the tests, so child-process tests need no separate build.
func TestMain(m *testing.M) {
	if os.Getenv("RAWCP_TEST_MAIN") == "1" {
		if os.Getenv("RAWCP_TEST_NO_THP") == "1" {
			// A process the kernel gives no transparent huge pages
			// (prctl(2) PR_SET_THP_DISABLE), whatever the system setting.
			if err := unix.Prctl(unix.PR_SET_THP_DISABLE, 1, 0, 0, 0); err != nil {
				fmt.Fprintln(os.Stderr, "prctl PR_SET_THP_DISABLE:", err)
				os.Exit(99)
			}
		}
		os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// rawcp returns a command running the test binary as rawcp.
func rawcp(args ...string) *exec.Cmd {
	c := exec.Command(os.Args[0], args...)
	c.Env = append(os.Environ(), "RAWCP_TEST_MAIN=1")
	return c
}

func exitCode(t *testing.T, err error) int {
	t.Helper()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	t.Fatalf("running rawcp: %v", err)
	return -1
}

func randomFile(t *testing.T, n int) (string, []byte) {
	t.Helper()
	b := make([]byte, n)
	rand.Read(b)
	p := filepath.Join(t.TempDir(), "src")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p, b
}

// oneLine checks that s is a single "rawcp: …" line.
func oneLine(t *testing.T, s string) {
	t.Helper()
	if !strings.HasPrefix(s, "rawcp: ") || strings.Count(s, "\n") != 1 || !strings.HasSuffix(s, "\n") {
		t.Errorf("stderr is not one \"rawcp: ...\" line: %q", s)
	}
}

func TestUsage(t *testing.T) {
	src, _ := randomFile(t, 100)
	dst := filepath.Join(t.TempDir(), "dst")
	tests := []struct {
		name string
		args []string
	}{
		{"no arguments", nil},
		{"one argument", []string{src}},
		{"three arguments", []string{src, dst, dst}},
		{"unknown flag", []string{"--bogus", src, dst}},
		{"unparsable size", []string{"--bs", "1X", src, dst}},
		{"negative size", []string{"--count", "-1", src, dst}},
		{"size overflow", []string{"--skip", "99999999999T", src, dst}},
		{"bad depth", []string{"--depth", "x", src, dst}},
		{"zero-size block", []string{"--bs", "0", "--depth", "0", "--engine", "nope", src, dst}},
		{"zero block size", []string{"--bs", "0", src, dst}},
		{"zero depth", []string{"--depth", "0", src, dst}},
		{"fractional depth", []string{"--depth", "1.5", src, dst}},
		{"depth too large", []string{"--depth", "5000", src, dst}},
		{"unknown engine", []string{"--engine", "aio", src, dst}},
		{"unknown lock policy", []string{"--lock", "maybe", src, dst}},
		{"unknown progress", []string{"--progress", "dots", src, dst}},
		{"json to stdout dst", []string{"--json", src, "-"}},
		{"seek on stdout", []string{"--seek", "4K", src, "-"}},
		{"stdin to stdout", []string{"-", "-"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			out := tempOut(t)
			if code := run(tt.args, os.Stdin, out, &stderr); code != exitUsage {
				t.Errorf("exit %d, want %d; stderr %q", code, exitUsage, stderr.String())
			}
			oneLine(t, stderr.String())
			if _, err := os.Stat(dst); err == nil {
				t.Errorf("%s was created", dst)
			}
		})
	}
}

func tempOut(t *testing.T) *os.File {
	f, err := os.Create(filepath.Join(t.TempDir(), "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestHelp(t *testing.T) {
	var stderr bytes.Buffer
	if code := run([]string{"--help"}, os.Stdin, tempOut(t), &stderr); code != exitOK {
		t.Fatalf("--help exit %d", code)
	}
	for _, w := range []string{"Usage: rawcp", "--bs", "--allow-buffered", "--progress", "--json", "Exit status",
		"\n  0 ", "\n  1 ", "\n  2 ", "\n  130 ", "KiB", "KB"} {
		if !strings.Contains(stderr.String(), w) {
			t.Errorf("--help lacks %q", w)
		}
	}
}

// TestRefusalExit runs refusals through the command: exit 1, one line on
// stderr naming the problem and what to do, nothing on stdout, and the
// destination untouched (xfer's TestRefusals covers every refusal).
func TestRefusalExit(t *testing.T) {
	src, _ := randomFile(t, 10000)
	dir := t.TempDir()
	existing := filepath.Join(dir, "existing")
	old := make([]byte, 7000)
	rand.Read(old)
	if err := os.WriteFile(existing, old, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		root bool
		args func(t *testing.T) []string
		dst  string // checked untouched (existing) or not created
		want string // in the message
	}{
		{"alignment", false, func(t *testing.T) []string { return []string{"--skip", "100", src, filepath.Join(dir, "new")} }, "new", "not a multiple of"},
		{"same file", false, func(t *testing.T) []string { return []string{existing, existing} }, "existing", "same file"},
		{"missing source", false, func(t *testing.T) []string {
			return []string{filepath.Join(dir, "nope"), filepath.Join(dir, "new")}
		}, "new", "no such file"},
		{"directory", false, func(t *testing.T) []string { return []string{src, dir} }, "existing", "is a directory"},
		{"newline in a name", false, func(t *testing.T) []string {
			return []string{filepath.Join(dir, "no\nsuch"), filepath.Join(dir, "new")}
		}, "new", `no\nsuch`},
		{"device too small", true, func(t *testing.T) []string {
			dev, _ := testdev.Loop(t, 4096, 512, false)
			return []string{"--json", src, dev}
		}, "existing", "too small"},
		{"with --json", false, func(t *testing.T) []string { return []string{"--json", existing, existing} }, "existing", "same file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.root && os.Geteuid() != 0 {
				t.Skip("skipping: needs root")
			}
			args := tt.args(t)
			var stdout, stderr bytes.Buffer
			c := rawcp(args...)
			c.Stdout, c.Stderr = &stdout, &stderr
			if code := exitCode(t, c.Run()); code != exitError {
				t.Fatalf("exit %d, want 1: %s", code, stderr.String())
			}
			oneLine(t, stderr.String())
			if !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tt.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout %q, want nothing", stdout.String())
			}
			got, err := os.ReadFile(filepath.Join(dir, tt.dst))
			switch {
			case tt.dst == "existing" && !bytes.Equal(got, old):
				t.Errorf("%s changed", existing)
			case tt.dst != "existing" && err == nil:
				t.Errorf("%s was created", tt.dst)
			}
		})
	}
}

// TestProgressBar forces the bar onto a non-terminal: it shows the bytes,
// the total and the percentage, and ends at 100%.
func TestProgressBar(t *testing.T) {
	src, _ := randomFile(t, 1<<20)
	var stderr bytes.Buffer
	if code := run([]string{"--progress=bar", src, filepath.Join(t.TempDir(), "dst")}, os.Stdin, tempOut(t), &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	out := stderr.String()
	for _, w := range []string{"100%", "/1.0 MiB", "rawcp: 1 MiB (1048576 bytes) copied"} {
		if !strings.Contains(out, w) {
			t.Errorf("bar output lacks %q: %q", w, out)
		}
	}
}

// summary is the --json output, decoded loosely so missing keys show.
type summary map[string]any

func runJSON(t *testing.T, stdin io.Reader, args ...string) (summary, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	c := rawcp(append([]string{"--json"}, args...)...)
	c.Stdin, c.Stdout, c.Stderr = stdin, &stdout, &stderr
	if code := exitCode(t, c.Run()); code != exitOK {
		t.Fatalf("rawcp %q: exit %d: %s", args, code, stderr.String())
	}
	var s summary
	if err := json.Unmarshal(stdout.Bytes(), &s); err != nil {
		t.Fatalf("--json output %q: %v", stdout.String(), err)
	}
	return s, stderr.String()
}

// TestHugePageFallback runs rawcp in a process without transparent huge
// pages: the copy still succeeds, and the summary says the ring is in
// base pages, as a fallback unless --no-hugepages asked for that.
func TestHugePageFallback(t *testing.T) {
	src, data := randomFile(t, 16<<20)
	for _, tt := range []struct {
		name     string
		args     []string
		fallback bool
	}{
		{"default", nil, true},
		{"no-hugepages", []string{"--no-hugepages"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dst := filepath.Join(t.TempDir(), "dst")
			var stdout, stderr bytes.Buffer
			c := rawcp(append(append([]string{"--json", "--bs", "4M", "--depth", "4"}, tt.args...), src, dst)...)
			c.Env = append(c.Env, "RAWCP_TEST_NO_THP=1")
			c.Stdout, c.Stderr = &stdout, &stderr
			if code := exitCode(t, c.Run()); code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			var s struct {
				HugePageBytes int64    `json:"huge_page_bytes"`
				Fallbacks     []string `json:"fallbacks"`
			}
			if err := json.Unmarshal(stdout.Bytes(), &s); err != nil {
				t.Fatalf("--json output %q: %v", stdout.String(), err)
			}
			if got, _ := os.ReadFile(dst); !bytes.Equal(got, data) {
				t.Fatal("destination differs from the source")
			}
			if s.HugePageBytes != 0 {
				t.Errorf("huge_page_bytes = %d with THP disabled for the process", s.HugePageBytes)
			}
			fb := false
			for _, f := range s.Fallbacks {
				fb = fb || strings.Contains(f, "requests may be split")
			}
			if fb != tt.fallback {
				t.Errorf("fallbacks %q: huge-page fallback %v, want %v", s.Fallbacks, fb, tt.fallback)
			}
		})
	}
}

func TestJSON(t *testing.T) {
	src, data := randomFile(t, 3<<20+5)
	dst := filepath.Join(t.TempDir(), "dst")
	s, _ := runJSON(t, nil, "--bs", "1M", "--depth", "3", "--engine", "sync", src, dst)
	got, _ := os.ReadFile(dst)
	if !bytes.Equal(got, data) {
		t.Fatal("destination differs from the source")
	}
	for _, k := range []string{"bytes", "seconds", "bytes_per_sec", "engine", "block_size", "depth", "locked", "huge_page_bytes", "fallbacks", "src", "dst", "tail", "synced", "interrupted"} {
		if _, ok := s[k]; !ok {
			t.Errorf("--json lacks %q", k)
		}
	}
	if s["bytes"].(float64) != float64(len(data)) || s["engine"] != "sync" || s["block_size"].(float64) != 1<<20 || s["depth"].(float64) != 3 {
		t.Errorf("summary %v", s)
	}
	if _, ok := s["fallbacks"].([]any); !ok {
		t.Errorf("fallbacks is %T, want an array", s["fallbacks"])
	}
	var added float64
	for _, side := range []string{"src", "dst"} {
		m, ok := s[side].(map[string]any)
		if !ok {
			t.Fatalf("%s is %T", side, s[side])
		}
		for _, k := range []string{"path", "kind", "size", "logical_block_size", "dio_mem_align", "dio_offset_align", "cache_pages_added"} {
			if _, ok := m[k]; !ok {
				t.Errorf("%s lacks %q", side, k)
			}
		}
		if m["kind"] != "file" || m["size"].(float64) != float64(len(data)) {
			t.Errorf("%s = %v", side, m)
		}
		added += m["cache_pages_added"].(float64)
	}
	// The target: at most one logical block of page cache for
	// source and destination together.
	if added > 1 {
		t.Errorf("cache_pages_added src+dst = %v, want <= 1", added)
	}
}

func TestPipes(t *testing.T) {
	src, data := randomFile(t, 1<<20+7)
	t.Run("stdin", func(t *testing.T) {
		dst := filepath.Join(t.TempDir(), "dst")
		s, _ := runJSON(t, bytes.NewReader(data), "-", dst)
		got, _ := os.ReadFile(dst)
		if !bytes.Equal(got, data) {
			t.Fatal("destination differs from stdin")
		}
		if s["src"].(map[string]any)["kind"] != "pipe" {
			t.Errorf("src %v", s["src"])
		}
	})
	t.Run("stdout", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		c := rawcp("--progress=none", src, "-")
		c.Stdout, c.Stderr = &stdout, &stderr
		if code := exitCode(t, c.Run()); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
		if !bytes.Equal(stdout.Bytes(), data) {
			t.Fatal("stdout differs from the source")
		}
		if !strings.Contains(stderr.String(), "copied") {
			t.Errorf("no summary on stderr: %q", stderr.String())
		}
	})
}

func TestProgressJSON(t *testing.T) {
	src, _ := randomFile(t, 1<<20)
	dst := filepath.Join(t.TempDir(), "dst")
	var stderr bytes.Buffer
	c := rawcp("--progress=json", src, dst)
	c.Stderr = &stderr
	if code := exitCode(t, c.Run()); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	sc := bufio.NewScanner(&stderr)
	lines := 0
	var last map[string]float64
	for sc.Scan() {
		if !strings.HasPrefix(sc.Text(), "{") {
			continue // the human summary
		}
		lines++
		var m map[string]float64
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("progress line %q: %v", sc.Text(), err)
		}
		for _, k := range []string{"bytes", "total", "bytes_per_sec", "eta_sec"} {
			if _, ok := m[k]; !ok {
				t.Errorf("progress line %q lacks %q", sc.Text(), k)
			}
		}
		if m["total"] != 1<<20 {
			t.Errorf("total %v", m["total"])
		}
		last = m
	}
	if lines == 0 {
		t.Fatalf("no NDJSON progress line in %q", stderr.String())
	}
	if last["bytes"] != 1<<20 || last["eta_sec"] != 0 {
		t.Errorf("last progress line %v, want all bytes and eta_sec 0", last)
	}
}

// TestLockChild runs rawcp without CAP_IPC_LOCK under an 8 MiB
// RLIMIT_MEMLOCK: 64 MiB of buffers fail with --lock=require, proceed
// unlocked with --lock=try (reported), are not locked with --lock=off, and
// 4 MiB lock fine.
func TestLockChild(t *testing.T) {
	// The source is stdin, a pipe of unknown length, so the ring is not
	// trimmed to the copy's size and really is 64 MiB.
	_, data := randomFile(t, 1<<20+3)
	tests := []struct {
		name     string
		args     []string
		code     int
		locked   bool
		fallback bool
	}{
		{"require 64 MiB", []string{"--lock=require", "--bs", "16M", "--depth", "4"}, exitError, false, false},
		{"try 64 MiB", []string{"--lock=try", "--bs", "16M", "--depth", "4"}, exitOK, false, true},
		{"off", []string{"--lock=off", "--bs", "16M", "--depth", "4"}, exitOK, false, false},
		{"require 4 MiB", []string{"--lock=require", "--bs", "1M", "--depth", "4"}, exitOK, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := filepath.Join(t.TempDir(), "dst")
			args := append(append([]string{"--json"}, tt.args...), "-", dst)
			c := testdev.WithoutIPCLock(t, 8<<20, os.Args[0], args...)
			c.Env = append(os.Environ(), "RAWCP_TEST_MAIN=1")
			var stdout, stderr bytes.Buffer
			c.Stdin, c.Stdout, c.Stderr = bytes.NewReader(data), &stdout, &stderr
			code := exitCode(t, c.Run())
			if code != tt.code {
				t.Fatalf("exit %d, want %d: %s", code, tt.code, stderr.String())
			}
			if code != exitOK {
				oneLine(t, stderr.String())
				for _, w := range []string{"RLIMIT_MEMLOCK", "64 MiB", "8 MiB"} {
					if !strings.Contains(stderr.String(), w) {
						t.Errorf("stderr %q lacks %q", stderr.String(), w)
					}
				}
				if _, err := os.Stat(dst); err == nil {
					t.Errorf("%s was created", dst)
				}
				return
			}
			var s struct {
				Locked    bool     `json:"locked"`
				Fallbacks []string `json:"fallbacks"`
			}
			if err := json.Unmarshal(stdout.Bytes(), &s); err != nil {
				t.Fatalf("%q: %v", stdout.String(), err)
			}
			if s.Locked != tt.locked {
				t.Errorf("locked %v, want %v", s.Locked, tt.locked)
			}
			lockFB := false
			for _, f := range s.Fallbacks {
				lockFB = lockFB || strings.Contains(f, "not locked")
			}
			if lockFB != tt.fallback {
				t.Errorf("fallbacks %q: lock fallback %v, want %v", s.Fallbacks, lockFB, tt.fallback)
			}
			got, _ := os.ReadFile(dst)
			if !bytes.Equal(got, data) {
				t.Error("destination differs from the source")
			}
			t.Logf("fallbacks: %q", s.Fallbacks)
		})
	}
}

// TestSIGINT interrupts a copy from a slowly fed stdin: exit 130, a
// summary with the bytes done, and a destination holding exactly that
// prefix of the input.
func TestSIGINT(t *testing.T) {
	data := make([]byte, 16<<20)
	rand.Read(data)
	dst := filepath.Join(t.TempDir(), "dst")
	c := rawcp("--json", "--bs", "64K", "-", dst)
	in, err := c.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	fed := make(chan struct{})
	go func() {
		defer close(fed)
		for off := 0; off < len(data); off += 8192 {
			if _, err := in.Write(data[off : off+8192]); err != nil {
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	time.Sleep(500 * time.Millisecond)
	if err := c.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err = c.Wait()
	in.Close()
	<-fed
	if code := exitCode(t, err); code != exitInterrupted {
		t.Fatalf("exit %d, want 130: %s", code, stderr.String())
	}
	var s struct {
		Bytes       int64 `json:"bytes"`
		Interrupted bool  `json:"interrupted"`
		Synced      bool  `json:"synced"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &s); err != nil {
		t.Fatalf("%q: %v", stdout.String(), err)
	}
	if s.Bytes <= 0 || !s.Interrupted || !s.Synced {
		t.Fatalf("summary %+v", s)
	}
	got, _ := os.ReadFile(dst)
	if int64(len(got)) != s.Bytes || !bytes.Equal(got, data[:s.Bytes]) {
		t.Fatalf("destination holds %d bytes, summary says %d; prefix equal: %v", len(got), s.Bytes,
			len(got) <= len(data) && bytes.Equal(got, data[:len(got)]))
	}
	t.Logf("interrupted after %d bytes", s.Bytes)
}
