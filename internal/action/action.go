package action

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sethvargo/go-githubactions"

	"github.com/helios-action/helios-action/internal/diff"
	"github.com/helios-action/helios-action/internal/engine"
	"github.com/helios-action/helios-action/internal/exitcode"
	"github.com/helios-action/helios-action/internal/ghapi"
	"github.com/helios-action/helios-action/internal/ledger"
	"github.com/helios-action/helios-action/internal/manifest"
	"github.com/helios-action/helios-action/internal/mask"
	"github.com/helios-action/helios-action/internal/mission"
	"github.com/helios-action/helios-action/internal/owner"
	"github.com/helios-action/helios-action/internal/regular"
	"github.com/helios-action/helios-action/internal/report"
)

// Env is what `helios action` takes from the process.
type Env struct {
	Getenv  func(string) string
	Environ func() []string
	Stdout  io.Writer
	Version string
	// Load reads a mission the way `helios run` does (./helios.yml, else
	// the built-in drill, when file is "").
	Load func(ws, file string) (*mission.Mission, error)
	// Builtins are the steps a mission can name with `uses:`; reporters
	// find what they need of one by capability (engine.Annotator).
	Builtins engine.Registry
	// BeforeLedger adds the bundle's index page (see engine.Options).
	BeforeLedger func(ctx context.Context, res *engine.Result, files []ledger.Entry) ([]string, error)
	Reserved     []string
	// Now and Sleep, when both are set, are the clock of the GitHub
	// client's retries; the unit tests make them instant.
	Now   func() time.Time
	Sleep func(context.Context, time.Duration) error
}

// cancelUploadBudget bounds the artifact upload of a cancelled run, and
// cancelReportBudget all reporting after a cancellation.
const (
	cancelUploadBudget = 4 * time.Second
	cancelReportBudget = 6 * time.Second
)

// Main runs the action and returns the process exit code.
func Main(ctx context.Context, env Env) int {
	r := newRunner(env)
	a := r.a
	start := time.Now()
	code := r.main(ctx)
	r.noticeRefusals()
	if r.ws != "" {
		// The container runs as root; the workspace is the runner user's.
		if n, err := owner.Restore(r.ws, start); err != nil {
			a.Warningf("%v", err)
		} else if n > 0 {
			a.Debugf("gave %d files back to the workspace owner", n)
		}
	}
	for _, err := range r.out.write(a, env.Getenv) {
		a.Errorf("%v", err)
		if code == exitcode.OK {
			code = exitcode.Internal
		}
	}
	return code
}

// runner is one use of the action. Its setup fills the first group of
// fields; the reporters read them and the bundle, and leave what later
// reporters need in the last group.
type runner struct {
	env Env
	a   *githubactions.Action
	out *outputs
	in  *Inputs
	ev  event

	// ws is the workspace (GITHUB_WORKSPACE): every path the action shows
	// (outputs, annotations) is relative to it. dir is where the mission
	// runs: ws, or the working-directory input inside it.
	ws, dir     string
	owner, repo string
	runURL      string
	gh          *ghapi.Client
	masker      *mask.Masker
	refused     []refusal
	m           *mission.Mission
	check       *checkRun
	// shardIDs are the shards a shard job runs, of the mission's
	// shardTotal (also set in the merge job).
	shardIDs   []string
	shardTotal int

	// The sealed bundle, and whether the mission was cancelled (by a
	// signal); reporting goes on after a cancellation, on a budget. signal
	// is done once a signal arrives, also while the reporters run.
	bundle    *bundleInfo
	cancelled func() bool
	signal    context.Context

	// What the reporters found: the conclusion (which the gate and the
	// baseline can turn into a failure), the gate's rows, what the bundle
	// was compared with and the drift, and
	// the artifact that the summary and the comment link.
	conclusion   string
	gate         []report.GateRow
	compare      *report.Comparison
	drift        *diff.Result
	artifactURL  string
	artifactName string
}

