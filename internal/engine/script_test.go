package engine_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/helios-action/helios-action/internal/engine"
	"github.com/helios-action/helios-action/internal/manifest"
)

// TestShells runs a step with each kind of shell: the command it runs with
// (in its receipt and log header), and what that shell does with a failing
// command, a failing pipe and an unset variable, as GitHub Actions' shells
// do on Linux.
func TestShells(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash on PATH")
	}
	// A PATH with sh and no bash, for the fallback.
	noBash := t.TempDir()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(sh, filepath.Join(noBash, "sh")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, shell, env, script string
		want                     []string
		fails                    bool
	}{
		{name: "default is bash", script: `[ -n "$BASH_VERSION" ]`, want: []string{"bash", "-e", "{0}"}},
		{name: "default stops at a failure", script: "false\necho after", want: []string{"bash", "-e", "{0}"}, fails: true},
		{name: "default has no pipefail", script: "false | true", want: []string{"bash", "-e", "{0}"}},
		{name: "default without bash is sh", env: "PATH: " + noBash, script: `[ -z "$BASH_VERSION" ]`, want: []string{"sh", "-e", "{0}"}},
		{name: "bash", shell: "bash", script: `[ -n "$BASH_VERSION" ]`, want: []string{"bash", "--noprofile", "--norc", "-eo", "pipefail", "{0}"}},
		{name: "bash has pipefail", shell: "bash", script: "false | true", want: []string{"bash", "--noprofile", "--norc", "-eo", "pipefail", "{0}"}, fails: true},
		{name: "sh", shell: "sh", script: `[ -z "$BASH_VERSION" ]`, want: []string{"sh", "-e", "{0}"}},
		{name: "sh stops at a failure", shell: "sh", script: "false\necho after", want: []string{"sh", "-e", "{0}"}, fails: true},
		{name: "a command", shell: "sh -eu {0}", script: `echo "$UNSET_VARIABLE"`, want: []string{"sh", "-eu", "{0}"}, fails: true},
		{name: "a command that fails nothing", shell: "sh {0}", script: "false\necho after", want: []string{"sh", "{0}"}},
		{name: "a missing command", shell: "no-such-shell-7d1 {0}", script: "echo x", want: []string{"no-such-shell-7d1", "{0}"}, fails: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var step strings.Builder
			step.WriteString("      - name: probe\n        run: |\n")
			for _, l := range strings.Split(tt.script, "\n") {
				step.WriteString("          " + l + "\n")
			}
			if tt.shell != "" {
				step.WriteString("        shell: " + tt.shell + "\n")
			}
			if tt.env != "" {
				step.WriteString("        env: {" + tt.env + "}\n")
			}
			res, con := runMission(t, t.TempDir(), "version: 1\nreport-root: out\nphases:\n  a:\n    steps:\n"+step.String())
			st := res.Manifest.Phases[0].Steps[0]
			if !slices.Equal(st.Command, tt.want) {
				t.Errorf("command %q, want %q", st.Command, tt.want)
			}
			if st.Script != tt.script+"\n" {
				t.Errorf("script %q, want %q", st.Script, tt.script+"\n")
			}
			if failed := st.Status == manifest.Failure; failed != tt.fails {
				t.Errorf("status %s (%s), want failure: %v\n%s", st.Status, st.Error, tt.fails, con)
			}
			log := stepLog(t, res, 0)
			if want := "Shell: " + strings.Join(tt.want, " ") + "\n"; !strings.Contains(log, want) {
				t.Errorf("log has no %q:\n%s", want, log)
			}
			if strings.Contains(tt.script, "echo after") && strings.Contains(log, "\nafter\n") == tt.fails {
				t.Errorf("\"after\" printed: %v, want %v:\n%s", !tt.fails, !tt.fails, log)
			}
		})
	}
}

// TestScriptLogHeader: the log shows the script as the mission writes it,
// one line after "Run:", several as a block.
func TestScriptLogHeader(t *testing.T) {
	res, _ := runMission(t, t.TempDir(), "version: 1\nreport-root: out\nphases:\n  a:\n    steps:\n      - run: echo one\n  b:\n    steps:\n      - run: |\n          echo one\n          echo two\n")
	if log := stepLog(t, res, 0); !strings.Contains(log, "\n\nRun: echo one\nShell: bash -e {0}\nExit code: 0\n") {
		t.Errorf("one-line script:\n%s", log)
	}
	if log := stepLog(t, res, 1); !strings.Contains(log, "\n\nRun: |\n  echo one\n  echo two\nShell: bash -e {0}\nExit code: 0\n") {
		t.Errorf("two-line script:\n%s", log)
	}
}

