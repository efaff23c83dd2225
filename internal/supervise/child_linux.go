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
	walk(self, func(pid int, _ proc) { _ = syscall.Kill(pid, sig) })
}

// waitEmpty reaps until no descendant is alive or the deadline passes.
func waitEmpty(self int, deadline time.Time, reap <-chan reaped) {
	for len(walk(self, nil)) > 0 && time.Now().Before(deadline) {
		drain(reap, 20*time.Millisecond)
	}
}

// maxFreezeRounds bounds the walks of one freeze; each walk after the first
// only meets what was forked, or continued, while the one before ran.
const maxFreezeRounds = 200

// endTree ends every descendant of self, or gives up at the deadline.
// Killing one look at the tree is not enough: a process forked between the
// look and the kill survives it, and a fork bomb always has some. So the
// tree is first frozen (a stopped process cannot fork), then killed whole.
// leftover counts the roots of what was alive at the first look (the
// processes the step left running), ended every process it killed, and
// remaining what was still alive when the deadline passed.
func endTree(self int, deadline time.Time, reap <-chan reaped) (leftover, ended, remaining int) {
	killed := map[int]bool{}
	for round := 0; ; round++ {
		tree, first := freeze(self, deadline)
		if round == 0 {
			for _, p := range first {
				if p.ppid == self {
					leftover++
				}
			}
		}
		if len(tree) == 0 {
			break
		}
		for pid := range tree {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			if !killed[pid] {
				killed[pid] = true
				ended++
			}
		}
		// SIGKILL ends a stopped process too; SIGCONT makes sure of it
		// whatever the kernel does with a stopped task's pending kill.
		for pid := range tree {
			_ = syscall.Kill(pid, syscall.SIGCONT)
		}
		if !time.Now().Before(deadline) {
			drain(reap, 100*time.Millisecond)
			remaining = len(walk(self, nil))
			return leftover, ended, remaining
		}
		drain(reap, 10*time.Millisecond)
	}
	// Reap the last ones so that none is left a zombie of a process that
	// is about to exit anyway; bounded, the reaper ends on ECHILD.
	drain(reap, 100*time.Millisecond)
	return leftover, ended, remaining
}

// freeze sends SIGSTOP to every descendant of self that is not stopped yet,
// walking /proc again until a walk finds every one stopped: the tree it
// returns then holds all of them, since none can fork any more. It gives up
// after maxFreezeRounds walks or at the deadline and returns what the last
// walk found; first is what the first walk found.
func freeze(self int, deadline time.Time) (tree, first map[int]proc) {
	for round := 0; round < maxFreezeRounds; round++ {
		running := 0
		tree = walk(self, func(pid int, p proc) {
			if !p.stopped() {
				running++
				_ = syscall.Kill(pid, syscall.SIGSTOP)
			}
		})
		if round == 0 {
			first = tree
		}
		if running == 0 || !time.Now().Before(deadline) {
			break
		}
		// A stop takes effect when the process next runs: give the ones
		// just signalled a moment of the CPU.
		time.Sleep(time.Millisecond)
	}
	return tree, first
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

// proc is a live descendant: its parent and its state as /proc/<pid>/stat
// gives it.
type proc struct {
	ppid  int
	state byte
}

// stopped says whether p is stopped by a signal or in a tracing stop.
func (p proc) stopped() bool { return p.state == 'T' || p.state == 't' }

// walk maps every live (not zombie) descendant of root to its parent and
// state, read from /proc. visit, when set, sees each as soon as it is known
// to descend from root (its parent is root or was met before it): /proc
// lists pids in ascending order, so a process is usually met after its
// parent, and a signal reaches it without waiting for the rest of /proc.
// The others are resolved, and visited, once the listing is read.
func walk(root int, visit func(pid int, p proc)) map[int]proc {
	d, err := os.Open("/proc")
	if err != nil {
		return nil
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return nil
	}
	out := map[int]proc{}
	pending := map[int][]int{}
	all := map[int]proc{}
	var add func(pid int, p proc)
	add = func(pid int, p proc) {
		if _, seen := out[pid]; seen || pid == root {
			return
		}
		out[pid] = p
		if visit != nil {
			visit(pid, p)
		}
		for _, c := range pending[pid] {
			add(c, all[c])
		}
		delete(pending, pid)
	}
	for _, name := range names {
		pid, err := strconv.Atoi(name)
		if err != nil {
			continue
		}
		ppid, state, ok := stat(pid)
		if !ok || state == 'Z' || state == 'X' {
			continue
		}
		p := proc{ppid: ppid, state: state}
		if _, in := out[ppid]; in || ppid == root {
			add(pid, p)
		} else {
			all[pid] = p
			pending[ppid] = append(pending[ppid], pid)
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
