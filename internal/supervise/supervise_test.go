//go:build linux

package supervise_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/helios-action/helios-action/internal/supervise"
)

// The test binary is helios's executable here: it must serve as the
// supervisor, as helios does.
func TestMain(m *testing.M) {
	supervise.Main()
	os.Exit(m.Run())
}

// step runs script under a supervisor and returns its result and output.
func step(t *testing.T, ctx context.Context, script string, o supervise.Options, started func(*supervise.Process)) (*supervise.Result, string, error) {
	t.Helper()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	o.Argv = []string{"sh", "-e", "-c", script}
	o.Env = append(o.Env, "PATH="+os.Getenv("PATH"))
	o.Stdout, o.Stderr = pw, pw
	if o.KillGrace == 0 {
		o.KillGrace = 500 * time.Millisecond
	}
	p, err := supervise.Start(ctx, o)
	pw.Close()
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	out := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(pr)
		out <- string(b)
	}()
	if started != nil {
		started(p)
	}
	res, werr := p.Wait()
	select {
	case s := <-out:
		return res, s, werr
	case <-time.After(5 * time.Second):
		t.Fatal("the step's output stayed open 5 s after it ended")
		return nil, "", nil
	}
}

// alive says whether pid is a running (not zombie) process.
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(b), ')')
	return i > 0 && !strings.HasPrefix(strings.TrimSpace(string(b[i+1:])), "Z")
}

// readPids waits (bounded) until file holds the pids the step wrote.
func readPids(t *testing.T, file string, n int) []int {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		b, _ := os.ReadFile(file)
		f := strings.Fields(string(b))
		if len(f) < n {
			continue
		}
		var pids []int
		for _, s := range f {
			p, err := strconv.Atoi(s)
			if err != nil {
				t.Fatalf("pid file: %v", err)
			}
			pids = append(pids, p)
		}
		return pids
	}
	t.Fatalf("%s never held %d pids", file, n)
	return nil
}

