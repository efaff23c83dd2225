package engine

import (
	"strings"

	"golang.org/x/sys/unix"
)

// sourceFlags open a collect source for reading: non-blocking, so a FIFO
// swapped in answers at once instead of waiting for a writer, and never
// as a controlling terminal.
const sourceFlags = unix.O_RDONLY | unix.O_NONBLOCK | unix.O_NOCTTY | unix.O_CLOEXEC

// openBeneath opens rel ('/'-separated, relative to the folder dirfd)
// without following a symbolic link in any component: openat2 with
// RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS where the kernel has it (Linux 5.6)
// and no seccomp filter refuses it, otherwise one openat per component.
// A link on the way fails with ELOOP (or ENOTDIR, EXDEV).
func openBeneath(dirfd int, rel string) (int, error) {
	fd, err := openat2Beneath(dirfd, rel)
	if err != unix.ENOSYS && err != unix.EPERM {
		return fd, err
	}
	return openatWalk(dirfd, rel, unix.O_RDONLY, sourceFlags)
}

// openatWalk is openBeneath with openat alone: each folder on the way is
// opened with mid|O_NOFOLLOW|O_DIRECTORY relative to the one before, and
// the last component with last|O_NOFOLLOW, so no link is followed
// anywhere.
func openatWalk(dirfd int, rel string, mid, last int) (int, error) {
	comps := strings.Split(rel, "/")
	for _, c := range comps {
		if c == "" || c == ".." || (c == "." && len(comps) > 1) {
			// rel comes from filepath.Rel of a path inside the workspace,
			// so it is clean; anything else must not climb out.
			return -1, unix.EXDEV
		}
	}
	cur := dirfd
	defer func() {
		if cur != dirfd {
			unix.Close(cur)
		}
	}()
	for _, c := range comps[:len(comps)-1] {
		fd, err := unix.Openat(cur, c, mid|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return -1, err
		}
		if cur != dirfd {
			unix.Close(cur)
		}
		cur = fd
	}
	return unix.Openat(cur, comps[len(comps)-1], last|unix.O_NOFOLLOW, 0)
}
