package engine

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/helios-action/helios-action/internal/ledger"
	"github.com/helios-action/helios-action/internal/manifest"
)

// These tests replay, deterministically, what a step of a parallel phase
// can do to a path between collect's checks and its open: beforeOpen runs
// the swap at that moment. Each runs with openat2 and with the openat walk
// helios falls back to under seccomp.

// openModes runs fn once with openat2 and once with the openat walk.
func openModes(t *testing.T, fn func(t *testing.T)) {
	for _, walk := range []bool{false, true} {
		name := "openat2"
		if walk {
			name = "openat walk"
		}
		t.Run(name, func(t *testing.T) {
			old := noOpenat2
			noOpenat2 = walk
			t.Cleanup(func() { noOpenat2 = old })
			fn(t)
		})
	}
}

// swapAt makes beforeOpen run swap once, when collect is about to open rel.
func swapAt(t *testing.T, rel string, swap func()) {
	t.Helper()
	done := false
	beforeOpen = func(r string) {
		if r == rel && !done {
			done = true
			swap()
		}
	}
	t.Cleanup(func() { beforeOpen = nil })
}

// collectRun runs a one-step mission collecting from into "c" in ws, with
// the report root ws/out, and returns that step's record. A collect that
// has not ended after a minute fails the test (a blocked open).
func collectRun(t *testing.T, ctx context.Context, ws, from string) manifest.Step {
	t.Helper()
	reg := NewRegistry()
	m, err := reg.Parse("helios.yml", []byte("version: 1\nreport-root: out\nphases:\n  a:\n    steps:\n      - collect: {from: "+from+", to: c}\n"))
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		res *Result
		err error
	}
	ch := make(chan result, 1)
	go func() {
		res, err := Run(ctx, m, Options{Workspace: ws, Builtins: reg, Environ: os.Environ()})
		ch <- result{res, err}
	}()
	select {
	case got := <-ch:
		if got.err != nil {
			t.Fatal(got.err)
		}
		rep, err := ledger.Verify(context.Background(), filepath.Join(ws, "out"), ledger.ScanOptions{})
		if err != nil || !rep.Clean() {
			t.Errorf("bundle does not verify: %+v %v", rep, err)
		}
		return got.res.Manifest.Phases[0].Steps[0]
	case <-time.After(time.Minute):
		t.Fatal("collect still runs after a minute")
	}
	panic("unreachable")
}

func writeTestFile(t *testing.T, p, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// bundleHolds reports the bundle files under ws/out whose content holds s.
func bundleHolds(t *testing.T, ws, s string) []string {
	t.Helper()
	var got []string
	filepath.WalkDir(filepath.Join(ws, "out"), func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if b, _ := os.ReadFile(p); strings.Contains(string(b), s) {
				got = append(got, p)
			}
		}
		return nil
	})
	return got
}

func wantFailure(t *testing.T, st manifest.Step, want string) {
	t.Helper()
	if st.Status != manifest.Failure || !strings.Contains(st.Error, want) {
		t.Errorf("step %s: %q; want failure with %q", st.Status, st.Error, want)
	}
}

// TestCollectLinkSwappedIn: phase A swaps data/ for a link data -> outside
// (mv -T in a loop) while phase B collects data/shadow. Whenever the swap
// lands after the checks, the open refuses the link; nothing from outside
// reaches the bundle.
func TestCollectLinkSwappedIn(t *testing.T) {
	const secret = "OUTSIDE-SHADOW"
	cases := []struct {
		name, from, at string
		swap           func(t *testing.T, ws, outside string)
	}{
		{"a folder on the path becomes a link", "[data/shadow]", "data/shadow", swapFolder},
		{"a folder becomes a link while a folder is copied", "[data]", "data/shadow", swapFolder},
		{"the file becomes a link", "[data/shadow]", "data/shadow", func(t *testing.T, ws, outside string) {
			must(t, os.Remove(filepath.Join(ws, "data/shadow")))
			must(t, os.Symlink(filepath.Join(outside, "shadow"), filepath.Join(ws, "data/shadow")))
		}},
		{"a folder becomes a link to a folder inside", "[data/sub/shadow]", "data/sub/shadow", func(t *testing.T, ws, outside string) {
			// Even a link that stays inside is refused once the checks
			// are done: they were made for another path.
			must(t, os.Rename(filepath.Join(ws, "data"), filepath.Join(ws, "data.orig")))
			must(t, os.Symlink("elsewhere", filepath.Join(ws, "data")))
			writeTestFile(t, filepath.Join(ws, "elsewhere/sub/shadow"), secret)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			openModes(t, func(t *testing.T) {
				ws, outside := t.TempDir(), t.TempDir()
				writeTestFile(t, filepath.Join(outside, "shadow"), secret)
				writeTestFile(t, filepath.Join(ws, "data/shadow"), "inside")
				writeTestFile(t, filepath.Join(ws, "data/sub/shadow"), "inside")
				swapAt(t, tc.at, func() { tc.swap(t, ws, outside) })
				st := collectRun(t, context.Background(), ws, tc.from)
				wantFailure(t, st, "collect "+tc.at+": it changed while it was collected")
				if got := bundleHolds(t, ws, secret); len(got) > 0 {
					t.Errorf("the bundle holds the file from outside: %v", got)
				}
			})
		})
	}
}

