package action

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/helios-action/helios-action/internal/bundlezip"
	"github.com/helios-action/helios-action/internal/diff"
	"github.com/helios-action/helios-action/internal/ghapi"
	"github.com/helios-action/helios-action/internal/ledger"
	"github.com/helios-action/helios-action/internal/manifest"
	"github.com/helios-action/helios-action/internal/markup"
	"github.com/helios-action/helios-action/internal/report"
)

// The baseline input's two words; anything else is a path.
const (
	baselineAuto = "auto"
	baselineNone = "none"
)

// Bounds of the automatic baseline: it comes from a run a pull request
// does not control, but its bytes are still untrusted, and the lookup must
// never hold the job up for long.
const (
	// maxBaselineZip bounds the artifact download; a bundle past it is
	// not compared (helios diff can still compare it locally).
	maxBaselineZip = 1 << 30
	// baselineBudget bounds the whole lookup, download and comparison.
	baselineBudget = 3 * time.Minute
	// maxBaselineRuns is how many of the base branch's newest successful
	// runs are searched for the base commit before taking the newest.
	maxBaselineRuns = 20
	// maxDiffFiles bounds the changed files extracted for a closer look
	// (their keys or lines); the comparison lists the rest by name.
	maxDiffFiles = 50
)

// baseline compares the bundle with a baseline: by default the bundle
// the same workflow uploaded on the base branch's last successful run
// (auto), or a bundle folder or SHA256SUMS in the workspace. It sets the
// drift outputs and, with fail-on-drift, fails a successful conclusion
// on drift, or on an explicit baseline it could not compare. An automatic
// baseline that cannot be found never fails anything: no baseline, no
// drift.
type baseline struct{}

func (baseline) String() string { return "baseline" }

// Skip: a shard's bundle is part of the evidence; the merge job compares
// the whole with the base branch's.
func (baseline) Skip(r *runner) bool { return r.in.Shard != "" }

func (baseline) Run(ctx context.Context, r *runner) error {
	if r.in.Baseline == baselineAuto && r.cancelled() {
		// The runner kills the container seconds after the signal: what
		// is left is for the check run and the upload, not a lookup.
		r.out.set("drift", "false")
		return nil
	}
	drift, err := r.compareBaseline(ctx)
	r.drift = drift
	if drift != nil && drift.Drift() {
		r.annotateDrift(drift)
	}
	if !r.in.FailOnDrift || r.conclusion != manifest.Success {
		return nil
	}
	switch {
	case err != nil:
		// fail-on-drift cannot pass on a baseline it was told to use
		// and could not read.
		r.conclusion = manifest.Failure
		r.bundle.manifest.Reason = "the baseline could not be compared: " + err.Error()
	case drift != nil && drift.Drift():
		r.conclusion = manifest.Failure
		r.bundle.manifest.Reason = "the bundle drifted from the baseline " + r.compare.Label
	}
	return nil
}

// compareBaseline finds the baseline and compares the bundle with it. An
// error is an explicit baseline that could not be compared.
func (r *runner) compareBaseline(ctx context.Context) (*diff.Result, error) {
	r.out.set("drift", "false")
	switch r.in.Baseline {
	case baselineNone:
		return nil, nil
	case baselineAuto:
		// Bounded, and given up at once when a signal arrives meanwhile,
		// so that the seconds before the kill go to the check run.
		ctx, cancel := context.WithTimeout(ctx, baselineBudget)
		defer cancel()
		if r.signal != nil {
			stop := context.AfterFunc(r.signal, cancel)
			defer stop()
		}
		return r.autoBaseline(ctx), nil
	}
	r.compare = &report.Comparison{Label: r.in.Baseline}
	base, err := baselinePath(r.ws, r.bundle.root, r.in.Baseline)
	if err != nil {
		r.a.Errorf("input \"baseline\": %v; no drift computed", err)
		r.compare.Missing = err.Error()
		return nil, err
	}
	// The lists are cut at diff's default; the counts stay complete, so a
	// baseline of a million files costs megabytes, not gigabytes.
	res, err := diff.CompareContext(ctx, base, r.bundle.root, diff.Options{OldVolatileOnly: true})
	if err != nil {
		r.a.Warningf("baseline %s: %v; no drift computed", r.in.Baseline, err)
		r.compare.Missing = err.Error()
		return nil, err
	}
	r.baselineDigest(base)
	r.out.set("drift", strconv.FormatBool(res.Drift()))
	return res, nil
}

