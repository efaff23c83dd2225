package engine

import (
	"fmt"
	"os"
	"syscall"

	"github.com/helios-action/helios-action/internal/supervise"
)

// githubHome is the home folder the runner mounts into a container action.
var githubHome = "/github/home"

// dockerSockets are where the runner mounts the host's Docker socket; a
// group that can use one of them would hand a step the host.
var dockerSockets = []string{"/var/run/docker.sock", "/run/docker.sock"}

// nogroup is the group steps get when the workspace's own group is one a
// step must not have.
const nogroup = 65534

// stepUser says who `run:` steps run as. When helios is root and someone
// else owns the workspace (a container action on GitHub's runners: the
// runner's user), steps run as that owner with no supplementary groups and
// no capabilities, so they cannot use the Docker socket or read a root
// process's /proc/<pid>/environ. nil means helios's own user: helios is not
// root (there is nothing to drop), or the workspace belongs to root (there is
// no other user to drop to; see docs/security.md, "Step isolation").
func (r *run) stepUser() (*supervise.User, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	fi, err := os.Stat(r.workspace)
	if err != nil {
		return nil, fmt.Errorf("workspace owner: %w", err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || st.Uid == 0 {
		return nil, nil
	}
	gid := st.Gid
	// On GitHub's runners the runner's group is the host's docker group,
	// which the socket mounted into the container grants read and write.
	if gid == 0 || socketGroup(gid) {
		gid = nogroup
	}
	return &supervise.User{Uid: st.Uid, Gid: gid}, nil
}

// socketGroup says whether gid owns one of the Docker sockets.
func socketGroup(gid uint32) bool {
	for _, p := range dockerSockets {
		if fi, err := os.Stat(p); err == nil {
			if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Gid == gid {
				return true
			}
		}
	}
	return false
}

// prepareStepUser hands the freshly created report root and its logs folder
// to the steps' user, so that steps can write their outputs there, and
// /github/home too when it belongs to root. With no one to drop to while
// helios is root, it says that steps are not separated from helios.
func (r *run) prepareStepUser() error {
	u, err := r.stepUser()
	if err != nil {
		return err
	}
	r.user = u
	if u == nil {
		if os.Geteuid() == 0 {
			msg := "helios: the workspace is owned by root, so steps run as root: they are not separated from helios (see docs/security.md, Step isolation)"
			if r.opts.Mode == GitHub {
				msg = "::notice title=helios::" + msg
			}
			fmt.Fprintln(r.opts.Console, msg)
		}
		return nil
	}
	for _, name := range []string{".", "logs"} {
		if err := r.bundle.Chown(name, int(u.Uid), int(u.Gid)); err != nil {
			return fmt.Errorf("hand the report root to the steps' user: %w", err)
		}
	}
	// Only the folder itself, and only from root: another user's home is
	// left as it is.
	if fi, err := os.Lstat(githubHome); err == nil && fi.IsDir() {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Uid == 0 {
			if err := os.Lchown(githubHome, int(u.Uid), int(u.Gid)); err != nil {
				return fmt.Errorf("hand %s to the steps' user: %w", githubHome, err)
			}
		}
	}
	return nil
}

// stepHome is HOME for steps run as another user: the runner's home mount
// when there is one; otherwise the action's own HOME stays.
func (r *run) stepHome() (string, bool) {
	if r.user == nil {
		return "", false
	}
	if fi, err := os.Stat(githubHome); err == nil && fi.IsDir() {
		return githubHome, true
	}
	return "", false
}
