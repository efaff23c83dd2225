package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/helios-action/helios-action/internal/attest"
	"github.com/helios-action/helios-action/internal/ghapi/ghtest"
)

// The act tests run the action the way a workflow does: `uses: ./` in a
// workflow run by nektos/act, an independent implementation of GitHub's
// runner, against podman's Docker API. act loads action.yml as a runner
// does (the tests above imitate the runner and could not see a load
// failure), builds the Dockerfile, and runs the container with the
// runner's mounts, inputs, file commands and artifact service.
//
// scripts/act-e2e.sh provides what they need and runs them:
//
//	HELIOS_ACT           the act binary (github.com/nektos/act@v0.2.87)
//	DOCKER_HOST          podman's API socket
//	HELIOS_ACT_PLATFORM  the job container's image (-P ubuntu-latest=…)
//	HELIOS_GO_IMAGE, HELIOS_NODE_IMAGE
//	                     local bases, written into the copy's Dockerfile as
//	                     its ARG defaults (act cannot pass --build-arg)
//
// Without HELIOS_ACT they skip. Cases run one after another: act tags every
// local action's image act-dockeraction:latest, so two runs would collide.

// actBudgetBuild bounds the first act run, which builds the action's image
// from the Dockerfile (2.5 to 3 minutes here); actBudget every later one,
// which reuses the image (about 20 s here). Nine runs: 16 minutes at most,
// inside the 20 that .ci/run gives scripts/act-e2e.sh.
const (
	actBudgetBuild = 6 * time.Minute
	actBudget      = 75 * time.Second
)

// actToken is the workflow token the act runs get (secrets.GITHUB_TOKEN).
const actToken = "ghs_actworkflowtoken0000000000000000000"

type actHarness struct {
	act, platform, goImage, nodeImage string
	files                             []string // the repository's files, relative to its root
	built                             bool     // act-dockeraction:latest holds this tree's image
	logs                              string   // act's logs are kept here for CI
}

func newActHarness(t *testing.T) *actHarness {
	t.Helper()
	h := &actHarness{
		act:       os.Getenv("HELIOS_ACT"),
		platform:  os.Getenv("HELIOS_ACT_PLATFORM"),
		goImage:   os.Getenv("HELIOS_GO_IMAGE"),
		nodeImage: os.Getenv("HELIOS_NODE_IMAGE"),
		logs:      os.Getenv("HELIOS_ACT_LOGS"),
	}
	if h.act == "" {
		t.Skip("needs nektos/act and podman's Docker API: run scripts/act-e2e.sh")
	}
	for k, v := range map[string]string{"DOCKER_HOST": os.Getenv("DOCKER_HOST"), "HELIOS_ACT_PLATFORM": h.platform, "HELIOS_GO_IMAGE": h.goImage, "HELIOS_NODE_IMAGE": h.nodeImage} {
		if v == "" {
			t.Fatalf("HELIOS_ACT is set but %s is not (scripts/act-e2e.sh sets both)", k)
		}
	}
	if os.Geteuid() != 0 {
		t.Fatal("the act tests run as root: they give the workspace to uid 1001, as the runner's user owns it")
	}
	if h.logs == "" {
		h.logs = t.TempDir()
	}
	out, err := exec.Command("git", "-C", "..", "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v (the act tests copy a git checkout)", err)
	}
	for _, f := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		if fi, err := os.Lstat(filepath.Join("..", f)); err == nil && fi.Mode().IsRegular() {
			h.files = append(h.files, f)
		}
	}
	return h
}

// actWorkspace is a throwaway copy of the repository, the action under
// test (`uses: ./`) and the workspace of the workflow at once.
type actWorkspace struct {
	dir, head string
}

type wsOptions struct {
	fixture  string            // lay out testdata/<fixture> ("example": helios.yml, config/, …; "upstream": the stand-in) at the root
	mission  string            // or this helios.yml
	workflow string            // .github/workflows/act.yml
	extra    map[string]string // more files
	stage    string            // a bundle to copy to act-staged/
}

// workspace copies the repository, patches the copy's Dockerfile to local
// bases, adds the mission and the workflow, commits, and gives it to uid
// 1001 (the runner's user owns the workspace; the container runs as root).
func (h *actHarness) workspace(t *testing.T, o wsOptions) *actWorkspace {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "helios")
	for _, f := range h.files {
		src := filepath.Join("..", f)
		fi, err := os.Stat(src)
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, fi.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	df := filepath.Join(dir, "Dockerfile")
	docker := readFile(t, df)
	for arg, img := range map[string]string{"GO_IMAGE": h.goImage, "RUNTIME_IMAGE": h.nodeImage} {
		re := regexp.MustCompile(`(?m)^ARG ` + arg + `=.*$`)
		if !re.MatchString(docker) {
			t.Fatalf("the Dockerfile has no ARG %s= line to point at a local base", arg)
		}
		docker = re.ReplaceAllString(docker, "ARG "+arg+"="+img)
	}
	writeFile(t, df, docker)

	if o.fixture != "" {
		src := filepath.Join("..", "testdata", o.fixture)
		err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(src, p)
			if d.IsDir() && rel == "reports" {
				return filepath.SkipDir
			}
			if d.IsDir() || rel == ".gitignore" {
				return nil
			}
			dst := filepath.Join(dir, rel)
			if _, err := os.Lstat(dst); err == nil {
				return fmt.Errorf("the fixture's %s would overwrite the repository's", rel)
			}
			fi, _ := d.Info()
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			os.MkdirAll(filepath.Dir(dst), 0o755)
			return os.WriteFile(dst, b, fi.Mode().Perm())
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if o.mission != "" {
		writeFile(t, filepath.Join(dir, "helios.yml"), o.mission)
	}
	writeFile(t, filepath.Join(dir, ".github/workflows/act.yml"), o.workflow)
	for name, content := range o.extra {
		writeFile(t, filepath.Join(dir, name), content)
	}
	if o.stage != "" {
		copyTree(t, o.stage, filepath.Join(dir, "act-staged"))
	}

	git := func(args ...string) string {
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=act", "-c", "user.email=act@example.invalid"}, args...)...)
		cmd.Env = append(baseEnv(), "GIT_AUTHOR_DATE=2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE=2026-01-01T00:00:00Z")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "-q", "-b", "main")
	git("add", "-A")
	git("commit", "-q", "-m", "act test")
	git("remote", "add", "origin", "https://github.com/octo/helios.git")
	ws := &actWorkspace{dir: dir, head: git("rev-parse", "HEAD")}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, 1001, 1001)
	})
	if err != nil {
		t.Fatal(err)
	}
	return ws
}

