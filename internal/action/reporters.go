package action

import (
	"context"
	"encoding/base64"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/helios-action/helios-action/internal/ledger"
	"github.com/helios-action/helios-action/internal/manifest"
	"github.com/helios-action/helios-action/internal/markup"
	"github.com/helios-action/helios-action/internal/mission"
	"github.com/helios-action/helios-action/internal/regular"
	"github.com/helios-action/helios-action/internal/report"
)

// reporter is one way the action reports the sealed bundle, as goreleaser
// runs its pipes: String names it, Skip says it does not apply to this
// run, and Run does it. A reporter prints its own findings; an error it
// returns is a report that could not be made (see runner.apiProblem),
// which never changes the mission's conclusion nor stops the others.
//
// The pipeline holds each reporter as its method values (a stage), never
// as an interface value, nor through a generic function, whose dictionary
// counts as one. Once html/template's method lookup is in the
// binary, the linker keeps every exported method of every type reachable
// from a type converted to an interface; a reporter's methods take a
// *runner, which holds the GitHub client, so one conversion kept all of
// go-github's API: 1.7 MB of the production binary.
type reporter interface {
	String() string
	Skip(r *runner) bool
	Run(ctx context.Context, r *runner) error
}

// stage is a reporter as the pipeline runs it. first, when set, makes it
// urgent: something waits on it (a required check stays pending until
// the check run completes), and on a cancelled run the runner kills the
// container about 10 s after SIGINT, so first runs it ahead of every other
// stage with what the ledger says (the gate, the baseline and the upload
// have not run), instead of run in its place.
type stage struct {
	name  string
	skip  func(*runner) bool
	run   func(context.Context, *runner) error
	first func(context.Context, *runner) error
}

// pipeline is the reporting, in order. Each reporter reads what the
// earlier ones left in the runner: the gate and the baseline can turn a
// success into a failure, so they come before anything that shows the
// conclusion, and the upload before the summary and the comment, which
// link the artifact.
func pipeline(check *checkRun) []stage {
	var (
		an annotations
		sn skipNotices
		bo bundleOutputs
		pr predicateOutputs
		ga gate
		bl baseline
		co conclusionOutput
		up upload
		su summary
		cm comment
		st status
	)
	return []stage{
		{an.String(), an.Skip, an.Run, nil},                     // the built-ins' findings on the files of the pull request
		{sn.String(), sn.Skip, sn.Run, nil},                     // why steps skipped themselves, in the run's annotations
		{bo.String(), bo.Skip, bo.Run, nil},                     // ledger-digest, report-root, sha256sums, manifest, files, base64-subjects
		{pr.String(), pr.Skip, pr.Run, nil},                     // predicate-type, predicate-path: the run's in-toto predicate, outside the bundle
		{ga.String(), ga.Skip, ga.Run, nil},                     // the needs input: an upstream job that failed fails the conclusion
		{bl.String(), bl.Skip, bl.Run, nil},                     // the drift output; with fail-on-drift, drift fails the conclusion
		{co.String(), co.Skip, co.Run, nil},                     // the conclusion output, final from here on
		{up.String(), up.Skip, up.Run, nil},                     // the bundle as a workflow artifact
		{su.String(), su.Skip, su.Run, nil},                     // the job summary
		{cm.String(), cm.Skip, cm.Run, nil},                     // the sticky pull request comment
		{check.String(), check.Skip, check.Run, check.RunFirst}, // the check run (started before the mission ran); urgent
		{st.String(), st.Skip, st.Run, nil},                     // the commit status
	}
}

// report runs the stages in order; on a cancelled run the urgent ones
// first (see stage).
func (r *runner) report(ctx context.Context, stages []stage) {
	cancelled := r.cancelled()
	var rest []stage
	for _, st := range stages {
		if st.first != nil && cancelled {
			if !st.skip(r) {
				r.reportErr(st.name, st.first(ctx, r))
			}
			continue
		}
		rest = append(rest, st)
	}
	for _, st := range rest {
		if !st.skip(r) {
			r.reportErr(st.name, st.run(ctx, r))
		}
	}
}

// reportErr says what a reporter could not do, if anything.
func (r *runner) reportErr(name string, err error) {
	if err != nil {
		r.apiProblem(name, err)
	}
}

// reportInput is what the summary, the comment, the check run and the
// status render.
func (r *runner) reportInput() report.Input {
	b := r.bundle
	return report.Input{
		Manifest:      r.reportManifest(),
		Conclusion:    r.conclusion,
		LedgerDigest:  b.digest,
		ContentDigest: b.content,
		Files:         b.files,
		Compare:       r.compare,
		Drift:         r.drift,
		Gate:          r.gate,
		ArtifactURL:   r.artifactURL,
		ArtifactName:  r.artifactName,
		CheckRunURL:   r.check.url,
		RunURL:        r.runURL,
		Key:           r.reportKey(),
		Mission:       r.m.Name,
		MissionFile:   r.missionFile(),
		StepLines:     report.StepLines(r.m),
	}
}

// reportKey is the key as the reports show it: a shard job's has its
// shard after it, as its artifact's name does.
func (r *runner) reportKey() string {
	if r.in.Shard != "" {
		return r.in.Key + "-" + r.in.Shard
	}
	return r.in.Key
}

