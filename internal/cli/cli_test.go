package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/helios-action/helios-action/internal/engine"
	"github.com/helios-action/helios-action/internal/exitcode"
	"github.com/helios-action/helios-action/internal/supervise"
)

// The test binary starts the supervisors of `helios run`'s steps, as helios
// does.
func TestMain(m *testing.M) {
	supervise.Main()
	os.Exit(m.Run())
}

// helios runs one command in process, with env as its whole environment,
// and returns its exit code, stdout and stderr.
func helios(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	c := &Command{
		Stdout: &stdout,
		Stderr: &stderr,
		Getenv: func(k string) string { return env[k] },
		Environ: func() []string {
			var kv []string
			for k, v := range env {
				kv = append(kv, k+"="+v)
			}
			return kv
		},
		Getwd:    func() (string, error) { return t.TempDir(), nil },
		Version:  "v0.0.0-test",
		Builtins: engine.NewRegistry(),
	}
	code := c.Main(context.Background(), append([]string{"helios"}, args...))
	return code, stdout.String(), stderr.String()
}

// verbNames are the verbs in the order the general usage lists them.
func verbNames() []string {
	var names []string
	for v := range verbs {
		names = append(names, v)
	}
	sort.Strings(names)
	return names
}

// TestHelp: every way of asking for a verb's usage prints it to stdout and
// exits 0, without running the verb.
func TestHelp(t *testing.T) {
	for _, verb := range verbNames() {
		for _, args := range [][]string{{verb, "--help"}, {verb, "-h"}, {verb, "-help"}, {"help", verb}} {
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				code, stdout, stderr := helios(t, nil, args...)
				if code != exitcode.OK || stderr != "" {
					t.Fatalf("exit %d, stderr %q; want 0 and nothing", code, stderr)
				}
				want := "Usage: helios " + verbs[verb].synopsis + "\n\n" + verbs[verb].about + "\n"
				if !strings.HasPrefix(stdout, want) {
					t.Errorf("stdout:\n%s\nwant it to start with:\n%s", stdout, want)
				}
			})
		}
	}
}

// TestHelpListsFlags: a verb's usage lists each of its flags, dashed as
// the user types them, with the value it takes.
func TestHelpListsFlags(t *testing.T) {
	tests := []struct {
		verb  string
		flags []string
	}{
		{"run", []string{"-C DIR", "--jobs N", "--mission FILE", "--network NAME", "--report-root DIR", "--rpc-url URL", "--shard SPEC"}},
		{"plan", []string{"-C DIR", "--mission FILE", "--shard SPEC"}},
		{"diff", []string{"--fail-on-drift ", "--format FORMAT", "--max-files N"}},
		{"digest", nil},
		{"verify", []string{"--statement FILE"}},
		{"attest", []string{"-o FILE"}},
		{"action", nil},
		{"version", nil},
	}
	flagLine := regexp.MustCompile(`(?m)^  (-\S+(?: [A-Z]+)?) `)
	for _, tt := range tests {
		t.Run(tt.verb, func(t *testing.T) {
			_, stdout, _ := helios(t, nil, tt.verb, "--help")
			var got []string
			for _, m := range flagLine.FindAllStringSubmatch(stdout, -1) {
				got = append(got, m[1])
			}
			var want []string
			for _, f := range tt.flags {
				want = append(want, strings.TrimSpace(f))
			}
			if strings.Join(got, ", ") != strings.Join(want, ", ") {
				t.Errorf("flags %q, want %q in:\n%s", got, want, stdout)
			}
			if hasFlags := strings.Contains(stdout, "\nFlags:\n"); hasFlags != (len(want) > 0) {
				t.Errorf("a Flags section: %v, want %v", hasFlags, len(want) > 0)
			}
		})
	}
}

