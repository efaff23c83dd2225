package engine

import "golang.org/x/sys/unix"

// noOpenat2 makes openBeneath take the openat walk, as it does where
// openat2 is missing or filtered; tests set it to cover that path.
var noOpenat2 bool

func openat2Beneath(dirfd int, rel string) (int, error) {
	if noOpenat2 {
		return -1, unix.ENOSYS
	}
	// EAGAIN: a rename elsewhere raced the lookup; a few tries, since a
	// step could rename in a loop.
	for try := 0; ; try++ {
		fd, err := unix.Openat2(dirfd, rel, &unix.OpenHow{
			Flags:   sourceFlags,
			Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
		})
		if (err != unix.EINTR && err != unix.EAGAIN) || try == 8 {
			return fd, err
		}
	}
}
