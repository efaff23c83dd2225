package manifest

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/helios-action/helios-action/internal/regular"
)

func TestReadRefusesWhatIsNotAManifestFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, FileName)
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(dir, "huge.json")
	if err := os.WriteFile(huge, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(huge, MaxFileSize+1); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path string
		want       any
	}{
		{"FIFO", fifo, new(*regular.NotRegularError)},
		{"over the limit", huge, new(*regular.TooLargeError)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() { _, err := Read(tc.path); done <- err }()
			select {
			case err := <-done:
				if !errors.As(err, tc.want) {
					t.Fatalf("err = %v, want %T", err, tc.want)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Read hung")
			}
		})
	}
}