// reportManifest is the bundle's manifest as the reports show it. With a
// working-directory its report root is the mission's, relative to that
// folder; the reports place annotations on the step logs by it, so they
// get it relative to the workspace, as GitHub reads annotation paths.
func (r *runner) reportManifest() *manifest.Manifest {
	mf := r.bundle.manifest
	if r.dir == r.ws {
		return mf
	}
	c := *mf
	c.Mission.ReportRoot = relToWorkspace(r.ws, r.bundle.root)
	return &c
}

// missionFile is the mission's path relative to the workspace, for
// annotations ("" for the built-in mission, which has no file).
func (r *runner) missionFile() string {
	if r.m.File == mission.DefaultFile {
		return ""
	}
	return relToWorkspace(r.ws, r.m.File)
}

// skipNotices puts one notice per reason in the run's annotations for the
// steps that skipped themselves, so a run that succeeded without checking
// the chain says so where the run's result is read.
type skipNotices struct{}

func (skipNotices) String() string      { return "skip notices" }
func (skipNotices) Skip(r *runner) bool { return false }

func (skipNotices) Run(_ context.Context, r *runner) error {
	reasons, count := manifest.SkipReasons(r.bundle.manifest.Phases)
	for i, reason := range reasons {
		if i == maxStepAnnotations {
			n := len(reasons) - i
			r.a.Noticef("%s for skipped steps %s in manifest.json", markup.Plural(n, "more reason"), markup.IsAre(n))
			return nil
		}
		r.a.Noticef("%s skipped: %s", markup.Plural(count[reason], "step"), reason)
	}
	return nil
}

// bundleOutputs sets the outputs that name the bundle, its ledger and the
// subjects for provenance, every path relative to the workspace.
type bundleOutputs struct{}

func (bundleOutputs) String() string      { return "bundle outputs" }
func (bundleOutputs) Skip(r *runner) bool { return false }

func (bundleOutputs) Run(ctx context.Context, r *runner) error {
	b, o := r.bundle, r.out
	o.set("ledger-digest", b.digest)
	o.set("content-digest", b.content)
	o.set("report-root", relToWorkspace(r.ws, b.root))
	o.set("sha256sums", relToWorkspace(r.ws, filepath.Join(b.root, ledger.FileName)))
	o.set("manifest", relToWorkspace(r.ws, filepath.Join(b.root, manifest.FileName)))
	o.set("files", strconv.Itoa(b.files))
	if r.in.Shard != "" {
		o.set("shard-digest", b.digest)
	}
	sums, err := regular.ReadFile(context.Background(), filepath.Join(b.root, ledger.FileName), ledger.MaxFileSize, "ledger")
	if err != nil {
		r.a.Errorf("read ledger: %v", err)
		return nil
	}
	if len(sums) <= maxSubjectsBytes {
		o.set("base64-subjects", base64.StdEncoding.EncodeToString(sums))
		return nil
	}
	// Past the attest action's limit the subjects are the ledger (whose
	// hash is the digest already known) and the manifest.
	ms, err := regular.ReadFile(context.Background(), filepath.Join(b.root, manifest.FileName), manifest.MaxFileSize, "manifest")
	if err != nil {
		r.a.Errorf("read manifest: %v", err)
		return nil
	}
	v := base64.StdEncoding.EncodeToString([]byte(b.digest + "  " + ledger.FileName + "\n" + sha256Hex(ms) + "  " + manifest.FileName + "\n"))
	r.a.Noticef("SHA256SUMS is over 512 KiB: base64-subjects names SHA256SUMS and manifest.json themselves")
	o.set("base64-subjects", v)
	return nil
}

// gate is the CI summary gate: the needs input holds the upstream jobs'
// results, and one that failed or was cancelled fails a successful
// mission's conclusion. The summary and the comment show its rows.
type gate struct{}

func (gate) String() string      { return "needs gate" }
func (gate) Skip(r *runner) bool { return strings.TrimSpace(r.in.Needs) == "" }

func (gate) Run(_ context.Context, r *runner) error {
	rows, failed, err := report.Gate(r.in.Needs)
	if err != nil {
		r.a.Errorf("input \"needs\": %v", err)
	}
	r.gate = rows
	if failed && r.conclusion == manifest.Success {
		r.conclusion = manifest.Failure
		r.bundle.manifest.Reason = "an upstream job of this workflow failed or was cancelled"
	}
	return nil
}

// conclusionOutput sets the conclusion output once the gate and the
// baseline have had their say.
type conclusionOutput struct{}

func (conclusionOutput) String() string      { return "conclusion output" }
func (conclusionOutput) Skip(r *runner) bool { return false }

func (conclusionOutput) Run(_ context.Context, r *runner) error {
	r.out.set("conclusion", r.conclusion)
	return nil
}

// summary writes the job summary; outside Actions there is no summary file.
type summary struct{}

func (summary) String() string      { return "job summary" }
func (summary) Skip(r *runner) bool { return false }

func (summary) Run(_ context.Context, r *runner) error {
	if r.in.Shard != "" {
		r.summaryText(r.shardNote())
	}
	r.summaryText(report.Summary(r.reportInput()))
	return nil
}

// summaryText appends plain Markdown to the job summary, when there is one.
func (r *runner) summaryText(md string) {
	path := r.env.Getenv("GITHUB_STEP_SUMMARY")
	if path == "" || writable(path) != nil {
		return
	}
	r.a.AddStepSummary(md)
}