// actLine is one line of act's --json log.
type actLine struct {
	Msg        string   `json:"msg"`
	Level      string   `json:"level"`
	Command    string   `json:"command"`
	Arg        string   `json:"arg"`
	Content    string   `json:"content"`
	Raw        string   `json:"raw"`
	StepID     []string `json:"stepID"`
	StepResult string   `json:"stepResult"`
	JobResult  string   `json:"jobResult"`
}

// actResult is what act left: its exit code and log, the artifacts its
// artifact server stored, and what the probe step recorded.
type actResult struct {
	code      int
	lines     []actLine
	log       string
	artifacts string
	elapsed   time.Duration
	outputs   map[string]string // steps.helios.outputs, as the next step saw them
	outcome   string            // steps.helios.outcome
}

type actRunOptions struct {
	event     string
	payload   map[string]any
	secrets   map[string]string
	env       map[string]string
	artifacts string // the artifact server's folder (default: a new one)
	// dockerSocket mounts the Docker API socket (podman's) into the
	// containers at /var/run/docker.sock, as GitHub's runner does.
	dockerSocket bool
}

// run runs the workspace's workflow under act with a budget, then reads the
// probe step's record.
func (h *actHarness) run(t *testing.T, ws *actWorkspace, name string, o actRunOptions) *actResult {
	t.Helper()
	tmp := t.TempDir()
	eventFile := filepath.Join(tmp, "event.json")
	b, _ := json.Marshal(o.payload)
	writeFile(t, eventFile, string(b))
	if o.artifacts == "" {
		o.artifacts = filepath.Join(tmp, "artifacts")
	}
	args := []string{o.event, "--json",
		"-W", ".github/workflows/act.yml", "-e", eventFile,
		"-P", "ubuntu-latest=" + h.platform, "--pull=false", "--action-offline-mode",
		"-b", "--no-cache-server",
		"--artifact-server-path", o.artifacts, "--artifact-server-addr", "127.0.0.1", "--artifact-server-port", freePort(t),
	}
	socket := "-"
	if o.dockerSocket {
		socket = os.Getenv("DOCKER_HOST")
	}
	args = append(args, "--container-daemon-socket", socket)
	budget := actBudgetBuild
	if h.built {
		// The image act built in the first case is this tree's.
		args = append(args, "--rebuild=false")
		budget = actBudget
	}
	// Secrets go by name (-s NAME) with the value in act's environment, so
	// they are in no process's argv.
	home := filepath.Join(tmp, "home")
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "XDG_CONFIG_HOME=" + home + "/.config", "XDG_CACHE_HOME=" + home + "/.cache", "DOCKER_HOST=" + os.Getenv("DOCKER_HOST")}
	secrets := map[string]string{"GITHUB_TOKEN": actToken}
	for k, v := range o.secrets {
		secrets[k] = v
	}
	for _, k := range sortedKeys(secrets) {
		args = append(args, "-s", k)
		env = append(env, k+"="+secrets[k])
	}
	for _, k := range sortedKeys(o.env) {
		args = append(args, "--env", k+"="+o.env[k])
	}

	ctx, cancel := context.WithTimeout(context.Background(), budget)
	defer cancel()
	cmd := exec.CommandContext(ctx, h.act, args...)
	cmd.Dir = ws.dir
	cmd.Env = env
	// act stops its containers on SIGINT; SIGKILL only if it does not.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGINT) }
	cmd.WaitDelay = 30 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	res := &actResult{artifacts: o.artifacts, elapsed: time.Since(start), log: out.String()}
	logFile := filepath.Join(h.logs, strings.ReplaceAll(t.Name(), "/", "_")+"-"+name+".log")
	os.WriteFile(logFile, out.Bytes(), 0o644)
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("act %s: no end within its budget of %s (log: %s)\n%s", name, budget, logFile, lastLines(res.log, 40))
	case errors.As(err, &ee):
		res.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("act %s: %v", name, err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out.Bytes()))
	sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
	for sc.Scan() {
		var l actLine
		if json.Unmarshal(sc.Bytes(), &l) == nil {
			res.lines = append(res.lines, l)
		}
	}
	t.Logf("act %s: exit %d in %s (log: %s)", name, res.code, res.elapsed.Round(time.Second), logFile)
	if !h.built && res.stepResult("helios") != "" {
		h.built = true
	}
	if b, err := os.ReadFile(filepath.Join(ws.dir, "act-probe/outputs.json")); err == nil {
		if err := json.Unmarshal(b, &res.outputs); err != nil {
			t.Fatalf("act-probe/outputs.json: %v\n%s", err, b)
		}
		res.outcome = strings.TrimSpace(readFile(t, filepath.Join(ws.dir, "act-probe/outcome")))
	}
	return res
}

// stepResult is act's verdict on a step ("success", "failure", "" if it
// did not run).
func (r *actResult) stepResult(id string) string {
	for _, l := range r.lines {
		if l.StepResult != "" && slices.Contains(l.StepID, id) {
			return l.StepResult
		}
	}
	return ""
}

// commands returns the args of the workflow commands of one kind the
// helios step printed ("notice", "warning", "error", "summary" for the
// job summary act prints in its log).
func (r *actResult) commands(kind string) []string {
	var out []string
	for _, l := range r.lines {
		if l.Command != kind || !slices.Contains(l.StepID, "helios") {
			continue
		}
		if kind == "summary" {
			out = append(out, l.Content)
		} else {
			out = append(out, l.Arg)
		}
	}
	return out
}

func (r *actResult) fatalf(t *testing.T, format string, args ...any) {
	t.Helper()
	t.Fatalf(format+"\n--- act log (last lines)\n%s", append(args, r.tail())...)
}

// tail is the end of act's log as a reader would see it.
func (r *actResult) tail() string {
	var b strings.Builder
	for _, l := range r.lines {
		b.WriteString(l.Msg + "\n")
	}
	if b.Len() == 0 {
		return lastLines(r.log, 40)
	}
	return lastLines(b.String(), 40)
}

// artifact returns the zip act's artifact server stored under name ("" for
// the only one it stored).
func (r *actResult) artifact(t *testing.T, name string) []byte {
	t.Helper()
	if name == "" {
		name = "*"
	}
	matches, _ := filepath.Glob(filepath.Join(r.artifacts, "*", name, "*.zip"))
	if len(matches) != 1 {
		var all []string
		filepath.WalkDir(r.artifacts, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				all = append(all, p)
			}
			return nil
		})
		t.Fatalf("act's artifact server holds no single artifact %q: %v", name, all)
	}
	b, err := os.ReadFile(matches[0])
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// artifactNameBase is the one name among zips (act's artifact server's
// files) that the others extend: the merge's, beside its legs'.
func artifactNameBase(t *testing.T, zips []string) string {
	t.Helper()
	for _, z := range zips {
		name := filepath.Base(filepath.Dir(z))
		n := 0
		for _, o := range zips {
			if strings.HasPrefix(filepath.Base(filepath.Dir(o)), name+"-") {
				n++
			}
		}
		if n == len(zips)-1 {
			return name
		}
	}
	t.Fatalf("no artifact among %v that the others extend", zips)
	return ""
}

