// Package supervise gives each `run:` step its own supervisor: a small child
// of helios, started from helios's own executable, that is the subreaper of
// the step's process tree. When the step's shell ends, the supervisor ends
// every descendant still alive (processes that left the step's process group
// with setsid included, since orphans reparent to it), so nothing a step
// started keeps writing into a bundle that helios is sealing. Phases run side
// by side; one supervisor per step is what tells whose orphan is whose.
//
// The supervisor also drops to the step's user: it stays root itself, so it
// can end what the step left and the step cannot signal or trace it.
//
// Every binary that runs missions calls Main first thing in main (tests: in
// TestMain); the engine refuses to start a step when it was not called.
package supervise

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
)

// marker is argv[1] of a supervisor: no helios command or test flag can
// look like it.
const marker = "__helios_step_supervisor__"

// reportFD is the descriptor the supervisor writes its report to; the step's
// stdout and stderr stay untouched. configFD is where it reads its config.
const (
	reportFD = 3
	configFD = 4
)

// maxConfig bounds the config a supervisor reads (the step's whole
// environment is in it).
const maxConfig = 16 << 20

// killBound bounds how long a supervisor keeps ending a step's leftovers
// (and how long the parent waits past KillGrace before killing it).
const killBound = 3 * time.Second

// config is what the parent tells the supervisor, as JSON on configFD. The
// step's command and environment travel there, not in the supervisor's own
// argv and environment: the supervisor is root and starts with an empty
// environment, so no LD_PRELOAD or GODEBUG of a mission reaches it, and
// argv, which any user can read in /proc, carries no secret.
type config struct {
	Argv []string `json:"argv"`
	Env  []string `json:"env"`
	// Parent is the pid of the helios process that started the supervisor:
	// if it is gone before the supervisor is set up, the step never starts.
	Parent int `json:"parent"`
	// Credential, when set, is the user the step runs as.
	Credential *credential `json:"credential,omitempty"`
	// GraceMs is how long the step's tree gets between SIGTERM and SIGKILL
	// when the step is cancelled.
	GraceMs int64 `json:"grace_ms"`
}

type credential struct {
	Uid uint32 `json:"uid"`
	Gid uint32 `json:"gid"`
}

// report is the supervisor's last word to the parent.
type report struct {
	// Pid is the step shell's pid; the parent kills its process group if
	// the supervisor dies without a final report.
	Pid int `json:"pid,omitempty"`
	// Final marks the report sent after the step ended.
	Final bool `json:"final,omitempty"`
	// Exit is the shell's exit code, Signal the signal that ended it.
	Exit   int `json:"exit"`
	Signal int `json:"signal,omitempty"`
	// Leftover counts the processes the step left running: the roots of
	// what was still alive when its shell ended. Ended counts every process
	// the supervisor ended after that, their children included.
	Leftover int `json:"leftover"`
	Ended    int `json:"ended"`
	// Remaining counts descendants still present when the bound ran out.
	Remaining int    `json:"remaining,omitempty"`
	Error     string `json:"error,omitempty"`
}

var hooked atomic.Bool

// Available says whether this binary called Main, so it can serve as a
// step supervisor.
func Available() bool { return hooked.Load() }

// Main turns this process into a step supervisor when it was started as one
// (it then never returns); otherwise it only records that the hook is in
// place. Call it first thing in main and in TestMain.
func Main() {
	if len(os.Args) != 2 || os.Args[1] != marker {
		hooked.Store(true)
		return
	}
	os.Exit(serve())
}

func serve() int {
	out := os.NewFile(reportFD, "report")
	in := os.NewFile(configFD, "config")
	if out == nil || in == nil {
		fmt.Fprintln(os.Stderr, "helios step supervisor: no report or config descriptor")
		return 125
	}
	syscall.CloseOnExec(reportFD)
	syscall.CloseOnExec(configFD)
	var cfg config
	rep := report{}
	err := json.NewDecoder(io.LimitReader(in, maxConfig)).Decode(&cfg)
	in.Close()
	if err != nil {
		rep.Error = fmt.Sprintf("read supervisor config: %v", err)
	} else if len(cfg.Argv) == 0 {
		rep.Error = "no step command"
	} else {
		rep = supervise(cfg, out)
	}
	rep.Final = true
	if err := json.NewEncoder(out).Encode(rep); err != nil {
		return 125
	}
	return 0
}

func sendReport(out *os.File, rep report) {
	_ = json.NewEncoder(out).Encode(rep)
}

// Options describe one step to run under a supervisor.
type Options struct {
	// Argv is the step's command; Argv[0] is looked up in Env's PATH.
	Argv []string
	// Dir is where the step starts, Env its whole environment.
	Dir string
	Env []string
	// Stdout and Stderr are handed to the step as they are (the supervisor
	// writes nothing to them).
	Stdout, Stderr *os.File
	// User, when set, is who the step runs as: that uid and gid, no
	// supplementary groups, no capabilities.
	User *User
	// KillGrace is how long a cancelled step's processes get between
	// SIGTERM and SIGKILL.
	KillGrace time.Duration
}

// User is a uid and gid to run a step as.
type User struct{ Uid, Gid uint32 }

// Result is how a step ended and what its supervisor ended after it.
type Result struct {
	// ExitCode is the shell's exit status, -1 when a signal ended it.
	ExitCode int
	// Signal is the signal that ended the shell, 0 when it exited.
	Signal syscall.Signal
	// Leftover counts the processes the step left running when its shell
	// ended (each with whatever it had started); Ended counts all the
	// processes the supervisor then ended.
	Leftover, Ended int
	// Remaining counts the step's processes still alive when the
	// supervisor gave up ending them (Wait then also returns an error):
	// they may still write into the bundle.
	Remaining int
}

func (r *Result) String() string {
	if r.Signal != 0 {
		return "signal " + r.Signal.String()
	}
	return "exit code " + strconv.Itoa(r.ExitCode)
}
