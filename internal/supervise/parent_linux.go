package supervise

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"time"
)

// Process is a running supervised step. Start and Wait must be called from
// the same goroutine: the supervisor's parent-death signal is tied to the
// thread that started it, which stays locked until Wait returns.
type Process struct {
	cmd     *exec.Cmd
	reports chan report
	stop    chan struct{}
}

// Start starts the step's supervisor. When ctx ends, the supervisor gets
// SIGTERM (it forwards it to the step's tree and kills it after KillGrace);
// if it has not ended a few seconds after that, it is killed.
func Start(ctx context.Context, o Options) (*Process, error) {
	if !Available() {
		return nil, errors.New("no step supervisor: this program does not call supervise.Main first thing in main (or TestMain)")
	}
	if len(o.Argv) == 0 {
		return nil, errors.New("no step command")
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find helios's executable: %w", err)
	}
	cfg := config{Argv: o.Argv, Env: o.Env, Parent: os.Getpid(), GraceMs: o.KillGrace.Milliseconds()}
	if o.User != nil {
		cfg.Credential = &credential{Uid: o.User.Uid, Gid: o.User.Gid}
	}
	cj, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("supervisor config: %w", err)
	}
	rr, rw, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("report pipe: %w", err)
	}
	cr, cw, err := os.Pipe()
	if err != nil {
		rr.Close()
		rw.Close()
		return nil, fmt.Errorf("config pipe: %w", err)
	}
	cmd := exec.Command(exe, marker)
	cmd.Dir = o.Dir
	cmd.Env = []string{}
	cmd.Stdout, cmd.Stderr = o.Stdout, o.Stderr
	cmd.ExtraFiles = []*os.File{rw, cr}
	// If helios dies, the supervisor gets SIGTERM and ends the step as on
	// a cancel.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	runtime.LockOSThread()
	if err := cmd.Start(); err != nil {
		runtime.UnlockOSThread()
		rr.Close()
		rw.Close()
		cr.Close()
		cw.Close()
		return nil, fmt.Errorf("start step supervisor: %w", err)
	}
	rw.Close()
	cr.Close()
	// A big environment may not fit the pipe: write it while the
	// supervisor reads.
	go func() {
		cw.Write(cj)
		cw.Close()
	}()
	p := &Process{cmd: cmd, reports: make(chan report, 4), stop: make(chan struct{})}
	go func() {
		defer close(p.reports)
		defer rr.Close()
		dec := json.NewDecoder(io.LimitReader(rr, 1<<16))
		for {
			var r report
			if err := dec.Decode(&r); err != nil {
				return
			}
			p.reports <- r
		}
	}()
	go func() {
		select {
		case <-ctx.Done():
		case <-p.stop:
			return
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-time.After(o.KillGrace + killBound):
			_ = cmd.Process.Kill()
		case <-p.stop:
		}
	}()
	return p, nil
}

// Wait waits for the supervisor and returns its report. If the supervisor
// died without reporting, the step's process group is killed and the error
// says so.
func (p *Process) Wait() (*Result, error) {
	werr := p.cmd.Wait()
	runtime.UnlockOSThread()
	close(p.stop)
	var last report
	pid := 0
	for r := range p.reports {
		if r.Pid != 0 {
			pid = r.Pid
		}
		last = r
	}
	if !last.Final {
		if pid > 0 {
			// The shell had the supervisor's death as its own; what is
			// still in its group goes now.
			_ = syscall.Kill(-pid, syscall.SIGKILL)
		}
		return nil, fmt.Errorf("step supervisor ended without a report (%v)", werr)
	}
	if last.Error != "" {
		return nil, errors.New(last.Error)
	}
	res := &Result{ExitCode: last.Exit, Signal: syscall.Signal(last.Signal), Leftover: last.Leftover, Ended: last.Ended, Remaining: last.Remaining}
	if last.Remaining > 0 {
		return res, fmt.Errorf("%d processes of the step were still running %s after it ended", last.Remaining, killBound)
	}
	return res, nil
}

// Pid is the supervisor's pid.
func (p *Process) Pid() int { return p.cmd.Process.Pid }
