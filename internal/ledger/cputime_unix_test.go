//go:build unix

package ledger

import (
	"os"
	"syscall"
	"time"
)

// cpuTime is the CPU time this process has used so far. On a machine shared
// with other work, wall time per operation swings with the load; CPU time
// per operation is what the code costs.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// childCPU is the CPU time of a finished child and the descendants it waited for.
func childCPU(ps *os.ProcessState) time.Duration {
	return ps.UserTime() + ps.SystemTime()
}