// TestScriptFile: the shell gets the script as a file named for it, outside
// the workspace and the bundle, read-only, and removed with its folder once
// the run is over.
func TestScriptFile(t *testing.T) {
	ws := t.TempDir()
	src := `version: 1
report-root: out
phases:
  a:
    steps:
      - run: |
          printf '%s\n' "$0" >"$HELIOS_REPORT_ROOT/path"
          stat -c %a "$0" >"$HELIOS_REPORT_ROOT/mode"
          cat "$0" >"$HELIOS_REPORT_ROOT/copy"
`
	_, err := exec.LookPath("python3")
	python := err == nil
	if python {
		src += "      - run: print(open(__file__).read().splitlines()[0])\n        shell: python3 {0}\n"
	}
	res, con := runMission(t, ws, src)
	if res.Manifest.Conclusion != manifest.Success {
		t.Fatalf("conclusion %s: %s\n%s", res.Manifest.Conclusion, res.Manifest.Reason, con)
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(res.ReportRoot, name))
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSuffix(string(b), "\n")
	}
	path := read("path")
	if !filepath.IsAbs(path) || strings.HasPrefix(path, ws+"/") || filepath.Ext(path) != ".sh" {
		t.Errorf("script path %q: want an absolute .sh file outside the workspace %s", path, ws)
	}
	if mode := read("mode"); mode != "444" {
		t.Errorf("script mode %s, want 444", mode)
	}
	if got, want := read("copy"), res.Manifest.Phases[0].Steps[0].Script; got+"\n" != want {
		t.Errorf("the script file holds %q, want %q", got, want)
	}
	if _, err := os.Lstat(filepath.Dir(path)); !os.IsNotExist(err) {
		t.Errorf("the scripts folder %s is still there: %v", filepath.Dir(path), err)
	}
	if !python {
		t.Skip("no python3 on PATH for a script in another language")
	}
	if log := stepLog2(t, res, 0, 1); !strings.Contains(log, "\nprint(open(__file__).read().splitlines()[0])\n") {
		t.Errorf("python did not read its own script:\n%s", log)
	}
}

// TestScriptOutOfStepsReach: a step running as another user than helios
// (helios root, the workspace someone else's) can read its script but not
// change it, nor list or add to the folder, so a step of a phase running
// beside it cannot swap another step's script.
func TestScriptOutOfStepsReach(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("steps change user only when helios is root")
	}
	ws := t.TempDir()
	if err := os.Chmod(filepath.Dir(ws), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(ws, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	res, con := runMission(t, ws, `version: 1
report-root: out
phases:
  a:
    steps:
      - run: |
          out="$HELIOS_REPORT_ROOT/tries"
          id -u >"$out"
          dir=$(dirname "$0")
          for try in 'cat "$0" >/dev/null' 'echo x >>"$0"' 'rm -f "$0"' 'mv "$0" "$0.x"' 'ls "$dir"' 'touch "$dir/x"' 'chmod 666 "$0"'; do
            if eval "$try" 2>/dev/null; then echo "allowed: $try"; else echo "refused: $try"; fi
          done >>"$out"
`)
	if res.Manifest.Conclusion != manifest.Success {
		t.Fatalf("conclusion %s: %s\n%s", res.Manifest.Conclusion, res.Manifest.Reason, con)
	}
	b, err := os.ReadFile(filepath.Join(res.ReportRoot, "tries"))
	if err != nil {
		t.Fatal(err)
	}
	want := `65534
allowed: cat "$0" >/dev/null
refused: echo x >>"$0"
refused: rm -f "$0"
refused: mv "$0" "$0.x"
refused: ls "$dir"
refused: touch "$dir/x"
refused: chmod 666 "$0"
`
	if string(b) != want {
		t.Errorf("the step could do:\n%s\nwant:\n%s", b, want)
	}
}

// stepLog2 is the log of step i of phase p.
func stepLog2(t *testing.T, res *engine.Result, p, i int) string {
	t.Helper()
	st := res.Manifest.Phases[p].Steps[i]
	b, err := os.ReadFile(filepath.Join(res.ReportRoot, filepath.FromSlash(st.Log)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