// baselineRef is where an automatic baseline comes from: a branch of
// the repository, and the commit on it to prefer.
type baselineRef struct {
	branch, sha string
	// exclude is this run, which is not its own baseline.
	exclude int64
}

// baselineRefFor says which branch's runs hold the baseline of this run,
// or why there is none: a pull request compares with its base branch,
// at its base commit when that commit has a run; a push (or any other
// run on a branch) with the branch's previous successful run.
func (r *runner) baselineRefFor() (baselineRef, string) {
	runID, _ := strconv.ParseInt(r.env.Getenv("GITHUB_RUN_ID"), 10, 64)
	switch {
	case r.ev.FromWorkflowRun:
		return baselineRef{}, "a workflow_run reports another run's bundle; pass that run's base bundle as the baseline input to compare"
	case r.ev.BaseRef != "":
		return baselineRef{branch: r.ev.BaseRef, sha: r.ev.BaseSHA, exclude: runID}, ""
	}
	ref := r.env.Getenv("GITHUB_REF")
	if b, ok := strings.CutPrefix(ref, "refs/heads/"); ok {
		// A push prefers the run of the commit the branch was at before.
		return baselineRef{branch: b, sha: r.ev.BaseSHA, exclude: runID}, ""
	}
	return baselineRef{}, fmt.Sprintf("this run is not on a branch (%s)", orNone(ref))
}

func orNone(s string) string {
	if s == "" {
		return "no GITHUB_REF"
	}
	return s
}

// autoBaseline is baseline: auto. Whatever it cannot do is said in one
// line (r.compare.Missing) and fails nothing.
func (r *runner) autoBaseline(ctx context.Context) *diff.Result {
	ref, why := r.baselineRefFor()
	r.compare = &report.Comparison{Label: ref.branch}
	if why == "" && r.gh == nil {
		why = "no github-token to look up the base branch's runs"
	}
	if why != "" {
		return r.noBaseline(why)
	}
	workflow, err := r.workflow(ctx)
	if err != nil {
		return r.noBaseline(r.lookupProblem(err))
	}
	runs, err := r.gh.SuccessfulRuns(ctx, r.owner, r.repo, workflow, ref.branch, maxBaselineRuns)
	if err != nil {
		return r.noBaseline(r.lookupProblem(err))
	}
	runs = slices.DeleteFunc(runs, func(run ghapi.Run) bool { return run.ID == ref.exclude })
	if len(runs) == 0 {
		return r.noBaseline(fmt.Sprintf("no successful run of this workflow on `%s` yet", ref.branch))
	}
	// The base commit's own run shows what the pull request changed; a
	// newer run on the branch would also show what others merged since.
	run := runs[0]
	if i := slices.IndexFunc(runs, func(run ghapi.Run) bool { return ref.sha != "" && run.HeadSHA == ref.sha }); i >= 0 {
		run = runs[i]
	}
	c := r.compare
	c.SHA, c.RunNumber, c.RunURL = run.HeadSHA, run.RunNumber, run.HTMLURL

	name := r.artifactNameFor()
	arts, err := r.gh.RunArtifacts(ctx, r.owner, r.repo, run.ID, name)
	if err != nil {
		return r.noBaseline(r.lookupProblem(err))
	}
	arts = slices.DeleteFunc(arts, func(a ghapi.Artifact) bool { return a.Name != name })
	// A rerun's attempt may upload the name again: the newest that has not
	// expired is the one to compare with.
	live := slices.DeleteFunc(slices.Clone(arts), func(a ghapi.Artifact) bool { return a.Expired })
	switch {
	case len(arts) == 0:
		return r.noBaseline(fmt.Sprintf("run #%d on `%s` uploaded no artifact named `%s`", run.RunNumber, ref.branch, name))
	case len(live) == 0:
		return r.noBaseline(fmt.Sprintf("the artifact `%s` of run #%d on `%s` has expired", name, run.RunNumber, ref.branch))
	}
	art := slices.MaxFunc(live, func(a, b ghapi.Artifact) int { return cmp.Compare(a.ID, b.ID) })
	if art.Size > maxBaselineZip {
		return r.noBaseline(fmt.Sprintf("the artifact `%s` of run #%d is %d bytes, over the %d MiB helios downloads to compare", name, run.RunNumber, art.Size, maxBaselineZip>>20))
	}
	res, err := r.fetchAndCompare(ctx, art)
	if err != nil {
		return r.noBaseline(r.lookupProblem(err))
	}
	if res != nil {
		// Only a baseline that was compared is the baseline.
		r.out.set("baseline-run-url", run.HTMLURL)
	}
	return res
}

