// Package mission reads and checks helios mission files: the YAML document
// that names the phases of a run, the shell steps in each, and what goes into
// the report bundle.
//
// Parse reports every problem it finds at once, each positioned at the
// offending key or value, so that a user fixes a file in one round rather
// than one error per run. The JSON Schema in schema/mission.schema.json
// describes the same format for editors; the parser additionally checks what
// a schema cannot (phase cycles, needs that name no phase, duplicate step
// names and ids, duplicate YAML keys, durations that overflow, …).
package mission

import (
	"container/heap"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Defaults for optional top-level keys.
const (
	DefaultReportRoot = "reports/helios-omniversal-symphony"
	DefaultNetwork    = "hardhat"
)

// RPC says what the mission's chain steps do when the run has no RPC
// endpoint.
type RPC string

// The values of the top-level "rpc" key.
const (
	// RPCRequired: a chain step without an endpoint fails [rpc-down]. The
	// default, since a mission that names chain checks usually means them.
	RPCRequired RPC = "required"
	// RPCOptional: without an endpoint every chain step is skipped with a
	// reason, not failed, so the same mission runs where no chain is
	// reachable (a fork's pull request, a laptop) and checks the chain
	// where one is given.
	RPCOptional RPC = "optional"
)

// rpcValues are the values "rpc" takes, in the order messages list them.
var rpcValues = []string{string(RPCRequired), string(RPCOptional)}

// Version is the only mission file version this package understands.
const Version = 1

// Pos is a 1-based position in the mission file.
type Pos struct{ Line, Col int }

// Mission is a parsed, checked mission file. Parse never returns a Mission
// with problems: every name in Needs resolves, ids are unique within a phase,
// and the phases form no cycle.
type Mission struct {
	File       string // name used in error messages (as given to Parse)
	Digest     string // hex SHA-256 of the source bytes
	Version    int
	Name       string
	ReportRoot string // cleaned, slash-separated, relative to the workspace
	Network    string
	RPC        RPC      // RPCRequired unless the file says "rpc: optional"
	Env        []EnvVar // file order
	PassEnv    []PassEnv
	Volatile   []string // globs (package glob) relative to the report root, as written
	Phases     []*Phase // file order
	// Sharding is the "shards" key: nil when the mission has none. See
	// Shards, ShardPlan and MergePlan.
	Sharding *Sharding
}

// EnvVar is one NAME: value pair. Numbers keep the text they were written
// with (so "1.10" stays "1.10", not "1.1"); booleans become "true"/"false".
type EnvVar struct {
	Name, Value string
	Pos         Pos
}

// PassEnv names a variable of the action's own environment that is passed
// to steps. Its value is treated as a secret (masked in logs and kept out of
// the report) unless Public is set.
type PassEnv struct {
	Name   string
	Public bool
	Pos    Pos
}

// Phase is a named group of steps that runs after the phases it needs.
type Phase struct {
	Name            string
	Needs           []string
	Steps           []*Step
	Timeout         time.Duration // 0: none
	ContinueOnError bool
	Pos             Pos // position of the phase's key
}

// StepKind says which of run, collect and uses a step has.
type StepKind int

// Step kinds. The zero value is deliberately not a kind, so that a Step built
// by hand without one is noticed rather than run as an empty shell command.
const (
	Run StepKind = iota + 1
	Collect
	Uses
)

func (k StepKind) String() string {
	switch k {
	case Run:
		return "run"
	case Collect:
		return "collect"
	case Uses:
		return "uses"
	}
	return fmt.Sprintf("StepKind(%d)", int(k))
}

// Step is one unit of work in a phase.
type Step struct {
	ID   string // given, or derived from the name, command, collect or uses; unique in its phase
	Name string // as given; may be empty

	Kind StepKind

	// Kind Run.
	Run              string
	WorkingDirectory string // cleaned, relative to the workspace; "" for the workspace itself
	// Shell is the step's "shell": a name of Shells, or a command with
	// {0} with its words one space apart; "" when absent (see
	// ShellCommand).
	Shell string

	// Env applies to Run steps and is passed to built-ins for Uses steps.
	Env []EnvVar

	// Kind Collect.
	Collect *CollectSpec

	// Kind Uses.
	Uses string
	With *yaml.Node // nil when absent; aliases resolved

	Timeout         time.Duration // 0: none
	ContinueOnError bool
	Pos             Pos // position of the step's first key
}

// The commands a run step's script runs with, as GitHub Actions runs `run:`
// on Linux. {0} stands for the file the script is written to.
const (
	// DefaultShell is for a step without "shell" where bash is on the
	// step's PATH when it starts; FallbackShell where it is not.
	DefaultShell  = "bash -e {0}"
	FallbackShell = "sh -e {0}"
	// ScriptArg is what the commands' words hold in place of the
	// script file's path.
	ScriptArg = "{0}"
)

// Shells are the names "shell" takes, with the command each stands for.
// Any other value must be a command holding {0}, such as "perl {0}".
var Shells = map[string]string{
	"bash":   "bash --noprofile --norc -eo pipefail {0}",
	"sh":     "sh -e {0}",
	"python": "python {0}",
}

// shellNames are the keys of Shells, in the order messages list them.
var shellNames = []string{"bash", "sh", "python"}

// ShellCommand is the command the step's script runs with, {0} standing
// for the script file: the command its "shell" names or is, or "" when it
// has none, for the runner to choose DefaultShell or FallbackShell when the
// step starts.
func (s *Step) ShellCommand() string {
	if c, ok := Shells[s.Shell]; ok {
		return c
	}
	return s.Shell
}

// ShellWords splits a shell command into the words of its argv. It is
// split at ASCII white space only (what the schema's \s matches): Parse
// refuses quotes and backslashes in "shell", so that no word means
// something other than what it shows.
func ShellWords(command string) []string {
	return strings.FieldsFunc(command, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f'
	})
}