// TestHelpAnywhere: --help after positional arguments, as flags may come
// after them, still asks for the usage; after "--" it is an argument.
func TestHelpAnywhere(t *testing.T) {
	code, stdout, _ := helios(t, nil, "diff", "old", "new", "--help")
	if code != exitcode.OK || !strings.HasPrefix(stdout, "Usage: helios diff") {
		t.Errorf("diff old new --help: exit %d, stdout:\n%s", code, stdout)
	}
	code, _, stderr := helios(t, nil, "verify", "--", "--help")
	if code != exitcode.Usage || !strings.Contains(stderr, "verify: stat --help: no such file or directory") {
		t.Errorf("verify -- --help: exit %d, stderr:\n%s", code, stderr)
	}
}

// TestHelpKeepsTheRPCURLOut: --rpc-url defaults to $HELIOS_RPC_URL, which
// can hold a key; the usage must not print it.
func TestHelpKeepsTheRPCURLOut(t *testing.T) {
	const url = "https://eth.example/v2/secret-key-4f1c"
	_, stdout, stderr := helios(t, map[string]string{"HELIOS_RPC_URL": url}, "run", "--help")
	if strings.Contains(stdout+stderr, "secret-key") {
		t.Errorf("the usage prints the RPC URL:\n%s", stdout)
	}
}

// TestGeneralUsage: "helios help", -h and --help print the overview to
// stdout; no command at all prints it to stderr and exits 2. The overview
// names every verb that has a usage of its own.
func TestGeneralUsage(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}, {"-help"}} {
		code, stdout, stderr := helios(t, nil, args...)
		if code != exitcode.OK || stdout != usage || stderr != "" {
			t.Errorf("%v: exit %d, stdout %d bytes, stderr %q", args, code, len(stdout), stderr)
		}
	}
	code, stdout, stderr := helios(t, nil)
	if code != exitcode.Usage || stdout != "" || stderr != usage {
		t.Errorf("no command: exit %d, stdout %q, stderr %d bytes", code, stdout, len(stderr))
	}
	for _, verb := range verbNames() {
		if !strings.Contains(usage, "\n  helios "+verb+" ") && !strings.Contains(usage, "\n  helios "+verb+"\n") {
			t.Errorf("the overview does not list %q", verb)
		}
	}
}

// TestBadInvocations: a wrong flag, value or argument count exits 2 with
// one line that says what is wrong and one that says where the usage is.
func TestBadInvocations(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown command", []string{"rn"}, "helios: unknown command \"rn\"\nRun 'helios help' for usage.\n"},
		{"unknown long flag", []string{"run", "--bogus"}, "helios: run: unknown flag --bogus\nRun 'helios run --help' for usage.\n"},
		{"unknown short flag", []string{"plan", "-x"}, "helios: plan: unknown flag -x\nRun 'helios plan --help' for usage.\n"},
		{"not a number", []string{"run", "--jobs", "x"}, "helios: run: --jobs: invalid value \"x\": not a number\nRun 'helios run --help' for usage.\n"},
		{"negative jobs", []string{"run", "--jobs", "-1"}, "helios: run: --jobs must be positive, got -1\nRun 'helios run --help' for usage.\n"},
		{"out of range", []string{"diff", "a", "b", "--max-files", "99999999999999999999"}, "helios: diff: --max-files: invalid value \"99999999999999999999\": out of range\nRun 'helios diff --help' for usage.\n"},
		{"not a boolean", []string{"diff", "a", "b", "--fail-on-drift=maybe"}, "helios: diff: --fail-on-drift: invalid value \"maybe\": want true or false\nRun 'helios diff --help' for usage.\n"},
		{"missing value", []string{"plan", "--mission"}, "helios: plan: --mission needs a value\nRun 'helios plan --help' for usage.\n"},
		{"run takes no file", []string{"run", "helios.yml"}, "helios: run: unexpected argument \"helios.yml\" (the mission file goes after --mission)\nRun 'helios run --help' for usage.\n"},
		{"plan takes no file", []string{"plan", "helios.yml"}, "helios: plan: unexpected argument \"helios.yml\"\nRun 'helios plan --help' for usage.\n"},
		{"-C not a folder", []string{"plan", "-C", filepath.Join(dir, "nope")}, "helios: -C: stat " + filepath.Join(dir, "nope") + ": no such file or directory\nRun 'helios plan --help' for usage.\n"},
		{"diff one bundle", []string{"diff", dir}, "helios: diff takes two bundles (folders or SHA256SUMS files), got 1 arguments\nRun 'helios diff --help' for usage.\n"},
		{"diff zero files", []string{"diff", dir, dir, "--max-files", "0"}, "helios: diff: --max-files must be a positive number or -1 (all), got 0\nRun 'helios diff --help' for usage.\n"},
		{"diff without a ledger", []string{"diff", dir, dir}, "helios: diff: " + dir + " is not a bundle: it has no SHA256SUMS\nRun 'helios diff --help' for usage.\n"},
		{"verify nothing", []string{"verify"}, "helios: verify takes one folder, got 0 arguments\nRun 'helios verify --help' for usage.\n"},
		{"verify without a ledger", []string{"verify", dir}, "helios: verify: " + dir + " has no SHA256SUMS\nRun 'helios verify --help' for usage.\n"},
		{"digest two folders", []string{"digest", dir, dir}, "helios: digest takes one folder, got 2 arguments\nRun 'helios digest --help' for usage.\n"},
		{"action with an argument", []string{"action", "x"}, "helios: action takes no arguments: it reads the action's inputs (INPUT_*)\nRun 'helios action --help' for usage.\n"},
		{"version with an argument", []string{"version", "x"}, "helios: version takes no arguments, got \"x\"\nRun 'helios version --help' for usage.\n"},
		{"help for two", []string{"help", "run", "plan"}, "helios: help takes one command, got 2 arguments\nRun 'helios help' for usage.\n"},
		{"help for nothing known", []string{"help", "rn"}, "helios: help: unknown command \"rn\"\nRun 'helios help' for usage.\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := helios(t, nil, tt.args...)
			if code != exitcode.Usage || stdout != "" || stderr != tt.want {
				t.Errorf("exit %d, stdout %q, stderr:\n%s\nwant exit 2 and:\n%s", code, stdout, stderr, tt.want)
			}
		})
	}
}