// noBaseline records why there is no automatic baseline, as a notice.
func (r *runner) noBaseline(why string) *diff.Result {
	r.compare.Missing = why
	r.a.Noticef("no baseline to compare with: %s", why)
	return nil
}

// lookupProblem is one line for a failed lookup; a refusal names the
// permission (a fork's pull request gets a token without it).
func (r *runner) lookupProblem(err error) string {
	var pe *ghapi.PermissionError
	switch {
	case errors.As(err, &pe) && r.ev.Fork:
		return "the token of a pull request from a fork may not read this repository's workflow runs (actions: read)"
	case errors.As(err, &pe) && pe.Status == http.StatusNotFound:
		// GitHub hides what a token may not read behind a 404.
		return fmt.Sprintf("GitHub did not show the token this workflow's runs or artifacts (%s: 404 %s): add `actions: read` to the job's permissions", pe.Op, pe.Message)
	case errors.As(err, &pe):
		return fmt.Sprintf("the token may not read this repository's workflow runs: add `actions: read` to the job's permissions (%d %s)", pe.Status, pe.Message)
	case errors.Is(err, ghapi.ErrArtifactExpired):
		return "the base run's artifact has expired"
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("the lookup took longer than %s", markup.Duration(baselineBudget))
	}
	return r.masker.String(err.Error())
}

// workflow names this run's workflow for the runs API: its file, from
// GITHUB_WORKFLOW_REF (owner/repo/.github/workflows/ci.yml@ref), which
// the API takes in place of the id and costs no request; else the id,
// from this run.
func (r *runner) workflow(ctx context.Context) (string, error) {
	wref, _, _ := strings.Cut(r.env.Getenv("GITHUB_WORKFLOW_REF"), "@")
	if strings.Contains(wref, "/.github/workflows/") {
		return path.Base(wref), nil
	}
	id, err := strconv.ParseInt(r.env.Getenv("GITHUB_RUN_ID"), 10, 64)
	if err != nil {
		return "", fmt.Errorf("GITHUB_RUN_ID %q is not a run id", r.env.Getenv("GITHUB_RUN_ID"))
	}
	run, err := r.gh.GetRun(ctx, r.owner, r.repo, id)
	if err != nil {
		return "", err
	}
	return strconv.FormatInt(run.WorkflowID, 10), nil
}