func swapFolder(t *testing.T, ws, outside string) {
	must(t, os.Rename(filepath.Join(ws, "data"), filepath.Join(ws, "data.orig")))
	must(t, os.Symlink(outside, filepath.Join(ws, "data")))
}

// TestCollectLinksInsideStillCopied: links that stay inside the workspace
// when collect resolves them are still copied as the files they lead to.
func TestCollectLinksInsideStillCopied(t *testing.T) {
	openModes(t, func(t *testing.T) {
		ws := t.TempDir()
		writeTestFile(t, filepath.Join(ws, "data/real.txt"), "real\n")
		must(t, os.Symlink("real.txt", filepath.Join(ws, "data/alias.txt")))
		must(t, os.Symlink("data", filepath.Join(ws, "dirlink")))
		st := collectRun(t, context.Background(), ws, "[dirlink, data/alias.txt]")
		if st.Status != manifest.Success {
			t.Fatalf("step %s: %s", st.Status, st.Error)
		}
		for _, p := range []string{"c/dirlink/real.txt", "c/dirlink/alias.txt", "c/alias.txt"} {
			fi, err := os.Lstat(filepath.Join(ws, "out", p))
			if err != nil || !fi.Mode().IsRegular() {
				t.Errorf("%s in the bundle: %v %v", p, fi, err)
				continue
			}
			if b, _ := os.ReadFile(filepath.Join(ws, "out", p)); string(b) != "real\n" {
				t.Errorf("%s holds %q", p, b)
			}
		}
	})
}

// TestCollectFileReplaced: a file replaced by another (rename over it)
// between the checks and the open is refused, not copied.
func TestCollectFileReplaced(t *testing.T) {
	openModes(t, func(t *testing.T) {
		ws := t.TempDir()
		writeTestFile(t, filepath.Join(ws, "data/report.txt"), "checked")
		writeTestFile(t, filepath.Join(ws, "data/other.txt"), "PLANTED")
		swapAt(t, "data/report.txt", func() {
			must(t, os.Rename(filepath.Join(ws, "data/other.txt"), filepath.Join(ws, "data/report.txt")))
		})
		st := collectRun(t, context.Background(), ws, "[data/report.txt]")
		wantFailure(t, st, "collect data/report.txt: it changed while it was collected")
		if got := bundleHolds(t, ws, "PLANTED"); len(got) > 0 {
			t.Errorf("the bundle holds the replacement: %v", got)
		}
	})
}

// TestCollectFIFO: a FIFO never blocks collect. Named by a pattern it is an
// error; swapped in for a file after the checks it is a change; inside a
// collected folder it is skipped, as sockets and devices are.
func TestCollectFIFO(t *testing.T) {
	cases := []struct {
		name, from, want string
		setup            func(t *testing.T, ws string)
	}{
		{"named", "[pipe]", "collect pipe: it is a FIFO, not a regular file or folder", func(t *testing.T, ws string) {
			must(t, unix.Mkfifo(filepath.Join(ws, "pipe"), 0o644))
		}},
		{"swapped in for the file", "[data/log.txt]", "collect data/log.txt: it changed while it was collected", func(t *testing.T, ws string) {
			swapAt(t, "data/log.txt", func() {
				must(t, os.Remove(filepath.Join(ws, "data/log.txt")))
				must(t, unix.Mkfifo(filepath.Join(ws, "data/log.txt"), 0o644))
			})
		}},
		{"inside a folder", "[data]", "", func(t *testing.T, ws string) {
			must(t, unix.Mkfifo(filepath.Join(ws, "data/pipe"), 0o644))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			openModes(t, func(t *testing.T) {
				ws := t.TempDir()
				writeTestFile(t, filepath.Join(ws, "data/log.txt"), "log\n")
				tc.setup(t, ws)
				st := collectRun(t, context.Background(), ws, tc.from)
				if tc.want != "" {
					wantFailure(t, st, tc.want)
					return
				}
				if st.Status != manifest.Success {
					t.Fatalf("step %s: %s", st.Status, st.Error)
				}
				if _, err := os.Lstat(filepath.Join(ws, "out/c/data/log.txt")); err != nil {
					t.Error(err)
				}
				if _, err := os.Lstat(filepath.Join(ws, "out/c/data/pipe")); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("the FIFO reached the bundle: %v", err)
				}
			})
		})
	}
}

