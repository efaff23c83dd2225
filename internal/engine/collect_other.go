//go:build !linux

package engine

import "golang.org/x/sys/unix"

// noOpenat2 is true where there is no openat2: openBeneath walks with
// openat.
var noOpenat2 = true

func openat2Beneath(dirfd int, rel string) (int, error) { return -1, unix.ENOSYS }
