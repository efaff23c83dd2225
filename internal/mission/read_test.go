package mission

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A mission file comes from the pull request: anything but a regular file
// of sane size is refused before it is parsed, and never waited on.
func TestLoadRefusesHostileFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.yml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(dir, "huge.yml")
	// name: + a 300 MB value, sparse so the test writes nothing.
	if err := os.WriteFile(huge, []byte("name: "), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(huge, 300<<20); err != nil {
		t.Fatal(err)
	}
	atLimit := filepath.Join(dir, "limit.yml")
	if err := os.WriteFile(atLimit, []byte("name: x\n"+strings.Repeat("#", MaxFileSize-len("name: x\n"))), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path, want string
	}{
		{"FIFO", fifo, "is a FIFO, not a regular file"},
		{"device", "/dev/zero", "is a character device, not a regular file"},
		{"300 MB", huge, "is 300 MiB, over the 4 MiB limit for a mission file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() { _, err := Load(tc.path, Options{}); done <- err }()
			select {
			case err := <-done:
				var pe *fs.PathError
				if !errors.As(err, &pe) || pe.Path != tc.path || pe.Err.Error() != tc.want {
					t.Fatalf("err = %v, want a PathError for %s saying %q", err, tc.path, tc.want)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Load hung")
			}
		})
	}
	t.Run("at the limit", func(t *testing.T) {
		if _, err := Load(atLimit, Options{}); err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				t.Fatalf("a file of exactly %d bytes was refused: %v", MaxFileSize, err)
			}
		}
	})
}
