package main

import "golang.org/x/sys/unix"

// harden keeps mission steps from reading helios's own environment (the
// GitHub token, ACTIONS_RUNTIME_TOKEN, INPUT_*) through /proc/<ppid>/environ:
// steps run as the same user, and a non-dumpable process's /proc files need
// CAP_SYS_PTRACE, which a Docker action's container does not have.
func harden() { _ = unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0) }