// artifactNameOf is the name of the one artifact act's server stored.
func artifactNameOf(t *testing.T, r *actResult) string {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join(r.artifacts, "*", "*", "*.zip"))
	if len(matches) != 1 {
		t.Fatalf("act's artifact server holds %d zips: %v", len(matches), matches)
	}
	return filepath.Base(filepath.Dir(matches[0]))
}

// checkBundle asserts what every run that made a bundle must leave: the
// ledger verifies with coreutils, its digest is the output, and every file
// the container wrote in the workspace belongs to the workspace's owner.
func checkBundle(t *testing.T, ws *actWorkspace, res *actResult) string {
	t.Helper()
	outs := res.outputs
	if outs == nil {
		res.fatalf(t, "the step after the action recorded no outputs")
	}
	root := filepath.Join(ws.dir, outs["report-root"])
	if outs["report-root"] == "" {
		res.fatalf(t, "no report-root output: %v", outs)
	}
	sha256sumCheck(t, root)
	sum := sha256.Sum256([]byte(readFile(t, filepath.Join(root, "SHA256SUMS"))))
	if got, want := outs["ledger-digest"], hex.EncodeToString(sum[:]); got != want {
		t.Errorf("ledger-digest output %q, sha256sum SHA256SUMS %s", got, want)
	}
	if n := len(ledgerLines(t, root)); outs["files"] != fmt.Sprint(n) {
		t.Errorf("files output %q, SHA256SUMS has %d lines", outs["files"], n)
	}
	var wrong []string
	filepath.WalkDir(ws.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(ws.dir, p)
		if rel == "act-probe" {
			return filepath.SkipDir // written by the probe step, as root
		}
		var st syscall.Stat_t
		if syscall.Lstat(p, &st) == nil && (st.Uid != 1001 || st.Gid != 1001) {
			wrong = append(wrong, fmt.Sprintf("%d:%d %s", st.Uid, st.Gid, rel))
		}
		return nil
	})
	if len(wrong) > 0 {
		t.Errorf("%d files in the workspace are not the workspace owner's (1001:1001): %v", len(wrong), wrong[:min(len(wrong), 10)])
	}
	return root
}

// checkArtifact asserts that the stored zip is the one the outputs name and
// unzips to a bundle that verifies.
func checkArtifact(t *testing.T, res *actResult, name string) string {
	t.Helper()
	zb := res.artifact(t, name)
	sum := sha256.Sum256(zb)
	if got, want := res.outputs["artifact-digest"], "sha256:"+hex.EncodeToString(sum[:]); got != want {
		t.Errorf("artifact-digest output %q, the stored zip is %s", got, want)
	}
	if res.outputs["artifact-id"] == "" {
		t.Errorf("no artifact-id output: %v", res.outputs)
	}
	return unzipBundle(t, zb)
}

// probeStep records what a later step sees of the action: its outputs and
// its outcome.
const probeStep = `
      - name: Record what the next step sees
        if: always()
        env:
          OUTPUTS: ${{ toJSON(steps.helios.outputs) }}
          OUTCOME: ${{ steps.helios.outcome }}
        run: |
          mkdir -p act-probe
          printf '%s\n' "$OUTPUTS" > act-probe/outputs.json
          printf '%s\n' "$OUTCOME" > act-probe/outcome
`

// actWorkflow is a one-job workflow: the action with the given with: lines
// (indented by the caller's template), then the probe.
func actWorkflow(on, with string) string {
	w := "name: act\non: " + on + "\njobs:\n  mission:\n    runs-on: ubuntu-latest\n    steps:\n      - id: helios\n        uses: ./\n"
	if with != "" {
		w += "        with:\n"
		for _, l := range strings.Split(strings.TrimSpace(with), "\n") {
			w += "          " + l + "\n"
		}
	}
	return w + strings.TrimPrefix(probeStep, "\n")
}

// failingMission fails its second step; its first writes a file.
const failingMission = `version: 1
name: failing
phases:
  build:
    steps:
      - name: Write
        run: echo built > "$HELIOS_REPORT_ROOT/built.txt"
      - name: Break
        run: echo "the build broke" >&2; exit 3
`

// forkMission needs no chain and keeps the default report root, which the
// README's workflow_run half downloads into.
const forkMission = `version: 1
name: fork
phases:
  build:
    steps:
      - run: echo built > "$HELIOS_REPORT_ROOT/built.txt"
`

func prPayload(n int, head string) map[string]any {
	return map[string]any{
		"number": n,
		"pull_request": map[string]any{
			"number": n,
			"head":   map[string]any{"sha": head, "ref": "feature"},
			"base":   map[string]any{"ref": "main"},
		},
		"repository": map[string]any{"full_name": "octo/helios", "name": "helios", "owner": map[string]any{"login": "octo"}},
	}
}

// ghEnv points the runs at the fake GitHub (act's --env overrides the
// github context's URLs).
func ghEnv(gh *ghtest.Server) map[string]string {
	return map[string]string{"GITHUB_API_URL": gh.URL(), "GITHUB_GRAPHQL_URL": gh.URL() + "/graphql"}
}

