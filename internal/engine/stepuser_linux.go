package engine

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/helios-action/helios-action/internal/supervise"
)

// maxHandOverDepth bounds how deep handOver walks.
const maxHandOverDepth = 64

// handOver gives the steps' user what helios created in the report root
// since the last `run:` step (collected files, built-in steps' outputs), so
// that a later step can add to those folders. Steps of other phases may be
// running meanwhile, as that user, in the same tree: every entry is opened
// relative to its parent without following links, and changed through that
// descriptor, so a link or a swapped folder is skipped, never followed. Only
// root's entries change hands, and a file only if it has no other link.
// logs/ keeps helios's own files.
func (r *run) handOver(u *supervise.User) error {
	// The folder helios opened, even if a step swapped its path for a link:
	// ReadPath is its descriptor's /proc entry.
	fd, err := unix.Open(r.bundle.ReadPath(), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("hand the report root to the steps' user: %w", err)
	}
	return handOverDir(fd, u, 0)
}

// handOverDir hands over the entries of the folder open as dirfd, and closes
// it.
func handOverDir(dirfd int, u *supervise.User, depth int) error {
	dir := os.NewFile(uintptr(dirfd), "report root")
	defer dir.Close()
	names, err := dir.Readdirnames(-1)
	if err != nil {
		return fmt.Errorf("hand the report root to the steps' user: %w", err)
	}
	for _, name := range names {
		if depth == 0 && name == "logs" {
			continue
		}
		sub, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err == nil {
			var st unix.Stat_t
			if err := unix.Fstat(sub, &st); err == nil && st.Uid == 0 {
				if err := unix.Fchown(sub, int(u.Uid), int(u.Gid)); err != nil {
					unix.Close(sub)
					return fmt.Errorf("hand %s to the steps' user: %w", name, err)
				}
			}
			if depth >= maxHandOverDepth {
				unix.Close(sub)
				continue
			}
			if err := handOverDir(sub, u, depth+1); err != nil {
				return err
			}
			continue
		}
		if !errors.Is(err, unix.ENOTDIR) {
			// A link (ELOOP), or gone meanwhile: not ours to change.
			continue
		}
		f, err := unix.Openat(dirfd, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			continue
		}
		var st unix.Stat_t
		if err := unix.Fstat(f, &st); err == nil && st.Mode&unix.S_IFMT == unix.S_IFREG && st.Uid == 0 && st.Nlink == 1 {
			err = unix.Fchownat(f, "", int(u.Uid), int(u.Gid), unix.AT_EMPTY_PATH)
			if err != nil {
				unix.Close(f)
				return fmt.Errorf("hand %s to the steps' user: %w", name, err)
			}
		}
		unix.Close(f)
	}
	return nil
}
