package docs

import (
	"context"
	"fmt"
	"github.com/helios-action/helios-action/internal/markup"
	"path"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/helios-action/helios-action/internal/engine"
	"github.com/helios-action/helios-action/internal/glob"
	"github.com/helios-action/helios-action/internal/mission"
)

// StepName is the `uses:` name of the docs check.
const StepName = "helios/docs"

// DefaultReport is where the report goes in the bundle, without extension.
const DefaultReport = "docs/docs-check"

// Step is the helios/docs built-in:
//
//	steps:
//	  - uses: helios/docs
//	    with:
//	      paths: ["**/*.md"]        # globs in the repository (the default)
//	      exclude: ["vendor/**"]    # besides .git, node_modules, the report root and helios bundles
//	      report: docs/docs-check   # writes docs/docs-check.md and .json in the bundle
//	      fail-on-problems: true    # false: report problems without failing the step
type Step struct{}

// New returns the helios/docs built-in.
func New() *Step { return &Step{} }

var _ engine.Builtin = (*Step)(nil)

// Name implements engine.Builtin.
func (*Step) Name() string { return StepName }

type config struct {
	paths, exclude []string
	report         string
	fail           bool
}

// Check implements engine.Builtin.
func (*Step) Check(file string, with *yaml.Node) error {
	_, err := parseWith(file, with)
	return err
}

func parseWith(file string, with *yaml.Node) (*config, error) {
	c := &config{report: DefaultReport, fail: true}
	if with == nil {
		return c, nil
	}
	if with.Kind != yaml.MappingNode {
		return nil, mission.NodeError(file, with, mission.KindType, "%s: with must be a mapping", StepName)
	}
	var errs mission.Errors
	for i := 0; i+1 < len(with.Content); i += 2 {
		k, v := with.Content[i], with.Content[i+1]
		var err *mission.Error
		switch k.Value {
		case "paths":
			c.paths, err = globList(file, v)
		case "exclude":
			c.exclude, err = globList(file, v)
		case "report":
			c.report, err = reportPath(file, v)
		case "fail-on-problems":
			if v.Kind != yaml.ScalarNode || v.Decode(&c.fail) != nil {
				err = mission.NodeError(file, v, mission.KindType, "%s: fail-on-problems must be true or false", StepName)
			}
		default:
			err = mission.NodeError(file, k, mission.KindUnknownKey,
				"%s: unknown key %q (known: paths, exclude, report, fail-on-problems)", StepName, k.Value)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return c, nil
}

// globList accepts one glob or a list of them.
func globList(file string, v *yaml.Node) ([]string, *mission.Error) {
	var items []*yaml.Node
	switch v.Kind {
	case yaml.ScalarNode:
		items = []*yaml.Node{v}
	case yaml.SequenceNode:
		items = v.Content
	default:
		return nil, mission.NodeError(file, v, mission.KindType, "%s: expected a glob or a list of globs", StepName)
	}
	if len(items) == 0 {
		return nil, mission.NodeError(file, v, mission.KindEmpty, "%s: empty list of globs", StepName)
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		if it.Kind != yaml.ScalarNode {
			return nil, mission.NodeError(file, it, mission.KindType, "%s: a glob must be a string", StepName)
		}
		if err := glob.Valid(it.Value); err != nil {
			return nil, mission.NodeError(file, it, mission.KindValue, "%s: %v", StepName, err)
		}
		out = append(out, it.Value)
	}
	return out, nil
}

func reportPath(file string, v *yaml.Node) (string, *mission.Error) {
	if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
		return "", mission.NodeError(file, v, mission.KindType, "%s: report must be a path", StepName)
	}
	p := v.Value
	if p == "" || path.IsAbs(p) || strings.HasSuffix(p, "/") || path.Clean(p) != p || p == ".." || strings.HasPrefix(p, "../") {
		return "", mission.NodeError(file, v, mission.KindValue,
			"%s: report %q must be a clean relative path in the report root, without extension", StepName, p)
	}
	return p, nil
}

// reportRootRel is the run's report root relative to the workspace: the
// folder the engine writes, which --report-root or the action's input may
// have moved from the mission's own report-root.
func reportRootRel(sc *engine.StepContext) string {
	if sc.ReportRoot != "" {
		if rel, err := filepath.Rel(sc.Workspace, sc.ReportRoot); err == nil && filepath.IsLocal(rel) {
			return filepath.ToSlash(rel)
		}
	}
	return sc.Mission.ReportRoot
}

// Run implements engine.Builtin: it checks the repository's Markdown, writes
// the report into the bundle and fails when there are problems (unless
// fail-on-problems is false). The report's path goes into the step's
// manifest data as "report", for annotations after the run.
func (*Step) Run(ctx context.Context, sc *engine.StepContext) error {
	c, err := parseWith(sc.Mission.File, sc.Step.With)
	if err != nil {
		return err
	}
	exclude := append([]string{}, c.exclude...)
	if rr := reportRootRel(sc); rr != "" && rr != "." {
		// This run's bundle has no manifest.json yet, so findFiles cannot
		// tell it is one.
		exclude = append(exclude, rr+"/**")
	}
	rep, err := Check(ctx, Options{Root: sc.Workspace, Include: c.paths, Exclude: exclude})
	if err != nil {
		return err
	}
	js, err := rep.JSON()
	if err != nil {
		return err
	}
	for _, f := range []struct {
		ext string
		b   []byte
	}{{".md", rep.Markdown()}, {".json", js}} {
		rel := c.report + f.ext
		if err := sc.Bundle.WriteFile(rel, sc.Masker.Bytes(f.b), 0o644); err != nil {
			return fmt.Errorf("docs report: %w", err)
		}
		sc.AddOutput(rel)
	}
	sc.Record("report", c.report+".json")
	sc.Record("files", rep.Files)
	sc.Record("links", rep.Links)
	sc.Record("problems", len(rep.Problems))
	sc.Record("external", len(rep.External))

	fmt.Fprintf(sc.Log, "docs: %d Markdown files, %d relative links, %d external links (not fetched), %d problems\n",
		rep.Files, rep.Links, len(rep.External), len(rep.Problems))
	for _, d := range rep.Bundles {
		fmt.Fprintf(sc.Log, "docs: %s/ holds a helios report bundle: not checked\n", d)
	}
	for _, p := range rep.Problems {
		fmt.Fprintf(sc.Log, "%s:%d: %s [%s]\n", p.File, p.Line, p.Message, p.Kind)
	}
	if len(rep.Problems) > 0 && c.fail {
		return fmt.Errorf("%s in the documentation (report: %s.md)", markup.Plural(len(rep.Problems), "problem"), c.report)
	}
	return nil
}
