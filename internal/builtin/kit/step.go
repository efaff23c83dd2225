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

func parseWith(file string, with *yaml.Node) (*Spec, error) {
	if with == nil || with.Kind != yaml.MappingNode {
		return nil, mission.NodeError(file, with, mission.KindType, "%s: with must be a mapping with name and artefacts", StepName)
	}
	s := &Spec{Graph: true}
	var errs mission.Errors
	add := func(e *mission.Error) {
		if e != nil {
			errs = append(errs, e)
		}
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(with.Content); i += 2 {
		k, v := with.Content[i], with.Content[i+1]
		seen[k.Value] = true
		switch k.Value {
		case "name":
			var e *mission.Error
			if s.Name, e = str(file, v, "name"); e == nil && !kitName.MatchString(s.Name) {
				e = mission.NodeError(file, v, mission.KindValue, "%s: name %q must be a file name (letters, digits, '.', '_', '-')", StepName, s.Name)
			}
			add(e)
		case "title":
			var e *mission.Error
			s.Title, e = str(file, v, "title")
			add(e)
		case "to":
			var e *mission.Error
			if s.To, e = str(file, v, "to"); e == nil {
				if s.To = strings.TrimSuffix(s.To, "/"); s.To == "." {
					s.To = ""
				}
				if s.To != "" && (path.IsAbs(s.To) || path.Clean(s.To) != s.To || s.To == ".." || strings.HasPrefix(s.To, "../")) {
					e = mission.NodeError(file, v, mission.KindValue, "%s: to %q must be a clean relative folder in the report root", StepName, s.To)
				}
			}
			add(e)
		case "artefacts":
			add(parseArtefacts(file, v, s))
		case "checklist":
			if v.Kind != yaml.SequenceNode {
				add(mission.NodeError(file, v, mission.KindType, "%s: checklist must be a list of strings", StepName))
				continue
			}
			for _, it := range v.Content {
				c, e := str(file, it, "checklist item")
				add(e)
				s.Checklist = append(s.Checklist, c)
			}
		case "references":
			if v.Kind != yaml.SequenceNode {
				add(mission.NodeError(file, v, mission.KindType, "%s: references must be a list", StepName))
				continue
			}
			for _, it := range v.Content {
				r, e := parseReference(file, it)
				add(e)
				s.References = append(s.References, r)
			}
		case "graph":
			if v.Kind != yaml.ScalarNode || v.Decode(&s.Graph) != nil {
				add(mission.NodeError(file, v, mission.KindType, "%s: graph must be true or false", StepName))
			}
		default:
			add(mission.NodeError(file, k, mission.KindUnknownKey,
				"%s: unknown key %q (known: name, title, to, artefacts, checklist, references, graph)", StepName, k.Value))
		}
	}
	for _, req := range []string{"name", "artefacts"} {
		if !seen[req] {
			add(mission.NodeError(file, with, mission.KindMissing, "%s: %s is required", StepName, req))
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return s, nil
}

func str(file string, v *yaml.Node, what string) (string, *mission.Error) {
	if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
		return "", mission.NodeError(file, v, mission.KindType, "%s: %s must be a string", StepName, what)
	}
	if v.Value == "" {
		return "", mission.NodeError(file, v, mission.KindEmpty, "%s: %s is empty", StepName, what)
	}
	return v.Value, nil
}

func parseArtefacts(file string, v *yaml.Node, s *Spec) *mission.Error {
	if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
		return mission.NodeError(file, v, mission.KindType, "%s: artefacts must be a non-empty list of {key, path, description}", StepName)
	}
	keys := map[string]bool{}
	for _, it := range v.Content {
		if it.Kind != yaml.MappingNode {
			return mission.NodeError(file, it, mission.KindType, "%s: an artefact is a mapping {key, path, description, optional}", StepName)
		}
		var a ArtefactSpec
		var keyNode *yaml.Node
		for i := 0; i+1 < len(it.Content); i += 2 {
			k, val := it.Content[i], it.Content[i+1]
			var e *mission.Error
			switch k.Value {
			case "key":
				a.Key, e = str(file, val, "key")
				keyNode = val
			case "path":
				if a.Path, e = str(file, val, "path"); e == nil {
					if err := glob.Valid(strings.TrimSuffix(a.Path, "/")); err != nil {
						e = mission.NodeError(file, val, mission.KindValue, "%s: %v", StepName, err)
					}
				}
			case "description":
				a.Description, e = str(file, val, "description")
			case "optional":
				if val.Kind != yaml.ScalarNode || val.Decode(&a.Optional) != nil {
					e = mission.NodeError(file, val, mission.KindType, "%s: optional must be true or false", StepName)
				}
			default:
				e = mission.NodeError(file, k, mission.KindUnknownKey, "%s: unknown artefact key %q (known: key, path, description, optional)", StepName, k.Value)
			}
			if e != nil {
				return e
			}
		}
		if a.Key == "" || a.Path == "" {
			return mission.NodeError(file, it, mission.KindMissing, "%s: an artefact needs key and path", StepName)
		}
		if keys[a.Key] {
			return mission.NodeError(file, keyNode, mission.KindDuplicate, "%s: artefact key %q given twice", StepName, a.Key)
		}
		keys[a.Key] = true
		s.Artefacts = append(s.Artefacts, a)
	}
	return nil
}

func parseReference(file string, v *yaml.Node) (Reference, *mission.Error) {
	switch v.Kind {
	case yaml.ScalarNode:
		u, e := str(file, v, "reference")
		return Reference{Title: u, URL: u}, e
	case yaml.MappingNode:
		var r Reference
		for i := 0; i+1 < len(v.Content); i += 2 {
			k, val := v.Content[i], v.Content[i+1]
			var e *mission.Error
			switch k.Value {
			case "title":
				r.Title, e = str(file, val, "reference title")
			case "url":
				r.URL, e = str(file, val, "reference url")
			default:
				e = mission.NodeError(file, k, mission.KindUnknownKey, "%s: unknown reference key %q (known: title, url)", StepName, k.Value)
			}
			if e != nil {
				return r, e
			}
		}
		if r.URL == "" {
			return r, mission.NodeError(file, v, mission.KindMissing, "%s: a reference needs url", StepName)
		}
		if r.Title == "" {
			r.Title = r.URL
		}
		return r, nil
	}
	return Reference{}, mission.NodeError(file, v, mission.KindType, "%s: a reference is a string or {title, url}", StepName)
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