// TestAct runs every release path of the action under act, in order.
func TestAct(t *testing.T) {
	h := newActHarness(t)
	chain := startChain(t, "")
	// A key in the RPC URL, as providers put it: masked everywhere.
	rpcKey := "actkey" + fmt.Sprint(time.Now().UnixNano())
	rpcURL := chain + "/?key=" + rpcKey

	t.Run("push", func(t *testing.T) {
		gh := ghtest.NewServer(t)
		ws := h.workspace(t, wsOptions{fixture: "example", workflow: actWorkflow("push", "rpc-url: ${{ secrets.HELIOS_RPC_URL }}")})
		res := h.run(t, ws, "push", actRunOptions{
			event:   "push",
			payload: map[string]any{"ref": "refs/heads/main", "after": ws.head},
			secrets: map[string]string{"HELIOS_RPC_URL": rpcURL},
			env:     ghEnv(gh),
		})
		if res.code != 0 || res.stepResult("helios") != "success" {
			res.fatalf(t, "act exit %d, helios step %q", res.code, res.stepResult("helios"))
		}
		outs := res.outputs
		for _, k := range []string{"conclusion", "ledger-digest", "report-root", "files", "artifact-id", "artifact-digest"} {
			if outs[k] == "" {
				t.Errorf("the next step does not see output %s: %v", k, outs)
			}
		}
		if outs["conclusion"] != "success" || res.outcome != "success" {
			t.Errorf("conclusion %q, outcome %q", outs["conclusion"], res.outcome)
		}
		root := checkBundle(t, ws, res)
		if b, err := base64.StdEncoding.DecodeString(outs["base64-subjects"]); err != nil || string(b) != readFile(t, filepath.Join(root, "SHA256SUMS")) {
			t.Errorf("base64-subjects does not decode to SHA256SUMS (%v)", err)
		}
		if summary := strings.Join(res.commands("summary"), ""); !strings.Contains(summary, "```mermaid") || !strings.Contains(summary, outs["ledger-digest"]) {
			t.Errorf("the job summary lacks the Mermaid graph or the ledger digest:\n%s", summary)
		}
		checkArtifact(t, res, "")
		if runs := gh.CheckRuns(); len(runs) != 1 || runs[0].HeadSHA != ws.head || runs[0].Status != "completed" || runs[0].Conclusion != "success" {
			t.Errorf("check runs %+v, want one completed success on %s", runs, ws.head)
		}
		noSecretInAct(t, res, rpcKey, ws.dir)

		// A second push of the same commit, once GitHub lists the first
		// run's artifact as main's last successful run: baseline auto
		// downloads it (the storage host refuses any credential) and the
		// reports lead with "identical evidence".
		zb := res.artifact(t, "")
		gh.AddRun(ghtest.Run{ID: 5001, WorkflowID: 12, WorkflowFile: "act.yml", RunNumber: 1, Event: "push",
			HeadBranch: "main", HeadSHA: ws.head, Conclusion: "success", Owner: "octo", Repo: "helios"})
		gh.AddArtifact(5001, artifactNameOf(t, res), zb, false)
		env := ghEnv(gh)
		env["GITHUB_RUN_ID"], env["GITHUB_REF"] = "5002", "refs/heads/main"
		env["GITHUB_WORKFLOW_REF"] = "octo/helios/.github/workflows/act.yml@refs/heads/main"
		again := h.run(t, ws, "push-again", actRunOptions{
			event:   "push",
			payload: map[string]any{"ref": "refs/heads/main", "after": ws.head},
			secrets: map[string]string{"HELIOS_RPC_URL": rpcURL},
			env:     env,
		})
		if again.code != 0 || again.stepResult("helios") != "success" {
			again.fatalf(t, "second push: act exit %d, helios step %q", again.code, again.stepResult("helios"))
		}
		o := again.outputs
		if o["drift"] != "false" || o["content-digest"] != outs["content-digest"] || o["baseline-content-digest"] != outs["content-digest"] || !strings.HasSuffix(o["baseline-run-url"], "/actions/runs/5001") {
			again.fatalf(t, "second push: drift %q, content-digest %q (first %q), baseline-content-digest %q, baseline-run-url %q",
				o["drift"], o["content-digest"], outs["content-digest"], o["baseline-content-digest"], o["baseline-run-url"])
		}
		if summary := strings.Join(again.commands("summary"), ""); !strings.Contains(summary, "identical evidence") {
			t.Errorf("the second push's summary does not say identical evidence:\n%s", summary)
		}
		if v := gh.Violations(); len(v) > 0 {
			t.Errorf("the storage host saw a credential: %v", v)
		}
		noSecretInAct(t, again, rpcKey, ws.dir)
	})

	t.Run("pull_request", func(t *testing.T) {
		gh := ghtest.NewServer(t)
		ws := h.workspace(t, wsOptions{mission: forkMission, workflow: actWorkflow("pull_request", "status: both")})
		opts := actRunOptions{event: "pull_request", payload: prPayload(7, ws.head), env: ghEnv(gh)}
		first := h.run(t, ws, "first", opts)
		if first.code != 0 || first.outputs["conclusion"] != "success" {
			first.fatalf(t, "act exit %d, outputs %v", first.code, first.outputs)
		}
		checkBundle(t, ws, first)
		comments := gh.Comments("octo", "helios", 7)
		if len(comments) != 1 || comments[0].Login != ghtest.DefaultLogin || !strings.Contains(comments[0].Body, "<!-- helios:mission=") {
			t.Fatalf("comments %+v, want one by %s with the marker", comments, ghtest.DefaultLogin)
		}
		if first.outputs["comment-id"] != fmt.Sprint(comments[0].ID) {
			t.Errorf("comment-id output %q, comment %d", first.outputs["comment-id"], comments[0].ID)
		}
		runs := gh.CheckRuns()
		if len(runs) != 1 || runs[0].HeadSHA != ws.head || runs[0].Status != "completed" || runs[0].Conclusion != "success" || runs[0].Name != "Helios mission" {
			t.Errorf("check runs %+v, want one completed success named Helios mission on the PR head", runs)
		}
		if st := gh.Statuses(); len(st) != 1 || st[0].State != "success" || st[0].SHA != ws.head {
			t.Errorf("statuses %+v", st)
		}

		// The same PR again: the one comment is edited, not duplicated.
		gh.Reset()
		second := h.run(t, ws, "second", opts)
		if second.code != 0 {
			second.fatalf(t, "second run: act exit %d", second.code)
		}
		after := gh.Comments("octo", "helios", 7)
		if len(after) != 1 || after[0].ID != comments[0].ID || gh.Count(ghtest.RouteUpdateComment) != 1 || gh.Count(ghtest.RouteCreateComment) != 0 {
			t.Errorf("after the second run: comments %+v, %v", after, gh.Counts())
		}
	})

	t.Run("failing mission", func(t *testing.T) {
		gh := ghtest.NewServer(t)
		ws := h.workspace(t, wsOptions{mission: failingMission, workflow: actWorkflow("pull_request", "")})
		res := h.run(t, ws, "failing", actRunOptions{event: "pull_request", payload: prPayload(9, ws.head), env: ghEnv(gh)})
		if res.code == 0 || res.stepResult("helios") != "failure" || res.outcome != "failure" {
			res.fatalf(t, "act exit %d, helios step %q, outcome %q: want the step to fail (fail-on-failure)", res.code, res.stepResult("helios"), res.outcome)
		}
		if res.outputs["conclusion"] != "failure" {
			t.Errorf("conclusion output %q", res.outputs["conclusion"])
		}
		checkBundle(t, ws, res)
		bundle := checkArtifact(t, res, "")
		if readFile(t, filepath.Join(bundle, "built.txt")) != "built\n" {
			t.Error("the uploaded bundle lacks what the first step wrote")
		}
		runs := gh.CheckRuns()
		if len(runs) != 1 || runs[0].Conclusion != "failure" || len(runs[0].Annotations) == 0 {
			t.Fatalf("check runs %+v, want one failure with annotations", runs)
		}
		if a := runs[0].Annotations[0]; a.Path != "helios.yml" || a.Level != "failure" || !strings.Contains(a.Title+a.Message, "Break") {
			t.Errorf("annotation %+v, want a failure on helios.yml naming the step", a)
		}
	})

	t.Run("fork pull_request without permissions", func(t *testing.T) {
		gh := ghtest.NewServer(t)
		gh.Inject(ghtest.RouteCreateCheck, 5, ghtest.NotAccessible())
		gh.Inject(ghtest.RouteCreateComment, 5, ghtest.NotAccessible())
		ws := h.workspace(t, wsOptions{mission: forkMission, workflow: actWorkflow("pull_request", "")})
		res := h.run(t, ws, "fork", actRunOptions{event: "pull_request", payload: prPayload(12, ws.head), env: ghEnv(gh)})
		if res.code != 0 || res.stepResult("helios") != "success" || res.outputs["conclusion"] != "success" {
			res.fatalf(t, "act exit %d, step %q, conclusion %q: a refused report must not change the mission's conclusion", res.code, res.stepResult("helios"), res.outputs["conclusion"])
		}
		notices := res.commands("notice")
		var refused []string
		for _, n := range notices {
			if strings.Contains(n, "GitHub refused") {
				refused = append(refused, n)
			}
		}
		if len(refused) != 1 || !strings.Contains(refused[0], "checks: write") || !strings.Contains(refused[0], "pull-requests: write") {
			t.Errorf("notices %q, want one naming checks: write and pull-requests: write", notices)
		}
		if w, e := res.commands("warning"), res.commands("error"); len(w)+len(e) > 0 {
			t.Errorf("warnings %q, errors %q: a refusal is a notice", w, e)
		}
		summary := strings.Join(res.commands("summary"), "")
		if !strings.Contains(summary, res.outputs["ledger-digest"]) || !strings.Contains(summary, "```mermaid") {
			t.Errorf("the job summary lacks the report:\n%s", summary)
		}
		if len(gh.Comments("octo", "helios", 12)) != 0 || len(gh.CheckRuns()) != 0 {
			t.Error("the fake recorded a comment or check run it refused")
		}
		checkBundle(t, ws, res)
	})

	t.Run("hostile steps find no secret", func(t *testing.T) {
		gh := ghtest.NewServer(t)
		wf := strings.Replace(actWorkflow("pull_request", ""), "        uses: ./\n",
			"        uses: ./\n        env:\n          HELIOS_PROBE_SECRET: ${{ secrets.HELIOS_PROBE_SECRET }}\n          HELIOS_PASSED_SECRET: ${{ secrets.HELIOS_PASSED_SECRET }}\n", 1)
		ws := h.workspace(t, wsOptions{mission: hostileStepsMission, workflow: wf})
		res := h.run(t, ws, "hostile", actRunOptions{
			event: "pull_request", payload: prPayload(41, ws.head), env: ghEnv(gh), dockerSocket: true,
			secrets: map[string]string{"HELIOS_PROBE_SECRET": "probe-secret-0123456789", "HELIOS_PASSED_SECRET": "passed-secret-0123456789"},
		})
		if res.code != 0 || res.outputs["conclusion"] != "success" {
			res.fatalf(t, "act exit %d, outputs %v", res.code, res.outputs)
		}
		root := checkBundle(t, ws, res)
		environ := readFile(t, filepath.Join(root, "logs/probe/environ.log"))
		docker := readFile(t, filepath.Join(root, "logs/probe/docker.log"))
		t.Logf("what the steps saw:\n%s%s", environ, docker)
		if !strings.Contains(environ, "uid 1001 gid 1001 groups 1001\n") || !strings.Contains(environ, "CapEff:\t0000000000000000") {
			t.Errorf("the step did not run as the workspace owner (1001) without capabilities:\n%s", environ)
		}
		if !regexp.MustCompile(`environ: [1-9][0-9]* of [0-9]+ readable, 0 secrets found`).MatchString(environ) {
			t.Errorf("a step found a secret in another process's environment:\n%s", environ)
		}
		if !strings.Contains(docker, "docker.sock is mounted") || !strings.Contains(docker, "docker: EACCES") {
			t.Errorf("a step reached the Docker API, or the socket was not there to try:\n%s", docker)
		}
	})

	t.Run("built-in drill on the upstream stand-in without rpc-url", func(t *testing.T) {
		// A user of the upstream repository adds the action with no
		// mission and no endpoint: the drill runs every phase, the chain
		// pre-flight is skipped with its reason, and the check passes.
		gh := ghtest.NewServer(t)
		ws := h.workspace(t, wsOptions{fixture: "upstream", workflow: actWorkflow("pull_request", "")})
		res := h.run(t, ws, "drill", actRunOptions{event: "pull_request", payload: prPayload(51, ws.head), env: ghEnv(gh)})
		if res.code != 0 || res.outputs["conclusion"] != "success" {
			res.fatalf(t, "act exit %d, outputs %v", res.code, res.outputs)
		}
		root := checkBundle(t, ws, res)
		m := readManifest(t, root)
		if m.Mission.File != "(built-in) helios-omniversal-symphony.yml" {
			t.Errorf("mission %q, want the built-in drill", m.Mission.File)
		}
		for name, st := range phaseStatus(m) {
			if st != "success" {
				t.Errorf("phase %s: %s", name, st)
			}
		}
		const reason = "no RPC endpoint: chain pre-flight skipped"
		if tok := stepByID(m, "preflight", "token-metadata"); tok == nil || tok.Status != "skipped" || !strings.Contains(tok.SkipReason, reason) {
			t.Errorf("token step %+v", tok)
		}
		// Markdown escapes the reason's ":" and "-"; read it as a reader does.
		unescape := strings.NewReplacer(`\:`, ":", `\-`, "-").Replace
		if summary := strings.Join(res.commands("summary"), ""); !strings.Contains(unescape(summary), reason) {
			t.Errorf("the job summary does not say why the pre-flight was skipped:\n%s", summary)
		}
		runs := gh.CheckRuns()
		if len(runs) != 1 || runs[0].Conclusion != "success" || !strings.Contains(runs[0].Title, "skipped") {
			t.Errorf("check runs %+v, want one success whose title counts the skipped step", runs)
		}
		if c := gh.Comments("octo", "helios", 51); len(c) != 1 || !strings.Contains(unescape(c[0].Body), reason) {
			t.Errorf("comments %+v, want one that says why the pre-flight was skipped", c)
		}
	})

	t.Run("README fork-safe workflow_run pattern", func(t *testing.T) {
		gh := ghtest.NewServer(t)
		// The untrusted half, as the README gives it: the fork's PR runs
		// the mission and uploads the bundle; it reports nothing.
		prWorkflow := readmeWorkflow(t, "fork-pr-workflow")
		pr := h.workspace(t, wsOptions{mission: forkMission, workflow: prWorkflow})
		prRes := h.run(t, pr, "untrusted", actRunOptions{event: "pull_request", payload: prPayload(21, pr.head), env: ghEnv(gh)})
		if prRes.code != 0 || prRes.outputs["conclusion"] != "success" {
			prRes.fatalf(t, "untrusted half: act exit %d, outputs %v", prRes.code, prRes.outputs)
		}
		if n := gh.Count(""); n != 0 {
			t.Errorf("the untrusted half (comment off, status off) made %d GitHub requests: %v", n, gh.Counts())
		}
		bundle := checkArtifact(t, prRes, "helios-bundle")

		// The trusted half, as the README gives it, over that bundle where
		// actions/download-artifact would have put it. The fork's PR is
		// not in the event (GitHub leaves it out for forks): the action
		// finds it from the head commit.
		gh.AddPull(ghtest.Pull{Owner: "octo", Repo: "helios", Number: 21, HeadSHA: pr.head, Fork: true})
		report := h.workspace(t, wsOptions{mission: forkMission, workflow: readmeWorkflow(t, "fork-report-workflow"), stage: bundle})
		payload := map[string]any{"workflow_run": map[string]any{
			"id": 99, "event": "pull_request", "conclusion": "success", "head_sha": pr.head, "pull_requests": []any{},
		}}
		res := h.run(t, report, "trusted", actRunOptions{event: "workflow_run", payload: payload, env: ghEnv(gh)})
		if res.code != 0 || res.outputs["conclusion"] != "success" {
			res.fatalf(t, "trusted half: act exit %d, outputs %v", res.code, res.outputs)
		}
		if got, want := res.outputs["ledger-digest"], prRes.outputs["ledger-digest"]; got != want {
			t.Errorf("run: false reported ledger digest %s, the PR's run made %s", got, want)
		}
		checkBundle(t, report, res)
		if c := gh.Comments("octo", "helios", 21); len(c) != 1 || !strings.Contains(c[0].Body, prRes.outputs["ledger-digest"]) {
			t.Errorf("comments on the fork's PR %+v, want one with the ledger digest", c)
		}
		if runs := gh.CheckRuns(); len(runs) != 1 || runs[0].HeadSHA != pr.head || runs[0].Conclusion != "success" {
			t.Errorf("check runs %+v, want one success on the PR head", runs)
		}
	})

	t.Run("working-directory: a mission in a subfolder", func(t *testing.T) {
		// A monorepo's mission in services/bridge: it runs there, the path
		// outputs are relative to the workspace as later steps use them,
		// and the commit is read at the checkout's root, which the runner's
		// user owns while helios is root in the container.
		gh := ghtest.NewServer(t)
		mission := "version: 1\nname: bridge\nreport-root: reports/bridge\nphases:\n  build:\n    steps:\n      - name: Where\n        run: pwd > \"$HELIOS_REPORT_ROOT/cwd.txt\"\n"
		ws := h.workspace(t, wsOptions{extra: map[string]string{"services/bridge/helios.yml": mission}, workflow: actWorkflow("push", "working-directory: services/bridge")})
		res := h.run(t, ws, "subfolder", actRunOptions{event: "push", payload: map[string]any{"ref": "refs/heads/main", "after": ws.head}, env: ghEnv(gh)})
		if res.code != 0 || res.outputs["conclusion"] != "success" {
			res.fatalf(t, "act exit %d, outputs %v", res.code, res.outputs)
		}
		if got := res.outputs["report-root"]; got != "services/bridge/reports/bridge" {
			t.Errorf("report-root output %q, want services/bridge/reports/bridge", got)
		}
		root := checkBundle(t, ws, res)
		if cwd := strings.TrimSpace(readFile(t, filepath.Join(root, "cwd.txt"))); !strings.HasSuffix(cwd, "/services/bridge") {
			t.Errorf("the step ran in %q, want the working-directory", cwd)
		}
		m := readManifest(t, root)
		if m.Git.Commit != ws.head || m.Git.SourceDateEpoch == 0 {
			t.Errorf("manifest git %+v, want the checkout's head %s and its time", m.Git, ws.head)
		}
		if st := stepByID(m, "build", "where"); st == nil || len(st.Command) == 0 || st.Command[0] != "bash" {
			t.Errorf("step %+v, want the default shell, bash, as on GitHub's runners", st)
		}
	})

	t.Run("README matrix shards and merge", func(t *testing.T) {
		// The README's workflow over the planetary mission: three legs
		// (max-parallel 1 under act), then the merge, through act's own
		// artifact server.
		gh := ghtest.NewServer(t)
		ws := h.workspace(t, wsOptions{fixture: "sharded", workflow: readmeWorkflow(t, "shards-workflow")})
		res := h.run(t, ws, "shards", actRunOptions{event: "push", payload: map[string]any{"ref": "refs/heads/main", "after": ws.head}, env: ghEnv(gh)})
		if res.code != 0 || res.outputs["conclusion"] != "success" {
			res.fatalf(t, "act exit %d, merge outputs %v", res.code, res.outputs)
		}
		legs := map[string]string{}
		for _, spec := range []string{"1-of-3", "2-of-3", "3-of-3"} {
			var outs map[string]string
			b := readFile(t, filepath.Join(ws.dir, "act-probe", "legs", spec, "outputs.json"))
			if err := json.Unmarshal([]byte(b), &outs); err != nil || len(outs["shard-digest"]) != 64 {
				res.fatalf(t, "leg %s: outputs %s (%v)", spec, b, err)
			}
			legs[spec] = outs["shard-digest"]
		}
		root := checkBundle(t, ws, res)
		m := readManifest(t, root)
		if len(m.Shards) != 3 {
			res.fatalf(t, "merged manifest lists %d shard jobs", len(m.Shards))
		}
		for _, s := range m.Shards {
			if s.Conclusion != "success" || s.Digest != legs[s.Spec] {
				t.Errorf("shard %s: %s, digest %s, the leg said %s", s.Spec, s.Conclusion, s.Digest, legs[s.Spec])
			}
		}
		for _, f := range []string{"kits/regional.md", "digest.txt", "shards/africa-health/review.md", "jobs/3-of-3/SHA256SUMS"} {
			if _, err := os.Stat(filepath.Join(root, f)); err != nil {
				t.Errorf("merged bundle: %v", err)
			}
		}
		zips, _ := filepath.Glob(filepath.Join(res.artifacts, "*", "*", "*.zip"))
		if len(zips) != 4 {
			t.Errorf("act's artifact server holds %d zips, want 3 legs and the merge: %v", len(zips), zips)
		}
		checkArtifact(t, res, artifactNameBase(t, zips))
		if runs := gh.CheckRuns(); len(runs) != 1 || runs[0].Conclusion != "success" {
			t.Errorf("check runs %+v, want the merge's one", runs)
		}
	})

	t.Run("README attest workflow and the auditor's recipe", func(t *testing.T) {
		// The README's actions/attest workflow: what the stand-in for
		// actions/attest reads through the action's outputs is the
		// Statement it would sign, and the README's auditor recipe checks
		// the uploaded artifact against it.
		gh := ghtest.NewServer(t)
		ws := h.workspace(t, wsOptions{fixture: "example", workflow: readmeWorkflow(t, "attest-workflow")})
		res := h.run(t, ws, "attest", actRunOptions{
			event: "push", payload: map[string]any{"ref": "refs/heads/main", "after": ws.head},
			secrets: map[string]string{"HELIOS_RPC_URL": rpcURL}, env: ghEnv(gh),
		})
		if res.code != 0 || res.outputs["conclusion"] != "success" {
			res.fatalf(t, "act exit %d, outputs %v", res.code, res.outputs)
		}
		ppath := res.outputs["predicate-path"]
		if res.outputs["predicate-type"] != attest.PredicateType || !strings.HasPrefix(ppath, ".helios/") {
			res.fatalf(t, "outputs predicate-type %q, predicate-path %q", res.outputs["predicate-type"], ppath)
		}
		probe := filepath.Join(ws.dir, "act-probe", "attest")
		predicate := []byte(readFile(t, filepath.Join(probe, "predicate.json")))
		if kept := readFile(t, filepath.Join(ws.dir, filepath.FromSlash(ppath))); kept != string(predicate) {
			t.Errorf("the stand-in read another predicate than %s holds", ppath)
		}
		validatePredicate(t, predicate)
		var p attest.Predicate
		if err := json.Unmarshal(predicate, &p); err != nil {
			t.Fatal(err)
		}
		if p.Commit != ws.head || p.Run == nil || p.Run.Repository == "" || p.Run.ID == "" ||
			p.LedgerDigest != res.outputs["ledger-digest"] || p.ContentDigest != res.outputs["content-digest"] || len(p.ChainPins) == 0 {
			t.Errorf("predicate: commit %s, run %+v, ledger %s, content %s, %d chain pins; outputs %v",
				p.Commit, p.Run, p.LedgerDigest, p.ContentDigest, len(p.ChainPins), res.outputs)
		}
		products := 0
		for _, ph := range p.Phases {
			for _, st := range ph.Steps {
				products += len(st.Products)
			}
		}
		if products == 0 {
			t.Error("no step of the predicate lists a product")
		}
		statement := attestStatement(t, []byte(readFile(t, filepath.Join(probe, "subject-checksums"))), predicate,
			strings.TrimSpace(readFile(t, filepath.Join(probe, "predicate-type"))))
		files, err := strconv.Atoi(res.outputs["files"])
		if err != nil {
			t.Fatalf("files output %q", res.outputs["files"])
		}
		validateInToto(t, statement, files)
		auditorAccepts(t, checkArtifact(t, res, ""), statement)
		noSecretInAct(t, res, rpcKey, ws.dir)
	})

	t.Run("README usage workflow", func(t *testing.T) {
		gh := ghtest.NewServer(t)
		ws := h.workspace(t, wsOptions{fixture: "example", workflow: readmeWorkflow(t, "usage-workflow")})
		res := h.run(t, ws, "usage", actRunOptions{
			event: "pull_request", payload: prPayload(31, ws.head),
			secrets: map[string]string{"HELIOS_RPC_URL": rpcURL}, env: ghEnv(gh),
		})
		if res.code != 0 || res.outputs["conclusion"] != "success" {
			res.fatalf(t, "act exit %d, outputs %v", res.code, res.outputs)
		}
		root := checkBundle(t, ws, res)
		if m := readManifest(t, root); m.Git.Commit != ws.head {
			t.Errorf("manifest commit %q, workspace HEAD %s", m.Git.Commit, ws.head)
		}
		checkArtifact(t, res, "")
		if c := gh.Comments("octo", "helios", 31); len(c) != 1 {
			t.Errorf("%d comments, want 1", len(c))
		}
		if runs := gh.CheckRuns(); len(runs) != 1 || runs[0].Conclusion != "success" {
			t.Errorf("check runs %+v", runs)
		}
		noSecretInAct(t, res, rpcKey, ws.dir)
	})
}

