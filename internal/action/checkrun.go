package action

import (
	"context"
	"errors"
	"fmt"

	"github.com/helios-action/helios-action/internal/ghapi"
	"github.com/helios-action/helios-action/internal/manifest"
	"github.com/helios-action/helios-action/internal/report"
)

// checkRun is the check run's whole life, so that a required check never
// stays pending. Begin creates it in progress before the mission runs, so
// reviewers see the mission running. It is then completed once: by Run
// with the whole report; on a cancelled run by RunFirst, right after the
// ledger; on any other way out (the mission could not run, a panic) by
// End, which the runner defers.
type checkRun struct {
	id  int64 // of the open check run; 0 when none is open
	url string
}

func (c *checkRun) String() string { return "check run" }

// Skip: a check run that was never created (or is complete) is not
// completed.
func (c *checkRun) Skip(*runner) bool { return c.id == 0 }

// Begin creates the check run in progress, when the status input wants one.
func (c *checkRun) Begin(ctx context.Context, r *runner) {
	if !r.wantCheckRun() {
		return
	}
	id, url, err := r.gh.CreateCheckRun(ctx, r.owner, r.repo, r.checkName(), r.ev.HeadSHA, r.runURL)
	if err != nil {
		r.apiProblem(c.String(), err)
		return
	}
	c.id, c.url = id, url
	r.out.set("check-run-id", fmt.Sprint(id))
	r.out.set("check-run-url", url)
}

// Run completes the check run with the whole report.
func (c *checkRun) Run(ctx context.Context, r *runner) error {
	return c.complete(ctx, r, r.reportInput())
}

// RunFirst completes a cancelled run's check run with what the ledger
// says, before the gate, the baseline and the upload.
func (c *checkRun) RunFirst(ctx context.Context, r *runner) error {
	b := r.bundle
	return c.complete(ctx, r, report.Input{
		Conclusion:   r.conclusion,
		Key:          r.in.Key,
		Mission:      r.m.Name,
		RunURL:       r.runURL,
		Manifest:     r.reportManifest(),
		LedgerDigest: b.digest,
		Files:        b.files,
	})
}

// End completes the check run if nothing else did: the mission could not
// run, or something panicked, maybe in a reporter after the mission had
// its conclusion. Either way the action stopped before it reported, so a
// required check must not pass on it: the conclusion is failure (or
// cancelled, for a cancelled run), whatever the mission's was.
func (c *checkRun) End(ctx context.Context, r *runner) {
	if c.id == 0 {
		return
	}
	conclusion := manifest.Failure
	if r.conclusion == manifest.Cancelled {
		conclusion = manifest.Cancelled
	}
	in := report.Input{Conclusion: conclusion, Key: r.in.Key, Mission: r.m.Name, RunURL: r.runURL}
	r.reportErr(c.String(), c.complete(ctx, r, in))
}

func (c *checkRun) complete(ctx context.Context, r *runner, in report.Input) error {
	title, summary, text := report.CheckOutput(in)
	var anns []ghapi.Annotation
	for _, a := range report.Annotations(in) {
		anns = append(anns, ghapi.Annotation(a))
	}
	err := r.gh.CompleteCheckRun(ctx, r.owner, r.repo, c.id, r.checkName(), in.Conclusion, title, summary, text, anns)
	var pe *ghapi.PermissionError
	if err != nil && !errors.As(err, &pe) && ctx.Err() == nil {
		// A refused output (a limit GitHub counts differently, say) must
		// not leave the check pending: complete it with the bare minimum.
		r.a.Warningf("check run: %v; completing it without details", err)
		err = r.gh.CompleteCheckRun(ctx, r.owner, r.repo, c.id, r.checkName(), in.Conclusion, in.Conclusion, "See the job summary of the run for details.", "", nil)
	}
	// Completed, or given up on: either way, once.
	c.id = 0
	return err
}
