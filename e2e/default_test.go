package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestDefaultPlan keeps the resolved built-in drill, every command in
// order, as a golden file: a change to it is a change users see.
func TestDefaultPlan(t *testing.T) {
	res := run(t, t.TempDir(), nil, "plan")
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	golden(t, "default-plan.txt", []byte(res.stdout))
}

// TestDefaultMissionOnUpstreamFixture runs the built-in drill end to end on
// a tree whose package.json scripts stand in for the upstream ones: they
// record their argv and write the files the real ones would.
func TestDefaultMissionOnUpstreamFixture(t *testing.T) {
	if _, err := exec.LookPath("npm"); err != nil {
		t.Skip("npm is not installed")
	}
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
	golden(t, "default-calls.txt", []byte(b.String()))

	// The bundle's layout: upstream's, minus the logs whose names carry
	// nothing new.
	var names []string
	for _, l := range ledgerLines(t, root) {
		names = append(names, l[66:])
	}
	golden(t, "default-bundle.txt", []byte(strings.Join(names, "\n")+"\n"))

	if _, err := os.Stat(filepath.Join(root, "asi-global/helios-asi-global-kit.json")); err != nil {
		t.Errorf("the asi-global kit was not written (--output-name): %v", err)
	}
	digest := readFile(t, filepath.Join(root, "governance-digest.md"))
	for _, want := range []string{"chain/token-metadata.md", "owner/thermodynamics.md", "asi-global/helios-asi-global-kit.json"} {
		if !strings.Contains(digest, want) {
			t.Errorf("the governance digest does not list %s", want)
		}
	}
}
