package kit

import (
	"context"
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/helios-action/helios-action/internal/engine"
	"github.com/helios-action/helios-action/internal/glob"
	"github.com/helios-action/helios-action/internal/ledger"
	"github.com/helios-action/helios-action/internal/manifest"
	"github.com/helios-action/helios-action/internal/mission"
)

// StepName is the `uses:` name of the governance kit.
const StepName = "helios/kit"

// alwaysVolatile are volatile in every bundle (the engine's own list).
var alwaysVolatile = []string{manifest.FileName, "logs/**"}

// Step is the helios/kit built-in:
//
//	steps:
//	  - uses: helios/kit
//	    with:
//	      name: helios-asi-takeoff-kit     # writes <to>/<name>.json and .md (required)
//	      to: asi-takeoff                  # folder in the report root (default: the root)
//	      title: asi-takeoff governance kit
//	      artefacts:                       # required, in this order
//	        - key: plan
//	          path: asi-takeoff/project-plan.json   # a file, a folder or a glob in the report root
//	          description: The mission's project plan
//	        - key: receipts
//	          path: "asi-takeoff/*.json"
//	          optional: true               # no match is not an error
//	      checklist: [Owner signs the parameter matrix]
//	      references:
//	        - docs/runbook.md                        # a string is title and URL
//	        - {title: Upstream runbook, url: https://github.com/MontrealAI/AGIJobsv0}
//	      graph: true                      # the phase graph (default true)
type Step struct{}

// New returns the helios/kit built-in.
func New() *Step { return &Step{} }

var _ engine.Builtin = (*Step)(nil)

// Name implements engine.Builtin.
func (*Step) Name() string { return StepName }

// Check implements engine.Builtin.
func (*Step) Check(file string, with *yaml.Node) error {
	_, err := parseWith(file, with)
	return err
}

var kitName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// config is the step's `with:` block.
type config struct {
	Name       string      `with:"name,required,nonempty"`
	Title      string      `with:"title,nonempty"`
	To         string      `with:"to,nonempty"`
	Artefacts  artefacts   `with:"artefacts,required"`
	Checklist  []string    `with:"checklist,nonempty"`
	References []Reference `with:"references,item=reference"`
	Graph      bool        `with:"graph"`
}

func parseWith(file string, node *yaml.Node) (*Spec, error) {
	w := config{Graph: true}
	err := mission.DecodeWith(file, StepName, node, &w)
	var errs mission.Errors
	if err != nil {
		errs, _ = mission.AsErrors(err)
	}
	// The values a type cannot check, in the order of the keys above.
	if w.Name != "" && !kitName.MatchString(w.Name) {
		errs = append(errs, mission.NodeError(file, mission.ValueNode(node, "name"), mission.KindValue, "%s: name %q must be a file name (letters, digits, '.', '_', '-')", StepName, w.Name))
	}
	if w.To = strings.TrimSuffix(w.To, "/"); w.To == "." {
		w.To = ""
	}
	if w.To != "" && (path.IsAbs(w.To) || path.Clean(w.To) != w.To || w.To == ".." || strings.HasPrefix(w.To, "../")) {
		errs = append(errs, mission.NodeError(file, mission.ValueNode(node, "to"), mission.KindValue, "%s: to %q must be a clean relative folder in the report root", StepName, w.To))
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return &Spec{Name: w.Name, Title: w.Title, To: w.To, Artefacts: w.Artefacts, Checklist: w.Checklist, References: w.References, Graph: w.Graph}, nil
}

// artefacts is the artefacts key: a non-empty list with unique keys.
type artefacts []ArtefactSpec

// UnmarshalWith implements mission.WithUnmarshaler. It stops at the first
// artefact in error: the ones after it would be judged against a list that
// is already wrong.
func (as *artefacts) UnmarshalWith(d *mission.WithDecoder, n *yaml.Node, _ string) bool {
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		d.Errorf(n, mission.KindType, "artefacts must be a non-empty list of {key, path, description}")
		return false
	}
	keys := map[string]bool{}
	for _, it := range n.Content {
		var a ArtefactSpec
		if !d.Decode(it, "artefact", &a) {
			return false
		}
		if keys[a.Key] {
			d.Errorf(mission.ValueNode(it, "key"), mission.KindDuplicate, "artefact key %q given twice", a.Key)
			return false
		}
		keys[a.Key] = true
		*as = append(*as, a)
	}
	return true
}