// fetchAndCompare downloads the baseline's artifact, checks it against
// its own ledger, and compares the bundle with it. Only the ledger, the
// manifest and the changed files shown closer (JSON keys, text lines)
// leave the zip.
func (r *runner) fetchAndCompare(ctx context.Context, art ghapi.Artifact) (*diff.Result, error) {
	tmp, err := os.MkdirTemp("", "helios-baseline-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	zipPath := filepath.Join(tmp, "baseline.zip")
	f, err := os.OpenFile(zipPath, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	_, err = r.gh.DownloadArtifact(ctx, r.owner, r.repo, art.ID, io.MultiWriter(f, h), maxBaselineZip)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	// GitHub records the zip's digest at upload; a zip that differs was
	// changed in storage or on the way.
	if want, ok := strings.CutPrefix(art.Digest, "sha256:"); ok && want != hex.EncodeToString(h.Sum(nil)) {
		r.tampered([]string{fmt.Sprintf("the zip's SHA-256 is not the %s GitHub recorded at upload", art.Digest)})
		return nil, nil
	}
	zb, err := bundlezip.Open(zipPath, bundlezip.Limits{})
	if err != nil {
		return nil, err
	}
	defer zb.Close()
	rep, err := zb.Verify(ctx)
	if err != nil {
		return nil, err
	}
	if !rep.Clean() {
		r.tampered(tamperedFiles(rep))
		return nil, nil
	}
	// A first pass over the ledgers alone names what changed; a second,
	// with those files out of the zip, looks into them.
	first := filepath.Join(tmp, "ledger")
	if err := zb.Extract(ctx, first, nil); err != nil {
		return nil, err
	}
	opts := diff.Options{OldVolatileOnly: true, Inside: func(string) bool { return false }}
	res, err := diff.CompareContext(ctx, first, r.bundle.root, opts)
	if err != nil {
		return nil, err
	}
	if names := closerLook(res); len(names) > 0 {
		full := filepath.Join(tmp, "bundle")
		if err := zb.Extract(ctx, full, names); err != nil {
			return nil, err
		}
		opts.Inside = func(name string) bool { return slices.Contains(names, name) }
		if res, err = diff.CompareContext(ctx, full, r.bundle.root, opts); err != nil {
			return nil, err
		}
	}
	mf, err := manifest.Read(filepath.Join(first, manifest.FileName))
	c := r.compare
	if err == nil {
		c.Manifest = mf
	}
	// What its ledger vouches for, whatever its manifest claims.
	c.ContentDigest = ledger.ContentDigestOf(zb.Ledger(), manifest.VolatileOf(c.Manifest))
	res.Old = c.Label
	r.out.set("baseline-content-digest", c.ContentDigest)
	r.out.set("drift", strconv.FormatBool(res.Drift()))
	return res, nil
}

// baselineDigest records an explicit baseline's manifest and content
// digest, recomputed from its ledger (base is a folder or its SHA256SUMS).
func (r *runner) baselineDigest(base string) {
	dir, sums := base, filepath.Join(base, ledger.FileName)
	if fi, err := os.Stat(base); err == nil && !fi.IsDir() {
		dir, sums = filepath.Dir(base), base
	}
	entries, err := ledger.ReadFile(sums)
	if err != nil {
		return
	}
	if mf, err := manifest.Read(filepath.Join(dir, manifest.FileName)); err == nil {
		r.compare.Manifest = mf
	}
	r.compare.ContentDigest = ledger.ContentDigestOf(entries, manifest.VolatileOf(r.compare.Manifest))
	r.out.set("baseline-content-digest", r.compare.ContentDigest)
}

// closerLook names the changed files whose keys or lines the comparison
// shows, at most maxDiffFiles of them.
func closerLook(res *diff.Result) []string {
	var names []string
	for _, c := range res.Changed {
		if len(names) == maxDiffFiles {
			break
		}
		if diff.ShowsInside(c.Name) {
			names = append(names, c.Name)
		}
	}
	return names
}

// tampered reports a baseline whose files do not match its own ledger;
// it is not used.
func (r *runner) tampered(list []string) {
	r.compare.Tampered = list
	r.a.Warningf("the baseline from %s (run #%d) does not match its own SHA256SUMS and was not used: %s", r.compare.Label, r.compare.RunNumber, firstOf(list, 10))
}

// tamperedFiles lists what did not verify, and why, names in backticks
// (the reports show them as code).
func tamperedFiles(rep *bundlezip.Report) []string {
	var list []string
	for _, n := range rep.Mismatched {
		list = append(list, fmt.Sprintf("`%s` does not match its line in SHA256SUMS", n))
	}
	for _, n := range rep.Missing {
		list = append(list, fmt.Sprintf("`%s` is in SHA256SUMS but not in the zip", n))
	}
	for _, n := range rep.Extra {
		list = append(list, fmt.Sprintf("`%s` is in the zip but not in SHA256SUMS", n))
	}
	for _, u := range rep.Unsafe {
		list = append(list, fmt.Sprintf("`%s` %s", u.Name, u.Why))
	}
	return list
}

func firstOf(list []string, n int) string {
	if len(list) <= n {
		return strings.Join(list, ", ")
	}
	return strings.Join(list[:n], ", ") + fmt.Sprintf(" and %d more", len(list)-n)
}

// annotateDrift puts one annotation per drifted file on the file in the
// bundle: an error with fail-on-drift, which fails the run, else a notice.
func (r *runner) annotateDrift(res *diff.Result) {
	n := 0
	each := func(kind string, cs []diff.Change) {
		for _, c := range cs {
			if n == maxStepAnnotations {
				return
			}
			n++
			msg := fmt.Sprintf("%s since %s", kind, r.compare.Label)
			for i, k := range c.JSON {
				if i == 3 {
					msg += fmt.Sprintf("; %d more keys", len(c.JSON)-i)
					break
				}
				msg += fmt.Sprintf("; %s: %s → %s", k.Pointer(), orAbsent(k.Old), orAbsent(k.New))
			}
			fields := map[string]string{"title": "Drift: " + c.Name}
			if c.New != "" {
				// A removed file has no place to point at.
				fields["file"] = relToWorkspace(r.ws, filepath.Join(r.bundle.root, filepath.FromSlash(c.Name)))
			}
			if r.in.FailOnDrift {
				r.a.WithFieldsMap(fields).Errorf("%s", msg)
			} else {
				r.a.WithFieldsMap(fields).Noticef("%s", msg)
			}
		}
	}
	each("changed", res.Changed)
	each("added", res.Added)
	each("removed", res.Removed)
}

func orAbsent(v string) string {
	if v == "" {
		return "(absent)"
	}
	return v
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
