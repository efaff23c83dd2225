package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/helios-action/helios-action/internal/actionyml"
	"github.com/helios-action/helios-action/internal/artifact/artifacttest"
	"github.com/helios-action/helios-action/internal/ghapi/ghtest"
)

const headSHA = "0123456789abcdef0123456789abcdef01234567"

// actionRun is the runner's side of one `helios action` step: the
// environment it passes into the container and the file commands it reads.
type actionRun struct {
	ws, outputs, summary, event string
	env                         []string
}

// newActionRun lays out a workspace copy of fixture ("" for an empty one),
// the event file and the file commands, the way the runner mounts them.
func newActionRun(t *testing.T, fixture string, ev map[string]any, eventName string, gh *ghtest.Server, art *artifacttest.Server, inputs map[string]string) *actionRun {
	t.Helper()
	ar := &actionRun{}
	if fixture != "" {
		ar.ws = workspace(t, fixture)
	} else {
		ar.ws = t.TempDir()
	}
	fc := t.TempDir()
	ar.outputs, ar.summary, ar.event = filepath.Join(fc, "output"), filepath.Join(fc, "step_summary"), filepath.Join(fc, "event.json")
	b, _ := json.Marshal(ev)
	writeFile(t, ar.event, string(b))
	for _, f := range []string{ar.outputs, ar.summary} {
		writeFile(t, f, "")
	}
	ar.env = []string{
		"GITHUB_ACTIONS=true", "CI=true",
		"GITHUB_WORKSPACE=" + ar.ws, "GITHUB_EVENT_NAME=" + eventName, "GITHUB_EVENT_PATH=" + ar.event,
		"GITHUB_OUTPUT=" + ar.outputs, "GITHUB_STEP_SUMMARY=" + ar.summary,
		"GITHUB_REPOSITORY=octo/helios", "GITHUB_SHA=" + headSHA, "GITHUB_RUN_ID=4242", "GITHUB_JOB=mission",
		"GITHUB_SERVER_URL=https://github.example", "GITHUB_TOKEN=ghs_workflowtoken000",
	}
	if gh != nil {
		ar.env = append(ar.env, "GITHUB_API_URL="+gh.URL(), "INPUT_GITHUB-TOKEN=ghs_workflowtoken000")
	}
	if art != nil {
		for k, v := range art.Env() {
			ar.env = append(ar.env, k+"="+v)
		}
	}
	for k, v := range inputs {
		ar.env = append(ar.env, "INPUT_"+strings.ToUpper(k)+"="+v)
	}
	return ar
}

func (ar *actionRun) run(t *testing.T) result {
	t.Helper()
	return run(t, ar.ws, ar.env, "action")
}

// outputsOf parses the GITHUB_OUTPUT file (name<<delimiter form).
func outputsOf(t *testing.T, path string) map[string]string {
	t.Helper()
	out := map[string]string{}
	lines := strings.Split(readFile(t, path), "\n")
	for i := 0; i < len(lines); i++ {
		name, delim, ok := strings.Cut(lines[i], "<<")
		if !ok {
			continue
		}
		var val []string
		for i++; i < len(lines) && lines[i] != delim; i++ {
			val = append(val, lines[i])
		}
		out[name] = strings.Join(val, "\n")
	}
	return out
}

func prEvent(n int) map[string]any {
	return map[string]any{"pull_request": map[string]any{"number": n, "head": map[string]any{"sha": headSHA}}}
}