// TestVerbs drives each verb in process through a real run: plan, run,
// digest, verify (clean and tampered), diff and version, and an invalid
// mission, whose errors carry their kind.
func TestVerbs(t *testing.T) {
	ws := t.TempDir()
	mission := "version: 1\nname: cli\nreport-root: out\nphases:\n  a:\n    steps:\n      - name: Greet\n        run: echo hello >\"$HELIOS_REPORT_ROOT/greeting.txt\"\n"
	if err := os.WriteFile(filepath.Join(ws, "helios.yml"), []byte(mission), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"PATH": os.Getenv("PATH")}
	out := filepath.Join(ws, "out")

	code, stdout, stderr := helios(t, env, "version")
	if code != exitcode.OK || stdout != "helios v0.0.0-test\n" || stderr != "" {
		t.Errorf("version: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	code, stdout, stderr = helios(t, env, "plan", "-C", ws)
	if code != exitcode.OK || !strings.Contains(stdout, "mission: cli\n") || !strings.Contains(stdout, "   1.1 Greet [greet]\n") {
		t.Errorf("plan: exit %d, stderr %q, stdout:\n%s", code, stderr, stdout)
	}
	code, stdout, stderr = helios(t, env, "run", "-C", ws)
	if code != exitcode.OK || !strings.Contains(stdout, "helios: success · ") {
		t.Fatalf("run: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	code, stdout, stderr = helios(t, env, "verify", out)
	if code != exitcode.OK || !strings.HasPrefix(stdout, "helios: "+out+" verifies: ") || !strings.Contains(stdout, " · content digest sha256:") {
		t.Errorf("verify: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	code, stdout, _ = helios(t, env, "diff", out, out, "--fail-on-drift")
	if code != exitcode.OK {
		t.Errorf("diff of a bundle with itself: exit %d\n%s", code, stdout)
	}
	if err := os.WriteFile(filepath.Join(out, "greeting.txt"), []byte("hullo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ = helios(t, env, "verify", out)
	if code != exitcode.Failure || !strings.Contains(stdout, "changed  greeting.txt\n") {
		t.Errorf("verify after tampering: exit %d, stdout:\n%s", code, stdout)
	}
	code, stdout, stderr = helios(t, env, "digest", out)
	if code != exitcode.OK || !regexp.MustCompile(`^[0-9a-f]{64}\n$`).MatchString(stdout) {
		t.Errorf("digest: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	// The files match the rewritten ledger; the manifest's content digest,
	// from the run, no longer does, and verify says so.
	if code, stdout, _ := helios(t, env, "verify", out); code != exitcode.OK || !strings.Contains(stdout, "warning: manifest.json's contentDigest is ") {
		t.Errorf("verify after digest: exit %d\n%s", code, stdout)
	}

	bad := filepath.Join(ws, "bad.yml")
	if err := os.WriteFile(bad, []byte("version: 1\nphases:\n  a:\n    needs: [deploy]\n    steps: [{run: x}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = helios(t, env, "plan", "-C", ws, "--mission", "bad.yml")
	if want := bad + ":4:13: phase \"a\" needs unknown phase \"deploy\" [unknown-needs]\n"; code != exitcode.Usage || stdout != "" || stderr != want {
		t.Errorf("invalid mission: exit %d, stdout %q, stderr:\n%s\nwant:\n%s", code, stdout, stderr, want)
	}
}

// TestPlanShard: `helios plan --shard` prints what engine.PlanShard
// renders (its goldens are the engine's), `helios plan` the whole split,
// and a shard the mission does not have is a usage error that says why.
func TestPlanShard(t *testing.T) {
	ws := t.TempDir()
	src := "version: 1\nshards:\n  matrix: {region: [eu, us, apac], sector: [energy, health]}\n  phases: plan\n" +
		"phases:\n  prep: {steps: [{run: make prep}]}\n  plan: {needs: prep, steps: [{run: make plan}]}\n  kits: {needs: plan, steps: [{run: make kits}]}\n"
	file := filepath.Join(ws, "helios.yml")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := engine.NewRegistry().Parse(file, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	for _, spec := range []string{"us-health", "2-of-3"} {
		want, err := engine.PlanShard(m, spec)
		if err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := helios(t, nil, "plan", "-C", ws, "--shard", spec)
		if code != exitcode.OK || stderr != "" || stdout != want {
			t.Errorf("plan --shard %s: exit %d, stderr %q, stdout:\n%s\nwant:\n%s", spec, code, stderr, stdout, want)
		}
	}
	// No --shard, or an empty one (an unset matrix value in a workflow):
	// the whole plan.
	for _, args := range [][]string{{"plan", "-C", ws}, {"plan", "-C", ws, "--shard", ""}} {
		code, stdout, _ := helios(t, nil, args...)
		if code != exitcode.OK || stdout != engine.Plan(m) {
			t.Errorf("%q: exit %d, stdout:\n%s", args, code, stdout)
		}
	}
	code, stdout, stderr := helios(t, nil, "plan", "-C", ws, "--shard", "1-of-9")
	want := "helios: plan: --shard: shard \"1-of-9\": the mission has 6 shards, so N is at most 6\nRun 'helios plan --help' for usage.\n"
	if code != exitcode.Usage || stdout != "" || stderr != want {
		t.Errorf("plan --shard 1-of-9: exit %d, stdout %q, stderr:\n%s\nwant:\n%s", code, stdout, stderr, want)
	}
}

// TestVerifyUnreadableManifest: a folder whose files match its ledger
// verifies even when its manifest.json is not a manifest; the content
// digest then leaves out the default volatile files, with a warning.
func TestVerifyUnreadableManifest(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{"x.txt": "evidence\n", "manifest.json": "not json"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if code, _, stderr := helios(t, nil, "digest", dir); code != exitcode.OK {
		t.Fatalf("digest: exit %d %s", code, stderr)
	}
	code, stdout, _ := helios(t, nil, "verify", dir)
	if code != exitcode.OK || !strings.Contains(stdout, "warning: ") || !strings.Contains(stdout, "the content digest leaves out the default volatile files only") ||
		!strings.Contains(stdout, " verifies: 2 files ok · content digest sha256:") {
		t.Errorf("verify: exit %d\n%s", code, stdout)
	}
}