// CollectSpec copies files from the workspace into the report.
type CollectSpec struct {
	From     []string // globs (package glob) relative to the workspace, as written
	To       string   // cleaned folder relative to the report root; "" for the root itself
	Optional bool     // when true, globs that match nothing are not an error
}

// Options tunes what Parse accepts.
type Options struct {
	// Builtins are the names that "uses" may name. An unknown name is an
	// error that lists these.
	Builtins []string
}

// Load reads and parses the mission file at path. Errors in the file are
// returned as Errors; a file that cannot be read gives an *fs.PathError,
// also when it is not a regular file or is over MaxFileSize.
func Load(path string, opts Options) (*Mission, error) {
	src, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, src, opts)
}

// Parse parses and checks a mission file. file is only used in error
// messages and for the default Name. On failure the error is Errors: every
// problem found, sorted by position, at most 50.
func Parse(file string, src []byte, opts Options) (*Mission, error) {
	p := &parser{file: file, src: src, builtins: opts.Builtins}
	m := p.parse()
	if len(p.errs) > 0 {
		return nil, p.errs.sorted()
	}
	m.File = file
	sum := sha256.Sum256(src)
	m.Digest = hex.EncodeToString(sum[:])
	return m, nil
}

// defaultName is the file's base name without its extension, the name a user
// would call the mission by if they did not give one.
func defaultName(file string) string {
	base := filepath.Base(file)
	base = strings.TrimSuffix(base, filepath.Ext(base))
	if base == "" || base == "." || base == "/" {
		return "mission"
	}
	return base
}

// Phase returns the phase called name, or nil.
func (m *Mission) Phase(name string) *Phase {
	for _, ph := range m.Phases {
		if ph.Name == name {
			return ph
		}
	}
	return nil
}

// Order returns the phases in an order that runs each after the phases it
// needs: Kahn's algorithm, always taking the ready phase that comes first in
// the file, so the order is deterministic and as close to the file as the
// needs allow. Needs that name no phase are ignored. A Mission from Parse has
// no cycles; for one built by hand that does, the phases that cannot be
// ordered are appended in file order so that every phase still appears once.
func (m *Mission) Order() []*Phase {
	index := make(map[string]int, len(m.Phases))
	for i, ph := range m.Phases {
		if _, dup := index[ph.Name]; !dup {
			index[ph.Name] = i
		}
	}
	indeg := make([]int, len(m.Phases))
	dependents := make([][]int, len(m.Phases))
	for i, ph := range m.Phases {
		seen := make(map[int]bool, len(ph.Needs))
		for _, need := range ph.Needs {
			j, ok := index[need]
			if !ok || seen[j] {
				continue
			}
			seen[j] = true
			indeg[i]++
			dependents[j] = append(dependents[j], i)
		}
	}
	ready := &intHeap{}
	for i, d := range indeg {
		if d == 0 {
			heap.Push(ready, i)
		}
	}
	order := make([]*Phase, 0, len(m.Phases))
	placed := make([]bool, len(m.Phases))
	for ready.Len() > 0 {
		i := heap.Pop(ready).(int)
		order = append(order, m.Phases[i])
		placed[i] = true
		for _, j := range dependents[i] {
			indeg[j]--
			if indeg[j] == 0 {
				heap.Push(ready, j)
			}
		}
	}
	for i, ph := range m.Phases {
		if !placed[i] {
			order = append(order, ph)
		}
	}
	return order
}

// intHeap is a min-heap of phase indexes: the ready phase earliest in the
// file comes out first.
type intHeap []int

func (h intHeap) Len() int           { return len(h) }
func (h intHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h intHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *intHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *intHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
