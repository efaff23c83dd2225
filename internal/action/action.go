package action

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
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

	"github.com/helios-action/helios-action/internal/artifact"
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
	Load     func(ws, file string) (*mission.Mission, error)
	Builtins engine.Registry
	// BeforeLedger adds the bundle's index page (see engine.Options).
	BeforeLedger func(ctx context.Context, res *engine.Result, files []ledger.Entry) ([]string, error)
	Reserved     []string
	// Now and Sleep are the clock of the GitHub client (tests make them instant).
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
	a := githubactions.New(githubactions.WithGetenv(env.Getenv), githubactions.WithWriter(env.Stdout))
	r := &runner{env: env, a: a, out: newOutputs()}
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

type runner struct {
	env Env
	a   *githubactions.Action
	out *outputs
	in  *Inputs
	ev  event

	ws           string
	owner, repo  string
	runURL       string
	gh           *ghapi.Client
	checkRunID   int64
	checkRunURL  string
	masker       *mask.Masker
	missionName  string
	artifactURL  string
	artifactName string
	refused      []refusal
}

func (r *runner) main(ctx context.Context) int {
	a, getenv := r.a, r.env.Getenv
	in, err := readInputs(a)
	if err != nil {
		a.Errorf("%v", err)
		return exitcode.Usage
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
			return exitcode.Internal
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
		in.Key = defaultKey(getenv("GITHUB_JOB"), in)
	}
	r.setupGitHub()

	if msg := missionProblem(r.ws, in.Mission); msg != "" {
		a.Errorf("%v", &InputError{"mission", msg})
		r.out.set("conclusion", manifest.Failure)
		return exitcode.Usage
	}
	m, err := r.env.Load(r.ws, in.Mission)
	if err != nil {
		r.missionError(err)
		return exitcode.Usage
	}
	r.missionName = m.Name
	r.startCheck(ctx)

	// The mission runs on the signal's context; reporting gets a context
	// of its own so that a cancelled run is still reported, bounded from
	// the moment a signal arrives: the runner kills the container about
	// 10 s after SIGINT.
	rctx, cancelReport := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelReport()
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(cancelReportBudget, cancelReport) })
	defer stop()
	conclusion := manifest.Failure
	// Whatever path this takes, a check run that was started is completed,
	// so a required check never stays pending.
	defer func() {
		if r.checkRunID != 0 {
			r.finishCheck(rctx, nil, conclusion)
		}
	}()

	bundle, err := r.bundle(ctx, m)
	if err != nil {
		a.Errorf("%v", err)
		r.out.set("conclusion", manifest.Failure)
		r.summaryText(fmt.Sprintf("### ❌ Helios: the mission could not run\n\n%s\n", report.EscapeText(err.Error())))
		var ue *engine.UsageError
		if errors.As(err, &ue) {
			return exitcode.Usage
		}
		return exitcode.Internal
	}
	mf := bundle.manifest
	// Steps that skipped themselves (chain checks of an `rpc: optional`
	// mission run without an endpoint) leave the conclusion success, and
	// the check run completes success too, also when the run did nothing
	// but skip: the mission declared those checks optional, and the check
	// run, commit status, `conclusion` output and manifest then always
	// agree. What did not run is said instead: the check's title counts
	// the skipped steps, its summary names them with the reason, and each
	// gets a notice annotation (see report.Annotations).
	conclusion = mf.Conclusion
	r.annotateSteps(bundle)
	r.noticeSkips(bundle)
	if ctx.Err() != nil {
		// Cancelled: the check run is completed right after the ledger,
		// before anything slower.
		r.finishCheck(rctx, bundle, conclusion)
	}
	r.setBundleOutputs(bundle)

	gate, gateFailed, gerr := report.Gate(in.Needs)
	if gerr != nil {
		a.Errorf("input \"needs\": %v", gerr)
	}
	if gateFailed && conclusion == manifest.Success {
		conclusion = manifest.Failure
		mf.Reason = "an upstream job of this workflow failed or was cancelled"
	}
	drift, derr := r.compareBaseline(rctx, bundle)
	switch {
	case derr != nil && in.FailOnDrift && conclusion == manifest.Success:
		// fail-on-drift cannot pass on a baseline it could not read.
		conclusion = manifest.Failure
		mf.Reason = "the baseline could not be compared: " + derr.Error()
	case drift != nil && drift.Drift() && in.FailOnDrift && conclusion == manifest.Success:
		conclusion = manifest.Failure
		mf.Reason = "the bundle drifted from the baseline"
	}
	r.out.set("conclusion", conclusion)

	if ctx.Err() == nil {
		r.upload(rctx, bundle)
	} else {
		// Best effort within what the runner leaves after SIGINT (about
		// 7.5 s before SIGTERM, 10 s before the kill).
		uctx, cancel := context.WithTimeout(rctx, cancelUploadBudget)
		r.upload(uctx, bundle)
		cancel()
	}
	rin := report.Input{
		Manifest:     mf,
		Conclusion:   conclusion,
		LedgerDigest: bundle.digest,
		Files:        bundle.files,
		Drift:        drift,
		Baseline:     in.Baseline,
		Gate:         gate,
		ArtifactURL:  r.artifactURL,
		ArtifactName: r.artifactName,
		CheckRunURL:  r.checkRunURL,
		RunURL:       r.runURL,
		Key:          in.Key,
		Mission:      r.missionName,
		MissionFile:  r.missionFile(m),
		StepLines:    report.StepLines(m),
	}
	r.summary(rin)
	r.comment(rctx, rin)
	if ctx.Err() == nil {
		r.finishCheckWith(rctx, rin, conclusion)
	}
	r.status(rctx, rin, conclusion)

	switch {
	case len(bundle.leaks) > 0, len(bundle.unended) > 0:
		// Whatever fail-on-failure says: a secret was about to leave, or
		// the bundle may still change under its ledger.
		return exitcode.Failure
	case conclusion == manifest.Success:
		return exitcode.OK
	case !in.FailOnFailure && conclusion == manifest.Failure:
		a.Noticef("the mission concluded %s; fail-on-failure is false, so the step succeeds", conclusion)
		return exitcode.OK
	default:
		return exitcode.Failure
	}
}

