package chainstep

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/helios-action/helios-action/internal/engine"
)

// A pull request controls the configs the chain steps read: a FIFO must
// not hang the run and a link or folder is not read.
func TestReadJSONRefusesWhatIsNotAFile(t *testing.T) {
	ws := t.TempDir()
	if err := os.WriteFile(filepath.Join(ws, "ok.json"), []byte(`{"symbol":"AGIALPHA"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(ws, "fifo.json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(ws, "dir.json"), 0o755); err != nil {
		t.Fatal(err)
	}
	sc := &engine.StepContext{Workspace: ws}
	for _, tc := range []struct{ rel, wantErr string }{
		{"ok.json", ""},
		{"fifo.json", "is a FIFO, not a regular file"},
		{"dir.json", "not a regular file"},
		{"../ok.json", "config"},
	} {
		var v struct{ Symbol string }
		err := ReadJSON(sc, tc.rel, &v)
		switch {
		case tc.wantErr == "" && (err != nil || v.Symbol != "AGIALPHA"):
			t.Errorf("%s: %+v, %v", tc.rel, v, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s: err %v, want %q", tc.rel, err, tc.wantErr)
		}
	}
}
