package main

import "golang.org/x/sys/unix"

// harden makes helios non-dumpable: its /proc/<pid> files (mem, fd,
// environ) then need CAP_SYS_PTRACE even for a process of the same user.
// It is one layer of three: steps run as the workspace owner where helios
// is root (internal/engine/stepuser.go), and the environ file holds no
// secret after envseal.Reexec. A root step without CAP_SYS_PTRACE was seen
// reading it anyway on one kernel, so this layer alone is not relied on.
func harden() { _ = unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0) }
