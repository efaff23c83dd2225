package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/helios-action/helios-action/internal/manifest"
)

const exampleRoot = "reports/helios-omniversal-symphony"

// TestExampleMission is the README's first run: the example mission, every
// phase, and a bundle that coreutils verifies.
func TestExampleMission(t *testing.T) {
	ws := workspace(t, "example")
	res := run(t, ws, rpcEnv(startChain(t, "")), "run")
	if res.code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	}
	root := filepath.Join(ws, exampleRoot)
	sha256sumCheck(t, root)

	m := readManifest(t, root)
	if m.Conclusion != manifest.Success {
		t.Fatalf("conclusion %q, reason %q", m.Conclusion, m.Reason)
	}
	want := map[string]string{"prep": "success", "preflight": "success", "plan": "success", "governance": "success", "kits": "success"}
	if got := phaseStatus(m); !mapsEqual(got, want) {
		t.Errorf("phases %v, want %v", got, want)
	}
	for _, f := range []string{
		"asi-takeoff/project-plan.json", "asi-takeoff/dry-run.json", "asi-takeoff/mission-bundle/receipt.json",
		"asi-takeoff/logs/rehearsal.log", "asi-takeoff/helios-asi-takeoff-kit.json", "asi-global/helios-asi-global-kit.md",
		"owner/parameter-matrix.md", "owner/emergency-runbook.md", "logs/plan/asi-takeoff-rehearsal.log",
	} {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			t.Errorf("bundle lacks %s: %v", f, err)
		}
	}
	// The printed digest is the SHA-256 of SHA256SUMS.
	sum, err := exec.Command("sha256sum", filepath.Join(root, "SHA256SUMS")).Output()
	if err != nil {
		t.Fatal(err)
	}
	if hex := strings.Fields(string(sum))[0]; !strings.Contains(res.stdout, "ledger digest sha256:"+hex) {
		t.Errorf("stdout does not give the ledger digest %s:\n%s", hex, res.stdout)
	}
	// The ledger never lists itself and lists the manifest.
	lines := ledgerLines(t, root)
	if slices.ContainsFunc(lines, func(l string) bool { return strings.HasSuffix(l, " ./SHA256SUMS") }) {
		t.Error("SHA256SUMS lists itself")
	}
	if !slices.ContainsFunc(lines, func(l string) bool { return strings.HasSuffix(l, " ./manifest.json") }) {
		t.Error("SHA256SUMS does not list manifest.json")
	}
	validateManifest(t, root)

	// Receipts: argv, exit code, duration, log with its header and hash.
	st := stepByID(m, "plan", "asi-takeoff-rehearsal")
	if st == nil {
		t.Fatalf("no receipt for plan/asi-takeoff-rehearsal in %s", mustJSON(t, m.Phases))
	}
	if st.ExitCode == nil || *st.ExitCode != 0 || st.Log != "logs/plan/asi-takeoff-rehearsal.log" || len(st.LogSHA256) != 64 {
		t.Errorf("receipt %+v", st)
	}
	// The default shell, as GitHub Actions' on Linux: the script goes to a
	// file, {0}, run with bash -e.
	if !slices.Equal(st.Command, []string{"bash", "-e", "{0}"}) || st.Script != "sh scripts/rehearse.sh asi-takeoff .helios-work/asi-takeoff" {
		t.Errorf("argv %q, script %q", st.Command, st.Script)
	}
	log := readFile(t, filepath.Join(root, st.Log))
	for _, want := range []string{"# plan / asi-takeoff rehearsal\n", "Run: sh scripts/rehearse.sh asi-takeoff .helios-work/asi-takeoff\nShell: bash -e {0}\n", "Exit code: 0\n", "Duration: ", "## Output\n", "rehearsal asi-takeoff complete\n"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	// A collect step's log counts what each source brought, as people write it.
	if c := stepByID(m, "plan", "collect-asi-takeoff-receipts"); c == nil {
		t.Error("no receipt for plan/collect-asi-takeoff-receipts")
	} else if log := readFile(t, filepath.Join(root, c.Log)); !strings.Contains(log, "collected demo/asi-takeoff/project-plan.json → asi-takeoff/project-plan.json (1 file)\n") {
		t.Errorf("collect log:\n%s", log)
	}
}

