package supervise

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

type reaped struct {
	pid int
	ws  syscall.WaitStatus
}

// supervise starts the step, waits for it and ends what it left behind.
func supervise(cfg config, out *os.File) report {
	argv := cfg.Argv
	// no_new_privs, the ambient set and the step's parent-death signal
	// belong to the thread that forks the step: keep that one thread.
	runtime.LockOSThread()
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return report{Error: fmt.Sprintf("become subreaper: %v", err)}
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	// The parent set our parent-death signal before exec; if it died
	// before that took hold, nobody is waiting for this step.
	if cfg.Parent != 0 && os.Getppid() != cfg.Parent {
		return report{Error: "helios ended before the step started"}
	}
	// The step's PATH finds its shell; this process's own environment is
	// otherwise empty and never used.
	os.Setenv("PATH", pathOf(cfg.Env))
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return report{Error: fmt.Sprintf("start: %v", err)}
	}
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return report{Error: fmt.Sprintf("start: %v", err)}
	}
	defer devnull.Close()
	attr := &syscall.SysProcAttr{
		// Its own group, so that the parent can end the group should this
		// supervisor die without reporting; if it dies, so does the shell.
		Setpgid:   true,
		Pdeathsig: syscall.SIGKILL,
	}
	if c := cfg.Credential; c != nil {
		// setuid away from root clears the permitted, effective and
		// ambient sets; clear ambient anyway, and make sure no setuid or
		// file-capability binary can give any of it back.
		if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil {
			return report{Error: fmt.Sprintf("clear ambient capabilities: %v", err)}
		}
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return report{Error: fmt.Sprintf("set no_new_privs: %v", err)}
		}
		attr.Credential = &syscall.Credential{Uid: c.Uid, Gid: c.Gid, Groups: []uint32{}}
	}
	pid, err := syscall.ForkExec(path, argv, &syscall.ProcAttr{
		Env:   cfg.Env,
		Files: []uintptr{devnull.Fd(), 1, 2},
		Sys:   attr,
	})
	if err != nil {
		if c := cfg.Credential; c != nil && errors.Is(err, syscall.EPERM) {
			// Root in a user namespace, or a container started without
			// CAP_SETUID/CAP_SETGID: say what was tried and why.
			return report{Error: fmt.Sprintf("start: cannot run the step as the workspace owner (uid %d, gid %d): %v; helios runs steps as that user when it is root, which needs CAP_SETUID and CAP_SETGID", c.Uid, c.Gid, err)}
		}
		return report{Error: fmt.Sprintf("start: %v", err)}
	}
	sendReport(out, report{Pid: pid})

	// One reaper for every child: the shell and the orphans that reparent
	// to us. It ends when no child is left (ECHILD), which for a subreaper
	// means the whole tree is gone.
	reap := make(chan reaped, 64)
	go func() {
		defer close(reap)
		for {
			var ws syscall.WaitStatus
			p, err := syscall.Wait4(-1, &ws, 0, nil)
			if err == syscall.EINTR {
				continue
			}
			if err != nil {
				return
			}
			reap <- reaped{p, ws}
		}
	}()

	self := os.Getpid()
	grace := time.Duration(cfg.GraceMs) * time.Millisecond
	var graceOver <-chan time.Time
	var graceEnd time.Time
	cancelled := false
	var status syscall.WaitStatus
	for done := false; !done; {
		select {
		case r, ok := <-reap:
			if !ok {
				return report{Error: "the step's shell vanished"}
			}
			if r.pid == pid {
				status, done = r.ws, true
			}
		case <-sigs:
			if !cancelled {
				cancelled = true
				signalTree(self, syscall.SIGTERM)
				graceEnd = time.Now().Add(grace)
				graceOver = time.After(grace)
			}
		case <-graceOver:
			graceOver = nil
			signalTree(self, syscall.SIGKILL)
		}
	}

	rep := report{Final: true}
	switch {
	case status.Exited():
		rep.Exit = status.ExitStatus()
	case status.Signaled():
		rep.Exit, rep.Signal = -1, int(status.Signal())
	}
	// A cancelled step's other processes still get what is left of their
	// grace to exit on their own; a finished step's get none.
	if cancelled {
		waitEmpty(self, graceEnd, reap)
	}
	rep.Leftover, rep.Ended, rep.Remaining = endTree(self, time.Now().Add(killBound), reap)
	return rep
}

// signalTree sends sig to every live descendant of self.
func signalTree(self int, sig syscall.Signal) {
	for p := range descendants(self) {
		_ = syscall.Kill(p, sig)
	}
}

// waitEmpty reaps until no descendant is alive or the deadline passes.
func waitEmpty(self int, deadline time.Time, reap <-chan reaped) {
	for len(descendants(self)) > 0 && time.Now().Before(deadline) {
		drain(reap, 20*time.Millisecond)
	}
}

// endTree kills every descendant of self until none is left or the deadline
// passes. leftover counts the roots of what was alive at the first look
// (the processes the step left running), ended every process it killed.
func endTree(self int, deadline time.Time, reap <-chan reaped) (leftover, ended, remaining int) {
	killed := map[int]bool{}
	for round := 0; ; round++ {
		tree := descendants(self)
		if round == 0 {
			for _, ppid := range tree {
				if ppid == self {
					leftover++
				}
			}
		}
		if len(tree) == 0 {
			break
		}
		if !time.Now().Before(deadline) {
			remaining = len(tree)
			break
		}
		for p := range tree {
			_ = syscall.Kill(p, syscall.SIGKILL)
			if !killed[p] {
				killed[p] = true
				ended++
			}
		}
		drain(reap, 10*time.Millisecond)
	}
	// Reap the last ones so that none is left a zombie of a process that
	// is about to exit anyway; bounded, the reaper ends on ECHILD.
	drain(reap, 100*time.Millisecond)
	return leftover, ended, remaining
}

// drain takes what the reaper has for at most d, returning early when it
// has ended.
func drain(reap <-chan reaped, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case _, ok := <-reap:
			if !ok {
				return
			}
		case <-t.C:
			return
		}
	}
}

// descendants maps every live (not zombie) descendant of root to its
// parent, read from /proc.
func descendants(root int) map[int]int {
	children := map[int][]int{}
	parent := map[int]int{}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		ppid, state, ok := stat(pid)
		if !ok || state == 'Z' || state == 'X' {
			continue
		}
		children[ppid] = append(children[ppid], pid)
		parent[pid] = ppid
	}
	out := map[int]int{}
	queue := []int{root}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			if _, seen := out[c]; !seen && c != root {
				out[c] = parent[c]
				queue = append(queue, c)
			}
		}
	}
	return out
}

// stat reads a process's parent and state from /proc/<pid>/stat. The
// command name is in parentheses and may hold anything, so the fields are
// read after the last ')'.
func stat(pid int) (ppid int, state byte, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, false
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 2 || len(f[0]) != 1 {
		return 0, 0, false
	}
	ppid, err = strconv.Atoi(string(f[1]))
	if err != nil {
		return 0, 0, false
	}
	return ppid, f[0][0], true
}

// pathOf is the PATH of env.
func pathOf(env []string) string {
	path := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	return path
}
