//go:build !linux

package supervise

import (
	"context"
	"errors"
	"os"
)

var errLinuxOnly = errors.New("steps run under a supervisor that needs Linux (run helios in its container)")

// Process is a running supervised step; there is none off Linux.
type Process struct{}

// Start refuses: the supervisor relies on Linux's subreaper and /proc.
func Start(ctx context.Context, o Options) (*Process, error) { return nil, errLinuxOnly }

// Wait is never reached off Linux.
func (p *Process) Wait() (*Result, error) { return nil, errLinuxOnly }

func supervise(cfg config, out *os.File) report {
	return report{Error: errLinuxOnly.Error()}
}
