//go:build linux

package owner

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func uidOf(t *testing.T, p string) int {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return int(fi.Sys().(*syscall.Stat_t).Uid)
}

// TestRestore: as root in a workspace owned by the runner's user (1001),
// what the action wrote goes back to 1001; what was there before and what
// others own stays as it was.
func TestRestore(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (as a container action runs)")
	}
	ws := t.TempDir()
	old := filepath.Join(ws, "old.txt")
	os.WriteFile(old, []byte("before"), 0o644)
	// ctime cannot be set back; leave old.txt root-owned by choosing a
	// "since" after it was made.
	time.Sleep(1100 * time.Millisecond)
	if err := os.Chown(ws, 1001, 1001); err != nil {
		t.Fatal(err)
	}
	since := time.Now()
	os.MkdirAll(filepath.Join(ws, "reports/b"), 0o755)
	os.WriteFile(filepath.Join(ws, "reports/b/x.json"), []byte("{}"), 0o644)
	os.Symlink("/etc/passwd", filepath.Join(ws, "reports/link"))
	other := filepath.Join(ws, "reports/other.txt")
	os.WriteFile(other, nil, 0o644)
	os.Chown(other, 2002, 2002)

	n, err := Restore(ws, since)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"reports", "reports/b", "reports/b/x.json", "reports/link"} {
		if got := uidOf(t, filepath.Join(ws, p)); got != 1001 {
			t.Errorf("%s belongs to %d, want 1001", p, got)
		}
	}
	if uidOf(t, "/etc/passwd") != 0 {
		t.Error("the link was followed")
	}
	if got := uidOf(t, other); got != 2002 {
		t.Errorf("a file of another user changed hands: %d", got)
	}
	if got := uidOf(t, old); got != 0 {
		t.Errorf("a file from before the run changed hands: %d", got)
	}
	if n != 4 {
		t.Errorf("changed %d entries, want 4", n)
	}
}

func TestRestoreNotRootOrOwnWorkspace(t *testing.T) {
	ws := t.TempDir() // owned by whoever runs the test
	os.WriteFile(filepath.Join(ws, "f"), nil, 0o644)
	n, err := Restore(ws, time.Now().Add(-time.Minute))
	if err != nil || n != 0 {
		t.Errorf("Restore on a workspace the process owns: %d, %v", n, err)
	}
}
