package e2e

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// contentMission leaves evidence, a log and a timestamp the mission calls
// volatile, in the default report root the README's recipe goes into.
const contentMission = `version: 1
name: content digest
volatile: ["stamps/**"]
phases:
  build:
    steps:
      - run: |
          echo evidence > "$HELIOS_REPORT_ROOT/evidence.txt"
          mkdir -p "$HELIOS_REPORT_ROOT/stamps" "$HELIOS_REPORT_ROOT/data"
          echo '{"kp": 2}' > "$HELIOS_REPORT_ROOT/data/thermostat.json"
          date +%s%N > "$HELIOS_REPORT_ROOT/stamps/now.txt"
          date +%s%N
`

var contentLine = regexp.MustCompile(`content digest sha256:([0-9a-f]{64})`)

// TestReadmeContentDigest: two runs of one mission print the same content
// digest (and different ledger digests), and the README's recipe, run by
// bash with coreutils and jq, recomputes it from the bundle alone.
func TestReadmeContentDigest(t *testing.T) {
	for _, tool := range []string{"bash", "jq", "sha256sum"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (.ci/run installs it)", tool)
		}
	}
	ws := t.TempDir()
	writeFile(t, filepath.Join(ws, "helios.yml"), contentMission)
	var digests, ledgers []string
	for range 2 {
		res := run(t, ws, nil, "run")
		m := contentLine.FindStringSubmatch(res.stdout)
		if res.code != 0 || m == nil {
			t.Fatalf("helios run: exit %d, no content digest\n%s%s", res.code, res.stdout, res.stderr)
		}
		digests = append(digests, m[1])
		ledgers = append(ledgers, regexp.MustCompile(`ledger digest sha256:([0-9a-f]{64})`).FindString(res.stdout))
	}
	if digests[0] != digests[1] {
		t.Errorf("content digests of two runs: %s, %s", digests[0], digests[1])
	}
	if ledgers[0] == ledgers[1] {
		t.Errorf("the ledger digests of two runs are equal (%s): the test's volatile files did not differ", ledgers[0])
	}

	cmd := exec.Command("bash", "-euo", "pipefail", "-c", readmeFence(t, "content-digest", "sh"))
	cmd.Dir = ws
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("the README's recipe: %v\n%s%s", err, out.String(), errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	want := []string{digests[1] + "  -", digests[1]}
	if len(lines) != 2 || lines[0] != want[0] || lines[1] != want[1] {
		t.Errorf("the README's recipe printed %q, want %q", lines, want)
	}

	res := run(t, ws, nil, "verify", "reports/helios-omniversal-symphony")
	if res.code != 0 || !strings.Contains(res.stdout, "content digest sha256:"+digests[1]) {
		t.Errorf("helios verify: exit %d\n%s", res.code, res.stdout)
	}
}