func newRunner(env Env) *runner {
	a := githubactions.New(githubactions.WithGetenv(env.Getenv), githubactions.WithWriter(env.Stdout))
	// The conclusion is a failure until the mission has one.
	return &runner{env: env, a: a, out: newOutputs(), check: &checkRun{}, conclusion: manifest.Failure}
}

func (r *runner) main(ctx context.Context) int {
	if code, ok := r.setup(); !ok {
		return code
	}
	if code, ok := r.load(); !ok {
		return code
	}
	r.check.Begin(ctx, r)

	// The mission runs on the signal's context; reporting gets a context
	// of its own so that a cancelled run is still reported, bounded from
	// the moment a signal arrives: the runner kills the container about
	// 10 s after SIGINT.
	rctx, cancelReport := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelReport()
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(cancelReportBudget, cancelReport) })
	defer stop()
	// Whatever way this takes out (an engine failure, a panic), a check
	// run that was started is completed, so a required check never stays
	// pending.
	defer r.check.End(rctx, r)

	bundle, err := r.runBundle(ctx)
	if err != nil {
		r.a.Errorf("%v", err)
		r.out.set("conclusion", manifest.Failure)
		r.summaryText(fmt.Sprintf("### ❌ Helios: the mission could not run\n\n%s\n", report.EscapeText(err.Error())))
		var ue *engine.UsageError
		if errors.As(err, &ue) {
			return exitcode.Usage
		}
		return exitcode.Internal
	}
	r.bundle, r.cancelled, r.signal = bundle, func() bool { return ctx.Err() != nil }, ctx
	// Steps that skipped themselves (chain checks of an `rpc: optional`
	// mission run without an endpoint) leave the conclusion success, and
	// the check run completes success too, also when the run did nothing
	// but skip: the mission declared those checks optional, and the check
	// run, commit status, `conclusion` output and manifest then always
	// agree. What did not run is said instead: the check's title counts
	// the skipped steps, its summary names them with the reason, and each
	// gets a notice annotation (see report.Annotations).
	r.conclusion = bundle.manifest.Conclusion
	r.report(rctx, pipeline(r.check))
	return r.exitCode()
}

// setup reads the inputs and the environment. ok is false when the action
// cannot go on; code is then its exit code.
func (r *runner) setup() (code int, ok bool) {
	a, getenv := r.a, r.env.Getenv
	in, err := readInputs(a)
	if err != nil {
		a.Errorf("%v", err)
		return exitcode.Usage, false
	}
	r.in = in
	// Secrets are masked in the runner's log before anything can print them.
	r.masker = mask.New(in.GitHubToken, in.RPCURL)
	for _, s := range r.masker.Secrets() {
		a.AddMask(s)
	}
	r.ws = getenv("GITHUB_WORKSPACE")
	if r.ws == "" {
		if r.ws, err = os.Getwd(); err != nil {
			a.Errorf("workspace: %v", err)
			return exitcode.Internal, false
		}
	}
	if r.ev, err = readEvent(getenv); err != nil {
		a.Warningf("%v; reporting without the event", err)
	}
	r.owner, r.repo, _ = strings.Cut(getenv("GITHUB_REPOSITORY"), "/")
	server := strings.TrimRight(getenv("GITHUB_SERVER_URL"), "/")
	if server == "" {
		server = "https://github.com"
	}
	if r.owner != "" && getenv("GITHUB_RUN_ID") != "" {
		r.runURL = fmt.Sprintf("%s/%s/%s/actions/runs/%s", server, r.owner, r.repo, getenv("GITHUB_RUN_ID"))
	}
	if in.Key == "" {
		job := getenv("GITHUB_JOB")
		if in.Shard != "" || in.Merge {
			job = shardedKeyJob
		}
		in.Key = defaultKey(job, in)
	}
	r.setupGitHub()
	return exitcode.OK, true
}

