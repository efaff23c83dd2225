package ledger

import (
	"context"
	"crypto/sha256"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/helios-action/helios-action/internal/regular"
)

// A ledger is read from a bundle a pull request may have built: anything
// but a regular file of sane size is refused at once, never waited on.
func TestReadFileRefusesWhatIsNotALedgerFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	huge := filepath.Join(dir, "huge")
	if err := os.WriteFile(huge, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// Sparse: the size is what counts, the disk holds nothing.
	if err := os.Truncate(huge, MaxFileSize+1); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path, want string
	}{
		{"FIFO", fifo, fifo + " is a FIFO, not a regular file"},
		{"socket", sock, sock + " is a socket, not a regular file"},
		{"device", "/dev/null", "/dev/null is a character device, not a regular file"},
		{"folder", dir, dir + " is a folder, not a regular file"},
		{"over the limit", huge, huge + " is 256.0 MiB, over the 256 MiB limit for a ledger"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() { _, err := ReadFile(tc.path); done <- err }()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("err = %v, want it to say %q", err, tc.want)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("ReadFile hung")
			}
		})
	}
}

func TestReadFileStopsWhenCancelled(t *testing.T) {
	p := filepath.Join(t.TempDir(), FileName)
	sum := sha256.Sum256(nil)
	if err := os.WriteFile(p, []byte(strings.Repeat(hexOf(sum)+"  x\n", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ReadFileContext(ctx, p); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestReadFileNamesFileAndLine(t *testing.T) {
	p := filepath.Join(t.TempDir(), FileName)
	sum := sha256.Sum256(nil)
	if err := os.WriteFile(p, []byte(hexOf(sum)+"  ok\nnot a line\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadFile(p)
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Line != 2 || !strings.HasPrefix(err.Error(), p+":2: ") {
		t.Fatalf("err = %v, want a *ParseError for %s:2", err, p)
	}
}

func TestVerifyRefusesNamesOutsideTheBundle(t *testing.T) {
	sum := hexOf(sha256.Sum256(nil))
	for _, tc := range []struct{ name, line, want string }{
		{"parent", sum + "  ../x", `name "../x" is not a path inside the bundle`},
		{"climbs out midway", sum + "  a/../../b", `name "a/../../b" is not a path inside the bundle`},
		{"absolute", sum + "  /etc/passwd", `name "/etc/passwd" is not a path inside the bundle`},
		{"another spelling", sum + "  a//b", `name "a//b" is not a path inside the bundle`},
		{"dot segment", sum + "  a/./b", `name "a/./b" is not a path inside the bundle`},
		{"escaped parent", `\` + sum + `  ../x\ny`, `name "../x\ny" is not a path inside the bundle`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			writeFile(t, root, "a", nil)
			writeFile(t, root, FileName, []byte(sum+"  a\n"+tc.line+"\n"))
			_, err := Verify(context.Background(), root, ScanOptions{})
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Line != 2 || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want line 2 to say %q", err, tc.want)
			}
		})
	}
}

func TestVerifyRefusesAFIFOLedger(t *testing.T) {
	root := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(root, FileName), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Verify(context.Background(), root, ScanOptions{})
	var nr *regular.NotRegularError
	if !errors.As(err, &nr) {
		t.Fatalf("err = %v, want a NotRegularError", err)
	}
}

func hexOf(sum [32]byte) string {
	const digits = "0123456789abcdef"
	b := make([]byte, 0, 64)
	for _, c := range sum {
		b = append(b, digits[c>>4], digits[c&15])
	}
	return string(b)
}
