package e2e

import (
	"errors"
	"fmt"
	"go/build"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/helios-action/helios-action/internal/golden"
)

const module = "github.com/helios-action/helios-action/"

// layer is one place in the picture of the imports: every package of the
// module is in exactly one, so a new package fails TestImports until it is
// given its place (and the picture in docs/architecture.md says where).
type layer struct {
	id, title string
	why       string
	pkgs      []string
}

var layers = []layer{
	{"entry", "Entry points", "thin mains and the command line", []string{
		"cmd/action", "cmd/demo", "cmd/devchain", "internal/cli",
	}},
	{"reporters", "Reporters", "what the action does after the mission: outputs, annotations, upload, summary, comment, check run, status; and the bundle's index.html", []string{
		"internal/action", "internal/report", "internal/site",
	}},
	{"builtins", "Built-ins", "the `uses: helios/…` steps, one package each, wired in one registry", []string{
		"internal/builtin", "internal/builtin/chainstep", "internal/builtin/docs", "internal/builtin/identity",
		"internal/builtin/kit", "internal/builtin/pause", "internal/builtin/state", "internal/builtin/token",
	}},
	{"services", "Outside services", "clients of what helios talks to over the network, and their one retry policy", []string{
		"internal/ghapi", "internal/artifact", "internal/chain", "internal/retry",
	}},
	{"core", "Engine and bundle", "the mission, its run, and the bundle it leaves", []string{
		"internal/engine", "internal/mission", "internal/supervise", "internal/attest", "internal/ledger", "internal/manifest",
		"internal/bundlefs", "internal/bundlezip", "internal/merge", "internal/diff", "internal/mask", "internal/glob", "internal/regular",
		"internal/markup", "internal/envseal", "internal/interrupt", "internal/exitcode", "internal/owner",
	}},
	{"tools", "Test and development tools", "never imported by the production binary", []string{
		"e2e", "internal/devchain", "internal/golden", "internal/ghapi/ghtest", "internal/artifact/artifacttest",
		"internal/artifact/cmd/benchupload", "internal/merge/cmd/benchshards", "internal/actionyml", "scripts/upstream-contract",
	}},
}

// rule is one thing the picture promises: imports of the packages matched
// by to come only from packages matched by from.
type rule struct {
	what     string
	to, from func(string) bool
}

func pkgsUnder(prefixes ...string) func(string) bool {
	return func(p string) bool {
		for _, pre := range prefixes {
			if p == pre || strings.HasPrefix(p, pre+"/") {
				return true
			}
		}
		return false
	}
}

func inLayer(ids ...string) func(string) bool {
	return func(p string) bool { return slices.Contains(ids, layerOf(p)) }
}

func layerOf(p string) string {
	for _, l := range layers {
		if slices.Contains(l.pkgs, p) {
			return l.id
		}
	}
	return ""
}

var rules = []rule{
	{"a built-in is named only by the registry and the other built-ins",
		func(p string) bool { return strings.HasPrefix(p, "internal/builtin/") },
		pkgsUnder("internal/builtin")},
	{"the registry of built-ins is wired in by the mains alone",
		func(p string) bool { return p == "internal/builtin" },
		pkgsUnder("cmd")},
	{"the GitHub and artifact clients are used by the action alone",
		pkgsUnder("internal/ghapi", "internal/artifact"),
		func(p string) bool {
			return p == "internal/action" || strings.HasPrefix(p, "internal/artifact/") || p == "internal/merge/cmd/benchshards"
		}},
	{"the chain client is used by the built-ins alone",
		pkgsUnder("internal/chain"), pkgsUnder("internal/builtin")},
	{"the retry policy is the outside services' own",
		pkgsUnder("internal/retry"), pkgsUnder("internal/ghapi", "internal/artifact", "internal/chain")},
	{"the reporters are called by the entry points alone",
		inLayer("reporters"), func(p string) bool { return inLayer("entry")(p) || p == "internal/action" }},
	{"test and development tools stay out of production code",
		func(p string) bool { return inLayer("tools")(p) && p != "internal/actionyml" }, inLayer("tools", "entry")},
}

