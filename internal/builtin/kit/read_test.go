package kit

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A step may leave a FIFO where a kit artefact is expected. The kit reads
// files through ledger.HashFile, which opens without blocking and hashes
// regular files only, so the FIFO is never waited on: as a named artefact
// it is "no such file", inside a folder it is left out.
func TestBuildDoesNotWaitOnAFIFO(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "dir", "a.txt"), []byte("a"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"fifo", "dir/fifo"} {
		if err := syscall.Mkfifo(filepath.Join(root, p), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name, path, wantErr string
		wantEntries         []string
	}{
		{"named FIFO", "fifo", "fifo: no such file in the report", nil},
		{"folder holding a FIFO", "dir", "", []string{"dir/a.txt"}},
		{"glob over a FIFO", "dir/*", "", []string{"dir/a.txt"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			type out struct {
				k   *Kit
				err error
			}
			done := make(chan out, 1)
			go func() {
				k, err := Build(root, Spec{Name: "k", Artefacts: []ArtefactSpec{{Key: "x", Path: tc.path}}}, Options{Exclude: func(string) bool { return false }})
				done <- out{k, err}
			}()
			var o out
			select {
			case o = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Build hung on a FIFO")
			}
			if tc.wantErr != "" {
				if o.err == nil || !strings.Contains(o.err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", o.err, tc.wantErr)
				}
				return
			}
			if o.err != nil {
				t.Fatal(o.err)
			}
			var got []string
			for _, e := range o.k.Artefacts[0].Entries {
				got = append(got, e.Path)
			}
			if strings.Join(got, ",") != strings.Join(tc.wantEntries, ",") {
				t.Fatalf("entries %v, want %v", got, tc.wantEntries)
			}
		})
	}
}