// TestCollectCancelStopsCopy: a signal while collect copies a huge (sparse)
// file stops the copy; the run ends cancelled, without the partial copy.
func TestCollectCancelStopsCopy(t *testing.T) {
	ws := t.TempDir()
	big := filepath.Join(ws, "big")
	must(t, os.WriteFile(big, nil, 0o644))
	must(t, os.Truncate(big, 3<<30))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cancelled := make(chan time.Time, 1)
	swapAt(t, "big", func() {
		// Cancel once the copy is under way, as SIGTERM would.
		go func() {
			defer func() { cancelled <- time.Now(); cancel() }()
			for range 2000 {
				if fi, err := os.Stat(filepath.Join(ws, "out/c/big")); err == nil && fi.Size() >= 8<<20 {
					return
				}
				time.Sleep(5 * time.Millisecond)
			}
		}()
	})
	st := collectRun(t, ctx, ws, "[big]")
	ended := time.Now()
	if st.Status != manifest.Cancelled {
		t.Errorf("step %s: %s; want cancelled", st.Status, st.Error)
	}
	// A hang guard, not a speed claim: the copy would run on for GiBs.
	if at := <-cancelled; ended.Sub(at) > 10*time.Second {
		t.Errorf("the run ended %s after the cancel", ended.Sub(at))
	}
	if _, err := os.Lstat(filepath.Join(ws, "out/c/big")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the partial copy stayed in the bundle: %v", err)
	}
}

// TestCollectSizeLimit: one collect step copies at most maxCollectBytes in
// all; the file that would pass it is named and not copied.
func TestCollectSizeLimit(t *testing.T) {
	old := maxCollectBytes
	maxCollectBytes = 1 << 20
	t.Cleanup(func() { maxCollectBytes = old })
	cases := []struct {
		name, from, want string
		absent           string // a bundle path the refused file would have had
	}{
		{"a sparse file over the limit", "[big]", "collect big: it holds 2 MiB, which takes the step past its limit of 1 MiB collected (0 bytes copied before it)", "c/big"},
		{"files that pass it together", "[data]", "collect data/b: it holds 600.0 KiB, which takes the step past its limit of 1 MiB collected (600.0 KiB copied before it)", "c/data/b"},
		{"patterns that pass it together", "[data/a, data/b]", "collect data/b: it holds 600.0 KiB", "c/b"},
		{"under the limit", "[data/a]", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ws := t.TempDir()
			must(t, os.WriteFile(filepath.Join(ws, "big"), nil, 0o644))
			must(t, os.Truncate(filepath.Join(ws, "big"), 2<<20))
			writeTestFile(t, filepath.Join(ws, "data/a"), strings.Repeat("a", 600<<10))
			writeTestFile(t, filepath.Join(ws, "data/b"), strings.Repeat("b", 600<<10))
			st := collectRun(t, context.Background(), ws, tc.from)
			if tc.want == "" {
				if st.Status != manifest.Success {
					t.Fatalf("step %s: %s", st.Status, st.Error)
				}
				return
			}
			wantFailure(t, st, tc.want)
			if _, err := os.Lstat(filepath.Join(ws, "out", tc.absent)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s is in the bundle: %v", tc.absent, err)
			}
		})
	}
}

// TestOpenBeneath: both ways of opening refuse a link in any component and
// anything that climbs out, and open a FIFO without blocking.
func TestOpenBeneath(t *testing.T) {
	ws := t.TempDir()
	writeTestFile(t, filepath.Join(ws, "d/f"), "f")
	must(t, os.Symlink("d", filepath.Join(ws, "dl")))
	must(t, os.Symlink("f", filepath.Join(ws, "d/fl")))
	must(t, unix.Mkfifo(filepath.Join(ws, "d/pipe"), 0o644))
	dirfd, err := unix.Open(ws, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	must(t, err)
	defer unix.Close(dirfd)
	cases := []struct {
		rel   string
		wants []syscall.Errno // any of them; none: it opens
	}{
		{"d/f", nil},
		{"d", nil},
		{"d/pipe", nil},
		{"dl/f", []syscall.Errno{unix.ELOOP, unix.ENOTDIR}},
		{"d/fl", []syscall.Errno{unix.ELOOP}},
		{"dl", []syscall.Errno{unix.ELOOP}},
		{"../x", []syscall.Errno{unix.EXDEV}},
		{"d/../../x", []syscall.Errno{unix.EXDEV}},
		{"d/f/x", []syscall.Errno{unix.ENOTDIR}},
	}
	for _, walk := range []bool{false, true} {
		for _, tc := range cases {
			open := openBeneath
			if walk {
				open = func(dirfd int, rel string) (int, error) { return openatWalk(dirfd, rel, unix.O_RDONLY, sourceFlags) }
			}
			fd, err := open(dirfd, tc.rel)
			if err == nil {
				unix.Close(fd)
			}
			ok := tc.wants == nil && err == nil
			for _, w := range tc.wants {
				ok = ok || errors.Is(err, w)
			}
			if !ok {
				t.Errorf("walk %v, %s: %v, want one of %v", walk, tc.rel, err, tc.wants)
			}
		}
	}
}