// load finds the working directory and reads the mission there.
func (r *runner) load() (code int, ok bool) {
	in := r.in
	dir, err := workingDir(r.ws, in.WorkingDirectory)
	if err != nil {
		r.a.Errorf("%v", err)
		r.out.set("conclusion", manifest.Failure)
		return exitcode.Usage, false
	}
	r.dir = dir
	if msg := missionProblem(r.ws, r.dir, in.Mission); msg != "" {
		r.a.Errorf("%v", &InputError{"mission", msg})
		r.out.set("conclusion", manifest.Failure)
		return exitcode.Usage, false
	}
	m, err := r.env.Load(r.dir, in.Mission)
	if err != nil {
		r.missionError(err)
		return exitcode.Usage, false
	}
	r.m = m
	if err := r.checkSharding(); err != nil {
		r.a.Errorf("%v", err)
		r.out.set("conclusion", manifest.Failure)
		return exitcode.Usage, false
	}
	return exitcode.OK, true
}

// exitCode is the step's exit code once everything is reported.
func (r *runner) exitCode() int {
	b := r.bundle
	switch {
	case len(b.leaks) > 0, len(b.unended) > 0:
		// Whatever fail-on-failure says: a secret was about to leave, or
		// the bundle may still change under its ledger.
		return exitcode.Failure
	case r.conclusion == manifest.Success:
		return exitcode.OK
	case !r.in.FailOnFailure && r.conclusion == manifest.Failure:
		r.a.Noticef("the mission concluded %s; fail-on-failure is false, so the step succeeds", r.conclusion)
		return exitcode.OK
	default:
		return exitcode.Failure
	}
}

// bundleInfo is a finished bundle, run now or verified from an earlier run.
type bundleInfo struct {
	root     string
	manifest *manifest.Manifest
	// digest and content are the ledger digest and the content digest, hex.
	digest, content string
	files           int
	// leaks are the files (quoted) in which the run found a secret; such a
	// bundle is never uploaded.
	leaks []string
	// unended names the steps whose processes could not be ended; they may
	// still change the bundle, which is never uploaded then either.
	unended []string
}

// runBundle runs the mission, or with run: false verifies the bundle
// already at report-root (the fork-safe workflow_run pattern).
func (r *runner) runBundle(ctx context.Context) (*bundleInfo, error) {
	in := r.in
	if !in.Run {
		return r.verifyExisting(ctx)
	}
	opts := engine.Options{
		Workspace:    r.dir,
		Repo:         r.ws,
		ReportRoot:   in.ReportRoot,
		Network:      in.Network,
		RPCURL:       in.RPCURL,
		Jobs:         in.Jobs,
		Environ:      r.env.Environ(),
		Console:      r.env.Stdout,
		Mode:         engine.GitHub,
		Version:      r.env.Version,
		Builtins:     r.env.Builtins,
		Secrets:      []string{in.GitHubToken},
		BeforeLedger: r.env.BeforeLedger,
		Reserved:     r.env.Reserved,
		Shard:        in.Shard,
	}
	if in.Shard != "" {
		// A leg's bundle is read by the merge, whose own index page shows
		// every shard: an index and its script in each leg would only
		// make every leg's artifact, and the merged one, megabytes larger.
		opts.BeforeLedger = nil
	}
	if in.Merge {
		// The shard artifacts are read while the merge runs, and are no
		// part of the bundle: they go in a folder of their own.
		tmp, err := os.MkdirTemp("", "helios-merge-")
		if err != nil {
			return nil, fmt.Errorf("merge: %w", err)
		}
		defer os.RemoveAll(tmp)
		srcs, err := r.shardSources(ctx, tmp)
		if err != nil {
			return nil, err
		}
		opts.Merge = &engine.Merge{Sources: srcs, Prefix: r.baseArtifactName()}
	}
	res, err := engine.Run(ctx, r.m, opts)
	if err != nil {
		return nil, err
	}
	b := &bundleInfo{root: res.ReportRoot, manifest: res.Manifest, digest: res.DigestHex(), content: res.ContentDigestHex(), files: res.Files, leaks: res.Leaks, unended: res.Unended}
	r.a.Infof("helios: %s · %d files · ledger digest sha256:%s · content digest sha256:%s", res.Manifest.Conclusion, res.Files, b.digest, b.content)
	return b, nil
}

