package action

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/sethvargo/go-githubactions"

	"github.com/helios-action/helios-action/internal/actionyml"
)

// loadActionYML checks the repository's action.yml as the runner loads it.
func loadActionYML(t *testing.T) (*actionyml.Metadata, []actionyml.Problem) {
	t.Helper()
	data, err := os.ReadFile("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	md, problems, err := actionyml.Check(data)
	if err != nil {
		t.Fatal(err)
	}
	return md, problems
}

// TestActionYMLLoads: the runner would load action.yml (no expression
// where it evaluates none, no unknown key), and its runs section starts
// `helios action` from the Dockerfile or a release's pinned image.
func TestActionYMLLoads(t *testing.T) {
	md, problems := loadActionYML(t)
	for _, p := range problems {
		t.Errorf("action.yml:%s", p)
	}
	if !slices.Equal(md.Args, []string{"action"}) {
		t.Errorf("runs.args %q, want [action]: the container's entrypoint is helios and `action` its subcommand", md.Args)
	}
	switch {
	case md.Image == "Dockerfile":
		if _, err := os.Stat("../../Dockerfile"); err != nil {
			t.Errorf("runs.image Dockerfile: %v", err)
		}
	case strings.HasPrefix(md.Image, "docker://") && strings.Contains(md.Image, "@sha256:"):
		// A release commit (release.yml) pins the prebuilt image.
	default:
		t.Errorf("runs.image %q: want Dockerfile, or docker://IMAGE@sha256:… on a release commit", md.Image)
	}
}

// TestInputsDeclared: every input the action reads is declared (an
// undeclared one is always empty, and actionlint refuses it in `with:`),
// and every declared input is read.
func TestInputsDeclared(t *testing.T) {
	md, _ := loadActionYML(t)
	declared := md.InputNames()

	// What readInputs asks the environment for.
	read := map[string]bool{}
	getenv := func(k string) string {
		if name, ok := strings.CutPrefix(k, "INPUT_"); ok {
			read[strings.ToLower(name)] = true
		}
		return ""
	}
	if _, err := readInputs(githubactions.New(githubactions.WithGetenv(getenv), githubactions.WithWriter(io.Discard))); err != nil {
		t.Fatal(err)
	}
	// And what the rest of the package reads by name.
	for _, lit := range stringLiterals(t, func(s string) bool { return strings.HasPrefix(s, "INPUT_") }) {
		read[strings.ToLower(strings.TrimPrefix(lit, "INPUT_"))] = true
	}
	for name := range read {
		if !slices.Contains(declared, name) {
			t.Errorf("the action reads input %q, which action.yml does not declare", name)
		}
	}
	for _, name := range declared {
		if !read[name] {
			t.Errorf("action.yml declares input %q, which the action never reads", name)
		}
	}
}

// TestOutputsDeclared: every output the code sets is declared in
// action.yml, and every declared output is set somewhere. The e2e tests
// check that a pull-request run writes all of them through GITHUB_OUTPUT.
func TestOutputsDeclared(t *testing.T) {
	md, _ := loadActionYML(t)
	set := outputsSet(t)
	for _, name := range set {
		if !slices.Contains(md.Outputs, name) {
			t.Errorf("the action sets output %q, which action.yml does not declare", name)
		}
	}
	for _, name := range md.Outputs {
		if !slices.Contains(set, name) {
			t.Errorf("action.yml declares output %q, which the action never sets", name)
		}
	}
}

// packageFiles parses the package's own (non-test) sources.
func packageFiles(t *testing.T) []*ast.File {
	t.Helper()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, n := range names {
		if strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, n, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	return files
}

// outputsSet lists the names passed to outputs.set. A name that is not a
// string literal would hide from this test, so it fails instead.
func outputsSet(t *testing.T) []string {
	t.Helper()
	seen := map[string]bool{}
	for _, f := range packageFiles(t) {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "set" || len(call.Args) != 2 {
				return true
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				t.Errorf("outputs are set by a literal name (so that this test sees them), not %T", call.Args[0])
				return true
			}
			name, _ := strconv.Unquote(lit.Value)
			seen[name] = true
			return true
		})
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	if len(out) == 0 {
		t.Fatal("found no outputs.set call: the test no longer matches the code")
	}
	return out
}

// stringLiterals lists the package's string literals that keep.
func stringLiterals(t *testing.T, keep func(string) bool) []string {
	t.Helper()
	var out []string
	for _, f := range packageFiles(t) {
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if s, err := strconv.Unquote(lit.Value); err == nil && keep(s) {
					out = append(out, s)
				}
			}
			return true
		})
	}
	return out
}
