package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/helios-action/helios-action/internal/ghapi/ghtest"
)

// The attacks of issue 17 that helios already withstood, replayed through
// the binary so that they keep failing safe: `..` in the report root and
// in collect. (YAML bombs and phase cycles are in internal/mission, split
// and encoded secrets in internal/mask, GitHub faults in internal/ghapi,
// concurrent runs in TestActionConcurrentRunsOneComment.)
func TestHostileKnownPaths(t *testing.T) {
	for _, tc := range []struct {
		name, mission string
		args          []string
		code          int
		want          string
	}{
		{"report-root ../ in the mission", "version: 1\nreport-root: ../escape\nphases:\n  a:\n    steps:\n      - run: echo x\n", nil, 2, `helios.yml:2:14: "report-root" must not contain "..", got "../escape"`},
		{"--report-root ../", "version: 1\nphases:\n  a:\n    steps:\n      - run: echo x\n", []string{"--report-root", "../escape"}, 2, "must be a folder inside the workspace"},
		{"collect from ../", "version: 1\nreport-root: out\nphases:\n  a:\n    steps:\n      - collect: {from: [../escape/canary]}\n", nil, 2, `helios.yml:6:26: glob "../escape/canary" in "from" must not contain ".."`},
		{"collect to ../", "version: 1\nreport-root: out\nphases:\n  a:\n    steps:\n      - collect: {from: [notes.txt], to: ../../escape}\n", nil, 2, `helios.yml:6:42: "to" must not contain "..", got "../../escape"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parent := t.TempDir()
			ws := filepath.Join(parent, "ws")
			escape := filepath.Join(parent, "escape")
			for _, d := range []string{ws, escape} {
				if err := os.MkdirAll(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			writeFile(t, filepath.Join(escape, "canary"), "keep\n")
			writeFile(t, filepath.Join(ws, "notes.txt"), "notes\n")
			writeFile(t, filepath.Join(ws, "helios.yml"), tc.mission)
			res := run(t, ws, nil, append([]string{"run"}, tc.args...)...)
			if res.code != tc.code || !strings.Contains(res.stdout+res.stderr, tc.want) {
				t.Fatalf("exit %d, want %d with %q:\n%s%s", res.code, tc.code, tc.want, res.stdout, res.stderr)
			}
			ents, _ := os.ReadDir(escape)
			if len(ents) != 1 || readFile(t, filepath.Join(escape, "canary")) != "keep\n" {
				t.Errorf("the folder outside the workspace changed: %v", ents)
			}
		})
	}
}

// A step's output cannot act as a workflow command of the action: the
// runner reads the action's stdout, so each phase's output is framed by
// ::stop-commands:: with a token the step cannot guess, and the step does
// not get the file-command paths.
func TestHostileWorkflowCommands(t *testing.T) {
	gh := ghtest.NewServer(t)
	ar := newActionRun(t, "", prEvent(8), "pull_request", gh, nil, nil)
	writeFile(t, filepath.Join(ar.ws, "helios.yml"), `version: 1
name: injection
report-root: out
phases:
  inject:
    steps:
      - run: |
          echo "::set-output name=conclusion::success"
          echo "::add-mask::reporting"
          echo "::error::injected by a step"
          echo "::endgroup::"
          echo "::stop-commands::guess"
          test -z "$GITHUB_OUTPUT$GITHUB_ENV$GITHUB_STEP_SUMMARY" || echo "file commands reached the step"
          exit 1
`)
	res := ar.run(t)
	if res.code != 1 {
		t.Fatalf("exit %d, want 1 (the step failed)\n%s", res.code, res.stdout)
	}
	if outs := outputsOf(t, ar.outputs); outs["conclusion"] != "failure" {
		t.Errorf("conclusion output %q: a step set an output of the action", outs["conclusion"])
	}
	if strings.Contains(res.stdout, "file commands reached the step") {
		t.Error("the step got a file-command path")
	}
	// Every line the step printed sits between a ::stop-commands::<token>
	// and the matching ::<token>:: that resumes commands.
	stop := regexp.MustCompile(`^::stop-commands::(\S+)$`)
	token := ""
	for _, l := range strings.Split(res.stdout, "\n") {
		if m := stop.FindStringSubmatch(l); m != nil && token == "" {
			token = m[1]
			continue
		}
		if token != "" && l == "::"+token+"::" {
			token = ""
			continue
		}
		if strings.Contains(l, "injected by a step") && token == "" {
			t.Errorf("the step's ::error:: line reached the runner with commands on: %q", l)
		}
	}
	if !strings.Contains(res.stdout, "::error::injected by a step") {
		t.Error("the step's output is not in the log at all")
	}
}