func (r *runner) verifyExisting(ctx context.Context) (*bundleInfo, error) {
	rel := r.in.ReportRoot
	if rel == "" {
		rel = r.m.ReportRoot
	}
	root := filepath.Join(r.dir, filepath.FromSlash(rel))
	// The bundle may come from a fork's artifact: it is searched for the
	// token and the RPC URL's credentials as a run's bundle is.
	secrets := ledger.NewSecrets(r.masker.ScanSecrets(r.in.RPCURL))
	rep, err := ledger.Verify(ctx, root, ledger.ScanOptions{Secrets: secrets})
	if err != nil {
		return nil, &engine.UsageError{Msg: fmt.Sprintf("run: false needs a bundle at %s: %v", rel, err)}
	}
	mf, err := manifest.Read(filepath.Join(root, manifest.FileName))
	if err != nil {
		return nil, &engine.UsageError{Msg: fmt.Sprintf("run: false needs a bundle at %s: %v", rel, err)}
	}
	sums, err := regular.ReadFile(ctx, filepath.Join(root, ledger.FileName), ledger.MaxFileSize, "ledger")
	if err != nil {
		return nil, fmt.Errorf("read ledger: %w", err)
	}
	b := &bundleInfo{root: root, manifest: mf, digest: sha256Hex(sums), files: rep.OK + len(rep.Changed) + len(rep.Missing)}
	// Recomputed, not taken from the manifest: the bundle may come from a
	// fork's artifact, and a manifest says what it likes.
	entries, err := ledger.Parse(bytes.NewReader(sums))
	if err != nil {
		return nil, fmt.Errorf("read ledger: %w", err)
	}
	b.content = ledger.ContentDigestOf(entries, manifest.VolatileOf(mf))
	if mf.ContentDigest != "" && mf.ContentDigest != b.content {
		r.a.Warningf("the manifest's contentDigest %s is not the content digest of SHA256SUMS (%s); the outputs give the latter", mf.ContentDigest, b.content)
	}
	if !rep.Clean() {
		mf.Conclusion = manifest.Failure
		mf.Reason = fmt.Sprintf("the bundle does not verify: %d missing, %d extra, %d changed", len(rep.Missing), len(rep.Extra), len(rep.Changed))
		for _, n := range rep.Changed {
			r.a.Errorf("changed since the ledger was written: %s", n)
		}
		for _, n := range rep.Missing {
			r.a.Errorf("missing from the bundle: %s", n)
		}
		for _, n := range rep.Extra {
			r.a.Errorf("not in the ledger: %s", n)
		}
	}
	if len(rep.Leaks) > 0 {
		// As after a run: failed, named, never uploaded (see upload).
		b.leaks = engine.LeakNames(rep.Leaks, secrets)
		list := strings.Join(b.leaks, ", ")
		r.a.Errorf("the bundle holds a secret (the token or the RPC URL, maybe base64- or URL-encoded) in %s; the value is not shown", list)
		reason := "the bundle holds a secret in " + list
		if mf.Reason != "" {
			reason += "; " + mf.Reason
		}
		mf.Conclusion, mf.Reason = manifest.Failure, reason
	}
	return b, nil
}

func sha256Hex(b []byte) string {
	d := sha256.Sum256(b)
	return hex.EncodeToString(d[:])
}

func (r *runner) missionError(err error) {
	var errs mission.Errors
	var one *mission.Error
	switch {
	case errors.As(err, &errs):
		for _, e := range errs {
			r.annotateMissionError(e)
		}
	case errors.As(err, &one):
		r.annotateMissionError(one)
	default:
		r.a.Errorf("%v", err)
	}
	r.out.set("conclusion", manifest.Failure)
}

func (r *runner) annotateMissionError(e *mission.Error) {
	file := e.File
	if rel, err := filepath.Rel(r.ws, file); err == nil && !strings.HasPrefix(rel, "..") {
		file = rel
	}
	r.a.WithFieldsMap(map[string]string{"file": file, "line": strconv.Itoa(e.Line), "col": strconv.Itoa(e.Col)}).Errorf("%s", e.Msg)
}
