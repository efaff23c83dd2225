package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/helios-action/helios-action/internal/glob"
	"github.com/helios-action/helios-action/internal/golden"
)

// TestDefaultPlan keeps the resolved built-in drill, every command in
// order, as a golden file: a change to it is a change users see.
func TestDefaultPlan(t *testing.T) {
	res := run(t, t.TempDir(), nil, "plan")
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	golden.Assert(t, filepath.Join("testdata", "default-plan.txt"), res.stdout)
}

// TestDefaultMissionOnUpstreamFixture runs the built-in drill end to end on
// a tree whose package.json scripts stand in for the upstream ones: they
// record their argv and write the files the real ones would.
func TestDefaultMissionOnUpstreamFixture(t *testing.T) {
	needStandIn(t)
	ws := workspace(t, "upstream")
	// The dev chain writes config/ in upstream's formats, as the upstream
	// repository holds it.
	url := startChainArgs(t, "--config-dir", filepath.Join(ws, "config"))
	res := run(t, ws, rpcEnv(url), "run")
	if res.code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	}
	root := filepath.Join(ws, "reports/helios-omniversal-symphony")
	sha256sumCheck(t, root)
	validateManifest(t, root)

	// Every upstream command, with the arguments it got (the workspace
	// path replaced, so the golden file holds anywhere).
	calls, err := filepath.Glob(filepath.Join(ws, ".calls", "*.args"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(calls)
	var b strings.Builder
	for _, c := range calls {
		b.WriteString("== " + strings.TrimSuffix(filepath.Base(c), ".args") + "\n")
		b.WriteString(strings.ReplaceAll(readFile(t, c), ws, "$WORKSPACE"))
	}
	golden.Assert(t, filepath.Join("testdata", "default-calls.txt"), b.String())

	// The bundle's layout: upstream's, minus the logs whose names carry
	// nothing new.
	var names []string
	for _, l := range ledgerLines(t, root) {
		names = append(names, l[66:])
	}
	golden.Assert(t, filepath.Join("testdata", "default-bundle.txt"), strings.Join(names, "\n")+"\n")

	if _, err := os.Stat(filepath.Join(root, "asi-global/helios-asi-global-kit.json")); err != nil {
		t.Errorf("the asi-global kit was not written (--output-name): %v", err)
	}
	digest := readFile(t, filepath.Join(root, "governance-digest.md"))
	// The names as the kit's Markdown escapes them.
	for _, want := range []string{`chain/token\-metadata\.md`, `owner/thermodynamics\.md`, `asi\-global/helios\-asi\-global\-kit\.json`} {
		if !strings.Contains(digest, want) {
			t.Errorf("the governance digest does not list %s", want)
		}
	}
}

// TestDefaultMissionWithoutRPC runs the built-in drill on the stand-in tree
// as a user of the upstream repository would first run it: no RPC endpoint.
// Every phase succeeds, the chain pre-flight is skipped with its reason, and
// a second run differs from the first only in files the drill declares
// volatile (the stand-in stamps the time where upstream's scripts do), so
// fail-on-drift passes on an unchanged commit.
func TestDefaultMissionWithoutRPC(t *testing.T) {
	needStandIn(t)
	ws := workspace(t, "upstream")
	root := filepath.Join(ws, "reports/helios-omniversal-symphony")
	first := filepath.Join(t.TempDir(), "first")
	for i := range 2 {
		res := run(t, ws, nil, "run")
		if res.code != 0 {
			t.Fatalf("run %d: exit %d\nstdout:\n%s\nstderr:\n%s", i+1, res.code, res.stdout, res.stderr)
		}
		if i == 0 {
			copyTree(t, root, first)
			time.Sleep(10 * time.Millisecond) // a later stamp, whatever the clock's grain
		}
	}
	sha256sumCheck(t, root)
	m := readManifest(t, root)
	for name, st := range phaseStatus(m) {
		if st != "success" {
			t.Errorf("phase %s: %s, want success", name, st)
		}
	}
	tok := stepByID(m, "preflight", "token-metadata")
	if tok == nil || tok.Status != "skipped" || !strings.Contains(tok.SkipReason, "no RPC endpoint: chain pre-flight skipped") {
		t.Errorf("token step: %+v, want skipped with the no-endpoint reason", tok)
	}
	// The docs phase read the stand-in's docs/ (a wrong paths glob would
	// check nothing and pass).
	if st := stepByID(m, "docs", "documentation-links"); st == nil || st.Data["files"] != float64(1) || st.Data["problems"] != float64(0) {
		t.Errorf("docs step: %+v, want 1 file checked, no problems", st)
	}
	digest := readFile(t, filepath.Join(root, "governance-digest.md"))
	if !strings.Contains(digest, `owner/command\-center\-bundle`) {
		t.Errorf("the governance digest does not name the command-center bundle the runbook expects")
	}

	res := run(t, ws, nil, "diff", first, root, "--fail-on-drift", "--format", "json")
	if res.code != 0 {
		t.Fatalf("diff of two runs: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	var d struct {
		Drift    bool
		Volatile []struct{ Name, Kind string }
	}
	if err := json.Unmarshal([]byte(res.stdout), &d); err != nil {
		t.Fatalf("%v\n%s", err, res.stdout)
	}
	changed := map[string]bool{}
	for _, f := range d.Volatile {
		if f.Kind == "changed" {
			changed[f.Name] = true
		}
	}
	// Upstream writes these the same on every run: declared volatile, they
	// would hide real drift.
	for _, p := range []string{"owner/command-center.md", "owner/thermodynamics.md", "asi-global/governance.mmd", "asi-global/command-center.md", "asi-takeoff/project-plan.json", "chain/token-metadata.md", "docs/docs-check.md", "governance-digest.json"} {
		if glob.MatchAny(m.Volatile, p) {
			t.Errorf("%s is declared volatile, but upstream's script writes it the same on every run", p)
		}
	}
	// The stand-in stamps these as upstream does; had they not changed, the
	// diff above would prove nothing about the drill's volatile list.
	for _, p := range []string{"owner/mission-control.md", "owner/parameter-matrix.md", "asi-global/governance.md", "asi-takeoff/dry-run.json", "asi-global/helios-asi-global-kit.json", "asi-takeoff/local/receipts/deploy.json"} {
		if !changed[p] {
			t.Errorf("%s did not change between runs as a volatile file; diff:\n%s", p, res.stdout)
		}
	}
}

// needStandIn skips a test of the upstream stand-in where its tools are
// missing: npm runs its scripts, and its local rehearsal waits for a node
// with nc as upstream's does. CI installs both (.ci/run).
func needStandIn(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"npm", "nc"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
}
