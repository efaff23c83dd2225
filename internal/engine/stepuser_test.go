package engine

import (
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/helios-action/helios-action/internal/bundlefs"
	"github.com/helios-action/helios-action/internal/supervise"
)

// The group a step gets must not open the Docker socket: on GitHub's hosted
// runners the workspace's group is the host's docker group.
func TestStepUserGroup(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("steps change user only when helios is root")
	}
	dir := t.TempDir()
	sock := filepath.Join(dir, "docker.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := os.Chown(sock, 0, 4242); err != nil {
		t.Fatal(err)
	}
	old := dockerSockets
	dockerSockets = []string{filepath.Join(dir, "absent.sock"), sock}
	defer func() { dockerSockets = old }()

	cases := []struct {
		name     string
		uid, gid int
		want     *supervise.User
	}{
		{"owner and group", 1001, 1001, &supervise.User{Uid: 1001, Gid: 1001}},
		{"root group", 1001, 0, &supervise.User{Uid: 1001, Gid: nogroup}},
		{"docker socket group", 1001, 4242, &supervise.User{Uid: 1001, Gid: nogroup}},
		{"owned by root", 0, 1001, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ws := filepath.Join(t.TempDir(), "ws")
			if err := os.Mkdir(ws, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Chown(ws, c.uid, c.gid); err != nil {
				t.Fatal(err)
			}
			got, err := (&run{workspace: ws}).stepUser()
			if err != nil {
				t.Fatal(err)
			}
			if (got == nil) != (c.want == nil) || (got != nil && *got != *c.want) {
				t.Errorf("step user %+v, want %+v", got, c.want)
			}
		})
	}
}

// handOver gives the step's user what helios wrote, and nothing a link or a
// second name points at.
func TestHandOverSkipsLinks(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("handing files over needs root")
	}
	ws := t.TempDir()
	root := filepath.Join(ws, "out")
	outside := filepath.Join(t.TempDir(), "secret")
	mustWrite := func(p string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mustWrite(outside)
	mustWrite(filepath.Join(root, "collected", "deep", "file.json"))
	mustWrite(filepath.Join(root, "logs", "a", "step.log"))
	if err := os.Symlink(outside, filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Dir(outside), filepath.Join(root, "dirlink")); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(outside, filepath.Join(root, "hardlink")); err != nil {
		t.Fatal(err)
	}
	b, err := bundlefs.Open(ws, "out")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := (&run{reportRoot: root, bundle: b}).handOver(&supervise.User{Uid: 1001, Gid: 1001}); err != nil {
		t.Fatal(err)
	}
	owner := func(p string) uint32 {
		t.Helper()
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Sys().(*syscall.Stat_t).Uid
	}
	for p, want := range map[string]uint32{
		"collected": 1001, "collected/deep": 1001, "collected/deep/file.json": 1001,
		"logs/a": 0, "logs/a/step.log": 0, "link": 0, "dirlink": 0,
	} {
		if got := owner(filepath.Join(root, p)); got != want {
			t.Errorf("%s owned by %d, want %d", p, got, want)
		}
	}
	if got := owner(outside); got != 0 {
		t.Errorf("the file outside, linked and hard-linked from the report root, was handed to %d", got)
	}
}
