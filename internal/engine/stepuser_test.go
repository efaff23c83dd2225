package engine

import (
	"net"
	"os"
	"path/filepath"
	"testing"

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
