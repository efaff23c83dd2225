package e2e

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/helios-action/helios-action/internal/exitcode"
	"github.com/helios-action/helios-action/internal/manifest"
)

// pathMission writes its marker into the bundle, so a run shows which file
// it read.
func pathMission(marker string) string {
	return `version: 1
name: ` + marker + `
report-root: reports/paths
phases:
  only:
    steps:
      - run: echo ` + marker + ` > "$HELIOS_REPORT_ROOT/marker.txt"
`
}

// TestMissionPaths: `--mission` takes an absolute path outside the
// workspace (it used to be joined onto the workspace: "no such file or
// directory"), and a relative path is the workspace's (-C), not the
// current folder's.
func TestMissionPaths(t *testing.T) {
	ws, elsewhere, cwd := t.TempDir(), t.TempDir(), t.TempDir()
	outside := filepath.Join(elsewhere, "missions", "outside.yml")
	writeFile(t, outside, pathMission("outside"))
	writeFile(t, filepath.Join(ws, "ci", "inside.yml"), pathMission("inside"))
	writeFile(t, filepath.Join(cwd, "ci", "cwd-only.yml"), pathMission("cwd"))

	tests := []struct {
		name, dir string // dir: where helios is started
		args      []string
		want      string // the mission's name, or the error for exit 2
	}{
		{"absolute outside the workspace", ws, []string{"--mission", outside}, "outside"},
		{"absolute outside the workspace given by -C", cwd, []string{"-C", ws, "--mission", outside}, "outside"},
		{"relative in the current folder", ws, []string{"--mission", "ci/inside.yml"}, "inside"},
		{"relative in the workspace given by -C", cwd, []string{"-C", ws, "--mission", "ci/inside.yml"}, "inside"},
		{"relative is not the current folder's", cwd, []string{"-C", ws, "--mission", "ci/cwd-only.yml"},
			"mission ci/cwd-only.yml: no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan := run(t, tt.dir, nil, append([]string{"plan"}, tt.args...)...)
			res := run(t, tt.dir, nil, append([]string{"run"}, tt.args...)...)
			if strings.Contains(tt.want, ":") {
				for cmd, r := range map[string]result{"plan": plan, "run": res} {
					if r.code != exitcode.Usage || !strings.Contains(r.stderr, tt.want) {
						t.Errorf("%s: exit %d, want %d and %q\n%s", cmd, r.code, exitcode.Usage, tt.want, r.stderr)
					}
				}
				return
			}
			if plan.code != 0 || !strings.Contains(plan.stdout, "mission: "+tt.want+"\n") {
				t.Errorf("plan: exit %d\n%s%s", plan.code, plan.stdout, plan.stderr)
			}
			if res.code != 0 {
				t.Fatalf("run: exit %d\n%s%s", res.code, res.stdout, res.stderr)
			}
			// The bundle goes into the workspace, whatever folder the
			// mission file is in.
			root := filepath.Join(ws, "reports", "paths")
			sha256sumCheck(t, root)
			m := readManifest(t, root)
			if m.Conclusion != manifest.Success || m.Mission.Name != tt.want || strings.TrimSpace(readFile(t, filepath.Join(root, "marker.txt"))) != tt.want {
				t.Errorf("ran %q (%s), want %q", m.Mission.Name, m.Conclusion, tt.want)
			}
			// The manifest names a mission in the workspace relative to
			// it, and one outside as it was given.
			wantFile := "ci/inside.yml"
			if tt.want == "outside" {
				wantFile = outside
			}
			if m.Mission.File != wantFile {
				t.Errorf("manifest mission.file %q, want %q", m.Mission.File, wantFile)
			}
		})
	}
}

// TestActionMissionPath: the action's mission input may be absolute inside
// the workspace, never outside it.
func TestActionMissionPath(t *testing.T) {
	t.Run("absolute inside the workspace", func(t *testing.T) {
		ar := newActionRun(t, "", nil, "push", nil, nil, map[string]string{"upload": "false"})
		inside := filepath.Join(ar.ws, "ci", "inside.yml")
		writeFile(t, inside, pathMission("inside"))
		ar.env = append(ar.env, "INPUT_MISSION="+inside)
		if res := ar.run(t); res.code != 0 {
			t.Fatalf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
		}
		if outs := outputsOf(t, ar.outputs); outs["conclusion"] != manifest.Success {
			t.Errorf("conclusion %q", outs["conclusion"])
		}
	})
	t.Run("absolute outside the workspace", func(t *testing.T) {
		ar := newActionRun(t, "", nil, "push", nil, nil, map[string]string{"upload": "false"})
		outside := filepath.Join(t.TempDir(), "outside.yml")
		writeFile(t, outside, pathMission("outside"))
		ar.env = append(ar.env, "INPUT_MISSION="+outside)
		res := ar.run(t)
		want := `::error::input "mission": must be a mission file in the workspace ` + ar.ws
		if res.code != exitcode.Usage || !strings.Contains(res.stdout, want) {
			t.Fatalf("exit %d, want %d and %q\n%s%s", res.code, exitcode.Usage, want, res.stdout, res.stderr)
		}
		if outs := outputsOf(t, ar.outputs); outs["conclusion"] != manifest.Failure {
			t.Errorf("conclusion %q", outs["conclusion"])
		}
	})
}
