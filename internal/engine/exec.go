package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/helios-action/helios-action/internal/mission"
)

// execRun runs a `run:` step in its own process group, so that cancelling
// it ends everything it started (npm → node → hardhat …), not only the shell.
func (r *run) execRun(ctx context.Context, s *mission.Step, w io.Writer) (*int, error) {
	dir := r.workspace
	if s.WorkingDirectory != "" {
		dir = filepath.Join(r.workspace, filepath.FromSlash(s.WorkingDirectory))
	}
	// One pipe for stdout and stderr keeps their lines in the order the
	// process wrote them. We own the read end, so Wait does not block on a
	// grandchild that keeps the pipe open.
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("pipe: %w", err)
	}
	cmd := exec.Command(shell[0], append(shell[1:], s.Run)...)
	cmd.Dir = dir
	cmd.Env = r.stepEnv(s)
	cmd.Stdin = nil
	cmd.Stdout, cmd.Stderr = pw, pw
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		return nil, fmt.Errorf("start: %w", err)
	}
	pw.Close()
	copied := make(chan struct{})
	go func() {
		io.Copy(w, pr)
		close(copied)
	}()

	pgid := cmd.Process.Pid
	waited := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			syscall.Kill(-pgid, syscall.SIGTERM)
			select {
			case <-waited:
			case <-time.After(r.opts.KillGrace):
				syscall.Kill(-pgid, syscall.SIGKILL)
			}
		case <-waited:
		}
	}()
	werr := cmd.Wait()
	close(waited)
	// Whatever the step left behind in its group ends with it.
	syscall.Kill(-pgid, syscall.SIGKILL)
	select {
	case <-copied:
	case <-time.After(2 * time.Second):
		// A process that left the group still holds the pipe: stop
		// reading rather than hang the run.
	}
	pr.Close()

	code := cmd.ProcessState.ExitCode()
	var exitErr *exec.ExitError
	switch {
	case werr == nil:
		return &code, nil
	case errors.As(werr, &exitErr):
		if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("stopped by %v", ws.Signal())
			}
			return nil, fmt.Errorf("killed by signal %v", ws.Signal())
		}
		if ctx.Err() != nil {
			return &code, fmt.Errorf("exit code %d after it was stopped", code)
		}
		return &code, fmt.Errorf("exit code %d", code)
	default:
		return nil, fmt.Errorf("wait: %w", werr)
	}
}