// gone waits (bounded) until none of pids runs.
func gone(t *testing.T, pids []int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for _, p := range pids {
		for alive(p) {
			if time.Now().After(deadline) {
				t.Fatalf("process %d still runs %s later", p, within)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

func TestExitAndOutputPassThrough(t *testing.T) {
	cases := []struct {
		name, script string
		code         int
		sig          syscall.Signal
		out          string
	}{
		{"success", `echo out; echo err >&2`, 0, 0, "out\nerr\n"},
		{"exit code", `echo before; exit 7`, 7, 0, "before\n"},
		{"errexit", `false; echo never`, 1, 0, ""},
		{"signal", `kill -TERM $$`, -1, syscall.SIGTERM, ""},
		{"killed", `kill -KILL $$`, -1, syscall.SIGKILL, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, out, err := step(t, context.Background(), c.script, supervise.Options{}, nil)
			if err != nil {
				t.Fatalf("wait: %v", err)
			}
			if res.ExitCode != c.code || res.Signal != c.sig {
				t.Errorf("got %s (code %d), want code %d signal %v", res, res.ExitCode, c.code, c.sig)
			}
			if out != c.out {
				t.Errorf("output %q, want %q", out, c.out)
			}
			if res.Leftover != 0 || res.Ended != 0 {
				t.Errorf("ended %d (%d leftover) of a step that left nothing", res.Ended, res.Leftover)
			}
		})
	}
}

// The reproduction of issue 17 item 5: a setsid grandchild leaves the step's
// process group and would outlive it.
func TestEscapedProcessIsEndedAndCounted(t *testing.T) {
	pids := filepath.Join(t.TempDir(), "pids")
	script := `setsid sh -c 'echo $$ >>"$0"; while :; do sleep .05; done' "$PIDS" &
while [ ! -s "$PIDS" ]; do sleep .01; done`
	res, _, err := step(t, context.Background(), script, supervise.Options{Env: []string{"PIDS=" + pids}}, nil)
	if err != nil {
		t.Fatalf("wait: %v", err)
	}
	escaped := readPids(t, pids, 1)
	if res.ExitCode != 0 {
		t.Errorf("step: %s, want exit code 0", res)
	}
	if res.Leftover != 1 {
		t.Errorf("leftover %d, want 1", res.Leftover)
	}
	if res.Ended < 1 {
		t.Errorf("ended %d, want at least the escaped loop", res.Ended)
	}
	// The supervisor has reaped it before reporting: it is gone now.
	gone(t, escaped, 0)
}

func TestCancelEndsTreeWithinGrace(t *testing.T) {
	pids := filepath.Join(t.TempDir(), "pids")
	// Both the shell and an escaped process ignore SIGTERM, so only the
	// SIGKILL after the grace ends them.
	script := `trap '' TERM
setsid sh -c 'trap "" TERM; echo $$ >>"$0"; while :; do sleep .05; done' "$PIDS" &
echo $$ >>"$PIDS"
while :; do sleep .05; done`
	ctx, cancel := context.WithCancel(context.Background())
	grace := 300 * time.Millisecond
	var cancelled time.Time
	res, _, err := step(t, ctx, script, supervise.Options{Env: []string{"PIDS=" + pids}, KillGrace: grace}, func(*supervise.Process) {
		readPids(t, pids, 2)
		cancelled = time.Now()
		cancel()
	})
	took := time.Since(cancelled)
	if err != nil {
		t.Fatalf("wait: %v", err)
	}
	if res.Signal != syscall.SIGKILL {
		t.Errorf("step: %s, want killed by SIGKILL after ignoring SIGTERM", res)
	}
	// A hang guard, not a timing claim: grace plus a generous 2 s.
	if took > grace+2*time.Second {
		t.Errorf("the step ended %s after the cancel, grace %s", took, grace)
	}
	gone(t, readPids(t, pids, 2), 0)
}

func TestCancelLetsTreeExitOnSIGTERM(t *testing.T) {
	pids := filepath.Join(t.TempDir(), "pids")
	script := `sleep 300 & echo $! >>"$PIDS"; wait`
	ctx, cancel := context.WithCancel(context.Background())
	res, _, err := step(t, ctx, script, supervise.Options{Env: []string{"PIDS=" + pids}, KillGrace: 5 * time.Second}, func(*supervise.Process) {
		readPids(t, pids, 1)
		cancel()
	})
	if err != nil {
		t.Fatalf("wait: %v", err)
	}
	if res.Signal != syscall.SIGTERM {
		t.Errorf("step: %s, want ended by the forwarded SIGTERM", res)
	}
	gone(t, readPids(t, pids, 1), 0)
}

func TestKilledSupervisorTakesStepAlong(t *testing.T) {
	users := map[string]*supervise.User{"as helios's user": nil}
	if os.Geteuid() == 0 {
		// The parent-death signal must survive the drop to the step's user.
		users["as 65534"] = &supervise.User{Uid: 65534, Gid: 65534}
	}
	for name, u := range users {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			for _, d := range []string{dir, filepath.Dir(dir)} {
				if err := os.Chmod(d, 0o777); err != nil {
					t.Fatal(err)
				}
			}
			pids := filepath.Join(dir, "pids")
			script := `sleep 300 & echo $! >>"$PIDS"; echo $$ >>"$PIDS"; wait`
			_, _, err := step(t, context.Background(), script, supervise.Options{Env: []string{"PIDS=" + pids}, User: u, Dir: "/"}, func(p *supervise.Process) {
				readPids(t, pids, 2)
				if err := syscall.Kill(p.Pid(), syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
			})
			if err == nil || !strings.Contains(err.Error(), "without a report") {
				t.Fatalf("wait: %v, want an error saying the supervisor ended without a report", err)
			}
			gone(t, readPids(t, pids, 2), 2*time.Second)
		})
	}
}

func TestStepRunsAsGivenUserWithoutPrivileges(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("dropping to another user needs root")
	}
	res, out, err := step(t, context.Background(), `id -u; id -G; grep -E '^(Cap(Inh|Prm|Eff|Amb)|NoNewPrivs):' /proc/self/status`,
		supervise.Options{User: &supervise.User{Uid: 65534, Gid: 65534}, Dir: "/"}, nil)
	if err != nil {
		t.Fatalf("wait: %v", err)
	}
	if res.ExitCode != 0 {
		t.Fatalf("step: %s: %s", res, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 7 || lines[0] != "65534" || lines[1] != "65534" {
		t.Fatalf("output %q, want uid 65534 and the single group 65534", out)
	}
	for _, l := range lines[2:] {
		k, v, _ := strings.Cut(l, ":")
		v = strings.TrimSpace(v)
		want := "0000000000000000"
		if k == "NoNewPrivs" {
			want = "1"
		}
		if v != want {
			t.Errorf("%s: %s, want %s", k, v, want)
		}
	}
}

func TestStartWithoutCommand(t *testing.T) {
	_, err := supervise.Start(context.Background(), supervise.Options{})
	if err == nil || !strings.Contains(err.Error(), "no step command") {
		t.Fatalf("start: %v, want a refusal naming the missing command", err)
	}
}

// The supervisor is root: a mission's environment (LD_PRELOAD, GODEBUG …)
// must not reach it, and its argv, which anyone can read, holds no secret.
// The step still gets its whole environment.
func TestSupervisorCarriesNoStepEnvironment(t *testing.T) {
	const secret = "s3cr3t-value-for-the-step"
	res, out, err := step(t, context.Background(), `tr '\0' '\n' </proc/$PPID/environ; tr '\0' '\n' </proc/$PPID/cmdline; echo "step: $STEP_SECRET"`,
		supervise.Options{Env: []string{"STEP_SECRET=" + secret}}, nil)
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("wait: %v %v\n%s", res, err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[1], "__helios") || lines[2] != "step: "+secret {
		t.Errorf("supervisor environ and argv, then the step's variable:\n%s\nwant an empty environ, argv of the executable and the marker, and the step's own variable", out)
	}
}

// When helios itself dies, its supervisors get SIGTERM and end their steps'
// trees as on a cancel, escaped processes included.
func TestHeliosDeathEndsSteps(t *testing.T) {
	const helperVar = "SUPERVISE_TEST_HELIOS"
	if os.Getenv(helperVar) != "" {
		// The stand-in for helios: start a step, then wait to be killed.
		p, err := supervise.Start(context.Background(), supervise.Options{
			Argv:      []string{"sh", "-c", os.Getenv("SCRIPT")},
			Env:       []string{"PATH=" + os.Getenv("PATH"), "PIDS=" + os.Getenv("PIDS")},
			Stdout:    os.Stdout,
			Stderr:    os.Stderr,
			KillGrace: 200 * time.Millisecond,
		})
		if err != nil {
			t.Fatal(err)
		}
		p.Wait()
		return
	}
	pids := filepath.Join(t.TempDir(), "pids")
	script := `setsid sh -c 'echo $$ >>"$0"; while :; do sleep .05; done' "$PIDS" &
sleep 300 & echo $! >>"$PIDS"; wait`
	cmd := exec.Command(os.Args[0], "-test.run=^TestHeliosDeathEndsSteps$")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), helperVar + "=1", "PIDS=" + pids, "SCRIPT=" + script}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	step := readPids(t, pids, 2)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	gone(t, step, 5*time.Second)
}

// Root without CAP_SETUID (a user namespace, a container started with
// --cap-drop) cannot drop to the workspace owner: the step fails with a
// message that says what was tried and what is missing, not a bare
// "operation not permitted".
func TestStepUserWithoutSetuidCapability(t *testing.T) {
	const helperVar = "SUPERVISE_TEST_NO_SETUID"
	if os.Getenv(helperVar) != "" {
		_, _, err := step(t, context.Background(), "id -u", supervise.Options{User: &supervise.User{Uid: 65534, Gid: 65534}, Dir: "/"}, nil)
		fmt.Printf("step error: %v\n", err)
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("the case is root without CAP_SETUID")
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("setpriv (util-linux) is not installed")
	}
	cmd := exec.Command(setpriv, "--bounding-set", "-setuid,-setgid", os.Args[0], "-test.run=^TestStepUserWithoutSetuidCapability$")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), helperVar + "=1"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if want := "cannot run the step as the workspace owner (uid 65534, gid 65534): operation not permitted; helios runs steps as that user when it is root, which needs CAP_SETUID and CAP_SETGID"; !strings.Contains(string(out), want) {
		t.Errorf("output lacks %q:\n%s", want, out)
	}
}