// UnmarshalWith implements mission.WithUnmarshaler: an artefact is a
// mapping {key, path, description, optional} with a key and a path.
func (a *ArtefactSpec) UnmarshalWith(d *mission.WithDecoder, n *yaml.Node, what string) bool {
	if n.Kind != yaml.MappingNode {
		d.Errorf(n, mission.KindType, "an artefact is a mapping {key, path, description, optional}")
		return false
	}
	var f struct {
		Key         string `with:"key,nonempty"`
		Path        string `with:"path,nonempty"`
		Description string `with:"description,nonempty"`
		Optional    bool   `with:"optional"`
	}
	if !d.Decode(n, what, &f) {
		return false
	}
	if f.Key == "" || f.Path == "" {
		d.Errorf(n, mission.KindMissing, "an artefact needs key and path")
		return false
	}
	if err := glob.Valid(strings.TrimSuffix(f.Path, "/")); err != nil {
		d.Errorf(mission.ValueNode(n, "path"), mission.KindValue, "%v", err)
		return false
	}
	*a = ArtefactSpec{Key: f.Key, Path: f.Path, Description: f.Description, Optional: f.Optional}
	return true
}

// UnmarshalWith implements mission.WithUnmarshaler: a reference is a URL
// (which is also its title) or a mapping {title, url}.
func (r *Reference) UnmarshalWith(d *mission.WithDecoder, n *yaml.Node, what string) bool {
	switch n.Kind {
	case yaml.ScalarNode:
		var u string
		if !d.Decode(n, what, &u) {
			return false
		}
		if u == "" {
			d.Errorf(n, mission.KindEmpty, "%s is empty", what)
			return false
		}
		*r = Reference{Title: u, URL: u}
		return true
	case yaml.MappingNode:
		var f struct {
			Title string `with:"title,nonempty"`
			URL   string `with:"url,nonempty"`
		}
		if !d.Decode(n, what, &f) {
			return false
		}
		if f.URL == "" {
			d.Errorf(n, mission.KindMissing, "a reference needs url")
			return false
		}
		if f.Title == "" {
			f.Title = f.URL
		}
		*r = Reference{Title: f.Title, URL: f.URL}
		return true
	}
	d.Errorf(n, mission.KindType, "a reference is a string or {title, url}")
	return false
}

// outputs are the two files a kit spec writes, relative to the report root.
func (s *Spec) outputs() []string {
	return []string{path.Join(s.To, s.Name+".json"), path.Join(s.To, s.Name+".md")}
}

// Run implements engine.Builtin: it hashes the artefacts and writes the kit.
// It never lists itself, the files of any other kit of the mission (which
// may be being written at the same moment in another phase), the ledger or
// index.html, which come after the phases.
func (*Step) Run(ctx context.Context, sc *engine.StepContext) error {
	spec, err := parseWith(sc.Mission.File, sc.Step.With)
	if err != nil {
		return err
	}
	excluded := map[string]bool{ledger.FileName: true, "index.html": true}
	for _, ph := range sc.Mission.Phases {
		for _, st := range ph.Steps {
			if st.Kind != mission.Uses || st.Uses != StepName {
				continue
			}
			if other, err := parseWith(sc.Mission.File, st.With); err == nil {
				for _, o := range other.outputs() {
					excluded[o] = true
				}
			}
		}
	}
	for _, o := range spec.outputs() {
		excluded[o] = true
	}
	var phases []GraphPhase
	for _, p := range sc.Mission.Order() {
		phases = append(phases, GraphPhase{Name: p.Name, Needs: nonNil(p.Needs)})
	}
	// Read through the held root, so a root a step swapped is not followed.
	k, err := Build(sc.Bundle.ReadPath(), *spec, Options{
		Volatile: append(append([]string{}, alwaysVolatile...), sc.Mission.Volatile...),
		Exclude:  func(rel string) bool { return excluded[rel] },
		Mission:  Mission{Name: sc.Mission.Name, File: filepath.ToSlash(filepath.Base(sc.Mission.File)), SHA256: sc.Mission.Digest, Network: sc.Network},
		Phases:   phases,
	})
	if err != nil {
		return err
	}
	js, err := k.JSON()
	if err != nil {
		return err
	}
	outs := spec.outputs()
	for i, b := range [][]byte{js, k.Markdown()} {
		if err := sc.Bundle.WriteFile(outs[i], sc.Masker.Bytes(b), 0o644); err != nil {
			return fmt.Errorf("write kit: %w", err)
		}
		sc.AddOutput(outs[i])
	}
	files := 0
	for _, a := range k.Artefacts {
		files += max(len(a.Entries), btoi(a.Type == TypeFile))
	}
	sc.Record("artefacts", len(k.Artefacts))
	sc.Record("files", files)
	fmt.Fprintf(sc.Log, "kit %s: %d artefacts, %d files → %s, %s\n", spec.Name, len(k.Artefacts), files, outs[0], outs[1])
	return nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
