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

// config is the step's `with:` block.
type config struct {
	Paths   globs      `with:"paths"`
	Exclude globs      `with:"exclude"`
	Report  reportPath `with:"report"`
	Fail    bool       `with:"fail-on-problems"`
}

// Check implements engine.Builtin.
func (*Step) Check(file string, with *yaml.Node) error {
	_, err := parseWith(file, with)
	return err
}

func parseWith(file string, with *yaml.Node) (*config, error) {
	c := &config{Report: DefaultReport, Fail: true}
	if err := mission.DecodeWith(file, StepName, with, c); err != nil {
		return nil, err
	}
	return c, nil
}

// globs is one glob or a list of them.
type globs []string

// UnmarshalWith implements mission.WithUnmarshaler.
func (g *globs) UnmarshalWith(d *mission.WithDecoder, n *yaml.Node, _ string) bool {
	items := []*yaml.Node{n}
	switch n.Kind {
	case yaml.ScalarNode:
	case yaml.SequenceNode:
		items = n.Content
	default:
		d.Errorf(n, mission.KindType, "expected a glob or a list of globs")
		return false
	}
	if len(items) == 0 {
		d.Errorf(n, mission.KindEmpty, "empty list of globs")
		return false
	}
	out := make(globs, 0, len(items))
	for _, it := range items {
		var s string
		if !d.Decode(it, "a glob", &s) {
			return false
		}
		if err := glob.Valid(s); err != nil {
			d.Errorf(it, mission.KindValue, "%v", err)
			return false
		}
		out = append(out, s)
	}
	*g = out
	return true
}

// reportPath is where the report goes in the bundle, without extension.
type reportPath string

// UnmarshalWith implements mission.WithUnmarshaler.
func (r *reportPath) UnmarshalWith(d *mission.WithDecoder, n *yaml.Node, _ string) bool {
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		d.Errorf(n, mission.KindType, "report must be a path")
		return false
	}
	var p string
	if !d.Decode(n, "report", &p) {
		return false
	}
	if p == "" || path.IsAbs(p) || strings.HasSuffix(p, "/") || path.Clean(p) != p || p == ".." || strings.HasPrefix(p, "../") {
		d.Errorf(n, mission.KindValue, "report %q must be a clean relative path in the report root, without extension", p)
		return false
	}
	*r = reportPath(p)
	return true
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
	report := string(c.Report)
	exclude := append([]string{}, c.Exclude...)
	if rr := reportRootRel(sc); rr != "" && rr != "." {
		// This run's bundle has no manifest.json yet, so findFiles cannot
		// tell it is one.
		exclude = append(exclude, rr+"/**")
	}
	rep, err := Check(ctx, Options{Root: sc.Workspace, Include: c.Paths, Exclude: exclude})
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
		rel := report + f.ext
		if err := sc.Bundle.WriteFile(rel, sc.Masker.Bytes(f.b), 0o644); err != nil {
			return fmt.Errorf("docs report: %w", err)
		}
		sc.AddOutput(rel)
	}
	sc.Record("report", report+".json")
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
	if len(rep.Problems) > 0 && c.Fail {
		return fmt.Errorf("%s in the documentation (report: %s.md)", markup.Plural(len(rep.Problems), "problem"), report)
	}
	return nil
}