// markedProcesses lists the live processes whose environment holds mark.
func markedProcesses(mark string) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err == nil && alive(pid) && strings.Contains(string(b), mark) {
			out = append(out, pid)
		}
	}
	return out
}

// endMarked ends the processes whose environment holds mark the way the
// supervisor should have: stop them all until none is running, then kill
// them. A test's last resort, bounded.
func endMarked(t *testing.T, mark string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		var ps []int
		for range 200 {
			ps = markedProcesses(mark)
			running := 0
			for _, p := range ps {
				b, _ := os.ReadFile("/proc/" + strconv.Itoa(p) + "/stat")
				if i := strings.LastIndexByte(string(b), ')'); i > 0 && !strings.HasPrefix(strings.TrimSpace(string(b[i+1:])), "T") {
					running++
					syscall.Kill(p, syscall.SIGSTOP)
				}
			}
			if running == 0 {
				break
			}
		}
		if len(ps) == 0 {
			return
		}
		for _, p := range ps {
			syscall.Kill(p, syscall.SIGKILL)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("processes marked %s still run", mark)
}

// bombUID runs the fork bombs: a uid no other test uses, so the process
// count RLIMIT_NPROC checks is the bomb's alone, even while other packages'
// tests run steps as 65534.
const bombUID = 61999

// A step leaves a fork bomb behind, so the tree still grows while the
// supervisor ends it and any look at it is out of date by the time a signal
// follows: the supervisor must end all of it, not one look per round. The
// bomb runs as bombUID under RLIMIT_NPROC (which does not bind root), so a
// supervisor that failed could not take the machine down with it.
func TestForkBombIsEndedWhole(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the bomb runs only as another user, under RLIMIT_NPROC; dropping to one needs root")
	}
	cases := []struct {
		name, bomb string
		// limit is the bomb's RLIMIT_NPROC; most is how many processes
		// it can ever have: all of them, or as many as the limit allows.
		limit, most int
	}{
		{
			// Every process forks as fast as it can until its share of
			// 2000 processes is spent, then sleeps.
			name:  "2000 processes, each forking its share",
			bomb:  `b() { n=$1; while [ $n -gt 1 ]; do h=$((n/2)); b $h & n=$((n-h)); done; exec sleep 30; }; b 2000 &`,
			limit: 4096, most: 2000,
		},
		{
			// Every process forks for as long as it lives, bash retrying a
			// fork the limit refused: a process ended is replaced at once.
			// Ending one look per round left it running after the bound.
			name:  "refilling at RLIMIT_NPROC",
			bomb:  `S='while printf -v n "%(%s)T" -1; [ $n -lt $UNTIL ] && [ ! -e "$STOP" ]; do bash -c "$S" & done'; export S; UNTIL=$(($(date +%s) + 20)); export UNTIL; bash -c "$S" &`,
			limit: 300, most: 300,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if strings.Contains(c.bomb, "bash") {
				if _, err := exec.LookPath("bash"); err != nil {
					t.Skip("bash is not installed")
				}
			}
			dir := t.TempDir()
			for _, d := range []string{dir, filepath.Dir(dir)} {
				if err := os.Chmod(d, 0o777); err != nil {
					t.Fatal(err)
				}
			}
			mark := fmt.Sprintf("HELIOS_FORK_BOMB=%d-%d", os.Getpid(), time.Now().UnixNano())
			exited, stop := filepath.Join(dir, "exited"), filepath.Join(dir, "stop")
			t.Cleanup(func() {
				// Only reached with work to do when the supervisor failed.
				os.WriteFile(stop, nil, 0o644)
				endMarked(t, mark)
			})
			// The limit binds the bomb's subshell; the step's own shell
			// keeps a little more room (RLIMIT_NPROC counts the uid's
			// processes), so the bomb filling its share cannot starve
			// the step's last commands of a fork.
			lim, room := strconv.Itoa(c.limit), strconv.Itoa(c.limit+100)
			script := `ulimit -u ` + room + ` 2>/dev/null || ulimit -p ` + room + `
(
ulimit -u ` + lim + ` 2>/dev/null || ulimit -p ` + lim + `
grep -q '^Max processes  *` + lim + ` ' /proc/self/limits
` + c.bomb + `
)
sleep .3
date +%s%N >"$EXITED"`
			res, out, err := step(t, context.Background(), script, supervise.Options{
				Env:  []string{mark, "EXITED=" + exited, "STOP=" + stop},
				User: &supervise.User{Uid: bombUID, Gid: bombUID},
				Dir:  "/",
			}, nil)
			reported := time.Now()
			if err != nil {
				t.Fatalf("wait: %v", err)
			}
			if res.ExitCode != 0 {
				t.Fatalf("step: %s, want exit code 0 (is RLIMIT_NPROC in place?)\n%.2000s", res, out)
			}
			if ps := markedProcesses(mark); len(ps) > 0 {
				t.Fatalf("%d processes of the bomb outlived the supervisor's report", len(ps))
			}
			if res.Remaining != 0 || res.Leftover < 1 || res.Ended < res.Leftover {
				t.Errorf("leftover %d, ended %d, remaining %d; want the bomb's root left over, it and more ended, none remaining", res.Leftover, res.Ended, res.Remaining)
			}
			// A stopped process keeps its place under the limit and forks
			// no more: more ended than could ever live at once means the
			// bomb replaced what was killed while it was being ended.
			if res.Ended > c.most {
				t.Errorf("ended %d processes, more than the %d the bomb can have at once: it kept forking while it was ended", res.Ended, c.most)
			}
			b, _ := os.ReadFile(exited)
			if ns, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil {
				t.Logf("ended %d processes of the bomb; the report came %s after the step's shell was done", res.Ended, reported.Sub(time.Unix(0, ns)))
			}
		})
	}
}