// bundleInfo is a finished bundle, run now or verified from an earlier run.
type bundleInfo struct {
	root, rel string
	manifest  *manifest.Manifest
	digest    string
	files     int
	entries   []string
	// leaks are the files (quoted) in which the run found a secret; such a
	// bundle is never uploaded.
	leaks []string
	// unended names the steps whose processes could not be ended; they may
	// still change the bundle, which is never uploaded then either.
	unended []string
}

// bundle runs the mission, or with run: false verifies the bundle already
// at report-root (the fork-safe workflow_run pattern).
func (r *runner) bundle(ctx context.Context, m *mission.Mission) (*bundleInfo, error) {
	in := r.in
	if !in.Run {
		return r.verifyExisting(ctx, m)
	}
	res, err := engine.Run(ctx, m, engine.Options{
		Workspace:    r.ws,
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
	})
	if err != nil {
		return nil, err
	}
	b := &bundleInfo{root: res.ReportRoot, rel: res.ReportRel, manifest: res.Manifest, digest: res.DigestHex(), files: res.Files, leaks: res.Leaks, unended: res.Unended}
	r.a.Infof("helios: %s · %d files · ledger digest sha256:%s", res.Manifest.Conclusion, res.Files, b.digest)
	return b, nil
}

func (r *runner) verifyExisting(ctx context.Context, m *mission.Mission) (*bundleInfo, error) {
	rel := r.in.ReportRoot
	if rel == "" {
		rel = m.ReportRoot
	}
	root := filepath.Join(r.ws, filepath.FromSlash(rel))
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
	b := &bundleInfo{root: root, rel: filepath.ToSlash(rel), manifest: mf, digest: sha256Hex(sums), files: rep.OK + len(rep.Changed) + len(rep.Missing)}
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

// missionFile is the mission's path relative to the workspace, for
// annotations ("" for the built-in mission, which has no file).
func (r *runner) missionFile(m *mission.Mission) string {
	if m.File == mission.DefaultFile {
		return ""
	}
	return relToWorkspace(r.ws, m.File)
}

func (r *runner) setBundleOutputs(b *bundleInfo) {
	o := r.out
	o.set("ledger-digest", b.digest)
	o.set("report-root", relToWorkspace(r.ws, b.root))
	o.set("sha256sums", relToWorkspace(r.ws, filepath.Join(b.root, ledger.FileName)))
	o.set("manifest", relToWorkspace(r.ws, filepath.Join(b.root, manifest.FileName)))
	o.set("files", strconv.Itoa(b.files))
	sums, err := regular.ReadFile(context.Background(), filepath.Join(b.root, ledger.FileName), ledger.MaxFileSize, "ledger")
	if err != nil {
		r.a.Errorf("read ledger: %v", err)
		return
	}
	if len(sums) <= maxSubjectsBytes {
		o.set("base64-subjects", base64.StdEncoding.EncodeToString(sums))
		return
	}
	// Past the attest action's limit the subjects are the ledger (whose
	// hash is the digest already known) and the manifest.
	ms, err := regular.ReadFile(context.Background(), filepath.Join(b.root, manifest.FileName), manifest.MaxFileSize, "manifest")
	if err != nil {
		r.a.Errorf("read manifest: %v", err)
		return
	}
	v := base64.StdEncoding.EncodeToString([]byte(b.digest + "  " + ledger.FileName + "\n" + sha256Hex(ms) + "  " + manifest.FileName + "\n"))
	r.a.Noticef("SHA256SUMS is over 512 KiB: base64-subjects names SHA256SUMS and manifest.json themselves")
	o.set("base64-subjects", v)
}

// compareBaseline diffs the bundle against the baseline input, if any.
func (r *runner) compareBaseline(ctx context.Context, b *bundleInfo) (*diff.Result, error) {
	if r.in.Baseline == "" {
		r.out.set("drift", "false")
		return nil, nil
	}
	base, err := baselinePath(r.ws, b.root, r.in.Baseline)
	if err != nil {
		r.a.Errorf("input \"baseline\": %v; no drift computed", err)
		r.out.set("drift", "false")
		return nil, err
	}
	// The lists are cut at diff's default; the counts stay complete, so a
	// baseline of a million files costs megabytes, not gigabytes.
	res, err := diff.CompareContext(ctx, base, b.root, diff.Options{})
	if err != nil {
		r.a.Warningf("baseline %s: %v; no drift computed", r.in.Baseline, err)
		r.out.set("drift", "false")
		return nil, err
	}
	r.out.set("drift", strconv.FormatBool(res.Drift()))
	return res, nil
}

// baselinePath resolves the baseline input (already checked to be a
// relative path without "..") in the workspace ws, and refuses it when a
// link leads it outside ws, or when it is the report root or inside it: a
// bundle compared with itself shows no drift whatever changed.
func baselinePath(ws, reportRoot, baseline string) (string, error) {
	realWS, err := filepath.EvalSymlinks(ws)
	if err != nil {
		return "", fmt.Errorf("workspace: %w", err)
	}
	p, err := filepath.EvalSymlinks(filepath.Join(ws, filepath.FromSlash(baseline)))
	if err != nil {
		return "", err
	}
	if !within(realWS, p) {
		return "", fmt.Errorf("%s leads outside the workspace through a link (to %s); the baseline must be a bundle inside the workspace", baseline, p)
	}
	if realRoot, err := filepath.EvalSymlinks(reportRoot); err == nil && within(realRoot, p) {
		return "", fmt.Errorf("%s is this run's report root or inside it; point it at a bundle from an earlier run", baseline)
	}
	return p, nil
}

// within reports whether p is dir or inside it; both are clean and absolute.
func within(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && (rel == "." || filepath.IsLocal(rel))
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

// upload sends the bundle as a workflow artifact, as upload-artifact@v4
// would. Outside Actions (no runtime token) it is skipped with a notice.
func (r *runner) upload(ctx context.Context, b *bundleInfo) {
	if !r.in.Upload {
		return
	}
	if len(b.leaks) > 0 {
		list := strings.Join(b.leaks, ", ")
		r.a.Errorf("artifact upload withheld: the bundle holds a secret (the token, the RPC URL or a pass-env value, maybe base64- or URL-encoded) in %s; keep it out of the report root (a step that copies .git/config copies the checkout token)", list)
		r.summaryText(fmt.Sprintf("### ⛔ Bundle not uploaded\n\nThe bundle holds a secret (the token, the RPC URL or a pass-env value, maybe base64- or URL-encoded) in %s, so it was not uploaded and the step fails.\n", report.EscapeText(list)))
		return
	}
	if len(b.unended) > 0 {
		list := strings.Join(b.unended, ", ")
		r.a.Errorf("artifact upload withheld: %s could not be ended; they may change the bundle after it was sealed", list)
		r.summaryText(fmt.Sprintf("### ⛔ Bundle not uploaded\n\n%s could not be ended after the step, so the bundle may change after it was sealed; it was not uploaded and the step fails.\n", report.EscapeText(list)))
		return
	}
	cfg, err := artifact.ConfigFromEnv(r.env.Getenv)
	if errors.Is(err, artifact.ErrNotInActions) {
		r.a.Noticef("artifact upload skipped: %v", err)
		return
	}
	if err != nil {
		r.a.Warningf("artifact upload: %v", err)
		return
	}
	if r.in.RetentionDays > 0 {
		cfg.RetentionDays = r.in.RetentionDays
	}
	cfg.CompressionLevel = r.in.CompressionLvl
	cfg.Mask = func(s string) { r.masker.Add(s); r.a.AddMask(s) }
	cfg.Logf = func(f string, args ...any) { r.a.Infof(f, args...) }
	name := r.in.ArtifactName
	if name == "" {
		name = defaultArtifactName(r.missionName, r.in.Key)
	}
	files, err := artifact.BundleFiles(b.root)
	if err == nil {
		var res *artifact.Result
		if res, err = artifact.Upload(ctx, cfg, name, b.root, files); err == nil {
			r.artifactName, r.artifactURL = res.Name, res.URL
			r.out.set("artifact-id", strconv.FormatInt(res.ID, 10))
			r.out.set("artifact-url", res.URL)
			r.out.set("artifact-digest", res.Digest)
			r.a.Infof("artifact %s: %d files, %d bytes, %s", res.Name, res.Files, res.Size, res.Digest)
			return
		}
	}
	if errors.Is(err, artifact.ErrArtifactExists) {
		r.a.Errorf("artifact %q already exists in this run: give each use of the action its own key or artifact-name input", name)
		return
	}
	r.a.Errorf("artifact upload: %v", err)
}

// defaultArtifactName is the mission's slug and the key, so matrix legs
// never collide; the characters the artifact service refuses are gone.
func defaultArtifactName(missionName, key string) string {
	return mission.Slug(missionName) + "-" + mission.Slug(key)
}
