//go:build !unix

package ledger

import (
	"os"
	"time"
)

func cpuTime() time.Duration { return 0 }

func childCPU(ps *os.ProcessState) time.Duration { return ps.UserTime() + ps.SystemTime() }
