package regular

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
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
	ok := write("ok", "hello")
	big := write("big", strings.Repeat("x", 200<<10))
	link := filepath.Join(dir, "link")
	if err := os.Symlink(ok, link); err != nil {
		t.Fatal(err)
	}
	fifoLink := filepath.Join(dir, "fifolink")
	if err := os.Symlink(fifo, fifoLink); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path string
		limit      int64
		want       string // content, or the error's text
		err        bool
	}{
		{"regular", ok, 5, "hello", false},
		{"link to a regular file", link, 5, "hello", false},
		{"several chunks", big, 200 << 10, strings.Repeat("x", 200<<10), false},
		{"one byte over", ok, 4, ok + " is 5 bytes, over the 4 bytes limit for a test file", true},
		{"FIFO", fifo, 5, fifo + " is a FIFO, not a regular file", true},
		{"link to a FIFO", fifoLink, 5, fifoLink + " is a FIFO, not a regular file", true},
		{"socket", sock, 5, sock + " is a socket, not a regular file", true},
		{"character device", "/dev/zero", 5, "/dev/zero is a character device, not a regular file", true},
		{"folder", dir, 5, dir + " is a folder, not a regular file", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			type out struct {
				b   []byte
				err error
			}
			done := make(chan out, 1)
			go func() {
				b, err := ReadFile(context.Background(), tc.path, tc.limit, "a test file")
				done <- out{b, err}
			}()
			var o out
			select {
			case o = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("ReadFile hung")
			}
			if tc.err {
				if o.err == nil || o.err.Error() != tc.want {
					t.Fatalf("err = %v, want %q", o.err, tc.want)
				}
				return
			}
			if o.err != nil || string(o.b) != tc.want {
				t.Fatalf("got %d bytes, %v; want %d bytes", len(o.b), o.err, len(tc.want))
			}
		})
	}
}

func TestReadFileInStaysInRoot(t *testing.T) {
	dir := t.TempDir()
	outside := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(outside, []byte("s"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "out")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	if _, err := ReadFileIn(context.Background(), root, "out", 10, "x"); err == nil {
		t.Error("read through a link that leaves the root")
	}
	var nr *NotRegularError
	if _, err := ReadFileIn(context.Background(), root, "fifo", 10, "x"); !errors.As(err, &nr) {
		t.Errorf("err = %v, want a NotRegularError", err)
	}
}

func TestReadFileCancelled(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ReadFile(ctx, p, 10, "x"); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestBytes(t *testing.T) {
	for n, want := range map[int64]string{
		512: "512 bytes", 1536: "1.5 KiB", 4 << 20: "4 MiB", 300 << 20: "300 MiB",
		300<<20 + 1<<19: "300.5 MiB", 256 << 20: "256 MiB", 2 << 30: "2 GiB",
	} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestReadHead: a bounded prefix of a regular file; a link is refused, not
// followed, and neither a FIFO nor a link to one is waited on.
func TestReadHead(t *testing.T) {
	dir := t.TempDir()
	ok := filepath.Join(dir, "ok")
	if err := os.WriteFile(ok, []byte("hello, world"), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	link, fifoLink := filepath.Join(dir, "link"), filepath.Join(dir, "fifolink")
	for target, l := range map[string]string{ok: link, fifo: fifoLink} {
		if err := os.Symlink(target, l); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name, path string
		n          int64
		want       string // content, or the error's text
		err        bool
	}{
		{"prefix", ok, 5, "hello", false},
		{"whole file", ok, 100, "hello, world", false},
		{"FIFO", fifo, 5, fifo + " is a FIFO, not a regular file", true},
		{"link to a regular file", link, 5, link + " is a symbolic link, not a regular file", true},
		{"link to a FIFO", fifoLink, 5, fifoLink + " is a symbolic link, not a regular file", true},
		{"folder", dir, 5, dir + " is a folder, not a regular file", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan struct{})
			var b []byte
			var err error
			go func() { b, err = ReadHead(context.Background(), tc.path, tc.n); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("ReadHead hung")
			}
			if tc.err {
				if err == nil || err.Error() != tc.want {
					t.Fatalf("err = %v, want %q", err, tc.want)
				}
				return
			}
			if err != nil || string(b) != tc.want {
				t.Fatalf("got %q, %v; want %q", b, err, tc.want)
			}
		})
	}
}