// TestActionPullRequest is the main path: the example mission on a pull
// request reports everywhere, and a second run updates in place.
func TestActionPullRequest(t *testing.T) {
	gh := ghtest.NewServer(t)
	art := artifacttest.Start(t, artifacttest.Options{})
	url := startChain(t, "")
	inputs := map[string]string{"rpc-url": url, "status": "both"}

	// The base branch's last run: a push to main that uploaded its bundle,
	// which GitHub then lists as run #41's artifact.
	baseArt := artifacttest.Start(t, artifacttest.Options{})
	base := newActionRun(t, "example", map[string]any{"ref": "refs/heads/main"}, "push", nil, baseArt, map[string]string{"rpc-url": url})
	base.env = append(base.env, "GITHUB_RUN_ID=4100", "GITHUB_REF=refs/heads/main", "GITHUB_SHA="+baseHead)
	if res := base.run(t); res.code != 0 {
		t.Fatalf("base run: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	baseOuts := outputsOf(t, base.outputs)
	publishBase(t, gh, baseArt)

	first := newActionRun(t, "example", prBaseEvent(7), "pull_request", gh, art, inputs)
	first.env = append(first.env, "GITHUB_WORKFLOW_REF="+prWorkflowRef)
	res := first.run(t)
	if res.code != 0 {
		t.Fatalf("first run: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	outs := outputsOf(t, first.outputs)
	root := filepath.Join(first.ws, outs["report-root"])
	sha256sumCheck(t, root)
	sum, _ := exec.Command("sha256sum", filepath.Join(root, "SHA256SUMS")).Output()
	if got, want := outs["ledger-digest"], strings.Fields(string(sum))[0]; got != want {
		t.Errorf("ledger-digest %q, sha256sum says %q", got, want)
	}
	for k, want := range map[string]string{"conclusion": "success", "report-root": exampleRoot, "sha256sums": exampleRoot + "/SHA256SUMS", "manifest": exampleRoot + "/manifest.json", "drift": "false",
		"content-digest": baseOuts["content-digest"], "baseline-content-digest": baseOuts["content-digest"], "baseline-run-url": gh.URL() + "/octo/helios/actions/runs/4100"} {
		if outs[k] != want {
			t.Errorf("output %s = %q, want %q", k, outs[k], want)
		}
	}
	subjects, err := base64.StdEncoding.DecodeString(outs["base64-subjects"])
	if err != nil || string(subjects) != readFile(t, filepath.Join(root, "SHA256SUMS")) {
		t.Errorf("base64-subjects is not base64 of SHA256SUMS (%v)", err)
	}
	// A pull-request run with every reporter on writes every output that
	// action.yml declares, and nothing else; shard-digest is a shard
	// job's alone.
	declared := slices.DeleteFunc(declaredOutputs(t), func(k string) bool { return k == "shard-digest" })
	for _, k := range declared {
		if outs[k] == "" {
			t.Errorf("output %s (declared in action.yml) not set; outputs %v", k, outs)
		}
	}
	if len(outs) != len(declared) {
		t.Errorf("%d outputs written, action.yml declares %d: %v", len(outs), len(declared), outs)
	}
	// The log names the URL only in the ::add-mask:: command that hides it.
	for _, l := range strings.Split(res.stdout, "\n") {
		if strings.Contains(l, url) && !strings.HasPrefix(l, "::add-mask::") {
			t.Errorf("the RPC URL reached the log: %q", l)
		}
	}
	if strings.Contains(readFile(t, first.outputs), url) {
		t.Error("the RPC URL reached the outputs")
	}

	// The artifact unzips to a bundle that sha256sum -c verifies.
	arts := art.Artifacts()
	if len(arts) != 1 || !strings.HasPrefix(arts[0].Name, "helios-example-mission-mission-") {
		t.Fatalf("artifacts %+v", arts)
	}
	a := arts[0]
	if !strings.HasSuffix(outs["artifact-url"], fmt.Sprintf("/octo/helios/actions/runs/4242/artifacts/%d", a.ID)) || outs["artifact-digest"] != a.Digest {
		t.Errorf("artifact outputs %q %q, stored %d %s", outs["artifact-url"], outs["artifact-digest"], a.ID, a.Digest)
	}
	unzipAndVerify(t, a)
	if v := art.Violations(); len(v) > 0 {
		t.Errorf("artifact protocol violations: %v", v)
	}

	summary := readFile(t, first.summary)
	for _, want := range []string{"```mermaid", "flowchart", "gantt", outs["ledger-digest"], "preflight", outs["artifact-url"], outs["check-run-url"]} {
		if !strings.Contains(summary, want) {
			t.Errorf("job summary lacks %q", want)
		}
	}
	runs := gh.CheckRuns()
	if len(runs) != 1 || runs[0].Name != "Helios mission" || runs[0].Conclusion != "success" || runs[0].HeadSHA != headSHA {
		t.Fatalf("check runs %+v", runs)
	}
	if st := gh.Statuses(); len(st) != 1 || st[0].State != "success" || st[0].Context != "Helios mission" {
		t.Errorf("statuses %+v", st)
	}

	// The same evidence as the base branch's: said first, before the phases.
	c := gh.Comments("octo", "helios", 7)
	if len(c) != 1 {
		t.Fatalf("%d comments", len(c))
	}
	if lead := leadOf(c[0].Body); !strings.Contains(lead, "**Since `main` @ b0b0b0b") || !strings.Contains(lead, "identical evidence**") {
		t.Errorf("the comment does not lead with the comparison:\n%s", lead)
	}
	if runs := gh.CheckRuns(); !strings.Contains(runs[0].Title, "identical evidence") {
		t.Errorf("check run title %q", runs[0].Title)
	}
	if v := gh.Violations(); len(v) > 0 {
		t.Errorf("the storage host saw a credential: %v", v)
	}

	// A second run of the same PR, on a dev chain whose thermostat kp
	// moved: the one comment is updated in place, leads with that
	// parameter, before and after, and the run makes at most 8 REST
	// requests (GraphQL not counted): the 5 of reporting, and 3 to find
	// and fetch the base branch's bundle.
	gh.Reset()
	swung := startChain(t, drill(t, `{"drill": "thermostat swing", "thermostat": {"kp": "250000000000000000"}}`))
	second := newActionRun(t, "example", prBaseEvent(7), "pull_request", gh, artifacttest.Start(t, artifacttest.Options{}), map[string]string{"rpc-url": swung, "status": "both"})
	second.env = append(second.env, "GITHUB_WORKFLOW_REF="+prWorkflowRef)
	if res := second.run(t); res.code != 0 {
		t.Fatalf("second run: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if o := outputsOf(t, second.outputs); o["drift"] != "true" || o["content-digest"] == o["baseline-content-digest"] {
		t.Errorf("after the swing: drift %q, content-digest %q, baseline's %q", o["drift"], o["content-digest"], o["baseline-content-digest"])
	}
	if c := gh.Comments("octo", "helios", 7); len(c) == 1 {
		lead := leadOf(c[0].Body)
		for _, want := range []string{
			"**Since `main` @ b0b0b0b",
			"| Thermodynamics report | `/thermostat/parameters/kp/onChain` | `\"200000000000000000\"` | `\"250000000000000000\"` |",
			"`owner/thermodynamics.md` changed",
			"+| kp | 200000000000000000 | 250000000000000000 | drift |",
		} {
			if !strings.Contains(lead, want) {
				t.Errorf("the comment's lead lacks %q:\n%s", want, lead)
			}
		}
		t.Logf("the drift comment:\n%s", c[0].Body)
	}
	if c := gh.Comments("octo", "helios", 7); len(c) != 1 {
		t.Errorf("%d comments after two runs, want 1", len(c))
	} else if !strings.Contains(c[0].Body, "<!-- helios:mission=") || !strings.Contains(c[0].Body, "/actions/runs/4242/artifacts/") {
		t.Errorf("comment lacks its marker or the artifact link:\n%s", c[0].Body)
	}
	rest := 0
	for route, n := range gh.Counts() {
		if route != ghtest.RouteGraphQL {
			rest += n
		}
	}
	t.Logf("second PR run: %d REST requests %v", rest, gh.Counts())
	if rest > 8 || gh.Count(ghtest.RouteWorkflowRuns) != 1 || gh.Count(ghtest.RouteRunArtifacts) != 1 || gh.Count(ghtest.RouteDownloadArtifact) != 1 {
		t.Errorf("second PR run made %d REST requests, want at most 8 (3 for the baseline): %v", rest, gh.Counts())
	}
}

const (
	baseHead      = "b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0"
	prWorkflowRef = "octo/helios/.github/workflows/helios.yml@refs/pull/7/merge"
)

// prBaseEvent is a pull request from a branch of the repository into main
// at baseHead.
func prBaseEvent(n int) map[string]any {
	repo := map[string]any{"full_name": "octo/helios"}
	return map[string]any{"pull_request": map[string]any{
		"number": n,
		"head":   map[string]any{"sha": headSHA, "repo": repo},
		"base":   map[string]any{"ref": "main", "sha": baseHead, "repo": repo},
	}}
}

// publishBase lists the bundle the base run uploaded as the artifact of
// main's run #41 (id 4100) of the workflow, as GitHub's REST API would.
func publishBase(t *testing.T, gh *ghtest.Server, art *artifacttest.Server) {
	t.Helper()
	arts := art.Artifacts()
	if len(arts) != 1 {
		t.Fatalf("the base run uploaded %d artifacts", len(arts))
	}
	zb, err := arts[0].Bytes()
	if err != nil {
		t.Fatal(err)
	}
	gh.AddRun(ghtest.Run{ID: 4100, WorkflowID: 31, WorkflowFile: "helios.yml", RunNumber: 41, Event: "push",
		HeadBranch: "main", HeadSHA: baseHead, Conclusion: "success", Owner: "octo", Repo: "helios"})
	gh.AddArtifact(4100, arts[0].Name, zb, false)
}

// leadOf is a comment up to its links line: the header and the
// comparison, what a reviewer reads first.
func leadOf(body string) string {
	lead, _, _ := strings.Cut(body, "\n📦 ")
	return lead
}

// declaredOutputs are the outputs action.yml declares.
func declaredOutputs(t *testing.T) []string {
	t.Helper()
	md, problems, err := actionyml.Check([]byte(readFile(t, "../action.yml")))
	if err != nil || len(problems) > 0 {
		t.Fatalf("action.yml: %v %v", err, problems)
	}
	return md.Outputs
}

func unzipAndVerify(t *testing.T, a artifacttest.Artifact) {
	t.Helper()
	b, err := a.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	unzipBundle(t, b)
}

// unzipBundle unzips an artifact into a new folder, checks it with
// sha256sum -c, and returns the folder.
func unzipBundle(t *testing.T, zb []byte) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range unzipFiles(t, zb) {
		writeFile(t, filepath.Join(dir, name), string(data))
	}
	sha256sumCheck(t, dir)
	return dir
}

// simpleMission needs no chain: for the tests about reporting itself.
const simpleMission = `version: 1
name: reporting
report-root: out
phases:
  build:
    steps:
      - run: echo built > "$HELIOS_REPORT_ROOT/built.txt"
`

// TestActionConcurrentRunsOneComment: two runs of the same mission and key
// racing on one PR end with a single comment.
func TestActionConcurrentRunsOneComment(t *testing.T) {
	gh := ghtest.NewServer(t)
	var runs []*actionRun
	for range 2 {
		ar := newActionRun(t, "", prEvent(11), "pull_request", gh, nil, map[string]string{"status": "off"})
		writeFile(t, filepath.Join(ar.ws, "helios.yml"), simpleMission)
		runs = append(runs, ar)
	}
	var wg sync.WaitGroup
	results := make([]result, len(runs))
	for i, ar := range runs {
		wg.Add(1)
		go func() { defer wg.Done(); results[i] = ar.run(t) }()
	}
	wg.Wait()
	for i, r := range results {
		if r.code != 0 {
			t.Fatalf("run %d: exit %d\n%s%s", i, r.code, r.stdout, r.stderr)
		}
	}
	if c := gh.Comments("octo", "helios", 11); len(c) != 1 {
		t.Errorf("%d comments after two concurrent runs, want 1", len(c))
	}
}

// TestActionWithoutPermission: a read-only token (fork PRs) gets notices
// naming the missing permission; the mission's conclusion is unchanged.
func TestActionWithoutPermission(t *testing.T) {
	gh := ghtest.NewServer(t)
	gh.Inject(ghtest.RouteCreateCheck, 1, ghtest.NotAccessible())
	gh.Inject(ghtest.RouteListComments, 1, ghtest.NotAccessible())
	ar := newActionRun(t, "", prEvent(3), "pull_request", gh, nil, nil)
	writeFile(t, filepath.Join(ar.ws, "helios.yml"), simpleMission)
	res := ar.run(t)
	if res.code != 0 {
		t.Fatalf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	// One notice names everything refused and every missing permission.
	if n := strings.Count(res.stdout, "::notice::GitHub refused"); n != 1 {
		t.Errorf("%d notices about refusals, want 1:\n%s", n, res.stdout)
	}
	for _, want := range []string{"::notice::GitHub refused the check run (403 Resource not accessible by integration) and the PR comment (403 ", "`checks: write`, `pull-requests: write`"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, res.stdout)
		}
	}
	if strings.Contains(res.stdout, "::warning::") || strings.Contains(res.stdout, "::error::") {
		t.Errorf("a refusal is a notice, not a warning or error:\n%s", res.stdout)
	}
	if outs := outputsOf(t, ar.outputs); outs["conclusion"] != "success" {
		t.Errorf("conclusion %q", outs["conclusion"])
	}
	sum := readFile(t, ar.summary)
	if !strings.Contains(sum, "success") {
		t.Error("no job summary")
	}
	// The summary says what is missing from the pull request, and why.
	if !strings.Contains(sum, "**Not posted:** GitHub refused the check run \\(403 Resource not accessible by integration\\) and the PR comment") || !strings.Contains(sum, "`checks: write`, `pull-requests: write`") {
		t.Errorf("the job summary does not say what was not posted:\n%s", sum)
	}
}

// GitHub answering 500 to every try cost 93 s of retries before the action
// gave up on its reports. The first call now retries for 7 s and the later
// ones try once; the mission's conclusion is not changed by reports that
// could not be made.
func TestActionGitHubDown(t *testing.T) {
	gh := ghtest.NewServer(t)
	for _, route := range []string{ghtest.RouteCreateCheck, ghtest.RouteUpdateCheck, ghtest.RouteListComments, ghtest.RouteCreateComment, ghtest.RouteCreateStatus, ghtest.RouteGraphQL} {
		gh.Inject(route, 100, ghtest.ServerError())
	}
	ar := newActionRun(t, "", prEvent(5), "pull_request", gh, nil, map[string]string{"status": "both"})
	writeFile(t, filepath.Join(ar.ws, "helios.yml"), simpleMission)
	start := time.Now()
	res := ar.run(t)
	took := time.Since(start)
	t.Logf("the action gave up on GitHub after %v; %d requests: %v", took.Round(100*time.Millisecond), gh.Count(""), gh.Counts())
	if res.code != 0 {
		t.Fatalf("exit %d: reports GitHub could not take must not fail the mission\n%s%s", res.code, res.stdout, res.stderr)
	}
	if n := gh.Count(""); n > 4+3 {
		t.Errorf("%d requests to a GitHub that answers 500: the first call's 4 tries, then one per call", n)
	}
	if !strings.Contains(res.stdout, "::warning::") || !strings.Contains(res.stdout, "500") {
		t.Errorf("no warning names the 500:\n%s", res.stdout)
	}
}

// TestActionPushAndGate: a push gets a status and no comment; the CI
// summary gate fails the conclusion when an upstream job failed, and
// fail-on-failure false reports without failing the step.
func TestActionPushAndGate(t *testing.T) {
	gh := ghtest.NewServer(t)
	needs := `{"lint":{"result":"success","outputs":{}},"test":{"result":"failure","outputs":{}},"docs":{"result":"skipped","outputs":{}}}`
	for _, tc := range []struct {
		name, failOnFailure string
		wantCode            int
	}{{"fails the step", "true", 1}, {"reports only", "false", 0}} {
		t.Run(tc.name, func(t *testing.T) {
			gh.Reset()
			ar := newActionRun(t, "", map[string]any{"ref": "refs/heads/main"}, "push", gh, nil, map[string]string{"status": "commit-status", "needs": needs, "fail-on-failure": tc.failOnFailure})
			writeFile(t, filepath.Join(ar.ws, "helios.yml"), simpleMission)
			res := ar.run(t)
			if res.code != tc.wantCode {
				t.Fatalf("exit %d, want %d\n%s%s", res.code, tc.wantCode, res.stdout, res.stderr)
			}
			if n := gh.Count(ghtest.RouteListComments) + gh.Count(ghtest.RouteCreateComment); n != 0 {
				t.Errorf("a push run touched comments (%d requests)", n)
			}
			st := gh.Statuses()
			if len(st) == 0 || st[len(st)-1].State != "failure" {
				t.Errorf("statuses %+v", st)
			}
			if outs := outputsOf(t, ar.outputs); outs["conclusion"] != "failure" {
				t.Errorf("conclusion %q", outs["conclusion"])
			}
			sum := readFile(t, ar.summary)
			for _, want := range []string{"test", "failure", "docs", "skipped"} {
				if !strings.Contains(sum, want) {
					t.Errorf("summary gate lacks %q", want)
				}
			}
		})
	}
}

// TestActionWorkflowRunFork is the fork-safe pattern: a workflow_run job
// verifies the bundle the PR's run left (run: false) and finds the fork's
// PR from the head SHA.
func TestActionWorkflowRunFork(t *testing.T) {
	gh := ghtest.NewServer(t)
	gh.AddPull(ghtest.Pull{Owner: "octo", Repo: "helios", Number: 21, HeadSHA: headSHA, Fork: true})
	ev := map[string]any{"workflow_run": map[string]any{"head_sha": headSHA, "event": "pull_request", "pull_requests": []any{}}}
	ar := newActionRun(t, "", ev, "workflow_run", gh, nil, map[string]string{"run": "false"})
	writeFile(t, filepath.Join(ar.ws, "helios.yml"), simpleMission)
	if res := run(t, ar.ws, nil, "run"); res.code != 0 {
		t.Fatalf("helios run: %s", res.stderr)
	}
	res := ar.run(t)
	if res.code != 0 {
		t.Fatalf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if c := gh.Comments("octo", "helios", 21); len(c) != 1 {
		t.Errorf("%d comments on the fork PR, want 1", len(c))
	}
	if runs := gh.CheckRuns(); len(runs) != 1 || runs[0].HeadSHA != headSHA || runs[0].Conclusion != "success" {
		t.Errorf("check runs %+v", runs)
	}

	// A bundle changed after its ledger was written fails verification.
	writeFile(t, filepath.Join(ar.ws, "out/built.txt"), "tampered\n")
	res = ar.run(t)
	if res.code != 1 || !strings.Contains(res.stdout, "built.txt") {
		t.Errorf("tampered bundle: exit %d\n%s", res.code, res.stdout)
	}
}

// TestActionLimits: 10,000 files and a 5 MB log stay within the summary,
// comment and check-run limits (the fake refuses anything over them).
func TestActionLimits(t *testing.T) {
	gh := ghtest.NewServer(t)
	ar := newActionRun(t, "", prEvent(5), "pull_request", gh, nil, nil)
	writeFile(t, filepath.Join(ar.ws, "helios.yml"), `version: 1
name: big
report-root: out
phases:
  many:
    steps:
      - name: ten thousand files
        run: |
          cd "$HELIOS_REPORT_ROOT" && mkdir -p files && cd files
          i=0; while [ $i -lt 10000 ]; do echo $i > f$i.txt; i=$((i+1)); done
  noisy:
    steps:
      - name: five megabytes of log, then failure
        run: |
          head -c 5000000 /dev/zero | tr '\0' 'x' | fold -w 100
          exit 1
`)
	res := ar.run(t)
	if res.code != 1 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	if fi, _ := os.Stat(ar.summary); fi.Size() > 1<<20 {
		t.Errorf("job summary is %d bytes, over 1 MiB", fi.Size())
	}
	c := gh.Comments("octo", "helios", 5)
	if len(c) != 1 || utf8.RuneCountInString(c[0].Body) > 65536 {
		t.Fatalf("comments %d", len(c))
	}
	runs := gh.CheckRuns()
	if len(runs) != 1 || runs[0].Conclusion != "failure" || len(runs[0].Annotations) == 0 {
		t.Fatalf("check runs %+v", runs)
	}
	if outs := outputsOf(t, ar.outputs); outs["files"] == "" || outs["conclusion"] != "failure" {
		t.Errorf("outputs %v", outs)
	}
	if strings.Contains(res.stdout, "::warning::") && strings.Contains(res.stdout, "422") {
		t.Errorf("GitHub refused something as too large:\n%s", lastLines(res.stdout, 20))
	}
}

func lastLines(s string, n int) string {
	l := strings.Split(s, "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}

// TestActionCancelled: SIGTERM mid-mission completes the check run as
// cancelled, with the bundle's ledger written first.
func TestActionCancelled(t *testing.T) {
	gh := ghtest.NewServer(t)
	ar := newActionRun(t, "", prEvent(9), "pull_request", gh, nil, nil)
	writeFile(t, filepath.Join(ar.ws, "helios.yml"), "version: 1\nreport-root: out\nphases:\n  long:\n    steps:\n      - run: echo started; sleep 300\n")
	cmd := exec.Command(helios, "action")
	cmd.Dir, cmd.Env = ar.ws, append(baseEnv(), ar.env...)
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, stdout, "started")
	go io.Copy(io.Discard, stdout)
	cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Errorf("exit: %v, want 1", err)
	}
	runs := gh.CheckRuns()
	if len(runs) != 1 || runs[0].Conclusion != "cancelled" {
		t.Fatalf("check runs %+v", runs)
	}
	sha256sumCheck(t, filepath.Join(ar.ws, "out"))
	if outs := outputsOf(t, ar.outputs); outs["conclusion"] != "cancelled" {
		t.Errorf("conclusion output %q", outs["conclusion"])
	}
}

// TestActionDocsAnnotations: problems the docs check finds become error
// annotations on the files, capped at what the runner shows for a step.
func TestActionDocsAnnotations(t *testing.T) {
	ar := newActionRun(t, "", map[string]any{}, "push", nil, nil, map[string]string{"fail-on-failure": "false"})
	writeFile(t, filepath.Join(ar.ws, "README.md"), "# Title\n\nSee [guide](docs/guide.md) and [x](#nowhere).\n")
	for i := range 12 {
		writeFile(t, filepath.Join(ar.ws, fmt.Sprintf("docs/p%02d.md", i)), "[missing](nope.md)\n")
	}
	writeFile(t, filepath.Join(ar.ws, "helios.yml"), "version: 1\nreport-root: out\nphases:\n  docs:\n    steps:\n      - uses: helios/docs\n")
	res := ar.run(t)
	if res.code != 0 {
		t.Fatalf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if !strings.Contains(res.stdout, "::error file=README.md,line=3,") {
		t.Errorf("no annotation on README.md:3:\n%s", res.stdout)
	}
	if n := strings.Count(res.stdout, "::error file="); n != 10 {
		t.Errorf("%d error annotations, want the runner's 10", n)
	}
	if !strings.Contains(res.stdout, "more documentation problems are in the docs report") {
		t.Error("no note for the annotations past 10")
	}
}

// TestActionWorkingDirectory: the example mission in a subfolder of a
// monorepo runs there with the working-directory input (its config/ and
// scripts/ are the folder's), and every path output is relative to the
// workspace, so a later step uses it as is.
func TestActionWorkingDirectory(t *testing.T) {
	gh := ghtest.NewServer(t)
	ar := newActionRun(t, "", prEvent(12), "pull_request", gh, nil, map[string]string{
		"working-directory": "missions/example", "rpc-url": startChain(t, ""), "upload": "false",
	})
	copyTree(t, filepath.Join("..", "testdata", "example"), filepath.Join(ar.ws, "missions", "example"))
	res := ar.run(t)
	if res.code != 0 {
		t.Fatalf("exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	outs := outputsOf(t, ar.outputs)
	root := "missions/example/" + exampleRoot
	for k, want := range map[string]string{"conclusion": "success", "report-root": root, "sha256sums": root + "/SHA256SUMS", "manifest": root + "/manifest.json"} {
		if outs[k] != want {
			t.Errorf("output %s = %q, want %q", k, outs[k], want)
		}
	}
	sha256sumCheck(t, filepath.Join(ar.ws, outs["report-root"]))
	if _, err := os.Stat(filepath.Join(ar.ws, exampleRoot)); !os.IsNotExist(err) {
		t.Errorf("a bundle at the workspace's root: %v", err)
	}
	if m := readManifest(t, filepath.Join(ar.ws, root)); m.Mission.File != "helios.yml" || m.Mission.ReportRoot != exampleRoot {
		t.Errorf("manifest mission %+v: its paths are the mission folder's", m.Mission)
	}
	if runs := gh.CheckRuns(); len(runs) != 1 || runs[0].Conclusion != "success" {
		t.Errorf("check runs %+v", runs)
	}

	// Out of the workspace, it is refused and named.
	ar = newActionRun(t, "", nil, "push", nil, nil, map[string]string{"working-directory": "../elsewhere", "upload": "false"})
	res = ar.run(t)
	if want := `::error::input "working-directory": `; res.code != 2 || !strings.Contains(res.stdout, want) {
		t.Errorf("exit %d, want 2 and %q\n%s%s", res.code, want, res.stdout, res.stderr)
	}
}