// TestImports checks the layering the code relies on and keeps the picture
// of it in docs/architecture.md (-update rewrites the file).
func TestImports(t *testing.T) {
	imports, err := moduleImports("..")
	if err != nil {
		t.Fatal(err)
	}
	if len(imports) < 20 {
		t.Fatalf("go list found %d packages; the checks would pass vacuously", len(imports))
	}
	for p := range imports {
		if layerOf(p) == "" {
			t.Errorf("package %s has no place in the picture: add it to a layer in e2e/imports_test.go", p)
		}
	}
	for _, l := range layers {
		for _, p := range l.pkgs {
			if _, ok := imports[p]; !ok {
				t.Errorf("layer %q names %s, which no longer exists", l.id, p)
			}
		}
	}
	for _, r := range rules {
		for p, imps := range imports {
			for _, imp := range imps {
				if r.to(imp) && !r.from(p) {
					t.Errorf("%s imports %s, but %s", p, imp, r.what)
				}
			}
		}
	}
	golden.Assert(t, "../docs/architecture.md", architecture(imports))
}

// moduleImports reads the imports of every package of the module under
// root, as go/build sees them for this platform (test files aside), keyed
// by the path relative to the module. It reads the files in process, so
// that go test's cache sees them and a changed import reruns the test.
func moduleImports(root string) (map[string][]string, error) {
	imports := map[string][]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		name := d.Name()
		if path != root && (name == "testdata" || name == "node_modules" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
			return filepath.SkipDir
		}
		pkg, err := build.ImportDir(path, 0)
		var noGo *build.NoGoError
		if errors.As(err, &noGo) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		imports[key] = []string{}
		for _, imp := range pkg.Imports {
			if strings.HasPrefix(imp, module) {
				imports[key] = append(imports[key], strings.TrimPrefix(imp, module))
			}
		}
		return nil
	})
	return imports, err
}

// architecture renders docs/architecture.md: each layer as a box of its
// packages, and an arrow where a layer imports another, labelled with the
// number of imports. Test tools import everything and are left out of the
// arrows.
func architecture(imports map[string][]string) string {
	var b strings.Builder
	b.WriteString(`# Architecture

How the packages depend on each other: each layer is one place, and an arrow says that a layer
imports another (its label: how many imports). This page is generated by ` + "`e2e/imports_test.go`" + `,
which also fails when an import breaks one of the rules below or when a new package has no place;
` + "`go test ./e2e -run TestImports -update`" + ` rewrites it.

` + "```mermaid\nflowchart TD\n")
	for _, l := range layers {
		if l.id == "tools" {
			continue
		}
		fmt.Fprintf(&b, "  subgraph %s[\"%s\"]\n", l.id, l.title)
		for _, p := range l.pkgs {
			fmt.Fprintf(&b, "    %s[\"%s\"]\n", strings.NewReplacer("/", "_", "-", "_").Replace(p), p)
		}
		b.WriteString("  end\n")
	}
	for _, from := range layers {
		for _, to := range layers {
			if from.id == to.id || from.id == "tools" || to.id == "tools" {
				continue
			}
			n := 0
			for _, p := range from.pkgs {
				for _, imp := range imports[p] {
					if layerOf(imp) == to.id {
						n++
					}
				}
			}
			if n > 0 {
				fmt.Fprintf(&b, "  %s -- %d --> %s\n", from.id, n, to.id)
			}
		}
	}
	b.WriteString("```\n\n## Layers\n\n")
	for _, l := range layers {
		fmt.Fprintf(&b, "- **%s**: %s. ", l.title, l.why)
		for i, p := range l.pkgs {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "`%s`", p)
		}
		b.WriteString(".\n")
	}
	b.WriteString("\n## Rules the test keeps\n\n")
	for _, r := range rules {
		fmt.Fprintf(&b, "- %s.\n", strings.ToUpper(r.what[:1])+r.what[1:])
	}
	b.WriteString(`
Reporters find what a built-in can do beyond running by its capabilities (` + "`engine.Annotator`" + `,
looked up in the registry by the step's ` + "`uses:`" + `), so no reporter names a built-in.
`)
	return b.String()
}