func validateManifest(t *testing.T, root string) {
	t.Helper()
	c := jsonschema.NewCompiler()
	sch, err := c.Compile(filepath.Join("..", "schema", "manifest.schema.json"))
	if err != nil {
		t.Fatalf("compile manifest schema: %v", err)
	}
	f, err := os.Open(filepath.Join(root, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(doc); err != nil {
		t.Errorf("manifest.json does not match schema/manifest.schema.json: %v", err)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestRerunIsIdenticalButVolatile: a second run of the same mission on the
// same tree differs only in the volatile files, whatever the phase order.
func TestRerunIsIdenticalButVolatile(t *testing.T) {
	ws := workspace(t, "example")
	chain := rpcEnv(startChain(t, ""))
	if res := run(t, ws, chain, "run", "--jobs", "1"); res.code != 0 {
		t.Fatalf("first run: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	first := filepath.Join(t.TempDir(), "first")
	copyTree(t, filepath.Join(ws, exampleRoot), first)
	if res := run(t, ws, chain, "run", "--jobs", "4"); res.code != 0 {
		t.Fatalf("second run: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	second := filepath.Join(ws, exampleRoot)

	d := run(t, ws, nil, "diff", first, second, "--fail-on-drift")
	if d.code != 0 {
		t.Fatalf("diff of two identical runs: exit %d\n%s%s", d.code, d.stdout, d.stderr)
	}
	// Non-volatile ledger lines are byte-identical.
	vol := regexp.MustCompile(` \./(manifest\.json|index\.html|logs/|[^/]+/logs/)`)
	var a, b []string
	for _, l := range ledgerLines(t, first) {
		if !vol.MatchString(l) {
			a = append(a, l)
		}
	}
	for _, l := range ledgerLines(t, second) {
		if !vol.MatchString(l) {
			b = append(b, l)
		}
	}
	if !slices.Equal(a, b) {
		t.Errorf("non-volatile ledger lines differ:\n%s\n---\n%s", strings.Join(a, "\n"), strings.Join(b, "\n"))
	}

	// A real change is drift, and named. diff compares ledgers, so the
	// changed bundle is re-digested as a run would.
	writeFile(t, filepath.Join(second, "owner/parameter-matrix.md"), "tampered\n")
	if r := run(t, ws, nil, "digest", second); r.code != 0 {
		t.Fatalf("digest: %s", r.stderr)
	}
	d = run(t, ws, nil, "diff", first, second, "--fail-on-drift")
	if d.code != 1 || !strings.Contains(d.stdout, "owner/parameter-matrix.md") {
		t.Errorf("diff after a change: exit %d\n%s%s", d.code, d.stdout, d.stderr)
	}
}

// TestVerify: helios verify finds missing, extra and changed files.
func TestVerify(t *testing.T) {
	ws := workspace(t, "example")
	if res := run(t, ws, rpcEnv(startChain(t, "")), "run"); res.code != 0 {
		t.Fatalf("run: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	root := filepath.Join(ws, exampleRoot)
	if v := run(t, ws, nil, "verify", root); v.code != 0 {
		t.Fatalf("verify of a fresh bundle: exit %d\n%s%s", v.code, v.stdout, v.stderr)
	}
	writeFile(t, filepath.Join(root, "owner/emergency-runbook.md"), "changed\n")
	writeFile(t, filepath.Join(root, "extra.txt"), "extra\n")
	os.Remove(filepath.Join(root, "asi-global/summary.md"))
	v := run(t, ws, nil, "verify", root)
	if v.code != 1 {
		t.Fatalf("verify of a tampered bundle: exit %d\n%s%s", v.code, v.stdout, v.stderr)
	}
	for _, want := range []string{"missing  asi-global/summary.md", "extra    extra.txt", "changed  owner/emergency-runbook.md"} {
		if !strings.Contains(v.stdout, want) {
			t.Errorf("verify output lacks %q:\n%s", want, v.stdout)
		}
	}
}

// TestDigestMatchesCoreutils: helios digest of any folder gives the same
// SHA256SUMS as the upstream pipeline without its self-listing bug.
func TestDigestMatchesCoreutils(t *testing.T) {
	if _, err := exec.LookPath("sha256sum"); err != nil {
		t.Skip("sha256sum not installed")
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a b/c.txt"), "c\n")
	writeFile(t, filepath.Join(dir, "back\\slash"), "x")
	writeFile(t, filepath.Join(dir, "new\nline"), "y")
	writeFile(t, filepath.Join(dir, "empty"), "")
	if err := os.Symlink("empty", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	want, err := exec.Command("bash", "-c", `cd "$1" && LC_ALL=C find . -type f -print0 | sort -z | xargs -0 sha256sum`, "bash", dir).Output()
	if err != nil {
		t.Fatal(err)
	}
	res := run(t, dir, nil, "digest", dir)
	if res.code != 0 {
		t.Fatalf("digest: exit %d\n%s", res.code, res.stderr)
	}
	got := readFile(t, filepath.Join(dir, "SHA256SUMS"))
	if got != string(want) {
		t.Errorf("SHA256SUMS\n%s\nwant (coreutils)\n%s", got, want)
	}
	if !strings.Contains(res.stderr, "link") {
		t.Errorf("digest did not warn about the skipped link:\n%s", res.stderr)
	}
	sum, _ := exec.Command("sha256sum", filepath.Join(dir, "SHA256SUMS")).Output()
	if strings.TrimSpace(res.stdout) != strings.Fields(string(sum))[0] {
		t.Errorf("printed digest %q, sha256sum says %s", res.stdout, sum)
	}
	sha256sumCheck(t, dir)
}
