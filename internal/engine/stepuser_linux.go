package engine

import (
	"errors"
	"fmt"
	"os"
	"path"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/helios-action/helios-action/internal/merge"
	"github.com/helios-action/helios-action/internal/mission"
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
// logs/ keeps helios's own files, and so does each shard's logs/; in a
// merge, shards/ and jobs/ hold what the shard jobs made, checked against
// their ledgers, which the merge's steps read and must not change.
func (r *run) handOver(u *supervise.User) error {
	// The folder helios opened, even if a step swapped its path for a link:
	// ReadPath is its descriptor's /proc entry.
	fd, err := unix.Open(r.bundle.ReadPath(), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("hand the report root to the steps' user: %w", err)
	}
	merging := r.placed != nil
	keep := func(rel string) bool {
		first, rest, _ := strings.Cut(rel, "/")
		switch {
		case rel == "logs":
			return true
		case merging && (rel == mission.ShardsDir || rel == merge.JobsDir):
			return true
		case first == mission.ShardsDir:
			_, sub, _ := strings.Cut(rest, "/")
			return sub == "logs"
		}
		return false
	}
	return handOverDir(fd, u, "", keep)
}

// handOverDir hands over the entries of the folder open as dirfd, and closes
// it.
// rel is its path in the report root ("" for the root); folders keep
// names are not handed over, nor anything in them.
func handOverDir(dirfd int, u *supervise.User, rel string, keep func(rel string) bool) error {
	depth := strings.Count(rel, "/")
	if rel != "" {
		depth++
	}
	dir := os.NewFile(uintptr(dirfd), "report root")
	defer dir.Close()
	names, err := dir.Readdirnames(-1)
	if err != nil {
		return fmt.Errorf("hand the report root to the steps' user: %w", err)
	}
	for _, name := range names {
		sub := path.Join(rel, name)
		if keep(sub) {
			continue
		}
		fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err == nil {
			var st unix.Stat_t
			if err := unix.Fstat(fd, &st); err == nil && st.Uid == 0 {
				if err := unix.Fchown(fd, int(u.Uid), int(u.Gid)); err != nil {
					unix.Close(fd)
					return fmt.Errorf("hand %s to the steps' user: %w", name, err)
				}
			}
			if depth >= maxHandOverDepth {
				unix.Close(fd)
				continue
			}
			if err := handOverDir(fd, u, sub, keep); err != nil {
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
