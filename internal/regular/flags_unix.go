//go:build unix

package regular

import "syscall"

// O_NONBLOCK makes opening a FIFO return at once instead of waiting for a
// writer; on a regular file it changes nothing. O_NOCTTY keeps a terminal
// device from becoming the process's controlling terminal.
const openFlags = syscall.O_NONBLOCK | syscall.O_NOCTTY

// noFollow makes opening a link fail (ELOOP) instead of following it.
const noFollow = syscall.O_NOFOLLOW
