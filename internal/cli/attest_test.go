package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/helios-action/helios-action/internal/attest"
	"github.com/helios-action/helios-action/internal/exitcode"
)

// TestAttestAndVerifyStatement: helios attest writes the Statement of a
// bundle, and verify --statement passes the bundle as it was and names a
// changed, a missing and an extra file, and a rewritten SHA256SUMS.
func TestAttestAndVerifyStatement(t *testing.T) {
	ws := t.TempDir()
	mission := "version: 1\nname: attested\nreport-root: out\nphases:\n  a:\n    steps:\n      - name: Write\n        run: |\n          echo one >\"$HELIOS_REPORT_ROOT/one.txt\"\n          echo two >\"$HELIOS_REPORT_ROOT/two.txt\"\n"
	if err := os.WriteFile(filepath.Join(ws, "helios.yml"), []byte(mission), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"PATH": os.Getenv("PATH")}
	if code, stdout, stderr := helios(t, env, "run", "-C", ws); code != exitcode.OK {
		t.Fatalf("run: exit %d\n%s%s", code, stdout, stderr)
	}
	out := filepath.Join(ws, "out")
	gh := map[string]string{"PATH": os.Getenv("PATH"), "GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "o/r", "GITHUB_RUN_ID": "7"}
	stmt := filepath.Join(ws, "statement.json")
	code, stdout, stderr := helios(t, gh, "attest", out, "-o", stmt)
	if code != exitcode.OK || stdout != "" || !strings.Contains(stderr, "subjects, predicate "+attest.PredicateType+" → "+stmt) {
		t.Fatalf("attest: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	// Without -o the Statement goes to stdout, byte for byte the same.
	_, toStdout, _ := helios(t, gh, "attest", out)
	if b, err := os.ReadFile(stmt); err != nil || string(b) != toStdout {
		t.Errorf("attest to stdout differs from -o (%v):\n%s\n---\n%s", err, toStdout, b)
	}
	code, stdout, _ = helios(t, env, "verify", "--statement", stmt, out)
	if code != exitcode.OK || !strings.Contains(stdout, "verifies against "+stmt) || !strings.Contains(stdout, `mission "attested"`) || !strings.Contains(stdout, "run https://github.com/o/r/actions/runs/7") {
		t.Fatalf("verify --statement: exit %d\n%s", code, stdout)
	}

	for _, tt := range []struct {
		name, want string
		edit       func(t *testing.T)
	}{
		{"changed", "changed  one.txt\n", func(t *testing.T) { write(t, filepath.Join(out, "one.txt"), "uno\n") }},
		{"missing", "missing  two.txt\n", func(t *testing.T) { remove(t, filepath.Join(out, "two.txt")) }},
		{"extra", "extra    three.txt\n", func(t *testing.T) { write(t, filepath.Join(out, "three.txt"), "three\n") }},
		// A name cannot forge a line of the report.
		{"extra, not UTF-8", "extra    \"a\\x9b2Jb\"\n", func(t *testing.T) { write(t, filepath.Join(out, "a\x9b2Jb"), "x\n") }},
		{"extra with a line break", "extra    \"x\\nchanged  one.txt\"\n", func(t *testing.T) { write(t, filepath.Join(out, "x\nchanged  one.txt"), "x\n") }},
		{"ledger rewritten", "changed  SHA256SUMS\n", func(t *testing.T) {
			if code, _, stderr := helios(t, env, "digest", out); code != exitcode.OK {
				t.Fatalf("digest: %s", stderr)
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.edit(t)
			code, stdout, _ := helios(t, env, "verify", "--statement", stmt, out)
			if code != exitcode.Failure || !strings.Contains(stdout, tt.want) || !strings.Contains(stdout, "does not verify against "+stmt) {
				t.Errorf("exit %d, want 1 and %q:\n%s", code, tt.want, stdout)
			}
		})
	}
	// A bundle that no longer matches its own ledger: attest refuses it.
	write(t, filepath.Join(out, "one.txt"), "eins\n")
	code, stdout, _ = helios(t, env, "attest", out)
	if code != exitcode.Failure || stdout != "changed  one.txt\nhelios: "+out+" does not verify (0 missing, 0 extra, 1 changed): no Statement written\n" {
		t.Errorf("attest of a tampered bundle: exit %d\n%s", code, stdout)
	}
	if code, _, stderr := helios(t, env, "attest", out, "-o", filepath.Join(out, "s.json")); code != exitcode.Usage || !strings.Contains(stderr, "inside the bundle") {
		t.Errorf("attest -o inside the bundle: exit %d, stderr %q", code, stderr)
	}
}

func write(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func remove(t *testing.T, path string) {
	t.Helper()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
}