// hostileStepsMission probes, from a step, every way to the action's
// secrets that a container action's step has on GitHub's runner: the
// environment of every process it can read (helios's holds the token and
// the inputs) and the Docker API socket the runner mounts (whose API hands
// out any container's environment). Processes of the step itself (they
// carry HELIOS_REPORT_ROOT) are left out: a pass-env secret is theirs by
// design. Names, not values, are searched for, so the mission holds no
// secret.
const hostileStepsMission = `version: 1
name: hostile steps
pass-env: [HELIOS_PASSED_SECRET]
phases:
  probe:
    steps:
      - id: environ
        run: |
          echo "uid $(id -u) gid $(id -g) groups $(id -G)"
          grep '^Cap' /proc/self/status
          readable=0 total=0 hits=0
          for f in /proc/[0-9]*/environ; do
            total=$((total+1))
            if ! env=$(tr '\0' '\n' 2>/dev/null <"$f"); then continue; fi
            readable=$((readable+1))
            if printf '%s\n' "$env" | grep -q '^HELIOS_REPORT_ROOT='; then continue; fi
            for name in INPUT_GITHUB-TOKEN ACTIONS_RUNTIME_TOKEN HELIOS_PROBE_SECRET HELIOS_PASSED_SECRET; do
              if printf '%s\n' "$env" | grep -q "^$name="; then echo "found $name in $f"; hits=$((hits+1)); fi
            done
          done
          echo "environ: $readable of $total readable, $hits secrets found"
      - id: docker
        run: |
          test -S /var/run/docker.sock && echo "docker.sock is mounted"
          node -e '
            const req = require("http").get({socketPath: "/var/run/docker.sock", path: "/containers/json"}, res => { console.log("docker: answered " + res.statusCode); process.exit(0) });
            req.on("error", e => { console.log("docker: " + e.code); process.exit(0) });
          '
`

