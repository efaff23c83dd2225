package engine

import (
	"context"
	"io"
	"sort"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/helios-action/helios-action/internal/bundlefs"
	"github.com/helios-action/helios-action/internal/mask"
	"github.com/helios-action/helios-action/internal/mission"
)

// Builtin is a step the action itself implements, named in a mission with
// `uses: helios/<name>`. The chain checks and the governance kit are built-ins.
type Builtin interface {
	// Name is the `uses` name, such as "helios/token".
	Name() string
	// Check validates the step's `with:` block when the mission is loaded, so
	// that a bad configuration fails before anything runs. Errors should be
	// *mission.Error values pointing into the node.
	Check(file string, with *yaml.Node) error
	// Run performs the step. Files it writes go into the bundle through
	// StepContext.Bundle; a returned error fails the step, except a Skip,
	// which records the step as skipped with its reason.
	Run(ctx context.Context, sc *StepContext) error
}

// Annotation is one finding of a built-in on a workspace file, shown on
// that file's line in the pull request.
type Annotation struct {
	File    string // workspace-relative, slash-separated
	Line    int
	Title   string
	Message string
}

// Annotator is a built-in whose steps leave findings that belong on the
// files of a pull request. Reporters find it by a type assertion on the
// registry entry a step's `uses:` names, so no reporter names a built-in.
// root is the report bundle and data the step's manifest data, which can
// come from another run (the action's run: false): paths in it are not
// trusted, and what they name is read only inside root, without
// following a link out of it, only if regular, and bounded.
type Annotator interface {
	Annotations(ctx context.Context, root string, data map[string]any) ([]Annotation, error)
	// FindingsNoun names one finding, a singular noun such as
	// "documentation problem", for the note on those past the runner's cap
	// on annotations, which counts them with markup.Plural ("1 more
	// documentation problem is …", "3 more documentation problems are …").
	FindingsNoun() string
}

// SkipError is what a built-in returns to say that it does not apply to
// this run (a chain check without an RPC endpoint, in a mission that makes
// chain checks optional). The engine records the step as skipped with
// Reason, which does not fail its phase, so phases that need it still run.
// A skip is a value, not silence: the reason reaches the manifest, the
// step's log, the console and the reports.
type SkipError struct{ Reason string }

func (e *SkipError) Error() string { return "skipped: " + e.Reason }

// Skip returns a *SkipError with reason, which should say what to do to run
// the step next time.
func Skip(reason string) error { return &SkipError{Reason: reason} }

// StepContext is what a built-in step sees of the run.
type StepContext struct {
	Mission   *mission.Mission
	Phase     *mission.Phase
	Step      *mission.Step
	Workspace string // absolute
	// ReportRoot is the absolute path of the bundle being written, for
	// reading and messages; writes go through Bundle.
	ReportRoot string
	// Bundle is the open report root. Its writes refuse links, so a link a
	// step planted cannot send a built-in's file outside the bundle.
	Bundle *bundlefs.Dir
	// Shard is the shard a sharded phase's instance runs for (nil
	// otherwise); ReportRoot and Bundle are then its folder, shards/<id>/.
	Shard   *mission.Shard
	Network string
	RPCURL  string
	// Log receives the step's human-readable output; it is masked and goes
	// to the step's log file and the console.
	Log    io.Writer
	Masker *mask.Masker

	shared  *shared
	outputs []string
	data    map[string]any
	// collected are the files a collect step copied.
	collected []collected
}

// shared holds values computed once per run and used by several steps,
// such as the block every chain read of the run is pinned to.
type shared struct {
	mu   sync.Mutex
	vals map[string]*onceVal
}

type onceVal struct {
	once sync.Once
	v    any
	err  error
}

// Shared returns the run's value for key, computing it with init the first
// time any step of the run asks (concurrent callers wait for that one call).
func (sc *StepContext) Shared(key string, init func() (any, error)) (any, error) {
	s := sc.shared
	if s == nil {
		return init()
	}
	s.mu.Lock()
	if s.vals == nil {
		s.vals = map[string]*onceVal{}
	}
	ov, ok := s.vals[key]
	if !ok {
		ov = &onceVal{}
		s.vals[key] = ov
	}
	s.mu.Unlock()
	ov.once.Do(func() { ov.v, ov.err = init() })
	return ov.v, ov.err
}

// AddOutput records a bundle file (relative to the report root) the step wrote.
func (sc *StepContext) AddOutput(rel string) { sc.outputs = append(sc.outputs, rel) }

// Record keeps a value in the step's manifest entry (manifest.json is
// volatile, so this is where run-specific values such as block numbers go).
func (sc *StepContext) Record(key string, v any) {
	if sc.data == nil {
		sc.data = map[string]any{}
	}
	sc.data[key] = v
}

// Registry holds the built-in steps by name.
type Registry map[string]Builtin

// NewRegistry makes a registry of the given built-ins.
func NewRegistry(bs ...Builtin) Registry {
	r := Registry{}
	for _, b := range bs {
		r[b.Name()] = b
	}
	return r
}

// Names lists the registered names, sorted.
func (r Registry) Names() []string {
	names := make([]string, 0, len(r))
	for n := range r {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Load parses and validates a mission file, including each built-in step's
// `with:` block.
func (r Registry) Load(path string) (*mission.Mission, error) {
	m, err := mission.Load(path, mission.Options{Builtins: r.Names()})
	if err != nil {
		return nil, err
	}
	return m, r.Check(m)
}

// Parse is Load for a mission held in memory.
func (r Registry) Parse(file string, src []byte) (*mission.Mission, error) {
	m, err := mission.Parse(file, src, mission.Options{Builtins: r.Names()})
	if err != nil {
		return nil, err
	}
	return m, r.Check(m)
}

// Check runs every built-in step's Check on its `with:` block.
func (r Registry) Check(m *mission.Mission) error {
	var errs mission.Errors
	for _, p := range m.Phases {
		for _, s := range p.Steps {
			if s.Kind != mission.Uses {
				continue
			}
			b, ok := r[s.Uses]
			if !ok {
				continue // the parser already reported it
			}
			err := b.Check(m.File, s.With)
			if err == nil {
				continue
			}
			var mes mission.Errors
			switch e := err.(type) {
			case *mission.Error:
				mes = mission.Errors{e}
			case mission.Errors:
				mes = e
			default:
				mes = mission.Errors{{File: m.File, Msg: s.Uses + ": " + err.Error(), Kind: mission.KindValue}}
			}
			for _, e := range mes {
				// A problem with no node to point at (a step without
				// with:) is the step's.
				if e.Line == 0 {
					e.Line, e.Col = s.Pos.Line, s.Pos.Col
				}
			}
			errs = append(errs, mes...)
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}