// noSecretInAct: the RPC URL's key appears in act's log only in the
// ::add-mask:: commands that hide it, and in no file of the workspace.
func noSecretInAct(t *testing.T, res *actResult, key, dir string) {
	t.Helper()
	for _, l := range strings.Split(res.log, "\n") {
		if !strings.Contains(l, key) {
			continue
		}
		var al actLine
		if json.Unmarshal([]byte(l), &al) != nil || al.Command != "add-mask" {
			t.Errorf("the RPC URL's key reached act's log: %.300s", l)
		}
	}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if b, _ := os.ReadFile(p); bytes.Contains(b, []byte(key)) {
				t.Errorf("the RPC URL's key reached %s", p)
			}
		}
		return nil
	})
}

// readmeWorkflow returns the workflow the README shows after the marker
// <!-- e2e: name -->, made runnable offline under act the way a user's
// checkout would be: the action is this repository (uses: ./),
// actions/checkout is act's -b bind of the work tree, and
// actions/download-artifact is a copy of the staged bundle into its path.
// The helios step gets the id the probe reads, and the probe follows it.
func readmeWorkflow(t *testing.T, name string) string {
	t.Helper()
	readme := readFile(t, "../README.md")
	marker := "<!-- e2e: " + name + " -->\n"
	i := strings.Index(readme, marker)
	if i < 0 {
		t.Fatalf("README.md has no %q marker", strings.TrimSpace(marker))
	}
	rest, ok := strings.CutPrefix(readme[i+len(marker):], "```yaml\n")
	if !ok {
		t.Fatalf("README.md: the %s marker is not followed by a ```yaml block", name)
	}
	block, _, ok := strings.Cut(rest, "```\n")
	if !ok {
		t.Fatalf("README.md: the %s block does not end", name)
	}

	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(block), &doc); err != nil {
		t.Fatalf("README.md %s: %v", name, err)
	}
	jobs := mapValue(doc.Content[0], "jobs")
	if jobs == nil || len(jobs.Content) == 0 {
		t.Fatalf("README.md %s: no jobs", name)
	}
	for i := 1; i < len(jobs.Content); i += 2 {
		actJob(t, name, jobs.Content[i])
	}
	out, err := yaml.Marshal(doc.Content[0])
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// actJob makes one job of a README workflow run under act: the checkout
// goes (act mounts the workspace), the action is this tree, a download is
// a stand-in, and a probe records what a later step sees. A matrix job's
// legs run one at a time, since act tags every leg's action image alike,
// and each records into a folder of its own; another job's probe writes
// act-probe/, where the harness reads it.
func actJob(t *testing.T, name string, job *yaml.Node) {
	t.Helper()
	steps := mapValue(job, "steps")
	if steps == nil {
		t.Fatalf("README.md %s: a job has no steps", name)
	}
	var kept []*yaml.Node
	helios := 0
	for _, st := range steps.Content {
		uses := mapValue(st, "uses")
		switch {
		case uses == nil:
		case strings.HasPrefix(uses.Value, "actions/checkout@"):
			continue
		case strings.HasPrefix(uses.Value, "helios-action/helios-action@"):
			uses.Value = "./"
			helios++
			if mapValue(st, "id") == nil {
				st.Content = append([]*yaml.Node{scalar("id"), scalar("helios")}, st.Content...)
			} else if id := mapValue(st, "id"); id.Value != "helios" {
				t.Fatalf("README.md %s: the action's step id is %q; the probe reads steps.helios", name, id.Value)
			}
		case strings.HasPrefix(uses.Value, "actions/attest@"):
			// actions/attest needs Sigstore and GitHub's OIDC issuer. The
			// stand-in reads its inputs as it does, relative to the
			// workspace, and keeps what it would sign.
			with := mapValue(st, "with")
			env := &yaml.Node{Kind: yaml.MappingNode}
			for _, in := range []string{"subject-checksums", "predicate-type", "predicate-path"} {
				v := mapValue(with, in)
				if v == nil {
					t.Fatalf("README.md %s: actions/attest has no %s", name, in)
				}
				env.Content = append(env.Content, scalar(strings.ToUpper(strings.ReplaceAll(in, "-", "_"))), scalar(v.Value))
			}
			st = &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
				scalar("name"), scalar("Stand-in for actions/attest: what it would sign"),
				scalar("env"), env,
				scalar("run"), scalar(`mkdir -p act-probe/attest && cp -- "$SUBJECT_CHECKSUMS" act-probe/attest/subject-checksums && ` +
					`cp -- "$PREDICATE_PATH" act-probe/attest/predicate.json && printf '%s\n' "$PREDICATE_TYPE" > act-probe/attest/predicate-type`),
			}}
		case strings.HasPrefix(uses.Value, "actions/download-artifact@"):
			path := mapValue(mapValue(st, "with"), "path")
			if path == nil {
				t.Fatalf("README.md %s: download-artifact has no path", name)
			}
			// As the runner's user would: the job container runs as
			// root here, so what it makes is given to the workspace's owner.
			top, _, _ := strings.Cut(path.Value, "/")
			st = &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
				scalar("name"), scalar("Stand-in for actions/download-artifact: the bundle the untrusted half uploaded"),
				scalar("run"), scalar(fmt.Sprintf("mkdir -p %q && cp -a act-staged/. %q/ && chown -R \"$(stat -c %%u:%%g .)\" %q", path.Value, path.Value, top)),
			}}
		}
		kept = append(kept, st)
	}
	if helios != 1 {
		t.Fatalf("README.md %s: %d steps of a job use helios-action/helios-action@…, want 1", name, helios)
	}
	probe := probeStep
	if strategy := mapValue(job, "strategy"); mapValue(strategy, "matrix") != nil {
		strategy.Content = append(strategy.Content, scalar("max-parallel"), &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: "1"})
		probe = strings.ReplaceAll(probeStep, "act-probe", "act-probe/legs/${{ matrix.shard }}")
	}
	var pn yaml.Node
	if err := yaml.Unmarshal([]byte(probe), &pn); err != nil {
		t.Fatal(err)
	}
	steps.Content = append(kept, pn.Content[0].Content...)
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func scalar(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: s} }

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
